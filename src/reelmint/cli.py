"""The `reelmint` command line.

Every failure the user can fix ends as ONE line on stderr and exit code 2; an unexpected one as
one line and exit code 1 (set REELMINT_DEBUG=1 for the traceback). Never a bare traceback.
"""

from __future__ import annotations

import json
import os
import signal
import sys
import threading
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any, NoReturn

import typer
from rich.console import Console
from rich.table import Table

import reelmint
from reelmint.config import Settings, load_settings
from reelmint.crypto import CryptoError
from reelmint.engine.backends.base import BackendOptions, Size
from reelmint.engine.backends.registry import backend_names, get_backend
from reelmint.engine.errors import BackendUnavailable, EngineError, InvalidRequest
from reelmint.errors import ServiceError
from reelmint.platform_cli import register as register_platform_commands
from reelmint.progress import RichProgress
from reelmint.terminal import printable

EXIT_FAILURE = 1
EXIT_BAD_INPUT = 2
EXIT_INTERRUPTED = 130
EXIT_TERMINATED = 143

app = typer.Typer(
    name="reelmint",
    help="reelmint: prompt in, signed video with sound out.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)
register_platform_commands(app)
stdout = Console()
stderr = Console(stderr=True)


def _settings() -> Settings:
    return load_settings()


@app.command()
def generate(
    prompt: Annotated[
        str | None, typer.Argument(help="What the video shows (up to 2,000 characters).")
    ] = None,
    output: Annotated[
        Path | None,
        typer.Option("-o", "--output", help="Where to write the MP4 (default: data folder)."),
    ] = None,
    seconds: Annotated[
        float | None, typer.Option(help="Length in seconds (the backend sets the range).")
    ] = None,
    size: Annotated[
        str | None,
        typer.Option(help="WIDTHxHEIGHT: 854x480, 480x854, 480x480, 1280x720, 720x1280, 720x720."),
    ] = None,
    seed: Annotated[int | None, typer.Option(help="Same seed, same video.")] = None,
    backend: Annotated[
        str | None, typer.Option(help="Renderer: preview (CPU, default), wan, ltx.")
    ] = None,
    storyboard: Annotated[
        Path | None,
        typer.Option(help="A storyboard JSON file: shots, each with its own prompt and duration."),
    ] = None,
    image: Annotated[
        Path | None,
        typer.Option(help="A reference image (JPEG/PNG/WebP) to animate: wan image-to-video."),
    ] = None,
    cameo: Annotated[
        list[Path] | None,
        typer.Option(
            help="A person's photo (JPEG/PNG/WebP) to put in the video as a character; "
            "repeat for a second (at most 2).",
        ),
    ] = None,
    model_path: Annotated[
        Path | None, typer.Option(help="Model folder for model backends (wan, ltx).")
    ] = None,
    steps: Annotated[
        int | None, typer.Option(help="Denoising steps for model backends.", min=1, max=500)
    ] = None,
    guidance: Annotated[
        float | None,
        typer.Option(help="Classifier-free guidance scale for model backends.", min=0.0),
    ] = None,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print a machine-readable summary.")
    ] = False,
) -> None:
    """Turn a prompt (or a storyboard) into a watermarked, C2PA-signed MP4 with sound."""
    from reelmint.engine.pipeline import GenerationRequest, check_request, generate
    from reelmint.engine.storyboard import load_storyboard_file

    settings = _settings()
    backend_name = backend or settings.default_backend
    backend_class = get_backend(backend_name)
    explicit = load_storyboard_file(storyboard, seconds=seconds) if storyboard else None
    if model_path is None and backend_class.uses_model:
        model_path = settings.model_path_for(backend_name)
    options = BackendOptions(
        model_path=model_path, steps=steps, guidance=guidance, speed=settings.model_speed
    )
    request = GenerationRequest(
        backend=backend_name,
        size=Size.parse(size or settings.default_size),
        seconds=seconds,
        prompt=prompt,
        storyboard=explicit,
        seed=seed,
        options=options,
        reference_images=(image,) if image is not None else (),
        cameo_images=tuple(cameo or ()),
    )
    checked = check_request(request, default_seconds=settings.default_seconds)
    out = output if output is not None else _default_output(settings, checked.seed)
    show_progress = not as_json and stderr.is_terminal
    with RichProgress(stderr, enabled=show_progress) as progress:
        result = generate(
            checked, out=out, keys_dir=settings.keys_dir, encode=settings.encode, progress=progress
        )
    if as_json:
        summary = {
            "path": str(result.path),
            "poster": str(result.poster_path),
            "seconds": result.seconds,
            "size": str(result.size),
            "fps": result.fps,
            "frames": result.frame_count,
            "backend": result.backend,
            "seed": result.seed,
            "prompt_sha256": result.prompt_sha256,
            "created_at": result.created_at.isoformat(),
            "storyboard": result.storyboard.model_dump(mode="json"),
        }
        typer.echo(json.dumps(summary, indent=2))
    else:
        typer.echo(str(result.path))


@app.command()
def verify(
    file: Annotated[Path, typer.Argument(help="The MP4 to check.")],
    as_json: Annotated[bool, typer.Option("--json", help="Print the report as JSON.")] = False,
) -> None:
    """Check a video's C2PA manifest: valid, untrusted, tampered or unsigned (0 = valid)."""
    from reelmint.engine.postprocess.provenance import verify_file

    settings = _settings()
    report = verify_file(file, keys_dir=settings.keys_dir)
    if as_json:
        typer.echo(
            json.dumps(
                {"status": report.status, "facts": report.facts, "problems": report.problems},
                indent=2,
                default=str,
            )
        )
    else:
        typer.echo(f"{file}: {report.status}")
        for key, value in report.facts.items():
            typer.echo(f"  {key}: {_plain(value)}")
        for problem in report.problems:
            typer.echo(f"  problem: {problem}")
    if report.status != "valid":
        raise typer.Exit(EXIT_FAILURE)


@app.command()
def backends() -> None:
    """List the renderers this installation knows, with what each offers."""
    table = Table("name", "sizes", "seconds", "fps", "GPU", "about")
    for name in backend_names():
        cls = get_backend(name)
        table.add_row(
            name,
            " ".join(str(s) for s in cls.sizes),
            f"{cls.min_seconds:g}-{cls.max_seconds:g}",
            str(cls.fps),
            "needs GPU" if cls.needs_gpu else "CPU",
            cls.description,
        )
    stdout.print(table)


@app.command()
def version() -> None:
    """Print the reelmint version."""
    typer.echo(reelmint.__version__)


def _plain(value: object) -> str:
    """A manifest value on one printable line: mappings as `key=value` pairs.

    Manifests come from files we did not make, so control characters are escaped rather than
    sent to the terminal.
    """
    if isinstance(value, dict):
        text = ", ".join(f"{k}={v}" for k, v in value.items())
    else:
        text = str(value)
    return printable(text)


def _default_output(settings: Settings, seed: int) -> Path:
    """A fresh name in the videos folder: never one that is already there."""
    stem = f"reelmint-{datetime.now(UTC).strftime('%Y%m%d-%H%M%S')}-{seed}"
    path, attempt = settings.videos_dir / f"{stem}.mp4", 1
    while path.exists():
        attempt += 1
        path = settings.videos_dir / f"{stem}-{attempt}.mp4"
    return path


def _fail(message: str, code: int) -> NoReturn:
    first_line = " ".join(message.split())
    print(f"error: {first_line}", file=sys.stderr)
    raise SystemExit(code)


def _exit_code(error: EngineError) -> int:
    """Input the user can change is exit 2; a fault of the installation or run is exit 1."""
    return (
        EXIT_BAD_INPUT if isinstance(error, InvalidRequest | BackendUnavailable) else EXIT_FAILURE
    )


def _stop_on_sigterm(signum: int, frame: object) -> None:
    """SIGTERM unwinds like Ctrl-C, so `finally` blocks remove temporary files."""
    raise SystemExit(EXIT_TERMINATED)


def _summary(exc: Exception) -> str:
    """An unexpected error's first line; a database error's without its SQL and parameters
    (which may hold a password hash or an address)."""
    from sqlalchemy.exc import DBAPIError, SQLAlchemyError

    if isinstance(exc, DBAPIError) and exc.orig is not None:
        text = str(exc.orig)
    elif isinstance(exc, SQLAlchemyError):
        text = exc.__class__.__doc__ or ""
    else:
        text = str(exc)
    lines = text.strip().splitlines()
    return lines[0].strip()[:300] if lines else ""


def main(argv: list[str] | None = None) -> Any:
    """Entry point: run the Typer app, turning every failure into one line on stderr."""
    args = list(sys.argv[1:] if argv is None else argv)
    if not args:
        args = ["--help"]
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, _stop_on_sigterm)
    command = typer.main.get_command(app)
    try:
        # Outside standalone mode click returns (not raises) a command's typer.Exit code.
        result = command.main(args=args, prog_name="reelmint", standalone_mode=False)
    except typer.Exit as exc:
        raise SystemExit(exc.exit_code) from None
    except typer.Abort:
        _fail("aborted", EXIT_FAILURE)
    except typer.TyperException as exc:  # usage errors: unknown option, bad value, ...
        _fail(exc.format_message(), EXIT_BAD_INPUT)
    except EngineError as exc:
        _fail(str(exc), _exit_code(exc))
    except ServiceError as exc:
        _fail(str(exc), EXIT_BAD_INPUT if exc.status < 500 else EXIT_FAILURE)
    except CryptoError as exc:  # a damaged or unreadable keys/platform.key: the installation's
        _fail(str(exc), EXIT_FAILURE)
    except KeyboardInterrupt:
        _fail("interrupted", EXIT_INTERRUPTED)
    except Exception as exc:
        if os.environ.get("REELMINT_DEBUG"):
            raise
        _fail(
            f"unexpected failure ({type(exc).__name__}: {_summary(exc)}); "
            "set REELMINT_DEBUG=1 to see the traceback",
            EXIT_FAILURE,
        )
    if result == EXIT_INTERRUPTED:  # typer turns Ctrl-C into an exit code of 130
        _fail("interrupted", EXIT_INTERRUPTED)
    if isinstance(result, int) and result != 0:
        raise SystemExit(result)
    return result


if __name__ == "__main__":
    main()

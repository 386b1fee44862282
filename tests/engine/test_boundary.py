"""The engine imports no web framework, no database and no platform layer (DESIGN convention 1)."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

import reelmint.engine

ENGINE = Path(reelmint.engine.__file__).parent
FORBIDDEN = (
    "fastapi",
    "starlette",
    "uvicorn",
    "sqlalchemy",
    "alembic",
    "psycopg",
    "jinja2",
    "boto3",
    "stripe",
    "reelmint.config",
    "reelmint.cli",
    "reelmint.db",
    "reelmint.domains",
    "reelmint.api",
    "reelmint.web",
    "reelmint.worker",
    "reelmint.queue",
    "reelmint.storage",
)


def _module_name(path: Path) -> str:
    parts = path.relative_to(ENGINE.parent.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports_of(source: str, *, module: str, is_package: bool) -> set[str]:
    """Absolute names of everything `source` (the code of `module`) imports."""
    package = module.split(".") if is_package else module.split(".")[:-1]
    names: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = package[: len(package) - node.level + 1] if node.level else []
            target = ".".join([*base, *([node.module] if node.module else [])])
            names.add(target)
            names.update(f"{target}.{alias.name}" for alias in node.names)
    return names


def _imported_modules(path: Path) -> set[str]:
    return _imports_of(
        path.read_text(), module=_module_name(path), is_package=path.name == "__init__.py"
    )


@pytest.mark.parametrize(
    ("source", "module", "is_package", "expected"),
    [
        (
            "from ...config import Settings",
            "reelmint.engine.backends.wan",
            False,
            "reelmint.config",
        ),
        ("from ... import db", "reelmint.engine.audio", True, "reelmint.db"),
        (
            "from .base import Size",
            "reelmint.engine.backends.registry",
            False,
            "reelmint.engine.backends.base",
        ),
        ("import sqlalchemy.orm", "reelmint.engine.x", False, "sqlalchemy.orm"),
    ],
)
def test_relative_and_absolute_imports_are_resolved(source, module, is_package, expected):
    assert expected in _imports_of(source, module=module, is_package=is_package)


def test_engine_sources_import_nothing_forbidden():
    offenders = {
        f"{path.relative_to(ENGINE.parent)}: {name}"
        for path in ENGINE.rglob("*.py")
        for name in _imported_modules(path)
        if any(name == bad or name.startswith(bad + ".") for bad in FORBIDDEN)
    }
    assert not offenders, f"engine imports forbidden modules: {sorted(offenders)}"
    assert len(list(ENGINE.rglob("*.py"))) > 10  # the scan really looked at the engine


def test_engine_import_stays_light():
    """Importing the pipeline and every backend's metadata loads no torch and no web stack."""
    code = (
        "import sys\n"
        "from reelmint.engine import pipeline\n"
        "from reelmint.engine.backends.registry import backend_names, get_backend\n"
        "[get_backend(n).sizes for n in backend_names()]\n"
        "heavy = [m for m in ('torch', 'diffusers', 'transformers', 'fastapi', 'sqlalchemy')"
        " if m in sys.modules]\n"
        "print(','.join(heavy))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == ""

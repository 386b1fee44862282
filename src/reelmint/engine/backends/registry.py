"""Backends by name, imported only when first asked for.

Importing a model backend must stay cheap (no torch at import time) so that the CLI and
admission can read metadata of every backend without paying for any of them.
"""

from __future__ import annotations

import importlib
from functools import cache

from reelmint.engine.backends.base import Backend, BackendOptions
from reelmint.engine.errors import InvalidRequest

DEFAULT_BACKEND = "preview"

_BACKENDS: dict[str, str] = {
    "preview": "reelmint.engine.backends.preview:PreviewBackend",
    "wan": "reelmint.engine.backends.wan:WanBackend",
    "ltx": "reelmint.engine.backends.ltx:LtxBackend",
}


def backend_names() -> tuple[str, ...]:
    """Every registered backend name, the default first."""
    return tuple(sorted(_BACKENDS, key=lambda name: (name != DEFAULT_BACKEND, name)))


@cache
def get_backend(name: str) -> type[Backend]:
    """The backend class registered as `name`; raises InvalidRequest for an unknown name."""
    target = _BACKENDS.get(name)
    if target is None:
        raise InvalidRequest(
            f"unknown backend {name!r}; choose one of: {', '.join(backend_names())}",
            code="unknown_backend",
        )
    module_name, _, class_name = target.partition(":")
    return getattr(importlib.import_module(module_name), class_name)


def create_backend(name: str, options: BackendOptions | None = None) -> Backend:
    """An instance of backend `name`, refusing model settings a procedural backend cannot use."""
    backend_class = get_backend(name)
    options = options or BackendOptions()
    if options.names_model_settings and not backend_class.uses_model:
        raise InvalidRequest(
            f"backend {name!r} is not a model backend: --model-path, --steps and --guidance "
            "apply only to model backends (wan, ltx)",
            code="invalid_backend_option",
        )
    return backend_class(options)

"""Errors the engine raises for bad input, each with a stable code.

The CLI prints the message on one line and exits 2; the API (a later layer) maps the code to a
4xx. Messages say what to change, not only what is wrong.
"""

from __future__ import annotations


class EngineError(Exception):
    """Base class for every error the engine raises on purpose."""

    code = "engine_error"

    def __init__(self, message: str, *, code: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code

    def __str__(self) -> str:
        return self.message


class InvalidRequest(EngineError):
    """The request cannot be served as given (prompt, seconds, size, backend, storyboard...)."""

    code = "invalid_request"


class BackendUnavailable(EngineError):
    """The backend exists but cannot run here (missing model folder, missing extra, no GPU)."""

    code = "backend_unavailable"


class ProvenanceError(EngineError):
    """Signing or reading a C2PA manifest failed for a reason other than the file's content."""

    code = "provenance_error"

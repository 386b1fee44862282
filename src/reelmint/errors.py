"""Errors the platform's services raise on purpose, each with a stable code and an HTTP status.

Services raise these (authorisation included: a service refuses what the actor may not do,
whatever route called it); the API turns them into `{"error": {"code", "message", ...}}`, the
web pages into a message on the page, the CLI into one line on stderr.
"""

from __future__ import annotations


class ServiceError(Exception):
    """A refusal the caller can act on. `message` says what to change."""

    status = 400
    code = "invalid_request"

    def __init__(self, message: str, *, code: str | None = None, param: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.param = param
        if code is not None:
            self.code = code

    def __str__(self) -> str:
        return self.message


class BadRequest(ServiceError):
    status = 400
    code = "invalid_request"


class Unauthorized(ServiceError):
    status = 401
    code = "unauthorized"


class Forbidden(ServiceError):
    status = 403
    code = "forbidden"


class NotFound(ServiceError):
    status = 404
    code = "not_found"


class Conflict(ServiceError):
    status = 409
    code = "conflict"


class TooLarge(ServiceError):
    status = 413
    code = "too_large"


class TooManyRequests(ServiceError):
    """429; `retry_after`: the seconds until trying again can succeed, when known (the API
    sends it as the Retry-After header)."""

    status = 429
    code = "rate_limited"

    def __init__(
        self,
        message: str,
        *,
        code: str | None = None,
        param: str | None = None,
        retry_after: int | None = None,
    ) -> None:
        super().__init__(message, code=code, param=param)
        self.retry_after = retry_after


class PaymentRequired(ServiceError):
    status = 402
    code = "insufficient_credits"


class Unavailable(ServiceError):
    status = 503
    code = "unavailable"

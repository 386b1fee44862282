"""A form that charges (create a video, extend one) or makes a secret (an API token) does its
work once per page it was on.

Each rendering of such a form carries a fresh `form_key`. Posting it runs the work under the
API's idempotency records (api/idempotency.py) keyed by that form and what it holds: the same
form posted twice (a double click the page's script did not catch, a browser retrying, the
back button and "submit" again) makes one video, not two, and the second post goes where the
first did. The same page posted with other fields is another request and runs; a post
without a key (an old page) runs as before.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TypeVar

from reelmint.api.idempotency import Record, StoredResponse, fingerprint, run_idempotent
from reelmint.bootstrap import Services
from reelmint.db.base import new_id
from reelmint.domains.accounts.models import User

T = TypeVar("T")
MAX_FORM_KEY_CHARS = 64
DONE = StoredResponse(303, {})


def new_form_key() -> str:
    return new_id("form")


def form_request_key(form_key: str, detail: str) -> str | None:
    """The key of a post of the form whose page had `form_key`, for `detail` (what it was
    for); None when the post carries no usable key."""
    key = form_key.strip()[:MAX_FORM_KEY_CHARS]
    if not key or not key.isascii() or not key.isprintable():
        return None
    return f"form:{key}:{detail[:64]}"


def once_per_form(
    *,
    services: Services,
    user: User,
    form_key: str,
    path: str,
    fields: Mapping[str, str],
    work: Callable[[Record], T],
) -> T | None:
    """Run `work` unless this form with these fields was done already. `work` calls the
    `Record` it is given inside its write transaction (with `DONE`) and returns once that is
    committed. What it returned; None when the form was done already: by an earlier post, or
    by one racing this one (its record came first, so this `work` failed to record and its
    transaction was rolled back: nothing it made is shown)."""
    printed = fingerprint(method="POST", path=path, body=dict(fields))
    scoped = form_request_key(form_key, printed[:32])
    done: list[T] = []

    def run(record: Record) -> StoredResponse:
        done.append(work(record))
        return DONE

    run_idempotent(
        services=services,
        user_id=user.id,
        key=scoped,
        method="POST",
        path=path,
        request_fingerprint=printed,
        work=run,
    )
    return done[0] if done else None

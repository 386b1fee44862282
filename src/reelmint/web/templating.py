"""Rendering pages: one Jinja2 environment that autoescapes everything, and the page context.

Every page gets the same context (who is signed in, their CSRF token, the flash message, the
current path), so templates never reach for the request themselves. Nothing a user typed is
ever marked safe: autoescaping is on for every template, not just `.html` ones.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from fastapi import Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, FileSystemLoader, StrictUndefined, pass_context
from jinja2.runtime import Context

import reelmint
from reelmint.domains.quota.service import quota_withheld
from reelmint.money import money_label
from reelmint.web.flash import pop_flash
from reelmint.wording import count_of

TEMPLATES = Path(__file__).parent / "templates"


def format_when(value: datetime | None, zone: str = "UTC") -> str:
    """A time as people read it, in the IANA time zone `zone` and naming it by its
    abbreviation or offset: `3 Mar 2026, 14:05 UTC`, `3 Mar 2026, 15:05 CET`."""
    if value is None:
        return ""
    try:
        local = value.astimezone(ZoneInfo(zone))
    except (ZoneInfoNotFoundError, ValueError):  # a name this machine lacks: UTC, said so
        local = value.astimezone(UTC)
    return f"{local.day} {local:%b %Y, %H:%M} {local.tzname()}"


@pass_context
def _when_for_reader(context: Context, value: datetime | None) -> str:
    """`|when`: in the signed-in reader's time zone (their profile's), else UTC."""
    user = context.get("user")
    return format_when(value, getattr(user, "timezone", None) or "UTC")


def iso_time(value: datetime | None) -> str:
    """A machine-readable time for `<time datetime=...>`."""
    return "" if value is None else value.astimezone(UTC).isoformat(timespec="seconds")


def format_seconds(value: float) -> str:
    """`8 s`, `4.5 s`, `4.83 s`: at most two decimals, no trailing `.0`."""
    return f"{round(value, 2):g} s"


def as_sentence(value: object) -> str:
    """A service's message as the web shows it after a sentence of its own ("The video was
    not created. The prompt is empty."): its first letter capitalised and a full stop at the
    end if it has none, the rest as it is (the API's messages stay as they are: clients may
    match them). A first word that is not a plain word (an address, a code such as
    `webhook_target_forbidden`, a number) is left as it is: capitalised it would be wrong."""
    text = "" if value is None else str(value).strip()
    if text and text[-1] not in ".!?":
        text += "."
    first = text.split(maxsplit=1)[0].rstrip(",:;.!?") if text else ""
    if not first.replace("'", "").replace("\u2019", "").isalpha():
        return text
    return text[:1].upper() + text[1:]


def _environment() -> Environment:
    environment = Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    environment.filters["when"] = _when_for_reader
    environment.filters["iso"] = iso_time
    environment.filters["secs"] = format_seconds
    environment.filters["sentence"] = as_sentence
    environment.filters["units"] = lambda number: count_of(number, "unit")
    # Static URLs carry the version, so browsers never run yesterday's script with today's HTML.
    environment.globals["asset_version"] = reelmint.__version__
    environment.globals["money_label"] = money_label
    return environment


ENVIRONMENT = _environment()


def render(
    request: Request,
    template: str,
    context: dict[str, Any] | None = None,
    *,
    status: int = 200,
) -> HTMLResponse:
    """The page `template` for this request, with the shared layout context filled in."""
    actor = getattr(request.state, "actor", None)
    flash, clear_flash = pop_flash(request)
    settings = request.app.state.services.settings
    page = {
        "actor": actor,
        "user": actor.user if actor is not None else None,
        "csrf_token": actor.session.csrf_token if actor is not None and actor.session else "",
        "flash": flash,
        "path": request.url.path,
        "signup_open": settings.signup_open,
        "sends_email": settings.sends_email,
        "quota_withheld": actor is not None and quota_withheld(settings, actor.user),
        **(context or {}),
    }
    response = HTMLResponse(ENVIRONMENT.get_template(template).render(page), status_code=status)
    if clear_flash:
        clear_flash(response)
    return response


def confirm_page(
    request: Request,
    *,
    title: str,
    message: str,
    action: str,
    button: str,
    back: str,
    subject: str = "",
    subject_class: str = "",
) -> HTMLResponse:
    """The page that asks before something that cannot be undone (when the page's script did
    not ask in place): `title` as a question, the `subject` it is about (a prompt, a URL),
    what will happen, a danger `button` posting `confirm=yes` to `action`, and "Keep it"
    back to `back`."""
    context = {
        "title": title,
        "subject": subject,
        "subject_class": subject_class,
        "message": message,
        "action": action,
        "button": button,
        "back": back,
    }
    return render(request, "confirm.html", context)

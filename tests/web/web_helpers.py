"""Helpers for the page tests: a signed-in browser, form tokens, and videos in any state.

Accounts and services come from tests/support.py (make_account, make_services).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient

from reelmint.api.deps import SESSION_COOKIE
from reelmint.bootstrap import Services
from reelmint.db.base import utcnow
from reelmint.domains.accounts.service import (
    start_web_session,
)
from reelmint.domains.videos.models import Video
from reelmint.domains.videos.service import VideoRequest, admit_video, check_video_request

_HIDDEN_TOKEN = re.compile(r'name="csrf_token" value="([^"]*)"')


def form_token(page_html: str) -> str:
    """The CSRF token of the first form on a page."""
    found = _HIDDEN_TOKEN.search(page_html)
    assert found, "the page has no form with a csrf_token field"
    return found.group(1)


def form_key(page_html: str) -> str:
    """The one-time key of the page's form (web/once.py)."""
    found = re.search(r'name="form_key" value="([^"]+)"', page_html)
    assert found, "the page has no form with a form_key field"
    return found.group(1)


@dataclass
class Browser:
    """A TestClient signed in as `account` through a real session cookie."""

    client: TestClient
    account: Any
    csrf: str

    def get(self, path: str, **kwargs: Any) -> Any:
        return self.client.get(path, **kwargs)

    def post(self, path: str, data: dict[str, str] | None = None, **kwargs: Any) -> Any:
        """A form post carrying the session's CSRF token (unless `data` sets its own)."""
        form = {"csrf_token": self.csrf, **(data or {})}
        kwargs.setdefault("follow_redirects", False)
        return self.client.post(path, data=form, **kwargs)


def sign_in(services: Services, client: TestClient, account: Any) -> Browser:
    with services.db.write() as db:
        session, secret = start_web_session(db=db, user=account.user)
    client.cookies.set(SESSION_COOKIE, secret)
    return Browser(client=client, account=account, csrf=session.csrf_token)


def make_video(
    services: Services,
    user: Any,
    *,
    prompt: str = "A red car drives along a city street",
    status: str = "completed",
    published: bool = False,
    published_ago: timedelta = timedelta(0),
    files: tuple[Path, Path] | None = None,
) -> Video:
    """A video row as admission makes it, moved to `status`, optionally with stored files."""
    admission = check_video_request(
        settings=services.settings,
        request=VideoRequest(prompt=prompt, seconds=4, size="480x480", seed=7),
    )
    with services.db.write() as db:
        video = admit_video(db=db, settings=services.settings, user=user, admission=admission)
        video.status = status
        if status == "in_progress":
            video.progress = 40
        if status == "completed":
            video.progress = 100
            video.completed_at = utcnow()
            video.video_key = f"videos/{video.id}/video.mp4"
            video.poster_key = f"videos/{video.id}/poster.jpg"
        if status == "failed":
            video.error_code = "render_failed"
            video.error_message = "the backend crashed; try again"
        if published:
            video.published_at = utcnow() - published_ago
    if files is not None and status == "completed":
        services.storage.put_file(video.video_key, files[0], content_type="video/mp4")
        services.storage.put_file(video.poster_key, files[1], content_type="image/jpeg")
    return video


def make_signed_clip(folder: Path, keys_dir: Path) -> tuple[Path, Path]:
    """A real, signed 4 s 480x480 preview clip and its poster (a few seconds' work)."""
    from reelmint.engine.backends.base import BackendOptions, Size
    from reelmint.engine.pipeline import GenerationRequest, check_request, generate

    out = folder / "clip.mp4"
    checked = check_request(
        GenerationRequest(
            backend="preview",
            size=Size(480, 480),
            seconds=4,
            prompt="A red car drives along a city street",
            seed=7,
            options=BackendOptions(),
        )
    )
    result = generate(checked, out=out, keys_dir=keys_dir)
    return result.path, result.poster_path

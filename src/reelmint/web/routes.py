"""The web pages: one router that gathers the page modules (each uses `PageRoute`)."""

from __future__ import annotations

from fastapi import APIRouter

from reelmint.web import account_pages, token_pages, video_pages

router = APIRouter(include_in_schema=False)
router.include_router(account_pages.router)
router.include_router(video_pages.router)
router.include_router(token_pages.router)

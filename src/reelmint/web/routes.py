"""The web pages: one router that gathers the page modules (each uses `PageRoute`)."""

from __future__ import annotations

from fastapi import APIRouter, Depends

from reelmint.web import (
    account_pages,
    cameo_pages,
    credit_pages,
    email_change_pages,
    invitation_pages,
    notification_pages,
    operator_pages,
    organisation_pages,
    people_pages,
    report_pages,
    settings_pages,
    studio_members,
    studio_pages,
    suspension_pages,
    token_pages,
    video_pages,
    wallet_pages,
    webhook_pages,
)

# Every page's layout shows the unread notifications count (see notification_pages).
router = APIRouter(
    include_in_schema=False, dependencies=[Depends(notification_pages.remember_services)]
)
router.include_router(account_pages.router)
router.include_router(video_pages.router)
router.include_router(token_pages.router)
router.include_router(settings_pages.router)
router.include_router(email_change_pages.router)
router.include_router(notification_pages.router)
router.include_router(invitation_pages.router)
router.include_router(organisation_pages.router)
router.include_router(credit_pages.router)
router.include_router(wallet_pages.router)
router.include_router(studio_pages.router)
router.include_router(studio_members.router)
router.include_router(cameo_pages.router)
router.include_router(people_pages.router)
router.include_router(operator_pages.router)
router.include_router(report_pages.router)
router.include_router(suspension_pages.router)
router.include_router(webhook_pages.router)

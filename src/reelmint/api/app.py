"""The ASGI application: the API, the web pages and the static files, over one Services."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from fastapi import Depends, FastAPI
from fastapi.staticfiles import StaticFiles
from fastapi_offline import FastAPIOffline
from sqlalchemy import text
from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

import reelmint
from reelmint.api.deps import ServicesDep, refuse_foreign_charset, refuse_nul_in_url
from reelmint.api.errors import install_error_handlers
from reelmint.bootstrap import Services
from reelmint.domains.accounts.api import router as accounts_router
from reelmint.domains.accounts.blocks_api import router as blocks_router
from reelmint.domains.accounts.email_change_api import router as email_change_router
from reelmint.domains.accounts.email_confirmation_api import router as email_confirmation_router
from reelmint.domains.accounts.follows_api import router as follows_router
from reelmint.domains.accounts.invitations_api import router as invitations_router
from reelmint.domains.accounts.organisations_api import router as organisations_router
from reelmint.domains.accounts.password_reset_api import router as password_reset_router
from reelmint.domains.accounts.suspension_api import router as suspension_router
from reelmint.domains.cameos.api import router as cameos_router
from reelmint.domains.feed.api import router as feed_router
from reelmint.domains.notifications.api import router as notifications_router
from reelmint.domains.ops.api import router as ops_router
from reelmint.domains.payments.api import router as payments_router
from reelmint.domains.payouts.api import router as payouts_router
from reelmint.domains.rights.api import router as rights_router
from reelmint.domains.videos.api import router as videos_router
from reelmint.domains.wallet.api import router as wallet_router
from reelmint.domains.webhooks.api import router as webhooks_router
from reelmint.web.routes import router as web_router

STATIC = Path(__file__).parent.parent / "web" / "static"


class NoSniff:
    """Adds `X-Content-Type-Options: nosniff` to every HTTP response (the API's JSON, static
    files, pages, errors), so no browser reads a response as a type other than the one it is
    labelled with (an uploaded file, or JSON that echoes user text, run as a script or page).
    A plain ASGI middleware: bodies stream through untouched."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_header(message: Message) -> None:
            if message["type"] == "http.response.start":
                message.setdefault("headers", [])  # ASGI lets a response leave them out
                MutableHeaders(scope=message).setdefault("X-Content-Type-Options", "nosniff")
            await send(message)

        await self.app(scope, receive, send_with_header)


def _outside_everything(app: FastAPI, middleware: Callable[[ASGIApp], ASGIApp]) -> None:
    """Wrap `app`'s whole middleware stack in `middleware`: `add_middleware` would put it
    inside the middleware that answers an unexpected error (500) or a body over the limit
    (413), and those responses would go out without it."""
    build = app.build_middleware_stack

    def build_wrapped() -> ASGIApp:
        return middleware(build())

    app.build_middleware_stack = build_wrapped  # type: ignore[method-assign]


def create_app(services: Services) -> FastAPI:
    # The API reference (/docs, /redoc) with Swagger UI's and ReDoc's files served from here,
    # not a CDN: it works offline, and nothing is fetched at run time.
    app = FastAPIOffline(
        title="reelmint",
        version=reelmint.__version__,
        description="An open, self-hostable AI video platform. The /v1/videos endpoints follow "
        "the OpenAI Videos API, so OpenAI clients work when pointed at this server.",
        dependencies=[Depends(refuse_nul_in_url), Depends(refuse_foreign_charset)],
    )
    app.state.services = services
    install_error_handlers(app)
    _outside_everything(app, NoSniff)
    for router in (accounts_router, videos_router, webhooks_router, web_router):
        app.include_router(router)
    app.include_router(notifications_router)
    app.include_router(wallet_router)
    app.include_router(rights_router)
    app.include_router(payments_router)
    app.include_router(follows_router)
    app.include_router(blocks_router)
    app.include_router(cameos_router)
    app.include_router(feed_router)
    app.include_router(ops_router)
    app.include_router(payouts_router)
    app.include_router(organisations_router)
    app.include_router(invitations_router)
    app.include_router(suspension_router)
    app.include_router(password_reset_router)
    app.include_router(email_confirmation_router)
    app.include_router(email_change_router)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")

    @app.get("/healthz", include_in_schema=False)
    def healthz(services: ServicesDep) -> dict[str, str]:
        """For load balancers: ok when this process can reach the database (503
        `database_unavailable` with Retry-After when it cannot, as every request would)."""
        with services.db.read() as db:
            db.execute(text("SELECT 1"))
        return {"status": "ok", "database": "ok"}

    return app

"""Platform commands: migrate, up, worker, and the operator's `admin` commands.

Scripts rely on these: `admin create-token` prints only the token, every refusal is one line
on stderr with exit code 2.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Literal, NoReturn

import typer

from reelmint.bootstrap import Services, build_services
from reelmint.config import Settings, load_settings
from reelmint.errors import Conflict, NotFound, ServiceError
from reelmint.wording import count_of

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from reelmint.domains.accounts.models import User

admin = typer.Typer(
    help="Operator commands: accounts (and suspending them), tokens, credits, plans, quotas, "
    "characters, moderation (videos, reports) and the email outbox.",
    no_args_is_help=True,
    rich_markup_mode=None,
)


def register(app: typer.Typer) -> None:
    """Add the platform commands to the `reelmint` app."""
    app.command()(migrate)
    app.command()(up)
    app.command()(worker)
    app.add_typer(admin, name="admin")
    from reelmint.economy_cli import register as register_economy

    register_economy(app, admin)
    from reelmint.rights_cli import register as register_rights

    register_rights(app)
    from reelmint.mail_cli import register as register_mail

    register_mail(admin)
    from reelmint.characters_cli import register as register_characters

    register_characters(admin)
    from reelmint.payments_cli import register as register_payments

    register_payments(admin)
    from reelmint.storage_cli import register as register_storage

    register_storage(admin)
    from reelmint.tokens_cli import register as register_tokens

    register_tokens(admin)
    from reelmint.suspension_cli import register as register_suspension

    register_suspension(admin)
    from reelmint.videos_cli import register as register_videos

    register_videos(admin)


QuotaCheck = Literal["record", "check", "skip"]


def open_services(
    settings: Settings | None = None,
    *,
    migrated: bool = True,
    storage_used: bool = False,
    plan_quotas: QuotaCheck = "check",
) -> Services:
    """The services a command works with (settings from the environment); close them after.

    A database that cannot be reached is refused first, in one line naming
    REELMINT_DATABASE_URL (its password hidden). Unless `migrated` is False (`migrate`
    itself), a database that is not at this version's schema is refused with one line saying
    to run `reelmint migrate` (or, if a newer version migrated it, to upgrade reelmint), and a
    SQLite file that does not exist is not created (a typo in REELMINT_DATA_DIR leaves nothing
    behind). With `storage_used` (`up`, `worker`), file storage that cannot be used (a missing
    S3 bucket, credentials refused, an endpoint that does not answer) is refused the same
    way, and so are keys/ that are not the platform's (`reelmint.platform_keys`: the first
    such host records its keys, made if it has none). `plan_quotas`: the configured daily
    quotas are compared with those `up` recorded (`reelmint.plan_quotas`: a cut is refused),
    recorded (`up`, which admits videos) or, where the setting governs nothing (`worker`),
    left alone."""
    from reelmint.plan_quotas import require_plan_quotas
    from reelmint.platform_keys import require_platform_keys
    from reelmint.server import (
        require_current_schema,
        require_reachable_database,
        require_usable_storage,
    )

    settings = settings or load_settings()
    if migrated:
        _refuse_missing_sqlite(settings)
    services = build_services(settings)
    try:
        require_reachable_database(services)
        if migrated:
            require_current_schema(services)
            if plan_quotas != "skip":
                require_plan_quotas(settings, services.db, record=plan_quotas == "record")
        if storage_used:
            require_usable_storage(services)
            require_platform_keys(settings, services.db)
    except BaseException:
        services.close()
        raise
    return services


def _refuse_missing_sqlite(settings: Settings) -> None:
    url = settings.resolved_database_url
    if url.startswith("sqlite:///") and not Path(url.removeprefix("sqlite:///")).exists():
        raise ServiceError(
            f"there is no database at {url.removeprefix('sqlite:///')}; run `reelmint migrate` "
            "first (or point REELMINT_DATA_DIR at the platform's data folder)",
            code="database_not_migrated",
        )


def user_by_email(db: Session, email: str) -> User:
    """The open account with this email: NotFound (`user_not_found`) if there is none, and
    Conflict (`account_closed`) if it was closed, so no command gives a closed account
    credits, a plan, a token, a role or a real address."""
    from reelmint.domains.accounts.service import find_user, require_open

    user = find_user(db=db, email=email)
    if user is None:
        raise NotFound(f"no account with email {email}", code="user_not_found")
    return require_open(user)


def migrate() -> None:
    """Create or upgrade the database schema to this version (safe to run again). A host that
    has its keys records them, so other hosts are checked against this one's."""
    from reelmint.db.migrate import current_revision, upgrade
    from reelmint.platform_keys import record_platform_keys_if_present

    services = open_services(migrated=False)
    try:
        upgrade(services.db)
        record_platform_keys_if_present(services.settings, services.db)
        typer.echo(f"database is at schema revision {current_revision(services.db)}")
    finally:
        services.close()


def up(
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.", min=1, max=65535)] = 8000,
    workers: Annotated[
        int, typer.Option(help="Workers to run in this process (0: only the API).", min=0, max=64)
    ] = 1,
) -> None:
    """Serve the platform (API, web app) with in-process workers; data from REELMINT_DATA_DIR.

    Links the platform writes (emails, the token page's example, payment return pages) use
    REELMINT_PUBLIC_URL; unset, they point at the address served here."""
    from reelmint.server import serve

    settings = served_settings(load_settings(), host=host, port=port)
    services = open_services(settings, storage_used=True, plan_quotas="record")
    try:
        serve(services, host=host, port=port, workers=workers)
    finally:
        services.close()


def note_link_base(settings: Settings) -> None:
    """Say on stderr where printed links point when REELMINT_PUBLIC_URL was not given: `up`
    then serves links at its own address, which this command cannot know."""
    if "public_url" not in settings.model_fields_set:
        typer.echo(
            f"note: links point at {settings.public_url}, the default; set REELMINT_PUBLIC_URL "
            "to the address users reach the server at",
            err=True,
        )


def served_settings(settings: Settings, *, host: str, port: int) -> Settings:
    """`settings` with `public_url` at `host:port` when REELMINT_PUBLIC_URL was not given (an
    address that listens everywhere is reached at this host's loopback; say so)."""
    if "public_url" in settings.model_fields_set:
        return settings
    reach = host
    if host in ("0.0.0.0", "::", ""):
        reach = "127.0.0.1"
        typer.echo(
            f"note: links in emails will point at http://127.0.0.1:{port}; set "
            "REELMINT_PUBLIC_URL to the address users reach this server at",
            err=True,
        )
    elif ":" in host:  # an IPv6 address goes in brackets
        reach = f"[{host}]"
    return settings.model_copy(update={"public_url": f"http://{reach}:{port}"})


def worker(
    concurrency: Annotated[
        int, typer.Option(help="Jobs this host runs at the same time.", min=1, max=64)
    ] = 1,
) -> None:
    """Run workers on this host: they take jobs from the shared database until stopped."""
    from reelmint.server import run_workers

    services = open_services(storage_used=True, plan_quotas="skip")  # admits nothing
    stop = threading.Event()
    try:
        run_workers(services, count=concurrency, stop=stop)
    except (KeyboardInterrupt, SystemExit):
        stop.set()
        raise
    finally:
        services.close()


@admin.command("create-user")
def create_user(
    email: Annotated[str, typer.Argument(help="The account's email.")],
    password: Annotated[str, typer.Option(help="Its password (at least 10 characters).")],
    role: Annotated[str, typer.Option(help="user, rights_holder or admin.")] = "user",
    name: Annotated[str | None, typer.Option(help="Display name.")] = None,
    exists_ok: Annotated[
        bool,
        typer.Option(
            "--exists-ok",
            help="If the account exists, set its password and role (and its name, if given); "
            "every browser signed in to it is signed out.",
        ),
    ] = False,
) -> None:
    """Create an account, its email address confirmed (you vouch for it); prints its id."""
    from reelmint.domains.accounts import service
    from reelmint.domains.accounts.email_confirmation import mark_confirmed

    services = open_services()
    try:
        with services.db.write() as db:
            existing = service.find_user(db=db, email=email)
            if existing is not None and not exists_ok:
                raise Conflict(
                    f"an account with {email} exists; add --exists-ok to set its password and role",
                    code="email_taken",
                )
            if existing is not None:
                service.require_open(existing)
                if name is not None:
                    service.rename(db=db, user=existing, display_name=name)
                ended = service.set_password(db=db, user_id=existing.id, password=password)
                service.set_role(db=db, actor=service.OPERATOR, user_id=existing.id, role=role)
                mark_confirmed(existing)
                user: User = existing
                if ended:
                    signed_out = count_of(ended, "browser session")
                    typer.echo(f"note: signed {email} out of {signed_out}", err=True)
            else:
                user = service.create_user(
                    db=db,
                    email=email,
                    password=password,
                    display_name=name,
                    role=role,
                    email_confirmed=True,
                )
        typer.echo(user.id)
    finally:
        services.close()


@admin.command("confirm-email")
def confirm_email(
    email: Annotated[str, typer.Argument(help="The account whose address you vouch for.")],
) -> None:
    """Mark an account's email address confirmed (you know it is theirs; needed where the
    server sends no email, so no link can reach them); prints its id. Nothing else changes."""
    from reelmint.domains.accounts.email_confirmation import mark_confirmed

    services = open_services()
    try:
        with services.db.write() as db:
            user = user_by_email(db, email)
            mark_confirmed(user)
            user_id = user.id
        typer.echo(user_id)
    finally:
        services.close()


@admin.command("reset-link")
def reset_link(
    email: Annotated[str, typer.Argument(help="The account whose owner forgot the password.")],
) -> None:
    """Print a password reset link to hand to the account's owner yourself (where the server
    sends no email, or it does not arrive). It works once, for REELMINT_PASSWORD_RESET_MINUTES;
    a link emailed earlier stops working. Using it confirms the address: give it only to the
    person you know owns it."""
    from reelmint.domains.accounts.password_reset import operator_reset_link

    services = open_services()
    try:
        with services.db.write() as db:
            path = operator_reset_link(
                db=db, settings=services.settings, user=user_by_email(db, email)
            )
        typer.echo(services.settings.public_url.rstrip("/") + path)
        note_link_base(services.settings)
    finally:
        services.close()


@admin.command("change-email")
def change_email(
    email: Annotated[str, typer.Argument(help="The account's address now.")],
    new_email: Annotated[str, typer.Argument(help="Its new address, which you vouch for.")],
) -> None:
    """Give an account a new email address, confirmed (you know it is theirs; the way to
    change one where the server sends no email); prints its id. Links sent to the old
    address stop working, and a change the user asked for is cancelled."""
    from reelmint.domains.accounts.email_change import set_email

    services = open_services()
    try:
        with services.db.write() as db:
            user = user_by_email(db, email)
            set_email(db=db, user=user, email=new_email)
            user_id = user.id
        typer.echo(user_id)
    finally:
        services.close()


@admin.command("close-account")
def close_account(
    email: Annotated[str, typer.Argument(help="The account to close.")],
    yes: Annotated[bool, typer.Option("--yes", help="Confirm: this cannot be undone.")] = False,
) -> None:
    """Close an account for good (the person's request by other means): delete its videos,
    revoke its cameos, remove its tokens, sessions, webhooks, follows, notifications and email,
    and replace its email, name and password; the ledger keeps its postings. Says what the
    account forfeits (credits, tips) and which of its payouts still wait for you: without
    --yes, says it and changes nothing."""
    from reelmint.domains.accounts.closure import after_closing
    from reelmint.domains.accounts.closure import close_account as close

    services = open_services()
    try:
        if not yes:
            _preview_closing(services, email)
        with services.db.write() as db:
            user = user_by_email(db, email)
            left = _what_closing_leaves(db, user)  # read before: closing removes the email
            closed = close(db=db, user=user)
            user_id = user.id
        after_closing(services, closed)
        typer.echo(
            f"closed {user_id}: {closed.videos_deleted} videos deleted, "
            f"{closed.cameos_revoked} cameos revoked"
        )
        for line in left:
            typer.echo(line)
    finally:
        services.close()


def _preview_closing(services: Services, email: str) -> NoReturn:
    """Print what closing the account would leave (`_what_closing_leaves`) and refuse (400):
    the operator confirms with --yes, knowing it. Changes nothing."""
    from reelmint.errors import BadRequest

    with services.db.read() as db:
        user = user_by_email(db, email)
        left = _what_closing_leaves(db, user, done=False)
        user_id = user.id
    typer.echo(f"closing {user_id} would leave:")
    for line in left:
        typer.echo(line)
    raise BadRequest(f"closing {email} cannot be undone; pass --yes to confirm")


def _what_closing_leaves(db: Session, user: User, *, done: bool = True) -> list[str]:
    """What a closing account gives up (its credits, and its tips not asked for in a payout:
    forfeit, never paid out) and what is still owed to it (its payouts not yet paid or
    rejected, which stay for the operator), as lines for the operator; worded as done, or
    (`done=False`) as what closing would do."""
    from sqlalchemy import select

    from reelmint.domains.accounts.closure import forfeit_of
    from reelmint.domains.payouts.models import Payout
    from reelmint.money import money_text

    forfeited, owed = ("forfeited" if done else "would forfeit"), "still owed"
    gone = "is gone" if done else "will be gone"
    given_up = forfeit_of(db=db, user_id=user.id)
    lines = [
        f"{forfeited}: {given_up.purchased} purchased and {given_up.granted} granted credit "
        f"units, {given_up.tips_available} available and {given_up.tips_pending} pending tip "
        "units"
    ]
    waiting = db.scalars(
        select(Payout)
        .where(
            Payout.payee_kind == "creator",
            Payout.payee_id == user.id,
            Payout.status == "requested",
        )
        .order_by(Payout.created_at, Payout.id)
    ).all()
    for payout in waiting:
        note = " ".join(payout.note.split())
        reach = f'its note: "{note}"' if note else "it left no note"
        lines.append(
            f"{owed}: payout {payout.id}, {payout.units} units "
            f"({money_text(payout.cents, payout.currency)}), waits for you to pay or reject; "
            f"the account's email {gone}, so the payee's note is the only way to reach them "
            f"({reach})"
        )
    if not waiting:
        lines.append(f"{owed}: no payouts waiting")
    return lines


@admin.command("set-member")
def set_member(
    slug: Annotated[str, typer.Argument(help="The organisation's short name.")],
    email: Annotated[str, typer.Argument(help="The member's email.")],
    role: Annotated[str, typer.Option(help="owner or member.")] = "member",
) -> None:
    """Add an account to an organisation, or change its role there (an owner manages the
    organisation's characters and members)."""
    from reelmint.domains.accounts import service

    services = open_services()
    try:
        with services.db.write() as db:
            organisation = service.organisation_by_slug(db=db, slug=slug)
            user = user_by_email(db, email)
            service.add_member(
                db=db, actor=service.OPERATOR, organisation=organisation, user=user, role=role
            )
        typer.echo(f"{email} is now {'an owner' if role == 'owner' else 'a member'} of {slug}")
    finally:
        services.close()


@admin.command("remove-member")
def remove_member(
    slug: Annotated[str, typer.Argument(help="The organisation's short name.")],
    email: Annotated[str, typer.Argument(help="The member's email.")],
) -> None:
    """Take an account out of an organisation (never its last owner)."""
    from reelmint.domains.accounts import service

    services = open_services()
    try:
        with services.db.write() as db:
            organisation = service.organisation_by_slug(db=db, slug=slug)
            user = user_by_email(db, email)
            service.remove_member(
                db=db, actor=service.OPERATOR, organisation=organisation, user=user
            )
        typer.echo(f"{email} is no longer a member of {slug}")
    finally:
        services.close()


@admin.command("create-token")
def create_token(
    email: Annotated[str, typer.Argument(help="Whose token.")],
    name: Annotated[str, typer.Option(help="What the token is for.")] = "cli",
) -> None:
    """Create an API token for an account; prints only the token."""
    from reelmint.domains.accounts import service

    services = open_services()
    try:
        with services.db.write() as db:
            user = user_by_email(db, email)
            _, secret = service.create_api_token(db=db, user=user, name=name)
        typer.echo(secret)
    finally:
        services.close()


@admin.command("create-org")
def create_org(
    name: Annotated[str, typer.Argument(help="The organisation's name.")],
    slug: Annotated[str, typer.Option(help="Its short name in URLs: a-z, 0-9, hyphens.")],
    owner: Annotated[str, typer.Option(help="The email of its first owner.")],
    kind: Annotated[str, typer.Option(help="enterprise or rights_holder.")] = "enterprise",
) -> None:
    """Create an organisation (a rights holder registers and licenses characters); prints its id."""
    from reelmint.domains.accounts import service

    services = open_services()
    try:
        with services.db.write() as db:
            user = user_by_email(db, owner)
            organisation = service.create_organisation(
                db=db, owner=user, name=name, slug=slug, kind=kind
            )
        typer.echo(organisation.id)
    finally:
        services.close()

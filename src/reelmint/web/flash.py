"""One-time messages after a redirect ("Published.").

The cookie carries only a key into `MESSAGES`, never text: a cookie planted by someone else
can at worst show one of our own sentences, and no user input is ever echoed through it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from fastapi import Request, Response
from fastapi.responses import RedirectResponse

from reelmint.api.deps import cookie_name, request_cookie

FLASH_COOKIE = "reelmint_flash"

if TYPE_CHECKING:
    from reelmint.bootstrap import Services

MESSAGES: dict[str, str] = {
    "welcome": "Welcome to reelmint. Describe a video to make your first one.",
    "welcome_confirm": "Welcome to reelmint. We emailed you a link to confirm your address. "
    "Describe a video to make your first one.",
    "welcome_confirm_quota": "Welcome to reelmint. We emailed you a link to confirm your "
    "address: your free daily quota starts once you have opened it.",
    "email_confirmed": "Your email address is confirmed. Thank you.",
    "email_change_sent": "We emailed a link to your new address. Your address changes when "
    "you open it; until then we use the old one.",
    "email_changed": "Your email address is changed. We email the new one from now on.",
    "email_change_cancelled": "The change of email address is cancelled; its link no longer works.",
    "no_email_change": "No change of email address was waiting.",
    "confirmation_sent": "We emailed you a new link to confirm your address; older links no "
    "longer work.",
    "logged_in": "You are signed in.",
    "logged_out": "You are signed out.",
    "created": "Your video is queued. It appears here as it renders.",
    "published": "Published: the video is now in the public feed.",
    "unpublished": "Unpublished: the video is a private draft again.",
    "cancelled": "The video was cancelled.",
    "cancel_requested": "Cancelling: the worker stops the video shortly.",
    "deleted": "The video was deleted.",
    "taken_down": "Taken down: the video left the feed for good, and its owner was told why.",
    "reported": "Reported: the moderators will look at it, and you are told what they decide. "
    "Its creator is never told who reported it.",
    "reported_already": "You reported this video already; the moderators have not decided yet.",
    "reports_dismissed": "Dismissed: each reporter is told, with your reason.",
    "account_suspended": "Suspended: the account cannot sign in and nobody else sees its "
    "videos until you reinstate it. The person is emailed your reason.",
    "account_reinstated": "Reinstated: the account can sign in again and its published videos "
    "are public again. The person is told.",
    "token_revoked": "The token was revoked: requests using it are now refused.",
    "token_already_made": "That form already made its token, and its secret was shown once, on "
    "the page that made it. If you did not copy it, revoke that token and make another.",
    "tipped": "Tipped: the creator is told, and your purchased credits paid it.",
    "tipped_holder": "Tipped: the rights holder that monetizes this video gets it, the creator "
    "is told, and your purchased credits paid it.",
    "followed": "Followed: their published videos now appear in your Following feed.",
    "unfollowed": "Unfollowed: their videos no longer appear in your Following feed.",
    "blocked": "Blocked: neither of you can follow, like, remix, tip or use the other's cameo, "
    "and their videos leave your feed. They are not told.",
    "unblocked": "Unblocked: you can interact again. Follows the block ended do not come back.",
    "timezone_saved": "Your time zone was saved. Your daily quota follows it from the end of "
    "the quota day you are in, so no units are lost or gained.",
    "renamed": "Your name was changed: others see it on your videos and profile.",
    "password_changed": "Your password was changed; every other browser was signed out.",
    "signed_out_others": "Every other browser signed in to your account is signed out.",
    "no_other_browsers": "No other browser was signed in to your account.",
    "signed_out_browser": "That browser is signed out.",
    "reset_requested_no_email": "If an account exists for that address, a link to choose a new "
    "password waits in this server's outbox: it sends no email, so ask its operator for it (or "
    "for a new one: reelmint admin reset-link).",
    "reset_requested": "If an account exists for that address, we emailed it a link to choose "
    "a new password. Check your inbox (and spam folder); the link works once.",
    "password_reset": "Your password was changed and you are signed in; every other browser "
    "was signed out.",
    "social_notifications_on": "You will be told of new followers and of your videos' likes.",
    "social_notifications_off": "You will no longer be told of new followers or of likes.",
    "account_closed": "Your account was closed: your videos, cameos and details are gone.",
    "payout_requested": "Payout requested: the units are set aside until the operator pays it; "
    "you are told when it is paid or rejected.",
    "payout_cancelled": "The payout was cancelled: its units are available again.",
    "payout_paid": "Marked paid: the payee is told, with your reference.",
    "payout_rejected": "Rejected: the payee is told why, and the units are theirs again.",
    "member_invited": "Invited: they are told in the app (and by email once they have confirmed "
    "their address), and become members when they accept.",
    "invitation_unchanged": "They are already invited in that role: nothing changed.",
    "invitation_withdrawn": "The invitation was withdrawn: it can no longer be accepted.",
    "invitation_accepted": "Welcome: you are now a member of the organisation.",
    "invitation_accepted_owner": "Welcome: you are now an owner of the organisation: you can "
    "change its members and ask for its payouts.",
    "invitation_declined": "Declined: you did not join, and nobody was told.",
    "member_made_owner": "Made an owner: they can now change the members and ask for payouts.",
    "member_made_member": "Made a member: they can no longer change the members or ask for "
    "payouts, and the invitations they sent were withdrawn.",
    "member_removed": "Removed: they no longer see the organisation in their studio, and the "
    "invitations they sent were withdrawn.",
    "member_unchanged": "They are already in the organisation in that role: nothing changed.",
    "character_registered": "Registered: prompts that name the character now meet its policy, "
    "audience and fee.",
    "character_retired": "Retired: prompts no longer name the character, and it left the "
    "catalogue.",
    "character_retired_claims": "Retired: prompts no longer name the character, it left the "
    "catalogue, and its claims were withdrawn (each uploader was told).",
    "claim_made": "Claimed: the uploader was told, and may dispute the claim once.",
    "claim_upheld": "Upheld: the claim stays in force, and the uploader was told.",
    "claim_released": "Released: the claim no longer has effect, and the uploader was told.",
    "claim_disputed": "Disputed: the rights holder was told and has a set time to answer; "
    "the claim keeps its effect until then.",
    "notifications_read": "All your notifications are marked read.",
    "organisation_left": "You left the organisation: you are no longer one of its members.",
    "webhook_deleted": "The webhook endpoint was deleted: nothing more is sent to it, and "
    "its undelivered events went with it.",
    "webhook_test_queued": "A test event (webhook.test) is queued for the endpoint; it is "
    "sent even while the endpoint is turned off. Reload this page to see how it went.",
    "webhook_enabled": "The endpoint is on: events from now on are sent to it. Events it "
    "missed while it was off are not sent.",
    "statement_link_damaged": "That link to older movements was damaged (cut short?), so "
    "the statement starts from the newest again.",
    "payment_problem_settled": "The payment problem is marked settled: it is listed under "
    "Settled, with your note.",
    "webhook_already_added": "That form already added the endpoint, and its signing secret "
    "was shown once, on the page that added it. If you did not copy it, open the endpoint and "
    "make a new secret.",
    "webhook_secret_already_rotated": "That form already gave the endpoint a new secret, "
    "and it was shown once, on the page that made it. If you did not copy it, make "
    "another new secret.",
}


def set_flash(response: Response, key: str, *, secure: bool) -> None:
    """Show message `key` on the next page this browser renders."""
    if key not in MESSAGES:
        raise ValueError(f"no flash message {key!r}")
    response.set_cookie(
        cookie_name(FLASH_COOKIE, secure=secure),
        key,
        max_age=120,
        httponly=True,
        samesite="lax",
        secure=secure,
        path="/",
    )


def flash_redirect(services: Services, target: str, key: str) -> RedirectResponse:
    """`redirect_with_flash`, its cookie secure as the settings say."""
    return redirect_with_flash(target, key, secure=services.settings.secure_cookies)


def redirect_with_flash(target: str, key: str, *, secure: bool) -> RedirectResponse:
    """A 303 to `target` (a path on this site) that shows message `key` there."""
    response = RedirectResponse(target, status_code=303)
    set_flash(response, key, secure=secure)
    return response


def pop_flash(request: Request) -> tuple[str | None, Callable[[Response], None] | None]:
    """The pending message, and how to clear it from the response that shows it."""
    key = request_cookie(request, FLASH_COOKIE)
    if key is None:
        return None, None
    secure = bool(request.app.state.services.settings.secure_cookies)
    name = cookie_name(FLASH_COOKIE, secure=secure)

    def clear(response: Response) -> None:
        response.delete_cookie(name, path="/", httponly=True, samesite="lax", secure=secure)

    return MESSAGES.get(key), clear

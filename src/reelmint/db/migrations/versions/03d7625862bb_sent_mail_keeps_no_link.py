"""sent mail keeps no link

Links carry tokens (a password reset, an email confirmation, a change of address) that work
until they expire (the mails with `expires_at`); the mailer now drops such a link once the mail
is sent. This clears those links of mail sent before it did (to "", what the mailer leaves); a
notification's link to a page stays, and a mail that never had a link keeps NULL. A downgrade cannot bring them back, and need not: they were sent.

Revision ID: 03d7625862bb
Revises: 22ff11466f70
Create Date: 2026-11-24 14:15:56.049562
"""

from __future__ import annotations

from alembic import op

revision = "03d7625862bb"
down_revision = "22ff11466f70"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute(
        "UPDATE email_messages SET link = '' WHERE status = 'sent' AND link IS NOT NULL"
        " AND expires_at IS NOT NULL"
    )


def downgrade() -> None:
    pass  # the links are gone; the mailer before this version never reads a sent mail's link

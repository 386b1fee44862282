"""In-app notifications and the email outbox that carries them to people's inboxes.

`service.notify` writes a notification (and, usually, an email) in the caller's transaction;
`mailer.py` sends the emails over SMTP, with leases and retries, from a background thread.
"""

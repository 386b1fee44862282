"""The public feed: published videos, newest first."""

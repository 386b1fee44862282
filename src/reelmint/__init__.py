"""reelmint: an open, self-hostable AI video platform."""

__version__ = "0.1.0"

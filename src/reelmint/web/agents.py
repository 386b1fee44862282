"""A browser's name as people say it ("Firefox on Linux"), from the User-Agent it signed in
with: enough for Settings to tell the signed-in browsers apart, nothing more. Unknown or
missing parts read as such rather than guessed."""

from __future__ import annotations

# Order matters: Edge and Opera also say "Chrome/", and Chrome also says "Safari/".
_BROWSERS: tuple[tuple[str, str], ...] = (
    ("Edg/", "Edge"),
    ("EdgA/", "Edge"),
    ("OPR/", "Opera"),
    ("SamsungBrowser/", "Samsung Internet"),
    ("Firefox/", "Firefox"),
    ("FxiOS/", "Firefox"),
    ("CriOS/", "Chrome"),
    ("Chromium/", "Chromium"),
    ("Chrome/", "Chrome"),
    ("Safari/", "Safari"),
    ("curl/", "curl"),
)
# Order matters: Android says "Linux", iPhones and iPads say "Mac OS X".
_SYSTEMS: tuple[tuple[str, str], ...] = (
    ("Android", "Android"),
    ("iPhone", "iPhone"),
    ("iPad", "iPad"),
    ("Windows", "Windows"),
    ("CrOS", "ChromeOS"),
    ("Mac OS X", "macOS"),
    ("Macintosh", "macOS"),
    ("Linux", "Linux"),
)


def browser_name(user_agent: str | None) -> str:
    """ "Firefox on Linux", "Chrome on Android", "Safari", or "An unknown browser"."""
    if not user_agent:
        return "An unknown browser"
    browser = _first(_BROWSERS, user_agent)
    system = _first(_SYSTEMS, user_agent)
    if browser and system:
        return f"{browser} on {system}"
    if browser:
        return browser
    return f"A browser on {system}" if system else "An unknown browser"


def _first(known: tuple[tuple[str, str], ...], user_agent: str) -> str | None:
    return next((name for mark, name in known if mark in user_agent), None)

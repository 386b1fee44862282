"""The API reference pages work offline: Swagger UI's and ReDoc's files come from this host."""

from __future__ import annotations

import re


def test_the_api_reference_loads_its_files_from_this_host(client):
    for page in ("/docs", "/redoc"):
        html = client.get(page)
        assert html.status_code == 200
        sources = re.findall(r'(?:src|href)="([^"]+\.(?:js|css))"', html.text)
        assert sources, f"{page} names no script or style"
        for source in sources:
            assert source.startswith("/static-offline-docs/"), f"{page} loads {source}"
            served = client.get(source)
            assert served.status_code == 200
            assert len(served.content) > 10_000  # the real bundle, not an error page
        assert "cdn.jsdelivr.net" not in html.text
        assert "fonts.googleapis.com" not in html.text
    assert client.get("/openapi.json").json()["info"]["title"] == "reelmint"

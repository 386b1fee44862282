"""The operator's page: the economics view, for administrators only."""

from __future__ import annotations

from web_helpers import sign_in

from support import make_account, make_services


def test_the_operator_page_is_for_administrators(services, client):
    admin = make_account(services, "root@example.com", role="admin")
    page = sign_in(services, client, admin).get("/operator?days=7")
    assert page.status_code == 200
    assert 'href="/operator"' in page.text  # in the navigation, for administrators
    assert 'aria-current="page">7 days' in page.text
    assert 'data-backend="wan"' in page.text
    assert "REELMINT_GPU_HOUR_COST_CENTS" in page.text  # the cost is not set: said so
    assert 'data-role="margin">—' in page.text
    assert 'data-label="Cost">not set</td>' in page.text  # not "0.00 USD"
    assert "0.00 USD</td>" not in page.text
    odd = sign_in(services, client, admin).get("/operator?days=week")
    assert odd.status_code == 400
    assert "Days must be a whole number, such as 30." in odd.text  # not pydantic's words
    client.cookies.clear()
    someone = make_account(services, "someone@example.com")
    browser = sign_in(services, client, someone)
    assert browser.get("/operator").status_code == 403
    assert 'href="/operator"' not in browser.get("/").text


def test_with_a_price_the_page_shows_cost_and_margin(tmp_path, database_url):
    from fastapi.testclient import TestClient

    from reelmint.api.app import create_app

    priced = make_services(tmp_path, database_url, gpu_hour_cost_cents=250)
    try:
        admin = make_account(priced, "root@example.com", role="admin")
        with TestClient(create_app(priced)) as client:
            page = sign_in(priced, client, admin).get("/operator")
        assert "2.50 USD an hour" in page.text
        assert 'data-role="margin">0.00 USD' in page.text
        assert "REELMINT_GPU_HOUR_COST_CENTS" not in page.text
        assert 'data-label="Cost">0.00 USD</td>' in page.text
    finally:
        priced.close()

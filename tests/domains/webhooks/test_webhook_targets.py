"""Which URLs webhooks may reach: http(s), well-formed, and public unless the operator allows."""

from __future__ import annotations

import ipaddress
import socket

import pytest

from reelmint.domains.webhooks import targets
from reelmint.domains.webhooks.targets import check_webhook_url, forbidden_reason
from reelmint.errors import BadRequest


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1/hooks",
        "http://127.8.9.10:8080/",
        "http://10.0.0.5/hooks",
        "http://172.16.3.4/",
        "http://192.168.1.1/",
        "http://[::1]/hooks",
        "http://[::ffff:127.0.0.1]/",
        "http://[fd00::1]/",
        "http://[fe80::1]/",
        "http://169.254.169.254/latest/meta-data/",
        "http://0.0.0.0/",
        "http://2130706433/",  # 127.0.0.1 written as one number
        "http://100.64.0.1/",  # carrier-grade NAT
        "http://224.0.0.1/",
        "http://240.0.0.1/",
        "http://localhost:8000/hooks",  # a host name that resolves to loopback
    ],
)
def test_private_and_special_targets_are_refused(url):
    with pytest.raises(BadRequest) as caught:
        check_webhook_url(url, allow_private=False)
    assert caught.value.code == "webhook_target_forbidden"
    assert caught.value.param == "url"
    assert "public address" in caught.value.message


def test_a_name_is_refused_if_any_of_its_addresses_is_private(monkeypatch):
    monkeypatch.setattr(targets, "resolve_addresses", lambda host, port: ["8.8.8.8", "10.1.2.3"])
    with pytest.raises(BadRequest) as caught:
        check_webhook_url("https://mixed.example.com/hook", allow_private=False)
    assert caught.value.code == "webhook_target_forbidden"
    assert "10.1.2.3" in caught.value.message


def test_a_name_that_does_not_resolve_is_refused_as_not_found_not_as_forbidden(monkeypatch):
    """A typo or a DNS failure is not an SSRF refusal: its own code, and a message that says
    the host name could not be found and to check it."""

    def no_such_name(*args, **kwargs):
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")

    monkeypatch.setattr(socket, "getaddrinfo", no_such_name)  # no real DNS in a unit test
    with pytest.raises(BadRequest) as caught:
        check_webhook_url("https://no-such-host.invalid/hook", allow_private=False)
    assert (caught.value.code, caught.value.param) == ("webhook_target_unresolvable", "url")
    message = caught.value.message
    assert "no-such-host.invalid could not be found" in message
    assert "check the host name" in message
    assert "public address" not in message


def test_a_name_with_no_address_is_unresolvable(monkeypatch):
    monkeypatch.setattr(targets, "resolve_addresses", lambda host, port: [])
    with pytest.raises(BadRequest) as caught:
        check_webhook_url("https://empty.example.com/hook", allow_private=False)
    assert caught.value.code == "webhook_target_unresolvable"
    assert "empty.example.com could not be found" in caught.value.message


def test_public_targets_are_accepted(monkeypatch):
    assert check_webhook_url(" https://8.8.8.8/hook ", allow_private=False) == (
        "https://8.8.8.8/hook"
    )
    monkeypatch.setattr(targets, "resolve_addresses", lambda host, port: ["93.184.216.34"])
    url = "https://hooks.example.com:8443/reelmint?tenant=7"
    assert check_webhook_url(url, allow_private=False) == url


def test_the_operator_may_allow_private_targets():
    url = "http://127.0.0.1:9000/hooks"
    assert check_webhook_url(url, allow_private=True) == url


@pytest.mark.parametrize(
    ("url", "words"),
    [
        ("", "give the URL"),
        ("ftp://example.com/x", "https:// or http://, not ftp://"),
        ("file:///etc/passwd", "https://"),
        ("example.com/hooks", "the URL must start with https:// or http://"),
        ("https://", "no host"),
        ("https://user:secret@example.com/hook", "user name or password"),
        ("https://example.com/a b", "spaces"),
        ("https://example.com/" + "a" * 2000, "at most 2000"),
        ("http://[::1/", "cannot be parsed"),
        ("https://93.184.216.34:99999/x", "port 99999 is not a port: use 1 to 65535"),
        ("https://example.com:0/x", "port 0 is not a port"),
        ("https://example.com:-1/x", "port -1 is not a port"),
    ],
)
def test_malformed_urls_are_refused_with_what_to_change(url, words):
    with pytest.raises(BadRequest) as caught:
        check_webhook_url(url, allow_private=True)
    assert caught.value.code == "invalid_webhook_url"
    assert words in caught.value.message


def test_a_url_of_exactly_the_limit_is_accepted():
    url = "https://8.8.8.8/" + "a" * (2000 - len("https://8.8.8.8/"))
    assert len(url) == 2000
    assert check_webhook_url(url, allow_private=False) == url


@pytest.mark.parametrize(
    ("address", "public"),
    [
        ("8.8.8.8", True),
        ("2606:4700:4700::1111", True),
        ("127.0.0.1", False),
        ("10.0.0.1", False),
        ("169.254.169.254", False),
        ("::1", False),
        ("::ffff:10.0.0.1", False),
        ("2002:7f00:1::", False),  # 6to4 wrapping 127.0.0.1
        ("ff02::1", False),
        ("192.0.2.1", False),  # documentation range
    ],
)
def test_forbidden_reason_names_special_addresses(address, public):
    assert (forbidden_reason(ipaddress.ip_address(address)) is None) is public

"""Where webhooks may be sent: URL rules and the guard against server-side request forgery.

A webhook makes the server send requests to a URL a user chose. Unchecked, a user could aim it
at the operator's own network (a database admin page, a cloud metadata service at
169.254.169.254). So, unless the operator allows private targets:

- at registration, the URL's host must resolve only to public addresses;
- at delivery, the connection itself is guarded: the host is resolved once, every address is
  checked, and the socket connects to the checked address (TLS still verifies the host name).
  DNS can change between registration and delivery, or between a check and the connection
  (DNS rebinding); checking the address actually connected to closes both gaps.

URLs are parsed with httpx's parser, the one the client uses, so the check and the request
cannot disagree on what the host is.

Every delivery attempt also runs under a deadline (`attempt_deadline`): the connection, the
request and the whole answer must fit in it together. httpx's own timeouts bound each socket
operation only, so a receiver sending its answer a byte at a time could otherwise hold a
sender for as long as it liked.
"""

from __future__ import annotations

import ipaddress
import socket
import time
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any, NoReturn

import httpcore
import httpx

from reelmint.errors import BadRequest

MAX_PORT = 65_535
MAX_URL_LENGTH = 2000
ALLOWED_SCHEMES = frozenset({"http", "https"})

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


class TargetForbidden(Exception):
    """The destination is on an address webhooks may not reach."""


class TargetUnresolvable(TargetForbidden):
    """The destination's host name has no address (a typo, or its DNS failing): nothing to
    refuse as private, but nothing to reach either."""


def check_webhook_url(url: str, *, allow_private: bool) -> str:
    """The URL, checked: http(s), at most 2,000 characters, and public unless allowed.

    Raises BadRequest `invalid_webhook_url` for a malformed URL, `webhook_target_unresolvable`
    for a host name that cannot be found, and `webhook_target_forbidden` for one that reaches
    a private, loopback, link-local, multicast or reserved address.
    """
    url = url.strip()
    parsed = parse_webhook_url(url)
    if not allow_private:
        host = parsed.raw_host.decode("ascii")
        port = parsed.port or (443 if parsed.scheme == "https" else 80)
        try:
            check_host(host, port)
        except TargetUnresolvable as exc:
            raise BadRequest(
                f"webhook URL {url!r} is refused: {exc}; check the host name for typos (or, "
                "if it is right, that its DNS records exist) and try again",
                code="webhook_target_unresolvable",
                param="url",
            ) from None
        except TargetForbidden as exc:
            raise BadRequest(
                f"webhook URL {url!r} is refused: {exc}; webhooks must reach a public address",
                code="webhook_target_forbidden",
                param="url",
            ) from None
    return url


def parse_webhook_url(url: str) -> httpx.URL:
    """The URL parsed, or BadRequest `invalid_webhook_url` saying what is wrong with it."""
    if not url:
        _invalid("give the URL that should receive events, e.g. https://example.com/hooks")
    if len(url) > MAX_URL_LENGTH:
        _invalid(f"the URL has {len(url)} characters; at most {MAX_URL_LENGTH} are allowed")
    if any(ch.isspace() or ord(ch) < 32 or ord(ch) == 127 for ch in url):
        _invalid("the URL contains spaces or control characters; percent-encode them")
    try:
        parsed = httpx.URL(url)
    except (httpx.InvalidURL, ValueError, TypeError) as exc:
        _invalid(f"the URL cannot be parsed ({exc})")
    if parsed.scheme not in ALLOWED_SCHEMES:
        _invalid(
            f"the URL must start with https:// or http://, not {parsed.scheme}://"
            if parsed.scheme
            else "the URL must start with https:// or http://"
        )
    if not parsed.raw_host:
        _invalid("the URL has no host name")
    if parsed.port is not None and not 1 <= parsed.port <= MAX_PORT:
        _invalid(f"the URL's port {parsed.port} is not a port: use 1 to {MAX_PORT}, or none")
    if parsed.userinfo:
        _invalid(
            "the URL must not contain a user name or password: deliveries are authenticated by "
            "their signature (check the webhook-signature header)"
        )
    return parsed


def _invalid(message: str) -> NoReturn:
    raise BadRequest(message, code="invalid_webhook_url", param="url")


def check_host(host: str, port: int) -> list[str]:
    """The host's addresses, if every one is public; TargetForbidden otherwise.

    All addresses must pass, not just one: a client may connect to any of them.
    """
    addresses = resolve_addresses(host, port)
    if not addresses:
        raise TargetUnresolvable(f"the host name {host} could not be found (it has no address)")
    for address in addresses:
        reason = forbidden_reason(ipaddress.ip_address(address))
        if reason is not None:
            raise TargetForbidden(f"{host} resolves to {address}, {reason}")
    return addresses


def resolve_addresses(host: str, port: int) -> list[str]:
    """Every address `host` resolves to (a literal address resolves to itself).

    The one place DNS is asked, so tests can stand in for it.
    """
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError, ValueError) as exc:  # gaierror, an over-long label, ...
        raise TargetUnresolvable(f"the host name {host} could not be found ({exc})") from None
    addresses: list[str] = []
    for info in infos:
        address = str(info[4][0]).split("%", 1)[0]  # drop an IPv6 zone (fe80::1%eth0)
        if address not in addresses:
            addresses.append(address)
    return addresses


def forbidden_reason(address: IPAddress) -> str | None:
    """Why webhooks may not reach `address`, or None if it is an ordinary public address."""
    if isinstance(address, ipaddress.IPv6Address):
        embedded = address.ipv4_mapped or address.sixtofour
        if embedded is not None:
            return forbidden_reason(embedded)
    checks = (
        (address.is_loopback, "a loopback address"),
        (address.is_unspecified, "an unspecified address"),
        (address.is_link_local, "a link-local address (cloud metadata lives there)"),
        (address.is_multicast, "a multicast address"),
        (address.is_private, "a private address"),
        (address.is_reserved, "a reserved address"),
        (not address.is_global, "not a public address"),
    )
    for failed, reason in checks:
        if failed:
            return reason
    return None


# --- the attempt's deadline ------------------------------------------------------------------

_deadline: ContextVar[float | None] = ContextVar("webhook_attempt_deadline", default=None)


@contextmanager
def attempt_deadline(seconds: float) -> Iterator[None]:
    """Inside it, this thread's webhook requests must be done within `seconds`, all together:
    connecting, the TLS handshake, sending the request and reading the answer. Past it, the
    next socket operation times out (httpx.TimeoutException), however little the receiver
    sends at a time. (A host name's DNS lookup is the resolver's to bound.)"""
    token = _deadline.set(time.monotonic() + seconds)
    try:
        yield
    finally:
        _deadline.reset(token)


def _time_left(timeout: float | None, late: type[Exception]) -> float | None:
    """The timeout a socket operation may use now: its own, cut to what is left of the
    attempt's deadline; `late` is raised once nothing is left."""
    end = _deadline.get()
    if end is None:
        return timeout
    left = end - time.monotonic()
    if left <= 0:
        raise late("the attempt's deadline has passed")
    return left if timeout is None else min(timeout, left)


class _DeadlineStream(httpcore.NetworkStream):
    """A connection whose every operation ends by the deadline of the attempt using it (read
    at each call: a kept-alive connection serves several attempts)."""

    def __init__(self, stream: httpcore.NetworkStream) -> None:
        self._stream = stream

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return self._stream.read(max_bytes, _time_left(timeout, httpcore.ReadTimeout))

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        self._stream.write(buffer, _time_left(timeout, httpcore.WriteTimeout))

    def close(self) -> None:
        self._stream.close()

    def start_tls(
        self,
        ssl_context: Any,
        server_hostname: str | None = None,
        timeout: float | None = None,
    ) -> httpcore.NetworkStream:
        left = _time_left(timeout, httpcore.ConnectTimeout)
        return _DeadlineStream(self._stream.start_tls(ssl_context, server_hostname, left))

    def get_extra_info(self, info: str) -> Any:
        return self._stream.get_extra_info(info)


class DeadlineBackend(httpcore.SyncBackend):
    """A network backend whose connections keep to the attempt's deadline."""

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Any = None,
    ) -> httpcore.NetworkStream:
        stream = super().connect_tcp(
            host,
            port,
            timeout=_time_left(timeout, httpcore.ConnectTimeout),
            local_address=local_address,
            socket_options=socket_options,
        )
        return _DeadlineStream(stream)


# --- the guarded connection -------------------------------------------------------------------


class GuardedBackend(DeadlineBackend):
    """A network backend that connects only to checked public addresses.

    httpcore asks it for a TCP connection to (host, port); it resolves the host itself,
    refuses the lot if any address is not public, and connects to a checked address. TLS is
    started by httpcore afterwards with the original host name (SNI and certificate checks).
    """

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Any = None,
    ) -> httpcore.NetworkStream:
        addresses = check_host(host, port)
        last_error: Exception | None = None
        for address in addresses:
            try:
                return super().connect_tcp(
                    address,
                    port,
                    timeout=timeout,
                    local_address=local_address,
                    socket_options=socket_options,
                )
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as exc:
                last_error = exc
        assert last_error is not None
        raise last_error


class _WebhookTransport(httpx.HTTPTransport):
    """httpx's own transport, with its connection pool on `backend`."""

    def __init__(self, backend: httpcore.NetworkBackend) -> None:
        super().__init__(trust_env=False, retries=0)
        self._pool = httpcore.ConnectionPool(
            ssl_context=httpx.create_ssl_context(),
            retries=0,
            network_backend=backend,
        )


def webhook_client(*, timeout: float, user_agent: str, allow_private: bool) -> httpx.Client:
    """The HTTP client deliveries are sent with: no redirects, no proxies from the environment.

    Redirects are not followed (a receiver could otherwise bounce us to an internal address,
    and a moved endpoint should be re-registered); environment proxies are ignored so the
    guard checks the receiver itself, not a proxy. Its connections keep to `attempt_deadline`.
    """
    backend = DeadlineBackend() if allow_private else GuardedBackend()
    return httpx.Client(
        transport=_WebhookTransport(backend),
        timeout=timeout,
        follow_redirects=False,
        trust_env=False,
        headers={"User-Agent": user_agent},
    )

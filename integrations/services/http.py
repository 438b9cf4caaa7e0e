"""Outgoing HTTP for webhooks, to public addresses only.

The host is resolved once, *every* address it resolves to is checked (a name with
one public and one private address is refused), and the connection is made to
the checked address itself, so a DNS answer that changes between the check and
the connect (rebinding) cannot reach an internal service. TLS still verifies the
certificate against the host name."""
from __future__ import annotations

import http.client
import ipaddress
import socket
import ssl
import threading
import time
from urllib.parse import urlsplit

from django.utils.translation import gettext as _


class Refused(Exception):
    """The URL may not be called (scheme, or a loopback / private / reserved address)."""


def _is_public(ip: ipaddress._BaseAddress) -> bool:
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped:
        ip = ip.ipv4_mapped
    return ip.is_global and not (ip.is_multicast or ip.is_reserved or ip.is_loopback or ip.is_link_local)


def resolve(host: str, port: int, *, allow_private: bool) -> str:
    """The address to connect to; raises Refused when any address of ``host`` is not public."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:  # UnicodeError: a label IDNA cannot encode
        raise Refused(_("The host %(host)s cannot be resolved.") % {"host": host}) from exc
    addresses = [ipaddress.ip_address(info[4][0].split("%", 1)[0]) for info in infos]
    if not addresses:
        raise Refused(_("The host %(host)s cannot be resolved.") % {"host": host})
    if not allow_private:
        for ip in addresses:
            if not _is_public(ip):
                raise Refused(_("%(host)s resolves to %(ip)s, which is not a public address.")
                              % {"host": host, "ip": ip})
    return str(addresses[0])


def _split(url: str) -> tuple[str, str, int, str]:
    try:
        parts = urlsplit(url)
        port = parts.port or (443 if parts.scheme == "https" else 80)  # .port raises on "host:99999"
    except ValueError:
        raise Refused(_("Use an http:// or https:// URL.")) from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise Refused(_("Use an http:// or https:// URL."))
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    return parts.scheme, parts.hostname, port, path


def check_url(url: str, *, allow_private: bool) -> None:
    scheme, host, port, _path = _split(url)
    resolve(host, port, allow_private=allow_private)


def post(url: str, *, body: bytes, headers: dict[str, str], timeout: float, allow_private: bool) -> int:
    """POST and return the response status. Raises Refused, or OSError (timeout,
    connection or TLS error). Redirects are not followed (the target is not re-checked).

    ``timeout`` is the whole exchange's deadline — connect, TLS, sending, the answer's
    status line, headers and body together —, not each socket operation's: a server that
    trickles a byte a second never holds a worker longer than ``timeout``. A watchdog
    shuts the socket down at the deadline; the blocked read then fails and the call
    raises TimeoutError."""
    scheme, host, port, path = _split(url)
    deadline = time.monotonic() + timeout
    address = resolve(host, port, allow_private=allow_private)

    def remaining() -> float:
        left = deadline - time.monotonic()
        if left <= 0:
            raise TimeoutError(f"timed out: no complete answer within {timeout:g} s")
        return left

    if scheme == "https":
        conn = http.client.HTTPSConnection(host, port, timeout=timeout, context=ssl.create_default_context())
    else:
        conn = http.client.HTTPConnection(host, port, timeout=timeout)
    # Connect to the checked address; the Host header and TLS name stay the host's.
    conn._create_connection = lambda _addr, _t, src=None: socket.create_connection((address, port), remaining(), src)
    expired = threading.Event()

    def cut() -> None:
        expired.set()
        sock = conn.sock
        if sock is not None:
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass  # already closed

    watchdog = threading.Timer(max(deadline - time.monotonic(), 0), cut)
    watchdog.daemon = True
    watchdog.start()
    try:
        conn.request("POST", path, body=body, headers=headers)
        response = conn.getresponse()
        response.read(64 * 1024)
        remaining()  # the last byte came after the deadline
        return response.status
    except (OSError, http.client.HTTPException) as exc:
        if expired.is_set() or isinstance(exc, TimeoutError):
            raise TimeoutError(f"timed out: no complete answer within {timeout:g} s") from exc
        if isinstance(exc, http.client.HTTPException):
            raise OSError(f"{type(exc).__name__}: {exc}") from exc
        raise
    finally:
        watchdog.cancel()
        conn.close()

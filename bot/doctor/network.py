"""Network failures in one human line: which host, and the likely cause (no traceback)."""

from __future__ import annotations

import ssl
from urllib.parse import urlsplit

import aiohttp

NETWORK_ERRORS: tuple[type[BaseException], ...] = (aiohttp.ClientError, OSError, TimeoutError)


def host_of(url: str) -> str:
    """The host name of a URL, for messages."""
    return urlsplit(url).hostname or url


def likely_cause(error: BaseException) -> str:
    """Why a connection most likely failed, in words an owner can act on."""
    if isinstance(error, aiohttp.ClientConnectorError) and not isinstance(
        error, aiohttp.ClientConnectorDNSError | aiohttp.ClientConnectorCertificateError
    ):
        if isinstance(error.os_error, ConnectionRefusedError):
            return "the connection was refused: nothing listens there, or a firewall says no"
        return f"the connection failed ({error.os_error.strerror or 'network unreachable'})"
    for kinds, cause in _CAUSES:
        if isinstance(error, kinds):
            return cause
    return f"a network error ({type(error).__name__})"


_CAUSES: tuple[tuple[type[BaseException] | tuple[type[BaseException], ...], str], ...] = (
    (
        aiohttp.ClientConnectorDNSError,
        "the name could not be resolved: no network, or DNS is not working",
    ),
    (
        (aiohttp.ClientConnectorCertificateError, ssl.SSLError),
        "the TLS certificate was refused: check the system clock, or a proxy that intercepts HTTPS",
    ),
    (
        (TimeoutError, aiohttp.ServerTimeoutError),
        "no answer in time: the network is down or a firewall drops the traffic",
    ),
    (
        aiohttp.ServerDisconnectedError,
        "the server hung up: a proxy or firewall may be cutting the connection",
    ),
)


def describe(error: BaseException, url: str) -> str:
    """One line: cannot reach <host>: <likely cause>."""
    return f"cannot reach {host_of(url)}: {likely_cause(error)}"

"""Small network helpers that the client and the sandbox share (standard library, httpx for the admin calls)."""
from __future__ import annotations

import ipaddress
from typing import Any
from urllib.parse import urlsplit

__all__ = ["is_loopback_host", "sandbox_admin"]


def is_loopback_host(host: str) -> bool:
    """True for ``localhost`` and loopback addresses (127.0.0.0/8, ::1), brackets allowed."""
    host = host.strip("[]")
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def sandbox_admin(url: str, action: str, *, method: str = "GET", json: Any = None,
                  timeout: float = 10.0):
    """One call to the sandbox's admin endpoints at ``url``: ``action`` is ``info``, ``faults``,
    ``counters``, ``reset`` or ``scenario/<name>``. Returns the ``httpx.Response``; callers read the
    status they care about. Only loopback (the endpoints answer nowhere else), and no proxy from
    the environment — a proxy would carry the call off the machine.

    >>> sandbox_admin("https://api.fiks.ks.no", "info")
    Traceback (most recent call last):
    ValueError: the sandbox's admin endpoints are on loopback only, not api.fiks.ks.no
    """
    import httpx

    host = urlsplit(url).hostname or ""
    if not is_loopback_host(host):
        raise ValueError(f"the sandbox's admin endpoints are on loopback only, not {host}")
    return httpx.request(method, f"{url.rstrip('/')}/_sandbox/{action}", json=json, timeout=timeout,
                         trust_env=False)

"""httpx as the Platform client uses it: one client per thread, no cookies, one TLS context.

One httpx client per thread (each a copy of one template's settings, all on one transport):
httpx's pool matches every queued request against every connection under one lock, which cost
16% of aepflow's CPU on an apply of 1,000 pipelines at parallelism 16.
"""

from __future__ import annotations

import functools
import ssl
import threading
from typing import Any

import httpx


class _NoCookies(httpx.Cookies):
    def extract_cookies(self, response: httpx.Response) -> None:
        return None


_NO_COOKIES = _NoCookies()


class Client(httpx.Client):
    """An httpx client that keeps no cookie and sends none: AEP's APIs take a bearer token
    on every request, and reading each response's Set-Cookie through the standard library's
    cookie jar cost more than the rest of httpx's own work per request (measured with a
    gateway that sets one: 430 us against 240 us a request)."""

    @property
    def cookies(self) -> httpx.Cookies:
        return _NO_COOKIES

    @cookies.setter
    def cookies(self, cookies: Any) -> None:
        return None


@functools.lru_cache(maxsize=1024)
def parsed_url(text: str) -> httpx.URL:
    """A URL parsed once: an apply sends thousands of creates to a handful of collections,
    and httpx parsed each request's URL twice (30 us a request)."""
    return httpx.URL(text)


@functools.cache
def tls_context() -> ssl.SSLContext:
    """One TLS context for every httpx client of the process, the one httpx would make
    (certifi's CA bundle): making one reads the bundle, 1.6 of 88 profiled CPU-s of an
    apply of 1,000 pipelines when each thread's client made its own."""
    return httpx.create_ssl_context()


class ThreadClients:
    """Each thread's httpx client, made on its first exchange like ``template`` (transport,
    timeout, event hooks), all closed by ``close``.

    A read may be left running beside a command that has ended (a daemon thread whose outcome
    is dropped): once closed, no new client is made, and a client closed while its exchange
    was under way is closed again when it is over, so no connection is left open."""

    def __init__(self, template: httpx.Client, transport: httpx.BaseTransport | None) -> None:
        self._template = template
        self._transport = transport
        self._local = threading.local()
        self._lock = threading.Lock()
        self._open: list[httpx.Client] = []
        self._closed = False

    @property
    def open(self) -> int:
        """Clients made and not closed yet."""
        with self._lock:
            return len(self._open)

    def exchange(self, method: str, url: httpx.URL, **options: Any) -> httpx.Response:
        response = self._mine().request(method, url, **options)
        if self._closed:
            # Closed while this exchange was connecting: the pool was emptied before the
            # connection joined it, so no close reaches it but this one.
            stream = response.extensions.get("network_stream")
            if stream is not None:
                stream.close()
        return response

    def close(self) -> None:
        with self._lock:
            clients, self._open, self._closed = self._open, [], True
        for client in clients:
            client.close()

    def _mine(self) -> httpx.Client:
        client: httpx.Client | None = getattr(self._local, "http", None)
        if client is not None:
            return client
        client = Client(
            transport=self._transport,
            verify=tls_context(),
            timeout=self._template.timeout,
            limits=httpx.Limits(max_connections=4, max_keepalive_connections=1),
            event_hooks=self._template.event_hooks,
        )
        with self._lock:
            if self._closed:
                client.close()
                raise RuntimeError("the platform client is closed")
            self._open.append(client)
        self._local.http = client
        return client

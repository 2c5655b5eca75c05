"""Routing by method and path only (any host), with ``{name}`` path parameters.

Matching is done on the raw path segments, so an id that contains slashes (a schema ``$id``)
arrives percent-encoded as one segment and is decoded into the parameter.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import unquote

from aepflow.emulator import settings
from aepflow.emulator.context import Call, Reply
from aepflow.emulator.state import Tx

Handler = Callable[[Call, Tx], Reply]


@dataclass(frozen=True)
class Route:
    method: str
    template: str  # e.g. /data/foundation/flowservice/flows/{id}
    handler: Handler
    writes: bool  # runs in a write transaction
    authenticated: bool  # behind the gateway checks (everything but IMS)
    service: str  # "ims", "flow", "schema", "catalog" or "dataprep"

    @property
    def key(self) -> str:
        """How the route is counted in the stats: ``METHOD /path/template``."""
        return f"{self.method} {self.template}"


class Router:
    def __init__(self) -> None:
        self._routes: dict[int, list[tuple[list[str], Route]]] = {}

    def add(
        self,
        method: str,
        template: str,
        handler: Handler,
        *,
        service: str,
        writes: bool | None = None,
        authenticated: bool = True,
    ) -> None:
        segments = template.strip("/").split("/")
        route = Route(
            method,
            template,
            handler,
            method != "GET" if writes is None else writes,
            authenticated,
            service,
        )
        self._routes.setdefault(len(segments), []).append((segments, route))

    def resolve(self, method: str, path: str) -> tuple[Route | None, dict[str, str], str | None]:
        """(route or None, path parameters, the template the path matches for any method)."""
        segments = path.strip("/").split("/")
        template: str | None = None
        for pattern, route in self._routes.get(len(segments), []):
            params = _match(pattern, segments)
            if params is None:
                continue
            template = template or route.template
            if route.method == method:
                return route, params, route.template
        return None, {}, template


def _match(pattern: list[str], segments: list[str]) -> dict[str, str] | None:
    params: dict[str, str] = {}
    for expected, actual in zip(pattern, segments, strict=True):
        if expected.startswith("{"):
            if not actual:
                return None
            params[expected[1:-1]] = unquote(actual)
        elif expected != actual:
            return None
    return params


def service_of(path: str) -> str:
    """The service a path belongs to, for the shape of its errors."""
    prefixes = (
        (settings.FLOW_SERVICE, "flow"),
        (settings.SCHEMA_REGISTRY, "schema"),
        (settings.CATALOG, "catalog"),
        (settings.DATA_PREP, "dataprep"),
    )
    for prefix, service in prefixes:
        if path == prefix or path.startswith(prefix + "/"):
            return service
    return "ims" if path == settings.IMS_TOKEN else "unknown"

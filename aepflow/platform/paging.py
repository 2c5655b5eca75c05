"""The three (and a half) ways AEP pages a list, as one function.

- Flow Service: ``items`` and ``_links.next.href`` carrying a ``continuationToken``
  (help/sources/tutorials/api/filter.md).
- Schema Registry: ``results`` and ``_page.next``, sent back as ``start``
  (help/xdm/api/getting-started.md, "Paging").
- Catalog: an object keyed by id, ``start`` and ``limit`` offsets (help/catalog/api/filter-data.md).
- Data Prep: ``data``, ``start`` and ``limit`` offsets (help/data-prep/api/mapping-set.md).
- none: one response, a list or an object of lists (descriptors).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any
from urllib.parse import parse_qs, urlsplit

from aepflow.api import ListRequest

LIMIT = 100
GetPage = Callable[[ListRequest, Sequence[tuple[str, str]]], Any]


def read_all(get: GetPage, query: ListRequest) -> list[dict[str, Any]]:
    return _STYLES[query.paging](get, query)


def _flowservice(get: GetPage, query: ListRequest) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    token: str | None = None
    while True:
        body = get(query, [("continuationToken", token)] if token else [])
        out.extend(body.get("items") or [])
        href = ((body.get("_links") or {}).get("next") or {}).get("href")
        token = parse_qs(urlsplit(href).query).get("continuationToken", [None])[0] if href else None
        if not token:
            return out


def _schemaregistry(get: GetPage, query: ListRequest) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    start: str | None = None
    while True:
        body = get(query, [("start", start)] if start is not None else [])
        out.extend(body.get("results") or [])
        nxt = (body.get("_page") or {}).get("next")
        if nxt is None:
            return out
        start = str(nxt)


def _catalog(get: GetPage, query: ListRequest) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    start = 0
    while True:
        page = get(query, [("limit", str(LIMIT)), ("start", str(start))]) or {}
        out.extend({**obj, "id": key} for key, obj in page.items())
        if len(page) < LIMIT:
            return out
        start += LIMIT


def _dataprep(get: GetPage, query: ListRequest) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    start = 0
    while True:
        data = get(query, [("start", str(start)), ("limit", str(LIMIT))]).get("data") or []
        out.extend(data)
        if len(data) < LIMIT:
            return out
        start += LIMIT


def _none(get: GetPage, query: ListRequest) -> list[dict[str, Any]]:
    body = get(query, [])
    if isinstance(body, dict):
        return [
            d
            for items in body.values()
            if isinstance(items, list)
            for d in items
            if isinstance(d, dict)
        ]
    return [d for d in body if isinstance(d, dict)]


_STYLES: dict[str, Callable[[GetPage, ListRequest], list[dict[str, Any]]]] = {
    "flowservice": _flowservice,
    "schemaregistry": _schemaregistry,
    "catalog": _catalog,
    "dataprep": _dataprep,
    "none": _none,
}

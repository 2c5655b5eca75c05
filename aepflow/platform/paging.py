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

import functools
from collections.abc import Callable, Sequence
from typing import Any
from urllib.parse import parse_qs, urlsplit

from aepflow.api import ListRequest
from aepflow.background import all_at_once

LIMIT = 100
MAX_PAGES_AT_ONCE = 8
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
    def page(start: int) -> list[dict[str, Any]]:
        found = get(query, [("limit", str(LIMIT)), ("start", str(start))]) or {}
        return [{**obj, "id": key} for key, obj in found.items()]

    return _by_offset(query, page)


def _dataprep(get: GetPage, query: ListRequest) -> list[dict[str, Any]]:
    def page(start: int) -> list[dict[str, Any]]:
        data: list[dict[str, Any]] = (
            get(query, [("start", str(start)), ("limit", str(LIMIT))]).get("data") or []
        )
        return data

    return _by_offset(query, page)


def _by_offset(
    query: ListRequest, page: Callable[[int], list[dict[str, Any]]]
) -> list[dict[str, Any]]:
    """Pages at offsets 0, LIMIT, 2 x LIMIT ... until one is short. The pages the expected
    count fills are read at once (a thousand mapping sets: ten round trips in the time of
    one), the rest one after the other, so no page is read that a sequential reader would not
    have read when the expectation holds."""
    known = -(-query.expect // LIMIT) if query.expect > LIMIT else 1
    if known > 1:
        starts = range(0, known * LIMIT, LIMIT)
        pages = all_at_once([functools.partial(page, s) for s in starts], MAX_PAGES_AT_ONCE)
    else:
        pages = [page(0)]
    out = [item for items in pages for item in items]
    if any(len(p) < LIMIT for p in pages):
        return out
    start, last = known * LIMIT, pages[-1]
    while len(last) >= LIMIT:
        last = page(start)
        out.extend(last)
        start += LIMIT
    return out


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

"""What the four Flow Service kinds share: ids, GET shape, marker lookup, PATCH with If-Match.

Flow Service (``/data/foundation/flowservice``) answers a GET by id with ``{"items": [obj]}``,
filters lists with ``property=field==value`` and pages them with a continuation token
(help/sources/tutorials/api/filter.md). Every PATCH is a JSON Patch array and needs the
object's current etag in ``If-Match`` (help/sources/tutorials/api/update.md).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, ClassVar
from urllib.parse import quote

from aepflow.api import FLOW, SELF, ListRequest, Request
from aepflow.kinds.base import (
    Change,
    Kind,
    LiveObject,
    Resource,
    naming_ops,
    split_marker,
)

SPEC_VERSION = "1.0"


def spec_ref(spec_id: str) -> dict[str, str]:
    return {"id": spec_id, "version": SPEC_VERSION}


def description_of(raw: Mapping[str, Any]) -> str:
    return split_marker(raw.get("description"))[0]


def property_filter(field: str, value: str) -> tuple[str, str]:
    return ("property", f"{field}=={value}")


class FlowServiceKind(Kind):
    collection: ClassVar[str]

    def path(self, id: str) -> str:
        return f"{FLOW}/{self.collection}/{id if id == SELF else quote(id, safe='')}"

    def get(self, id: str) -> Request:
        return Request("GET", self.path(id))

    def unwrap(self, body: Any, id: str) -> dict[str, Any] | None:
        items = body.get("items") if isinstance(body, dict) else None
        return dict(items[0]) if items else None

    def lookup(
        self, r: Resource, ids: Mapping[str, str], desired: Mapping[str, Resource]
    ) -> ListRequest | None:
        """The kind's list filtered by spec id, never by name: a name may hold spaces or
        commas, which a property filter reads as separators (help/sources/tutorials/api/
        filter.md: a comma lists alternatives)."""
        return self.list_all([r])

    def listed_by(self, field: str, values: Sequence[str]) -> ListRequest | None:
        """The collection filtered to ``field`` in ``values`` (a comma is OR,
        help/sources/tutorials/api/filter.md); None when there is nothing to list."""
        if not values:
            return None
        joined = ",".join(sorted(set(values)))
        return ListRequest(
            f"{FLOW}/{self.collection}", "flowservice", (property_filter(field, joined),)
        )

    def post(self, body: dict[str, Any]) -> Request:
        return Request("POST", f"{FLOW}/{self.collection}", body)

    def patch(self, live: LiveObject, ops: list[dict[str, Any]]) -> Request:
        return Request("PATCH", self.path(live.id), ops, if_match=live.etag)

    def update(
        self,
        r: Resource,
        spec: Mapping[str, Any],
        live: LiveObject,
        changes: Sequence[Change],
        tenant: str,
    ) -> Sequence[Request]:
        ops = naming_ops(r, r.spec, changes)
        return [self.patch(live, ops)] if ops else []

    def delete(self, id: str) -> Sequence[Request]:
        return [Request("DELETE", self.path(id))]

    def delete_outcome(self, code: str | None) -> str:
        """help/sources/errors/flow-service-errors.md: a deleted flow is delete-finalizing
        for a while; deleting it again answers 1458, and deleting a connection it uses
        answers 1418 (base) or 1447 (source, target) until it is gone."""
        number = (code or "").replace("FLOW-", "").split("-", 1)[0]
        if number == "1458":
            return "done"
        if number in ("1418", "1447"):
            return "wait"
        return "failed"

"""Target connection: the Data Lake dataset a flow writes (Flow Service ``/targetConnections``).

Create: help/sources/tutorials/api/collect/crm.md and collect/customer-success.md ("Create a
target connection"): the Data Lake connection spec ``c604ff05-…``, ``data.format:
parquet_xdm``, ``data.schema`` and ``params.dataSetId``. Target
connections filter only by id and ``connectionSpec.id``, so the marker lookup lists the Data
Lake ones.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from aepflow.api import FLOW, ListRequest, Request
from aepflow.connectors import DATA_LAKE_SPEC_ID, XED_FULL
from aepflow.kinds.base import Resource, ref, with_marker
from aepflow.kinds.flowservice import FlowServiceKind, description_of, property_filter, spec_ref
from aepflow.model import ProjectModel


class TargetConnection(FlowServiceKind):
    name = "targetConnection"
    collection = "targetConnections"
    derived_names = True
    replace_fields = frozenset({"dataset", "schema"})

    def desired(self, model: ProjectModel, tenant: str) -> Iterable[Resource]:
        for f in model.dataflows.values():
            yield Resource(
                f"targetConnection.{f.name}",
                self.name,
                {
                    "name": f"{f.flow_name} target",
                    "description": f"Data Lake target of the dataflow {f.flow_name}.",
                    "dataset": ref(f"dataset.{f.dataset}"),
                    "schema": ref(f"schema.{f.schema}"),
                },
                f.at("dataset"),
            )

    def normalize(self, raw: Mapping[str, Any]) -> dict[str, Any]:
        return {
            "name": raw.get("name", ""),
            "description": description_of(raw),
            "dataset": (raw.get("params") or {}).get("dataSetId"),
            "schema": ((raw.get("data") or {}).get("schema") or {}).get("id"),
        }

    def lookup(
        self, r: Resource, ids: Mapping[str, str], desired: Mapping[str, Resource]
    ) -> ListRequest | None:
        return ListRequest(
            f"{FLOW}/{self.collection}",
            "flowservice",
            (property_filter("connectionSpec.id", DATA_LAKE_SPEC_ID),),
        )

    def list_all(self, desired: Sequence[Resource]) -> ListRequest | None:
        return self.listed_by("connectionSpec.id", [DATA_LAKE_SPEC_ID])

    def create(self, r: Resource, spec: Mapping[str, Any], tenant: str) -> Sequence[Request]:
        s = spec
        body = {
            "name": s["name"],
            "description": with_marker(s["description"], r.address),
            "data": {"format": "parquet_xdm", "schema": {"id": s["schema"], "version": XED_FULL}},
            "params": {"dataSetId": s["dataset"]},
            "connectionSpec": spec_ref(DATA_LAKE_SPEC_ID),
        }
        return [self.post(body)]


KIND = TargetConnection()

"""Dataflow options a connector may or may not have (views, primary keys, row filters), and
the flow's error handling."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from aepflow.connectors import CONNECTORS
from aepflow.errors import SourceLocation
from aepflow.model import ConnectionDef, DataflowDef

Problem = Callable[[SourceLocation, str], None]


def flow_options(handling: Mapping[str, Any], problem: Problem) -> dict[str, Any]:
    """The flow's options (help/ingestion/batch-ingestion/partial.md): partial ingestion
    turns error diagnostics on, and cannot go without them."""
    options: dict[str, Any] = {}
    if "partialIngestionPercent" in handling:
        options["partialIngestionPercent"] = handling["partialIngestionPercent"]
        if handling.get("diagnostics") is False:
            at = getattr(handling, "value_at", {}).get("diagnostics")
            problem(
                at or SourceLocation("manifests", 1, 1),
                "errorHandling.diagnostics cannot be false with partialIngestionPercent: "
                "partial ingestion keeps error diagnostics; remove one of the two",
            )
        options["errorDiagnosticsEnabled"] = True
    elif "diagnostics" in handling:
        options["errorDiagnosticsEnabled"] = bool(handling["diagnostics"])
    return options


def check_source(
    f: DataflowDef, connections: Mapping[str, ConnectionDef], problem: Problem
) -> None:
    """Views and primary keys are Dynamics options; row filters exist for the sources
    help/sources/tutorials/api/filter.md lists."""
    conn = connections.get(f.connection)
    connector = CONNECTORS.get(conn.connector) if conn is not None else None
    if connector is None:
        return
    if f.entity_type != "table" and not connector.views:
        problem(
            f.at("source.entityType"),
            f"source.entityType {f.entity_type!r}: {connector.title} ingests tables only "
            "(views are a Microsoft Dynamics option)",
        )
    if f.primary_key and not connector.views:
        problem(
            f.at("source.primaryKey"),
            f"source.primaryKey: a Microsoft Dynamics option; {connector.title} has none",
        )
    if f.row_filter is not None and not connector.row_filters:
        supported = ", ".join(c.title for c in CONNECTORS.values() if c.row_filters)
        problem(
            f.at("source.filter"),
            f"source.filter: {connector.title} has no row-level filters (AEP offers them for "
            f"{supported}); filter in a mapping or downstream instead",
        )

"""Dataflow options a connector may or may not have (views, primary keys, row filters), and
the flow's error handling."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from aepflow.connectors import CONNECTORS, REST, Connector
from aepflow.errors import SourceLocation
from aepflow.manifest.walk import did_you_mean, type_name
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
        if conn is not None and "source.table" not in f.locations:
            problem(f.at("source"), "source.table is required: the table to read")
        if conn is not None and f.delta_column is None:  # connector: {spec: ID} reads tables
            problem(
                f.location,
                "deltaColumn is required: the flow reads new and changed rows by it",
            )
        return
    if connector.shape == REST:
        _check_rest(f, connector, problem)
        return
    if "source.table" not in f.locations:
        problem(
            f.at("source.object" if "source.object" in f.locations else "source"),
            f"source.table is required: {connector.title} is a table source "
            f"({connector.doc}); source.object is for REST sources",
        )
    if f.delta_column is None:
        problem(
            f.at("deltaColumn") if "deltaColumn" in f.locations else f.location,
            f"deltaColumn is required: {connector.title} flows read new and changed rows by it",
        )
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
    elif f.primary_key and f.columns and f.primary_key not in {c.name for c in f.columns}:
        # The key drives the source queries (help/sources/tutorials/api/create/crm/ms-dynamics.md)
        names = [c.name for c in f.columns]
        problem(
            f.at("source.primaryKey"),
            f"source.primaryKey {f.primary_key!r} is not among the declared columns "
            f"({', '.join(names)})" + did_you_mean(f.primary_key, names),
        )
    if f.row_filter is not None and not connector.row_filters:
        supported = ", ".join(c.title for c in CONNECTORS.values() if c.row_filters)
        problem(
            f.at("source.filter"),
            f"source.filter: {connector.title} has no row-level filters (AEP offers them for "
            f"{supported}); filter in a mapping or downstream instead",
        )
    if f.row_filter is not None:
        check_filter(f, f.row_filter, "source.filter", problem)


def _check_rest(f: DataflowDef, connector: Connector, problem: Problem) -> None:
    """A REST source (help/sources/tutorials/api/create/customer-success/zendesk.md): JSON read
    whole, so no table, columns, view, key, filter or delta column; ``source.object`` names the
    object when the source serves several (create/crm/sugarcrm-accounts-contacts.md)."""
    objects = connector.rest.objects if connector.rest else ()
    for key, what in (
        ("source.table", "a table"),
        ("source.columns", "columns"),
        ("source.entityType", "views"),
        ("source.primaryKey", "a primary key"),
        ("source.filter", "row filters"),
        ("deltaColumn", "a delta column"),
    ):
        if key in f.locations:
            hint = (
                f"; use source.object ({' or '.join(objects)})"
                if key == "source.table" and objects
                else ""
            )
            problem(f.at(key), f"{key}: {connector.title} is a REST source and has no {what}{hint}")
    if "source.object" in f.locations and not objects:
        problem(
            f.at("source.object"),
            f"source.object: {connector.title} serves one object; remove source.object",
        )
    elif objects and "source.object" not in f.locations and "source.table" not in f.locations:
        problem(f.at("source"), f"source.object is required: one of {', '.join(objects)}")
    elif objects and "source.object" in f.locations and f.table not in objects:
        problem(
            f.at("source.object"),
            f"source.object {f.table!r}: {connector.title} serves {', '.join(objects)}",
        )


# The comparison operators of help/sources/tutorials/api/filter.md and the operand each takes:
# one literal for the comparisons, a text pattern for like, a list for in (its example sends
# ["Ramen", "John"]), and nothing for isNull (its example has the field lookup alone).
_ORDERED = ("<", "<=", ">", ">=")


def check_filter(f: DataflowDef, node: Any, path: str, problem: Problem) -> None:
    """Every condition of a row filter takes the operand its operator needs."""
    if not isinstance(node, Mapping):
        return
    for logical in ("and", "or"):
        if isinstance(node.get(logical), list):
            for i, child in enumerate(node[logical]):
                check_filter(f, child, f"{path}.{logical}.{i}", problem)
            return
    if "not" in node:
        check_filter(f, node["not"], f"{path}.not", problem)
        return
    op = node.get("op")
    if not isinstance(op, str):
        return
    has_value = "value" in node
    value = node.get("value")
    where = f.at(f"{path}.value") if has_value else f.at(f"{path}.op")
    wrong = _operand_problem(op, has_value, value)
    if wrong:
        problem(where, f"{path}: {wrong}")


def _is_literal(value: Any) -> bool:
    return isinstance(value, (str, int, float)) and not (
        isinstance(value, float) and value != value
    )


def _operand_problem(op: str, has_value: bool, value: Any) -> str | None:
    if op == "isNull":
        if has_value:
            return (
                "op isNull takes no value: remove 'value' (for 'is not null', wrap the "
                "condition in {not: ...})"
            )
        return None
    if not has_value or value is None:
        operand = "a list of values" if op == "in" else "a value"
        return f"op {op} needs {operand}: add 'value'"
    if op == "in":
        if not isinstance(value, list):
            return (
                f"op in takes a list of values, not {type_name(value)}: write value: "
                f"[{value!r}] (or use op =)"
            )
        if not value:
            return "op in takes a list of at least one value"
        bad = next((v for v in value if not _is_literal(v)), None)
        if bad is not None or any(v is None for v in value):
            return f"op in: each value is a string, number or true/false, not {type_name(bad)}"
        return None
    if op == "like":
        if not isinstance(value, str):
            return f"op like takes a text pattern (% matches any text), not {type_name(value)}"
        return None
    if not _is_literal(value):
        return f"op {op} takes one value (a string, number or true/false), not {type_name(value)}"
    if op in _ORDERED and isinstance(value, bool):
        return f"op {op} compares numbers, dates or text, not true/false"
    return None

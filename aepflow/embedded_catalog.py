"""What the embedded emulator's source of a connection spec serves, for the plan's source
check before a connection exists (the embedded catalog does not depend on credentials)."""

from __future__ import annotations

from collections.abc import Mapping

from aepflow.emulator import specs
from aepflow.engine.sourcecheck import Column, Table


def embedded_catalog(spec_id: str) -> dict[Table, list[Column]] | None:
    """What the embedded emulator's source of a connection spec serves: its catalog does not
    depend on the credentials, so a source is checked before its connection exists."""
    spec = specs.connection_specs().get(spec_id)
    if spec is None:
        return None
    name = str(spec["name"])
    out: dict[Table, list[Column]] = {}
    for kind, found in (("table", specs.base_tables(name)), ("view", specs.views(name))):
        for table, columns in found.items():
            out[Table(table, table, kind)] = [_catalog_column(c) for c in columns]
    for obj in specs.rest_objects(name):
        out[Table(obj or "json", obj or "json", "rest")] = []
    return out


def _catalog_column(c: Mapping[str, str]) -> Column:
    kind = c["type"]
    return Column(c["name"], "string" if kind in ("date", "date-time") else kind, kind)

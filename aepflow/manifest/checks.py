"""Whole-model checks: cycles, names AEP would keep as typed, unique destinations and
identities — each a problem at its line, before anything reaches the platform."""

from __future__ import annotations

import re
import zoneinfo
from collections.abc import Callable, Mapping
from difflib import get_close_matches
from functools import lru_cache
from typing import Any

from aepflow.errors import SourceLocation
from aepflow.graph import CycleError, topological_order
from aepflow.model import DataflowDef, ProjectModel, SchemaDef

Problem = Callable[[SourceLocation, str], None]
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def check_model(m: ProjectModel, problem: Problem) -> None:
    check_cycles(m, problem)
    for c in m.connections.values():
        if c.aep_name:
            check_text(c.aep_name, c.at("name"), "name", problem)
    for s in m.schemas.values():
        check_text(s.title, s.at("title"), "title", problem)
        check_identities(s, problem)
    for d in m.datasets.values():
        check_text(d.dataset_name, d.at("name"), "name", problem)
    for f in m.dataflows.values():
        check_text(f.flow_name, f.at("name"), "name", problem)
        check_destinations(f, problem)
        check_timezone(f, problem)


def check_text(value: str, at: SourceLocation, what: str, problem: Problem) -> None:
    """A name or title is shown and compared as it is: a control character or surrounding
    white space (a trailing newline from a YAML block) would never match what AEP keeps, so
    the plan would show drift forever and a lost lock could not find the object again."""
    if _CONTROL.search(value) or value != value.strip():
        problem(
            at,
            f"{what} {value!r} has a control character or white space at its ends; write it "
            "on one line without them",
        )


def check_timezone(f: DataflowDef, problem: Problem) -> None:
    """The delta column's time zone is an IANA name (or UTC): a typo would shift every
    incremental read. Checked against the system's time zone database when it has one."""
    zone = f.delta_column.timezone if f.delta_column else ""
    known = _zones()
    if zone and zone != "UTC" and known and zone not in known:
        near = get_close_matches(zone, sorted(known), n=1)
        problem(
            f.at("deltaColumn.timezone"),
            f"deltaColumn.timezone {zone!r} is not a time zone name"
            + (f"; did you mean {near[0]!r}?" if near else " (e.g. UTC, Europe/Paris)"),
        )


@lru_cache(maxsize=1)
def _zones() -> frozenset[str]:
    return frozenset(zoneinfo.available_timezones())


def _repeats(values: list[str]) -> list[tuple[int, int]]:
    """(index, index of the first occurrence) for every value seen before."""
    first: dict[str, int] = {}
    out = []
    for i, value in enumerate(values):
        if value in first:
            out.append((i, first[value]))
        else:
            first[value] = i
    return out


def check_destinations(f: DataflowDef, problem: Problem) -> None:
    """Data Prep writes one value per destination: two mappings into one are refused."""
    for i, j in _repeats([m.destination for m in f.mappings]):
        problem(
            f.at(f"mappings.{i}.destination"),
            f"two mappings write {f.mappings[i].destination!r} (mappings {j} and {i}): keep "
            "one, or combine them in an expression",
        )


def check_identities(s: SchemaDef, problem: Problem) -> None:
    """One identity descriptor per field (help/xdm/api/descriptors.md)."""
    for i, j in _repeats([ident.field for ident in s.identities]):
        problem(
            s.at(f"identities.{i}.field"),
            f"field {s.identities[i].field!r} is already an identity (identities {j} and {i}): "
            "a field has one identity namespace",
        )


def check_cycles(m: ProjectModel, problem: Problem) -> None:
    edges: dict[str, list[str]] = {}
    for d in m.datasets.values():
        edges[f"dataset/{d.name}"] = [f"schema/{d.schema}"]
    for s in m.schemas.values():
        edges[f"schema/{s.name}"] = []
    for c in m.connections.values():
        edges[f"connection/{c.name}"] = []
    for f in m.dataflows.values():
        edges[f"dataflow/{f.name}"] = [
            f"connection/{f.connection}",
            f"schema/{f.schema}",
            f"dataset/{f.dataset}",
        ]
    try:
        topological_order(edges)
    except CycleError as e:
        first = e.cycle[0].split("/")
        defs: dict[str, Mapping[str, Any]] = {
            "dataset": m.datasets,
            "schema": m.schemas,
            "dataflow": m.dataflows,
        }
        found = defs.get(first[0], {}).get(first[1])
        at = found.location if found is not None else SourceLocation("manifests", 1, 1)
        problem(at, f"dependency cycle: {' -> '.join(e.cycle)}")

"""What the Schema Registry and Data Prep would refuse at apply time, found offline.

- A class or field group is one of the XDM catalog (by short name or ``$id``). A short name
  that is not is an error with a did-you-mean; a well-formed ``$id`` the catalog lacks (a
  newer standard group, or a tenant's) is a warning: its fields cannot be checked offline.
  One the sandbox's Schema Registry answered 404 for (``aepflow.xdmfetch``) is an error.
- A field group extends only the classes it names in ``meta:intendedToExtend``
  (help/xdm/schema/composition.md, "Field groups"); none named means any class.
- A deprecated or experimental class or field group is a warning.
- An ExperienceEvent dataflow maps ``_id`` and ``timestamp``, which every event record needs
  (help/xdm/classes/experienceevent.md).
- A static value, or a source column of a declared type, must fit its destination's XDM type
  (help/data-prep/data-handling.md: the strings Data Prep reads as booleans, the date
  formats it tries when none is given).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from aepflow.catalog.xdm import CLASS, DEPRECATED, EXPERIMENTAL, FIELD_GROUP, Field
from aepflow.dataprep import convert
from aepflow.errors import SourceLocation
from aepflow.manifest import xdm
from aepflow.model import DataflowDef, SchemaDef

Problem = Callable[[SourceLocation, str], None]
Warn = Callable[[SourceLocation, str, str], None]  # (where, message, code: docs/warnings.md)
_WORDS = {CLASS: "XDM class", FIELD_GROUP: "standard field group"}
_GLOBAL = ("https://ns.adobe.com/xdm/", "https://ns.adobe.com/experience/")
_LATER = "; a plan on a sandbox reads it from the Schema Registry"


def _short(ref: str) -> str:
    return ref.rstrip("/").rsplit("/", 1)[-1]


def _check_ref(ref: str, kind: str, where: SourceLocation, problem: Problem, warn: Warn) -> bool:
    """Whether ``ref`` is known (shipped or read from the platform this run)."""
    found = xdm.lookup(ref)
    word = _WORDS[kind]
    if found is not None and found.kind == kind:
        if found.status in (DEPRECATED, EXPERIMENTAL):
            advice = (
                "Adobe no longer recommends it: prefer a stable one"
                if found.status == DEPRECATED
                else "AEP may not offer it in every sandbox"
            )
            message = f"warning: {word} {_short(ref)!r} is {found.status}: {advice}"
            warn(where, message, found.status)  # "deprecated" or "experimental"
        return True
    similar = xdm.catalog().similar(ref, [kind])
    hint = f" (did you mean {' or '.join(repr(s) for s in similar)}?)" if similar else ""
    sandbox = xdm.absent_from(ref)
    if found is not None:
        problem(where, f"{ref!r} is a {found.kind}, not a {word}")
    elif sandbox is not None:  # the Schema Registry answered 404: apply would be refused
        problem(
            where,
            f"no such {word} in sandbox {sandbox!r}: its Schema Registry has no {ref!r}{hint}: "
            "correct the $id",
        )
    elif xdm.WELL_FORMED.match(ref):
        warn(
            where,
            f"warning: {word} {ref!r} is not in aepflow's XDM catalog (adobe/xdm "
            f"{xdm.catalog().commit[:12]}): its fields cannot be checked offline"
            f"{_LATER if ref.startswith(_GLOBAL) else ''}{hint}",
            "unchecked-class" if kind == CLASS else "unchecked-field-group",
        )
    else:
        problem(
            where,
            f"unknown {word} {ref!r}{hint}: use a short name such as "
            f"{'profile' if kind == CLASS else 'profile-loyalty-details'} or a full $id "
            "(https://ns.adobe.com/...)",
        )
    return False


def check_schema_refs(s: SchemaDef, problem: Problem, warn: Warn | None = None) -> None:
    warn = warn or (lambda at, message, code: None)
    class_known = _check_ref(s.class_id, CLASS, s.at("class"), problem, warn)
    for i, group in enumerate(s.field_group_ids):
        where = s.at(f"fieldGroups.{i}")
        if not _check_ref(group, FIELD_GROUP, where, problem, warn) or not class_known:
            continue
        found = xdm.lookup(group)
        intended = found.intended_to_extend if found else ()
        if intended and s.class_id not in intended:
            fits = ", ".join(_short(c) for c in intended)
            problem(
                where,
                f"field group {_short(group)!r} extends {fits}; schema {s.name!r} is of class "
                f"{_short(s.class_id)!r}: use a field group of that class or custom fields",
            )


def check_event_mappings(f: DataflowDef, schema: SchemaDef, problem: Problem) -> None:
    if schema.class_id != xdm.EXPERIENCE_EVENT:
        return
    mapped = {m.destination for m in f.mappings}
    missing = [field for field in ("_id", "timestamp") if field not in mapped]
    if missing:
        problem(
            f.at("mappings"),
            f"dataflow {f.name!r} writes ExperienceEvents, which need "
            f"{' and '.join(missing)} mapped (a unique id and the event time of each record)",
        )


def check_mapping_types(
    f: DataflowDef,
    leaves: Mapping[str, Field] | None,
    problem: Problem,
    warn: Warn | None = None,
) -> None:
    """Static values and typed source columns against their destination's XDM type; a
    destination Adobe marks deprecated is a warning."""
    if leaves is None:
        return
    columns = {c.name: c.type.lower() for c in f.columns}
    for i, m in enumerate(f.mappings):
        target = xdm.leaf(m.destination, leaves)
        if target is None:
            continue
        if target.deprecated and warn is not None:
            warn(
                f.at(f"mappings.{i}.destination"),
                f"warning: field {m.destination!r} is deprecated in XDM: Adobe no longer "
                "recommends it; map a stable field if there is one",
                "deprecated-field",
            )
        wanted = target.xdm_type
        if m.kind == "static":
            reason = _static_misfit(m.source, wanted)
            if reason:
                problem(
                    f.at(f"mappings.{i}.value"),
                    f"static value {m.source!r} does not fit {m.destination!r}, "
                    f"{_a(wanted)} field: {reason}",
                )
        elif m.kind == "attribute" and m.source in columns:
            given = columns[m.source]
            if not _column_fits(given, wanted):
                problem(
                    f.at(f"mappings.{i}.source"),
                    f"column {m.source!r} is {_a(given)}; {m.destination!r} is {_a(wanted)} field: "
                    "map a column of a matching type, or convert it with an expression",
                )


def _a(word: str) -> str:
    return f"{'an' if word[:1] in 'aeiou' else 'a'} {word}"


def _static_misfit(value: str, wanted: str) -> str | None:
    """Why Data Prep cannot write ``value`` into a ``wanted`` field (None: it can). The
    conversions are :mod:`aepflow.dataprep.convert`'s, which preview and the emulator use."""
    if wanted in convert.INTEGER_BOUNDS:
        whole = convert.to_integer(value)
        if whole is None:
            return "write a whole number"
        low, high = convert.integer_range(wanted) or (whole, whole)
        return None if low <= whole <= high else f"{_a(wanted)} is from {low} to {high}"
    if wanted == "number":
        return None if convert.to_number(value) is not None else "write a number"
    if wanted == "boolean":
        if convert.to_boolean(value) is not None:
            return None
        return "write true or false (Data Prep also reads y, yes, on and n, no, off)"
    if wanted in ("date", "date-time"):
        if convert.to_datetime(value) is not None:
            return None
        return (
            "write a date such as 2024-01-31"
            if wanted == "date"
            else "write a date-time such as 2024-01-31T12:00:00Z"
        )
    if wanted in ("object", "map"):
        return f"it is {_a(wanted)}: map its fields instead"
    return None


_COLUMN_FAMILY = {
    "boolean": "boolean",
    "bool": "boolean",
    "date": "date",
    "datetime": "date",
    "timestamp": "date",
    "date-time": "date",
    **dict.fromkeys(
        ("integer", "int", "long", "short", "byte", "number", "double", "float"), "number"
    ),
}
# What Data Prep cannot convert (aepflow.dataprep.convert, which preview and the emulator use):
# a true/false into a number or a date, a date into a number or a boolean, a number into a
# boolean or a date; anything into an object or a map ("Maps are currently not supported",
# help/data-prep/data-handling.md).
_MISFITS = {
    "boolean": {"byte", "short", "int", "long", "number", "date", "date-time"},
    "date": {"byte", "short", "int", "long", "number", "boolean"},
    "number": {"boolean", "date", "date-time"},
}


def _column_fits(given: str, wanted: str) -> bool:
    if wanted in ("object", "map"):
        return False
    family = _COLUMN_FAMILY.get(given)
    return family is None or wanted not in _MISFITS[family]


def check_identity_fields(s: SchemaDef, problem: Problem) -> None:
    """Each identity names a string leaf of the schema: an identity descriptor's
    ``xdm:sourceProperty`` is a field that holds the identity value, never an object above
    fields, and identity values are strings (help/xdm/api/descriptors.md, identity
    descriptor; help/xdm/ui/fields/identity.md). An ExperienceEvent's ``_id`` is no identity
    (help/xdm/schema/best-practices.md, "Ensure `_id` is not used as an identity").
    Unchecked when a class or field group is not in the catalog."""
    leaves = xdm.schema_leaves(s.class_id, s.field_group_ids, s.custom_fields)
    if leaves is None:
        return
    fields = frozenset(leaves)
    for i, ident in enumerate(s.identities):
        where = s.at(f"identities.{i}.field")
        if not xdm.exists(ident.field, fields):
            problem(
                where,
                f"identity field {ident.field!r} does not exist in schema {s.name!r} "
                "(class and field groups)",
            )
            continue
        found = xdm.leaf(ident.field, leaves)
        if found is None:
            below = xdm.normal(ident.field) + "."
            strings = [p for p, f in leaves.items() if p.startswith(below) and _string(f)]
            shown = ", ".join(repr(p) for p in strings[:3])
            problem(
                where,
                f"identity field {ident.field!r} is an object in schema {s.name!r}; an identity "
                "is a string field"
                + (
                    f": name one of its fields ({shown}{', ...' if len(strings) > 3 else ''})"
                    if strings
                    else ""
                ),
            )
        elif not _string(found) or found.path.endswith("[]"):
            kind = (
                f"an array of {found.xdm_type}" if found.path.endswith("[]") else _a(found.xdm_type)
            )
            problem(
                where,
                f"identity field {ident.field!r} is {kind} field in schema {s.name!r}; an "
                "identity is a string field: choose a string field, or add a custom string "
                "field and map the value into it",
            )
        elif s.class_id == xdm.EXPERIENCE_EVENT and xdm.normal(ident.field) == "_id":
            problem(
                where,
                f"identity field '_id' of schema {s.name!r} identifies the event record, not a "
                "person: AEP does not accept it as an identity; choose another string field",
            )


def _string(f: Field) -> bool:
    return f.xdm_type == "string"

"""What the Schema Registry and Data Prep would refuse at apply time, found offline.

- A standard class or field group (``https://ns.adobe.com/xdm/...``) must exist: the field
  catalog knows them; an id under the tenant's namespace cannot be checked offline.
- A field group made for one class cannot extend a schema of another: the profile-* groups
  extend XDM Individual Profile (help/xdm/schema/composition.md, "Field groups").
- An ExperienceEvent dataflow maps ``_id`` and ``timestamp``, which every event record needs
  (help/xdm/classes/experienceevent.md).
"""

from __future__ import annotations

from collections.abc import Callable

from aepflow.errors import SourceLocation
from aepflow.manifest import xdm
from aepflow.model import DataflowDef, SchemaDef

Problem = Callable[[SourceLocation, str], None]
STANDARD = "https://ns.adobe.com/xdm/"
# Field groups the catalog holds that extend only the Profile class.
PROFILE_ONLY = frozenset(
    xdm.FIELD_GROUPS[n]
    for n in ("profile-person-details", "profile-personal-details", "profile-work-details")
)


def check_schema_refs(s: SchemaDef, problem: Problem) -> None:
    known = xdm.catalog()
    if s.class_id.startswith(STANDARD) and s.class_id not in known:
        classes = ", ".join(sorted(xdm.CLASSES))
        problem(s.at("class"), f"unknown XDM class {s.class_id!r} (known here: {classes})")
    for i, group in enumerate(s.field_group_ids):
        where = s.at(f"fieldGroups.{i}")
        if group.startswith(STANDARD) and group not in known:
            names = ", ".join(sorted(xdm.FIELD_GROUPS))
            problem(where, f"unknown standard field group {group!r} (known here: {names})")
        elif group in PROFILE_ONLY and s.class_id != xdm.CLASSES["profile"]:
            problem(
                where,
                f"field group {group.rsplit('/', 1)[-1]!r} extends the Profile class; schema "
                f"{s.name!r} is of class {s.class_id.rsplit('/', 1)[-1]!r}: use a field group "
                "of that class or custom fields",
            )


def check_event_mappings(f: DataflowDef, schema: SchemaDef, problem: Problem) -> None:
    if schema.class_id != xdm.CLASSES["experienceevent"]:
        return
    mapped = {m.destination for m in f.mappings}
    missing = [field for field in ("_id", "timestamp") if field not in mapped]
    if missing:
        problem(
            f.at("mappings"),
            f"dataflow {f.name!r} writes ExperienceEvents, which need "
            f"{' and '.join(missing)} mapped (a unique id and the event time of each record)",
        )

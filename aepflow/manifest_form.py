"""What reading a live object back into the manifest's form may raise.

Each kind reads its own live objects back (``Kind.manifest``, the inverse of its requests: row
filters in ``kinds/source_connection.py``, custom fields in ``kinds/field_group.py``, ...). A
shape the manifests cannot express raises :class:`CannotImport`, which ``import --all`` turns
into a skip with its reason.
"""

from __future__ import annotations

from aepflow.errors import UsageError


class CannotImport(UsageError):
    """A flow aepflow cannot bring under management; ``import --all`` skips it, naming why."""

"""The registry: one instance of each kind, each a complete implementation of ``Kind``."""

from __future__ import annotations

import pytest

from aepflow.kinds import KINDS, Kind
from aepflow.kinds.flowservice import FlowServiceKind
from aepflow.kinds.schemaregistry import SchemaRegistryKind


def test_every_kind_is_registered_under_its_own_name() -> None:
    assert {name: kind.name for name, kind in KINDS.items()} == {n: n for n in KINDS}


@pytest.mark.parametrize("base", [Kind, FlowServiceKind, SchemaRegistryKind])
def test_the_bases_cannot_stand_in_for_a_kind(base: type[Kind]) -> None:
    # A kind module that forgets a request or a rule fails on import, not mid-apply.
    with pytest.raises(TypeError, match="abstract"):
        base()  # type: ignore[abstract]

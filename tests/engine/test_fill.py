"""Filling placeholders: by a walk (fill) or by the paths worked out once (holes, fill_holes),
the same values; nothing in the input changed; what holds no placeholder is shared."""

from __future__ import annotations

import copy
import random
from collections.abc import Mapping
from typing import Any

import pytest

from aepflow.api import fill, fill_holes, holes


def lookup(placeholder: Mapping[str, Any]) -> Any:
    if "$secret" in placeholder:
        return f"secret:{placeholder['$secret']}"
    return f"id:{placeholder['$resource']}:{placeholder.get('field', 'id')}"


def random_value(rng: random.Random, depth: int = 0) -> Any:
    roll = rng.random()
    if depth > 4 or roll < 0.3:
        return rng.choice(["x", 1, None, True, 2.5, [], {}])
    if roll < 0.4:
        return {"$resource": f"flow.f{rng.randrange(9)}"}
    if roll < 0.45:
        return {"$resource": "dataset.d", "field": "version"}
    if roll < 0.5:
        return {"$secret": "password"}
    if roll < 0.75:
        return [random_value(rng, depth + 1) for _ in range(rng.randrange(4))]
    return {f"k{i}": random_value(rng, depth + 1) for i in range(rng.randrange(4))}


@pytest.mark.parametrize("seed", range(300))
def test_fill_holes_is_fill(seed: int) -> None:
    value = random_value(random.Random(seed))
    before = copy.deepcopy(value)
    assert fill_holes(value, holes(value), lookup) == fill(value, lookup)
    assert value == before


def test_holes_are_in_document_order_with_their_paths() -> None:
    value = {
        "a": [{"$resource": "x.one"}, "plain", {"b": {"$secret": "s"}}],
        "c": {"$resource": "x.two", "field": "version"},
        "d": {"not": "a placeholder", "$resource": "x.three"},
    }
    assert holes(value) == [
        (("a", 0), {"$resource": "x.one"}),
        (("a", 2, "b"), {"$secret": "s"}),
        (("c",), {"$resource": "x.two", "field": "version"}),
    ]


def test_only_the_way_to_a_placeholder_is_copied() -> None:
    mappings = [{"source": "a", "destination": "b"}] * 3
    value = {"mappings": mappings, "ref": {"inner": {"$resource": "x.y"}}, "top": 1}
    filled = fill_holes(value, holes(value), lookup)
    assert filled == {"mappings": mappings, "ref": {"inner": "id:x.y:id"}, "top": 1}
    assert filled["mappings"] is mappings
    assert value["ref"] == {"inner": {"$resource": "x.y"}}
    assert fill(value, lookup)["mappings"] is mappings
    assert fill_holes(mappings, holes(mappings), lookup) is mappings
    assert fill_holes({"$resource": "x.y"}, holes({"$resource": "x.y"}), lookup) == "id:x.y:id"

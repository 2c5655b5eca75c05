"""The direct YAML walk builds exactly what the loader's own construct_document builds:
values, positions and refusals alike."""

from __future__ import annotations

from typing import Any

import pytest

from aepflow.errors import SourceLocation
from aepflow.manifest import yamlload
from aepflow.manifest.yamlload import LocDict, LocList

TEXTS = [
    "a: 1\nb: [x, 'y', {c: null}]\nd: {e: true, f: 2.5}\n",
    "list:\n  - one\n  - 2\n  - {k: v}\n  -\n    - nested\n",
    "1: int key\ntrue: bool key\n~: null key\n",
    "s: !!str 12\nb: !!binary aGVsbG8=\n",
    "base: &b {x: 1}\n",
    "m:\n  <<: {x: 1}\n  y: 2\n",
    "set: !!set {a, b}\n",
    "om: !!omap [{a: 1}, {b: 2}]\n",
    "a: 1\na: 2\n",
    "outer:\n  inner: {a: 1, a: 2}\n",
    "t: !custom x\n",
    "deep: " + "[" * 70 + "]" * 70 + "\n",
    "time: 2030-01-01T00:00:00Z\n",
    "? [complex, key]\n: value\n",
]


def shape(value: Any) -> Any:
    """A value with every position it carries, for comparison."""
    if isinstance(value, LocDict):
        return (
            "map",
            value.at,
            [(k, value.key_at[k], value.value_at[k], shape(v)) for k, v in value.items()],
        )
    if isinstance(value, LocList):
        return (
            "seq",
            value.at,
            [(at, shape(v)) for at, v in zip(value.item_at, value, strict=True)],
        )
    return (type(value).__name__, value if not isinstance(value, (set, bytes)) else repr(value))


def build(text: str, direct: bool) -> Any:
    loader = yamlload._Loader(text, "m.yaml")
    out = []
    try:
        while loader.check_node():
            node = loader.get_node()
            if direct:
                out.append(shape(yamlload._document(loader, node)))
            else:
                out.append(shape(loader.construct_document(node)))
    except yamlload._Problem as p:
        return ("problem", p.diagnostic)
    except Exception as e:  # the loader's own refusal: same kind, same words
        return ("error", type(e).__name__, str(e))
    finally:
        loader.dispose()
    return out


@pytest.mark.parametrize("text", TEXTS)
def test_the_direct_walk_builds_what_the_loader_builds(text: str) -> None:
    assert build(text, direct=True) == build(text, direct=False)


def test_a_manifest_is_read_alike_both_ways() -> None:
    text = (
        "apiVersion: aepflow.io/v1\nkind: Dataflow\nmetadata: {name: x}\nspec:\n"
        "  mappings:\n    - {source: a, destination: b}\n    - source: c\n      destination: d\n"
    )
    direct = build(text, direct=True)
    assert direct == build(text, direct=False)
    docs, problems = yamlload.load_bytes(text.encode(), "m.yaml")
    assert problems == []
    first = docs[0].body["spec"]["mappings"][0]
    assert first.key_at["source"] == SourceLocation("m.yaml", 6, 8)
    assert first.value_at["source"] == SourceLocation("m.yaml", 6, 16)
    assert docs[0].body["spec"]["mappings"].item_at[1] == SourceLocation("m.yaml", 7, 7)


@pytest.mark.parametrize(
    ("value", "refs"),
    [
        ("plain", False),
        ('"_${tenant}.crmId"', False),
        ('"${tenant}${tenant}"', False),
        ('"${var.region}"', True),
        ('"${env:TOKEN}"', True),
        ('"$${tenant}"', True),  # an escape: resolving changes it
        ('"${tenant"', True),  # unclosed: resolving reports it
        ('"\\u0024{env:TOKEN}"', True),  # written with an escape, read as ${env:
        ("!!binary aGVsbG8=", True),  # built by the loader: not looked into
    ],
)
def test_a_document_says_whether_resolving_could_change_or_report_anything(
    value: str, refs: bool
) -> None:
    docs, problems = yamlload.load_bytes(f"a: [{{b: {value}}}]\n".encode(), "f.yaml")
    assert problems == []
    assert [d.refs for d in docs] == [refs]


def test_each_document_of_a_file_has_its_own_refs() -> None:
    docs, _ = yamlload.load_bytes(b"a: ${var.x}\n---\na: plain\n", "f.yaml")
    assert [d.refs for d in docs] == [True, False]

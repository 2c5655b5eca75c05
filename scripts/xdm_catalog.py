#!/usr/bin/env python3
"""Generate aepflow's XDM catalog from Adobe's public XDM repository (github.com/adobe/xdm).

    python scripts/xdm_catalog.py PATH [--commit SHA] [--out aepflow/catalog/xdm.txt]

PATH is a checkout of adobe/xdm, or a git directory (a bare mirror) read at ``--commit``
(default ``HEAD``). Every ``components/**/*.schema.json`` that is a class, a field group or a
data type becomes one block of the catalog: its ``$id``, status, title, the classes it
extends or may extend, and every leaf field with its path as AEP shows it, its XDM type and
its format. ``$ref``s, ``allOf`` and ``definitions`` are flattened the way the Schema
Registry's resolved (``xed-full``) view does, and field names follow AEP's XED form
(adobe/xdm NAMESPACES.md): ``xdm:x`` -> ``x``, ``@id`` -> ``_id``, ``repo:x`` -> ``_repo.x``,
``https://ns.adobe.com/experience/aaid`` -> ``_experience.aaid``.

Standard library only; the output is a pure function of the input files and the commit.

Output format (line-oriented, UTF-8, one tab between columns):

    # header lines (source, commit, licence, sha256 of the body)
    =<kind>\t<$id>\t<status>\t<title>\t<extends, space-separated>\t<intended to extend>
    <path>\t<xdm type>\t<format, when the type does not imply it>\t<deprecated, when so>

``kind`` is class, fieldgroup, datatype or behavior. In a path, ``[]`` marks an array and
``{namespace}`` / ``{key}`` the key of a map (``identityMap.{namespace}[].id``).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import subprocess
import sys
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

FORMAT_VERSION = "1"
KINDS = {"classes": "class", "fieldgroups": "fieldgroup", "datatypes": "datatype"}
KINDS_EXTRA = {"behaviors": "behavior", "common": "datatype"}
LICENSE = (
    "Adobe XDM (https://github.com/adobe/xdm) is licensed under CC BY 4.0 "
    "(https://creativecommons.org/licenses/by/4.0/); Copyright Adobe. "
    "Changed: flattened to leaf paths, descriptions left out."
)
NS = "https://ns.adobe.com/"
DEPRECATED = "deprecated"
# help/xdm/schema/field-constraints.md: integer ranges that AEP names byte / short / long.
INTEGER_TYPES = {127: "byte", 32767: "short", 2147483647: "int", 9007199254740991: "long"}

Doc = Mapping[str, Any]


def field_name(key: str) -> str:
    """An XDM property key as AEP shows it (adobe/xdm NAMESPACES.md)."""
    if key.startswith("xdm:"):
        return key[4:]
    if key.startswith("@"):
        return "_" + key[1:]
    if key.startswith(NS):
        rest = key[len(NS) :]
        rest = rest[4:] if rest.startswith("xdm/") else rest
        return "_" + rest.strip("/").replace("/", ".")
    if "://" in key:
        host, _, rest = key.split("://", 1)[1].partition("/")
        parts = host.split(".")
        return "_" + ".".join([parts[0], *parts[1:], *[p for p in rest.split("/") if p]])
    if ":" in key:
        prefix, _, name = key.partition(":")
        return f"_{prefix}.{name}"
    return key


def ref_key(ref: str, doc: Doc) -> str:
    return ref if ref.split("#")[0] else f"{doc['$id']}{ref}"


class Resolver:
    def __init__(self, docs: Mapping[str, Doc]) -> None:
        self.by_id = {str(d["$id"]): d for d in docs.values()}

    def target(self, ref: str, doc: Doc) -> tuple[Doc, Any] | None:
        base, _, pointer = ref.partition("#")
        owner = doc if not base else self.by_id.get(base)
        if owner is None:
            return None
        node: Any = owner
        for part in [p for p in pointer.split("/") if p]:
            if not isinstance(node, Mapping) or part not in node:
                return None
            node = node[part]
        return owner, node

    def parts(self, node: Any, doc: Doc, seen: frozenset[str]) -> list[tuple[Doc, Doc]]:
        """The node and everything it pulls in through ``$ref`` and ``allOf``, in order."""
        if not isinstance(node, Mapping):
            return []
        out: list[tuple[Doc, Doc]] = []
        ref = node.get("$ref")
        if isinstance(ref, str) and not ref.endswith("/@context"):
            key = ref_key(ref, doc)
            found = self.target(ref, doc)
            if found is not None and key not in seen:
                out += self.parts(found[1], found[0], seen | {key})
        for sub in node.get("allOf") or []:
            out += self.parts(sub, doc, seen)
        out.append((node, doc))
        return out

    def leaves(
        self, node: Any, doc: Doc, path: str, seen: frozenset[str], old: bool = False
    ) -> Iterator[tuple[str, str, str, bool]]:
        """(path, XDM type, format, deprecated) of each leaf under ``node``."""
        old = old or bool(
            path and isinstance(node, Mapping) and node.get("meta:status") == DEPRECATED
        )
        parts = self.parts(node, doc, seen)
        seen = seen | {ref_key(n["$ref"], d) for n, d in parts if isinstance(n.get("$ref"), str)}
        info: dict[str, Any] = {}
        props: dict[str, tuple[Any, Doc]] = {}
        items: tuple[Any, Doc] | None = None
        extra: tuple[Any, Doc] | None = None
        for part, owner in parts:
            for key in ("type", "format", "maximum", "meta:xdmType"):
                if key in part and key not in info:
                    info[key] = part[key]
            for name, child in (part.get("properties") or {}).items():
                props.setdefault(name, (child, owner))
            if isinstance(part.get("items"), Mapping) and items is None:
                items = (part["items"], owner)
            if isinstance(part.get("additionalProperties"), Mapping) and extra is None:
                extra = (part["additionalProperties"], owner)
        kind = info.get("type")
        if info.get("meta:xdmType") == "map" or (extra is not None and not props):
            yield path, "map", "", old
            if extra is not None:
                key = "{namespace}" if path.rsplit(".", 1)[-1] == "identityMap" else "{key}"
                value = list(self.leaves(extra[0], extra[1], f"{path}.{key}", seen, old))
                if not (len(value) == 1 and value[0][0] == f"{path}.{key}"):
                    yield from value
        elif props:
            for name, (child, owner) in props.items():
                sub = field_name(name)
                yield from self.leaves(child, owner, f"{path}.{sub}" if path else sub, seen, old)
        elif kind == "array":
            if items is None:
                yield path + "[]", "string", "", old
            else:
                yield from self.leaves(items[0], items[1], path + "[]", seen, old)
        elif path:
            xtype, fmt = xdm_type(info), str(info.get("format") or "")
            yield path, xtype, "" if fmt == xtype else fmt, old


def xdm_type(info: Mapping[str, Any]) -> str:
    declared = info.get("meta:xdmType")
    kind = info.get("type")
    if isinstance(kind, list):
        kind = next((k for k in kind if k != "null"), "string")
    if declared in ("string", "number", "object", "map"):
        return str(declared)
    if kind == "string" and info.get("format") in ("date", "date-time"):
        return str(info["format"])
    if kind == "integer":
        return INTEGER_TYPES.get(info.get("maximum"), "int")  # type: ignore[arg-type]
    return str(kind or "object")


def kind_of(path: str) -> str | None:
    parts = path.split("/")
    if len(parts) < 3 or parts[0] != "components" or not path.endswith(".schema.json"):
        return None
    return KINDS.get(parts[1]) or KINDS_EXTRA.get(parts[1])


def generate(files: Mapping[str, str], commit: str) -> str:
    """The catalog text for ``files`` (repository path -> JSON text) at ``commit``."""
    docs = {p: json.loads(t) for p, t in sorted(files.items()) if kind_of(p)}
    resolver = Resolver(docs)
    body: list[str] = []
    order = {"class": 0, "behavior": 1, "fieldgroup": 2, "datatype": 3}
    for path, doc in sorted(docs.items(), key=lambda i: (order[kind_of(i[0]) or ""], i[1]["$id"])):
        kind = kind_of(path)
        head = [
            f"={kind}",
            str(doc["$id"]),
            str(doc.get("meta:status") or "stable"),
            " ".join(str(doc.get("title") or "").split()),
            " ".join(doc.get("meta:extends") or []),
            " ".join(doc.get("meta:intendedToExtend") or []),
        ]
        body.append("\t".join(head))
        done: set[str] = set()
        for leaf, xtype, fmt, old in resolver.leaves(doc, doc, "", frozenset({str(doc["$id"])})):
            if leaf not in done:
                done.add(leaf)
                body.append(f"{leaf}\t{xtype}\t{fmt}\t{DEPRECATED if old else ''}".rstrip("\t"))
    text = "\n".join(body) + "\n"
    digest = hashlib.sha256(text.encode("utf-8")).hexdigest()
    header = [
        "# aepflow XDM catalog: generated by scripts/xdm_catalog.py, do not edit.",
        f"# format {FORMAT_VERSION}",
        f"# source https://github.com/adobe/xdm/tree/{commit}/components",
        f"# commit {commit}",
        f"# license {LICENSE}",
        f"# sha256 {digest}",
    ]
    return "\n".join(header) + "\n" + text


def read_git(repo: Path, commit: str) -> tuple[dict[str, str], str]:
    def git(*args: str) -> str:
        return subprocess.run(
            ["git", "-C", str(repo), *args], check=True, capture_output=True, text=True
        ).stdout

    sha = git("rev-parse", commit + "^{commit}").strip()
    names = [n for n in git("ls-tree", "-r", "--name-only", sha, "components/").split("\n") if n]
    return {n: git("show", f"{sha}:{n}") for n in names if kind_of(n)}, sha


def read_tree(root: Path) -> dict[str, str]:
    return {
        p.relative_to(root).as_posix(): p.read_text(encoding="utf-8")
        for p in sorted((root / "components").rglob("*.schema.json"))
        if kind_of(p.relative_to(root).as_posix())
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("repo", type=Path, help="a checkout or git directory of adobe/xdm")
    parser.add_argument("--commit", help="the commit to read (git directory) or to record")
    parser.add_argument("--out", type=Path, help="where to write (default: stdout)")
    args = parser.parse_args(argv)
    if (args.repo / "components").is_dir():
        files, commit = read_tree(args.repo), args.commit or "unknown"
    else:
        files, commit = read_git(args.repo, args.commit or "HEAD")
    text = generate(files, commit)
    if args.out is None:
        sys.stdout.write(text)
    else:
        args.out.write_text(text, encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""Any broken YAML is one positioned problem in aepflow's words, never an exception: the
example manifests with characters inserted or deleted at random (a fixed seed)."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from aepflow.manifest.yamlload import load_file
from aepflow.scaffold import EXAMPLE

REPO = Path(__file__).resolve().parents[2]
INSERTS = ["\t", ":", "[", "{", '"', "'", "&a ", "*a", "]", "}", "-", " ", "\n", "#", "|", ">"]
INSERTS += ["%", "@", "`", "!", "?", ",", "é", "\r", "  "]


@pytest.mark.parametrize(
    "source", ["init example", "salesforce-crm.yaml", "dynamics-contacts.yaml"]
)
def test_random_edits_never_raise_and_stay_positioned(tmp_path: Path, source: str) -> None:
    text = EXAMPLE if source == "init example" else (REPO / "manifests" / source).read_text()
    rng = random.Random(16)
    path = tmp_path / "m.yaml"
    refused = 0
    for _ in range(400):
        edited = text
        for _ in range(rng.randint(1, 3)):
            at = rng.randrange(len(edited))
            if rng.random() < 0.3:
                edited = edited[:at] + edited[at + 1 :]
            else:
                edited = edited[:at] + rng.choice(INSERTS) + edited[at:]
        path.write_text(edited)
        _, problems = load_file(path, "m.yaml")  # must not raise
        assert len(problems) <= 1
        if problems:
            refused += 1
            where = problems[0].location
            assert 1 <= where.line <= edited.count("\n") + 2 and where.col >= 1
            assert "Traceback" not in problems[0].message
    assert refused > 100

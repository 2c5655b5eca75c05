from __future__ import annotations

import json

from aepflow.engine.plan import UNKNOWN, Change, Plan, ResourceChange
from aepflow.render.plan_json import render_json
from aepflow.render.plan_markdown import render_markdown
from aepflow.render.plan_text import render_text


def sample_plan() -> Plan:
    return Plan(
        environment="prod",
        sandbox="prod",
        lock_checksum="L",
        live_checksum="V",
        lineage="lin",
        changes=(
            ResourceChange(
                "connection.crm",
                "connection",
                "update",
                id="c1",
                changes=(Change("params (secrets)", None, None, sensitive=True),),
            ),
            ResourceChange(
                "dataset.old", "dataset", "delete", id="d1", reason="no longer in the manifests"
            ),
            ResourceChange(
                "flow.f",
                "flow",
                "update",
                id="f1",
                reason="changed outside aepflow",
                drift=True,
                changes=(
                    Change("schedule.interval", 15, 30),
                    Change("mappingVersion", 0, UNKNOWN),
                ),
            ),
            ResourceChange("mappingSet.f", "mappingSet", "noop", id="m1"),
            ResourceChange(
                "sourceConnection.f",
                "sourceConnection",
                "replace",
                id="s1",
                changes=(Change("table", "Contact", "Lead", forces_replacement=True),),
            ),
            ResourceChange(
                "targetConnection.g",
                "targetConnection",
                "create",
                after={"name": "g target", "dataset": UNKNOWN},
            ),
        ),
    )


EXPECTED_TEXT = """\
aepflow will change environment "prod" (sandbox prod):

Note: objects have changed outside aepflow: flow.f

  # connection.crm will be updated in-place
  ~ connection.crm (id c1)
      ~ params (secrets): (sensitive value changed)

  # dataset.old will be destroyed (no longer in the manifests)
  - dataset.old (id d1)

  # flow.f will be updated in-place (changed outside aepflow)
  ~ flow.f (id f1)
      ~ schedule.interval: 15 -> 30
      ~ mappingVersion: 0 -> (known after apply)

  # sourceConnection.f must be replaced
-/+ sourceConnection.f (id s1)
      ~ table: "Contact" -> "Lead"  # forces replacement

  # targetConnection.g will be created
  + targetConnection.g
      + name    = "g target"
      + dataset = (known after apply)

Plan: 2 to add, 2 to change, 2 to destroy.
"""


def test_text_plan() -> None:
    assert render_text(sample_plan()) == EXPECTED_TEXT


def test_json_plan_is_stable_and_versioned() -> None:
    data = json.loads(render_json(sample_plan()))
    assert data["format_version"] == "2.0"
    assert data["summary"] == {
        "adopt": 0,
        "add": 2,
        "change": 2,
        "destroy": 2,
        "text": EXPECTED_TEXT.splitlines()[-1],
    }
    by_address = {c["address"]: c for c in data["resource_changes"]}
    assert by_address["sourceConnection.f"]["actions"] == ["delete", "create"]
    assert by_address["mappingSet.f"]["actions"] == ["no-op"]
    assert by_address["flow.f"]["drift"] is True
    assert Plan.from_data(data) == sample_plan()


def test_markdown_plan_puts_counts_first_and_folds_the_plan() -> None:
    md = render_markdown(sample_plan())
    lines = md.splitlines()
    assert lines[0] == "**Plan: 2 to add, 2 to change, 2 to destroy.**"
    assert (
        ":warning: **This plan destroys or replaces resources:** `dataset.old` (destroy), "
        "`sourceConnection.f` (replace)"
    ) in lines
    assert "**Objects have changed outside aepflow:** `flow.f`" in lines
    assert md.index("<details>") > md.index("Plan: 2 to add")
    assert "- dataset.old (id d1)" in lines
    assert "! -/+ sourceConnection.f (id s1)" in lines
    assert '!     ~ table: "Contact" -> "Lead"  # forces replacement' in lines
    assert "+ targetConnection.g" in lines
    assert md.endswith("</details>\n")


def test_markdown_plan_never_exceeds_the_comment_limit() -> None:
    big = Plan(
        "prod",
        "prod",
        tuple(
            ResourceChange(f"flow.f{i:05d}", "flow", "create", after={"name": "x" * 200})
            for i in range(600)
        ),
        "L",
        "V",
        "lin",
    )
    md = render_markdown(big)
    assert len(md) <= 65_000
    assert md.endswith(
        "\n... (plan truncated to fit a pull-request comment; run `aepflow plan` for all of "
        "it)\n```\n\n</details>\n"
    )
    assert md.startswith("**Plan: 600 to add, 0 to change, 0 to destroy.**")
    given = render_markdown(big, environment="prod")  # the -e the plan was made with
    assert len(given) <= 65_000
    assert given.endswith(
        "\n... (plan truncated to fit a pull-request comment; run `aepflow plan -e prod` for "
        "all of it)\n```\n\n</details>\n"
    )


def test_no_changes() -> None:
    plan = Plan(
        "local", "prod", (ResourceChange("flow.f", "flow", "noop", id="f"),), "L", "V", "lin"
    )
    assert render_text(plan) == "No changes.\n"
    assert render_markdown(plan).startswith("**No changes.**")


def test_markdown_warnings_stay_short_when_thousands_of_resources_are_destroyed() -> None:
    from aepflow.engine.plan import Plan, ResourceChange
    from aepflow.render.plan_markdown import render_markdown

    deletes = tuple(
        ResourceChange(f"flow.pipeline-{n:05d}", "flow", "delete", id=f"id-{n}", drift=True)
        for n in range(6000)
    )
    text = render_markdown(Plan("prod", "prod", deletes, "", "", ""))
    assert len(text) <= 65_000
    warning = next(line for line in text.splitlines() if line.startswith(":warning:"))
    assert len(warning) < 8_100 and warning.endswith(" more")
    assert "**Plan: 0 to add, 0 to change, 6000 to destroy.**" in text

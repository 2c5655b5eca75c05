"""Safety of plan, apply, import and the lock: no data lost, no pipeline created twice."""

from __future__ import annotations

import json
import os
from pathlib import Path

from tests.e2e.conftest import Project, apply_ok


def test_an_apply_that_waited_for_the_lock_plans_from_what_the_first_one_recorded(
    project: Project,
) -> None:
    from aepflow.workspace import locked, make_plan, open_workspace

    apply_ok(project)
    project.edit("flow.yaml", "table: Contact", "table: Lead")
    waiting = open_workspace(None, ())  # read the lock, then wait for the apply lock
    try:
        apply_ok(project)  # meanwhile another apply replaces the source and the flow
        with locked(waiting, 0, lambda message: None):
            plan = make_plan(waiting)
    finally:
        waiting.close()
    assert plan.summary() == "No changes."
    assert len(project.client().flow_list("flows")) == 1

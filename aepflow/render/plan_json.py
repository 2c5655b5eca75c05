"""The machine plan: ``Plan.to_data()`` as JSON (format documented in the README)."""

from __future__ import annotations

import json

from aepflow.engine.plan import Plan


def render_json(plan: Plan) -> str:
    return json.dumps(plan.to_data(), indent=2, sort_keys=True, ensure_ascii=False) + "\n"

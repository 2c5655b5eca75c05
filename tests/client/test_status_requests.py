"""`aepflow status` reads a bounded window of runs, pinned with respx against
help/dataflows/api/sort-and-filter.md ("Sorting", the ``run`` filterable properties) and
help/sources/tutorials/api/monitor.md."""

from __future__ import annotations

import httpx
import respx

from aepflow.engine.plan import Lock, LockEntry
from aepflow.platform import Credentials, PlatformClient
from aepflow.status import read_status

BASE = "https://platform.adobe.io"
IMS = "https://ims-na1.adobelogin.com"
FLOW_ID = "993f908f-3342-4d9c-9f3c-5aa9a189ca1a"


def _run(id: str, started: int, status: str) -> dict[str, object]:
    return {
        "id": id,
        "metrics": {
            "durationSummary": {"startedAtUTC": started, "completedAtUTC": started + 1000},
            "statusSummary": {"status": status, "errors": []},
        },
    }


@respx.mock(assert_all_mocked=True)
def test_status_asks_for_the_newest_runs_only(respx_mock: respx.MockRouter) -> None:
    respx_mock.post(IMS + "/ims/token/v3").mock(
        return_value=httpx.Response(200, json={"access_token": "t", "expires_in": 86399})
    )
    respx_mock.get(BASE + f"/data/foundation/flowservice/flows/{FLOW_ID}").mock(
        return_value=httpx.Response(200, json={"items": [{"id": FLOW_ID, "state": "enabled"}]})
    )
    runs = respx_mock.get(BASE + "/data/foundation/flowservice/runs").mock(
        return_value=httpx.Response(
            200,
            json={
                "items": [
                    _run("r3", 3000, "inProgress"),
                    _run("r2", 2000, "Failed"),
                    _run("r1", 1000, "success"),
                ],
                "_links": {"next": {"href": "/runs?continuationToken=abc"}},
            },
        )
    )
    client = PlatformClient(
        credentials=Credentials("cid", "secret", "ORG@AdobeOrg", "openid"),
        sandbox="dev",
        platform_url=BASE,
        ims_url=IMS,
    )
    lock = Lock("dev", "dev", resources={"flow.f": LockEntry(id=FLOW_ID, kind="flow")})
    status = read_status(client, lock, "dev", runs=2)
    (call,) = runs.calls  # one page: the next link is never followed
    assert call.request.url.params.multi_items() == [
        ("property", f"flowId=={FLOW_ID}"),
        ("orderby", "-createdAt"),
        ("limit", "3"),
    ]
    (flow,) = status.flows
    assert [r.id for r in flow.runs] == ["r3", "r2"]
    assert flow.failing  # the last finished run failed (sort-and-filter.md spells it Failed)

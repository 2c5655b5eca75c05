"""The preview use case's one read, pinned with respx, and its pure parts."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import httpx
import respx

from aepflow import dataprep
from aepflow.engine.sourcecheck import Table
from aepflow.platform import Credentials, PlatformClient
from aepflow.preview import FlowPreview, PlanPreview, Sample, flatten, sample_request, sample_rows
from aepflow.render.preview import render_markdown

BASE = "https://platform.adobe.io"
IMS = "https://ims-na1.adobelogin.com"


@respx.mock(assert_all_mocked=True)
def test_sample_rows_come_from_the_explore_endpoint_with_preview(
    respx_mock: respx.MockRouter,
) -> None:
    respx_mock.post(IMS + "/ims/token/v3").mock(
        return_value=httpx.Response(
            200, json={"access_token": "t", "token_type": "bearer", "expires_in": 86399}
        )
    )
    explore = respx_mock.get(BASE + "/data/foundation/flowservice/connections/c-1/explore").mock(
        return_value=httpx.Response(
            200,
            json={
                "format": "flat",
                "schema": {"columns": [{"name": "Id", "type": "string"}]},
                "data": [{"Id": "a"}, {"Id": "b"}],
            },
        )
    )
    client = PlatformClient(
        credentials=Credentials("id", "secret", "ORG@AdobeOrg", "openid"),
        sandbox="dev",
        platform_url=BASE,
        ims_url=IMS,
    )
    ws: Any = SimpleNamespace(client=client)
    assert sample_rows(ws, "c-1", Table("Contact Info", "Contact Info", "table")) == [
        {"Id": "a"},
        {"Id": "b"},
    ]
    sent = explore.calls[0].request
    assert sent.method == "GET"
    assert sent.url.path == "/data/foundation/flowservice/connections/c-1/explore"
    assert list(sent.url.params.multi_items()) == [
        ("objectType", "table"),
        ("object", "Contact Info"),
        ("preview", "true"),
    ]
    assert sent.headers["x-sandbox-name"] == "dev"


def _preview(flow: str, rows: int) -> PlanPreview:
    rule = dataprep.Rule("attribute", "Id", "person.id")
    samples = tuple(
        Sample({"Id": f"x{i}"}, dataprep.Record((("person.id", f"x{i}"),), ())) for i in range(rows)
    )
    return PlanPreview(flow, FlowPreview(flow, "dev", "crm", "T", (rule,), samples, ()))


def test_the_pull_request_section_names_the_flows_that_do_not_fit() -> None:
    one = render_markdown([_preview("a", 1)], 10_000)
    assert one.endswith('| `person.id` | `"x0"` | `Id` |\n\n</details>\n')
    budget = len(one) + 100
    text = render_markdown([_preview("a", 1), _preview("b", 1)], budget)
    assert len(text) <= budget
    assert "<code>a</code>" in text and "<code>b</code>" not in text
    assert text.endswith("Left out to fit the comment: b (run `aepflow preview FLOW` for them).\n")
    assert render_markdown([_preview("a", 1)], 50) == ""  # not even the heading fits


def test_a_pipe_in_a_value_does_not_break_the_table() -> None:
    rule = dataprep.Rule("expression", "concat(a, '|')", "person.id")
    record = dataprep.Record((("person.id", "x|"),), ())
    preview = FlowPreview("f", "dev", "crm", "T", (rule,), (Sample({"a": "x"}, record),), ())
    text = render_markdown([PlanPreview("f", preview)], 10_000)
    assert "| `person.id` | `\"x\\|\"` | `concat(a, '\\|')` |" in text


def test_a_rest_document_is_flattened_into_the_paths_mappings_name() -> None:
    doc = {
        "results": {"email": "a@b.co", "owner": {"id": 7}},
        "emails": [{"address": "x@y.z"}, {"address": "w@y.z"}],
        "tags": ["vip"],
        "previous": {},
    }
    assert flatten(doc) == {
        "results.email": "a@b.co",
        "results.owner.id": 7,
        "emails": [{"address": "x@y.z"}, {"address": "w@y.z"}],
        "emails[0].address": "x@y.z",
        "emails[1].address": "w@y.z",
        "tags": ["vip"],
        "previous": {},
    }


def test_views_and_rest_objects_are_read_as_the_source_check_reads_them() -> None:
    view = sample_request("c-1", Table("activecontacts", "activecontacts", "view"))
    assert view.params == (
        ("objectType", "view"),
        ("object", "activecontacts"),
        ("preview", "true"),
    )
    rest = sample_request("c-1", Table("contacts", "contacts", "rest"))
    assert rest.path == "/data/foundation/flowservice/connections/c-1/explore"
    assert rest.params == (
        ("objectType", "rest"),
        ("object", "json"),
        ("fileType", "json"),
        ("preview", "true"),
        ("sourceParams", "eyJvYmplY3RfdHlwZSI6ImNvbnRhY3RzIn0="),  # {"object_type":"contacts"}
    )

"""The two SugarCRM sources share one base connection spec; the explore request chooses the
object (help/sources/tutorials/api/create/crm/sugarcrm-events.md: ``sourceParams`` is
required, ``e30=`` for Events; sugarcrm-accounts-contacts.md: ``object_type``)."""

from __future__ import annotations

from tests.emulator.conftest import FLOW, Api, flow_error

SUGARCRM = "59a4b493-a615-40f9-bd38-f823d0909a2b"
REST = {"objectType": "rest", "object": "json", "fileType": "json", "preview": "true"}


def sugar(api: Api) -> str:
    body = {
        "name": "sugar",
        "auth": {
            "specName": "OAuth2 Refresh Code",
            "params": {"host": "developer.salesfusion.com", "username": "u", "password": "p"},
        },
        "connectionSpec": {"id": SUGARCRM, "version": "1.0"},
    }
    return api.created(api.post(f"{FLOW}/connections", body))


def test_one_sugarcrm_connection_serves_events_and_accounts_by_source_params(api: Api) -> None:
    conn = sugar(api)
    url = f"{FLOW}/connections/{conn}/explore"
    events = api.get(url, params={**REST, "sourceParams": "e30="}).json()
    assert "event_id" in events["schema"]["properties"]["results"]["properties"]
    accounts = api.get(
        url, params={**REST, "sourceParams": "eyJvYmplY3RfdHlwZSI6ImFjY291bnRzIn0="}
    ).json()
    assert "account_id" in accounts["schema"]["properties"]["results"]["properties"]


def test_a_rest_explore_without_source_params_is_refused(api: Api) -> None:
    missing = api.get(f"{FLOW}/connections/{sugar(api)}/explore", params=REST)
    assert flow_error(missing) == (
        400,
        "FLOW-1100-400",
        "The request could not be processed. Error from flow provider: sourceParams is "
        "required: a JSON object encoded in base64",
    )

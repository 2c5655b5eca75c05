"""More of a sandbox made by hand through the documented HTTP API: pipelines of self-serve REST
sources and of a source aepflow has no entry for, beside those of ``handmade.py``.

Requests follow help/sources/tutorials/api/create/customer-success/zendesk.md and
create/crm/sugarcrm-accounts-contacts.md (REST sources: JSON source connections, the REST flow
spec with a Mapping transformation only) and create/crm/adwords.md with
help/sources/tutorials/api/collect/crm.md (a table source through CRMToAEP).
"""

from __future__ import annotations

from tests.e2e.handmade import CONVERSION, FLOW, START, XED_FULL, Http, _flow, _target

ZENDESK = {"id": "0a27232b-2c6e-4396-b8c6-c9fc24e37ba4", "version": "1.0"}
SUGARCRM = {"id": "59a4b493-a615-40f9-bd38-f823d0909a2b", "version": "1.0"}
GENERIC_REST_SOURCE = {"id": "63d2b27b-69a5-45c9-a7fe-78148a25de3c", "version": "1.0"}
ADWORDS = {"id": "d771e9c1-4f26-40dc-8617-ce58c4b53702", "version": "1.0"}
REST_FLOW = {"id": "6499120c-0b15-42dc-936e-847ea3c24d72", "version": "1.0"}


def build_rest_and_generic(http: Http, ids: dict[str, str]) -> dict[str, str]:
    """Three more pipelines into the Contacts dataset of :func:`build_by_hand`: two REST
    sources (Zendesk, one object; SugarCRM, the ``contacts`` object) and Google AdWords, which
    aepflow has no entry for (imported in the generic form)."""
    schema, dataset = ids["schema"], ids["ds_dyn"]
    # create/customer-success/zendesk.md: a base connection, a source connection with
    # data.format json and no params, the REST flow spec with a Mapping transformation only.
    ids["zendesk"] = _connection(
        http,
        "Zendesk support",
        "OAuth2 Refresh Code",
        {"subdomain": "https://acme.zendesk.com", "accessToken": "zd-token"},
        ZENDESK,
    )
    source = _rest_source(http, "Zendesk users", ids["zendesk"], ZENDESK, {})
    ids["flow_zendesk"] = _rest_flow(
        http,
        "Zendesk users",
        source,
        _target(http, "Zendesk target", schema, dataset),
        _mapping(
            http,
            schema,
            {"result.email": "personalEmail.address", "result.name": "person.name.fullName"},
        ),
    )
    # create/crm/sugarcrm-accounts-contacts.md: the base connection's spec differs from the
    # source connection's; the object is object_type (and path).
    ids["sugar"] = _connection(
        http,
        "SugarCRM prod",
        "OAuth2 Refresh Code",
        {"host": "developer.salesfusion.com", "username": "sugar-user", "password": "sugar-pw"},
        SUGARCRM,
    )
    source = _rest_source(
        http,
        "SugarCRM contacts",
        ids["sugar"],
        GENERIC_REST_SOURCE,
        {"object_type": "contacts", "path": "contacts"},
    )
    ids["flow_sugar"] = _rest_flow(
        http,
        "SugarCRM contacts",
        source,
        _target(http, "SugarCRM target", schema, dataset),
        _mapping(
            http,
            schema,
            {
                "results.first_name": "person.name.firstName",
                "results.email": "personalEmail.address",
            },
        ),
    )
    # create/crm/adwords.md: no entry in aepflow; a table source through CRMToAEP.
    ids["adwords"] = _connection(
        http,
        "AdWords account",
        "Basic Authentication for google-adwords",
        {
            "clientCustomerID": "123-456-7890",
            "developerToken": "dev-token",
            "refreshToken": "refresh",
            "clientId": "adwords-app",
            "clientSecret": "adwords-secret",
        },
        ADWORDS,
    )
    source = http.call(
        "POST",
        f"{FLOW}/sourceConnections",
        {
            "name": "AdWords campaigns",
            "baseConnectionId": ids["adwords"],
            "data": {"format": "tabular"},
            "params": {
                "tableName": "Campaign",
                "columns": [
                    {"name": "CampaignId", "type": "string", "xdm": {"type": "string"}},
                    {"name": "CampaignName", "type": "string", "xdm": {"type": "string"}},
                    {"name": "Date", "type": "date-time", "xdm": {"type": "date-time"}},
                ],
            },
            "connectionSpec": ADWORDS,
        },
    )["id"]
    ids["flow_adwords"] = _flow(
        http,
        "AdWords campaigns",
        source,
        _target(http, "AdWords target", schema, dataset),
        _mapping(http, schema, {"CampaignName": "person.name.fullName"}),
        {"name": "Date"},
        {"startTime": START, "frequency": "day", "interval": "1"},
        {},
    )
    return ids


def _connection(
    http: Http, name: str, spec_name: str, params: dict[str, str], spec: dict[str, str]
) -> str:
    body = {"name": name, "auth": {"specName": spec_name, "params": params}, "connectionSpec": spec}
    return str(http.call("POST", f"{FLOW}/connections", body)["id"])


def _rest_source(
    http: Http, name: str, base: str, spec: dict[str, str], params: dict[str, str]
) -> str:
    body = {
        "name": name,
        "baseConnectionId": base,
        "data": {"format": "json"},
        "params": params,
        "connectionSpec": spec,
    }
    return str(http.call("POST", f"{FLOW}/sourceConnections", body)["id"])


def _mapping(http: Http, schema: str, pairs: dict[str, str]) -> str:
    body = {
        "outputSchema": {"schemaRef": {"id": schema, "contentType": XED_FULL}},
        "mappings": [
            {"sourceType": "ATTRIBUTE", "source": source, "destination": destination}
            for source, destination in pairs.items()
        ],
    }
    return str(http.call("POST", f"{CONVERSION}/mappingSets", body)["id"])


def _rest_flow(http: Http, name: str, source: str, target: str, mapping: str) -> str:
    body = {
        "name": name,
        "flowSpec": REST_FLOW,
        "sourceConnectionIds": [source],
        "targetConnectionIds": [target],
        "transformations": [
            {"name": "Mapping", "params": {"mappingId": mapping, "mappingVersion": 0}}
        ],
        "scheduleParams": {"startTime": START, "frequency": "minute", "interval": "15"},
    }
    return str(http.call("POST", f"{FLOW}/flows", body)["id"])

"""The connectors aepflow manages, by the friendly names manifests use: one entry of data each.

Each entry is taken from its Flow Service API tutorial (cited in ``doc``): the connectionSpec id,
the auth types with their params and secrets, the source shape (a table with columns, or a
self-serve REST source read as JSON), the flow spec its dataflows use, and how it is explored.
Validate, the kinds, explore, import and the editor schema read these entries; nothing about a
connector is written anywhere else. The emulator keeps its own server-side copy of the specs
(``aepflow/emulator/data``), checked against these entries by the tests.

A connector with no entry is still usable: ``connector: {spec: ID}`` (see ``GENERIC``), whose
params are checked at plan time against the connection spec the platform serves.
"""

from __future__ import annotations

from dataclasses import dataclass, field

# help/sources/tutorials/api/collect/crm.md: tabular CRM and customer-success sources.
FLOW_SPEC_ID = "14518937-270c-4525-bdec-c2ba7cce3860"
FLOW_SPEC_NAME = "CRMToAEP"
# help/sources/tutorials/api/create/customer-success/zendesk.md ("Create a flow") and the
# SugarCRM tutorials: the self-serve REST sources' flow spec. Its name is UNCONFIRMED (no
# tutorial prints it); aepflow only ever sends and compares the id.
REST_FLOW_SPEC_ID = "6499120c-0b15-42dc-936e-847ea3c24d72"
REST_FLOW_SPEC_NAME = "GenericRestToAEP"
FLOW_SPEC_IDS = (FLOW_SPEC_ID, REST_FLOW_SPEC_ID)
DATA_LAKE_SPEC_ID = "c604ff05-7f1a-43c0-8e18-33bf874cb11c"
SPEC_VERSION = "1.0"
XED_FULL = "application/vnd.adobe.xed-full+json;version=1"

TABULAR = (
    "tabular"  # explore objectType=root / table (help/sources/tutorials/api/explore/tabular.md)
)
REST = "rest"  # explore objectType=rest, source connections with data.format json


@dataclass(frozen=True)
class AuthType:
    key: str  # what manifests write under auth.type
    spec_name: str  # AEP authSpec name, sent as auth.specName
    required: tuple[str, ...]
    optional: tuple[str, ...] = ()
    secrets: frozenset[str] = frozenset()  # params that must come from ${env:...}
    deprecated: str = ""  # why validate warns against it, and what to use instead

    @property
    def params(self) -> tuple[str, ...]:
        return self.required + self.optional


@dataclass(frozen=True)
class RestSource:
    """How a self-serve REST source is read: ``GET /connections/{id}/explore?objectType=rest
    &object=json&fileType=json&preview=true&sourceParams=BASE64`` answers a JSON schema, and
    its source connections carry ``data.format: json``."""

    # The connectionSpec its source connections name. The SugarCRM tutorials name another
    # spec (the generic REST one) than their base connection's; Zendesk names its own.
    source_spec_id: str
    # The values of ``object_type`` it serves (sourceParams and the source connection's
    # params); () when it serves one object and takes no params.
    objects: tuple[str, ...] = ()


@dataclass(frozen=True)
class Connector:
    key: str  # friendly name used in manifests
    title: str
    spec_id: str  # connectionSpec id of its base connections
    spec_name: str  # connectionSpec name as AEP lists it
    auth_types: dict[str, AuthType]
    doc: str = ""  # the tutorial the entry follows
    family: str = "crm"  # "crm" or "customer-success" (help/sources/home.md)
    shape: str = TABULAR
    rest: RestSource | None = None
    # help/sources/tutorials/api/filter.md lists the sources with row-level filters.
    row_filters: bool = False
    # help/sources/tutorials/api/create/crm/ms-dynamics.md: views and a primary key.
    views: bool = False
    # Default deltaColumn date format (help/sources/tutorials/api/collect/crm.md: Dynamics
    # differs from the others).
    date_format: str = "yyyy-MM-dd HH:mm:ss"
    notes: tuple[str, ...] = field(default=())

    @property
    def flow_spec_id(self) -> str:
        return REST_FLOW_SPEC_ID if self.shape == REST else FLOW_SPEC_ID

    @property
    def source_spec_id(self) -> str:
        return self.rest.source_spec_id if self.rest else self.spec_id


def _basic(
    *required: str, secrets: tuple[str, ...], spec_name: str = "Basic Authentication"
) -> AuthType:
    return AuthType("basic", spec_name, required=required, secrets=frozenset(secrets))


# help/sources/tutorials/api/create/crm/salesforce.md: OAuth 2 client credentials is the way
# to connect; basic authentication is deprecated as of January 2026; Experience Platform on
# AWS uses a JWT. customer-success/salesforce-service-cloud.md documents only basic and OAuth 2
# client credentials: no JWT for Service Cloud.
_SALESFORCE_OAUTH = AuthType(
    "oauth2-client-credentials",
    "OAuth2 Client Credential",
    required=("environmentUrl", "clientId", "clientSecret", "apiVersion"),
    optional=("includeDeletedObjects",),
    secrets=frozenset({"clientSecret"}),
)
_SALESFORCE_JWT = AuthType(
    "oauth2-jwt",
    "OAuth2 JWT Token Credential",
    required=("jwtToken", "clientId", "clientSecret", "instanceUrl"),
    secrets=frozenset({"jwtToken", "clientSecret"}),
)
_SALESFORCE_BASIC = AuthType(
    "basic",
    "Basic Authentication",
    required=("username", "password", "securityToken"),
    # Older connectionSpecs default environmentUrl to login.salesforce.com.
    optional=("environmentUrl", "apiVersion"),
    secrets=frozenset({"password", "securityToken"}),
    deprecated=(
        "basic authentication to Salesforce is deprecated since January 2026; use "
        "oauth2-client-credentials (or oauth2-jwt on Experience Platform on AWS)"
    ),
)
_SERVICE_CLOUD_BASIC = AuthType(
    _SALESFORCE_BASIC.key,
    _SALESFORCE_BASIC.spec_name,
    required=_SALESFORCE_BASIC.required,
    optional=_SALESFORCE_BASIC.optional,
    secrets=_SALESFORCE_BASIC.secrets,
    deprecated=(
        "basic authentication to Salesforce is deprecated since January 2026; use "
        "oauth2-client-credentials"
    ),
)

# The SugarCRM tutorials create their base connections with the generic REST connection spec
# and their source connections with another one; both SugarCRM sources share them.
_SUGARCRM_SPEC_ID = "59a4b493-a615-40f9-bd38-f823d0909a2b"
_GENERIC_REST_SOURCE_SPEC_ID = "63d2b27b-69a5-45c9-a7fe-78148a25de3c"
_SUGARCRM_AUTH = {
    "oauth2-refresh-code": AuthType(
        "oauth2-refresh-code",
        "OAuth2 Refresh Code",
        required=("host", "username", "password"),
        secrets=frozenset({"password"}),
    )
}

_ENTRIES = (
    Connector(
        "salesforce-service-cloud",
        "Salesforce Service Cloud",
        "cb66ab34-8619-49cb-96d1-39b37ede86ea",
        "salesforce-service-cloud",
        {"oauth2-client-credentials": _SALESFORCE_OAUTH, "basic": _SERVICE_CLOUD_BASIC},
        doc="help/sources/tutorials/api/create/customer-success/salesforce-service-cloud.md",
        family="customer-success",
    ),
    Connector(
        "servicenow",
        "ServiceNow",
        "eb13cb25-47ab-407f-ba89-c0125281c563",
        "service-now",
        {"basic": _basic("endpoint", "username", "password", secrets=("password",))},
        doc="help/sources/tutorials/api/create/customer-success/servicenow.md",
        family="customer-success",
    ),
    Connector(
        "salesforce",
        "Salesforce",
        "cfc0fee1-7dc0-40ef-b73e-d8b134c436f5",
        "salesforce",
        {
            "oauth2-client-credentials": _SALESFORCE_OAUTH,
            "oauth2-jwt": _SALESFORCE_JWT,
            "basic": _SALESFORCE_BASIC,
        },
        doc="help/sources/tutorials/api/create/crm/salesforce.md",
        row_filters=True,
    ),
    Connector(
        "dynamics",
        "Microsoft Dynamics",
        "38ad80fe-8b06-4938-94f4-d4ee80266b07",
        "dynamics-online",
        {
            "basic": _basic(
                "serviceUri",
                "username",
                "password",
                secrets=("password",),
                spec_name="Basic Authentication for Dynamics-Online",
            ),
            "service-principal": AuthType(
                "service-principal",
                "Service Principal Key Based Authentication",
                required=("serviceUri", "servicePrincipalId", "servicePrincipalKey"),
                secrets=frozenset({"servicePrincipalKey"}),
            ),
        },
        doc="help/sources/tutorials/api/create/crm/ms-dynamics.md",
        date_format="yyyy-MM-ddTHH:mm:ssZ",
        row_filters=True,
        views=True,
    ),
    # The HubSpot tutorial lives beside the marketing automation sources; its dataflows are
    # made as in collect/marketing-automation.md (CRMToAEP lists its spec). spec_name
    # UNCONFIRMED (the tutorial never prints it).
    Connector(
        "hubspot",
        "HubSpot",
        "cc6a4487-9e91-433e-a3a3-9cf6626c1806",
        "hubspot",
        {
            "basic": _basic(
                "clientId",
                "clientSecret",
                "accessToken",
                "refreshToken",
                secrets=("clientSecret", "accessToken", "refreshToken"),
            )
        },
        doc="help/sources/tutorials/api/create/marketing-automation/hubspot.md",
    ),
    # Explored as a table source (explore/crm.md); dataflows as in collect/crm.md. spec_name
    # UNCONFIRMED.
    Connector(
        "veeva",
        "Veeva CRM",
        "fcad62f3-09b0-41d3-be11-449d5a621b69",
        "veeva",
        {
            "basic": _basic(
                "environmentUrl",
                "username",
                "password",
                "securityToken",
                secrets=("password", "securityToken"),
            )
        },
        doc="help/sources/tutorials/api/create/crm/veeva.md",
    ),
    # Explored with explore/tabular.md; dataflows as in collect/crm.md. spec_name UNCONFIRMED.
    Connector(
        "zoho",
        "Zoho CRM",
        "929e4450-0237-4ed2-9404-b7e1e0a00309",
        "zoho-crm",
        {
            "basic": _basic(
                "endpoint",
                "accountsUrl",
                "clientId",
                "clientSecret",
                "accessToken",
                "refreshToken",
                secrets=("clientSecret", "accessToken", "refreshToken"),
            )
        },
        doc="help/sources/tutorials/api/create/crm/zoho.md",
    ),
    # Explored with explore/tabular.md; dataflows as in collect/customer-success.md. Adobe
    # deprecates this source (end of May 2025, per its tutorial). spec_name UNCONFIRMED.
    Connector(
        "oracle-service-cloud",
        "Oracle Service Cloud",
        "ba5126ec-c9ac-11eb-b8bc-0242ac130003",
        "oracle-service-cloud",
        {"basic": _basic("host", "username", "password", secrets=("password",))},
        doc="help/sources/tutorials/api/create/customer-success/oracle-service-cloud.md",
        family="customer-success",
    ),
    Connector(
        "zendesk",
        "Zendesk",
        "0a27232b-2c6e-4396-b8c6-c9fc24e37ba4",
        "zendesk",  # UNCONFIRMED
        {
            "oauth2-refresh-code": AuthType(
                "oauth2-refresh-code",
                "OAuth2 Refresh Code",
                required=("subdomain", "accessToken"),
                secrets=frozenset({"accessToken"}),
            )
        },
        doc="help/sources/tutorials/api/create/customer-success/zendesk.md",
        family="customer-success",
        shape=REST,
        rest=RestSource("0a27232b-2c6e-4396-b8c6-c9fc24e37ba4"),
    ),
    Connector(
        "sugarcrm",
        "SugarCRM Accounts & Contacts",
        _SUGARCRM_SPEC_ID,
        "generic-rest",  # UNCONFIRMED: the shared spec's name is not printed
        _SUGARCRM_AUTH,
        doc="help/sources/tutorials/api/create/crm/sugarcrm-accounts-contacts.md",
        shape=REST,
        rest=RestSource(_GENERIC_REST_SOURCE_SPEC_ID, objects=("accounts", "contacts")),
    ),
    Connector(
        "sugarcrm-events",
        "SugarCRM Events",
        _SUGARCRM_SPEC_ID,
        "generic-rest",
        _SUGARCRM_AUTH,
        doc="help/sources/tutorials/api/create/crm/sugarcrm-events.md",
        shape=REST,
        rest=RestSource(_GENERIC_REST_SOURCE_SPEC_ID),
    ),
    Connector(
        "sap-subscription-billing",
        "SAP Subscription Billing (SAP Hybris)",
        "d8ee38de-7ae9-4058-9610-c79ce75f8e92",
        "sap-subscription-billing",  # UNCONFIRMED
        {
            "oauth2-client-credentials": AuthType(
                "oauth2-client-credentials",
                "OAuth2 Client Credential",
                required=("region", "clientId", "clientSecret", "tokenEndpoint"),
                secrets=frozenset({"clientSecret"}),
            )
        },
        doc="help/sources/tutorials/api/create/crm/sap-hybris-subscription-billing-customers-and-contacts.md",
        shape=REST,
        rest=RestSource(_GENERIC_REST_SOURCE_SPEC_ID, objects=("customers", "contacts")),
    ),
)

CONNECTORS: dict[str, Connector] = {c.key: c for c in _ENTRIES}

# A spec id -> its connector. Two SugarCRM sources share one connection spec: a base
# connection of that spec reads back as the first (their connections are alike).
CONNECTORS_BY_SPEC_ID: dict[str, Connector] = {}
for _c in _ENTRIES:
    CONNECTORS_BY_SPEC_ID.setdefault(_c.spec_id, _c)

# The manifest form for a connector with no entry: ``connector: {spec: ID}``.
GENERIC = "generic"


def connector_of_spec(spec_id: str, key: str = "") -> Connector | None:
    """The entry of a connection of connection spec ``spec_id`` whose manifest names connector
    ``key`` ("" when unknown: the first entry of the spec). AEP itself cannot tell the two
    SugarCRM sources' base connections apart (both tutorials create them alike); their source
    connections differ: ``params: {}`` and ``sourceParams`` ``e30=`` for Events
    (help/sources/tutorials/api/create/crm/sugarcrm-events.md), ``object_type`` for Accounts
    & Contacts (create/crm/sugarcrm-accounts-contacts.md)."""
    named = CONNECTORS.get(key)
    if named is not None and named.spec_id == spec_id:
        return named
    return CONNECTORS_BY_SPEC_ID.get(spec_id)


def connector_of(key: str) -> Connector | None:
    """The entry of a manifest's connector key; None for a generic connection."""
    return CONNECTORS.get(key)

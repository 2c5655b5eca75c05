"""The connectors aepflow manages, by the friendly names manifests use.

Facts from the sources API tutorials (help/sources/tutorials/api/create/crm/ and
customer-success/): connectionSpec ids, authSpec names and params.
All four connectors use the CRMToAEP flow spec and the Data Lake target.
"""

from __future__ import annotations

from dataclasses import dataclass

FLOW_SPEC_ID = "14518937-270c-4525-bdec-c2ba7cce3860"
FLOW_SPEC_NAME = "CRMToAEP"
DATA_LAKE_SPEC_ID = "c604ff05-7f1a-43c0-8e18-33bf874cb11c"
SPEC_VERSION = "1.0"
XED_FULL = "application/vnd.adobe.xed-full+json;version=1"


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
class Connector:
    key: str  # friendly name used in manifests
    title: str
    spec_id: str  # connectionSpec id
    spec_name: str  # connectionSpec name as AEP lists it
    auth_types: dict[str, AuthType]
    # help/sources/tutorials/api/filter.md lists the sources with row-level filters.
    row_filters: bool = False
    # help/sources/tutorials/api/create/crm/ms-dynamics.md: views and a primary key.
    views: bool = False
    # Default deltaColumn date format (help/sources/tutorials/api/collect/crm.md: Dynamics
    # differs from the others).
    date_format: str = "yyyy-MM-dd HH:mm:ss"


# help/sources/tutorials/api/create/crm/salesforce.md and customer-success/
# salesforce-service-cloud.md: OAuth 2 client credentials is the way to connect; basic
# authentication is deprecated as of January 2026; Experience Platform on AWS uses a JWT.
_SALESFORCE_AUTH = {
    "oauth2-client-credentials": AuthType(
        "oauth2-client-credentials",
        "OAuth2 Client Credential",
        required=("environmentUrl", "clientId", "clientSecret", "apiVersion"),
        optional=("includeDeletedObjects",),
        secrets=frozenset({"clientSecret"}),
    ),
    "oauth2-jwt": AuthType(
        "oauth2-jwt",
        "OAuth2 JWT Token Credential",
        required=("jwtToken", "clientId", "clientSecret", "instanceUrl"),
        secrets=frozenset({"jwtToken", "clientSecret"}),
    ),
    "basic": AuthType(
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
    ),
}

CONNECTORS: dict[str, Connector] = {
    "salesforce-service-cloud": Connector(
        "salesforce-service-cloud",
        "Salesforce Service Cloud",
        "cb66ab34-8619-49cb-96d1-39b37ede86ea",
        "salesforce-service-cloud",
        _SALESFORCE_AUTH,
    ),
    "servicenow": Connector(
        "servicenow",
        "ServiceNow",
        "eb13cb25-47ab-407f-ba89-c0125281c563",
        "service-now",
        {
            "basic": AuthType(
                "basic",
                "Basic Authentication",
                required=("endpoint", "username", "password"),
                secrets=frozenset({"password"}),
            )
        },
    ),
    "salesforce": Connector(
        "salesforce",
        "Salesforce",
        "cfc0fee1-7dc0-40ef-b73e-d8b134c436f5",
        "salesforce",
        _SALESFORCE_AUTH,
        row_filters=True,
    ),
    "dynamics": Connector(
        "dynamics",
        "Microsoft Dynamics",
        "38ad80fe-8b06-4938-94f4-d4ee80266b07",
        "dynamics-online",
        {
            "basic": AuthType(
                "basic",
                "Basic Authentication for Dynamics-Online",
                required=("serviceUri", "username", "password"),
                secrets=frozenset({"password"}),
            ),
            "service-principal": AuthType(
                "service-principal",
                "Service Principal Key Based Authentication",
                required=("serviceUri", "servicePrincipalId", "servicePrincipalKey"),
                secrets=frozenset({"servicePrincipalKey"}),
            ),
        },
        date_format="yyyy-MM-ddTHH:mm:ssZ",
        row_filters=True,
        views=True,
    ),
}

CONNECTORS_BY_SPEC_ID: dict[str, Connector] = {c.spec_id: c for c in CONNECTORS.values()}

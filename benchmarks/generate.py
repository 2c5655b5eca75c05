"""An independent generator of aepflow projects for the benchmarks.

    python benchmarks/generate.py --pipelines 1000 --out /tmp/project

It knows nothing of aepflow's code: it writes YAML text by string formatting (no aepflow
import, no YAML library), from the manifest format as the user documentation describes it, so
a change in aepflow's loader or planner cannot make the benchmark's input easier.

A project of N pipelines has:

- 4 connections (Salesforce, Salesforce Service Cloud, ServiceNow, Microsoft Dynamics),
  credentials from ``${env:...}``, in ``manifests/connections.yaml``;
- ``SCHEMAS`` shared profile schemas in ``manifests/schemas.yaml`` (two standard field groups,
  ``FIELDS`` custom fields, two identities each: Email and CRMID);
- one file per pipeline, ``manifests/<connector>/pipeline-NNNNN.yaml``, with a Dataflow
  (its own inline dataset, every column of its table as the emulator's source catalog
  ``aepflow/emulator/data/explore.json`` serves it (read as data: a plan checks each table
  and column against the source's own), one mapping per schema field (``FIELDS`` + 4, fed
  from columns of the field's type), a delta column and an hourly schedule), written in the
  block style people write by hand, comments and descriptions included.

The resources a project creates, counted from the AEP workflow and not from aepflow: per
connection 1; per schema 1, plus the field group that holds its custom fields (the XDM API
tutorial's order: a tenant field group, then the schema that uses it), plus 1 descriptor per
identity; per pipeline a source connection, a dataset, a target connection, a mapping set and
a flow (5). :func:`expected_resources` returns that count.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

SCHEMAS = 10
IDENTITIES = 2
FIELDS = 48  # custom fields per schema

# connector key, auth type, params (values as written in the manifest), table, key column,
# delta column
CONNECTORS: list[tuple[str, str, dict[str, str], str, str, str]] = [
    (
        "salesforce",
        "oauth2-client-credentials",
        {
            "environmentUrl": "https://acme.my.salesforce.com",
            "clientId": "${env:SF_CLIENT_ID}",
            "clientSecret": "${env:SF_CLIENT_SECRET}",
            "apiVersion": "60.0",
        },
        "Contact",
        "Id",
        "LastModifiedDate",
    ),
    (
        "salesforce-service-cloud",
        "oauth2-client-credentials",
        {
            "environmentUrl": "https://acme.my.salesforce.com",
            "clientId": "${env:SFSC_CLIENT_ID}",
            "clientSecret": "${env:SFSC_CLIENT_SECRET}",
            "apiVersion": "60.0",
        },
        "Lead",
        "Id",
        "LastModifiedDate",
    ),
    (
        "servicenow",
        "basic",
        {
            "endpoint": "https://acme.service-now.com",
            "username": "${env:SN_USER}",
            "password": "${env:SN_PASSWORD}",
        },
        "sys_user",
        "sys_id",
        "sys_updated_on",
    ),
    (
        "dynamics",
        "basic",
        {
            "serviceUri": "https://acme.crm.dynamics.com",
            "username": "${env:DYN_USER}",
            "password": "${env:DYN_PASSWORD}",
        },
        "contact",
        "contactid",
        "modifiedon",
    ),
]

# standard XDM paths every schema has (profile-person-details, profile-personal-details)
STANDARD = [
    ("firstname", "person.name.firstName", None),
    ("lastname", "person.name.lastName", None),
    ("email", "personalEmail.address", "lower({col})"),
    ("mobile", "mobilePhone.number", None),
]
# Each connector's source columns for the standard paths above, as its table names them.
STANDARD_COLUMNS = {
    "salesforce": ("FirstName", "LastName", "Email", "MobilePhone"),
    "salesforce-service-cloud": ("FirstName", "LastName", "Email", "Phone"),
    "servicenow": ("first_name", "last_name", "email", "mobile_phone"),
    "dynamics": ("firstname", "lastname", "emailaddress1", "mobilephone"),
}
# The source catalog the emulator serves (data, not code): a plan checks every table and
# column against the source's own, so the pipelines read the tables and columns it knows.
CATALOG = Path(__file__).resolve().parents[1] / "aepflow" / "emulator" / "data" / "explore.json"
CATALOG_NAMES = {
    "salesforce": "salesforce",
    "salesforce-service-cloud": "salesforce",
    "servicenow": "service-now",
    "dynamics": "dynamics-online",
}
# Custom field types, in turn; each is fed from a source column of the same type.
KINDS = ("string", "string", "date-time", "string")

PROJECT = """\
version: 1
manifests: manifests
defaultEnvironment: local
environments:
  local:
    type: embedded
    sandbox: prod
  bench:
    type: aep  # the emulator served in its own process (AEPFLOW_PLATFORM_URL)
    sandbox: prod
"""


def env_names() -> list[str]:
    """Every ``${env:NAME}`` the manifests read."""
    return [
        value[6:-1]
        for _, _, params, *_ in CONNECTORS
        for value in params.values()
        if value.startswith("${env:")
    ]


def expected_resources(pipelines: int) -> int:
    return len(CONNECTORS) + SCHEMAS * (2 + IDENTITIES) + 5 * pipelines


def depth() -> int:
    """Longest dependency chain, from the AEP workflow: field group -> schema -> dataset ->
    target connection -> flow (a flow needs its source, target and mapping set; a mapping set
    its schema; a source connection its base connection)."""
    return 5


def _q(text: str) -> str:
    """A YAML double-quoted scalar."""
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def connections() -> str:
    docs = []
    for key, auth, params, *_ in CONNECTORS:
        lines = [
            f"# {key}: credentials come from the environment",
            "apiVersion: aepflow.io/v1",
            "kind: Connection",
            "metadata:",
            f"  name: {key}",
            f"  description: {_q('Bench connection to ' + key)}",
            "spec:",
            f"  connector: {key}",
            "  auth:",
            f"    type: {auth}",
            "    params:",
            *(f"      {name}: {_q(value)}" for name, value in params.items()),
        ]
        docs.append("\n".join(lines) + "\n")
    return "---\n".join(docs)


def schemas() -> str:
    docs = []
    for i in range(SCHEMAS):
        lines = [
            "apiVersion: aepflow.io/v1",
            "kind: Schema",
            "metadata:",
            f"  name: people-{i:02d}",
            "spec:",
            f"  title: {_q(f'Bench people {i:02d}')}",
            f"  description: {_q(f'People from the CRMs, group {i:02d}')}",
            "  class: profile",
            "  fieldGroups:",
            "    - profile-person-details",
            "    - profile-personal-details",
            "  customFields:",
            "    crmId:",
            "      type: string",
            "      title: CRM ID",
        ]
        for f in range(FIELDS - 1):
            kind = KINDS[f % len(KINDS)]
            lines += [
                f"    attr{f:02d}:",
                f"      type: {kind}",
                f"      title: {_q(f'Attribute {f:02d}')}",
                f"      description: {_q(f'Custom attribute {f:02d} of the bench schema')}",
            ]
        lines += [
            "  identities:",
            "    - field: personalEmail.address",
            "      namespace: Email",
            "      primary: true",
            '    - field: "_${tenant}.crmId"',
            "      namespace: CRMID",
        ]
        docs.append("\n".join(lines) + "\n")
    return "---\n".join(docs)


def _columns(table: str, connector: str) -> list[tuple[str, str]]:
    """(name, type) of the table's columns in the emulator's source catalog."""
    catalog = json.loads(CATALOG.read_text())
    columns = catalog["tables"][CATALOG_NAMES[connector]][table]
    return [(c["name"], c["type"]) for c in columns]


def pipeline(n: int) -> tuple[str, str]:
    """(connector key, the manifest text) of pipeline ``n``."""
    key, _, _, table, id_column, delta = CONNECTORS[n % len(CONNECTORS)]
    known = _columns(table, key)
    columns = [name for name, _ in known]
    by_type = {kind: [name for name, t in known if t == kind] for kind in KINDS}
    lines = [
        f"# pipeline {n}: {key} {table} into its own dataset",
        "apiVersion: aepflow.io/v1",
        "kind: Dataflow",
        "metadata:",
        f"  name: pipeline-{n:05d}",
        f"  description: {_q(f'Bench pipeline {n} from {key}')}",
        "spec:",
        f"  name: {_q(f'Bench pipeline {n:05d}')}",
        f"  description: {_q(f'{table} rows from {key}, hourly, generated for the benchmark')}",
        f"  connection: {key}",
        "  source:",
        f"    table: {table}",
        "    columns:",
        *(f"      - {c}" for c in columns),
        f"  schema: people-{n % SCHEMAS:02d}",
        "  dataset:",
        f"    name: {_q(f'Bench pipeline {n:05d}')}",
        f"    description: {_q(f'Rows of pipeline {n:05d}')}",
        "  mappings:",
        f"    - source: {id_column}",
        '      destination: "_${tenant}.crmId"',
    ]
    for column, (_, destination, expression) in zip(STANDARD_COLUMNS[key], STANDARD, strict=True):
        if expression:
            lines += [
                f"    - expression: {_q(expression.format(col=column))}",
                f"      destination: {destination}",
            ]
        else:
            lines += [f"    - source: {column}", f"      destination: {destination}"]
    for f in range(FIELDS - 1):
        choices = by_type[KINDS[f % len(KINDS)]]
        source = choices[f % len(choices)]
        lines += [f"    - source: {source}", f'      destination: "_${{tenant}}.attr{f:02d}"']
    lines += [
        "  deltaColumn:",
        f"    name: {delta}",
        "  schedule:",
        "    frequency: hour",
        "    interval: 1",
        '    start: "2030-01-01T00:00:00Z"',
    ]
    return key, "\n".join(lines) + "\n"


def generate(root: Path, pipelines: int) -> int:
    """Write the project under ``root``; returns the bytes of manifests written."""
    manifests = root / "manifests"
    manifests.mkdir(parents=True)
    (root / "aepflow.yaml").write_text(PROJECT, encoding="utf-8")
    size = 0
    for name, body in (("connections.yaml", connections()), ("schemas.yaml", schemas())):
        size += (manifests / name).write_text(body, encoding="utf-8")
    for n in range(pipelines):
        key, body = pipeline(n)
        folder = manifests / key
        folder.mkdir(exist_ok=True)
        size += (folder / f"pipeline-{n:05d}.yaml").write_text(body, encoding="utf-8")
    return size


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--pipelines", type=int, default=1000)
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args()
    size = generate(args.out, args.pipelines)
    print(
        f"{args.pipelines} pipelines, {expected_resources(args.pipelines)} resources, "
        f"{size / 1e6:.2f} MB of manifests in {args.out}"
    )


if __name__ == "__main__":
    main()

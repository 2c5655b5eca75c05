"""Benchmark: ``aepflow validate`` on a generated project with N Dataflow manifests.

    python benchmarks/validate_bench.py --n 1000

Generates a project like the repo's (``aepflow.yaml``, shared Connection, Schema and Dataset
documents, N Dataflow documents spread over N files) in a temporary directory, runs
``python -m aepflow validate`` there as a subprocess ``--runs`` times (default 3) and prints the
median wall time in seconds. Set AEPFLOW_SCHEMA_FASTPATH=0 to time the jsonschema-only path.

Not part of the test suite: it measures, it does not assert.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

PROJECT = """\
# yaml-language-server: $schema=schemas/project.schema.json
version: 1
manifests: manifests
defaultEnvironment: local
variables:
  namePrefix: ""
  scheduleStart: "2030-01-01T00:00:00Z"
environments:
  local:
    type: embedded
    sandbox: prod
  prod:
    type: aep
    sandbox: prod
    orgId: 1234567890ABCDEF12345678@AdobeOrg
    variables:
      scheduleStart: "2027-01-04T06:00:00Z"
"""

SHARED = """\
# yaml-language-server: $schema=../schemas/manifest.schema.json
apiVersion: aepflow.io/v1
kind: Connection
metadata:
  name: salesforce-crm
  description: Salesforce production org
spec:
  connector: salesforce
  auth:
    type: basic
    params:
      environmentUrl: https://acme.my.salesforce.com
      username: ${env:SALESFORCE_USERNAME}
      password: ${env:SALESFORCE_PASSWORD}
      securityToken: ${env:SALESFORCE_SECURITY_TOKEN}
---
apiVersion: aepflow.io/v1
kind: Connection
metadata:
  name: dynamics
spec:
  connector: dynamics
  auth:
    type: service-principal
    params:
      serviceUri: https://acme.crm.dynamics.com
      servicePrincipalId: ${env:DYNAMICS_CLIENT_ID}
      servicePrincipalKey: ${env:DYNAMICS_CLIENT_KEY}
---
apiVersion: aepflow.io/v1
kind: Schema
metadata:
  name: crm-contacts
spec:
  title: ${var.namePrefix}CRM Contacts
  description: Contacts from the CRM systems
  class: profile
  fieldGroups: [profile-person-details, profile-personal-details]
  customFields:
    crmId: {type: string, title: CRM ID}
    crmSource: {type: string, title: Source CRM}
  identities:
    - {field: personalEmail.address, namespace: Email, primary: true}
    - {field: "_${tenant}.crmId", namespace: CRMID}
---
apiVersion: aepflow.io/v1
kind: Dataset
metadata:
  name: crm-contacts
spec:
  name: ${var.namePrefix}CRM Contacts
  schema: crm-contacts
"""

SALESFORCE_FLOW = """\
# yaml-language-server: $schema=../schemas/manifest.schema.json
apiVersion: aepflow.io/v1
kind: Dataflow
metadata:
  name: salesforce-contacts-{n:05d}
spec:
  name: ${{var.namePrefix}}Salesforce contacts {n}
  connection: salesforce-crm
  source:
    table: Contact
    columns: [Id, first_name, last_name, email, LastModifiedDate]
  schema: crm-contacts
  dataset: crm-contacts
  mappings:
    - {{source: Id, destination: "_${{tenant}}.crmId"}}
    - {{source: first_name, destination: person.name.firstName}}
    - {{source: last_name, destination: person.name.lastName}}
    - {{expression: lower(email), destination: personalEmail.address}}
    - {{value: salesforce, destination: "_${{tenant}}.crmSource"}}
  deltaColumn: {{name: LastModifiedDate, dateFormat: "yyyy-MM-dd HH:mm:ss", timezone: UTC}}
  schedule: {{frequency: minute, interval: 15, start: "${{var.scheduleStart}}", backfill: true}}
"""

DYNAMICS_FLOW = """\
# yaml-language-server: $schema=../schemas/manifest.schema.json
apiVersion: aepflow.io/v1
kind: Dataflow
metadata:
  name: dynamics-contacts-{n:05d}
spec:
  name: ${{var.namePrefix}}Dynamics contacts {n}
  connection: dynamics
  source:
    table: contact
    columns: [contactid, firstname, lastname, emailaddress1, telephone1, modifiedon]
  schema: crm-contacts
  dataset: crm-contacts
  mappings:
    - {{source: contactid, destination: "_${{tenant}}.crmId"}}
    - {{source: firstname, destination: person.name.firstName}}
    - {{source: lastname, destination: person.name.lastName}}
    - {{source: emailaddress1, destination: personalEmail.address}}
    - {{source: telephone1, destination: mobilePhone.number}}
    - {{value: dynamics, destination: "_${{tenant}}.crmSource"}}
  deltaColumn: {{name: modifiedon, dateFormat: "yyyy-MM-ddTHH:mm:ssZ", timezone: UTC}}
  schedule: {{frequency: hour, interval: 1, start: "${{var.scheduleStart}}"}}
"""


def generate(root: Path, n: int) -> None:
    """aepflow.yaml, manifests/shared.yaml and n files with one Dataflow each."""
    manifests = root / "manifests"
    manifests.mkdir(parents=True)
    (root / "aepflow.yaml").write_text(PROJECT, encoding="utf-8")
    (manifests / "shared.yaml").write_text(SHARED, encoding="utf-8")
    for i in range(n):
        template = SALESFORCE_FLOW if i % 2 == 0 else DYNAMICS_FLOW
        (manifests / f"flow-{i:05d}.yaml").write_text(template.format(n=i), encoding="utf-8")


def run_once(root: Path) -> float:
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "aepflow", "validate"],
        cwd=root,
        capture_output=True,
        text=True,
        check=False,
    )
    elapsed = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(
            f"aepflow validate failed ({done.returncode}):\n{done.stdout}{done.stderr}"
        )
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--n", type=int, default=1000, help="Dataflow manifests (default 1000)")
    parser.add_argument("--runs", type=int, default=3, help="timed runs (default 3)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="aepflow-validate-bench-") as tmp:
        root = Path(tmp) / "project"
        generate(root, args.n)
        times = [run_once(root) for _ in range(args.runs)]
    fast = os.environ.get("AEPFLOW_SCHEMA_FASTPATH", "1") != "0"
    print(
        f"n={args.n} runs={args.runs} fastpath={'on' if fast else 'off'} "
        f"times={' '.join(f'{t:.3f}' for t in times)} median_s={statistics.median(times):.3f}"
    )


if __name__ == "__main__":
    main()

"""Data Prep's validate and preview endpoints (help/data-prep/api/mapping-set.md), run by the
one evaluator aepflow's validate and preview use."""

from __future__ import annotations

from tests.emulator.conftest import PREP, Api, mapping_body

SETS = f"{PREP}/mappingSets"


def test_preview_maps_rows_into_records_as_the_documented_example(api: Api) -> None:
    schema = api.schema()
    body = {
        "data": [{"id": 1234, "firstName": "Jim", "lastName": "Seltzer"}],
        "mappingSet": mapping_body(
            schema,
            [
                {
                    "sourceType": "ATTRIBUTE",
                    "source": "firstName",
                    "destination": "person.name.firstName",
                },
                {
                    "sourceType": "ATTRIBUTE",
                    "source": "lastName",
                    "destination": "person.name.lastName",
                },
                {
                    "sourceType": "EXPRESSION",
                    "source": "to_integer(id)",
                    "destination": "person.birthYear",
                },
            ],
        ),
    }
    response = api.post(f"{SETS}/preview", body)
    assert response.status_code == 200
    assert response.json() == [
        {
            "data": {
                "person": {"name": {"firstName": "Jim", "lastName": "Seltzer"}, "birthYear": 1234}
            },
            "errors": None,
        }
    ]


def test_preview_reports_a_value_that_does_not_fit_its_field(api: Api) -> None:
    schema = api.schema()
    body = {
        "data": [{"firstName": "Jim"}],
        "mappingSet": mapping_body(
            schema,
            [
                {
                    "sourceType": "EXPRESSION",
                    "source": "upper(firstName)",
                    "destination": "person.birthYear",
                }
            ],
        ),
    }
    assert api.post(f"{SETS}/preview", body).json() == [
        {
            "data": {},
            "errors": [
                {"code": "MAPPER-3001-400", "message": "person.birthYear: 'JIM' is not an integer"}
            ],
        }
    ]


def test_validate_checks_each_expression(api: Api) -> None:
    schema = api.schema()
    body = mapping_body(
        schema,
        [
            {
                "sourceType": "ATTRIBUTE",
                "source": "firstName",
                "destination": "person.name.firstName",
            },
            {
                "sourceType": "EXPRESSION",
                "source": "lowr(email)",
                "destination": "personalEmail.address",
            },
        ],
    )
    response = api.post(f"{SETS}/validate", body)
    assert response.status_code == 200
    assert response.json() == {
        "validationResponse": [
            {"status": "SUCCESS", "errors": None},
            {
                "status": "FAILED",
                "errors": [
                    {
                        "code": "MAPPER-1001-400",
                        "message": "unknown Data Prep function 'lowr': did you mean 'lower'?",
                    }
                ],
            },
        ]
    }


def test_preview_converts_values_as_validate_reads_them(api: Api) -> None:
    """One conversion rule (aepflow.dataprep.convert): Data Prep's date formats are dates, and
    an integer field refuses what its XDM type (person.birthYear: short) cannot hold."""
    schema = api.schema()
    body = {
        "data": [{"born": "12/31/2020", "year": "40000"}],
        "mappingSet": mapping_body(
            schema,
            [
                {"sourceType": "ATTRIBUTE", "source": "born", "destination": "person.birthDate"},
                {"sourceType": "ATTRIBUTE", "source": "year", "destination": "person.birthYear"},
            ],
        ),
    }
    assert api.post(f"{SETS}/preview", body).json() == [
        {
            "data": {"person": {"birthDate": "2020-12-31"}},
            "errors": [
                {
                    "code": "MAPPER-3001-400",
                    "message": "person.birthYear: 40000 is out of range for a short "
                    "(-32768 to 32767)",
                }
            ],
        }
    ]

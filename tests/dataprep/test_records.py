"""Values made to fit their target field (help/data-prep/data-handling.md), or refused."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

import pytest

from aepflow.dataprep import EvaluationError, FieldError, Record, Rule, Target, apply, conform

NOW = datetime(2030, 1, 1, tzinfo=timezone.utc)


@pytest.mark.parametrize(
    ("value", "target", "expected"),
    [
        (12, Target("string"), "12"),
        (True, Target("string"), "true"),
        ("42", Target("integer"), 42),
        (7.0, Target("integer"), 7),
        ("12.5", Target("number"), 12.5),
        ("3", Target("number"), 3),
        ("TRUE", Target("boolean"), True),
        ("yes", Target("boolean"), True),
        ("Y", Target("boolean"), True),
        ("off", Target("boolean"), False),
        ("NO", Target("boolean"), False),
        ("32767", Target("short"), 32767),
        ("2e3", Target("number"), 2000),
        ("10/01/2026", Target("string", "date-time"), "2026-10-01T00:00:00Z"),
        ("20260131", Target("string", "date"), "2026-01-31"),
        ("31-Jan-2026", Target("string", "date"), "2026-01-31"),
        ("2026-01-10T09:10:00Z", Target("string", "date-time"), "2026-01-10T09:10:00Z"),
        ("2026-01-10 09:10:00+02:00", Target("string", "date-time"), "2026-01-10T09:10:00+02:00"),
        ("1980-01-20", Target("string", "date"), "1980-01-20"),
        ("a@b.co", Target("string", "email"), "a@b.co"),
        (["a"], Target("array"), ["a"]),
    ],
)
def test_a_value_that_fits_is_written_as_the_field_holds_it(
    value: Any, target: Target, expected: Any
) -> None:
    assert conform(value, target) == expected


@pytest.mark.parametrize(
    ("value", "target", "message"),
    [
        ("abc", Target("integer"), "'abc' is not an integer"),
        (True, Target("integer"), "'true' is not an integer"),
        ("1.5", Target("integer"), "'1.5' is not an integer"),
        ("n/a", Target("number"), "'n/a' is not a number"),
        (
            "Yes",
            Target("boolean"),
            "'Yes' is not a boolean (Data Prep reads y, yes, on, true and n, no, off, false, "
            "all lower or all upper case)",
        ),
        (" 7", Target("integer"), "' 7' is not an integer"),
        ("inf", Target("number"), "'inf' is not a number"),
        ("32768", Target("short"), "32768 is out of range for a short (-32768 to 32767)"),
        (
            "Jan 10th",
            Target("string", "date-time"),
            "'Jan 10th' is not a date-time (ISO 8601 or a Data Prep date)",
        ),
        (
            "2026-13-01",
            Target("string", "date"),
            "'2026-13-01' is not a date (yyyy-MM-dd or a Data Prep date)",
        ),
        ("not-an-email", Target("string", "email"), "'not-an-email' is not an email address"),
        ({"a": 1}, Target("string"), "'{\"a\": 1}' is not a string"),
        ("x", Target("array"), "'x' is not an array"),
    ],
)
def test_a_value_that_does_not_fit_is_an_error_of_its_field(
    value: Any, target: Target, message: str
) -> None:
    with pytest.raises(EvaluationError) as e:
        conform(value, target)
    assert str(e.value) == message


def test_a_record_keeps_values_in_mapping_order_and_leaves_nulls_out() -> None:
    rules = [
        Rule("attribute", "id", "_id"),
        Rule("attribute", "missing", "person.name.middleName"),
        Rule("expression", "upper(first)", "person.name.firstName"),
        Rule("static", "crm", "person.name.suffix"),
        Rule("expression", "to_integer(first)", "person.birthYear"),
        Rule("expression", "concat(", "person.name.lastName"),
    ]
    types = {"_id": Target("string"), "person.birthYear": Target("integer")}
    record = apply(rules, {"id": 1234, "first": "Jim"}, types.get, NOW)
    assert record == Record(
        (("_id", "1234"), ("person.name.firstName", "JIM"), ("person.name.suffix", "crm")),
        (
            FieldError("person.birthYear", "to_integer: 'Jim' is not a number"),
            FieldError(
                "person.name.lastName",
                "the expression does not parse: unbalanced parenthesis: ( is never closed with )",
            ),
        ),
    )
    assert record.nested() == {
        "_id": "1234",
        "person": {"name": {"firstName": "JIM", "suffix": "crm"}},
    }

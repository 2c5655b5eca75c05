"""Every supported Data Prep function against the examples of Adobe's function reference
(help/data-prep/functions.md: the "Expression" and "Sample output" columns).

Where the reference's own example is inconsistent, the row says how and pins what Data Prep
does by the function's description.
"""

from __future__ import annotations

import re
from datetime import datetime, timezone
from typing import Any

import pytest

from aepflow import dataprep

NOW = datetime(2021, 10, 26, 10, 10, 24, tzinfo=timezone.utc)
UA = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 5_1_1 like Mac OS X) AppleWebKit/534.46 "
    "(KHTML, like Gecko) Version/5.1 Mobile/9B206 Safari/7534.48.3"
)

# (expression, row, expected): expected is compared after dates are written as ISO 8601.
EXAMPLES: list[tuple[str, dict[str, Any], Any]] = [
    # String functions
    ('concat("Hi, ", "there", "!")', {}, "Hi, there!"),
    # The reference shows ["Hi,", "there"]: the "!" is a typo (split on " " keeps it).
    ('explode("Hi, there!", " ")', {}, ["Hi,", "there!"]),
    ('instr("adobe.com", "com")', {}, 6),
    (
        'replacestr("This is a string re test", "re", "replace")',
        {},
        "This is a string replace test",
    ),
    ('substr("This is a substring test", 7, 8)', {}, " a subst"),
    ('lower("HeLLo")', {}, "hello"),
    ('lcase("HeLLo")', {}, "hello"),
    ('upper("HeLLo")', {}, "HELLO"),
    ('ucase("HeLLo")', {}, "HELLO"),
    ('split("Hello world", " ")', {}, ["Hello", "world"]),
    ('join(" ", to_array(true, "Hello", "world"))', {}, "Hello world"),
    ('lpad("bat", 8, "yz")', {}, "yzyzybat"),
    ('rpad("bat", 8, "yz")', {}, "batyzyzy"),
    ('left("abcde", 2)', {}, "ab"),
    ('right("abcde", 2)', {}, "de"),
    ('ltrim(" hello")', {}, "hello"),
    ('rtrim("hello ")', {}, "hello"),
    ('trim(" hello ")', {}, "hello"),
    ('"string1".equals("STRING1")', {}, False),
    # The reference's example lacks a closing quote.
    ('"string1".equalsIgnoreCase("STRING1")', {}, True),
    # Regular expression functions
    (
        'extract_regex("E259,E259B_009,1_1", "([^,]+),[^,]*,([^,]+)")',
        {},
        ["E259,E259B_009,1_1", "E259", "1_1"],
    ),
    ('matches_regex("E259,E259B_009,1_1", "([^,]+),[^,]*,([^,]+)")', {}, True),
    # Hashing functions
    ('sha1("my text", "UTF-8")', {}, "c3599c11e47719df18a2448690840c5dfcce3c80"),
    (
        'sha256("my text", "UTF-8")',
        {},
        "7330d2b39ca35eaf4cb95fc846c21ee6a39af698154a83a586ee270a0d372104",
    ),
    (
        'sha512("my text", "UTF-8")',
        {},
        "a3d7e45a0d9be5fd4e4b9a3b8c9c2163c21ef708bf11b4232bb21d2a8704ada2cdcd7b367dd0788a89a5c908cfe377aceb1072a7b386b7d4fd2ff68a8fd24d16",
    ),
    ('md5("my text", "UTF-8")', {}, "d3b96ce8c9fb4e9bd0198d03ba6852c7"),
    ('crc32("my text", "UTF-8")', {}, "8df92e80"),
    # URL functions
    ('get_url_protocol("https://platform.adobe.com/home")', {}, "https"),
    ('get_url_host("https://platform.adobe.com/home")', {}, "platform.adobe.com"),
    ('get_url_port("sftp://example.com//home/joe/employee.csv")', {}, 22),
    ('get_url_path("sftp://example.com//home/joe/employee.csv")', {}, "//home/joe/employee.csv"),
    (
        'get_url_query_str("foo://example.com:8042/over/there?name=ferret#nose", "retain")',
        {},
        {"name": "ferret#nose"},
    ),
    (
        'get_url_query_str("foo://example.com:8042/over/there?name=ferret#nose", "remove")',
        {},
        {"name": "ferret"},
    ),
    (
        'get_url_query_str("foo://example.com:8042/over/there?name=ferret#nose", "append")',
        {},
        {"name": "ferret", "_anchor_": "nose"},
    ),
    # Date and time functions (now() is the clock given to the evaluator)
    ("now()", {}, "2021-10-26T10:10:24Z"),
    ("timestamp()", {}, 1635243024000),
    # The reference formats a bare 2019-10-23T11:24:00+00:00 and shows 11:24:35: the seconds
    # of its dformat example. Here the date is a string and the seconds are its own.
    ('format(date("2019-10-23T11:24:35+00:00"), "yyyy-MM-dd HH:mm:ss")', {}, "2019-10-23 11:24:35"),
    ("dformat(1571829875000, \"yyyy-MM-dd'T'HH:mm:ss.SSSX\")", {}, "2019-10-23T11:24:35.000Z"),
    ('date("2019-10-23 11:24", "yyyy-MM-dd HH:mm", now())', {}, "2019-10-23T11:24:00Z"),
    ('date("2019-10-23 11:24", "yyyy-MM-dd HH:mm")', {}, "2019-10-23T11:24:00Z"),
    ('date("2019-10-23 11:24")', {}, "2019-10-23T11:24:00Z"),
    ('date(nothing, "yyyy-MM-dd HH:mm", now())', {}, "2021-10-26T10:10:24Z"),
    ('date_part("MM", date("2019-10-17 11:55:12"))', {}, 10),
    # The reference's example lacks the closing parenthesis.
    ('set_date_part("m", 4, date("2016-11-09T11:44:44.797"))', {}, "2016-04-09T11:44:44Z"),
    # The reference shows 2019-10-17T11:55:12Z, dropping the zone it was given.
    (
        'make_date_time(2019, 10, 17, 11, 55, 12, 999, "America/Los_Angeles")',
        {},
        "2019-10-17T11:55:12-07:00",
    ),
    # The reference writes the date bare, "2019-10-17T11:55:12 PST".
    ('zone_date_to_utc(date("2019-10-17T11:55:12 PST"))', {}, "2019-10-17T19:55:12Z"),
    (
        'zone_date_to_zone(date("2021-10-26T13:43:59Z"), "Europe/Paris")',
        {},
        "2021-10-26T15:43:59+02:00",
    ),
    # Hierarchies - objects
    ("size_of([1, 2, 3, 4])", {}, 4),
    ("is_empty([1, 2, 3])", {}, False),
    (
        'to_object("firstName", "John", "lastName", "Doe")',
        {},
        {"firstName": "John", "lastName": "Doe"},
    ),
    (
        'str_to_object("firstName=John,lastName=Doe,phone=123 456 7890", "=", ",")',
        {},
        {"firstName": "John", "lastName": "Doe", "phone": "123 456 7890"},
    ),
    ('contains_key("evars.evar.field1")', {"evars": {"evar": {"field1": "x"}}}, True),
    ('contains_key("evars.evar.field2")', {"evars": {"evar": {"field1": "x"}}}, False),
    ("nullify()", {}, None),
    ('get_keys({"book1": "Pride and Prejudice", "book2": "1984"})', {}, ["book1", "book2"]),
    (
        'get_values("firstName - John , lastName - Cena , phone - 555 420 8692", '
        '"firstName", "-", ",")',
        {},
        "John",
    ),
    # Hierarchies - arrays
    ('coalesce(null, null, null, "first", null, "second")', {}, "first"),
    ('first("1", "2", "3")', {}, "1"),
    ('last("1", "2", "3")', {}, "3"),
    ("add_to_array(['a', 'b'], 'c', 'd')", {}, ["a", "b", "c", "d"]),
    ("join_arrays(['a', 'b'], ['c'], ['d', 'e'])", {}, ["a", "b", "c", "d", "e"]),
    ("to_array(false, 1, null, 2, 3)", {}, [1, 2, 3]),
    # Logical operators
    (
        'decode(stateCode, "ca", "California", "pa", "Pennsylvania", "N/A")',
        {"stateCode": "ca"},
        "California",
    ),
    (
        'decode(stateCode, "ca", "California", "pa", "Pennsylvania", "N/A")',
        {"stateCode": "pa"},
        "Pennsylvania",
    ),
    (
        'decode(stateCode, "ca", "California", "pa", "Pennsylvania", "N/A")',
        {"stateCode": "ny"},
        "N/A",
    ),
    ('iif("s".equalsIgnoreCase("S"), "True", "False")', {}, "True"),
    # Aggregation
    ("min(3, 1, 4)", {}, 1),
    ("max(3, 1, 4)", {}, 4),
    # Type conversions. The reference shows 1000000.34 for to_bigint, which a BigInteger
    # cannot hold, and 12.34566 for to_float("12.3456"), a typo.
    ('to_bigint("1000000.34")', {}, 1000000),
    ('to_decimal("20.5")', {}, 20.5),
    ('to_float("12.3456")', {}, 12.3456),
    ('to_integer("12")', {}, 12),
    # JSON functions
    (
        'json_to_object(\'{"info":{"firstName":"John","lastName": "Doe"}}\')',
        {},
        {"info": {"firstName": "John", "lastName": "Doe"}},
    ),
    # Operators and fields (help/data-prep/functions.md#fields)
    ("lower(trim(email))", {"email": "  Ava@Example.COM "}, "ava@example.com"),
    (
        'concat(name.first, " ", ${Last Name})',
        {"name": {"first": "Ava"}, "Last Name": "Ng"},
        "Ava Ng",
    ),
    ('iif(amount > 100 and not vip, "big", "small")', {"amount": 250, "vip": False}, "big"),
    ("amount * 2 + 1", {"amount": 4}, 9),
    ("upper(missing)", {}, None),
]


def _plain(value: Any) -> Any:
    if isinstance(value, datetime):
        return dataprep.iso(value)
    return value


@pytest.mark.parametrize(
    ("expression", "row", "expected"), EXAMPLES, ids=[e[0][:60] for e in EXAMPLES]
)
def test_each_function_gives_the_reference_output(
    expression: str, row: dict[str, Any], expected: Any
) -> None:
    assert dataprep.check(expression, None) == []
    assert _plain(dataprep.evaluate(expression, row, NOW)) == expected


def test_uuid_and_guid_give_a_new_uuid_each_time() -> None:
    shape = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}")
    values = {dataprep.evaluate(f"{name}()", {}, NOW) for name in ("uuid", "guid", "uuid")}
    assert len(values) == 3 and all(shape.fullmatch(v) for v in values)


def test_every_supported_function_has_an_example_here() -> None:
    supported = {name for name, f in dataprep.FUNCTIONS.items() if f.impl is not None}
    used = {m for e, _, _ in EXAMPLES for m in re.findall(r"([a-z_0-9]+)\(", e)}
    assert supported - used - {"uuid", "guid", "is_set"} == set()


@pytest.mark.parametrize("name", ["ua_os_name", "ua_device_class", "arrays_to_object"])
def test_a_documented_function_preview_lacks_is_named_not_guessed(name: str) -> None:
    assert dataprep.check(f'{name}("x")', None) == []  # validate accepts it: AEP runs it
    with pytest.raises(dataprep.UnsupportedFunction) as e:
        dataprep.evaluate(f'{name}("x")', {}, NOW)
    assert str(e.value) == f"Data Prep function {name!r} is not supported by preview"


def test_ua_functions_are_the_only_documented_ones_preview_lacks() -> None:
    lacking = sorted(n for n, f in dataprep.FUNCTIONS.items() if f.impl is None)
    assert lacking == sorted(
        ["arrays_to_object"]
        + [
            f"ua_{n}"
            for n in (
                "os_name",
                "os_version_major",
                "os_version",
                "os_name_version",
                "agent_version",
                "agent_version_major",
                "agent_name",
                "device_class",
            )
        ]
    )
    assert UA  # the reference's sample user agent, for when they are supported

"""String, regular expression, hashing and URL functions (help/data-prep/functions.md).

A function whose input is ``null`` answers ``null``, as Data Prep does, so a missing column
leaves the field unset instead of failing the record.
"""

from __future__ import annotations

import hashlib
import re
import zlib
from typing import Any
from urllib.parse import urlsplit

from aepflow.dataprep.registry import Context, EvaluationError, Function, fn, integer, text


@fn("concat(STRING_1, STRING_2)", 1, None)
def concat(ctx: Context, a: list[Any]) -> Any:
    return "".join(text(v) for v in a if v is not None)


@fn("explode(STRING, REGEX)", 1, 2)
def explode(ctx: Context, a: list[Any]) -> Any:
    if a[0] is None:
        return None
    pattern = text(a[1]) if len(a) > 1 and a[1] is not None else ","
    return _regex(pattern).split(text(a[0]))


@fn("instr(INPUT, SUBSTRING, START_POSITION, OCCURRENCE)", 2, 4)
def instr(ctx: Context, a: list[Any]) -> Any:
    # The reference's example answers 6 for instr("adobe.com", "com"): a 0-based index.
    if a[0] is None or a[1] is None:
        return None
    haystack, needle = text(a[0]), text(a[1])
    start = integer(a[2], "START_POSITION") if len(a) > 2 and a[2] is not None else 0
    occurrence = integer(a[3], "OCCURRENCE") if len(a) > 3 and a[3] is not None else 1
    found = start - 1
    for _ in range(max(occurrence, 1)):
        found = haystack.find(needle, found + 1)
        if found < 0:
            return -1
    return found


@fn("replacestr(INPUT, TO_FIND, TO_REPLACE)", 3, 3)
def replacestr(ctx: Context, a: list[Any]) -> Any:
    if a[0] is None:
        return None
    return text(a[0]).replace(text(a[1] or ""), text(a[2] if a[2] is not None else ""))


@fn("substr(INPUT, START_INDEX, LENGTH)", 3, 3)
def substr(ctx: Context, a: list[Any]) -> Any:
    if a[0] is None:
        return None
    start, length = integer(a[1], "START_INDEX"), integer(a[2], "LENGTH")
    if start < 0 or length < 0:
        raise EvaluationError("substr: START_INDEX and LENGTH must not be negative")
    return text(a[0])[start : start + length]


@fn("lower(INPUT)", 1, 1, "lcase")
def lower(ctx: Context, a: list[Any]) -> Any:
    return None if a[0] is None else text(a[0]).lower()


@fn("upper(INPUT)", 1, 1, "ucase")
def upper(ctx: Context, a: list[Any]) -> Any:
    return None if a[0] is None else text(a[0]).upper()


@fn("split(INPUT, SEPARATOR)", 2, 2)
def split(ctx: Context, a: list[Any]) -> Any:
    # "If you include multiple delimiters, the string will split on any of the delimiters."
    if a[0] is None:
        return None
    separators = text(a[1])
    if not separators:
        return [text(a[0])]
    return re.split("[" + re.escape(separators) + "]", text(a[0]))


@fn("join(SEPARATOR, [OBJECTS])", 2, None)
def join(ctx: Context, a: list[Any]) -> Any:
    items = a[1] if len(a) == 2 and isinstance(a[1], list) else a[1:]
    return text(a[0] or "").join(text(v) for v in items if v is not None)


def _pad(a: list[Any], left: bool) -> Any:
    value = "" if a[0] is None else text(a[0])
    count = integer(a[1], "COUNT")
    padding = text(a[2]) if a[2] else " "
    if len(value) >= count:
        return value[:count]
    fill = (padding * count)[: count - len(value)]
    return fill + value if left else value + fill


@fn("lpad(INPUT, COUNT, PADDING)", 3, 3)
def lpad(ctx: Context, a: list[Any]) -> Any:
    return _pad(a, left=True)


@fn("rpad(INPUT, COUNT, PADDING)", 3, 3)
def rpad(ctx: Context, a: list[Any]) -> Any:
    return _pad(a, left=False)


@fn("left(STRING, COUNT)", 2, 2)
def left(ctx: Context, a: list[Any]) -> Any:
    return None if a[0] is None else text(a[0])[: max(integer(a[1], "COUNT"), 0)]


@fn("right(STRING, COUNT)", 2, 2)
def right(ctx: Context, a: list[Any]) -> Any:
    count = max(integer(a[1], "COUNT"), 0)
    return None if a[0] is None else (text(a[0])[-count:] if count else "")


@fn("ltrim(STRING)", 1, 1)
def ltrim(ctx: Context, a: list[Any]) -> Any:
    return None if a[0] is None else text(a[0]).lstrip()


@fn("rtrim(STRING)", 1, 1)
def rtrim(ctx: Context, a: list[Any]) -> Any:
    return None if a[0] is None else text(a[0]).rstrip()


@fn("trim(STRING)", 1, 1)
def trim(ctx: Context, a: list[Any]) -> Any:
    return None if a[0] is None else text(a[0]).strip()


def _regex(pattern: str) -> re.Pattern[str]:
    try:
        return re.compile(pattern)
    except re.error as e:
        raise EvaluationError(f"{pattern!r} is not a valid regular expression ({e.msg})") from None


@fn("extract_regex(STRING, REGEX)", 2, 2)
def extract_regex(ctx: Context, a: list[Any]) -> Any:
    if a[0] is None:
        return None
    found = _regex(text(a[1])).search(text(a[0]))
    return None if found is None else [found.group(0), *found.groups()]


@fn("matches_regex(STRING, REGEX)", 2, 2)
def matches_regex(ctx: Context, a: list[Any]) -> Any:
    if a[0] is None:
        return False
    return _regex(text(a[1])).fullmatch(text(a[0])) is not None


_CHARSETS = {"UTF-8": "utf-8", "UTF-16": "utf-16-be", "ISO-8859-1": "latin-1", "US-ASCII": "ascii"}


def _bytes(a: list[Any]) -> bytes | None:
    if a[0] is None:
        return None
    charset = text(a[1]).upper() if len(a) > 1 and a[1] is not None else "UTF-8"
    if charset not in _CHARSETS:
        raise EvaluationError(f"charset {charset!r} is not one of {', '.join(_CHARSETS)}")
    try:
        return text(a[0]).encode(_CHARSETS[charset])
    except UnicodeEncodeError:
        raise EvaluationError(f"the input cannot be written in {charset}") from None


def _hash(name: str) -> Function:
    def impl(ctx: Context, a: list[Any]) -> Any:
        data = _bytes(a)
        return None if data is None else hashlib.new(name, data).hexdigest()

    return Function(name, f"{name}(INPUT, CHARSET)", 1, 2, impl)


@fn("crc32(INPUT, CHARSET)", 1, 2)
def crc32(ctx: Context, a: list[Any]) -> Any:
    data = _bytes(a)
    # The reference's example (8df92e80 for "my text") is CRC-32 written as its
    # little-endian bytes in hex: zlib's 0x802ef98d, bytes reversed.
    return None if data is None else zlib.crc32(data).to_bytes(4, "little").hex()


_PORTS = {"http": 80, "https": 443, "ftp": 21, "sftp": 22, "ssh": 22, "ws": 80, "wss": 443}


def _url(value: Any) -> Any:
    if value is None:
        return None
    try:
        parts = urlsplit(text(value))
        parts.port  # noqa: B018  (raises on a bad port)
    except ValueError:
        return None
    return parts if parts.scheme and parts.netloc else None


@fn("get_url_protocol(URL)", 1, 1)
def get_url_protocol(ctx: Context, a: list[Any]) -> Any:
    parts = _url(a[0])
    return None if parts is None else parts.scheme


@fn("get_url_host(URL)", 1, 1)
def get_url_host(ctx: Context, a: list[Any]) -> Any:
    parts = _url(a[0])
    return None if parts is None else parts.hostname


@fn("get_url_port(URL)", 1, 1)
def get_url_port(ctx: Context, a: list[Any]) -> Any:
    parts = _url(a[0])
    if parts is None:
        return None
    return parts.port if parts.port is not None else _PORTS.get(parts.scheme.lower())


@fn("get_url_path(URL, FULL_PATH)", 1, 2)
def get_url_path(ctx: Context, a: list[Any]) -> Any:
    parts = _url(a[0])
    if parts is None:
        return None
    full = a[1] if len(a) > 1 and a[1] is not None else True
    return parts.path if full else parts.path.rsplit("/", 1)[-1]


@fn("get_url_query_str(URL, ANCHOR)", 2, 2)
def get_url_query_str(ctx: Context, a: list[Any]) -> Any:
    parts = _url(a[0])
    if parts is None:
        return None
    anchor = text(a[1]).lower()
    if anchor not in ("retain", "remove", "append"):
        raise EvaluationError(f"ANCHOR must be retain, remove or append, not {text(a[1])!r}")
    query = parts.query + (f"#{parts.fragment}" if anchor == "retain" and parts.fragment else "")
    out: dict[str, Any] = {}
    for pair in query.split("&") if query else []:
        key, _, value = pair.partition("=")
        out[key] = value
    if anchor == "append" and parts.fragment:
        out["_anchor_"] = parts.fragment
    return out


@fn("equals(STRING1, STRING2)", 2, 2)
def equals(ctx: Context, a: list[Any]) -> Any:
    return a[0] is not None and a[1] is not None and text(a[0]) == text(a[1])


@fn("equalsIgnoreCase(STRING1, STRING2)", 2, 2)
def equals_ignore_case(ctx: Context, a: list[Any]) -> Any:
    return a[0] is not None and a[1] is not None and text(a[0]).lower() == text(a[1]).lower()


FUNCTIONS = [
    concat,
    explode,
    instr,
    replacestr,
    substr,
    lower,
    upper,
    split,
    join,
    lpad,
    rpad,
    left,
    right,
    ltrim,
    rtrim,
    trim,
    extract_regex,
    matches_regex,
    *(_hash(n) for n in ("sha1", "sha256", "sha512", "md5")),
    crc32,
    get_url_protocol,
    get_url_host,
    get_url_port,
    get_url_path,
    get_url_query_str,
]
METHODS = {"equals": equals, "equalsIgnoreCase": equals_ignore_case}

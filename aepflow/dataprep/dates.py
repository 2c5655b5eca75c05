"""Dates as Data Prep has them: Java ``DateTimeFormatter`` patterns, ZonedDateTime values.

help/data-prep/functions.md (date and time functions) and help/data-prep/data-handling.md
(dates): ``date(STRING, FORMAT)`` reads a string with a Java pattern (``yyyy-MM-dd HH:mm``),
``format`` / ``dformat`` write one; a date without a zone is UTC. A ZonedDateTime is written
out as ISO 8601 to the second, ``Z`` for UTC (``2019-10-23T11:24:00Z``), as the reference
shows its outputs.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

# Pattern letters aepflow understands, longest run first within a letter.
_LETTERS = "GyuMLdDEaHhkKmsSnXxZzVQwW"
_MONTHS = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
]
_DAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]
_ZONE_ABBREVIATIONS = {
    "UTC": 0,
    "GMT": 0,
    "Z": 0,
    "EST": -5,
    "EDT": -4,
    "CST": -6,
    "CDT": -5,
    "MST": -7,
    "MDT": -6,
    "PST": -8,
    "PDT": -7,
    "CET": 1,
    "CEST": 2,
}
_SUPPORTED = set("yuMLdEaHhkmsSXxZz")


class DateError(ValueError):
    """A pattern aepflow cannot read, or a string that does not fit its pattern."""


def pattern_parts(pattern: str) -> list[tuple[str, str]]:
    """``("field", "yyyy")`` and ``("text", "-")`` runs of a Java pattern."""
    out: list[tuple[str, str]] = []
    i, n = 0, len(pattern)
    while i < n:
        ch = pattern[i]
        if ch == "'":
            j = pattern.find("'", i + 1)
            if j < 0:
                raise DateError(f"the date format {pattern!r} has an unclosed quote")
            out.append(("text", pattern[i + 1 : j] or "'"))
            i = j + 1
        elif ch.isalpha():
            j = i
            while j < n and pattern[j] == ch:
                j += 1
            if ch not in _SUPPORTED:
                raise DateError(f"the date format letter {ch!r} is not supported by preview")
            out.append(("field", pattern[i:j]))
            i = j
        else:
            out.append(("text", ch))
            i += 1
    return out


def _offset_text(value: datetime, letters: str) -> str:
    delta = value.utcoffset() or timedelta(0)
    if letters[0] == "X" and not delta:
        return "Z"
    minutes = int(delta.total_seconds() // 60)
    sign = "+" if minutes >= 0 else "-"
    hours, mins = divmod(abs(minutes), 60)
    if len(letters) == 1 and letters[0] in "Xx":
        return f"{sign}{hours:02d}" + (f"{mins:02d}" if mins else "")
    if len(letters) == 3 or (letters[0] == "Z" and len(letters) == 5):
        return f"{sign}{hours:02d}:{mins:02d}"
    return f"{sign}{hours:02d}{mins:02d}"


def format_date(value: datetime, pattern: str) -> str:
    out: list[str] = []
    for kind, part in pattern_parts(pattern):
        if kind == "text":
            out.append(part)
            continue
        letter, count = part[0], len(part)
        if letter in "yu":
            out.append(f"{value.year % 100:02d}" if count == 2 else f"{value.year:0{count}d}")
        elif letter in "ML":
            if count >= 4:
                out.append(_MONTHS[value.month - 1])
            elif count == 3:
                out.append(_MONTHS[value.month - 1][:3])
            else:
                out.append(f"{value.month:0{count}d}")
        elif letter == "d":
            out.append(f"{value.day:0{count}d}")
        elif letter == "E":
            name = _DAYS[value.weekday()]
            out.append(name if count >= 4 else name[:3])
        elif letter == "a":
            out.append("AM" if value.hour < 12 else "PM")
        elif letter == "H":
            out.append(f"{value.hour:0{count}d}")
        elif letter in "hk":
            out.append(f"{(value.hour % 12) or 12:0{count}d}")
        elif letter == "m":
            out.append(f"{value.minute:0{count}d}")
        elif letter == "s":
            out.append(f"{value.second:0{count}d}")
        elif letter == "S":
            out.append(f"{value.microsecond:06d}{'0' * 3}"[:count])
        elif letter in "XxZ":
            out.append(_offset_text(value, part))
        elif letter == "z":
            out.append(value.tzname() or "UTC")
    return "".join(out)


def _regex(pattern: str) -> re.Pattern[str]:
    out: list[str] = []
    for kind, part in pattern_parts(pattern):
        if kind == "text":
            out.append(re.escape(part))
            continue
        letter, count = part[0], len(part)
        group = {"u": "y", "L": "M", "k": "h"}.get(letter, letter)
        if any(f"(?P<{group}>" in p for p in out):
            out.append(r"\S+?")
            continue
        if (letter in "ML" and count >= 3) or letter == "E":
            out.append(f"(?P<{group}>[A-Za-z]+)")
        elif letter == "a":
            out.append(f"(?P<{group}>[AaPp][Mm])")
        elif letter in "XxZ":
            out.append(f"(?P<{group}>Z|[+-]\\d{{2}}(?::?\\d{{2}})?)")
        elif letter == "z":
            out.append(f"(?P<{group}>[A-Za-z_/+-]+)")
        elif letter == "S":
            out.append(f"(?P<{group}>\\d{{1,9}})")
        elif count == 1:
            out.append(f"(?P<{group}>\\d{{1,{4 if letter in 'yu' else 2}}})")
        else:
            out.append(f"(?P<{group}>\\d{{{count}}})")
    return re.compile("".join(out) + r"\Z", re.ASCII)  # Java's formatters read ASCII digits


def zone(name: str) -> timezone | ZoneInfo:
    """A zone by IANA name (``America/Los_Angeles``), offset or common abbreviation."""
    upper = name.strip().upper()
    if upper in _ZONE_ABBREVIATIONS:
        return timezone(timedelta(hours=_ZONE_ABBREVIATIONS[upper]))
    match = re.fullmatch(r"(?:UTC|GMT)?([+-])(\d{1,2}):?(\d{2})?", name.strip(), re.ASCII)
    if match:
        sign = -1 if match.group(1) == "-" else 1
        return timezone(
            sign * timedelta(hours=int(match.group(2)), minutes=int(match.group(3) or 0))
        )
    try:
        return ZoneInfo(name.strip())
    except (ZoneInfoNotFoundError, ValueError):
        raise DateError(f"unknown time zone {name!r}") from None


def parse_date(text: str, pattern: str) -> datetime:
    found = _regex(pattern).match(text.strip())
    if found is None:
        raise DateError(f"{text!r} does not match the date format {pattern!r}")
    g = found.groupdict()
    month_text = g.get("M") or "1"
    if month_text.isdigit():
        month = int(month_text)
    else:
        names = [m[: len(month_text)].lower() for m in _MONTHS]
        if month_text.lower() not in names:
            raise DateError(f"{month_text!r} is not a month name")
        month = names.index(month_text.lower()) + 1
    year = int(g.get("y") or 1970)
    if g.get("y") and len(g["y"]) == 2:
        year += 2000
    hour = int(g.get("H") or g.get("h") or 0)
    if g.get("a"):
        hour = hour % 12 + (12 if g["a"].lower() == "pm" else 0)
    fraction = (g.get("S") or "0").ljust(6, "0")[:6]
    tz: timezone | ZoneInfo = timezone.utc
    if g.get("X") or g.get("x") or g.get("Z"):
        tz = zone(g.get("X") or g.get("x") or g.get("Z") or "Z")
    elif g.get("z"):
        tz = zone(g["z"])
    try:
        return datetime(
            year,
            month,
            int(g.get("d") or 1),
            hour,
            int(g.get("m") or 0),
            int(g.get("s") or 0),
            int(fraction),
            tzinfo=tz,
        )
    except ValueError as e:
        raise DateError(f"{text!r} is not a valid date ({e})") from None


_ISO = re.compile(
    r"(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?)?"
    r"\s*(Z|[+-]\d{2}:?\d{2}|[A-Za-z][A-Za-z_/]+)?",
    re.ASCII,
)


def parse_iso(text: str) -> datetime:
    """A date in a standard ISO 8601 form (``date(DATE)`` without a format)."""
    found = _ISO.fullmatch(text.strip())
    if found is None:
        raise DateError(f"{text!r} is not an ISO 8601 date: give its format, date(DATE, FORMAT)")
    y, mo, d, h, mi, s, frac, tz = found.groups()
    return datetime(
        int(y),
        int(mo),
        int(d),
        int(h or 0),
        int(mi or 0),
        int(s or 0),
        int((frac or "0").ljust(6, "0")[:6]),
        tzinfo=zone(tz) if tz else timezone.utc,
    )


def iso(value: datetime) -> str:
    """A ZonedDateTime as the reference writes one: to the second, ``Z`` for UTC."""
    text = value.replace(microsecond=0).isoformat()
    return text[:-6] + "Z" if text.endswith("+00:00") else text


def from_millis(ms: int | float) -> datetime:
    return datetime.fromtimestamp(ms / 1000, tz=timezone.utc)

"""Date and time functions (help/data-prep/functions.md#date-and-time)."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from aepflow.dataprep import dates
from aepflow.dataprep.registry import Context, EvaluationError, fn, integer, text


def as_date(value: Any, what: str = "DATE") -> datetime:
    """A ZonedDateTime argument: a date value, or a string in ISO 8601 form."""
    if isinstance(value, datetime):
        return value
    if isinstance(value, str):
        try:
            return dates.parse_iso(value)
        except dates.DateError as e:
            raise EvaluationError(str(e)) from None
    raise EvaluationError(f"{what} must be a date, not {text(value)!r}")


def _guard(call: Any) -> Any:
    try:
        return call()
    except dates.DateError as e:
        raise EvaluationError(str(e)) from None


@fn("now()", 0, 0)
def now(ctx: Context, a: list[Any]) -> Any:
    return ctx.now


@fn("timestamp()", 0, 0)
def timestamp(ctx: Context, a: list[Any]) -> Any:
    return int(ctx.now.timestamp() * 1000)


@fn("format(DATE, FORMAT)", 2, 2)
def format_(ctx: Context, a: list[Any]) -> Any:
    if a[0] is None:
        return None
    return _guard(lambda: dates.format_date(as_date(a[0]), text(a[1])))


@fn("dformat(TIMESTAMP, FORMAT)", 2, 2)
def dformat(ctx: Context, a: list[Any]) -> Any:
    if a[0] is None:
        return None
    ms = integer(a[0], "TIMESTAMP")
    return _guard(lambda: dates.format_date(dates.from_millis(ms), text(a[1])))


@fn("date(DATE, FORMAT, DEFAULT_DATE)", 1, 3)
def date(ctx: Context, a: list[Any]) -> Any:
    if a[0] is None or (isinstance(a[0], str) and not a[0].strip()):
        return as_date(a[2], "DEFAULT_DATE") if len(a) > 2 and a[2] is not None else None
    if isinstance(a[0], datetime):
        return a[0]
    if len(a) == 1 or a[1] is None:
        return as_date(text(a[0]))
    return _guard(lambda: dates.parse_date(text(a[0]), text(a[1])))


_PARTS = {
    **dict.fromkeys(("year", "yyyy", "yy"), "year"),
    **dict.fromkeys(("quarter", "qq", "q"), "quarter"),
    **dict.fromkeys(("month", "mm", "m"), "month"),
    **dict.fromkeys(("dayofyear", "dy", "y"), "dayofyear"),
    **dict.fromkeys(("day", "dd", "d"), "day"),
    **dict.fromkeys(("week", "ww", "w"), "week"),
    **dict.fromkeys(("weekday", "dw"), "weekday"),
    **dict.fromkeys(("hour", "hh", "hh24", "hh12"), "hour"),
    **dict.fromkeys(("minute", "mi", "n"), "minute"),
    **dict.fromkeys(("second", "ss", "s"), "second"),
    **dict.fromkeys(("millisecond", "ms"), "millisecond"),
}


def _part(component: Any, allowed: tuple[str, ...] | None = None) -> str:
    name = _PARTS.get(text(component).lower())
    if name is None or (allowed is not None and name not in allowed):
        raise EvaluationError(f"{text(component)!r} is not a date component")
    return name


@fn("date_part(COMPONENT, DATE)", 2, 2)
def date_part(ctx: Context, a: list[Any]) -> Any:
    if a[1] is None:
        return None
    d, part = as_date(a[1]), _part(a[0])
    return {
        "year": d.year,
        "quarter": (d.month - 1) // 3 + 1,
        "month": d.month,
        "dayofyear": d.timetuple().tm_yday,
        "day": d.day,
        "week": d.isocalendar()[1],
        "weekday": d.isoweekday() % 7 + 1,  # Sunday = 1, as SQL's DATEPART
        "hour": d.hour,
        "minute": d.minute,
        "second": d.second,
        "millisecond": d.microsecond // 1000,
    }[part]


@fn("set_date_part(COMPONENT, VALUE, DATE)", 3, 3)
def set_date_part(ctx: Context, a: list[Any]) -> Any:
    if a[2] is None:
        return None
    allowed = ("year", "month", "day", "hour", "minute", "second")
    part = _part(a[0], allowed)
    try:
        kwargs: dict[str, Any] = {part: integer(a[1], "VALUE")}
        return as_date(a[2]).replace(**kwargs)
    except ValueError as e:
        raise EvaluationError(f"set_date_part: {e}") from None


@fn("make_date_time(YEAR, MONTH, DAY, HOUR, MINUTE, SECOND, NANOSECOND, TIMEZONE)", 8, 8)
def make_date_time(ctx: Context, a: list[Any]) -> Any:
    parts = [
        integer(v, name)
        for v, name in zip(
            a[:7], ("YEAR", "MONTH", "DAY", "HOUR", "MINUTE", "SECOND", "NANOSECOND"), strict=True
        )
    ]
    tz = _guard(lambda: dates.zone(text(a[7])))
    try:
        y, mo, d, h, mi, s = parts[:6]
        return datetime(y, mo, d, h, mi, s, parts[6] // 1000, tzinfo=tz)
    except ValueError as e:
        raise EvaluationError(f"make_date_time: {e}") from None


@fn("zone_date_to_utc(DATE)", 1, 1)
def zone_date_to_utc(ctx: Context, a: list[Any]) -> Any:
    return None if a[0] is None else as_date(a[0]).astimezone(timezone.utc)


@fn("zone_date_to_zone(DATE, ZONE)", 2, 2)
def zone_date_to_zone(ctx: Context, a: list[Any]) -> Any:
    if a[0] is None:
        return None
    return as_date(a[0]).astimezone(_guard(lambda: dates.zone(text(a[1]))))


FUNCTIONS = [
    now,
    timestamp,
    format_,
    dformat,
    date,
    date_part,
    set_date_part,
    make_date_time,
    zone_date_to_utc,
    zone_date_to_zone,
]

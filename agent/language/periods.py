"""Relative and absolute date phrases → inclusive date ranges, resolved against an explicit *today*.

Pure functions only: *today* is always passed in (callers holding a datetime use :func:`today_in` with the
company's timezone), so "last month" means the same thing in tests, in the CLI and in the agent.
Conventions (DESIGN §3.1): calendar units are whole ("this month" = the 1st to the last day), "last week" is the
previous Monday..Sunday, "last N days" is today-N..today, a bare month is its most recent start not in the future.
"""

from __future__ import annotations

import calendar
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from dateutil.relativedelta import relativedelta

from domain.clock import system_clock


@dataclass(frozen=True, slots=True)
class Period:
    """An inclusive range; either end may be open (None)."""

    date_from: date | None
    date_to: date | None

    def intersect(self, other: Period) -> Period | None:
        starts = [d for d in (self.date_from, other.date_from) if d is not None]
        ends = [d for d in (self.date_to, other.date_to) if d is not None]
        merged = Period(max(starts) if starts else None, min(ends) if ends else None)
        if merged.date_from and merged.date_to and merged.date_from > merged.date_to:
            return None
        return merged


@dataclass(frozen=True, slots=True)
class PeriodMatch:
    period: Period
    spans: tuple[
        tuple[int, int], ...
    ]  # where in the text the phrase(s) were found, so callers can cut them out


def today_in(timezone: str, now: datetime | None = None) -> date:
    """The calendar date in the company's timezone (a UTC evening is already tomorrow in Sydney)."""
    zone = ZoneInfo(timezone)
    moment = now if now is not None else system_clock()
    if moment.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    return moment.astimezone(zone).date()


# ---------------------------------------------------------------- calendar units


def month_range(year: int, month: int) -> Period:
    return Period(date(year, month, 1), date(year, month, calendar.monthrange(year, month)[1]))


def quarter_range(year: int, quarter: int) -> Period:
    first = 3 * (quarter - 1) + 1
    return Period(date(year, first, 1), month_range(year, first + 2).date_to)


def year_range(year: int) -> Period:
    return Period(date(year, 1, 1), date(year, 12, 31))


def week_range(day: date) -> Period:
    """Monday..Sunday around *day*."""
    monday = day - timedelta(days=day.weekday())
    return Period(monday, monday + timedelta(days=6))


def quarter_of(day: date) -> int:
    return (day.month - 1) // 3 + 1


def _unit_range(unit: str, day: date) -> Period:
    if unit == "week":
        return week_range(day)
    if unit == "month":
        return month_range(day.year, day.month)
    if unit == "quarter":
        return quarter_range(day.year, quarter_of(day))
    return year_range(day.year)


def _shift(day: date, unit: str, count: int) -> date:
    if unit == "day":
        return day + timedelta(days=count)
    if unit == "week":
        return day + timedelta(weeks=count)
    if unit == "month":
        return day + relativedelta(months=count)
    if unit == "quarter":
        return day + relativedelta(months=3 * count)
    return day + relativedelta(years=count)


# ---------------------------------------------------------------- vocabulary

_MONTH_NAMES = "january:jan february:feb march:mar april:apr may june:jun july:jul august:aug september:sept:sep october:oct november:nov december:dec"
MONTHS = {
    name: index for index, names in enumerate(_MONTH_NAMES.split(), start=1) for name in names.split(":")
}
# Full names only: "Sun" or "Wed" inside a customer name must not become a date.
WEEKDAYS = {
    name: index
    for index, name in enumerate(
        ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]
    )
}
NUMBER_WORDS = {
    "a": 1, "an": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8,
    "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "fourteen": 14, "fifteen": 15, "eighteen": 18, "twenty": 20,
    "thirty": 30, "forty": 40, "forty-five": 45, "sixty": 60, "ninety": 90, "couple": 2, "few": 3,
}  # fmt: skip
ORDINAL_QUARTERS = {"first": 1, "1st": 1, "second": 2, "2nd": 2, "third": 3, "3rd": 3, "fourth": 4, "4th": 4}

_MONTH = r"(?P<{g}>" + "|".join(sorted(MONTHS, key=len, reverse=True)) + r")\.?"
_WEEKDAY = "|".join(sorted(WEEKDAYS, key=len, reverse=True))
_NUM = r"(?P<n>\d{1,3}|" + "|".join(sorted(NUMBER_WORDS, key=len, reverse=True)) + r")"
_UNIT = r"(?P<unit>day|week|month|quarter|year)s?"
_YEAR4 = r"(?:19|20)\d{2}"
_DAY = r"(?:[12]\d|3[01]|0?[1-9])(?:st|nd|rd|th)?"
_B = r"(?<![\w$.,/-])"  # a phrase never starts inside a word, an amount or another date
_E = r"(?![\w/-])"


def _number(token: str) -> int:
    return int(token) if token.isdigit() else NUMBER_WORDS[token.lower()]


def _two_digit_year(value: str) -> int:
    year = int(value)
    return year + 2000 if year < 100 else year


def _most_recent(today: date, month: int, day: int = 1) -> date:
    """The latest (month, day) that is not after *today*."""
    date(2000, month, day)  # a leap year: raises ValueError for 13/45 or April 31, which no year can hold
    for year in range(today.year, today.year - 9, -1):
        try:
            candidate = date(year, month, day)
        except ValueError:  # Feb 29 in a common year: look further back
            continue
        if candidate <= today:
            return candidate
    raise ValueError(f"no {month}/{day} in the last eight years")


# ---------------------------------------------------------------- points: one date or one calendar unit

# A "point" is something with a start and an end: one day, a month, a quarter, a year.
_DATE_ISO = r"(?P<iso>\d{4}-\d{1,2}-\d{1,2})"
# "1/2 HP" and "3/4 in" are pipe and motor sizes, not dates.
_DATE_US = r"(?P<us>\d{1,2}/\d{1,2}(?:/\d{2}(?:\d{2})?)?)(?!\s*(?:hp|horse|inch|in\b|gal|\"))"
_DATE_MD = _MONTH.format(g="md_m") + r"\s+(?P<md_d>" + _DAY + r")(?:,?\s+(?P<md_y>" + _YEAR4 + r"))?"
_DATE_DM = (
    r"(?:the\s+)?(?P<dm_d>"
    + _DAY
    + r")(?:\s+of)?\s+"
    + _MONTH.format(g="dm_m")
    + r"(?:,?\s+(?P<dm_y>"
    + _YEAR4
    + r"))?"
)
_QUARTER = (
    r"(?:q(?P<q>[1-4])|(?:the\s+)?(?P<qo>first|second|third|fourth|1st|2nd|3rd|4th)\s+quarter)"
    r"(?:\s+(?:of\s+)?(?:fy\s*)?(?P<q_y>" + _YEAR4 + r"|'\d{2}))?"
)
_MONTH_YEAR = _MONTH.format(g="my_m") + r"(?:\s+of)?,?\s+(?P<my_y>" + _YEAR4 + r"|'\d{2})"
# "may" and "march" are also ordinary words; a bare month needs a preposition or a neighbour to count.
_BARE_MONTH = (
    r"(?:(?<=in\s)|(?<=during\s)|(?<=for\s)|(?<=of\s)|(?<=since\s)|(?<=from\s)|(?<=before\s)|(?<=after\s)|(?<=until\s)|(?<=through\s)|(?<=to\s)|(?<=and\s)|(?<=by\s)|(?<=thru\s)|(?<=till\s))"
    + _MONTH.format(g="bm_m")
)
_BARE_MONTH_FREE = r"(?P<bmf_m>january|february|april|june|july|august|september|october|november|december)"
# "June Smith" and "August Plumbing" are people and companies, not months.
_NOT_A_NAME = r"(?!(?-i:\s+[A-Z][a-z]))"
_YEAR_ONLY = (
    r"(?:(?<=in\s)|(?<=during\s)|(?<=for\s)|(?<=of\s)|(?<=since\s)|(?<=from\s)|(?<=before\s)|(?<=after\s)|(?<=until\s)|(?<=to\s)|(?<=and\s)|(?<=year\s)|(?<=through\s)|(?<=fy\s))(?P<yo>"
    + _YEAR4
    + r")|(?:fy\s?)(?P<fy>"
    + _YEAR4
    + r")"
    # "2025 invoices": a year right before the kind of record is a date, not a document number.
    + r"|(?P<yn>"
    + _YEAR4
    + r")(?='?s?\s+(?:invoices|estimates|quotes|bids|proposals|payments|bills|sales|revenue))"
)

POINT = (
    "(?:"
    + "|".join(
        [
            _DATE_ISO,
            _DATE_US,
            _DATE_MD,
            _DATE_DM,
            _QUARTER,
            _MONTH_YEAR,
            _BARE_MONTH + _NOT_A_NAME,
            _BARE_MONTH_FREE + _NOT_A_NAME,
            _YEAR_ONLY,
        ]
    )
    + ")"
)


def _suffix(name: str, suffix: str) -> str:
    """The same point pattern with its group names suffixed, so a range can hold two of them."""
    return re.sub(r"\(\?P<(\w+)>", lambda m: f"(?P<{m.group(1)}{suffix}>", name)


def _point(groups: dict[str, str | None], today: date, suffix: str = "") -> Period | None:
    def g(name: str) -> str | None:
        return groups.get(name + suffix)

    if iso := g("iso"):
        y, m, d = (int(p) for p in iso.split("-"))
        day = date(y, m, d)
        return Period(day, day)
    if us := g("us"):
        parts = [int(p) for p in us.split("/")]
        if len(parts) == 3:
            day = date(_two_digit_year(str(parts[2])), parts[0], parts[1])
        else:
            day = _most_recent(today, parts[0], parts[1])
        return Period(day, day)
    for prefix in ("md", "dm"):
        if (month_name := g(f"{prefix}_m")) is not None:
            month = MONTHS[month_name.lower()]
            day_no = int(re.sub(r"\D", "", g(f"{prefix}_d") or "1"))
            year_text = g(f"{prefix}_y")
            day = date(int(year_text), month, day_no) if year_text else _most_recent(today, month, day_no)
            return Period(day, day)
    if (q := g("q")) or (qo := g("qo")):
        quarter = int(q) if q else ORDINAL_QUARTERS[(qo or "").lower()]
        year_text = g("q_y")
        if year_text:
            return quarter_range(_two_digit_year(year_text.lstrip("'")), quarter)
        start = _most_recent(today, 3 * (quarter - 1) + 1)
        return quarter_range(start.year, quarter)
    if (month_name := g("my_m")) is not None:
        year_text = g("my_y") or ""
        return month_range(_two_digit_year(year_text.lstrip("'")), MONTHS[month_name.lower()])
    for key in ("bm_m", "bmf_m"):
        if (month_name := g(key)) is not None:
            start = _most_recent(today, MONTHS[month_name.lower()])
            return month_range(start.year, start.month)
    if year_text := (g("yo") or g("fy") or g("yn")):
        return year_range(int(year_text))
    return None


# ---------------------------------------------------------------- phrases

Resolver = Callable[[dict[str, str | None], date], Period | None]
_RULES: list[tuple[re.Pattern[str], Resolver]] = []


def _rule(pattern: str) -> Callable[[Resolver], Resolver]:
    def register(fn: Resolver) -> Resolver:
        _RULES.append((re.compile(_B + pattern + _E, re.IGNORECASE), fn))
        return fn

    return register


def _range_of_points(groups: dict[str, str | None], today: date) -> Period | None:
    first, second = _point(groups, today, "1"), _point(groups, today, "2")
    if first is None or second is None or first.date_from is None or second.date_to is None:
        return None
    start, end = first.date_from, second.date_to
    if start > end and groups.get("iso1") is None and groups.get("yo1") is None:
        # "from November to February": the first point is last year's.
        start = start - relativedelta(years=1)
    return Period(start, end) if start <= end else None


@_rule(
    r"(?:between|from)\s+"
    + _suffix(POINT, "1")
    + r"\s+(?:and|to|through|thru|till|until|-)\s+"
    + _suffix(POINT, "2")
)
def _between(groups: dict[str, str | None], today: date) -> Period | None:
    return _range_of_points(groups, today)


@_rule(_suffix(POINT, "1") + r"\s*(?:-|–|through|thru)\s*" + _suffix(POINT, "2"))
def _dash_range(groups: dict[str, str | None], today: date) -> Period | None:
    return _range_of_points(groups, today)


@_rule(
    r"(?P<rel>since|starting|from|after|on or after|before|prior to|until|till|through|thru|up to|by|on or before|as of)\s+(?:the\s+)?"
    + _suffix(POINT, "1")
)
def _open_ended(groups: dict[str, str | None], today: date) -> Period | None:
    point = _point(groups, today, "1")
    if point is None or point.date_from is None or point.date_to is None:
        return None
    rel = " ".join((groups.get("rel") or "").lower().split())
    if rel == "from" and point.date_from != point.date_to:
        return point  # "invoices from Q4 2025" means dated in it, not since it
    if rel in {"since", "starting", "from", "on or after"}:
        return Period(point.date_from, None)
    if rel == "after":
        return Period(point.date_to + timedelta(days=1), None)
    if rel in {"before", "prior to"}:
        return Period(None, point.date_from - timedelta(days=1))
    if rel in {"as of"}:
        return Period(None, point.date_to)
    return Period(None, point.date_to)


@_rule(
    r"(?:(?:older\s+than|more\s+than|over|at\s+least|>=?)\s*"
    + _NUM
    + r"\s+"
    + _UNIT
    + r"|(?P<plus>\d{1,3})\+\s*(?P<unit2>day|week|month|year)s?)(?:\s+old|\s+ago)?"
)
def _older_than(groups: dict[str, str | None], today: date) -> Period | None:
    text = groups.get("unit") or groups.get("unit2") or ""
    # "over 60 days", "> 90 days", "90+ days": dated more than that long ago.
    return Period(None, _shift(today, text.lower(), -_number(groups["n"] or groups["plus"] or "0")))


@_rule(
    r"(?:in\s+|within\s+|during\s+|for\s+|over\s+)?(?:the\s+)?(?:last|past|previous|prior|trailing)\s+"
    + _NUM
    + r"(?:\s+of)?\s+"
    + _UNIT
)
def _last_n(groups: dict[str, str | None], today: date) -> Period | None:
    unit = (groups.get("unit") or "").lower()
    return Period(_shift(today, unit, -_number(groups["n"] or "0")), today)


@_rule(_NUM + r"\s+" + _UNIT + r"\s+ago")
def _ago(groups: dict[str, str | None], today: date) -> Period | None:
    day = _shift(today, (groups.get("unit") or "").lower(), -_number(groups["n"] or "0"))
    return Period(day, day)


@_rule(r"(?:the\s+)?past\s+(?P<unit>week|month|quarter|year)")
def _past_unit(groups: dict[str, str | None], today: date) -> Period | None:
    return Period(_shift(today, (groups.get("unit") or "").lower(), -1), today)


@_rule(r"(?:last|previous|prior)\s+(?P<unit>week|month|quarter|year)(?:'s|s'|s(?=\s+[a-z]))?(?!\s+to\s+date)")
def _previous_unit(groups: dict[str, str | None], today: date) -> Period | None:
    unit = (groups.get("unit") or "").lower()
    return _unit_range(unit, _shift(today, unit, -1))


@_rule(
    r"(?:this|the\s+current|current|this\s+calendar)\s+(?P<unit>week|month|quarter|year)(?:'s|s'|s(?=\s+[a-z]))?"
    r"(?!\s+(?:to\s+date|so\s+far))"
)
def _this_unit(groups: dict[str, str | None], today: date) -> Period | None:
    return _unit_range((groups.get("unit") or "").lower(), today)


@_rule(
    r"(?:(?P<ytd>ytd|year[\s-]to[\s-]date)|(?P<mtd>mtd|month[\s-]to[\s-]date)|(?P<qtd>qtd|quarter[\s-]to[\s-]date)"
    r"|(?P<wtd>week[\s-]to[\s-]date)"
    r"|(?:so\s+far\s+)?this\s+(?P<sf>year|month|quarter|week)(?:\s+to\s+date|\s+so\s+far)"
    r"|so\s+far\s+this\s+(?P<sf2>year|month|quarter|week)"
    r"|earlier\s+this\s+(?P<sf3>year|month|quarter|week))"
)
def _to_date(groups: dict[str, str | None], today: date) -> Period | None:
    unit = next(
        (
            u
            for key, u in (("ytd", "year"), ("mtd", "month"), ("qtd", "quarter"), ("wtd", "week"))
            if groups.get(key)
        ),
        None,
    )
    unit = unit or (groups.get("sf") or groups.get("sf2") or groups.get("sf3") or "year").lower()
    return Period(_unit_range(unit, today).date_from, today)


@_rule(
    r"(?:since|from|starting)\s+(?:the\s+)?(?:start|beginning)\s+of\s+(?:the\s+|this\s+)?"
    r"(?P<unit>week|month|quarter|year)"
)
def _since_start(groups: dict[str, str | None], today: date) -> Period | None:
    return Period(_unit_range((groups.get("unit") or "").lower(), today).date_from, None)


@_rule(r"(?P<word>today|yesterday|the\s+day\s+before\s+yesterday)")
def _days(groups: dict[str, str | None], today: date) -> Period | None:
    word = " ".join((groups.get("word") or "").lower().split())
    back = {"today": 0, "yesterday": 1}.get(word, 2)
    day = today - timedelta(days=back)
    return Period(day, day)


@_rule(r"(?P<last>last\s+|on\s+|this\s+past\s+|past\s+)?(?P<wd>" + _WEEKDAY + r")\b")
def _weekday(groups: dict[str, str | None], today: date) -> Period | None:
    target = WEEKDAYS[(groups.get("wd") or "").lower()]
    back = (today.weekday() - target) % 7
    if back == 0 and (groups.get("last") or "").strip():
        back = 7  # "last Monday" said on a Monday is a week ago
    day = today - timedelta(days=back)
    return Period(day, day)


@_rule(
    r"(?:since|starting|from|beginning)\s+(?:(?:on|last|this\s+past|this|past)\s+)?(?P<wd>"
    + _WEEKDAY
    + r")\b"
)
def _since_weekday(groups: dict[str, str | None], today: date) -> Period | None:
    """ "since Monday" is Monday through today, not Monday alone."""
    day = _weekday(groups, today)
    return Period(day.date_from, today) if day else None


@_rule(r"(?:the\s+)?week\s+(?:of|starting|beginning)\s+" + _suffix(POINT, "1"))
def _week_of(groups: dict[str, str | None], today: date) -> Period | None:
    point = _point(groups, today, "1")
    return week_range(point.date_from) if point and point.date_from else None


@_rule(r"(?:in|during|for|of|on|dated|dated\s+in|throughout|within)\s+" + _suffix(POINT, "1"))
def _prepositional_point(groups: dict[str, str | None], today: date) -> Period | None:
    return _point(groups, today, "1")


@_rule(POINT)
def _single_point(groups: dict[str, str | None], today: date) -> Period | None:
    return _point(groups, today)


def find_periods(text: str, today: date) -> list[tuple[int, int, Period]]:
    """Every date phrase in *text* (longest wins where they overlap), in order of appearance."""
    found: list[tuple[int, int, Period]] = []
    for pattern, resolve in _RULES:
        for match in pattern.finditer(text):
            try:
                period = resolve(match.groupdict(), today)
            except ValueError:  # "2/30/2026" and friends: not a date, so not a period
                continue
            if period is not None:
                found.append((match.start(), match.end(), period))
    found.sort(key=lambda item: (-(item[1] - item[0]), item[0]))
    chosen: list[tuple[int, int, Period]] = []
    for start, end, period in found:
        if all(end <= s or start >= e for s, e, _ in chosen):
            chosen.append((start, end, period))
    return sorted(chosen, key=lambda item: item[0])


def find_period(text: str, today: date) -> PeriodMatch | None:
    """The range the date phrases in *text* describe together ("in 2025 before March" intersects)."""
    found = find_periods(text, today)
    if not found:
        return None
    period: Period | None = found[0][2]
    spans = [found[0][:2]]
    for start, end, other in found[1:]:
        merged = period.intersect(other) if period else None
        if merged is None:
            continue  # contradictory phrases: keep the first, leave the rest in the text
        period = merged
        spans.append((start, end))
    assert period is not None
    return PeriodMatch(period=period, spans=tuple(spans))


def parse_period(phrase: str, today: date) -> Period:
    """A phrase that is only a date expression, e.g. "last quarter"; ValueError when it is not one."""
    cleaned = " ".join(phrase.strip().rstrip("?.!").split())
    for candidate in (cleaned, f"in {cleaned}"):
        # Alone, "March" or "May" can only be the month; inside a sentence they need "in" to count.
        found = find_periods(candidate, today)
        if len(found) == 1 and found[0][0] == 0 and found[0][1] == len(candidate):
            return found[0][2]
    raise ValueError(f"not a date phrase I understand: {phrase!r}")

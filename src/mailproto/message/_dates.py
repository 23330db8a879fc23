"""Dates (RFC 5322 section 3.3, with the obsolete forms of section 4.3 and common broken ones).

Besides the standard form this reads: missing day names and seconds, two- and three-digit years,
the obsolete zone names (``UT``, ``GMT``, ``EST`` ... ``PDT`` and military letters), zones written
``+02:00`` or ``GMT+0200``, comments, ``12.30.00`` times, month names in full, asctime
(``Tue Nov 10 12:00:00 2009``) and ISO 8601 (``2009-11-10T12:00:00Z``) dates.

The result is always an aware :class:`~datetime.datetime`. A date without a zone, or with the
"unknown zone" ``-0000``, is returned in UTC (the standard library returns a naive datetime then).
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta, timezone

__all__ = ["parse_date"]

_MONTHS = {
    m: i + 1
    for i, m in enumerate(
        ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"]
    )
}
_ZONES = {
    "ut": 0, "utc": 0, "gmt": 0, "z": 0, "wet": 0, "bst": 60, "cet": 60, "met": 60,
    "cest": 120, "mest": 120, "eet": 120, "eest": 180, "msk": 180, "ist": 330, "jst": 540,
    "kst": 540, "hkt": 480, "sgt": 480, "awst": 480, "aest": 600, "aedt": 660, "nzst": 720,
    "nzdt": 780, "ast": -240, "adt": -180, "est": -300, "edt": -240, "cst": -360, "cdt": -300,
    "mst": -420, "mdt": -360, "pst": -480, "pdt": -420, "akst": -540, "akdt": -480,
    "hst": -600,
}  # fmt: skip
_STANDARD = re.compile(
    r"\s*(?:[A-Za-z]{3},?\s*)?(\d{1,2})\s+([A-Za-z]{3})\s+(\d{4})\s+(\d\d):(\d\d)(?::(\d\d))?"
    r"\s+([+-])(\d\d)(\d\d)\s*(?:\([^()]*\)\s*)?\Z"
)
_COMMENT = re.compile(r"\([^()]*\)")
_ISO = re.compile(
    r"\s*(\d{4})-(\d{1,2})-(\d{1,2})[Tt ]\s*(\d{1,2}):(\d{2})(?::(\d{2})(?:[.,]\d+)?)?"
    r"\s*(Z|z|[+-]\d{2}(?::?\d{2})?|[A-Za-z]{1,5})?\s*\Z"
)
_TIME = re.compile(r"(?<![\d:])(\d{1,2})\s*[:.]\s*(\d{1,2})(?:\s*[:.]\s*(\d{1,2})(?:[.,]\d+)?)?")
_OFFSET = re.compile(r"(?:\b(?:GMT|UTC|UT)\s*)?([+-])\s*(\d{1,2}):?(\d{2})\b", re.I)
_WORD = re.compile(r"[A-Za-z]+")
_NUM = re.compile(r"\d+")
_AMPM = re.compile(r"\b([AaPp])\.?[Mm]\.?\b")


def _year(y: int, digits: int) -> int:
    if digits <= 2:
        return y + (2000 if y < 50 else 1900)
    if digits == 3:
        return y + 1900
    return y


def _zone(sign: str, hh: str, mm: str) -> int | None:
    h, m = int(hh), int(mm)
    if m >= 60 or h >= 24:
        return None
    total = h * 60 + m
    return -total if sign == "-" else total


def _build(fields: tuple[int, int, int, int, int, int], offset: int | None) -> datetime | None:
    year, month, day, hour, minute, second = fields
    if second == 60:
        second = 59
    try:
        tz = UTC if not offset else timezone(timedelta(minutes=offset))
        return datetime(year, month, day, hour, minute, second, tzinfo=tz)
    except (ValueError, OverflowError):
        return None


def parse_date(text: str) -> datetime | None:
    """Parse a date-time as found in Date, Resent-Date and Received fields; ``None`` if it cannot.

    >>> parse_date("Fri, 21 Nov 1997 09:55:06 -0600")
    datetime.datetime(1997, 11, 21, 9, 55, 6, tzinfo=datetime.timezone(datetime.timedelta(days=-1, seconds=64800)))
    """  # noqa: E501
    if len(text) > 200:
        text = text[:200]
    m = _STANDARD.match(text)
    if m is not None:
        month = _MONTHS.get(m.group(2).lower(), 0)
        if month:
            g = m.groups()
            off = _zone(g[6], g[7], g[8])
            return _build(
                (int(g[2]), month, int(g[0]), int(g[3]), int(g[4]), int(g[5] or 0)), off or 0
            )
    m = _ISO.match(text)
    if m is not None:
        zone_text = m.group(7)
        offset: int | None = 0
        if zone_text and zone_text[0] in "+-":
            digits = zone_text[1:].replace(":", "")
            offset = _zone(zone_text[0], digits[:2], digits[2:] or "00")
        elif zone_text:
            offset = _ZONES.get(zone_text.lower(), 0)
        g = m.groups()
        ymd_hms = (int(g[0]), int(g[1]), int(g[2]), int(g[3]), int(g[4]), int(g[5] or 0))
        return _build(ymd_hms, offset or 0)
    if ";" in text:  # a Received value: the date follows the last ";"
        text = text.rpartition(";")[2]
    while "(" in text:
        text, n = _COMMENT.subn(" ", text)
        if not n:
            break
    tm = _TIME.search(text)
    if tm is None:
        return None
    hour, minute, second = int(tm.group(1)), int(tm.group(2)), int(tm.group(3) or 0)
    before, after = text[: tm.start()], text[tm.end() :]
    ampm = _AMPM.search(after)
    if ampm is not None:
        if ampm.group(1) in "Pp" and hour < 12:
            hour += 12
        elif ampm.group(1) in "Aa" and hour == 12:
            hour = 0
        after = after[: ampm.start()] + after[ampm.end() :]
    offset = None
    om = _OFFSET.search(after)
    if om is not None:
        offset = _zone(om.group(1), om.group(2), om.group(3))
        after = after[: om.start()] + " " + after[om.end() :]
    rest = before + " " + after
    month = 0
    for w in _WORD.findall(rest):
        lw = w.lower()
        if month == 0 and len(lw) >= 3 and lw[:3] in _MONTHS:
            month = _MONTHS[lw[:3]]
        elif offset is None and lw in _ZONES:
            offset = _ZONES[lw]
    nums = _NUM.findall(before) + _NUM.findall(after)
    year = day = -1
    if month:
        for n in nums:
            v = int(n)
            if day < 0 and len(n) <= 2 and 1 <= v <= 31:
                day = v
            elif year < 0:
                year = _year(v, len(n))
    elif len(nums) >= 3:
        a, b, c = nums[0], nums[1], nums[2]
        if len(a) == 4:  # 2009/11/10
            year, month, day = int(a), int(b), int(c)
        else:  # 10/11/2009, day first as mail outside the US mostly writes it
            day, month, year = int(a), int(b), _year(int(c), len(c))
    if year < 0 or day < 0 or not 1 <= month <= 12:
        return None
    return _build((year, month, day, hour, minute, second), offset)

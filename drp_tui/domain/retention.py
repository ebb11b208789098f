"""How long a closed dispute's record is kept before its personal content may be disposed of.

One rule, decided here: a closed dispute is due for disposal on the LATER of

- ``closed_years`` after the day it closed (London day), and
- for a child whose legal status has an ``until_age`` entry (e.g. ``CLA = 75``: a
  looked-after child's record kept until their 75th birthday), that birthday.

A child with such a status but no date of birth is never due (the rule cannot be
applied: the record is kept, and ``drp retention list --all`` says why). No rule
configured means nothing is ever due. The installation's config file says it
(``[retention]``; see docs/DEPLOYMENT.md): retention is the authority's records
policy, not the dispute procedure.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date

MIN_AGE, MAX_AGE = 18, 120
MAX_YEARS = 150


@dataclass(frozen=True)
class RetentionRule:
    closed_years: int = 0  # kept at least this many years after the dispute closed
    until_age: Mapping[str, int] = field(default_factory=dict)  # legal status -> age (birthday) kept until

    def describe(self) -> str:
        parts = [f"{self.closed_years} year(s) after closing"] if self.closed_years else []
        parts += [f"{status}: until the child's {age}th birthday" for status, age in sorted(self.until_age.items())]
        return "; ".join(parts) or "no period"


@dataclass(frozen=True)
class Due:
    on: date | None  # the day it may be disposed of (None: never, see ``why``)
    why: str  # which part of the rule decided it


def plus_years(day: date, years: int) -> date:
    """The same day ``years`` later (29 February -> 28 February in a common year)."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return day.replace(year=day.year + years, day=28)


def disposal_due(rule: RetentionRule, closed_on: date, legal_status: str, date_of_birth: date | None) -> Due:
    """When the record of a dispute closed on ``closed_on`` may be disposed of (see the module text)."""
    on = plus_years(closed_on, rule.closed_years)
    why = f"{rule.closed_years} year(s) after closing"
    age = rule.until_age.get(legal_status) or rule.until_age.get(legal_status.upper())
    if age:
        if date_of_birth is None:
            return Due(None, f"{legal_status}: kept until the child's {age}th birthday, and no date of birth is recorded")
        birthday = plus_years(date_of_birth, age)
        if birthday > on:
            on, why = birthday, f"{legal_status}: the child's {age}th birthday"
    return Due(on, why)


def rule_from_table(table: object, where: str) -> RetentionRule:
    """``[retention]`` as read from TOML, checked; a problem is a ValueError naming ``where`` and the key."""
    if not isinstance(table, Mapping):
        raise ValueError(f"{where}: must be a table, e.g. [retention] then closed_years = 6")
    known = ("closed_years", "until_age")
    for key in table:
        if key not in known:
            raise ValueError(f"{where}.{key}: unknown key (known: {', '.join(known)})")
    years = table.get("closed_years", 0)
    if not isinstance(years, int) or isinstance(years, bool) or not 1 <= years <= MAX_YEARS:
        raise ValueError(f"{where}.closed_years: must be a whole number of years from 1 to {MAX_YEARS}")
    ages = table.get("until_age", {})
    if not isinstance(ages, Mapping):
        raise ValueError(f"{where}.until_age: must be a table of legal status = age, e.g. {{ CLA = 75 }}")
    out: dict[str, int] = {}
    for status, age in ages.items():
        if not isinstance(age, int) or isinstance(age, bool) or not MIN_AGE <= age <= MAX_AGE:
            raise ValueError(f"{where}.until_age.{status}: must be an age from {MIN_AGE} to {MAX_AGE}")
        out[str(status)] = age
    return RetentionRule(years, out)

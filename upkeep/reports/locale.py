"""A report's language: gettext catalogues (Babel) and numbers, dates and durations in it.

The catalogues are ``locale/<lang>/LC_MESSAGES/upkeep.po`` beside the package,
committed as text and compiled in memory when first used (Babel's own
compiler): no build step, no binary .mo to forget to rebuild. English is the
messages' own language and needs no catalogue.

    >>> pl, en = Language.of("pl"), Language.of("en")
    >>> pl.percent(Fraction(99916, 1000)), en.percent(Fraction(99916, 1000))
    ('99,916 %', '99.916 %')
    >>> pl.duration(dt.timedelta(hours=2, minutes=5)), en.duration(dt.timedelta(seconds=576))
    ('2 godz. 5 min', '9 min 36 sec')
    >>> pl.month(dt.date(2026, 11, 1)), en.month(dt.date(2026, 11, 1))
    ('listopad 2026', 'November 2026')
"""

from __future__ import annotations

import datetime as dt
import io
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction
from functools import cache
from pathlib import Path
from zoneinfo import ZoneInfo

from babel import Locale
from babel.dates import format_date, format_datetime, get_day_names
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.numbers import format_decimal
from babel.support import NullTranslations, Translations
from babel.units import format_unit

from upkeep.errors import UsageError
from upkeep.sla.availability import percent_text

LOCALE_DIR = Path(__file__).resolve().parents[2] / "locale"
DOMAIN = "upkeep"
SOURCE_LANGUAGE = "en"


def catalogue_path(language: str) -> Path:
    return LOCALE_DIR / language / "LC_MESSAGES" / f"{DOMAIN}.po"


@cache
def translations(language: str) -> NullTranslations:
    """The language's messages, compiled from its .po (English: the messages themselves)."""
    if language == SOURCE_LANGUAGE:
        return NullTranslations()
    path = catalogue_path(language)
    if not path.is_file():
        raise UsageError(f"no {language} catalogue at {path} (languages: pl, en)")
    with path.open("rb") as po:
        catalog = read_po(po, locale=language, domain=DOMAIN)
    compiled = io.BytesIO()
    write_mo(compiled, catalog)
    compiled.seek(0)
    return Translations(compiled, domain=DOMAIN)


@dataclass(frozen=True)
class Language:
    """One language's words and formats."""

    code: str
    messages: NullTranslations

    @classmethod
    def of(cls, code: str) -> Language:
        return cls(code, translations(code))

    def __call__(self, message: str, **values: object) -> str:
        """The message translated, ``%(name)s`` filled in from ``values``."""
        text = self.messages.gettext(message)
        return text % values if values else text

    def plural(self, singular: str, plural: str, n: int, **values: object) -> str:
        return self.messages.ngettext(singular, plural, n) % {"n": self.number(n), **values}

    def number(self, value: float | int, places: int = 0) -> str:
        pattern = "#,##0" + ("." + "0" * places if places else "")
        return format_decimal(Decimal(str(value)), format=pattern, locale=self.code)

    def percent(self, value: Fraction, places: int = 3) -> str:
        """Rounded down as the SLA report rounds (upkeep.sla.availability.percent_text)."""
        exact = Decimal(percent_text(value, places))
        return f"{format_decimal(exact, format='0.' + '0' * places, locale=self.code)} %"

    def target(self, value: Fraction | float) -> str:
        """A target as written: ``99.9 %`` (``99,9 %``)."""
        return f"{format_decimal(Decimal(repr(float(value))), locale=self.code)} %"

    def duration(self, span: dt.timedelta) -> str:
        """Exact to the second (seconds only under an hour): ``2 h 5 min``; zero is ``0 min``."""
        seconds = round(span.total_seconds())
        hours, rest = divmod(seconds, 3600)
        minutes, seconds = divmod(rest, 60)
        parts = [
            self._unit(hours, "duration-hour") if hours else "",
            self._unit(minutes, "duration-minute") if minutes else "",
            self._unit(seconds, "duration-second") if seconds and not hours else "",
        ]
        return " ".join(p for p in parts if p) or self._unit(0, "duration-minute")

    def _unit(self, value: int, unit: str) -> str:
        return format_unit(value, unit, length="short", locale=self.code)

    def month(self, day: dt.date) -> str:
        return format_date(day, "LLLL y", locale=self.code)

    def date(self, day: dt.date) -> str:
        return format_date(day, "EEE d MMM y", locale=self.code)

    def when(self, moment: dt.datetime | None, zone: ZoneInfo) -> str:
        if moment is None:
            return "–"
        return format_datetime(moment, "EEE d MMM y, HH:mm", tzinfo=zone, locale=self.code)

    def weekday_letter(self, day: dt.date) -> str:
        return format_date(day, "EEEEE", locale=self.code)

    def weekdays(self) -> list[str]:
        """Monday first, abbreviated."""
        names = get_day_names("abbreviated", locale=self.code)
        return [names[index] for index in range(7)]

    def country(self, code: str) -> str:
        """A holidays code's country (``PL``, ``DE-BY``) in the language."""
        territory = code.split("-")[0].upper()
        return str(Locale.parse(self.code).territories.get(territory, territory))

"""Every number and localised text a person reads, written one way (Babel, one rounding rule).

Pages, e-mails, chart labels, PDF and the text of exports all format through here, so that the
same figure reads the same everywhere: 5 of 8 is "63%" for the panel and the secretariat alike.
METHOD.md: statistics are stored unrounded; people read 2 decimals for quantiles, means and
standard deviations, whole per cent for shares. The one rounding rule is "halves away from
zero" on the decimal value as written (0.625 → 63%, 2.675 → 2.68), after the value is rounded
to 10 decimals as METHOD.md requires before any comparison (float noise must not flip a digit).

Each function takes ``locale`` (``"de"``, ``"fr"``...); without it, the interface language of
the current request, else English. Undefined values (None, NaN) read "–", infinities "∞".
This module imports neither Flask nor SQLAlchemy at import time, so pure packages (charts) may
use it with an explicit locale.

Pure code cannot translate: it marks its messages with ``N_`` (so that ``make messages``
extracts them) and whoever shows them translates them (``app.problems.message_text``).
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from babel import Locale, UnknownLocaleError
from babel.dates import format_date
from babel.lists import format_list
from babel.numbers import format_decimal, format_percent, get_decimal_symbol

#: What an undefined figure reads.
MISSING = "–"


def N_(message: str) -> str:
    """``message`` as it is, marked for the catalogues: it is translated where it is shown."""
    return message


KIB = 1024
MIB = 1024 * KIB
GIB = 1024 * MIB
#: Units of sizes, largest first, as message ids: French writes Kio, Mio, Gio.
_BYTE_UNITS = ((GIB, N_("%(n)s GiB")), (MIB, N_("%(n)s MiB")), (KIB, N_("%(n)s KiB")))
_BYTES = N_("%(n)s bytes")


def current_locale(locale: str | Locale | None = None) -> str:
    """``locale`` as a string, or the request's interface language, or "en"."""
    if locale is not None:
        return str(locale)
    try:
        from flask import has_request_context
        from flask_babel import get_locale
    except ImportError:  # pragma: no cover - Flask is always installed with the app
        return "en"
    if has_request_context():
        found = get_locale()
        if found is not None:
            return str(found)
    return "en"


def _special(value: Any) -> str | None:
    """The text of a value that is not a finite number, or None for a finite number."""
    if value is None or isinstance(value, bool):
        return MISSING
    if isinstance(value, str):
        return {"inf": "∞", "-inf": "−∞"}.get(value, MISSING)
    try:
        number = float(value)
    except (TypeError, ValueError):
        return MISSING
    if math.isnan(number):
        return MISSING
    if math.isinf(number):
        return "∞" if number > 0 else "−∞"
    return None


def rounded(value: float | int, places: int) -> Decimal:
    """``value`` rounded to ``places`` decimals, halves away from zero (the one rule)."""
    exact = Decimal(repr(round(float(value), 10)))
    try:
        return exact.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)
    except InvalidOperation:  # pragma: no cover - only for absurdly large values
        return exact


def number(value: Any, places: int = 2, *, locale: str | None = None, trim: bool = False) -> str:
    """A statistic with ``places`` decimals ("1,234.50"; German "1.234,50").

    ``trim`` drops trailing zeros (Borda points 13 and 10.5, confidence 55)."""
    special = _special(value)
    if special is not None:
        return special
    loc = current_locale(locale)
    amount = rounded(value, places)
    if trim:
        amount = amount.normalize() if amount != amount.to_integral() else amount.quantize(1)
        decimals = max(0, -amount.as_tuple().exponent)  # type: ignore[operator]
    else:
        decimals = places
    pattern = "#,##0" + ("." + "0" * decimals if decimals else "")
    return format_decimal(amount, format=pattern, locale=loc, decimal_quantization=False)


def count(value: Any, *, locale: str | None = None) -> str:
    """A whole number of answers, people or rows ("1,234")."""
    special = _special(value)
    if special is not None:
        return special
    return format_decimal(int(rounded(value, 0)), format="#,##0", locale=current_locale(locale))


def percent(share: Any, places: int = 0, *, locale: str | None = None) -> str:
    """A 0..1 share as per cent, whole by default ("63%"; German "63 %")."""
    special = _special(share)
    if special is not None:
        return special
    loc = current_locale(locale)
    amount = rounded(float(share) * 100, places) / 100
    pattern = Locale.parse(loc).percent_formats[None].pattern  # "#,##0%", "#,##0 %"...
    if places:
        pattern = re.sub(r"0(?!.*0)", "0." + "0" * places, pattern, count=1)
    return format_percent(amount, format=pattern, locale=loc, decimal_quantization=False)


def p_value(p: Any, *, locale: str | None = None) -> str:
    """A p-value with 3 decimals, or "< 0.001" below that."""
    special = _special(p)
    if special is not None:
        return special
    if 0 <= float(p) < 0.001:
        return "< " + number(0.001, 3, locale=locale)
    return number(p, 3, locale=locale)


def p_clause(p: Any, *, locale: str | None = None) -> str:
    """ "p = 0.034" or "p < 0.001" (never "p = < 0.001")."""
    text = p_value(p, locale=locale)
    return f"p {text}" if text.startswith("<") else f"p = {text}"


def interval(
    low: Any, high: Any, *, share: bool = False, places: int = 2, locale: str | None = None
) -> str:
    """ "3.00 – 5.00", or "43% – 88%" for shares; "–" when either end is undefined."""
    if _special(low) is not None or _special(high) is not None:
        return MISSING
    if share:
        return f"{percent(low, locale=locale)} – {percent(high, locale=locale)}"
    return f"{number(low, places, locale=locale)} – {number(high, places, locale=locale)}"


def _request_gettext() -> Callable[[str], str]:
    """The request's gettext; outside a request, none (the English words)."""
    try:
        from flask import has_request_context
        from flask_babel import gettext
    except ImportError:  # pragma: no cover - Flask is always installed with the app
        return _same
    return gettext if has_request_context() else _same


def _same(message: str) -> str:
    return message


def data_size(
    size: int,
    *,
    limit: bool = False,
    locale: str | None = None,
    translate: Callable[[str], str] | None = None,
) -> str:
    """A size in bytes as people read it: "16 MiB", "48.1 MiB" (German "48,1 MiB").

    A ``limit`` reads whole when it is ("10 MiB", "1 GiB"), else with one decimal; an actual
    size reads with one decimal rounded up, so that 50 MiB and a byte never reads "50.0 MiB",
    and in MiB at most. No digit grouping ("1024.0 MiB"). ``translate`` (a gettext in the
    language of ``locale``) gives the unit's words; by default the request's when ``locale``
    is the request's too, else the English words."""
    loc = current_locale(locale)
    words = translate or (_request_gettext() if locale is None else _same)
    units = _BYTE_UNITS if limit else _BYTE_UNITS[1:]
    for unit, name in units:
        if size < unit:
            continue
        if limit and size % unit == 0:
            amount, pattern = Decimal(size // unit), "0"
        elif limit:
            amount, pattern = rounded(size / unit, 1), "0.0"
        else:
            amount, pattern = Decimal(math.ceil(size * 10 / unit)) / 10, "0.0"
        return words(name) % {"n": format_decimal(amount, format=pattern, locale=loc)}
    return words(_BYTES) % {"n": format_decimal(int(size), format="0", locale=loc)}


def date_text(value: Any, *, locale: str | None = None) -> str:
    """A day as people read it, the one way every page writes a date ("4 December 2026";
    German "4. Dezember 2026", French "4 décembre 2026"); a datetime reads as its (UTC) day,
    nothing as "–"."""
    if value is None:
        return MISSING
    if isinstance(value, datetime):
        value = (value.astimezone(UTC) if value.tzinfo else value).date()
    day = value
    return format_date(day, format="long", locale=current_locale(locale))


def decimal_symbol(locale: str | None = None) -> str:
    return get_decimal_symbol(current_locale(locale))


def localized(
    texts: Mapping[str, Any] | str | None, lang: str | None, default: str | None = "en"
) -> str:
    """A text given in several languages, in ``lang``, else in ``default``, else the first
    one given; a plain string is returned as it is, nothing as ""."""
    if texts is None:
        return ""
    if isinstance(texts, str):
        return texts
    for wanted in (lang, default):
        if wanted and texts.get(wanted):
            return str(texts[wanted])
    return next((str(v) for v in texts.values() if v), "")


def language_name(code: str, *, locale: str | None = None) -> str:
    """The name of the language ``code`` ("el") in the locale's language ("Greek"; German
    "Griechisch"); the code itself when the locale does not name it."""
    try:
        names = Locale.parse(current_locale(locale)).languages
    except (UnknownLocaleError, ValueError):
        return code
    return names.get(code, code)


def word_list(words: list[str] | tuple[str, ...], *, style: str = "standard", locale=None) -> str:
    """Words joined as the locale writes a list: "Greek, French, and Polish" (German
    "Griechisch, Französisch und Polnisch"); ``style="or"`` for "Greek, French, or Polish"."""
    return format_list(list(words), style=style, locale=current_locale(locale))

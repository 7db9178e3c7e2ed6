"""Where a council works: an ISO 3166 country code, ``EU``, or a NUTS region code (pure).

NUTS codes start with the country's code as Eurostat writes it (``EL`` for Greece, ``UK``
for the United Kingdom in the versions before 2021) and add one to three letters or digits,
one per level: ``DE1`` (level 1), ``FR10``, ``ITC4`` (level 2), ``DE111`` (level 3).
"""

from __future__ import annotations

import re

from app.problems import N_, Problem

_ISO_CODES = """
    AD AE AF AG AI AL AM AO AQ AR AS AT AU AW AX AZ BA BB BD BE BF BG BH BI BJ BL BM BN BO BQ
    BR BS BT BV BW BY BZ CA CC CD CF CG CH CI CK CL CM CN CO CR CU CV CW CX CY CZ DE DJ DK DM
    DO DZ EC EE EG EH ER ES ET FI FJ FK FM FO FR GA GB GD GE GF GG GH GI GL GM GN GP GQ GR GS
    GT GU GW GY HK HM HN HR HT HU ID IE IL IM IN IO IQ IR IS IT JE JM JO JP KE KG KH KI KM KN
    KP KR KW KY KZ LA LB LC LI LK LR LS LT LU LV LY MA MC MD ME MF MG MH MK ML MM MN MO MP MQ
    MR MS MT MU MV MW MX MY MZ NA NC NE NF NG NI NL NO NP NR NU NZ OM PA PE PF PG PH PK PL PM
    PN PR PS PT PW PY QA RE RO RS RU RW SA SB SC SD SE SG SH SI SJ SK SL SM SN SO SR SS ST SV
    SX SY SZ TC TD TF TG TH TJ TK TL TM TN TO TR TT TV TW TZ UA UG UM US UY UZ VA VC VE VG VI
    VN VU WF WS YE YT ZA ZM ZW
"""
#: ISO 3166-1 alpha-2 codes of countries and territories.
ISO_COUNTRIES = frozenset(_ISO_CODES.split())
#: Country codes that Eurostat writes differently from ISO 3166 (NUTS level 0), and Kosovo.
EUROSTAT_COUNTRIES = frozenset({"EL", "UK", "XK"})
#: The European Union as a whole.
EU = "EU"

_NUTS = re.compile(r"([A-Z]{2})([0-9A-Z]{1,3})", re.ASCII)

#: Examples shown with every refusal (a message id: "or" is translated where it is shown).
EXAMPLES = N_("DE, EU, DE1, FR10 or ITC4")


def normalise_geography(text: str) -> str:
    """``text`` as stored: trimmed and in capitals (``fr10`` is ``FR10``)."""
    return text.strip().upper()


def geography_problem(text: str) -> Problem | None:
    """Why ``text`` (already normalised) is not a geography (a problem of the field
    ``geography``), or None when it is one."""
    if not text:
        return Problem(
            N_("enter a country code, EU or a NUTS region code (DE, EU, DE1, FR10 or ITC4)"),
            field="geography",
        )
    if text == EU or text in ISO_COUNTRIES or text in EUROSTAT_COUNTRIES:
        return None
    shown = repr(text if len(text) <= 20 else text[:20] + "…")
    if len(text) == 2 and text.isalpha():
        return Problem(
            N_("%(code)s is not an ISO 3166 country code"),
            field="geography",
            params={"code": shown},
        )
    match = _NUTS.fullmatch(text)
    if match is None:
        return Problem(
            N_(
                "%(code)s is neither a country code, EU nor a NUTS region code; write one "
                "such as DE, EU, DE1, FR10 or ITC4"
            ),
            field="geography",
            params={"code": shown},
        )
    country = match.group(1)
    if country not in ISO_COUNTRIES and country not in EUROSTAT_COUNTRIES:
        return Problem(
            N_("%(code)s is not a NUTS region code: %(country)s is not a country code"),
            field="geography",
            params={"code": shown, "country": country},
        )
    return None

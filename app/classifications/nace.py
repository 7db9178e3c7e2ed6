"""NACE Rev. 2 sections, built in, and the record type shared by the classification readers.

The 21 sections A-U are those of Annex I to Regulation (EC) No 1893/2006 establishing the
statistical classification of economic activities NACE Revision 2. ``label`` keeps the official
English title as published (upper case); ``labels`` holds display titles per language: English in
title case, German and French as in the official language versions of the Regulation.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

#: Linked-data base of NACE Rev. 2 in the EU Vocabularies; codes are appended without dots.
NACE_REV2_URI_BASE = "http://data.europa.eu/ux2/nace2/"

#: Level number -> level name in NACE Rev. 2.
NACE_LEVEL_NAMES: Mapping[int, str] = MappingProxyType(
    {1: "section", 2: "division", 3: "group", 4: "class"}
)

_SMALL_WORDS = frozenset(
    {"a", "an", "and", "as", "at", "but", "by", "for", "from", "in", "into", "nor", "of", "on"}
    | {"or", "the", "to", "with"}
)


class FrozenMap(Mapping[str, str]):
    """Immutable, hashable and picklable ``str -> str`` mapping."""

    __slots__ = ("_data",)

    def __init__(self, data: Mapping[str, str] | Iterable[tuple[str, str]] = ()) -> None:
        self._data: dict[str, str] = dict(data)

    def __getitem__(self, key: str) -> str:
        return self._data[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._data)

    def __len__(self) -> int:
        return len(self._data)

    def __hash__(self) -> int:
        return hash(frozenset(self._data.items()))

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Mapping):
            return self._data == dict(other.items())
        return NotImplemented

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self._data!r})"

    def __getstate__(self) -> dict[str, str]:
        return self._data

    def __setstate__(self, state: dict[str, str]) -> None:
        self._data = dict(state)


def title_case(text: str) -> str:
    """English title case for an upper-case official title.

    Short function words stay lower case except at the start of the title or after a
    semicolon; each part of a hyphenated word is capitalised
    ("GOODS- AND SERVICES-PRODUCING" -> "Goods- and Services-Producing").
    """
    out: list[str] = []
    start_of_clause = True
    for word in text.split():
        lowered = word.lower()
        bare = lowered.strip(",;:()")
        if bare in _SMALL_WORDS and not start_of_clause:
            out.append(lowered)
        else:
            out.append("-".join(_capitalise(part) for part in lowered.split("-")))
        start_of_clause = word.endswith((";", ":"))
    return " ".join(out)


def _capitalise(part: str) -> str:
    for index, char in enumerate(part):
        if char.isalpha():
            return part[:index] + char.upper() + part[index + 1 :]
    return part


def display_case(label: str) -> str:
    """The label to show: upper-case titles in title case, anything else unchanged."""
    return title_case(label) if label.isupper() else label


@dataclass(frozen=True, slots=True)
class ClassEntry:
    """One item of a hierarchical classification (NACE Rev. 2, ISCO-08, ...).

    ``level`` counts from 1 (top); ``parent_code`` is ``None`` at the top level.
    ``label`` is the official label in the source language as published; ``labels`` maps a
    language code to the display label in that language. ``notes`` keeps further explanatory
    texts of the source keyed by their column name (e.g. "This item excludes").
    """

    code: str
    level: int
    parent_code: str | None
    label: str
    labels: Mapping[str, str] = field(default_factory=FrozenMap)
    description: str = ""
    isic_ref: str | None = None
    uri: str | None = None
    notes: Mapping[str, str] = field(default_factory=FrozenMap)

    def __post_init__(self) -> None:
        if not isinstance(self.labels, FrozenMap):
            object.__setattr__(self, "labels", FrozenMap(self.labels))
        if not isinstance(self.notes, FrozenMap):
            object.__setattr__(self, "notes", FrozenMap(self.notes))

    @property
    def display_label(self) -> str:
        """English display label (title case for upper-case official titles)."""
        return self.labels.get("en") or display_case(self.label)

    def label_for(self, lang: str) -> str:
        """Display label in ``lang``, falling back to English."""
        return self.labels.get(lang) or self.display_label


def nace_uri(code: str) -> str:
    """EU Vocabularies URI of a NACE Rev. 2 item (``01.11`` -> ``.../nace2/0111``)."""
    return NACE_REV2_URI_BASE + code.replace(".", "")


# code, official English title, German title, French title, first and last division
_SECTIONS: tuple[tuple[str, str, str, str, int, int], ...] = (
    (
        "A",
        "AGRICULTURE, FORESTRY AND FISHING",
        "Land- und Forstwirtschaft, Fischerei",
        "Agriculture, sylviculture et pêche",
        1,
        3,
    ),
    (
        "B",
        "MINING AND QUARRYING",
        "Bergbau und Gewinnung von Steinen und Erden",
        "Industries extractives",
        5,
        9,
    ),
    (
        "C",
        "MANUFACTURING",
        "Verarbeitendes Gewerbe/Herstellung von Waren",
        "Industrie manufacturière",
        10,
        33,
    ),
    (
        "D",
        "ELECTRICITY, GAS, STEAM AND AIR CONDITIONING SUPPLY",
        "Energieversorgung",
        "Production et distribution d'électricité, de gaz, de vapeur et d'air conditionné",
        35,
        35,
    ),
    (
        "E",
        "WATER SUPPLY; SEWERAGE, WASTE MANAGEMENT AND REMEDIATION ACTIVITIES",
        "Wasserversorgung; Abwasser- und Abfallentsorgung und Beseitigung von "
        "Umweltverschmutzungen",
        "Production et distribution d'eau; assainissement, gestion des déchets et dépollution",
        36,
        39,
    ),
    (
        "F",
        "CONSTRUCTION",
        "Baugewerbe/Bau",
        "Construction",
        41,
        43,
    ),
    (
        "G",
        "WHOLESALE AND RETAIL TRADE; REPAIR OF MOTOR VEHICLES AND MOTORCYCLES",
        "Handel; Instandhaltung und Reparatur von Kraftfahrzeugen",
        "Commerce; réparation d'automobiles et de motocycles",
        45,
        47,
    ),
    (
        "H",
        "TRANSPORTATION AND STORAGE",
        "Verkehr und Lagerei",
        "Transports et entreposage",
        49,
        53,
    ),
    (
        "I",
        "ACCOMMODATION AND FOOD SERVICE ACTIVITIES",
        "Gastgewerbe/Beherbergung und Gastronomie",
        "Hébergement et restauration",
        55,
        56,
    ),
    (
        "J",
        "INFORMATION AND COMMUNICATION",
        "Information und Kommunikation",
        "Information et communication",
        58,
        63,
    ),
    (
        "K",
        "FINANCIAL AND INSURANCE ACTIVITIES",
        "Erbringung von Finanz- und Versicherungsdienstleistungen",
        "Activités financières et d'assurance",
        64,
        66,
    ),
    (
        "L",
        "REAL ESTATE ACTIVITIES",
        "Grundstücks- und Wohnungswesen",
        "Activités immobilières",
        68,
        68,
    ),
    (
        "M",
        "PROFESSIONAL, SCIENTIFIC AND TECHNICAL ACTIVITIES",
        "Erbringung von freiberuflichen, wissenschaftlichen und technischen Dienstleistungen",
        "Activités spécialisées, scientifiques et techniques",
        69,
        75,
    ),
    (
        "N",
        "ADMINISTRATIVE AND SUPPORT SERVICE ACTIVITIES",
        "Erbringung von sonstigen wirtschaftlichen Dienstleistungen",
        "Activités de services administratifs et de soutien",
        77,
        82,
    ),
    (
        "O",
        "PUBLIC ADMINISTRATION AND DEFENCE; COMPULSORY SOCIAL SECURITY",
        "Öffentliche Verwaltung, Verteidigung; Sozialversicherung",
        "Administration publique et défense; sécurité sociale obligatoire",
        84,
        84,
    ),
    (
        "P",
        "EDUCATION",
        "Erziehung und Unterricht",
        "Enseignement",
        85,
        85,
    ),
    (
        "Q",
        "HUMAN HEALTH AND SOCIAL WORK ACTIVITIES",
        "Gesundheits- und Sozialwesen",
        "Santé humaine et action sociale",
        86,
        88,
    ),
    (
        "R",
        "ARTS, ENTERTAINMENT AND RECREATION",
        "Kunst, Unterhaltung und Erholung",
        "Arts, spectacles et activités récréatives",
        90,
        93,
    ),
    (
        "S",
        "OTHER SERVICE ACTIVITIES",
        "Erbringung von sonstigen Dienstleistungen",
        "Autres activités de services",
        94,
        96,
    ),
    (
        "T",
        "ACTIVITIES OF HOUSEHOLDS AS EMPLOYERS; UNDIFFERENTIATED GOODS- AND "
        "SERVICES-PRODUCING ACTIVITIES OF HOUSEHOLDS FOR OWN USE",
        "Private Haushalte mit Hauspersonal; Herstellung von Waren und Erbringung von "
        "Dienstleistungen durch private Haushalte für den Eigenbedarf ohne ausgeprägten "
        "Schwerpunkt",
        "Activités des ménages en tant qu'employeurs; activités indifférenciées des ménages "
        "en tant que producteurs de biens et services pour usage propre",
        97,
        98,
    ),
    (
        "U",
        "ACTIVITIES OF EXTRATERRITORIAL ORGANISATIONS AND BODIES",
        "Exterritoriale Organisationen und Körperschaften",
        "Activités extra-territoriales",
        99,
        99,
    ),
)

#: The 21 sections of NACE Rev. 2, A to U, in classification order.
NACE_SECTIONS: tuple[ClassEntry, ...] = tuple(
    ClassEntry(
        code=code,
        level=1,
        parent_code=None,
        label=english,
        labels={"en": title_case(english), "de": german, "fr": french},
        description="",
        isic_ref=code,
        uri=nace_uri(code),
    )
    for code, english, german, french, _first, _last in _SECTIONS
)

#: Section code -> section entry.
NACE_SECTIONS_BY_CODE: Mapping[str, ClassEntry] = MappingProxyType(
    {entry.code: entry for entry in NACE_SECTIONS}
)

#: Section code -> the two-digit division codes it covers (not every number is in use).
NACE_SECTION_DIVISION_RANGES: Mapping[str, tuple[int, int]] = MappingProxyType(
    {code: (first, last) for code, _en, _de, _fr, first, last in _SECTIONS}
)


def nace_section(code: str) -> ClassEntry | None:
    """The built-in section with this letter (case-insensitive), or ``None``."""
    return NACE_SECTIONS_BY_CODE.get(code.strip().upper())


def section_for_division(division: str) -> str | None:
    """Section letter of a NACE Rev. 2 code by its first two digits ("62.01" -> "J")."""
    digits = division.strip()[:2]
    if len(digits) != 2 or not digits.isdigit():
        return None
    number = int(digits)
    for code, (first, last) in NACE_SECTION_DIVISION_RANGES.items():
        if first <= number <= last:
            return code
    return None

"""A questionnaire and its items as frozen, JSON-serialisable values.

Pure: no Flask, no I/O. ``loader.load_questionnaire`` builds these from ``surveys/*.yaml``
after checking the file; ``from_dict`` trusts its input (a stored ``to_dict()`` copy).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from enum import StrEnum
from types import MappingProxyType
from typing import Any, ClassVar, Generic, TypeVar

#: The only file format this code reads and writes.
FORMAT_VERSION = 1
ITEM_TYPES = ("likert", "estimate", "ranking", "choice", "text")
SCALE_MIN, SCALE_MAX, SCALE_DEFAULT = 3, 11, 5
TEXT_MAX_LENGTH_DEFAULT = 2000
CODE_SYSTEMS = ("esco", "isco", "isced", "nace")

V = TypeVar("V")


class Localized(Mapping[str, V], Generic[V]):
    """Read-only values per language code, with the questionnaire's default language.

    ``get_for(lang)`` falls back to the default language, then to any language present,
    so a missing translation never shows an empty question.
    """

    __slots__ = ("_default", "_values")

    def __init__(self, values: Mapping[str, V], default_language: str) -> None:
        frozen = {
            str(lang): (tuple(value) if isinstance(value, list | tuple) else value)
            for lang, value in values.items()
        }
        object.__setattr__(self, "_values", MappingProxyType(frozen))
        object.__setattr__(self, "_default", default_language)

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError(f"{type(self).__name__} is read-only")

    def __delattr__(self, name: str) -> None:
        raise AttributeError(f"{type(self).__name__} is read-only")

    @property
    def default_language(self) -> str:
        return self._default

    def __getitem__(self, lang: str) -> V:
        return self._values[lang]

    def __iter__(self) -> Iterator[str]:
        return iter(self._values)

    def __len__(self) -> int:
        return len(self._values)

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Localized):
            return self._default == other._default and dict(self._values) == dict(other._values)
        if isinstance(other, Mapping):
            return dict(self._values) == dict(other.items())
        return NotImplemented

    def __hash__(self) -> int:
        return hash((frozenset(self._values.items()), self._default))

    def __repr__(self) -> str:
        return f"Localized({dict(self._values)!r}, default_language={self._default!r})"

    def get_for(self, lang: str | None) -> V | None:
        """The value in ``lang``, else in the default language, else in any language."""
        if lang is not None and lang in self._values:
            return self._values[lang]
        if self._default in self._values:
            return self._values[self._default]
        return next(iter(self._values.values()), None)

    def to_dict(self) -> dict[str, Any]:
        return {
            lang: list(value) if isinstance(value, tuple) else value
            for lang, value in self._values.items()
        }


def _localized(data: Mapping[str, Any] | None, default_language: str) -> Localized[Any] | None:
    return None if data is None else Localized(data, default_language)


class Rationale(StrEnum):
    """Whether an item asks panellists to give reasons for their answer."""

    none = "none"
    optional = "optional"
    required = "required"


def default_bands(scale: int) -> tuple[tuple[int, int], tuple[int, int]]:
    """Default (agreement, disagreement) bands of a Likert scale (METHOD.md section 2).

    b = ceil(0.4 k); agree [k - b + 1, k], disagree [1, b]. For k = 3 the two overlap,
    so 3-point items must set both bands.
    """
    b = (2 * scale + 4) // 5  # ceil(2k/5) in integers: no float rounding at k = 5, 10
    return (scale - b + 1, scale), (1, b)


@dataclass(frozen=True)
class Codes:
    """Classification codes an item is about (each a tuple, possibly empty)."""

    #: ESCO skill URIs (http://data.europa.eu/esco/skill/...).
    esco: tuple[str, ...] = ()
    #: ISCO-08 occupation group codes, 1 to 4 digits.
    isco: tuple[str, ...] = ()
    #: ISCED 2011 levels (one digit) or ISCED-F 2013 fields (2 to 4 digits).
    isced: tuple[str, ...] = ()
    #: NACE Rev. 2 section letters or division/group/class codes.
    nace: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        for system in CODE_SYSTEMS:
            object.__setattr__(self, system, tuple(getattr(self, system)))

    def __bool__(self) -> bool:
        return any(getattr(self, system) for system in CODE_SYSTEMS)

    def to_dict(self) -> dict[str, list[str]]:
        return {s: list(getattr(self, s)) for s in CODE_SYSTEMS if getattr(self, s)}

    @classmethod
    def from_dict(cls, data: Mapping[str, Iterable[str]] | None) -> Codes:
        data = data or {}
        return cls(**{s: tuple(data.get(s, ())) for s in CODE_SYSTEMS})


@dataclass(frozen=True)
class ForecastBinding:
    """The statistical forecast an estimate is compared with (METHOD.md section 8)."""

    indicator: str
    year: int
    sector_code: str | None = None
    geography: str | None = None
    #: Show the forecast to panellists before they answer (it anchors: pre-register it).
    show_to_panel: bool = False

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"indicator": self.indicator, "year": self.year}
        if self.sector_code is not None:
            out["sector_code"] = self.sector_code
        if self.geography is not None:
            out["geography"] = self.geography
        out["show_to_panel"] = self.show_to_panel
        return out

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ForecastBinding:
        return cls(
            indicator=data["indicator"],
            year=data["year"],
            sector_code=data.get("sector_code"),
            geography=data.get("geography"),
            show_to_panel=bool(data.get("show_to_panel", False)),
        )


@dataclass(frozen=True)
class Option:
    """One answer option of a ranking or choice item."""

    key: str
    text: Localized[str]

    def text_for(self, lang: str | None) -> str:
        return self.text.get_for(lang) or ""

    def to_dict(self) -> dict[str, Any]:
        return {"key": self.key, "text": self.text.to_dict()}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], default_language: str) -> Option:
        return cls(key=data["key"], text=Localized(data["text"], default_language))


@dataclass(frozen=True, kw_only=True)
class Item:
    """Fields every item has. Use the subclasses; ``Item.from_dict`` picks one by ``type``."""

    type: ClassVar[str] = ""

    #: Stable slug, unique in its file, never reused for another question.
    key: str
    text: Localized[str]
    help: Localized[str] | None = None
    rationale: Rationale = Rationale.none
    codes: Codes = Codes()

    @property
    def default_language(self) -> str:
        return self.text.default_language

    def text_for(self, lang: str | None) -> str:
        """The question in ``lang``, falling back to the questionnaire's default language."""
        return self.text.get_for(lang) or ""

    def help_for(self, lang: str | None) -> str | None:
        return None if self.help is None else self.help.get_for(lang)

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"key": self.key, "type": self.type, "text": self.text.to_dict()}
        if self.help is not None:
            out["help"] = self.help.to_dict()
        out["rationale"] = self.rationale.value
        if self.codes:
            out["codes"] = self.codes.to_dict()
        out.update(self._specific_dict())
        return out

    def _specific_dict(self) -> dict[str, Any]:
        return {}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], default_language: str | None = None) -> Item:
        """Build the item subclass named by ``data["type"]``.

        ``default_language`` is the questionnaire's; a lone item falls back to the first
        language of its text. Raises KeyError or ValueError on an unknown type.
        """
        item_cls = ITEM_CLASSES[data["type"]] if cls is Item else cls
        if item_cls.type != data.get("type", item_cls.type):
            raise ValueError(f"{item_cls.__name__} cannot read an item of type {data['type']!r}")
        lang = default_language or next(iter(data["text"]))
        common: dict[str, Any] = {
            "key": data["key"],
            "text": Localized(data["text"], lang),
            "help": _localized(data.get("help"), lang),
            "rationale": Rationale(data.get("rationale", "none")),
            "codes": Codes.from_dict(data.get("codes")),
        }
        return item_cls(**common, **item_cls._specific_kwargs(data, lang))

    @classmethod
    def _specific_kwargs(cls, data: Mapping[str, Any], lang: str) -> dict[str, Any]:
        return {}


def _band(value: Iterable[int] | None) -> tuple[int, int] | None:
    if value is None:
        return None
    lo, hi = value
    return (lo, hi)


@dataclass(frozen=True, kw_only=True)
class LikertItem(Item):
    """A rating on a 1..scale agreement or importance scale."""

    type: ClassVar[str] = "likert"

    scale: int = SCALE_DEFAULT
    #: Per language, one label per scale point, lowest first.
    labels: Localized[tuple[str, ...]] | None = None
    #: Offer "cannot assess": counted as missing, never as a value (METHOD.md section 1).
    dont_know: bool = False
    agreement_band: tuple[int, int] | None = None
    disagreement_band: tuple[int, int] | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "agreement_band", _band(self.agreement_band))
        object.__setattr__(self, "disagreement_band", _band(self.disagreement_band))

    def labels_for(self, lang: str | None) -> tuple[str, ...] | None:
        return None if self.labels is None else self.labels.get_for(lang)

    @property
    def effective_agreement_band(self) -> tuple[int, int]:
        return self.agreement_band or default_bands(self.scale)[0]

    @property
    def effective_disagreement_band(self) -> tuple[int, int]:
        return self.disagreement_band or default_bands(self.scale)[1]

    def _specific_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"scale": self.scale}
        if self.labels is not None:
            out["labels"] = self.labels.to_dict()
        out["dont_know"] = self.dont_know
        if self.agreement_band is not None:
            out["agreement_band"] = list(self.agreement_band)
        if self.disagreement_band is not None:
            out["disagreement_band"] = list(self.disagreement_band)
        return out

    @classmethod
    def _specific_kwargs(cls, data: Mapping[str, Any], lang: str) -> dict[str, Any]:
        return {
            "scale": data.get("scale", SCALE_DEFAULT),
            "labels": _localized(data.get("labels"), lang),
            "dont_know": bool(data.get("dont_know", False)),
            "agreement_band": _band(data.get("agreement_band")),
            "disagreement_band": _band(data.get("disagreement_band")),
        }


@dataclass(frozen=True, kw_only=True)
class EstimateItem(Item):
    """A number (optionally with a low-high range and a confidence), in ``unit``."""

    type: ClassVar[str] = "estimate"

    #: Unit symbol or code shown beside the field, e.g. "%", "EUR", "FTE".
    unit: str
    #: Bounds of every value, low and high; None = unbounded.
    min: float | None = None
    max: float | None = None
    #: Also ask for a plausible low and high value.
    range: bool = False
    #: Also ask how confident the panellist is, 0-100.
    confidence: bool = False
    #: Values have a true zero, so the coefficient of variation is meaningful.
    ratio_scale: bool = False
    forecast: ForecastBinding | None = None

    def _specific_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"unit": self.unit}
        if self.min is not None:
            out["min"] = self.min
        if self.max is not None:
            out["max"] = self.max
        out["range"] = self.range
        out["confidence"] = self.confidence
        out["ratio_scale"] = self.ratio_scale
        if self.forecast is not None:
            out["forecast"] = self.forecast.to_dict()
        return out

    @classmethod
    def _specific_kwargs(cls, data: Mapping[str, Any], lang: str) -> dict[str, Any]:
        forecast = data.get("forecast")
        return {
            "unit": data["unit"],
            "min": data.get("min"),
            "max": data.get("max"),
            "range": bool(data.get("range", False)),
            "confidence": bool(data.get("confidence", False)),
            "ratio_scale": bool(data.get("ratio_scale", False)),
            "forecast": None if forecast is None else ForecastBinding.from_dict(forecast),
        }


@dataclass(frozen=True, kw_only=True)
class _OptionsItem(Item):
    options: tuple[Option, ...] = ()

    def __post_init__(self) -> None:
        object.__setattr__(self, "options", tuple(self.options))

    @property
    def option_keys(self) -> tuple[str, ...]:
        return tuple(option.key for option in self.options)

    def option(self, key: str) -> Option:
        """The option with ``key``. Raises KeyError."""
        for option in self.options:
            if option.key == key:
                return option
        raise KeyError(key)


@dataclass(frozen=True, kw_only=True)
class RankingItem(_OptionsItem):
    """Put the ``top_m`` most important options in order (all of them if top_m = N)."""

    type: ClassVar[str] = "ranking"

    #: How many options a panellist must rank at least; None in the file = all.
    top_m: int = 0

    def __post_init__(self) -> None:
        super().__post_init__()
        if not self.top_m:
            object.__setattr__(self, "top_m", len(self.options))

    def _specific_dict(self) -> dict[str, Any]:
        return {"options": [o.to_dict() for o in self.options], "top_m": self.top_m}

    @classmethod
    def _specific_kwargs(cls, data: Mapping[str, Any], lang: str) -> dict[str, Any]:
        return {
            "options": tuple(Option.from_dict(o, lang) for o in data["options"]),
            "top_m": data.get("top_m") or 0,
        }


@dataclass(frozen=True, kw_only=True)
class ChoiceItem(_OptionsItem):
    """Pick one option, or with ``multiple`` between min and max selections."""

    type: ClassVar[str] = "choice"

    multiple: bool = False
    #: Resolved bounds: 1 and 1 for a single choice; defaults 1 and N for multiple.
    min_selections: int | None = None
    max_selections: int | None = None

    def __post_init__(self) -> None:
        super().__post_init__()
        if not self.multiple:
            lo, hi = 1, 1
        else:
            lo = 1 if self.min_selections is None else self.min_selections
            hi = len(self.options) if self.max_selections is None else self.max_selections
        object.__setattr__(self, "min_selections", lo)
        object.__setattr__(self, "max_selections", hi)

    def _specific_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "options": [o.to_dict() for o in self.options],
            "multiple": self.multiple,
        }
        if self.multiple:
            out["min_selections"] = self.min_selections
            out["max_selections"] = self.max_selections
        return out

    @classmethod
    def _specific_kwargs(cls, data: Mapping[str, Any], lang: str) -> dict[str, Any]:
        return {
            "options": tuple(Option.from_dict(o, lang) for o in data["options"]),
            "multiple": bool(data.get("multiple", False)),
            "min_selections": data.get("min_selections"),
            "max_selections": data.get("max_selections"),
        }


@dataclass(frozen=True, kw_only=True)
class TextItem(Item):
    """An open answer of at most ``max_length`` characters."""

    type: ClassVar[str] = "text"

    max_length: int = TEXT_MAX_LENGTH_DEFAULT

    def _specific_dict(self) -> dict[str, Any]:
        return {"max_length": self.max_length}

    @classmethod
    def _specific_kwargs(cls, data: Mapping[str, Any], lang: str) -> dict[str, Any]:
        return {"max_length": data.get("max_length", TEXT_MAX_LENGTH_DEFAULT)}


ITEM_CLASSES: Mapping[str, type[Item]] = MappingProxyType(
    {c.type: c for c in (LikertItem, EstimateItem, RankingItem, ChoiceItem, TextItem)}
)


@dataclass(frozen=True, kw_only=True)
class Questionnaire:
    """One questionnaire file, checked and frozen."""

    #: File key: the file is ``surveys/<key>.yaml``.
    key: str
    #: Version declared in the file (text, e.g. "1" or "2025.2").
    version: str
    format_version: int = FORMAT_VERSION
    title: Localized[str]
    description: Localized[str] | None = None
    languages: tuple[str, ...]
    default_language: str
    items: tuple[Item, ...]
    #: SHA-256 (hex) of the file bytes; empty when built in memory.
    content_hash: str = ""
    #: File name the questionnaire was read from.
    source: str = ""

    def __post_init__(self) -> None:
        object.__setattr__(self, "languages", tuple(self.languages))
        object.__setattr__(self, "items", tuple(self.items))

    @property
    def item_keys(self) -> tuple[str, ...]:
        return tuple(item.key for item in self.items)

    def item(self, key: str) -> Item:
        """The item with ``key``. Raises KeyError."""
        for item in self.items:
            if item.key == key:
                return item
        raise KeyError(key)

    def title_for(self, lang: str | None) -> str:
        return self.title.get_for(lang) or ""

    def description_for(self, lang: str | None) -> str | None:
        return None if self.description is None else self.description.get_for(lang)

    def to_dict(self, *, meta: bool = True) -> dict[str, Any]:
        """Plain JSON data. ``meta=False`` leaves out content_hash and source: the result
        is then a valid questionnaire file (see questionnaire.schema.json)."""
        out: dict[str, Any] = {
            "format_version": self.format_version,
            "key": self.key,
            "version": self.version,
            "title": self.title.to_dict(),
        }
        if self.description is not None:
            out["description"] = self.description.to_dict()
        out["languages"] = list(self.languages)
        out["default_language"] = self.default_language
        out["items"] = [item.to_dict() for item in self.items]
        if meta:
            out["content_hash"] = self.content_hash
            out["source"] = self.source
        return out

    @classmethod
    def from_dict(
        cls,
        data: Mapping[str, Any],
        *,
        content_hash: str | None = None,
        source: str | None = None,
    ) -> Questionnaire:
        """Rebuild from ``to_dict()`` output or a checked file's data (not validated here)."""
        lang = data["default_language"]
        return cls(
            key=data["key"],
            version=str(data["version"]),
            format_version=data.get("format_version", FORMAT_VERSION),
            title=Localized(data["title"], lang),
            description=_localized(data.get("description"), lang),
            languages=tuple(data["languages"]),
            default_language=lang,
            items=tuple(Item.from_dict(item, lang) for item in data["items"]),
            content_hash=content_hash if content_hash is not None else data.get("content_hash", ""),
            source=source if source is not None else data.get("source", ""),
        )

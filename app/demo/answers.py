"""Generated demonstration answers (invented; every consultation using them says so).

Each item follows a scripted pattern so that the demo shows every outcome: consensus from the
first round, consensus reached later, stable dissent between stakeholder groups, agreement that
an item does not matter, and an item that never settles.
"""

from __future__ import annotations

import random
from typing import Any

from app.consultations.responses import AnswerInput

#: item key -> {group: (round 1 centre, round 2 centre, round 3 centre)} on the 1..5 scale.
LIKERT_PATTERNS: dict[str, dict[str, tuple[float, float, float]]] = {
    # consensus in from round 1
    "digital-data-skills": {
        g: (4.6, 4.7, 4.7)
        for g in (
            "employers",
            "workers-representatives",
            "education-providers",
            "public-authorities",
        )
    },
    "teamwork-problem-solving": {
        g: (4.4, 4.5, 4.5)
        for g in (
            "employers",
            "workers-representatives",
            "education-providers",
            "public-authorities",
        )
    },
    # consensus reached in round 2
    "green-transition-skills": {
        "employers": (3.6, 4.4, 4.6),
        "workers-representatives": (3.2, 4.3, 4.5),
        "education-providers": (4.4, 4.6, 4.6),
        "public-authorities": (4.0, 4.5, 4.6),
    },
    # contested: employers high, workers' representatives low, both stay put
    "automation-maintenance": {
        "employers": (4.8, 4.9, 4.9),
        "workers-representatives": (2.0, 1.9, 1.9),
        "education-providers": (3.4, 3.4, 3.4),
        "public-authorities": (3.6, 3.6, 3.6),
    },
    # stable without consensus
    "customer-communication": {
        g: (3.0, 3.0, 3.0)
        for g in (
            "employers",
            "workers-representatives",
            "education-providers",
            "public-authorities",
        )
    },
    # agreement that it will not matter more
    "regulatory-compliance": {
        g: (1.6, 1.5, 1.4)
        for g in (
            "employers",
            "workers-representatives",
            "education-providers",
            "public-authorities",
        )
    },
    # keeps moving
    "willingness-to-learn": {
        "employers": (2.0, 4.2, 2.4),
        "workers-representatives": (4.6, 2.4, 4.4),
        "education-providers": (3.0, 3.8, 2.6),
        "public-authorities": (2.6, 3.4, 4.2),
    },
}

#: Centres for items made from approved themes (rated from round 2).
THEME_PATTERN = {
    "employers": (4.5, 4.6, 4.6),
    "workers-representatives": (4.1, 4.4, 4.5),
    "education-providers": (4.6, 4.7, 4.7),
    "public-authorities": (4.2, 4.5, 4.6),
}

RATIONALES = {
    "high": [
        "Clients now expect digital models and documentation on every site.",
        "Without these skills firms will lose public tenders within five years.",
        "We already see job adverts asking for exactly this.",
        "Neue Vorschriften machen diese Kompetenz ab 2027 verpflichtend.",
        "In unseren Lehrgängen ist die Nachfrage deutlich gestiegen.",
    ],
    "low": [
        "Small firms will keep buying this in from specialists rather than train staff.",
        "The technology is not mature enough for most sites in our region.",
        "Das betrifft nur wenige große Betriebe.",
        "Our members report no change in daily work so far.",
    ],
}

TEXT_STATEMENTS = {
    "skills-needed-most": [
        "Reading and updating digital building models (BIM) on site; tablets replace paper plans.",
        "Installing and servicing heat pumps and other low-carbon heating; retrofit of old houses.",
        "Basic data skills: recording progress in apps, reading sensor data from machines.",
        "Energy-efficient renovation: insulation, airtightness, thermal bridges.",
        "Working with drones and laser scanners for surveying.",
        "Communication with clients about energy advice and subsidies.",
        "Digitale Gebäudemodelle (BIM) lesen und auf der Baustelle pflegen.",
        "Wärmepumpen einbauen und warten; Sanierung von Altbauten.",
        "Umgang mit Tablets und Apps für die Baudokumentation.",
        "Energieberatung für Kundinnen und Kunden, Fördermittel erklären.",
        "Safety when working with batteries and photovoltaic systems on roofs.",
        "Teamwork across trades on prefabricated, modular buildings.",
    ],
    "skills-declining": [
        "Manual drafting of plans.",
        "Installing oil and gas boilers.",
        "Paper-based time sheets and site diaries.",
        "Ölheizungen einbauen.",
    ],
}

#: Themes a secretariat approved after round 1 of the demo (label per language).
DEMO_THEMES = [
    {
        "label": {
            "en": "Reading and maintaining digital building models (BIM) on site",
            "de": "Digitale Gebäudemodelle (BIM) auf der Baustelle lesen und pflegen",
            "fr": "Lire et tenir à jour les maquettes numériques (BIM) sur le chantier",
        },
        "statements": [0, 6, 2],
        "esco": ["http://data.europa.eu/esco/skill/S5"],
    },
    {
        "label": {
            "en": "Installing and servicing heat pumps in renovated buildings",
            "de": "Wärmepumpen in sanierten Gebäuden einbauen und warten",
            "fr": "Installer et entretenir des pompes à chaleur dans les bâtiments rénovés",
        },
        "statements": [1, 7, 3],
        "esco": [],
    },
]

RANKING_PREFERENCES = {
    "employers": [
        "digital-data",
        "automation-maintenance",
        "green-transition",
        "management-leadership",
        "customer-communication",
        "teamwork-problem-solving",
        "regulatory-compliance",
    ],
    "workers-representatives": [
        "green-transition",
        "teamwork-problem-solving",
        "digital-data",
        "customer-communication",
        "management-leadership",
        "regulatory-compliance",
        "automation-maintenance",
    ],
    "education-providers": [
        "digital-data",
        "green-transition",
        "teamwork-problem-solving",
        "customer-communication",
        "automation-maintenance",
        "management-leadership",
        "regulatory-compliance",
    ],
    "public-authorities": [
        "green-transition",
        "digital-data",
        "regulatory-compliance",
        "teamwork-problem-solving",
        "customer-communication",
        "management-leadership",
        "automation-maintenance",
    ],
}


def _likert(rng: random.Random, centre: float, personal: float) -> float:
    value = round(centre + personal + rng.gauss(0, 0.45))
    return float(min(5, max(1, value)))


def demo_answers(
    items: list[Any], group: str, round_number: int, rng: random.Random, personal: float
) -> dict[str, AnswerInput]:
    """Answers of one invented panellist to one round of the demo consultation."""
    r = round_number - 1
    answers: dict[str, AnswerInput] = {}
    for item in items:
        spec = item.spec
        key = item.key
        if item.type.value == "likert":
            if key in LIKERT_PATTERNS:
                centre = LIKERT_PATTERNS[key].get(group, LIKERT_PATTERNS[key]["employers"])[r]
            else:
                centre = THEME_PATTERN.get(group, THEME_PATTERN["employers"])[r]
            if rng.random() < 0.03 and spec.get("dont_know"):
                answers[key] = AnswerInput(dont_know=True)
                continue
            value = _likert(
                rng, centre, personal if key == "willingness-to-learn" else personal / 3
            )
            rationale = None
            if rng.random() < 0.25:
                pool = RATIONALES["high" if value >= 4 else "low"]
                rationale = pool[rng.randrange(len(pool))]
            answers[key] = AnswerInput(value=value, rationale=rationale)
        elif item.type.value == "estimate":
            base = {
                "employers": 4.0,
                "workers-representatives": 1.0,
                "education-providers": 2.5,
                "public-authorities": 2.0,
            }.get(group, 2.0)
            value = round(base + rng.gauss(0, 1.5) * (1.0 - 0.25 * r), 1)
            spread = round(abs(rng.gauss(2.0, 0.7)), 1) + 0.5
            answers[key] = AnswerInput(
                value=value,
                low=round(value - spread, 1) if spec.get("range") else None,
                high=round(value + spread, 1) if spec.get("range") else None,
                confidence=int(min(100, max(0, rng.gauss(60, 15))))
                if spec.get("confidence")
                else None,
            )
        elif item.type.value == "ranking":
            preferred = [
                o
                for o in RANKING_PREFERENCES.get(group, [])
                if o in {opt["key"] for opt in spec["options"]}
            ]
            top = preferred[:4]
            if rng.random() < 0.4 - 0.1 * r:
                i = rng.randrange(len(top) - 1)
                top[i], top[i + 1] = top[i + 1], top[i]
            answers[key] = AnswerInput(ranking=tuple(top[: int(spec.get("top_m") or 3)]))
        elif item.type.value == "choice":
            options = [o["key"] for o in spec["options"]]
            favourite = {
                "employers": ["hiring", "technology"],
                "workers-representatives": ["upskilling", "apprenticeships"],
                "education-providers": ["apprenticeships", "upskilling"],
                "public-authorities": ["upskilling", "recruiting-abroad"],
            }.get(group, options[:2])
            chosen = [o for o in favourite if o in options]
            if not spec.get("multiple"):
                chosen = chosen[:1]
            else:
                high = int(spec.get("max_selections") or len(options))
                chosen = chosen[:high]
            answers[key] = AnswerInput(choices=tuple(chosen))
        elif item.type.value == "text" and key in TEXT_STATEMENTS:
            pool = TEXT_STATEMENTS[key]
            picks = rng.sample(range(len(pool)), k=min(2, len(pool)))
            answers[key] = AnswerInput(text=" ".join(pool[i] for i in picks))
    return answers

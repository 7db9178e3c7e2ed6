"""The top of ESCO's skills pillar, built in: the skill groups every ESCO download shares.

A theme may be linked to a skill group (``http://data.europa.eu/esco/skill/S5``) rather than
to one skill; the skill files a server loads (``ESCO_SKILLS_FILES``) list skills, not their
groups, so a brief would otherwise print the bare code. Labels are ESCO's preferred terms
(ESCO v1.0 skills hierarchy, English); other languages come from the files loaded.
"""

from __future__ import annotations

import re

ESCO_SKILL = "http://data.europa.eu/esco/skill/"

#: Preferred English term of each skill group at levels 0 and 1 of ESCO v1.0's skills pillar
#: (skills, knowledge left out: its groups are ISCED-F fields), by its code.
SKILL_GROUPS: dict[str, str] = {
    "S": "skills",
    "S1": "communication, collaboration and creativity",
    "S2": "information skills",
    "S3": "assisting and caring",
    "S4": "management skills",
    "S5": "working with computers",
    "S6": "handling and moving",
    "S7": "constructing",
    "S8": "working with machinery and specialised equipment",
    "K": "knowledge",
    "L": "language skills and knowledge",
    "L1": "languages",
    "L2": "classical languages",
    "A": "attitudes and values",
    "A1": "attitudes",
    "A2": "values",
}

#: A code of ESCO's skills hierarchy (``S5``, ``S1.2.3``, ``T2``), as the last part of its URI.
_HIERARCHY_CODE = re.compile(r"[SKLAT]\d*(\.\d+)*", re.ASCII)


def hierarchy_code(uri: str) -> str | None:
    """The skills-hierarchy code an ESCO URI ends with (``S5`` for ``…/esco/skill/S5``), None
    for an individual skill, whose URI ends with an opaque identifier."""
    if not uri.startswith(ESCO_SKILL):
        return None
    code = uri.removeprefix(ESCO_SKILL).rstrip("/")
    return code if _HIERARCHY_CODE.fullmatch(code) else None


def skill_group_labels() -> dict[str, dict[str, str]]:
    """The built-in preferred labels of ESCO's skill groups, by URI and language."""
    return {ESCO_SKILL + code: {"en": label} for code, label in SKILL_GROUPS.items()}

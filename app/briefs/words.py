"""The words a rendered brief uses for codes (pure: message ids marked with ``N_``).

Codes (a stakeholder group, a consensus status, a status flag, a rating) stay codes in the
data files and the JSON; people read these words, translated where the brief is rendered.
The message ids are those the results pages use, so that the same code reads the same.
"""

from __future__ import annotations

from app.formatting import N_

SECTION_TITLES = {
    "header": N_("About this brief"),
    "key_facts": N_("Key facts"),
    "guidance": N_("What this means for guidance"),
    "trend": N_("Employment trend"),
    "openings": N_("Job openings"),
    "occupations": N_("Occupations"),
    "skill_needs": N_("Skill needs by expert consensus"),
    "contested": N_("Contested points"),
    "emerging_skills": N_("Emerging skills"),
    "triangulation": N_("Panel estimates beside the statistical forecast"),
    "implications": N_("Implications"),
    "method_sources": N_("Method and sources"),
}

GROUP_WORDS = {
    "employers": N_("Employers"),
    "workers-representatives": N_("Workers' representatives"),
    "education-providers": N_("Education and training providers"),
    "public-authorities": N_("Public authorities"),
    "other-experts": N_("Other experts"),
}

CONSENSUS_SHORT = {
    "in": N_("Consensus in"),
    "out": N_("Consensus out"),
    "mid": N_("Consensus on a middle position"),
    "none": N_("No consensus"),
    "insufficient": N_("Too few answers"),
    "conflict": N_("Conflict, treated as no consensus"),
}

LABEL_WORDS = {
    "consensus-in": N_("Consensus in"),
    "consensus-out": N_("Consensus out"),
    "consensus-middle": N_("Consensus on a middle position"),
    "dissent": N_("Dissent (stable without consensus)"),
    "unresolved": N_("Unresolved"),
}

FLAG_WORDS = {
    "provisional": N_("provisional"),
    "revised": N_("revised"),
    "estimated": N_("estimated"),
    "forecast": N_("forecast"),
    "low_reliability": N_("low reliability"),
    "break_in_series": N_("break in series"),
}

RATING_WORDS = {
    "strong": N_("strong"),
    "moderate": N_("moderate"),
    "weak": N_("weak"),
    "undetermined": N_("undetermined"),
}

RATING_KIND_WORDS = {
    "current_conditions": N_("Current conditions"),
    "future_outlook": N_("Future outlook"),
}

KIND_WORDS = {
    "projection": N_("projection"),
    "statistics": N_("official statistics"),
    "job_ads": N_("online job advertisements"),
    "panel": N_("expert panel"),
}

AUDIENCE_WORDS = {
    "ministries": N_("For ministries"),
    "education_providers": N_("For education and training providers"),
    "guidance_practitioners": N_("For guidance practitioners"),
}

FACT_WORDS = {
    "base_employment": N_("Employment in the base year"),
    "projected_employment": N_("Projected employment"),
    "employment_change": N_("Change in employment"),
    "employment_change_pct": N_("Change in employment (%)"),
    "openings_total": N_("Job openings"),
    "openings_expansion_share": N_("Share of openings from growth (expansion demand)"),
    "openings_replacement_share": N_(
        "Share of openings from replacing people who leave (replacement demand)"
    ),
    "panel_employment_change": N_("The panel's estimate of the change"),
    "current_conditions": N_("Current conditions"),
    "future_outlook": N_("Future outlook"),
}

#: A fact in plain words, by key: ``%(value)s`` (formatted with its unit), ``%(year)s``,
#: ``%(base_year)s``.
FACT_SENTENCES = {
    "base_employment": N_("In %(year)s, employment in the sector was %(value)s."),
    "projected_employment": N_("By %(year)s, employment is projected at %(value)s."),
    "employment_change": N_("That is a change of %(value)s from %(base_year)s to %(year)s."),
    "employment_change_pct": N_("In per cent, employment changes by %(value)s."),
    "openings_total": N_("Job openings from %(base_year)s to %(year)s: %(value)s."),
    "openings_expansion_share": N_("%(value)s of the openings come from growth."),
    "openings_replacement_share": N_(
        "%(value)s of the openings come from replacing people who leave."
    ),
    "panel_employment_change": N_("The expert panel estimates the change at %(value)s."),
    "current_conditions": N_("Current conditions: %(value)s."),
    "future_outlook": N_("Future outlook: %(value)s."),
}

YES_NO = {True: N_("yes"), False: N_("no")}

#: A figure's class against the rule's two thresholds (``app.briefs.assemble._band``).
BAND_WORDS = {
    "high": N_("high"),
    "mid": N_("middling"),
    "low": N_("low"),
}

#: How the sector's employment compares with the all-sector total's, by the signs of the
#: two changes and of their difference ("Employment is projected to ...").
GROWTH_SENTENCES = {
    "faster": N_(
        "Employment is projected to grow faster than the all-sector total (%(sector)s vs "
        "%(total)s)."
    ),
    "slower": N_(
        "Employment is projected to grow more slowly than the all-sector total (%(sector)s vs "
        "%(total)s)."
    ),
    "same": N_(
        "Employment is projected to change at the same pace as the all-sector total "
        "(%(sector)s vs %(total)s)."
    ),
    "fall_while_total_grows": N_(
        "Employment is projected to fall while the all-sector total grows (%(sector)s vs "
        "%(total)s)."
    ),
    "fall_less": N_(
        "Employment is projected to fall less than the all-sector total (%(sector)s vs %(total)s)."
    ),
    "fall_more": N_(
        "Employment is projected to fall more than the all-sector total (%(sector)s vs %(total)s)."
    ),
}

#: The same comparison for the latest published year, by the indicator the rule used.
CURRENT_SENTENCES = {
    "relative_employment_change": N_(
        "Employment changed by %(sector)s from %(from_year)s to %(to_year)s, against "
        "%(total)s for all sectors."
    ),
    "relative_job_ads_change": N_(
        "Online job advertisements for the sector changed by %(sector)s from %(from_year)s to "
        "%(to_year)s, against %(total)s for all sectors (a recent signal, not a count of jobs)."
    ),
}

#: The rules of the two ratings as the method section prints them, with their thresholds and
#: the category words exactly as the ratings use them.
OUTLOOK_RULE = N_(
    "Growth is the sector's projected employment change from the base year to the horizon, "
    "in per cent, minus the all-sector total's, in percentage points: %(high)s at "
    "%(growth_high)s or more, %(low)s at %(growth_low)s or less, %(mid)s in between. The "
    "openings rate is annual openings as a share of base employment, minus the total's, in "
    "percentage points: %(high)s at %(openings_high)s or more, %(low)s at %(openings_low)s or "
    "less, %(mid)s in between. %(strong)s: growth %(high)s and openings not %(low)s, or growth "
    "%(mid)s and openings %(high)s. %(weak)s: growth %(low)s and openings not %(high)s, or "
    "growth %(mid)s and openings %(low)s. %(moderate)s: every other case. Without openings, "
    "growth alone decides (%(high)s: %(strong)s, %(low)s: %(weak)s, %(mid)s: %(moderate)s). "
    "%(undetermined)s: without the sector's or the total's growth."
)
CURRENT_RULE = N_(
    "The sector's employment change over the latest published year of official statistics, "
    "in per cent, minus the all-sector total's, in percentage points: %(strong)s at "
    "%(high)s or more, %(weak)s at %(low)s or less, %(moderate)s in between. Without "
    "statistics, the change of online job advertisements over the last year minus the "
    "total's: %(strong)s at %(ads_high)s or more, %(weak)s at %(ads_low)s or less, "
    "%(moderate)s in between. %(undetermined)s: when neither is available."
)
PANEL_VIEW_RULE = N_(
    "The panel's estimate of employment change (its median, minus the total's projected "
    "growth) is classed as growth without openings is; a rating question by its median: "
    "%(strong)s in the top band of the scale, %(weak)s in the bottom band, %(moderate)s in "
    "between."
)

#: The names a rule of the analysis plan uses (``app.consensus.rules.RULE_NAMES``), in words.
RULE_NAME_WORDS = {
    "n": N_("the number of answers"),
    "k": N_("the number of points of the scale"),
    "median": N_("the median"),
    "q1": N_("the first quartile"),
    "q3": N_("the third quartile"),
    "iqr": N_("the interquartile range"),
    "mean": N_("the mean"),
    "sd": N_("the standard deviation"),
    "cv": N_("the coefficient of variation"),
    "agreement": N_("the share answering in the top band of the scale"),
    "disagreement": N_("the share answering in the bottom band of the scale"),
    "middle": N_("the share answering in the middle of the scale"),
    "top1": N_("the share giving the highest rating"),
    "rwg": N_("the agreement index r_wg"),
    "ad_md": N_("the average deviation from the median"),
    "w": N_("Kendall's W"),
    "top_share": N_("the share choosing the most chosen option"),
    "n_paired": N_("the number of panellists answering both rounds"),
    "cv_change": N_("the change of the coefficient of variation since the previous round"),
    "net_change": N_("the share of panellists who changed their answer since the previous round"),
    "wilcoxon_p": N_("the p-value of the Wilcoxon test of a shift since the previous round"),
}
#: Names whose values are shares (0..1), printed as per cent.
RULE_SHARE_NAMES = frozenset(
    {"agreement", "disagreement", "middle", "top1", "top_share", "net_change", "cv_change"}
)
#: A comparison of a rule in words: ``%(name)s`` and ``%(value)s``.
RULE_COMPARISONS = {
    "<=": N_("%(name)s is at most %(value)s"),
    ">=": N_("%(name)s is at least %(value)s"),
    "<": N_("%(name)s is below %(value)s"),
    ">": N_("%(name)s is above %(value)s"),
    "==": N_("%(name)s equals %(value)s"),
    "!=": N_("%(name)s is not %(value)s"),
}
RULE_JOINS = {"and": N_("and"), "or": N_("or"), "not": N_("not")}
#: The plan's rules as the method section lists them.
PLAN_RULE_LABELS = {
    "consensus_in": N_("Consensus that an item matters"),
    "consensus_out": N_("Consensus that an item does not matter"),
    "consensus_mid": N_("Consensus on a middle position"),
    "stability_rule": N_("Stability"),
}


#: Units datasets commonly publish, in words a reader of another language understands
#: (looked up case-insensitively; a unit not listed is printed as published).
UNIT_WORDS = {
    unit.casefold(): unit
    for unit in (
        N_("thousand jobs"),
        N_("thousands"),
        N_("thousand"),
        N_("thousand persons"),
        N_("thousand people"),
        N_("thousand workers"),
        N_("million jobs"),
        N_("millions"),
        N_("persons"),
        N_("people"),
        N_("workers"),
        N_("jobs"),
        N_("job openings"),
        N_("openings"),
        N_("thousand openings"),
        N_("advertisements"),
        N_("job advertisements"),
        N_("percent"),
        N_("per cent"),
        N_("percentage points"),
        N_("hours"),
        N_("euros"),
        N_("dollars"),
    )
}


def unit_words(unit: str | None, translate=None) -> tuple[str, bool]:
    """``unit`` in the reader's language and whether it was translated: a known unit
    through ``translate`` (gettext), any other as published (in the dataset's language)."""
    text = (unit or "").strip()
    message = UNIT_WORDS.get(text.casefold())
    if message is None or translate is None:
        return text, message is not None
    return translate(message), True


#: Rules of the ratings by the name their identifier starts with ("current-1").
RULE_NAMES = {
    "current": N_("the current-conditions rule"),
    "outlook": N_("the future-outlook rule"),
}


def rule_words(rule_id: str | None, translate=None) -> str:
    """A rating rule's identifier ("current-1") in words: "the current-conditions rule,
    version 1"; an identifier of another form is written as it is."""
    translate = translate or (lambda text: text)
    name, _dash, version = (rule_id or "").rpartition("-")
    if name not in RULE_NAMES or not version:
        return rule_id or ""
    return translate(N_("%(rule)s, version %(version)s")) % {
        "rule": translate(RULE_NAMES[name]),
        "version": version,
    }

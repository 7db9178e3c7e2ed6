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
    "none": N_("No consensus"),
    "insufficient": N_("Too few answers"),
    "conflict": N_("Conflict, treated as no consensus"),
}

LABEL_WORDS = {
    "consensus-in": N_("Consensus in"),
    "consensus-out": N_("Consensus out"),
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
    "base_employment": N_("In %(year)s, the sector employed %(value)s."),
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

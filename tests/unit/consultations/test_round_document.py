"""The frozen round results as a typed document: stored form, reading back, disclosure rules."""

from __future__ import annotations

import pytest

from app.consultations.document import (
    FEEDBACK_SCHEMA_VERSION,
    SCHEMA_VERSION,
    CellStatus,
    Disclosure,
    FeedbackRationales,
    GroupCell,
    ItemResult,
    RoundResults,
    SharedRationale,
    StoppingDecision,
)

#: A document as the first versions stored it (no schema version, no threshold).
LEGACY = {
    "plan_sha256": "ab" * 32,
    "round": 2,
    "submitted": 24,
    "stopping": {"decision": "continue", "reason": "1 of 3 items not settled after round 2"},
    "items": {
        "digital": {
            "key": "digital",
            "type": "likert",
            "position": 0,
            "n": 24,
            "n_missing": 0,
            "n_dk": 0,
            "median": 4.0,
            "q1": 3.0,
            "q3": 5.0,
            "iqr": 2.0,
            "mean": 4.0,
            "sd": 0.93,
            "cv": 0.23,
            "agreement": 0.7083,
            "disagreement": 0.0833,
            "top1": 0.33,
            "rwg": 0.56,
            "ad_md": 0.7,
            "scale": 5,
            "counts": {"1": 0, "2": 2, "3": 5, "4": 9, "5": 8},
            "consensus_status": "none",
            "consensus": False,
            "stability": {
                "n_paired": 20,
                "net_change": 0.05,
                "wilcoxon_p": 0.5,
                "cv_change": 0.1,
                "stable": True,
                "wilcoxon_z": 0.6,
            },
            "stable": True,
            "groups": [
                {
                    "group": "employers",
                    "n": 8,
                    "median": 5.0,
                    "q1": 4.0,
                    "q3": 5.0,
                    "counts": {"1": 0, "2": 0, "3": 0, "4": 3, "5": 5},
                    "agreement": 1.0,
                },
                {"group": "workers-representatives", "suppressed": True},
                {"group": "public-authorities", "suppressed": True},
                {"group": "other-experts", "n": 0, "no_answers": True},
                # a cell stored without answers but without the flag: not published
                {"group": "education-providers", "n": 0, "median": None},
            ],
            "divergence": {"groups_compared": 3, "kw_h": 11.8, "kw_p": 0.0027},
            "contested": True,
            "balanced": None,
            "intervals": {
                "median": [3.0, 5.0],
                "agreement": [0.5, 0.875],
                "disagreement": [0.0, 0.2],
            },
            "settled": True,
            "label": "dissent",
            "carry": False,
            "reason": "stable",
        },
        "few": {
            "key": "few",
            "type": "likert",
            "position": 1,
            "suppressed": True,
            "consensus_status": "insufficient",
            "consensus": False,
            "settled": False,
            "label": "unresolved",
            "carry": True,
            "reason": "too few answers",
        },
        "change": {
            "key": "change",
            "type": "estimate",
            "position": 2,
            "n": 9.0,
            "n_missing": 0.0,
            "median": 2.0,
            "q1": 1.0,
            "q3": 3.0,
            "iqr": 2.0,
            "mean": 2.06,
            "sd": 2.31,
            "cv": None,
            "low_median": 0.0,
            "high_median": 3.0,
            "confidence_median": 55.0,
            "n_with_range": 9.0,
            "intervals": {"median": [0.5, 4.5]},
        },
        "comments": {"key": "comments", "type": "text", "position": 3, "n": 12},
    },
}


def test_a_legacy_document_is_read_with_the_plans_threshold():
    with pytest.raises(ValueError, match="disclosure threshold"):
        RoundResults.from_json(LEGACY)
    doc = RoundResults.from_json(LEGACY, min_group_n=5)
    assert doc.min_group_n == 5 and doc.round == 2 and doc.submitted == 24
    assert doc.stopping.decision is StoppingDecision.continue_ and not doc.stopping.stops
    assert list(doc.items) == ["digital", "few", "change", "comments"]
    digital = doc.item("digital")
    assert digital.median == 4.0 and digital.stable is True and digital.contested is True
    assert digital.intervals["median"] == (3.0, 5.0)
    assert doc.item("change").n == 9 and isinstance(doc.item("change").n, int)


def test_the_stored_form_round_trips_and_carries_its_version():
    doc = RoundResults.from_json(LEGACY, min_group_n=5)
    stored = doc.to_json()
    assert stored["schema_version"] == SCHEMA_VERSION and stored["min_group_n"] == 5
    again = RoundResults.from_json(stored)
    assert again == doc
    assert again.to_json() == stored
    # the stored item is the legacy shape (what the open API publishes per item)
    item = stored["items"]["digital"]
    for key in ("n", "median", "q1", "q3", "iqr", "counts", "consensus", "stable", "contested"):
        assert item[key] == LEGACY["items"]["digital"][key]
    assert item["groups"][1] == {"group": "workers-representatives", "suppressed": True}


def test_a_document_of_a_newer_schema_is_refused():
    with pytest.raises(ValueError, match="schema version 99"):
        RoundResults.from_json({**LEGACY, "schema_version": 99}, min_group_n=5)


def test_one_rule_for_published_groups():
    """The defect found in review: feedback counted a cell without answers as published
    while the secretariat's pages did not. A cell is published only with answers."""
    digital = RoundResults.from_json(LEGACY, min_group_n=5).item("digital")
    statuses = {cell.group: cell.status for cell in digital.groups}
    assert statuses["education-providers"] is CellStatus.no_answers
    assert digital.published_groups == {"employers"}
    employers = digital.published_cells[0]
    assert employers.median == 5.0 and employers.n == 8
    with pytest.raises(AttributeError):
        _ = employers.n_missing  # non-answers are never published per group


def test_disclosure_of_items():
    doc = RoundResults.from_json(LEGACY, min_group_n=5)
    assert doc.item("digital").disclosure is Disclosure.shown and doc.item("digital").chartable
    few = doc.item("few")
    assert few.disclosure is Disclosure.suppressed and not few.chartable
    assert few.published_groups == frozenset() and few.label == "unresolved"
    assert few.median is None
    assert doc.item("change").chartable is False  # estimates have no chart
    empty = ItemResult("nobody", "likert", n=0)
    assert empty.disclosure is Disclosure.no_answers
    assert doc.item("comments").disclosure is Disclosure.shown


def test_outside_the_middle_half():
    digital = RoundResults.from_json(LEGACY, min_group_n=5).item("digital")
    assert digital.outside_iqr(2) and not digital.outside_iqr(3) and not digital.outside_iqr(5)
    assert not digital.outside_iqr(None)
    assert not RoundResults.from_json(LEGACY, min_group_n=5).item("few").outside_iqr(1)


def test_withheld_keeps_the_decision_only():
    digital = RoundResults.from_json(LEGACY, min_group_n=5).item("digital")
    withheld = digital.withheld()
    assert withheld.to_json() == {
        "key": "digital",
        "type": "likert",
        "position": 0,
        "suppressed": True,
        "consensus_status": "none",
        "consensus": False,
        "settled": True,
        "label": "dissent",
        "carry": False,
        "reason": "stable",
    }


def test_group_cells_round_trip():
    for cell in (
        GroupCell("employers", CellStatus.suppressed),
        GroupCell("employers", CellStatus.no_answers, n=0),
        GroupCell("employers", CellStatus.published, n=6, counts={"1": 6}, stats={"median": 1.0}),
    ):
        assert GroupCell.from_json(cell.to_json()).to_json() == cell.to_json()


def test_feedback_rationales_keep_their_order_and_only_text_and_group():
    frozen = FeedbackRationales(
        {
            "digital": (
                SharedRationale("Tablets on every site."),
                SharedRationale("BIM", "employers"),
            ),
            "green": (SharedRationale("Heat pumps."),),
        }
    )
    stored = frozen.to_json()
    assert stored == {
        "schema_version": FEEDBACK_SCHEMA_VERSION,
        "items": {
            "digital": [{"text": "Tablets on every site."}, {"text": "BIM", "group": "employers"}],
            "green": [{"text": "Heat pumps."}],
        },
    }
    again = FeedbackRationales.from_json(stored)
    assert again == frozen
    assert [r.text for r in again.of("digital")] == ["Tablets on every site.", "BIM"]
    assert again.of("ranking") == ()
    with pytest.raises(ValueError, match="schema version 2"):
        FeedbackRationales.from_json({"schema_version": 2, "items": {}})


def _ranking(*mean_ranks, suppressed=False):
    options = [
        {"option": key, "mean_rank": rank} for key, rank in zip("ABCD", mean_ranks, strict=False)
    ]
    data = {"key": "rank", "type": "ranking", "n": 5, "options": options}
    return ItemResult.from_json({**data, "suppressed": suppressed})


@pytest.mark.parametrize(
    ("mean_ranks", "first"),
    [
        ((1.4, 1.8, 3.0, 3.8), ["A"]),  # TV5
        ((1.5, 1.5, 3.0), ["A", "B"]),  # tied
        ((1.5, 1.5 + 1e-12, 3.0), ["A", "B"]),  # float noise is no order
        ((None, None), []),  # nobody ranked
        ((), []),
    ],
)
def test_options_ranked_first(mean_ranks, first):
    assert [o.option for o in _ranking(*mean_ranks).top_options] == first


def test_no_option_is_ranked_first_of_a_withheld_or_other_item():
    assert _ranking(1.4, 1.8, suppressed=True).top_options == ()
    assert ItemResult("x", "likert", n=5, counts={"1": 5}).top_options == ()


@pytest.mark.parametrize(
    ("counts", "modal"),
    [
        ({"hiring": 3, "upskilling": 5, "technology": 1}, {"upskilling"}),
        ({"hiring": 4, "upskilling": 4, "technology": 1}, {"hiring", "upskilling"}),
        ({"hiring": 0, "upskilling": 0}, set()),
    ],
)
def test_options_chosen_most(counts, modal):
    item = ItemResult("choose", "choice", n=sum(counts.values()) or None, counts=counts)
    assert item.modal_options == modal
    assert ItemResult("choose", "choice", suppressed=True, counts=counts).modal_options == set()

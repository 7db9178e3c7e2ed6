"""Every page formats through app.formatting: the same figure reads the same for everyone."""

from __future__ import annotations

from app import formatting as f


def test_panellists_and_the_secretariat_read_the_same_figure(app):
    """The review found 5/8 as 62% in feedback and 63% on the secretariat's page."""
    from app.answering.feedback import number, share
    from app.results.views import fmt, points

    for lang in ("en", "de", "fr"):
        with app.test_request_context(f"/?lang={lang}"):
            assert share(5 / 8) == f.percent(5 / 8, locale=lang)
            assert number(1234.5) == fmt(1234.5) == f.number(1234.5, locale=lang)
            assert points(10.5) == f.number(10.5, trim=True, locale=lang)

"""Sector briefs: drafted, reviewed, published, superseded."""

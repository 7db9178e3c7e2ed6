"""Backups of the database and their restore (SECURITY.md 3, R6).

A backup is the whole database, as committed at one instant: SQLite's online backup API, or
``pg_dump`` for PostgreSQL. The study keys (``STUDY_KEY_DIR``) are never in it: with the
database they link people to their answers, so they are kept apart (README, Backups).
"""

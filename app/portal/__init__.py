"""Public portal: published briefs for practitioners; ``api.py`` is the open API at /api/v1."""

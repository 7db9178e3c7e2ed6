"""Uploaded files: checks before parsing.

``checks`` (pure, fast, bounded memory) refuses a file that is too large, holds too much
or is not what it claims before any parser sees it.
"""

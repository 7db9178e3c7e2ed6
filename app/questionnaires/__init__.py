"""Questionnaire files (``surveys/*.yaml``): the format, its loader and its checks.

``spec`` and ``loader`` are pure (no Flask): a file becomes a frozen ``Questionnaire``.
"""

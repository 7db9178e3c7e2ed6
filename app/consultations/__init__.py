"""Consultations, their rounds, items, anonymous responses and themes."""

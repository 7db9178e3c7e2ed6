"""Sector skills councils."""

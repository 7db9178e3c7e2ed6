"""Demonstration data: a complete, clearly labelled example."""

"""Curating themes from open answers: engine suggestions, merge, split, rename, ESCO, approval."""

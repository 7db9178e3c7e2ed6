"""Panellists (identity), their invitations and their participation per round."""

"""Panellists answering a round: the questionnaire form, drafts, submission and feedback."""

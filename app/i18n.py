"""Choosing the interface language: URL parameter, then the user's choice, then the browser."""

from __future__ import annotations

from flask import current_app, has_request_context, request, session

#: Names of the interface languages in their own language, for the language switcher.
LANGUAGE_NAMES = {"en": "English", "de": "Deutsch", "fr": "Français"}


def select_locale() -> str:
    languages = list(current_app.config["LANGUAGES"])
    if not has_request_context():  # command line, timers: the default language
        return current_app.config["BABEL_DEFAULT_LOCALE"]
    wanted = request.args.get("lang")
    if wanted in languages:
        session["lang"] = wanted
        return wanted
    chosen = session.get("lang")
    if chosen in languages:
        return chosen
    return request.accept_languages.best_match(languages) or languages[0]

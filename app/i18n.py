"""Choosing the interface language (URL parameter, then the user's choice, then the browser),
and showing in it the messages of pure code (``app.problems``: a message id and its values).
"""

from __future__ import annotations

from typing import Protocol

from flask import current_app, has_request_context, request, session
from flask_babel import gettext

from app.formatting import current_locale
from app.problems import Problem, Translate

#: Names of the interface languages in their own language, for the language switcher.
LANGUAGE_NAMES = {"en": "English", "de": "Deutsch", "fr": "Français", "es": "Español"}


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


def problem_text(problem: Problem) -> str:
    """A problem, its location first, in the interface language ("Zeile 3, Spalte ..."), its
    values formatted for it; outside a request, in English."""
    return problem.text(translate=gettext, locale=current_locale())


def problem_message(problem: Problem) -> str:
    """A problem's message alone, in the interface language (beside the field it names)."""
    return problem.what(translate=gettext, locale=current_locale())


class Refusal(Protocol):
    """A refusal that can say itself in a language (``app.errors.DomainError``)."""

    def text(self, translate: Translate | None = None, locale: str = "en") -> str: ...


def refusal_text(error: Refusal, *, with_problems: bool = False) -> str:
    """Why a service refused (a domain error's message), in the interface language; with
    ``with_problems``, followed by what each of its problems says ("...: enter a title")."""
    text = error.text(translate=gettext, locale=current_locale())
    problems = [problem_message(p) for p in getattr(error, "problems", None) or ()]
    if not (with_problems and problems):
        return text
    return gettext("%(message)s: %(problems)s", message=text, problems="; ".join(problems))

"""Administration pages: councils, their secretariats, and staff accounts.

Only administrators open them. Every POST ends in a 303 redirect with a message, or
re-renders its form with the errors (422).
"""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user

from app.auth import mfa
from app.auth.models import Role, User
from app.auth.passwords import MIN_LENGTH
from app.auth.policy import Act, authorize, staff
from app.classifications.models import Sector
from app.classifications.services import council_sectors, divisions_stored
from app.councils import services
from app.councils.forms import (
    ActionForm,
    CouncilForm,
    EditCouncilForm,
    MemberForm,
    RoleForm,
    UserCouncilsForm,
    UserForm,
    role_label,
)
from app.councils.geography import EXAMPLES
from app.councils.models import Council
from app.errors import DomainError, InvalidInput
from app.i18n import problem_message, problem_text, refusal_text
from app.problems import Problem
from app.unit import unit_of_work

bp = Blueprint("councils", __name__, url_prefix="/staff/admin")


def _by() -> User:
    return current_user._get_current_object()


def _council(council_id: int) -> Council:
    council = services.get_council(council_id)
    authorize(_by(), Act.manage, council)
    return council


def _user(user_id: int) -> User:
    user = services.get_user(user_id)
    authorize(_by(), Act.manage, user)
    return user


def _field_errors(form, problems: list[Problem]) -> None:
    """Attach a service's problems to the form fields their ``field`` names."""
    for problem in problems:
        if problem.key and problem.key in form:
            form[problem.key].errors = [*form[problem.key].errors, problem_message(problem)]
        else:
            form.form_errors.append(problem_text(problem))


def _form_refused(form) -> bool:
    """Whether the posted form is refused (each error flashed)."""
    if form.validate_on_submit():
        return False
    for name, errors in form.errors.items():
        label = form[name].label.text if name in form else name
        flash(_("%(field)s: %(errors)s", field=label, errors=" ".join(map(str, errors))), "error")
    return True


def _flash_refusal(exc: DomainError) -> None:
    """Flash why a service refused: its message, then each problem."""
    flash(refusal_text(exc, with_problems=True), "error")


def _sector_label(sector: Sector) -> str:
    return f"{sector.code} — {sector.label_for(str(get_locale()))}"


def _sector_choices(current: Sector | None = None):
    """Sections, with their divisions grouped under them once the divisions are stored."""
    sectors = council_sectors()
    if current is not None and current not in sectors:
        sectors.append(current)
    if not any(s.level == 2 for s in sectors):
        return [(s.code, _sector_label(s)) for s in sectors]
    groups: dict[str, list[tuple[str, str]]] = {}
    group = ""
    for sector in sectors:
        if sector.level == 1:
            group = _sector_label(sector)
            groups[group] = [(sector.code, _("%(sector)s (whole section)", sector=group))]
        else:
            groups.setdefault(group, []).append((sector.code, _sector_label(sector)))
    return groups


def _council_form(form_class, council: Council | None = None, *, fresh: bool = False):
    if fresh:
        form = form_class(formdata=None, obj=council)
        if council is not None:
            form.sector.data = council.sector.code
    else:
        form = form_class()
    form.sector.choices = _sector_choices(council.sector if council is not None else None)
    return form


def _council_choices() -> list[tuple[int, str]]:
    return [(c.id, c.name) for c in services.list_councils()]


def _hints() -> dict[str, str]:
    return {
        "geography": _(
            "A two-letter country code (ISO 3166), EU, or a NUTS region code; for example "
            "%(examples)s.",
            examples=_(EXAMPLES),
        ),
        "sector": _("The NACE Rev. 2 section or division the council covers.")
        if divisions_stored()
        else _(
            "The NACE Rev. 2 section the council covers. Divisions can be chosen once the "
            "full NACE list is imported (import-classification nace FILE)."
        ),
        "password": _(
            "At least %(n)s characters, not a common password and not easy to guess. Give it "
            "to the person in a safe way, not in the same e-mail as their address.",
            n=MIN_LENGTH,
        ),
    }


# ----------------------------------------------------------------------------- councils


@bp.get("/councils")
@staff(Role.admin)
def index():
    return render_template(
        "councils/index.html", councils=services.list_councils(), members=services.secretariat_of
    )


@bp.route("/councils/new", methods=["GET", "POST"])
@staff(Role.admin)
def new():
    form = _council_form(CouncilForm, fresh=request.method == "GET")
    status = 200
    if form.validate_on_submit():
        try:
            with unit_of_work():
                council = services.create_council(
                    form.name.data,
                    sector_code=form.sector.data,
                    geography=form.geography.data,
                    description=form.description.data or "",
                    by=_by(),
                )
                council_id, name = council.id, council.name
        except InvalidInput as exc:
            _field_errors(form, exc.problems)
            status = 422
        else:
            flash(
                _("The council %(name)s was created. Now add its secretariat.", name=name),
                "success",
            )
            return redirect(url_for(".show", council_id=council_id), code=303)
    elif request.method == "POST":
        status = 422
    return render_template("councils/new.html", form=form, hints=_hints()), status


def _render_council(
    council: Council,
    *,
    form: EditCouncilForm | None = None,
    member_form: MemberForm | None = None,
    status: int = 200,
):
    return (
        render_template(
            "councils/show.html",
            council=council,
            form=form or _council_form(EditCouncilForm, council, fresh=True),
            member_form=member_form or MemberForm(prefix="member", formdata=None),
            members=services.secretariat_of(council),
            hints=_hints(),
        ),
        status,
    )


@bp.route("/councils/<int:council_id>", methods=["GET", "POST"])
@staff(Role.admin)
def show(council_id: int):
    council = _council(council_id)
    if request.method == "GET":
        return _render_council(council)
    form = _council_form(EditCouncilForm, council)
    if form.validate_on_submit():
        try:
            with unit_of_work():
                changed = services.update_council(
                    council,
                    name=form.name.data,
                    sector_code=form.sector.data,
                    geography=form.geography.data,
                    description=form.description.data or "",
                    by=_by(),
                )
        except InvalidInput as exc:
            _field_errors(form, exc.problems)
        else:
            flash(_("The changes were saved.") if changed else _("Nothing was changed."), "info")
            return redirect(url_for(".show", council_id=council_id), code=303)
    return _render_council(_council(council_id), form=form, status=422)


@bp.post("/councils/<int:council_id>/members")
@staff(Role.admin)
def add_member(council_id: int):
    council = _council(council_id)
    form = MemberForm(prefix="member")
    if form.validate_on_submit():
        try:
            with unit_of_work():
                added = services.add_member(council, form.email.data, by=_by())
        except InvalidInput as exc:
            _field_errors(form, exc.problems)
        else:
            email = form.email.data.strip().lower()
            if added:
                flash(_("%(email)s now works for this council.", email=email), "success")
            else:
                flash(_("%(email)s works for this council already.", email=email), "info")
            return redirect(url_for(".show", council_id=council_id, _anchor="members"), code=303)
    return _render_council(_council(council_id), member_form=form, status=422)


@bp.post("/councils/<int:council_id>/members/<int:user_id>/remove")
@staff(Role.admin)
def remove_member(council_id: int, user_id: int):
    council = _council(council_id)
    user = _user(user_id)
    if not _form_refused(ActionForm()):
        try:
            with unit_of_work():
                services.remove_member(council, user, by=_by())
                email = user.email
        except DomainError as exc:
            _flash_refusal(exc)
        else:
            flash(_("%(email)s no longer works for this council.", email=email), "success")
    return redirect(url_for(".show", council_id=council_id, _anchor="members"), code=303)


# ----------------------------------------------------------------------------- users


@bp.get("/users")
@staff(Role.admin)
def users():
    return render_template(
        "councils/users.html", users=services.list_users(), role_label=role_label
    )


@bp.route("/users/new", methods=["GET", "POST"])
@staff(Role.admin)
def new_user():
    form = UserForm() if request.method == "POST" else UserForm(formdata=None)
    form.councils.choices = _council_choices()
    status = 200
    if form.validate_on_submit():
        chosen = [services.get_council(i) for i in form.councils.data or []]
        try:
            with unit_of_work():
                user = services.create_staff_user(
                    form.email.data,
                    form.role.data,
                    form.password.data,
                    name=(form.name.data or "").strip(),
                    councils=chosen,
                    by=_by(),
                )
                user_id, email = user.id, user.email
        except InvalidInput as exc:
            _field_errors(form, exc.problems)
            status = 422
        else:
            flash(
                _(
                    "The account %(email)s was created. Give its password to the person in "
                    "a safe way.",
                    email=email,
                ),
                "success",
            )
            return redirect(url_for(".user", user_id=user_id), code=303)
    elif request.method == "POST":
        status = 422
    return (
        render_template("councils/new_user.html", form=form, hints=_hints()),
        status,
    )


@bp.get("/users/<int:user_id>")
@staff(Role.admin)
def user(user_id: int):
    person = _user(user_id)
    role_form = RoleForm(prefix="role", formdata=None, role=person.role.value)
    councils_form = UserCouncilsForm(
        prefix="scope", formdata=None, councils=[c.id for c in person.councils]
    )
    councils_form.councils.choices = _council_choices()
    return render_template(
        "councils/user.html",
        person=person,
        role_form=role_form,
        councils_form=councils_form,
        role_label=role_label,
        yourself=person.id == _by().id,
        second_factor_required=mfa.is_required(person),
        recovery_codes_left=mfa.recovery_codes_left(person),
    )


def _user_action(user_id: int, action) -> object:
    """Run ``action(user)`` as one unit of work and go back to the user's page with its
    message (or the refusal)."""
    person = _user(user_id)
    try:
        with unit_of_work():
            message = action(person)
    except DomainError as exc:
        _flash_refusal(exc)
    else:
        flash(message, "info")
    return redirect(url_for(".user", user_id=user_id), code=303)


@bp.post("/users/<int:user_id>/role")
@staff(Role.admin)
def change_role(user_id: int):
    form = RoleForm(prefix="role")
    if _form_refused(form):
        return redirect(url_for(".user", user_id=user_id), code=303)
    role = Role(form.role.data)

    def act(person: User) -> str:
        if not services.change_role(person, role, by=_by()):
            return _("Nothing was changed.")
        return _("%(email)s is now %(role)s.", email=person.email, role=role_label(role))

    return _user_action(user_id, act)


@bp.post("/users/<int:user_id>/councils")
@staff(Role.admin)
def set_councils(user_id: int):
    form = UserCouncilsForm(prefix="scope")
    form.councils.choices = _council_choices()
    if _form_refused(form):
        return redirect(url_for(".user", user_id=user_id), code=303)
    chosen = [services.get_council(i) for i in form.councils.data or []]

    def act(person: User) -> str:
        if services.set_councils(person, chosen, by=_by()):
            return _("The councils were saved.")
        return _("Nothing was changed.")

    return _user_action(user_id, act)


@bp.post("/users/<int:user_id>/deactivate")
@staff(Role.admin)
def deactivate(user_id: int):
    if _form_refused(ActionForm()):
        return redirect(url_for(".user", user_id=user_id), code=303)

    def act(person: User) -> str:
        services.deactivate_user(person, by=_by())
        return _("%(email)s can no longer sign in; their sessions have ended.", email=person.email)

    return _user_action(user_id, act)


@bp.post("/users/<int:user_id>/second-factor/reset")
@staff(Role.admin)
def reset_second_factor(user_id: int):
    if _form_refused(ActionForm()):
        return redirect(url_for(".user", user_id=user_id), code=303)

    def act(person: User) -> str:
        if not services.reset_second_factor(person, by=_by()):
            return _(
                "Nothing was changed: %(email)s has no two-factor sign-in.", email=person.email
            )
        return _(
            "The two-factor sign-in of %(email)s was reset and their sessions have ended; they "
            "set it up again when they next sign in.",
            email=person.email,
        )

    return _user_action(user_id, act)


@bp.post("/users/<int:user_id>/reactivate")
@staff(Role.admin)
def reactivate(user_id: int):
    if _form_refused(ActionForm()):
        return redirect(url_for(".user", user_id=user_id), code=303)

    def act(person: User) -> str:
        services.reactivate_user(person, by=_by())
        return _("%(email)s can sign in again.", email=person.email)

    return _user_action(user_id, act)

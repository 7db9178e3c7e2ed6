"""Staff sign-in (password, then the second factor when one is set up or required), sign-out,
and each staff member's own two-factor settings.

Signing in is two steps when a second factor is set up or the role requires one: the password
first, then a code (or, for someone who must but has not yet set one up, the enrolment). Between
the two the session holds only the pending step (``mfa_pending``: the user's session token,
when the password was accepted, where to go next), no signed-in user: no staff page opens
until both steps are done. Failed steps count toward the sign-in rate limit of the address
(``LOGIN_RATE_LIMIT``, shared by every step) and toward one of the account
(``MFA_ACCOUNT_RATE_LIMIT``).
"""

from __future__ import annotations

from datetime import datetime
from urllib.parse import urlsplit

import segno
from flask import (
    Blueprint,
    Response,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user, login_user, logout_user
from markupsafe import Markup
from sqlalchemy import select

from app.auth import mfa
from app.auth.forms import (
    ConfirmSecondFactorForm,
    DoneForm,
    EnrolForm,
    LoginForm,
    LogoutForm,
    SecondStepForm,
)
from app.auth.models import User
from app.auth.policy import public, staff
from app.auth.services import (
    authenticate,
    check_password,
    complete_sign_in,
    second_factor_failed,
    sign_out,
)
from app.database import utcnow
from app.errors import DomainError
from app.extensions import db, limiter
from app.i18n import refusal_text
from app.unit import unit_of_work

bp = Blueprint("auth", __name__)

#: Session keys: the sign-in waiting for its second step; the nonce of the enrolment on
#: offer; the nonce of the recovery codes to show (and when they were made).
PENDING = "mfa_pending"
ENROLMENT = "mfa_enrolment"
CODES = "mfa_codes"


@bp.after_request
def _not_kept(response: Response) -> Response:
    # Half-way through signing in nobody is signed in yet, but the enrolment page holds a
    # secret: no page of signing in is kept by a browser or proxy.
    response.headers["Cache-Control"] = "no-store"
    return response


def _safe_next(target: str | None) -> str:
    if target:
        parts = urlsplit(target)
        if (
            not parts.scheme
            and not parts.netloc
            and target.startswith("/")
            and not target.startswith("//")
        ):
            return target
    return url_for("main.staff_home")


def _login_limit() -> str:
    return current_app.config["LOGIN_RATE_LIMIT"]


def _account_limit() -> str:
    return current_app.config["MFA_ACCOUNT_RATE_LIMIT"]


def _failed(response: Response) -> bool:
    return response.status_code != 303


#: Every step of signing in, and re-entering the password to change the second factor, counts
#: against one limit per address.
_sign_in_limit = limiter.shared_limit(
    _login_limit, scope="staff-sign-in", methods=["POST"], deduct_when=_failed
)


def _pending_account() -> str:
    pending = session.get(PENDING) or {}
    return f"mfa-account:{pending.get('token', '-')}"


def _no_pending() -> bool:
    return not session.get(PENDING)


#: Failed second steps per account, whatever the address.
_account_rate_limit = limiter.limit(
    _account_limit,
    key_func=_pending_account,
    scope="mfa-account",
    methods=["POST"],
    deduct_when=_failed,
    exempt_when=_no_pending,
)


def _fresh_session() -> None:
    """Clear the session for a new sign-in, keeping the chosen language."""
    lang = session.get("lang")
    session.clear()
    if lang:
        session["lang"] = lang


def _start_session(user: User) -> None:
    """Sign ``user`` in: a fresh session with the staff clocks started."""
    _fresh_session()
    session.permanent = True
    session["login_at"] = utcnow().isoformat()
    login_user(user)


def _pending_user() -> tuple[User | None, dict]:
    """The user whose sign-in waits for its second step, and the pending step; (None, {})
    when there is none, it timed out, or the user's sessions were ended meanwhile."""
    pending = session.get(PENDING)
    if not isinstance(pending, dict):
        return None, {}
    try:
        began = datetime.fromisoformat(pending["at"])
    except (KeyError, TypeError, ValueError):
        return None, {}
    if utcnow() - began > current_app.config["MFA_STEP_TIMEOUT"]:
        return None, {}
    user = db.session.scalars(
        select(User).where(User.session_token == pending.get("token"), User.active.is_(True))
    ).first()
    return user, pending if user is not None else {}


def _back_to_sign_in():
    """To the sign-in page; saying why when a second step was waiting (it timed out, or the
    user's sessions were ended meanwhile)."""
    if session.pop(PENDING, None):
        flash(_("Please sign in again: the second step of signing in timed out."), "info")
    return redirect(url_for("auth.login"), code=303)


@bp.route("/login", methods=["GET", "POST"])
@public
@_sign_in_limit
def login():
    form = LoginForm()
    if current_user.is_authenticated and request.method == "GET":
        return redirect(url_for("main.staff_home"))
    status = 200
    if form.validate_on_submit():
        step = None
        with unit_of_work():  # the attempt is audited either way
            user = authenticate(form.email.data or "", form.password.data or "")
            if user is not None:
                if user.second_factor is not None:
                    step = "code"
                elif mfa.is_required(user):
                    step = "enrol"
                else:
                    complete_sign_in(user)
        if user is not None:
            target = _safe_next(request.args.get("next"))
            if step is None:
                _start_session(user)
                return redirect(target, code=303)
            _fresh_session()
            session[PENDING] = {
                "token": user.session_token,
                "at": utcnow().isoformat(),
                "next": target,
            }
            endpoint = "auth.second_step" if step == "code" else "auth.enrol_at_sign_in"
            return redirect(url_for(endpoint), code=303)
        form.password.errors.append(_("The e-mail address or password is not correct."))
        status = 401
    elif request.method == "POST":
        status = 422
    return render_template("auth/login.html", form=form), status


def _code_refused(form, outcome: mfa.CodeCheck, *, recovery: bool) -> None:
    """Put why a code was refused beside the field it was typed in."""
    if recovery:
        form.recovery_code.errors.append(
            _("This recovery code is not correct, or it has been used already.")
        )
    elif outcome is mfa.CodeCheck.used:
        form.code.errors.append(
            _("This code has been used already. Wait for the next code from your app.")
        )
    else:
        form.code.errors.append(
            _(
                "This code is not correct. Check that your phone's clock is right, or wait "
                "for the next code."
            )
        )


def _check_code(user: User, form, *, at: datetime) -> tuple[mfa.CodeCheck, bool]:
    """Check the TOTP code or the recovery code ``form`` holds: (outcome, recovery?)."""
    recovery = bool((form.recovery_code.data or "").strip())
    if recovery:
        return mfa.use_recovery_code(user, form.recovery_code.data, at=at), True
    return mfa.check_totp(user, form.code.data or "", at=at), False


@bp.route("/login/code", methods=["GET", "POST"])
@public
@_sign_in_limit
@_account_rate_limit
def second_step():
    user, pending = _pending_user()
    if user is None:
        return _back_to_sign_in()
    if user.second_factor is None:
        return redirect(url_for("auth.enrol_at_sign_in"), code=303)
    form = SecondStepForm()
    status = 200
    if form.validate_on_submit():
        with unit_of_work():  # a refusal is audited too
            outcome, recovery = _check_code(user, form, at=utcnow())
            if outcome is mfa.CodeCheck.accepted:
                complete_sign_in(user, second_factor="recovery-code" if recovery else "totp")
                left = mfa.recovery_codes_left(user)
            else:
                second_factor_failed(user, reason=outcome.value)
        if outcome is mfa.CodeCheck.accepted:
            _start_session(user)
            if recovery:
                flash(
                    ngettext(
                        "You signed in with a recovery code, which is now used up: %(num)s is "
                        "left. If you lost your phone, set up two-factor sign-in again.",
                        "You signed in with a recovery code, which is now used up: %(num)s "
                        "are left. If you lost your phone, set up two-factor sign-in again.",
                        left,
                    ),
                    "info",
                )
                return redirect(url_for("auth.two_factor"), code=303)
            return redirect(_safe_next(pending.get("next")), code=303)
        _code_refused(form, outcome, recovery=recovery)
        status = 401
    elif request.method == "POST":
        status = 422
    return render_template("auth/second_step.html", form=form), status


def _enrolment_nonce() -> str:
    nonce = session.get(ENROLMENT)
    if not isinstance(nonce, str) or not nonce:
        nonce = session[ENROLMENT] = mfa.new_nonce()
    return nonce


def _qr_svg(uri: str) -> Markup:
    """The QR code of ``uri`` as inline SVG (made here, from no user text but the URI's
    modules; its title is escaped by segno)."""
    svg = segno.make(uri, error="m").svg_inline(
        scale=5,
        border=4,
        light="#fff",
        dark="#000",
        svgclass="qr-code",
        lineclass=None,
        title=_("QR code for your authenticator app"),
    )
    return Markup(svg.replace("<svg ", '<svg role="img" focusable="false" ', 1))  # noqa: S704


def _render_enrolment(user: User, form: EnrolForm, *, action: str, at_sign_in: bool):
    secret = mfa.enrolment_secret(user, _enrolment_nonce())
    uri = mfa.provisioning_uri(user, secret)
    return render_template(
        "auth/enrol.html",
        form=form,
        action=action,
        at_sign_in=at_sign_in,
        qr=_qr_svg(uri),
        secret_groups=mfa.grouped(secret),
        uri=uri,
        required=mfa.is_required(user),
    )


def _enrol_posted(user: User, form: EnrolForm) -> bool:
    """Set up the second factor from the posted code; False (the error beside the code, the
    refusal audited) when refused. Keeps the recovery codes' nonce in the session to show
    them."""
    nonce = _enrolment_nonce()
    now = utcnow()
    with unit_of_work():
        outcome, codes_nonce = mfa.enrol(user, nonce, form.code.data or "", at=now)
        if outcome is not mfa.CodeCheck.accepted:
            second_factor_failed(user, reason="wrong")
        elif not current_user.is_authenticated:
            complete_sign_in(user, second_factor="enrolment")
    if outcome is not mfa.CodeCheck.accepted:
        form.code.errors.append(
            _(
                "This code is not correct. Check that you scanned the code on this page (or "
                "typed its key) and that your phone's clock is right, then enter the code "
                "your app shows now."
            )
        )
        return False
    session.pop(ENROLMENT, None)
    session[CODES] = {"nonce": codes_nonce, "at": now.isoformat()}
    return True


@bp.route("/login/enrol", methods=["GET", "POST"])
@public
@_sign_in_limit
@_account_rate_limit
def enrol_at_sign_in():
    """Setting up the second factor right after the password, for a role that requires it."""
    user, pending = _pending_user()
    if user is None:
        return _back_to_sign_in()
    if user.second_factor is not None:
        return redirect(url_for("auth.second_step"), code=303)
    form = EnrolForm()
    status = 200
    if form.validate_on_submit():
        if _enrol_posted(user, form):
            codes = session[CODES]
            _start_session(user)
            session[CODES] = {**codes, "next": pending.get("next")}
            return redirect(url_for("auth.recovery_codes"), code=303)
        status = 401
    elif request.method == "POST":
        status = 422
    return _render_enrolment(
        user, form, action=url_for("auth.enrol_at_sign_in"), at_sign_in=True
    ), status


@bp.route("/logout", methods=["POST"])
@public
def logout():
    form = LogoutForm()
    if form.validate_on_submit() and current_user.is_authenticated:
        with unit_of_work():
            sign_out(current_user._get_current_object())
    logout_user()
    session.clear()
    flash(_("You have signed out."), "info")
    return redirect(url_for("main.index"), code=303)


# ----------------------------------------------------------------------------- own settings


def _me() -> User:
    return current_user._get_current_object()


def _render_settings(
    reset_form: ConfirmSecondFactorForm | None = None,
    disable_form: ConfirmSecondFactorForm | None = None,
    enrol_form: EnrolForm | None = None,
):
    user = _me()
    if user.second_factor is None:
        return _render_enrolment(
            user,
            enrol_form or EnrolForm(formdata=None),
            action=url_for("auth.enrol"),
            at_sign_in=False,
        )
    return render_template(
        "auth/two_factor.html",
        factor=user.second_factor,
        codes_left=mfa.recovery_codes_left(user),
        required=mfa.is_required(user),
        reset_form=reset_form or ConfirmSecondFactorForm(prefix="reset", formdata=None),
        disable_form=disable_form or ConfirmSecondFactorForm(prefix="disable", formdata=None),
    )


@bp.get("/staff/account/two-factor")
@staff()
def two_factor():
    return _render_settings()


@bp.post("/staff/account/two-factor/enrol")
@staff()
def enrol():
    user = _me()
    if user.second_factor is not None:
        flash(_("Two-factor sign-in is set up already."), "info")
        return redirect(url_for("auth.two_factor"), code=303)
    form = EnrolForm()
    if form.validate_on_submit():
        if _enrol_posted(user, form):
            return redirect(url_for("auth.recovery_codes"), code=303)
        return _render_settings(enrol_form=form), 401
    return _render_settings(enrol_form=form), 422


def _shown_codes() -> tuple[list[str] | None, dict]:
    """The recovery codes still to be shown in this session (for 10 minutes after they were
    made), or None."""
    held = session.get(CODES)
    if not isinstance(held, dict):
        return None, {}
    try:
        made = datetime.fromisoformat(held["at"])
    except (KeyError, TypeError, ValueError):
        return None, {}
    if utcnow() - made > current_app.config["MFA_STEP_TIMEOUT"] or _me().second_factor is None:
        return None, {}
    return mfa.recovery_codes(_me(), held["nonce"]), held


@bp.get("/staff/account/two-factor/recovery-codes")
@staff()
def recovery_codes():
    codes, _held = _shown_codes()
    return render_template("auth/recovery_codes.html", codes=codes, form=DoneForm())


@bp.get("/staff/account/two-factor/recovery-codes.txt")
@staff()
def recovery_codes_text():
    codes, _held = _shown_codes()
    if codes is None:
        flash(_("The recovery codes are shown only once, right after they were made."), "info")
        return redirect(url_for("auth.two_factor"))
    issuer = current_app.config.get("MFA_ISSUER") or "SkillsDelphi"
    lines = [
        _("%(issuer)s recovery codes for %(email)s", issuer=issuer, email=_me().email),
        _("Each code signs you in once instead of a code from your authenticator app."),
        "",
        *codes,
        "",
    ]
    response = Response("\r\n".join(lines), mimetype="text/plain")
    response.headers["Content-Type"] = "text/plain; charset=utf-8"
    response.headers["Content-Disposition"] = (
        'attachment; filename="skillsdelphi-recovery-codes.txt"'
    )
    return response


@bp.post("/staff/account/two-factor/recovery-codes/done")
@staff()
def recovery_codes_done():
    held = session.pop(CODES, None)
    target = held.get("next") if isinstance(held, dict) else None
    flash(_("Two-factor sign-in is on."), "success")
    return redirect(_safe_next(target), code=303)


def _confirmed(form: ConfirmSecondFactorForm) -> int | None:
    """Check the posted password and code of the signed-in user: None when both are right,
    else the status to answer (the errors beside the fields; refusals audited)."""
    user = _me()
    if not form.validate_on_submit():
        return 422
    with unit_of_work():
        if not check_password(user, form.password.data or ""):
            form.password.errors.append(_("This password is not correct."))
            return 401
        outcome, recovery = _check_code(user, form, at=utcnow())
        if outcome is not mfa.CodeCheck.accepted:
            second_factor_failed(user, reason=outcome.value)
    if outcome is not mfa.CodeCheck.accepted:
        _code_refused(form, outcome, recovery=recovery)
        return 401
    return None


@bp.post("/staff/account/two-factor/reset")
@staff()
@_sign_in_limit
def reset():
    user = _me()
    if user.second_factor is None:
        return redirect(url_for("auth.two_factor"), code=303)
    form = ConfirmSecondFactorForm(prefix="reset")
    if status := _confirmed(form):
        return _render_settings(reset_form=form), status
    with unit_of_work():
        mfa.reset(user, by=user)
    session.pop(ENROLMENT, None)
    session.pop(CODES, None)
    flash(
        _(
            "Your authenticator app and recovery codes no longer work here. Set up "
            "two-factor sign-in again below."
        ),
        "info",
    )
    return redirect(url_for("auth.two_factor"), code=303)


@bp.post("/staff/account/two-factor/disable")
@staff()
@_sign_in_limit
def disable():
    user = _me()
    if user.second_factor is None:
        return redirect(url_for("auth.two_factor"), code=303)
    form = ConfirmSecondFactorForm(prefix="disable")
    if status := _confirmed(form):
        return _render_settings(disable_form=form), status
    try:
        with unit_of_work():
            mfa.disable(user)
    except DomainError as exc:
        flash(refusal_text(exc), "error")
        return redirect(url_for("auth.two_factor"), code=303)
    flash(_("Two-factor sign-in is off: you sign in with your password alone."), "info")
    return redirect(url_for("auth.two_factor"), code=303)

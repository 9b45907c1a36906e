"""Pages for signing up, signing in and out, the profile, passwords and reset links."""
from __future__ import annotations

from flask import (
    Blueprint,
    Response,
    abort,
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
from flask_login import current_user, login_required, login_user, logout_user

from wham.accounts import data_rights, services
from wham.accounts.forms import (
    ChangePasswordForm,
    ConfirmForm,
    DeleteAccountForm,
    LoginForm,
    ProfileForm,
    RegisterForm,
    ResetPasswordForm,
)
from wham.accounts.models import Role
from wham.extensions import db, limiter
from wham.links import public_url
from wham.permissions import load_person_for_reset, roles_required, supported_participants
from wham.security import safe_next_url, start_session
from wham.timeutil import utcnow
from wham.validators import mobile_e164

bp = Blueprint("accounts", __name__)


def _login_rate_limit() -> str:
    return current_app.config["LOGIN_RATE_LIMIT"]


@bp.get("/")
def home():
    if not current_user.is_authenticated:
        return render_template("accounts/landing.html")
    if current_user.role == Role.ADMIN:
        return redirect(url_for("admin.index"))
    if current_user.role == Role.PEER_SPECIALIST:
        return redirect(url_for("accounts.people"))
    if current_user.role == Role.FAMILY:
        return redirect(url_for("family.shared_list"))
    from wham.goals.services import home_summary

    return render_template("goals/home.html",
                           summary=home_summary(current_user._get_current_object(), utcnow()))


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(_login_rate_limit, methods=["POST"])
def login():
    if current_user.is_authenticated:
        return redirect(url_for("accounts.home"))
    form = LoginForm()
    if form.validate_on_submit():
        try:
            user = services.authenticate(form.email.data, form.password.data, utcnow())
        except services.LoginLocked as locked:
            form.form_errors.append(ngettext(
                "Too many tries. Please wait %(num)s minute and try again, or ask your "
                "peer specialist for a password reset link.",
                "Too many tries. Please wait %(num)s minutes and try again, or ask your "
                "peer specialist for a password reset link.", locked.minutes))
        except services.LoginRefused:
            form.form_errors.append(_("That email and password don't match. Please try again."))
        else:
            next_url = safe_next_url(request.args.get("next"))
            session.clear()  # a fresh session: nothing from before sign-in carries over
            login_user(user)
            start_session(utcnow())
            return redirect(next_url or url_for("accounts.home"))
    return render_template("accounts/login.html", form=form)


@bp.post("/logout")
@login_required
def logout():
    services.record_logout(current_user._get_current_object(), utcnow())
    logout_user()
    session.clear()
    flash(_("You are signed out. Take care."), "success")
    return redirect(url_for("accounts.login"))


@bp.route("/register", methods=["GET", "POST"])
@limiter.limit(_login_rate_limit, methods=["POST"])
def register():
    if current_user.is_authenticated:
        return redirect(url_for("accounts.home"))
    needs_invite = not current_app.config["SELF_REGISTRATION"]
    form = RegisterForm()
    if not needs_invite:
        del form.invite_code
    if request.method == "GET":
        form.time_zone.data = current_app.config["DEFAULT_TIME_ZONE"]
        form.language.data = request.accept_languages.best_match(["en", "es"]) or "en"
    if form.validate_on_submit():
        account = services.NewAccount(
            email=form.email.data, display_name=form.display_name.data,
            password=form.password.data, role=Role.PARTICIPANT,
            time_zone=form.time_zone.data, language=form.language.data)
        try:
            invite_code = form.invite_code.data if needs_invite else None
            user = services.register_participant(account, invite_code, utcnow())
        except services.AccountError as refused:
            db.session.rollback()
            if str(refused) == "invite code":
                form.invite_code.errors.append(
                    _("This invite code doesn't work. Check it, or ask for a new one."))
            else:
                form.email.errors.append(
                    _("We couldn't create an account with this email. If it's yours, sign in "
                      "or ask your peer specialist for a password reset link."))
        else:
            session.clear()
            login_user(user)
            start_session(utcnow())
            flash(_("Welcome to WHAM, %(name)s!", name=user.display_name), "success")
            return redirect(url_for("accounts.home"))
    return render_template("accounts/register.html", form=form, needs_invite=needs_invite)


@bp.route("/profile", methods=["GET", "POST"])
@login_required
def profile():
    user = current_user._get_current_object()
    form = ProfileForm(obj=user)
    if request.method == "GET":
        form.mobile.data = services.format_mobile_number(user.mobile_e164) if user.mobile_e164 else ""
    if form.validate_on_submit():
        services.update_profile(user, display_name=form.display_name.data,
                                language=form.language.data, time_zone=form.time_zone.data,
                                mobile_e164=mobile_e164(form.mobile), now=utcnow())
        flash(_("Your profile is saved."), "success")
        return redirect(url_for("accounts.profile"))
    return render_template("accounts/profile.html", form=form)


@bp.route("/profile/password", methods=["GET", "POST"])
@login_required
def change_password():
    form = ChangePasswordForm()
    if form.validate_on_submit():
        user = current_user._get_current_object()
        try:
            services.change_password(user, form.current_password.data, form.password.data, utcnow())
        except services.AccountError:
            form.current_password.errors.append(_("That is not your current password."))
        else:
            login_user(user)  # stay signed in here; other devices are signed out
            flash(_("Your password is changed. Other devices are signed out."), "success")
            return redirect(url_for("accounts.profile"))
    return render_template("accounts/password.html", form=form)


@bp.get("/profile/data")
@roles_required(Role.PARTICIPANT)
def my_data():
    return render_template("accounts/data.html", download_form=ConfirmForm(),
                           delete_form=DeleteAccountForm())


@bp.post("/profile/data/download")
@roles_required(Role.PARTICIPANT)
def download_my_data():
    if not ConfirmForm().validate_on_submit():
        abort(400)
    export = data_rights.export_my_data(current_user._get_current_object(), utcnow())
    return Response(export.content, mimetype="application/zip", headers={
        "Content-Disposition": f"attachment; filename={export.filename}"})


@bp.post("/profile/delete")
@roles_required(Role.PARTICIPANT)
@limiter.limit(_login_rate_limit)
def delete_account():
    user = current_user._get_current_object()
    form = DeleteAccountForm()
    if form.validate_on_submit():
        if not services.password_matches(user, form.password.data):
            services.record_delete_refused(user, utcnow())
            form.password.errors.append(_("That is not your password."))
        else:
            data_rights.delete_account(user, utcnow())
            logout_user()
            session.clear()
            flash(_("Your account and your information are deleted. Take care."), "success")
            return redirect(url_for("accounts.home"))
    return render_template("accounts/data.html", download_form=ConfirmForm(), delete_form=form), 200


@bp.route("/reset/<token>", methods=["GET", "POST"])
@limiter.limit(_login_rate_limit, methods=["POST"])
def reset_password(token: str):
    if services.reset_token_user(token, utcnow()) is None:
        return render_template("accounts/reset_invalid.html"), 404
    form = ResetPasswordForm()
    if form.validate_on_submit():
        user = services.reset_password(token, form.password.data, utcnow())
        if current_user.is_authenticated:
            logout_user()
        session.clear()
        login_user(user)
        start_session(utcnow())
        flash(_("Your new password is set. Welcome back."), "success")
        return redirect(url_for("accounts.home"))
    return render_template("accounts/reset.html", form=form)


@bp.get("/people")
@roles_required(Role.PEER_SPECIALIST)
def people():
    participants = db.session.scalars(supported_participants(current_user)).all()
    return render_template("accounts/people.html", participants=participants, form=ConfirmForm())


@bp.post("/people/<int:person_id>/reset-link")
@roles_required(Role.PEER_SPECIALIST, Role.ADMIN)
def create_reset_link(person_id: int):
    person = load_person_for_reset(current_user, person_id)
    token = services.create_reset_link(current_user._get_current_object(), person, utcnow())
    link = public_url("accounts.reset_password", token=token)
    return render_template("accounts/reset_link.html", person=person, link=link,
                           hours=int(current_app.config["RESET_LINK_LIFETIME"].total_seconds() // 3600))

"""Pages for the support plan, sharing it under consent, and what family members see."""
from __future__ import annotations

from flask import (
    Blueprint,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_user

from wham import audit
from wham.accounts import services as accounts
from wham.accounts.forms import ConfirmForm
from wham.accounts.models import Role
from wham.extensions import db, limiter
from wham.family import delivery, services
from wham.family.access import load_own_consent, load_shared_consent
from wham.family.forms import (
    SECTION_TEXT,
    AcceptForm,
    ConsentForm,
    FamilyRegisterForm,
    SignForm,
    SupportPlanForm,
)
from wham.family.models import ALL_SECTIONS, ConsentStatus, Scope
from wham.family.progress import progress_summary
from wham.family.statement import statement_digest, statement_of
from wham.permissions import roles_required
from wham.security import start_session
from wham.sms.outbox import register_send_check
from wham.timeutil import local_today, utcnow
from wham.validators import mobile_e164

bp = Blueprint("family", __name__)


def _me():
    return current_user._get_current_object()


def _login_rate_limit() -> str:
    return current_app.config["LOGIN_RATE_LIMIT"]


VIEWED = {
    "overview": _l("what is shared with them"),
    "support_plan": _l("your support plan"),
    "crisis_plan": _l("your crisis plan"),
    "progress": _l("your goal and weekly plan"),
}
ACTIVITY = {
    "family.viewed": _l("Looked at %(what)s"),
    "consent.drafted": _l("Wrote a permission to share with %(name)s"),
    "consent.given": _l("Signed the permission to share with %(name)s"),
    "consent.link_renewed": _l("Made a new invitation link for %(name)s"),
    "consent.accepted": _l("Accepted your permission to share"),
    "consent.revoked": _l("Stopped sharing with %(name)s"),
    "consent.expired": _l("Sharing with %(name)s ended on its own"),
    "group.dashboard_viewed": _l("Looked at how you are doing in your group"),
    "group.members_viewed": _l("Looked at your group's member list"),
    "group.summary_viewed": _l("Looked at your group's summary figures"),
    "group.exported": _l("Downloaded your group's figures"),
    "flag.read": _l("Read the follow-up flags about you"),
    "flag.acknowledged": _l("Followed up on a flag about you"),
    "peer_note.read": _l("Read the notes of your peer support"),
    "peer_note.added": _l("Wrote a note of your peer support"),
    "group.member_moved": _l("Moved you to another group"),
    "admin.role_changed": _l("Changed your role"),
    "account.reset_link_created": _l("Made a password reset link for you"),
    "admin.account_created": _l("Created your account"),
    "admin.account_disabled": _l("Turned off your sign-in"),
    "admin.account_enabled": _l("Turned on your sign-in"),
    "admin.peer_specialist_assigned": _l("Changed who is your peer specialist"),
}


def activity_label(entry: services.ActivityEntry) -> str:
    template = ACTIVITY.get(entry.action)
    if template is None:
        # Recorded by other parts of the app: said plainly, with the log's name for it.
        looked = "view" in entry.action or "read" in entry.action or "export" in entry.action
        return _("%(action)s (%(what)s)", what=audit.action_label(entry.action),
                 action=_("Looked at your information") if looked else _("Made a change for you"))
    return template % {"what": VIEWED.get(entry.what, _("your information")),
                       "name": entry.recipient}


@bp.record_once
def _check_invitation_texts(_state) -> None:
    # The outbox asks before each send whether an invitation text's link still works.
    register_send_check(delivery.invitation_text_refusal)


@bp.app_context_processor
def _sharing_words():
    return {"ConsentStatus": ConsentStatus, "consent_statement": statement_of,
            "plan_sections": SECTION_TEXT, "activity_label": activity_label}


# --- the participant's support plan --------------------------------------------------------


@bp.get("/support-plan")
@roles_required(Role.PARTICIPANT)
def support_plan():
    return render_template("family/plan.html", plan=services.latest_plan(current_user.id))


@bp.route("/support-plan/edit", methods=["GET", "POST"])
@roles_required(Role.PARTICIPANT)
def edit_support_plan():
    plan = services.latest_plan(current_user.id)
    form = SupportPlanForm()
    if request.method == "GET" and plan is not None:
        for name in ALL_SECTIONS:
            form[name].data = getattr(plan, name)
        for entry, contact in zip(form.contacts.entries, plan.contacts, strict=False):
            entry.form.name.data = contact.name
            entry.form.relationship.data = contact.relationship_
            entry.form.phone.data = contact.phone
    if form.validate_on_submit():
        contacts = [services.ContactEntry(e.form.name.data, e.form.relationship.data,
                                          e.form.phone.data) for e in form.contacts.entries]
        services.save_support_plan(_me(), {name: form[name].data for name in ALL_SECTIONS},
                                   contacts, utcnow())
        flash(_("Your support plan is saved."), "success")
        return redirect(url_for("family.support_plan"))
    return render_template("family/plan_edit.html", form=form)


@bp.get("/support-plan/history")
@roles_required(Role.PARTICIPANT)
def plan_history():
    return render_template("family/plan_history.html",
                           versions=services.plan_history(current_user.id))


@bp.get("/support-plan/print")
@roles_required(Role.PARTICIPANT)
def print_plan():
    return render_template("family/plan_print.html", plan=services.latest_plan(current_user.id),
                           person=current_user)


# --- sharing: consents and invitations -------------------------------------------------------


@bp.get("/sharing")
@roles_required(Role.PARTICIPANT)
def sharing():
    return render_template("family/sharing.html", consents=services.consents_of(_me()),
                           now=utcnow(), form=ConfirmForm())


@bp.route("/sharing/new", methods=["GET", "POST"])
@roles_required(Role.PARTICIPANT)
def new_consent():
    now = utcnow()
    me = _me()
    form = ConsentForm(today=local_today(now, me.time_zone),
                       latest_expiry=services.latest_expiry_date(me, now))
    if form.validate_on_submit():
        scopes = [scope for scope, name in ((Scope.SUPPORT_PLAN, "share_support_plan"),
                                            (Scope.CRISIS_PLAN, "share_crisis_plan"),
                                            (Scope.PROGRESS, "share_progress"))
                  if form[name].data]
        terms = services.ConsentTerms(
            recipient_name=form.recipient_name.data,
            recipient_email=form.recipient_email.data or None,
            recipient_mobile=mobile_e164(form.recipient_mobile), scopes=scopes,
            purpose=form.purpose.data, purpose_text=form.purpose_text.data or "",
            expires_on=form.expires_on.data, expiry_event=form.expiry_event.data or "")
        consent = services.create_consent(me, terms, now)
        return redirect(url_for("family.consent", consent_id=consent.id))
    return render_template("family/consent_new.html", form=form,
                           latest_expiry=form.latest_expiry)


@bp.route("/sharing/<int:consent_id>", methods=["GET", "POST"])
@roles_required(Role.PARTICIPANT)
def consent(consent_id: int):
    """The consent in full. While a draft, the participant reads it here and signs."""
    me = _me()
    found = load_own_consent(me, consent_id)
    now = utcnow()
    form = SignForm()
    if request.method == "POST":
        if found.status(now) != ConsentStatus.DRAFT:
            flash(_("This is already signed."), "info")
            return redirect(url_for("family.consent", consent_id=found.id))
        if form.validate_on_submit():
            try:
                issued = services.sign_consent(me, found, form.signature.data, now,
                                               read_digest=form.statement_digest.data or "")
            except services.SharingError:
                form.form_errors.append(_("The words of this permission changed since you opened "
                                          "the page. Please read them again, then sign."))
            else:
                return _show_link(found, issued)
    # The words on the page now, so signing proves these were the words read.
    form.statement_digest.data = statement_digest(statement_of(found))
    return render_template("family/consent.html", consent=found, now=now, form=form,
                           actions=ConfirmForm())


def _show_link(consent, issued: services.IssuedLink):
    texted_to = accounts.format_mobile_number(issued.texted_to) if issued.texted_to else None
    return render_template("family/invite_link.html", consent=consent, issued=issued,
                           texted_to=texted_to)


@bp.post("/sharing/<int:consent_id>/new-link")
@roles_required(Role.PARTICIPANT)
def renew_link(consent_id: int):
    me = _me()
    found = load_own_consent(me, consent_id)
    if not ConfirmForm().validate_on_submit():
        return redirect(url_for("family.consent", consent_id=found.id))
    try:
        issued = services.renew_link(me, found, utcnow())
    except services.SharingError:
        flash(_("A new link can only be made while the invitation is waiting."), "info")
        return redirect(url_for("family.consent", consent_id=found.id))
    return _show_link(found, issued)


@bp.post("/sharing/<int:consent_id>/revoke")
@roles_required(Role.PARTICIPANT)
def revoke(consent_id: int):
    me = _me()
    found = load_own_consent(me, consent_id)
    if ConfirmForm().validate_on_submit():
        services.revoke_consent(me, found, utcnow())
        flash(_("Sharing with %(name)s has stopped. They can no longer see anything.",
                name=found.recipient_name), "success")
    return redirect(url_for("family.sharing"))


@bp.get("/sharing/activity")
@roles_required(Role.PARTICIPANT)
def activity():
    return render_template("family/activity.html", entries=services.activity_for(_me(), utcnow()))


# --- the invitation link -----------------------------------------------------------------------


def _invitation_or_404(token: str):
    found = services.invitation_for_token(token, utcnow())
    if found is None:
        return None, (render_template("family/invitation_invalid.html"), 404)
    return found, None


_REFUSALS = {
    "role": lambda: _("This invitation is for a family or supporter account. Sign out, then "
                      "create one or sign in with it."),
    "self": lambda: _("You can't accept your own invitation."),
    "other person": lambda: _("This invitation was sent to someone else. Sign in with the email "
                              "or mobile number it was sent to."),
    "link": lambda: _("This link no longer works. Ask for a new one."),
}


@bp.get("/invitation/<invite_token>")
def invitation(invite_token: str):
    found, refused = _invitation_or_404(invite_token)
    if refused:
        return refused
    form = FamilyRegisterForm() if not current_user.is_authenticated else AcceptForm()
    if not current_user.is_authenticated:
        form.time_zone.data = current_app.config["DEFAULT_TIME_ZONE"]
        form.email.data = found.recipient_email or ""
    return render_template("family/invitation.html", consent=found, form=form, token=invite_token,
                           now=utcnow())


@bp.post("/invitation/<invite_token>/accept")
@limiter.limit(_login_rate_limit)
def accept_invitation(invite_token: str):
    if not current_user.is_authenticated:
        return redirect(url_for("accounts.login",
                                next=url_for("family.invitation", invite_token=invite_token)))
    found, refused = _invitation_or_404(invite_token)
    if refused:
        return refused
    form = AcceptForm()
    if form.validate_on_submit():
        try:
            services.accept_invitation(invite_token, _me(), utcnow())
        except services.SharingError as exc:
            db.session.rollback()
            form.form_errors.append(_REFUSALS.get(str(exc), _REFUSALS["link"])())
        else:
            flash(_("Thank you. You can now see what %(name)s shares with you.",
                    name=found.participant.display_name), "success")
            return redirect(url_for("family.shared_overview", person_id=found.participant_id))
    return render_template("family/invitation.html", consent=found, form=form, token=invite_token,
                           now=utcnow())


@bp.post("/invitation/<invite_token>/register")
@limiter.limit(_login_rate_limit)
def register_through_invitation(invite_token: str):
    if current_user.is_authenticated:
        return redirect(url_for("family.invitation", invite_token=invite_token))
    found, refused = _invitation_or_404(invite_token)
    if refused:
        return refused
    form = FamilyRegisterForm()
    if form.validate_on_submit():
        account = accounts.NewAccount(email=form.email.data, display_name=form.display_name.data,
                                      password=form.password.data, role=Role.FAMILY,
                                      time_zone=form.time_zone.data, language=form.language.data)
        try:
            user, _consent = services.register_through_invitation(invite_token, account, utcnow())
        except services.SharingError as exc:
            db.session.rollback()
            if str(exc) == "other person":
                form.email.errors.append(_("Use the email this invitation was sent to."))
            elif str(exc) == "email taken":
                form.email.errors.append(_("This email already has an account. Sign in instead, "
                                           "then accept."))
            else:
                form.form_errors.append(_REFUSALS["link"]())
        else:
            session.clear()
            login_user(user)
            start_session(utcnow())
            flash(_("Welcome, %(name)s. You can now see what %(who)s shares with you.",
                    name=user.display_name, who=found.participant.display_name), "success")
            return redirect(url_for("family.shared_overview", person_id=found.participant_id))
    return render_template("family/invitation.html", consent=found, form=form, token=invite_token,
                           now=utcnow())


# --- what family members see --------------------------------------------------------------------


@bp.get("/shared")
@roles_required(Role.FAMILY)
def shared_list():
    consents = db.session.scalars(services.shared_with(_me(), utcnow())).all()
    return render_template("family/shared_list.html", consents=consents)


def _family_page(person_id: int, scope: Scope | None, what: str, template: str, **context):
    """Render a family page, then audit it: exactly one event when shown, none when not."""
    now = utcnow()
    me = _me()
    consent = load_shared_consent(me, person_id, scope, now)
    html = render_template(template, consent=consent, person=consent.participant, now=now,
                           **{k: v(consent) if callable(v) else v for k, v in context.items()})
    services.record_family_view(me, consent, what, now)
    return html


@bp.get("/shared/<int:person_id>")
@roles_required(Role.FAMILY)
def shared_overview(person_id: int):
    return _family_page(person_id, None, "overview", "family/shared_overview.html")


@bp.get("/shared/<int:person_id>/support-plan")
@roles_required(Role.FAMILY)
def shared_support_plan(person_id: int):
    return _family_page(person_id, Scope.SUPPORT_PLAN, "support_plan", "family/shared_plan.html",
                        plan=lambda c: services.latest_plan(c.participant_id), crisis_only=False)


@bp.get("/shared/<int:person_id>/crisis-plan")
@roles_required(Role.FAMILY)
def shared_crisis_plan(person_id: int):
    return _family_page(person_id, Scope.CRISIS_PLAN, "crisis_plan", "family/shared_plan.html",
                        plan=lambda c: services.latest_plan(c.participant_id), crisis_only=True)


@bp.get("/shared/<int:person_id>/progress")
@roles_required(Role.FAMILY)
def shared_progress(person_id: int):
    return _family_page(person_id, Scope.PROGRESS, "progress", "family/shared_progress.html",
                        summary=lambda c: progress_summary(c.participant, utcnow()))

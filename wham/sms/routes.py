"""Text message pages: settings and number confirmation, Twilio webhooks, delivery statistics."""
from __future__ import annotations

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from twilio.request_validator import RequestValidator
from twilio.twiml.messaging_response import MessagingResponse

from wham.accounts.forms import ConfirmForm
from wham.accounts.models import Role
from wham.accounts.services import format_mobile_number
from wham.extensions import csrf, db
from wham.permissions import roles_required
from wham.sms import outbox, services
from wham.sms.forms import ConfirmCodeForm, SmsSettingsForm
from wham.sms.statistics_view import DeliveryPage
from wham.timeutil import utcnow

bp = Blueprint("sms", __name__)

TEXTING_ROLES = (Role.PARTICIPANT, Role.PEER_SPECIALIST)


def _settings_form(user, contact, formdata=None) -> SmsSettingsForm:
    form = SmsSettingsForm(formdata=formdata, obj=contact)
    if formdata is None and contact is None:
        form.language.data = user.language
    if user.role != Role.PEER_SPECIALIST:
        del form.flag_alert  # flag alerts are for the facilitators of groups
    return form


def _render_settings(code_form=None, settings_form=None, status=200):
    user = current_user._get_current_object()
    contact = services.contact_for(user)
    state = services.number_state(user, contact, utcnow())
    settings_form = settings_form or _settings_form(user, contact)
    number_display = format_mobile_number(state.number) if state.number else None
    return render_template("sms/settings.html", state=state, number_display=number_display,
                           code_form=code_form or ConfirmCodeForm(), send_form=ConfirmForm(),
                           settings_form=settings_form), status


@bp.route("/sms/settings", methods=["GET", "POST"])
@roles_required(*TEXTING_ROLES)
def settings():
    if request.method == "GET":
        return _render_settings()
    user = current_user._get_current_object()
    form = _settings_form(user, services.contact_for(user), formdata=request.form)
    if not form.validate():
        return _render_settings(settings_form=form)
    choices = services.SmsSettings(
        checkin_reminder=form.checkin_reminder.data, group_reminder=form.group_reminder.data,
        flag_alert=bool(form.flag_alert.data) if "flag_alert" in form else False,
        checkin_weekday=form.checkin_weekday.data, checkin_time=form.checkin_time.data,
        quiet_start=form.quiet_start.data, quiet_end=form.quiet_end.data,
        language=form.language.data)
    services.save_settings(user, choices, utcnow())
    flash(_("Your text message settings are saved."), "success")
    return redirect(url_for("sms.settings"))


CODE_REFUSALS = {
    "no_number": lambda: _("Add your mobile number on your profile first."),
    "opted_out": lambda: _("Texts are stopped for you. Turn them back on below first."),
    "invalid_number": lambda: _("This number cannot get texts. Check it on your profile."),
    "too_soon": lambda: _("A code was just sent. Please wait a minute before asking again."),
    "too_many": lambda: _("Too many codes today. Please try again tomorrow."),
}


@bp.post("/sms/settings/code")
@roles_required(*TEXTING_ROLES)
def send_code():
    try:
        services.send_confirmation_code(current_user._get_current_object(), utcnow())
    except services.SmsError as refused:
        db.session.rollback()
        flash(CODE_REFUSALS[str(refused)](), "error")
    else:
        flash(_("We sent a code to your phone. It works for 10 minutes."), "success")
    return redirect(url_for("sms.settings"))


@bp.post("/sms/settings/confirm")
@roles_required(*TEXTING_ROLES)
def confirm():
    form = ConfirmCodeForm()
    if not form.validate_on_submit():
        return _render_settings(code_form=form)
    try:
        services.confirm_number(current_user._get_current_object(), form.code.data, utcnow())
    except services.SmsError as refused:
        messages = {
            "no_code": _("Ask for a code first."),
            "expired": _("This code has expired. Ask for a new one."),
            "too_many_tries": _("Too many wrong codes. Ask for a new one."),
            "wrong_code": _("That code is not right. Check the text and try again."),
        }
        form.code.errors.append(messages[str(refused)])
        return _render_settings(code_form=form)
    flash(_("Your number is confirmed. Choose the texts you want below."), "success")
    return redirect(url_for("sms.settings"))


@bp.post("/sms/settings/stop")
@roles_required(*TEXTING_ROLES)
def stop_all():
    services.set_opted_out(current_user._get_current_object(), True, utcnow())
    flash(_("All texts are stopped."), "success")
    return redirect(url_for("sms.settings"))


@bp.post("/sms/settings/start")
@roles_required(*TEXTING_ROLES)
def start_again():
    services.set_opted_out(current_user._get_current_object(), False, utcnow())
    flash(_("Texts are on again for the kinds you chose."), "success")
    return redirect(url_for("sms.settings"))


# --- Twilio webhooks ----------------------------------------------------------------------


def _require_twilio_signature() -> None:
    """403 unless the request carries Twilio's signature over our public URL and the form."""
    token = current_app.config["TWILIO_AUTH_TOKEN"]
    signature = request.headers.get("X-Twilio-Signature", "")
    url = current_app.config["PUBLIC_BASE_URL"].rstrip("/") + request.full_path.rstrip("?")
    if not token or not signature or not RequestValidator(token).validate(
            url, request.form.to_dict(flat=True), signature):
        abort(403)


def _twiml(text: str | None):
    response = MessagingResponse()
    if text:
        response.message(text)
    return str(response), 200, {"Content-Type": "text/xml; charset=utf-8"}


@bp.post("/sms/inbound")
@csrf.exempt  # Twilio cannot send a CSRF token; the signature check stands in for it
def inbound():
    _require_twilio_signature()
    sender = _twilio_field("From", 20)
    text = _twilio_field("Body", 1600)
    if not sender:
        return _twiml(None)
    return _twiml(services.handle_inbound(sender, text, utcnow()))


@bp.post("/sms/status")
@csrf.exempt  # as above: signed by Twilio instead
def status():
    _require_twilio_signature()
    outbox.apply_status_callback(_twilio_field("MessageSid", 64), _twilio_field("MessageStatus", 20),
                                 _twilio_field("ErrorCode", 32) or None, utcnow())
    return _twiml(None)


def _twilio_field(name: str, limit: int) -> str:
    """A field of a signed Twilio request, at most `limit` characters, without NUL characters
    (PostgreSQL cannot compare text with them; a real number, id or text never has one)."""
    return request.form.get(name, "").replace("\x00", "")[:limit]


# --- admin --------------------------------------------------------------------------------


@bp.get("/admin/sms")
@roles_required(Role.ADMIN)
def admin_statistics():
    stats = outbox.recent_delivery_statistics(utcnow())
    return render_template("sms/admin.html", stats=stats, page=DeliveryPage(stats))

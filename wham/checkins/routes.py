"""Pages for the weekly check-in, the crisis resources page and the participant's progress."""
from __future__ import annotations

from datetime import date, timedelta

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from wham.accounts.models import Role
from wham.checkins import measures, services
from wham.checkins.forms import SUPPORT_CHOICES, check_in_form_class
from wham.checkins.models import FlagReason, Support
from wham.checkins.progress_view import ProgressPage
from wham.permissions import roles_required
from wham.timeutil import utcnow

bp = Blueprint("checkins", __name__)


def _me():
    return current_user._get_current_object()


def _week_from_url(week: str) -> date:
    """A week start from the URL; anything else (not a date, not a week start, a week still
    to come) answers 404."""
    try:
        day = date.fromisoformat(week)
    except ValueError:
        abort(404)
    if not services.is_week_start(day) or day > services.current_week(_me(), utcnow()):
        abort(404)
    return day


@bp.route("/check-in")
@roles_required(Role.PARTICIPANT)
def check_in():
    week = services.week_to_check_in(_me(), utcnow())
    return redirect(url_for("checkins.week", week=week.isoformat()))


@bp.route("/check-in/<week>", methods=["GET", "POST"])
@roles_required(Role.PARTICIPANT)
def week(week: str):
    me, now = _me(), utcnow()
    week_start = _week_from_url(week)
    start = services.check_in_start(me.id, week_start)
    existing, plan = start.check_in, start.plan
    context = {"week_start": week_start, "week_end": week_start + timedelta(days=6),
               "plan": plan, "check_in": existing, "measures": measures,
               "support_choices": dict(SUPPORT_CHOICES),
               "last_open_day": services.last_open_day(week_start),
               "week_in_progress": week_start == services.current_week(me, now)}
    if not services.is_open(me, week_start, now):
        return render_template("checkins/closed.html", **context)

    enabled = services.enabled_measures()
    form_class = check_in_form_class(enabled["phq9"], enabled["gad7"])
    form = form_class(obj=existing) if existing else form_class()
    if existing and not form.is_submitted():
        for prefix in form.measure_prefixes:
            for field, value in zip(form.measure_fields(prefix),
                                    existing.measure_answers()[prefix] or [], strict=False):
                field.data = value
    elif not form.is_submitted():
        form.days_done.data = start.days_done
    if form.validate_on_submit():
        answers = services.CheckInAnswers(
            days_done=form.days_done.data, who5=form.answers_of("who5"), stress=form.stress.data,
            helped=form.helped.data or "", barriers=form.barriers.data or "",
            confidence_next=form.confidence_next.data, support=Support(form.support.data),
            phq9=form.answers_of("phq9"), gad7=form.answers_of("gad7"))
        try:
            result = services.save_check_in(me, week_start, answers, now)
        except services.CheckInClosed:
            return render_template("checkins/closed.html", **context)
        if result.needs_support_page:
            flash(_support_message(result.safety_reasons), "info")
            return redirect(url_for("checkins.crisis"))
        flash(_("Thank you. Your check-in is saved."), "success")
        return redirect(url_for("checkins.progress"))
    return render_template("checkins/check_in.html", form=form, **context)


def _support_message(reasons: list[FlagReason]) -> str:
    me = _me()
    peer = me.peer_specialist.display_name if me.peer_specialist else None
    asked = FlagReason.SUPPORT_NOW in reasons
    if peer and asked:
        return _("Your check-in is saved. We let %(name)s, your peer specialist, know that you "
                 "would like support now.", name=peer)
    if peer:
        return _("Your check-in is saved. Your answers tell us things are hard right now, so we "
                 "let %(name)s, your peer specialist, know.", name=peer)
    return _("Your check-in is saved. We let the program team know you could use support.")


def tel_href(phone: str) -> str | None:
    """A tap-to-call link for a phone number typed any way; None when it has no digits."""
    digits = "".join(ch for ch in phone if ch.isdigit())
    if not digits:
        return None
    return "tel:" + ("+" if phone.strip().startswith("+") else "") + digits


@bp.route("/crisis")
def crisis():
    """Crisis resources for everyone, signed in or not. A participant also sees the crisis
    contacts from their own support plan."""
    personal_contacts = []
    if current_user.is_authenticated and current_user.role == Role.PARTICIPANT:
        from wham.family.services import crisis_contacts_for

        personal_contacts = [(c, tel_href(c.phone)) for c in crisis_contacts_for(current_user.id)]
    return render_template("checkins/crisis.html", personal_contacts=personal_contacts)


@bp.route("/progress")
@roles_required(Role.PARTICIPANT)
def progress():
    data = services.progress_for(_me(), utcnow())
    return render_template("checkins/progress.html", progress=data, page=ProgressPage(data))

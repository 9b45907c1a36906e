"""Pages for the self-inventory, goals, the weekly action plan, the log and the printout."""
from __future__ import annotations

from datetime import date

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from wham.accounts.forms import ConfirmForm
from wham.accounts.models import Role, User
from wham.factors import FACTORS, get_factor
from wham.goals import services
from wham.goals.forms import RATING_WORDS, GoalForm, GoalStatusForm, InventoryForm, LogForm, PlanForm
from wham.goals.models import CONFIDENCE_RULE, GoalStatus
from wham.i18n import format_day
from wham.permissions import load_goal_for, load_plan_for, roles_required
from wham.timeutil import local_today, utcnow

bp = Blueprint("goals", __name__)

RULE_MESSAGES = {
    "too many active": lambda: _(
        "You already have as many active goals as your program allows. Mark one achieved or "
        "set it aside first."),
    "same status": lambda: _("This goal is already there."),
    "check": lambda: _("This goal could not be saved. Please check your answers."),
    "goal not active": lambda: _("Plans are for active goals. Work on this goal again first."),
    "plan exists": lambda: _("You already have a plan for this week. You can change it below."),
    "nothing to copy": lambda: _("There is no earlier plan to copy yet. Write this week's plan below."),
}


def _me() -> User:
    return current_user._get_current_object()


@bp.app_template_filter("factor_label")
def factor_label(code: str | None) -> str:
    return get_factor(code).label() if code else ""


@bp.app_template_filter("weekday_date")
def weekday_date(day: date) -> str:
    return format_day(day, "weekday_day_month")


# --- inventory -------------------------------------------------------------------------------


@bp.get("/inventory")
@roles_required(Role.PARTICIPANT)
def inventory():
    takes = services.inventory_takes(current_user.id)
    return render_template("goals/inventory.html", takes=takes,
                           changes=services.inventory_changes(takes),
                           has_goal=bool(services.active_goals(current_user.id)))


@bp.route("/inventory/take", methods=["GET", "POST"])
@roles_required(Role.PARTICIPANT)
def take_inventory():
    form = InventoryForm()
    if request.method == "GET":
        takes = services.inventory_takes(current_user.id)
        if takes:  # start from the last answers: a retake changes only what changed
            for code, rating in takes[-1].rating_by_factor().items():
                form[code].data = rating
    if form.validate_on_submit():
        services.take_inventory(_me(), form.ratings(), utcnow())
        flash(_("Thank you. Your self-inventory is saved."), "success")
        return redirect(url_for("goals.inventory"))
    return render_template("goals/take_inventory.html", form=form, rating_words=RATING_WORDS)


# --- goals -----------------------------------------------------------------------------------


@bp.get("/goals")
@roles_required(Role.PARTICIPANT)
def my_goals():
    goals = services.goals_of(current_user.id)
    if len(goals) == 1 and goals[0].status == GoalStatus.ACTIVE:
        return redirect(url_for("goals.goal", goal_id=goals[0].id))
    return render_template("goals/my_goals.html", goals=goals,
                           room_for_more=len([g for g in goals if g.status == GoalStatus.ACTIVE])
                           < services.max_active_goals())


def _draft(form: GoalForm) -> services.GoalDraft:
    return services.GoalDraft(factor=form.factor.data, second_factor=form.second_factor.data or None,
                              what=form.what.data, why=form.why.data or "",
                              target_date=form.target_date.data, milestones=form.milestones.data or "")


def _inspiration(form: GoalForm):
    chosen = form.factor.data
    return [f for f in FACTORS if f.code == chosen] or list(FACTORS)


@bp.route("/goals/new", methods=["GET", "POST"])
@roles_required(Role.PARTICIPANT)
def new_goal():
    me = _me()
    today = local_today(utcnow(), me.time_zone)
    form = GoalForm(today=today)
    if request.method == "GET" and request.args.get("factor") in {f.code for f in FACTORS}:
        form.factor.data = request.args["factor"]
    if form.validate_on_submit():
        try:
            goal = services.create_goal(me, _draft(form), utcnow())
        except services.GoalRuleError as refused:
            form.form_errors.append(RULE_MESSAGES.get(refused.reason, RULE_MESSAGES["check"])())
        else:
            flash(_("Your goal is saved. Next, make a small plan for this week."), "success")
            return redirect(url_for("goals.plan", goal_id=goal.id))
    return render_template("goals/goal_form.html", form=form, goal=None,
                           inspiration=_inspiration(form), today=today)


def _goal_page(me: User, goal, status_form: GoalStatusForm):
    status_form.leave_out(goal.status)
    week = services.this_week(me, utcnow())
    return render_template("goals/goal.html", goal=goal, status_form=status_form,
                           plan=services.plan_of_goal(goal.id, week), week_start=week,
                           can_copy=services.last_plan_before(goal.id, week) is not None,
                           copy_form=ConfirmForm())


@bp.get("/goals/<int:goal_id>")
@roles_required(Role.PARTICIPANT)
def goal(goal_id: int):
    me = _me()
    return _goal_page(me, load_goal_for(me, goal_id), GoalStatusForm())


@bp.route("/goals/<int:goal_id>/edit", methods=["GET", "POST"])
@roles_required(Role.PARTICIPANT)
def edit_goal(goal_id: int):
    me = _me()
    goal = load_goal_for(me, goal_id)
    today = local_today(utcnow(), me.time_zone)
    form = GoalForm(obj=goal, today=today, keep_date=goal.target_date)
    if request.method == "GET":
        form.second_factor.data = goal.second_factor or ""
    if form.validate_on_submit():
        services.update_goal(me, goal, _draft(form), utcnow())
        flash(_("Your goal is saved."), "success")
        return redirect(url_for("goals.goal", goal_id=goal.id))
    return render_template("goals/goal_form.html", form=form, goal=goal,
                           inspiration=_inspiration(form), today=today)


@bp.post("/goals/<int:goal_id>/status")
@roles_required(Role.PARTICIPANT)
def change_status(goal_id: int):
    me = _me()
    goal = load_goal_for(me, goal_id)
    form = GoalStatusForm()
    form.leave_out(goal.status)
    if not form.validate_on_submit():
        return _goal_page(me, goal, form)
    status = GoalStatus(form.status.data)
    try:
        services.change_goal_status(me, goal, status, utcnow())
    except services.GoalRuleError as refused:
        flash(RULE_MESSAGES[refused.reason](), "error")
        return redirect(url_for("goals.goal", goal_id=goal.id))
    flash({GoalStatus.ACHIEVED: _("Well done! You achieved your goal. That is worth celebrating."),
           GoalStatus.SET_ASIDE: _("Your goal is set aside. You can come back to it any time."),
           GoalStatus.ACTIVE: _("Welcome back to this goal.")}[status], "success")
    if status == GoalStatus.ACTIVE:
        return redirect(url_for("goals.goal", goal_id=goal.id))
    return redirect(url_for("goals.my_goals"))


# --- weekly action plan ----------------------------------------------------------------------


@bp.route("/goals/<int:goal_id>/plan", methods=["GET", "POST"])
@roles_required(Role.PARTICIPANT)
def plan(goal_id: int):
    me = _me()
    goal = load_goal_for(me, goal_id)
    if goal.status != GoalStatus.ACTIVE:
        flash(RULE_MESSAGES["goal not active"](), "error")
        return redirect(url_for("goals.goal", goal_id=goal.id))
    now = utcnow()
    week = services.this_week(me, now)
    existing = services.plan_of_goal(goal.id, week)
    form = PlanForm(obj=existing)
    low_confidence = False
    if form.validate_on_submit():
        draft = services.PlanDraft(what=form.what.data, how_much=form.how_much.data,
                                   when=form.when.data, days_planned=form.days_planned.data,
                                   confidence=form.confidence.data)
        try:
            saved = services.save_plan(me, goal, draft, now,
                                       keep_low_confidence=bool(form.save_anyway.data))
        except services.LowConfidence:
            low_confidence = True
        else:
            flash(_("Your plan for this week is saved. You can do this!"), "success")
            return redirect(url_for("goals.plan_log", plan_id=saved.id))
    last = None if existing else services.last_plan_before(goal.id, week)
    return render_template("goals/plan.html", form=form, goal=goal, plan=existing, week_start=week,
                           low_confidence=low_confidence, rule=CONFIDENCE_RULE, last_plan=last,
                           copy_form=ConfirmForm())


@bp.post("/goals/<int:goal_id>/plan/copy")
@roles_required(Role.PARTICIPANT)
def copy_plan(goal_id: int):
    me = _me()
    goal = load_goal_for(me, goal_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    try:
        services.copy_last_plan(me, goal, utcnow())
    except services.GoalRuleError as refused:
        flash(RULE_MESSAGES[refused.reason](), "error")
    else:
        flash(_("Last week's plan is copied into this week. Change anything you like."), "success")
    return redirect(url_for("goals.plan", goal_id=goal.id) if goal.status == GoalStatus.ACTIVE
                    else url_for("goals.goal", goal_id=goal.id))


# --- the log ---------------------------------------------------------------------------------


@bp.get("/log")
@roles_required(Role.PARTICIPANT)
def log_today():
    me = _me()
    plan = services.plan_for_week(me.id, services.this_week(me, utcnow()))
    if plan is not None:
        return redirect(url_for("goals.plan_log", plan_id=plan.id))
    goals = services.active_goals(me.id)
    if goals:
        flash(_("First, make a small plan for this week. Then you can log each day."), "info")
        return redirect(url_for("goals.plan", goal_id=goals[0].id))
    flash(_("First, choose a goal. Then you can plan your week and log each day."), "info")
    return redirect(url_for("goals.my_goals"))


@bp.route("/plans/<int:plan_id>/log", methods=["GET", "POST"])
@roles_required(Role.PARTICIPANT)
def plan_log(plan_id: int):
    me = _me()
    plan = load_plan_for(me, plan_id)
    now = utcnow()
    days = services.loggable_days(me, plan, now)
    entries = services.log_entries(plan.id)
    form = LogForm()
    form.set_days(reversed(days), weekday_date)
    if request.method == "GET":
        chosen = request.args.get("day", "")
        chosen = chosen if chosen in {d.isoformat() for d in days} else (
            days[-1].isoformat() if days else "")
        form.day.data = chosen
        entry = entries.get(date.fromisoformat(chosen)) if chosen else None
        if entry is not None:
            form.done.data, form.note.data, form.is_private.data = (
                entry.done.value, entry.note, entry.is_private)
    if days and form.validate_on_submit():
        day = date.fromisoformat(form.day.data)
        services.log_day(me, plan, day, form.done.data, form.note.data or "",
                         form.is_private.data, now)
        flash(_("Saved for %(day)s. Every day you notice counts.", day=weekday_date(day)), "success")
        return redirect(url_for("goals.plan_log", plan_id=plan.id))
    return render_template("goals/log.html", plan=plan, goal=plan.goal, form=form, days=days,
                           week=services.week_days(plan.week_start), entries=entries,
                           today=local_today(now, me.time_zone),
                           earlier=services.last_plan_before(plan.goal_id, plan.week_start))


# --- printable summary -----------------------------------------------------------------------


@bp.get("/summary")
@roles_required(Role.PARTICIPANT)
def print_summary():
    summary = services.home_summary(_me(), utcnow())
    return render_template("goals/summary.html", summary=summary)

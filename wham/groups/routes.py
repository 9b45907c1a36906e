"""Group pages: my groups, joining, the group page, sessions and attendance, wins, 1:1 notes,
the facilitator's dashboard with its flags and CSV exports, and the admin's group pages under
/admin/groups."""
from __future__ import annotations

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from wham.accounts.forms import ConfirmForm
from wham.accounts.models import Role, User
from wham.extensions import db
from wham.groups import dashboard as group_dashboard
from wham.groups import flags as follow_up
from wham.groups import services
from wham.groups.dashboard_view import member_table_rows
from wham.groups.forms import (
    AcknowledgeFlagForm,
    FacilitatorGroupForm,
    GroupForm,
    JoinCodeForm,
    JoinForm,
    MoveMemberForm,
    MoveSessionForm,
    PeerNoteForm,
    WinForm,
    attendance_form_class,
    member_field_name,
)
from wham.groups.models import Group
from wham.groups.my_groups_view import group_cards
from wham.i18n import format_moment
from wham.links import public_url
from wham.permissions import (
    facilitated_groups,
    facilitates,
    load_facilitated_group,
    load_group_flag_for,
    load_group_for,
    load_group_member_for,
    load_group_session_for,
    load_membership_for,
    roles_required,
)
from wham.timeutil import local_today, utcnow

bp = Blueprint("groups", __name__)


@bp.app_template_filter("group_time")
def group_time(moment, group: Group) -> str:
    """A session time in the group's own time zone (where people meet), e.g. "Tue, Sep 15, 6:00 PM"
    or "mar, 15 sept, 18:00"."""
    return format_moment(services.to_local(moment, group.time_zone))


@bp.app_template_filter("flag_label")
def flag_label(reason) -> str:
    return follow_up.reason_label(reason)


@bp.app_template_test("crisis_flag")
def crisis_flag(flag) -> bool:
    return follow_up.is_crisis(flag.reason)


def _me() -> User:
    return current_user._get_current_object()


# --- everyone's groups -------------------------------------------------------------------


@bp.get("/groups")
@roles_required(Role.PEER_SPECIALIST, Role.PARTICIPANT)
def my_groups():
    if current_user.role == Role.PEER_SPECIALIST:
        groups = services.group_list(facilitated_groups, current_user, utcnow(), attention=True)
        return render_template("groups/my_groups.html",
                               cards=group_cards(groups, facilitating=True))
    return _participant_groups(JoinCodeForm())


def _participant_groups(code_form: JoinCodeForm):
    groups = services.group_list(services.member_groups, current_user, utcnow())
    return render_template("groups/my_groups.html", cards=group_cards(groups, facilitating=False),
                           code_form=code_form)


@bp.route("/groups/new", methods=["GET", "POST"])
@roles_required(Role.PEER_SPECIALIST)
def new_group():
    """A peer specialist starts a group; they are its facilitator (an admin can add others)."""
    form = FacilitatorGroupForm()
    if request.method == "GET":
        form.time_zone.data = current_user.time_zone
    if form.validate_on_submit():
        group = services.create_group(_me(), _details(form), [current_user.id], utcnow())
        flash(_("The group is created. Share the join code %(code)s with the people you invite.",
                code=group.join_code), "success")
        return redirect(url_for("groups.group", group_id=group.id))
    return render_template("groups/new_group.html", form=form)


@bp.post("/groups/join")
@roles_required(Role.PARTICIPANT)
def join_by_code():
    form = JoinCodeForm()
    if form.validate_on_submit():
        group = services.find_group_by_code(form.code.data)
        if group is not None:
            return redirect(url_for("groups.join", code=group.join_code))
        form.code.errors.append(_("This code doesn't match a group. Check it with your facilitator."))
    return _participant_groups(form)


@bp.route("/join/<code>", methods=["GET", "POST"])
@roles_required(Role.PARTICIPANT)
def join(code: str):
    group = services.find_group_by_code(code)
    if group is None:
        abort(404)
    if services.active_membership(group.id, current_user.id) is not None:
        flash(_("You are already in this group."), "success")
        return redirect(url_for("groups.group", group_id=group.id))
    form = JoinForm()
    if form.validate_on_submit():
        try:
            services.join_group(_me(), group, services.NOTICE_VERSION, utcnow())
        except services.GroupError as refused:
            db.session.rollback()
            if str(refused) == "full":
                form.form_errors.append(_("Sorry, this group is full. Ask your facilitator about "
                                          "another group."))
            else:
                form.form_errors.append(_("We couldn't add you to this group. Please try again."))
        else:
            flash(_("Welcome to %(name)s!", name=group.name), "success")
            return redirect(url_for("groups.group", group_id=group.id))
    return render_template("groups/join.html", group=group, form=form,
                           facilitators=[link.user for link in group.facilitator_links],
                           full=services.is_full(group), sessions=_sessions(group))


# --- the group page ------------------------------------------------------------------------


def _sessions(group: Group):
    return [(s, services.session_local_start(s, group)) for s in group.sessions]


@bp.get("/groups/<int:group_id>")
@roles_required(Role.PEER_SPECIALIST, Role.PARTICIPANT, Role.ADMIN)
def group(group_id: int):
    group = load_group_for(current_user, group_id)
    now = utcnow()
    if current_user.role == Role.PARTICIPANT:
        return render_template("groups/member_view.html", group=group, sessions=_sessions(group),
                               wins=services.wins_for(group), win_form=WinForm(),
                               form=ConfirmForm(), now=now,
                               facilitators=[link.user for link in group.facilitator_links])
    services.record_group_view(_me(), group, now)
    rows = services.member_rows(group, now)
    # Wins are shared with the group: its members and facilitators, not the program admin.
    wins = services.wins_for(group) if current_user.role != Role.ADMIN else None
    return render_template(
        "groups/group.html", group=group, sessions=_sessions(group), wins=wins, now=now,
        rows=rows,
        present_by_session=services.attendance_by_session(group),
        is_facilitator=facilitates(current_user, group),
        invite_link=public_url("groups.join", code=group.join_code),
        facilitators=[link.user for link in group.facilitator_links])


@bp.post("/groups/<int:group_id>/leave")
@roles_required(Role.PARTICIPANT)
def leave(group_id: int):
    membership = load_membership_for(current_user, group_id)
    name = membership.group.name
    services.leave_group(_me(), membership, utcnow())
    flash(_("You have left %(name)s. Your facilitator no longer sees your new information.",
            name=name), "success")
    return redirect(url_for("groups.my_groups"))


@bp.post("/groups/<int:group_id>/wins")
@roles_required(Role.PARTICIPANT)
def share_win(group_id: int):
    membership = load_membership_for(current_user, group_id)
    form = WinForm()
    if form.validate_on_submit():
        services.share_win(_me(), membership, form.text.data, utcnow())
        flash(_("Your win is shared with the group."), "success")
        return redirect(url_for("groups.group", group_id=group_id))
    group = membership.group
    return render_template("groups/member_view.html", group=group, sessions=_sessions(group),
                           wins=services.wins_for(group), win_form=form, form=ConfirmForm(),
                           now=utcnow(), facilitators=[link.user for link in group.facilitator_links])


# --- sessions and attendance (facilitators) ------------------------------------------------


def _attendance_form(session, members, data=None):
    form_class = attendance_form_class([(m.user_id, m.user.display_name) for m in members])
    return form_class(formdata=data)


@bp.route("/groups/<int:group_id>/sessions/<int:session_id>", methods=["GET", "POST"])
@roles_required(Role.PEER_SPECIALIST)
def group_session(group_id: int, session_id: int):
    session = load_group_session_for(current_user, group_id, session_id)
    group = session.group
    members = services.active_members(group)
    form = _attendance_form(session, members, request.form if request.method == "POST" else None)
    if request.method == "GET":
        marked = services.attendance_for(session)
        for m in members:
            status = marked.get(m.user_id)
            getattr(form, member_field_name(m.user_id)).data = status.value if status else None
        form.notes.data = session.notes or ""
    if form.validate_on_submit():
        statuses = {m.user_id: getattr(form, member_field_name(m.user_id)).data or None
                    for m in members}
        services.record_attendance(_me(), session, statuses, form.notes.data, utcnow())
        flash(_("Attendance for session %(n)s is saved.", n=session.number), "success")
        return redirect(url_for("groups.group", group_id=group.id))
    local = services.session_local_start(session, group)
    move_form = MoveSessionForm(formdata=None, day=local.date(), at=local.time())
    return render_template("groups/session.html", group=group, session=session, local=local,
                           form=form, members=members, move_form=move_form,
                           confirm_form=ConfirmForm(), member_field_name=member_field_name)


@bp.post("/groups/<int:group_id>/sessions/<int:session_id>/move")
@roles_required(Role.PEER_SPECIALIST)
def move_session(group_id: int, session_id: int):
    session = load_group_session_for(current_user, group_id, session_id)
    group = session.group
    move_form = MoveSessionForm()
    if move_form.validate_on_submit():
        services.move_session(_me(), session, move_form.day.data, move_form.at.data, utcnow())
        flash(_("Session %(n)s is moved.", n=session.number), "success")
        return redirect(url_for("groups.group_session", group_id=group.id, session_id=session.id))
    members = services.active_members(group)
    return render_template("groups/session.html", group=group, session=session,
                           local=services.session_local_start(session, group),
                           form=_attendance_form(session, members), members=members,
                           move_form=move_form, confirm_form=ConfirmForm(),
                           member_field_name=member_field_name)


@bp.post("/groups/<int:group_id>/sessions/<int:session_id>/cancel")
@roles_required(Role.PEER_SPECIALIST)
def cancel_session(group_id: int, session_id: int):
    session = load_group_session_for(current_user, group_id, session_id)
    if ConfirmForm().validate_on_submit():
        cancelled = request.form.get("cancelled") != "0"
        services.set_session_cancelled(_me(), session, cancelled, utcnow())
        flash(_("Session %(n)s is cancelled.", n=session.number) if cancelled
              else _("Session %(n)s is back on.", n=session.number), "success")
    return redirect(url_for("groups.group_session", group_id=group_id, session_id=session.id))


# --- 1:1 peer support notes (facilitators) -------------------------------------------------


@bp.route("/groups/<int:group_id>/members/<int:member_id>", methods=["GET", "POST"])
@roles_required(Role.PEER_SPECIALIST)
def member(group_id: int, member_id: int):
    group, membership = load_group_member_for(current_user, group_id, member_id)
    form = PeerNoteForm()
    if form.validate_on_submit():
        services.add_peer_note(_me(), membership.user, form.body.data, utcnow())
        flash(_("Your note is saved."), "success")
        return redirect(url_for("groups.member", group_id=group.id, member_id=member_id))
    now = utcnow()
    notes = services.read_peer_notes(_me(), membership.user, now)
    flags = follow_up.flags_of(_me(), membership.user, now)
    return render_template("groups/member.html", group=group, membership=membership,
                           person=membership.user, notes=notes, form=form, flags=flags,
                           names=follow_up.acknowledged_by_names(flags))


@bp.route("/groups/<int:group_id>/members/<int:member_id>/flags/<int:flag_id>",
          methods=["GET", "POST"])
@roles_required(Role.PEER_SPECIALIST)
def flag(group_id: int, member_id: int, flag_id: int):
    """One flag: what it is about, and acknowledging it with a note of the 1:1 contact."""
    group, membership, flag = load_group_flag_for(current_user, group_id, member_id, flag_id)
    form = AcknowledgeFlagForm()
    if flag.acknowledged_at is None and form.validate_on_submit():
        try:
            follow_up.acknowledge_flag(_me(), flag, form.note.data, utcnow())
        except follow_up.AlreadyAcknowledged:
            form.note.errors.append(_("Another facilitator acknowledged this flag a moment ago; "
                                      "their note is kept. Save yours as a 1:1 note instead."))
        else:
            flash(_("Flag acknowledged for %(name)s. Your note is saved.",
                    name=membership.user.display_name), "success")
            return redirect(url_for("groups.dashboard", group_id=group.id))
    elif request.method == "GET":
        follow_up.record_flag_read(_me(), membership.user, flag, utcnow())
    return render_template("groups/flag.html", group=group, membership=membership,
                           person=membership.user, flag=flag, form=form,
                           names=follow_up.acknowledged_by_names([flag]))


# --- the facilitator's dashboard and exports ------------------------------------------------


@bp.get("/groups/<int:group_id>/dashboard")
@roles_required(Role.PEER_SPECIALIST)
def dashboard(group_id: int):
    group = load_facilitated_group(current_user, group_id)
    now = utcnow()
    members = services.active_members(group)
    rows = group_dashboard.member_rows(group, now, members)
    page = render_template("groups/dashboard.html", group=group, rows=rows,
                           table_rows=member_table_rows(group.id, rows, now),
                           upcoming=services.next_session(group, now))
    # Audited once the page is made, so a page that failed leaves no trace.
    group_dashboard.record_dashboard_view(_me(), group, rows, now)
    return page


@bp.get("/groups/<int:group_id>/summary")
@roles_required(Role.PEER_SPECIALIST)
def summary(group_id: int):
    group = load_facilitated_group(current_user, group_id)
    now = utcnow()
    rollup = group_dashboard.group_rollup(group, now)
    page = render_template("groups/summary.html", group=group, rollup=rollup)
    group_dashboard.record_summary_view(_me(), group, now)
    return page


def _csv_download(body: str, group: Group, what: str, now) -> Response:
    name = f"group-{group.id}-{what}-{local_today(now, current_user.time_zone).isoformat()}.csv"
    return Response(body, mimetype="text/csv", headers={
        "Content-Disposition": f'attachment; filename="{name}"', "Cache-Control": "no-store"})


@bp.get("/groups/<int:group_id>/export/members.csv")
@roles_required(Role.PEER_SPECIALIST)
def export_members(group_id: int):
    group = load_facilitated_group(current_user, group_id)
    now = utcnow()
    rows = group_dashboard.member_rows(group, now)
    response = _csv_download(group_dashboard.members_csv(rows), group, "members", now)
    group_dashboard.record_export(_me(), group, "members", [r.user.id for r in rows], now)
    return response


@bp.get("/groups/<int:group_id>/export/summary.csv")
@roles_required(Role.PEER_SPECIALIST)
def export_summary(group_id: int):
    group = load_facilitated_group(current_user, group_id)
    now = utcnow()
    members = services.active_members(group)
    body = group_dashboard.rollup_csv(group, group_dashboard.group_rollup(group, now, members))
    response = _csv_download(body, group, "summary", now)
    group_dashboard.record_export(_me(), group, "summary", [m.user_id for m in members], now)
    return response


# --- admin ----------------------------------------------------------------------------------


def _group_form(group: Group | None = None, *, bound: bool = True) -> GroupForm:
    """The group form; `bound=False` shows the saved group, ignoring any posted data."""
    if group is None:
        form = GroupForm()
    else:
        form = GroupForm(obj=group) if bound else GroupForm(formdata=None, obj=group)
    peers = db.session.scalars(select(User).where(User.role == Role.PEER_SPECIALIST)
                               .order_by(User.display_name, User.id))
    form.facilitators.choices = [(str(p.id), p.display_name) for p in peers]
    if group is not None and (request.method == "GET" or not bound):
        form.facilitators.data = [str(link.user_id) for link in group.facilitator_links]
        form.weekday.data = str(group.weekday)
    return form


def _details(form: GroupForm | FacilitatorGroupForm) -> services.GroupDetails:
    return services.GroupDetails(
        name=form.name.data, start_date=form.start_date.data, weekday=int(form.weekday.data),
        local_time=form.local_time.data, time_zone=form.time_zone.data,
        session_count=form.session_count.data, capacity=form.capacity.data,
        place=form.place.data, video_link=form.video_link.data)


@bp.get("/admin/groups")
@roles_required(Role.ADMIN)
def admin_groups():
    groups = list(db.session.scalars(select(Group).order_by(Group.name, Group.id)))
    return render_template("groups/admin_groups.html", groups=groups,
                           upcoming=services.next_sessions([g.id for g in groups], utcnow()))


@bp.route("/admin/groups/new", methods=["GET", "POST"])
@roles_required(Role.ADMIN)
def admin_new_group():
    form = _group_form()
    if form.validate_on_submit():
        group = services.create_group(_me(), _details(form),
                                      [int(i) for i in form.facilitators.data], utcnow())
        flash(_("The group is created. Its join code is %(code)s.", code=group.join_code), "success")
        return redirect(url_for("groups.admin_edit_group", group_id=group.id))
    return render_template("groups/admin_group_form.html", form=form, group=None)


def _move_form(group: Group, members) -> MoveMemberForm:
    form = MoveMemberForm()
    form.member.choices = [(str(m.user_id), m.user.display_name) for m in members]
    others = db.session.scalars(select(Group).where(Group.id != group.id).order_by(Group.name))
    form.target.choices = [(str(g.id), g.name) for g in others]
    return form


@bp.route("/admin/groups/<int:group_id>", methods=["GET", "POST"])
@roles_required(Role.ADMIN)
def admin_edit_group(group_id: int):
    group = db.get_or_404(Group, group_id)
    form = _group_form(group)
    if form.validate_on_submit():
        services.update_group(_me(), group, _details(form),
                              [int(i) for i in form.facilitators.data], utcnow())
        flash(_("The group is saved."), "success")
        return redirect(url_for("groups.admin_edit_group", group_id=group.id))
    members = services.active_members(group)
    return render_template("groups/admin_group_form.html", form=form, group=group,
                           members=members, move_form=_move_form(group, members),
                           invite_link=public_url("groups.join", code=group.join_code))


@bp.post("/admin/groups/<int:group_id>/move-member")
@roles_required(Role.ADMIN)
def admin_move_member(group_id: int):
    group = db.get_or_404(Group, group_id)
    members = services.active_members(group)
    move_form = _move_form(group, members)
    if move_form.validate_on_submit():
        membership = next(m for m in members if str(m.user_id) == move_form.member.data)
        target = db.session.get(Group, int(move_form.target.data))
        try:
            services.move_member(_me(), membership, target, utcnow())
        except services.GroupError as refused:
            db.session.rollback()
            move_form.target.errors.append(
                _("That group is full.") if str(refused) == "full"
                else _("This person is already in that group."))
        else:
            flash(_("%(name)s is moved to %(group)s.", name=membership.user.display_name,
                    group=target.name), "success")
            return redirect(url_for("groups.admin_edit_group", group_id=group.id))
    form = _group_form(group, bound=False)
    return render_template("groups/admin_group_form.html", form=form, group=group,
                           members=members, move_form=move_form,
                           invite_link=public_url("groups.join", code=group.join_code))

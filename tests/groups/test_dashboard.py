"""The facilitator's dashboard: member rows with a chosen `now` (check-in status in each
member's own weeks, days done, attendance since joining, order), the roll-up, the pages and
CSV exports (no free text, no formulas, audited, 404 for everyone else), acknowledging a flag,
private log notes never shown, and a flat query count for 5 or 60 members and 2 or 16 weeks."""
from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime, time, timedelta

import pytest
from flask import url_for
from sqlalchemy import func, select

from tests.factories import make_admin, make_participant, make_peer_specialist
from tests.goals.factories import make_goal
from tests.groups.factories import add_check_in, make_flag, make_group
from tests.hostile import assert_hostile_input_handled
from tests.web import login, post_form
from wham import scheduler
from wham.accounts.models import User
from wham.audit import AuditEvent
from wham.checkins.models import Flag, FlagReason
from wham.extensions import db
from wham.goals import services as goals
from wham.goals.models import ActionPlan, Done, Goal, LogEntry
from wham.groups import dashboard, forms
from wham.groups.dashboard import CheckInStatus
from wham.groups.models import Attendance, AttendanceStatus, Group, GroupSession
from wham.timeutil import local_to_utc, local_today, participant_week_start, utcnow

# Wednesday 18 November 2026, noon in New York: this week is Nov 16, last week (Nov 9) has
# just closed for check-ins in New York.
NOW = datetime(2026, 11, 18, 17, 0, tzinfo=UTC)
NOV_2, NOV_9, NOV_16 = date(2026, 11, 2), date(2026, 11, 9), date(2026, 11, 16)


def _group(app, peer, people, joined, **details):
    return make_group(app, [peer], people, now=joined, capacity=100, **details)


def _rows(app, group_id, now=NOW) -> dict[str, dashboard.MemberRow]:
    with app.app_context():
        group = db.session.get(Group, group_id)
        rows = dashboard.member_rows(group, now)
        db.session.commit()
        return {r.user.display_name: r for r in rows}


def _plan(app, person, goal_id, week, planned, yes_days, confidence=7):
    """A weekly plan for a past week (the goals service only writes this week's)."""
    with app.app_context():
        plan = ActionPlan(goal_id=goal_id, user_id=person.id, week_start=week, what="Walk",
                          how_much="10 minutes", when="after lunch", days_planned=planned,
                          confidence=confidence)
        plan.entries = [LogEntry(user_id=person.id, day=week + timedelta(days=d),
                                 done=Done.YES if d < yes_days else Done.NO)
                        for d in range(7)]
        db.session.add(plan)
        db.session.commit()


# --- member rows --------------------------------------------------------------------------------


def test_check_in_status_is_for_the_week_that_matters_now_in_each_members_zone(app):
    peer = make_peer_specialist(app)
    done = make_participant(app, display_name="Done")
    missed = make_participant(app, display_name="Missed")
    early = make_participant(app, display_name="Early")
    honolulu = make_participant(app, display_name="Honolulu", time_zone="Pacific/Honolulu")
    group = _group(app, peer, [done, missed, early, honolulu], joined=NOW - timedelta(weeks=6))
    add_check_in(app, done, NOV_9)
    add_check_in(app, early, NOV_16, saved_at=NOW)
    # Wednesday 00:00 in New York, 7 pm Tuesday in Honolulu.
    midnight_new_york = datetime(2026, 11, 18, 5, 0, tzinfo=UTC)
    rows = _rows(app, group.id, midnight_new_york)
    seen = {name: (r.check_in_status, r.check_in_week) for name, r in rows.items()}
    assert seen == {"Done": (CheckInStatus.DONE, NOV_9), "Missed": (CheckInStatus.MISSED, NOV_9),
                    "Early": (CheckInStatus.DONE, NOV_16),
                    "Honolulu": (CheckInStatus.DUE, NOV_9)}
    tuesday = datetime(2026, 11, 17, 17, 0, tzinfo=UTC)
    assert _rows(app, group.id, tuesday)["Missed"].check_in_status == CheckInStatus.DUE
    # From Saturday the app asks for this week's check-in: due again, for Nov 16.
    saturday = datetime(2026, 11, 21, 17, 0, tzinfo=UTC)
    row = _rows(app, group.id, saturday)["Missed"]
    assert (row.check_in_status, row.check_in_week) == (CheckInStatus.DUE, NOV_16)


def test_days_done_of_planned_from_the_log_or_the_check_in(app):
    peer = make_peer_specialist(app)
    logged = make_participant(app, display_name="Logged")
    checked = make_participant(app, display_name="Checked in")
    no_plan = make_participant(app, display_name="No plan")
    group = _group(app, peer, [logged, checked, no_plan], joined=NOW - timedelta(weeks=6))
    for person in (logged, checked):
        goal = make_goal(app, person, plan=False, now=NOW - timedelta(weeks=5), what="Walk more")
        _plan(app, person, goal.id, NOV_9, planned=4, yes_days=2)
    add_check_in(app, checked, NOV_9, days_done=3)
    rows = _rows(app, group.id)
    assert (rows["Logged"].days_done, rows["Logged"].days_planned) == (2, 4)
    assert (rows["Checked in"].days_done, rows["Checked in"].days_planned) == (3, 4)
    assert (rows["No plan"].days_done, rows["No plan"].days_planned) == (None, None)
    assert (rows["Logged"].goal.factor, rows["Logged"].goal.title) == ("activity", "Walk more")
    assert rows["No plan"].goal is None


def test_attendance_counts_sessions_held_since_joining(app):
    peer = make_peer_specialist(app)
    early = make_participant(app, display_name="Early")
    late = make_participant(app, display_name="Late")
    first_day = local_today(NOW, "America/New_York") - timedelta(weeks=4)
    group = make_group(app, [peer], [early], now=NOW - timedelta(weeks=5), start_date=first_day,
                       weekday=first_day.weekday(), local_time=time(18, 0), capacity=10)
    with app.app_context():
        sessions = db.session.scalars(select(GroupSession).where(GroupSession.group_id == group.id)
                                      .order_by(GroupSession.number)).all()
        # Late joins after the second session; sessions 1-4 are held (5 is today, later on).
        group_row = db.session.get(Group, group.id)
        from wham.groups import services
        services.join_group(db.session.get(User, late.id), group_row, services.NOTICE_VERSION,
                            sessions[1].starts_at + timedelta(hours=3))
        sessions[2].is_cancelled = True
        marks = {(0, early.id): "present", (1, early.id): "absent", (3, early.id): "present",
                 (3, late.id): "present"}
        for (n, user_id), status in marks.items():
            db.session.add(Attendance(session_id=sessions[n].id, user_id=user_id,
                                      status=AttendanceStatus(status), recorded_at=NOW))
        db.session.commit()
    rows = _rows(app, group.id)
    assert (rows["Early"].attended, rows["Early"].held) == (2, 3)
    assert (rows["Late"].attended, rows["Late"].held) == (1, 1)


def test_members_with_a_crisis_come_first_then_anyone_flagged(app):
    peer = make_peer_specialist(app)
    names = ["Ann", "Bea", "Cal", "Dee"]
    people = {n: make_participant(app, display_name=n) for n in names}
    group = _group(app, peer, list(people.values()), joined=NOW - timedelta(days=2))
    make_flag(app, people["Dee"], FlagReason.SUPPORT_NOW, created_at=NOW - timedelta(days=1))
    make_flag(app, people["Dee"], FlagReason.WHO5_LOW, created_at=NOW - timedelta(days=1))
    make_flag(app, people["Cal"], FlagReason.CONFIDENCE_DROP, kind="follow_up")
    make_flag(app, people["Bea"], FlagReason.NOT_SEEN, acknowledged_at=NOW, note="Talked.")
    with app.app_context():
        rows = dashboard.member_rows(db.session.get(Group, group.id), NOW)
        order = [r.user.display_name for r in rows]
        dee = rows[0]
        assert [f.reason for f in dee.flags] == [FlagReason.SUPPORT_NOW, FlagReason.WHO5_LOW]
        assert dee.has_crisis and not rows[1].has_crisis
    assert order == ["Dee", "Cal", "Ann", "Bea"]


def test_sparklines_hold_eight_of_the_members_own_weeks_with_gaps(app):
    peer = make_peer_specialist(app)
    person = make_participant(app, display_name="Ann")
    group = _group(app, peer, [person], joined=NOW - timedelta(weeks=10))
    add_check_in(app, person, NOV_2, confidence=8, who5=64)
    add_check_in(app, person, NOV_16, confidence=5, who5=40, saved_at=NOW)
    row = _rows(app, group.id)["Ann"]
    assert [p.week_start for p in row.confidence][-1] == NOV_16 and len(row.confidence) == 8
    assert [p.value for p in row.confidence][-3:] == [8, None, 5]
    assert [p.value for p in row.wellbeing][-3:] == [64, None, 40]
    assert (row.latest_confidence, row.latest_wellbeing) == (5, 40)
    assert row.last_active == NOW


# --- the roll-up ---------------------------------------------------------------------------------


def test_rollup_by_week_counts_members_from_the_week_they_joined(app):
    peer = make_peer_specialist(app)
    a, b, c = (make_participant(app, display_name=n) for n in "ABC")
    first_day = date(2026, 11, 3)  # Tuesday of the week of Nov 2
    group = make_group(app, [peer], [a, b], now=datetime(2026, 10, 30, tzinfo=UTC),
                       start_date=first_day, weekday=1, local_time=time(18, 0), capacity=10)
    with app.app_context():
        from wham.groups import services
        services.join_group(db.session.get(User, c.id), db.session.get(Group, group.id),
                            services.NOTICE_VERSION, datetime(2026, 11, 10, 15, tzinfo=UTC))
    add_check_in(app, a, NOV_2, confidence=8)
    add_check_in(app, b, NOV_2, confidence=5)
    add_check_in(app, c, NOV_2, confidence=1)  # before C joined: not counted
    add_check_in(app, a, NOV_9, confidence=6)
    add_check_in(app, c, NOV_9, confidence=9)
    make_goal(app, a, factor="sleep", plan=False)
    make_goal(app, b, factor="sleep", plan=False)
    make_goal(app, c, factor="activity", plan=False)
    with app.app_context():
        rollup = dashboard.group_rollup(db.session.get(Group, group.id), NOW)
    weeks = [(w.week_start, w.checked_in, w.members, w.percent, w.average_confidence)
             for w in rollup.weeks]
    assert weeks == [(NOV_2, 2, 2, 100, 6.5), (NOV_9, 2, 3, 67, 7.5), (NOV_16, 0, 3, 0, None)]
    assert rollup.goals_by_factor == [("activity", 1), ("sleep", 2)]


def test_rollup_attendance_by_session(app):
    peer = make_peer_specialist(app)
    people = [make_participant(app) for _ in range(3)]
    first_day = local_today(NOW, "America/New_York") - timedelta(weeks=2)
    group = make_group(app, [peer], people, now=NOW - timedelta(weeks=3), start_date=first_day,
                       weekday=first_day.weekday(), local_time=time(9, 0))
    with app.app_context():
        sessions = db.session.scalars(select(GroupSession).where(GroupSession.group_id == group.id)
                                      .order_by(GroupSession.number)).all()
        for person, status in zip(people, ("present", "present", "excused"), strict=True):
            db.session.add(Attendance(session_id=sessions[0].id, user_id=person.id,
                                      status=AttendanceStatus(status), recorded_at=NOW))
        db.session.add(Attendance(session_id=sessions[1].id, user_id=people[0].id,
                                  status=AttendanceStatus.ABSENT, recorded_at=NOW))
        db.session.commit()
        rollup = dashboard.group_rollup(db.session.get(Group, group.id), NOW)
        held = [(s.session.number, s.present, s.excused, s.absent) for s in rollup.sessions]
    assert held == [(1, 2, 1, 0), (2, 0, 0, 1), (3, 0, 0, 0)]


# --- pages -------------------------------------------------------------------------------------


def _started(app, n=2, names=None):
    peer = make_peer_specialist(app, display_name="Jordan")
    people = [make_participant(app, display_name=(names or [])[i] if names else f"Member {i}")
              for i in range(n)]
    first_day = local_today(utcnow(), "America/New_York") - timedelta(weeks=3, days=-1)
    group = make_group(app, [peer], people, now=utcnow() - timedelta(weeks=3, days=1),
                       start_date=first_day, weekday=first_day.weekday(), capacity=100)
    return peer, people, group


def test_dashboard_shows_crisis_first_in_words_and_audits_each_member_shown(app, client):
    peer, (ann, ben), group = _started(app, names=["Ann", "Ben"])
    make_goal(app, ann, factor="sleep", what="Sleep by eleven")
    make_flag(app, ben, FlagReason.SUPPORT_NOW)
    login(client, peer)
    page = client.get(f"/groups/{group.id}/dashboard").get_data(as_text=True)
    assert "1 member asked for support now or may be in crisis." in page
    assert "Crisis:" in page and "Asked for support now" in page  # not colour alone
    assert page.index(">Ben</a>") < page.index(">Ann</a>")
    assert "Restful sleep" in page and "Sleep by eleven" in page
    assert 'role="img"' in page and "by week, oldest first" in page  # sparklines, with text
    with app.app_context():
        viewed = db.session.execute(select(AuditEvent.actor_id, AuditEvent.subject_id)
                                    .where(AuditEvent.action == "group.dashboard_viewed")).all()
    assert sorted(viewed) == sorted([(peer.id, ann.id), (peer.id, ben.id)])
    with app.app_context():
        shared = {(t, i, str(d), ip, at) for t, i, d, ip, at in db.session.execute(
            select(AuditEvent.object_type, AuditEvent.object_id, AuditEvent.details,
                   AuditEvent.ip_address, AuditEvent.occurred_at)
            .where(AuditEvent.action == "group.dashboard_viewed"))}
    [(object_type, object_id, details, ip_address, occurred_at)] = shared
    assert (object_type, object_id, details, ip_address) == ("Group", group.id, "{}", "127.0.0.1")
    assert abs(occurred_at - utcnow()) < timedelta(minutes=1)


def test_dashboard_rows_escape_what_people_typed_and_link_each_member_and_flag(app, client):
    peer, (ann, ben), group = _started(app, names=['<b>Ann</b> & "co"', "Ben"])
    make_goal(app, ann, factor="sleep", what="<script>alert(1)</script>")
    crisis = make_flag(app, ann, FlagReason.SUPPORT_NOW)
    follow_up = make_flag(app, ben, FlagReason.MISSED_CHECKINS)
    login(client, peer)
    page = client.get(f"/groups/{group.id}/dashboard").get_data(as_text=True)
    assert "<script>alert(1)" not in page and "<b>Ann</b>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    ann_link = f'<a href="/groups/{group.id}/members/{ann.id}">'
    assert f"{ann_link}&lt;b&gt;Ann&lt;/b&gt; &amp; &#34;co&#34;</a>" in page
    assert f'href="/groups/{group.id}/members/{ann.id}/flags/{crisis}"' in page
    assert f'href="/groups/{group.id}/members/{ben.id}/flags/{follow_up}"' in page
    assert 'class="flag-badge flag-crisis"' in page and 'class="flag-badge flag-follow-up"' in page
    assert f'id="spark-confidence-{ben.id}-title"' in page


def test_dashboard_rows_in_spanish(app, client):
    peer, (ann,), group = _started(app, n=1, names=["Ann"])
    with app.app_context():
        db.session.get(User, peer.id).language = "es"
        db.session.commit()
    make_flag(app, ann, FlagReason.SUPPORT_NOW)
    login(client, peer)
    page = client.get(f"/groups/{group.id}/dashboard").get_data(as_text=True)
    assert 'data-label="Asistencia"' in page and "Sin meta activa" in page
    assert "Confidence" not in page and "Wellbeing" not in page and "No active goal" not in page


def test_dashboard_shows_the_flags_the_scheduler_raised_and_raises_none_itself(app, client):
    peer, (quiet,), group = _started(app, n=1)
    login(client, peer)
    before = client.get(f"/groups/{group.id}/dashboard").get_data(as_text=True)
    with app.app_context():  # joined three weeks ago, and nothing since: due, but not raised
        assert db.session.scalar(select(func.count()).select_from(Flag)) == 0
    assert "Not seen for 14 days" not in before
    scheduler.raise_group_flags(app)
    page = client.get(f"/groups/{group.id}/dashboard").get_data(as_text=True)
    assert "Not seen for 14 days" in page
    with app.app_context():
        reasons = set(db.session.scalars(select(Flag.reason).where(Flag.user_id == quiet.id)))
    assert FlagReason.NOT_SEEN in reasons


def test_my_groups_says_how_many_need_a_follow_up(app, client):
    peer, (ann, ben), group = _started(app, names=["Ann", "Ben"])
    make_flag(app, ann, FlagReason.SUPPORT_NOW)
    make_flag(app, ann, FlagReason.WHO5_LOW)
    make_flag(app, ben, FlagReason.NOT_SEEN, kind="follow_up")
    other = make_participant(app, display_name="Cy")
    make_group(app, [peer], [other], name="Another group")  # listed first, by name
    make_flag(app, other, FlagReason.MISSED_CHECKINS, kind="follow_up")
    make_group(app, [peer], [ann], name="Quiet group")  # Ann's flags count in each of her groups
    make_group(app, [peer], name="Zebra group")
    login(client, peer)
    cards = client.get("/groups").get_data(as_text=True).split('<li class="card">')[1:]
    crisis = '<span class="flag-badge flag-crisis"><span class="flag-icon" aria-hidden="true">⚠</span> '
    follow_up = ('<span class="flag-badge flag-follow-up"><span class="flag-icon" aria-hidden="true">'
                 '●</span> ')
    assert len(cards) == 4
    assert crisis not in cards[0] and f"{follow_up}1 member needs a follow-up</span>" in cards[0]
    assert f"{crisis}1 in crisis or asking for support now</span>" in cards[1]  # Quiet group
    assert f"{follow_up}1 member needs a follow-up</span>" in cards[1]
    assert f"{crisis}1 in crisis or asking for support now</span>" in cards[2]  # Ann and Ben's
    assert f"{follow_up}2 members need a follow-up</span>" in cards[2]
    assert "flag-badge" not in cards[3] and '<span class="muted">No one needs a follow-up.</span>' \
        in cards[3]
    spanish = app.test_client()
    with app.app_context():
        db.session.get(User, peer.id).language = "es"
        db.session.commit()
    login(spanish, peer)
    cards = spanish.get("/groups").get_data(as_text=True).split('<li class="card">')[1:]
    assert "1 miembro necesita seguimiento" in cards[0] and "en crisis" not in cards[0]
    assert "1 en crisis o pidiendo apoyo ahora" in cards[2]
    assert "2 miembros necesitan seguimiento" in cards[2]
    assert "Nadie necesita seguimiento." in cards[3]


def test_acknowledging_a_flag_with_a_note(app, client):
    peer, (ann,), group = _started(app, n=1, names=["Ann"])
    flag_id = make_flag(app, ann, FlagReason.SUPPORT_NOW)
    url = f"/groups/{group.id}/members/{ann.id}/flags/{flag_id}"
    login(client, peer)
    page = client.get(url).get_data(as_text=True)
    assert "Asked for support now" in page and "988" in page
    refused = post_form(client, url, {"note": "   "})
    assert refused.status_code == 200 and 'id="note-error"' in refused.get_data(as_text=True)
    done = post_form(client, url, {"note": "Called Ann; she is safe, coming Tuesday."})
    assert done.status_code == 302 and done.headers["Location"].endswith(f"/groups/{group.id}/dashboard")
    member_page = client.get(f"/groups/{group.id}/members/{ann.id}").get_data(as_text=True)
    assert "Called Ann; she is safe, coming Tuesday." in member_page and "Jordan" in member_page
    again = post_form(client, url, {"note": "Overwritten?"})
    assert again.status_code == 200 and "Acknowledge flag" not in again.get_data(as_text=True)
    with app.app_context():
        flag = db.session.get(Flag, flag_id)
        assert (flag.note, flag.acknowledged_by_id) == ("Called Ann; she is safe, coming Tuesday.",
                                                        peer.id)
        assert db.session.scalar(select(func.count()).select_from(AuditEvent).where(
            AuditEvent.action == "flag.acknowledged")) == 1


def test_a_flag_is_reached_only_through_its_own_member_and_group(app, client):
    peer, (ann, ben), group = _started(app, names=["Ann", "Ben"])
    other_peer, (stranger,), other_group = _started(app, n=1)
    ann_flag, stranger_flag = make_flag(app, ann), make_flag(app, stranger)
    login(client, peer)
    assert client.get(f"/groups/{group.id}/members/{ann.id}/flags/{ann_flag}").status_code == 200
    assert client.get(f"/groups/{group.id}/members/{ben.id}/flags/{ann_flag}").status_code == 404
    assert client.get(f"/groups/{group.id}/members/{ann.id}/flags/{stranger_flag}").status_code == 404
    assert client.get(f"/groups/{other_group.id}/members/{stranger.id}/flags/"
                      f"{stranger_flag}").status_code == 404
    response = post_form(client, f"/groups/{other_group.id}/members/{stranger.id}/flags/"
                                 f"{stranger_flag}", {"note": "Nope"})
    assert response.status_code == 404
    with app.app_context():
        assert db.session.get(Flag, stranger_flag).acknowledged_at is None


def test_hostile_input_on_the_acknowledge_form(app, client):
    peer, (ann,), group = _started(app, n=1)
    flag_id = make_flag(app, ann)

    def reopen():
        with app.app_context():
            flag = db.session.get(Flag, flag_id)
            flag.acknowledged_at, flag.acknowledged_by_id, flag.note = None, None, ""
            db.session.commit()

    login(client, peer)
    tried = assert_hostile_input_handled(
        app, client, f"/groups/{group.id}/members/{ann.id}/flags/{flag_id}",
        forms.AcknowledgeFlagForm, {"note": "Called, all good."}, before_each=reopen)
    assert tried >= 8


# --- exports ----------------------------------------------------------------------------------


def _csv_rows(response) -> list[list[str]]:
    return list(csv.reader(io.StringIO(response.get_data(as_text=True))))


def test_member_export_has_numbers_and_codes_only_and_is_audited(app, client):
    peer, (ann, evil), group = _started(app, names=["Ann", '=HYPERLINK("http://x.example","Hi")'])
    goal = make_goal(app, ann, factor="sleep", what="GOAL-TITLE-MARKER")
    with app.app_context():
        db.session.get(Goal, goal.id).why = "GOAL-WHY-MARKER"
        db.session.commit()
    make_flag(app, ann, FlagReason.SUPPORT_NOW)
    make_flag(app, evil, FlagReason.NOT_SEEN, acknowledged_at=utcnow(), note="NOTE-MARKER")
    login(client, peer)
    response = client.get(f"/groups/{group.id}/export/members.csv")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    body = response.get_data(as_text=True)
    for marker in ("GOAL-TITLE-MARKER", "GOAL-WHY-MARKER", "NOTE-MARKER"):
        assert marker not in body
    header, *rows = _csv_rows(response)
    assert header == dashboard.MEMBER_COLUMNS
    by_name = {row[0]: dict(zip(header, row, strict=True)) for row in rows}
    assert by_name["Ann"]["goal_factor"] == "sleep"
    assert by_name["Ann"]["open_flags"].split(";")[0] == "support_now"  # crisis first, as codes
    assert "'=HYPERLINK(\"http://x.example\",\"Hi\")" in by_name  # shown as text, never run
    with app.app_context():
        events = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "group.exported")).all()
        assert [(e.actor_id, e.object_id, e.details["what"], e.details["member_ids"])
                for e in events] == [(peer.id, group.id, "members", sorted([ann.id, evil.id]))]


def test_summary_page_shows_the_rollup_and_is_audited_once_for_the_group(app, client):
    peer, (ann, ben), group = _started(app, names=["Ann", "Ben"])
    make_goal(app, ann, factor="sleep", plan=False)
    with app.app_context():
        this_week = participant_week_start(utcnow(), ben.time_zone)
    add_check_in(app, ben, this_week, confidence=6)
    login(client, peer)
    dashboard_page = client.get(f"/groups/{group.id}/dashboard").get_data(as_text=True)
    assert f'href="/groups/{group.id}/summary"' in dashboard_page
    page = client.get(f"/groups/{group.id}/summary").get_data(as_text=True)
    assert "Check-ins by week" in page and "1 of 2 <span class=\"muted\">(50%)</span>" in page
    assert "Restful sleep: <strong>1</strong>" in page
    assert "Attendance by session" in page and "Download summary (CSV)" in page
    with app.app_context():
        events = db.session.execute(select(AuditEvent.actor_id, AuditEvent.object_id).where(
            AuditEvent.action == "group.summary_viewed")).all()
    assert events == [(peer.id, group.id)]  # members see it: tests/family/test_routes.py


def test_summary_export_is_the_rollup_and_is_audited(app, client):
    peer, (ann, ben), group = _started(app, names=["Ann", "Ben"])
    make_goal(app, ann, factor="sleep", plan=False)
    login(client, peer)
    response = client.get(f"/groups/{group.id}/export/summary.csv")
    header, *rows = _csv_rows(response)
    assert header == dashboard.ROLLUP_COLUMNS
    sections = {row[0] for row in rows}
    assert {"check_ins_by_week", "active_goals_by_factor", "attendance_present"} <= sections
    assert ["active_goals_by_factor", "sleep", "1", "", "", ""] in rows
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(AuditEvent).where(
            AuditEvent.action == "group.exported")) == 1


def test_exports_and_dashboard_answer_404_to_anyone_not_facilitating(app):
    peer, (ann,), group = _started(app, n=1)
    other_peer = make_peer_specialist(app)
    make_group(app, [other_peer], [make_participant(app)])
    visitors = {"other facilitator": other_peer, "admin": make_admin(app), "member": ann}
    for path in ("dashboard", "summary", "export/members.csv", "export/summary.csv"):
        for who, user in visitors.items():
            client = app.test_client()
            login(client, user)
            assert client.get(f"/groups/{group.id}/{path}").status_code == 404, (who, path)
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(AuditEvent).where(
            AuditEvent.action.in_(["group.exported", "group.dashboard_viewed",
                                   "group.summary_viewed"]))) == 0


# --- private log notes ----------------------------------------------------------------------


def test_private_log_notes_never_reach_a_facilitator_page_or_export(app, client):
    marker = "PRIVATE-7c1e9b"
    peer, (ann,), group = _started(app, n=1, names=["Ann"])
    goal = make_goal(app, ann, what="Walk after lunch")
    now = utcnow()
    with app.app_context():
        person = db.session.get(User, ann.id)
        plan = db.session.get(ActionPlan, goal.plan_id)
        today = local_today(now, person.time_zone)
        goals.log_day(person, plan, today, Done.YES, f"{marker} my own thoughts", True, now)
        flag = Flag(user_id=ann.id, reason=FlagReason.SUPPORT_NOW, created_at=now, note="")
        db.session.add(flag)
        db.session.commit()
        values = {"group_id": group.id, "member_id": ann.id, "flag_id": flag.id,
                  "session_id": group.session_ids[0]}
        with app.test_request_context():
            urls = [url_for(rule.endpoint, **{k: values[k] for k in rule.arguments})
                    for rule in app.url_map.iter_rules()
                    if "GET" in rule.methods and rule.arguments <= values.keys()
                    and rule.endpoint != "static"]
    login(client, peer)
    seen = 0
    for url in urls:
        response = client.get(url)
        if response.status_code == 200:
            seen += 1
            assert marker not in response.get_data(as_text=True), url
    # The facilitator's pages about this member and group were all among them.
    for must in ("/dashboard", "/export/members.csv", "/export/summary.csv",
                 f"/members/{ann.id}", f"/flags/{values['flag_id']}"):
        assert any(u.endswith(must) for u in urls), must
    assert seen >= 8
    with app.app_context():  # and the note is there, for the participant
        assert db.session.scalar(select(LogEntry.note).where(LogEntry.user_id == ann.id)).startswith(marker)


# --- queries do not grow with members or history ----------------------------------------------


def _busy_group(app, members: int, weeks: int) -> tuple[User, int]:
    """A started group whose members each have a goal, a plan and log for this week,
    `weeks` weeks of check-ins, attendance and an open flag."""
    now = utcnow()
    peer, people, group = _started(app, n=members)
    with app.app_context():
        sessions = db.session.scalars(select(GroupSession).where(
            GroupSession.group_id == group.id, GroupSession.starts_at <= now)).all()
        for n, person in enumerate(people):
            week = participant_week_start(now, person.time_zone)
            goal = Goal(user_id=person.id, factor="sleep", what="Sleep more", created_at=now,
                        status_changed_at=now)
            db.session.add(goal)
            db.session.flush()
            plan = ActionPlan(goal_id=goal.id, user_id=person.id, week_start=week, what="Bed",
                              how_much="by 11", when="nightly", days_planned=5, confidence=8)
            plan.entries = [LogEntry(user_id=person.id, day=week, done=Done.YES, note="ok")]
            db.session.add(plan)
            for w in range(weeks):
                start = week - timedelta(weeks=w + 1)
                at = local_to_utc(start + timedelta(days=4), time(12), person.time_zone)
                db.session.add(make_check_in_row(person.id, start, at, confidence=5 + (n + w) % 5))
            for session in sessions:
                db.session.add(Attendance(session_id=session.id, user_id=person.id,
                                          status=AttendanceStatus.PRESENT, recorded_at=now))
            db.session.add(Flag(user_id=person.id, reason=FlagReason.WHO5_LOW, created_at=now,
                                note=""))
        db.session.commit()
    return peer, group.id


def make_check_in_row(user_id, week, at, confidence):
    from wham.checkins.models import CheckIn

    return CheckIn(user_id=user_id, week_start=week, days_done=3, stress=4, helped="",
                   barriers="", confidence_next=confidence, who5_answers=[3, 3, 3, 3, 3],
                   who5_score=60, created_at=at, updated_at=at)


def _dashboard_queries(app, query_counter, members, weeks) -> int:
    peer, group_id = _busy_group(app, members, weeks)
    client = app.test_client()
    login(client, peer)
    with query_counter() as counter:
        response = client.get(f"/groups/{group_id}/dashboard")
    assert response.status_code == 200
    assert response.get_data(as_text=True).count('class="member-cell"') == members
    return counter.count


def test_dashboard_query_count_is_the_same_for_5_or_60_members(app, query_counter):
    assert _dashboard_queries(app, query_counter, 5, 4) == _dashboard_queries(app, query_counter, 60, 4)


def test_dashboard_query_count_is_the_same_for_2_or_16_weeks_of_history(app, query_counter):
    assert _dashboard_queries(app, query_counter, 5, 2) == _dashboard_queries(app, query_counter, 5, 16)


@pytest.mark.parametrize("path", ["summary", "export/members.csv", "export/summary.csv"])
def test_summary_and_export_query_counts_do_not_grow_with_members(app, query_counter, path):
    counts = []
    for members in (3, 30):
        peer, group_id = _busy_group(app, members, 3)
        client = app.test_client()
        login(client, peer)
        client.get(f"/groups/{group_id}/{path}")
        with query_counter() as counter:
            assert client.get(f"/groups/{group_id}/{path}").status_code == 200
        counts.append(counter.count)
    assert counts[0] == counts[1]


def test_dashboard_of_a_group_nobody_has_joined_yet(app, client):
    peer = make_peer_specialist(app)
    group = make_group(app, [peer], [], start_date=local_today(utcnow(), "America/New_York")
                       + timedelta(weeks=2))
    login(client, peer)
    page = client.get(f"/groups/{group.id}/dashboard").get_data(as_text=True)
    assert f"No one has joined yet. Share the join code {group.join_code}." in page
    summary = client.get(f"/groups/{group.id}/summary").get_data(as_text=True)
    assert "The group has not started yet." in summary and "No sessions held yet." in summary
    header, *rows = _csv_rows(client.get(f"/groups/{group.id}/export/members.csv"))
    assert header == dashboard.MEMBER_COLUMNS and rows == []

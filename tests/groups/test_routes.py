"""Group pages through the test client: joining with the notice, leaving, attendance, wins,
1:1 notes, admin pages, hostile input on every form, and a flat query count."""
from __future__ import annotations

from datetime import timedelta

import pytest
from flask import url_for
from sqlalchemy import func, select

from tests.factories import make_admin, make_participant, make_peer_specialist
from tests.groups.factories import make_group
from tests.hostile import assert_hostile_input_handled
from tests.web import login, post_form
from wham.audit import AuditEvent
from wham.extensions import db
from wham.groups import forms, services
from wham.groups.models import Attendance, Group, GroupSession, Membership, PeerNote, Win
from wham.timeutil import local_today, utcnow


def _started_group(app, peer, members, weeks_ago=3, **details):
    """A group whose first `weeks_ago` sessions have been held; the next one is tomorrow."""
    first = local_today(utcnow(), "America/New_York") - timedelta(weeks=weeks_ago, days=-1)
    joined = utcnow() - timedelta(weeks=weeks_ago, days=1)
    return make_group(app, [peer], members, now=joined, start_date=first,
                      weekday=first.weekday(), time_zone="America/New_York", **details)


def _count(app, model, *where):
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model).where(*where))


def test_join_by_code_shows_the_notice_then_records_agreement(app, client):
    peer = make_peer_specialist(app, display_name="Jordan")
    person = make_participant(app)
    group = make_group(app, [peer], name="Tuesday group")
    login(client, person)
    response = post_form(client, "/groups/join", {"code": f" {group.join_code.lower()} "})
    assert response.status_code == 302 and response.headers["Location"].endswith(f"/join/{group.join_code}")
    page = client.get(f"/join/{group.join_code}").get_data(as_text=True)
    assert "What your facilitator will see" in page
    assert "never see log notes you mark as private" in page
    assert "Jordan" in page
    # Not ticking the box changes nothing.
    refused = post_form(client, f"/join/{group.join_code}", {})
    assert refused.status_code == 200 and "Tick the box to agree" in refused.get_data(as_text=True)
    assert _count(app, Membership) == 0
    joined = post_form(client, f"/join/{group.join_code}", {"agree": "y"})
    assert joined.status_code == 302 and joined.headers["Location"].endswith(f"/groups/{group.id}")
    with app.app_context():
        membership = db.session.scalar(select(Membership))
        assert membership.user_id == person.id
        assert membership.agreed_notice_version == services.NOTICE_VERSION
        assert db.session.scalar(select(AuditEvent).where(AuditEvent.action == "group.joined"))
    assert "Tuesday group" in client.get("/groups").get_data(as_text=True)


def test_unknown_code_is_refused_next_to_the_field(app, client):
    login(client, make_participant(app))
    response = post_form(client, "/groups/join", {"code": "ZZZZZZZ"})
    body = response.get_data(as_text=True)
    assert response.status_code == 200 and 'id="code-error"' in body and "ZZZZZZZ" in body
    assert client.get("/join/ZZZZZZZ").status_code == 404


def test_full_group_cannot_be_joined(app, client):
    peer = make_peer_specialist(app)
    group = make_group(app, [peer], [make_participant(app)], capacity=1)
    login(client, make_participant(app))
    assert "this group is full" in client.get(f"/join/{group.join_code}").get_data(as_text=True)
    response = post_form(client, f"/join/{group.join_code}", {"agree": "y"})
    assert response.status_code == 200 and "this group is full" in response.get_data(as_text=True)
    assert _count(app, Membership) == 1


def test_join_agree_box_ignores_hostile_values(app, client):
    group = make_group(app, [make_peer_specialist(app)])
    login(client, make_participant(app))
    for value in ("", "<script>alert(1)</script>", "\x00", "x" * 5000):
        response = post_form(client, f"/join/{group.join_code}", {"agree": value})
        assert response.status_code in (200, 302)
        assert "<script>alert(1)</script>" not in response.get_data(as_text=True)


def test_leaving_ends_the_facilitators_access(app, client):
    peer = make_peer_specialist(app)
    person = make_participant(app, display_name="Rosa")
    group = make_group(app, [peer], [person])
    login(client, person)
    assert post_form(client, f"/groups/{group.id}/leave").status_code == 302
    assert client.get(f"/groups/{group.id}").status_code == 404
    facilitator = client.application.test_client()
    login(facilitator, peer)
    assert "Rosa" not in facilitator.get(f"/groups/{group.id}").get_data(as_text=True)
    assert facilitator.get(f"/groups/{group.id}/members/{person.id}").status_code == 404


def test_facilitator_takes_attendance(app, client):
    peer = make_peer_specialist(app)
    a, b = make_participant(app, display_name="Ann"), make_participant(app, display_name="Ben")
    group = _started_group(app, peer, [a, b])
    session_id = group.session_ids[0]
    login(client, peer)
    page = client.get(f"/groups/{group.id}/sessions/{session_id}").get_data(as_text=True)
    assert "Ann" in page and "Ben" in page and 'value="excused"' in page
    response = post_form(client, f"/groups/{group.id}/sessions/{session_id}",
                         {f"member_{a.id}": "present", f"member_{b.id}": "excused",
                          "notes": "Good talk about sleep"})
    assert response.status_code == 302
    with app.app_context():
        marks = dict(db.session.execute(select(Attendance.user_id, Attendance.status)).all())
        assert marks == {a.id: "present", b.id: "excused"}
        assert db.session.get(GroupSession, session_id).notes == "Good talk about sleep"
    group_page = client.get(f"/groups/{group.id}").get_data(as_text=True)
    assert "1 of 3" in group_page and "0 of 3" in group_page
    with app.app_context():
        viewed = db.session.scalar(select(AuditEvent)
                                   .where(AuditEvent.action == "group.members_viewed"))
        assert (viewed.actor_id, viewed.object_id) == (peer.id, group.id)
        assert viewed.details == {"as_facilitator": True}


def test_session_notes_are_for_facilitators_only(app, client):
    peer, admin = make_peer_specialist(app), make_admin(app)
    member = make_participant(app)
    group = _started_group(app, peer, [member])
    login(client, peer)
    post_form(client, f"/groups/{group.id}/sessions/{group.session_ids[0]}",
              {"notes": "NOTE-MARKER-7"})
    for viewer in (member, admin):
        other = app.test_client()
        login(other, viewer)
        assert "NOTE-MARKER-7" not in other.get(f"/groups/{group.id}").get_data(as_text=True)


def test_move_and_cancel_a_session(app, client):
    peer = make_peer_specialist(app)
    group = make_group(app, [peer])
    sid = group.session_ids[1]
    login(client, peer)
    response = post_form(client, f"/groups/{group.id}/sessions/{sid}/move",
                         {"day": "2026-09-24", "at": "17:00"})
    assert response.status_code == 302
    post_form(client, f"/groups/{group.id}/sessions/{sid}/cancel", {"cancelled": "1"})
    with app.app_context():
        session = db.session.get(GroupSession, sid)
        assert session.is_moved and session.is_cancelled
        assert session.starts_at.isoformat() == "2026-09-24T21:00:00+00:00"
    page = client.get(f"/groups/{group.id}").get_data(as_text=True)
    assert "Cancelled" in page
    post_form(client, f"/groups/{group.id}/sessions/{sid}/cancel", {"cancelled": "0"})
    with app.app_context():
        assert not db.session.get(GroupSession, sid).is_cancelled


def test_wins_are_seen_by_the_group_only(app, client):
    peer, other_peer = make_peer_specialist(app), make_peer_specialist(app)
    author, mate, outsider = (make_participant(app) for _ in range(3))
    group = make_group(app, [peer], [author, mate])
    other = make_group(app, [other_peer], [outsider], name="Other")
    login(client, author)
    assert post_form(client, f"/groups/{group.id}/wins",
                     {"text": "Walked 3 days WIN-MARKER"}).status_code == 302
    for viewer, gid, seen in ((mate, group.id, True), (peer, group.id, True),
                              (outsider, other.id, False), (other_peer, other.id, False)):
        c = app.test_client()
        login(c, viewer)
        assert ("WIN-MARKER" in c.get(f"/groups/{gid}").get_data(as_text=True)) is seen
        assert c.get(f"/groups/{group.id}").status_code == (200 if seen else 404)
    # Someone not in the group cannot post a win to it.
    c = app.test_client()
    login(c, outsider)
    assert post_form(c, f"/groups/{group.id}/wins", {"text": "sneaky"}).status_code == 404
    assert _count(app, Win) == 1


def test_peer_notes_are_seen_by_the_members_facilitators_only(app, client):
    peer, co_facilitator, other_peer = (make_peer_specialist(app) for _ in range(3))
    member, admin = make_participant(app), make_admin(app)
    group = make_group(app, [peer, co_facilitator], [member])
    make_group(app, [other_peer], [make_participant(app)], name="Other")
    login(client, peer)
    url = f"/groups/{group.id}/members/{member.id}"
    assert post_form(client, url, {"body": "Called; PEER-NOTE-MARKER"}).status_code == 302
    c = app.test_client()
    login(c, co_facilitator)
    assert "PEER-NOTE-MARKER" in c.get(url).get_data(as_text=True)
    for viewer in (other_peer, member, admin):
        c = app.test_client()
        login(c, viewer)
        assert c.get(url).status_code == 404
        assert "PEER-NOTE-MARKER" not in c.get(f"/groups/{group.id}").get_data(as_text=True)
    with app.app_context():
        reads = db.session.scalars(select(AuditEvent.actor_id)
                                   .where(AuditEvent.action == "peer_note.read")).all()
    assert reads == [co_facilitator.id]  # the author only posted; the co-facilitator read
    assert _count(app, PeerNote) == 1


def test_my_groups_lists_next_session(app, client):
    peer = make_peer_specialist(app)
    _started_group(app, peer, [], weeks_ago=2, name="Evening group")
    login(client, peer)
    page = client.get("/groups").get_data(as_text=True)
    assert "Evening group" in page and "Next session (3 of 8)" in page
    assert 'href="/groups"' in page  # "My groups" is in the peer specialist's navigation


def test_my_groups_cards_in_spanish_and_after_a_wrong_code(app, client):
    peer = make_peer_specialist(app, language="es")
    person = make_participant(app, language="es")
    _started_group(app, peer, [person], name="Grupo en curso", video_link="https://meet.example.org/g")
    _started_group(app, peer, [person], weeks_ago=10, name="Grupo terminado", place=None)
    login(client, peer)
    page = client.get("/groups").get_data(as_text=True)
    assert "Próxima sesión (4 de 8)" in page and "No hay más sesiones planeadas." in page
    assert "Room 2, 10 Main St · Reunión por video" in page
    assert page.count("Nadie necesita seguimiento.") == 2 and page.count(">Panel</a>") == 2
    person_client = app.test_client()
    login(person_client, person)
    refused = post_form(person_client, "/groups/join", {"code": "NOPE123"})
    page = refused.get_data(as_text=True)
    assert refused.status_code == 200 and "Este código no es de ningún grupo." in page
    assert "Grupo en curso" in page and "Próxima sesión (4 de 8)" in page
    assert "Grupo terminado" in page and "No hay más sesiones planeadas." in page
    assert "Nadie necesita seguimiento." not in page  # the facilitators' words only


def test_my_groups_cards_link_each_group_and_escape_its_words(app, client):
    peer, person = make_peer_specialist(app), make_participant(app)
    odd = _started_group(app, peer, [person], name="<b>Tea & talk</b>", place="Room <2>",
                         video_link="https://meet.example.org/t")
    online = _started_group(app, peer, [person], name="Online group", place=None,
                            video_link="https://meet.example.org/o")
    in_person = _started_group(app, peer, [], name="Park group", place="Park")
    login(client, peer)
    cards = client.get("/groups").get_data(as_text=True).split('<li class="card">')[1:]
    with app.test_request_context():
        links = [(url_for("groups.group", group_id=g.id), url_for("groups.dashboard", group_id=g.id))
                 for g in (odd, online, in_person)]
    assert len(cards) == 3
    for card, (group_link, dashboard_link), name, where in zip(cards, links, (
            "&lt;b&gt;Tea &amp; talk&lt;/b&gt;", "Online group", "Park group"), (
            "Room &lt;2&gt; · Video meeting", "Video meeting", "Park"), strict=True):
        assert f'<h2><a href="{group_link}">{name}</a></h2>' in card
        assert f'<p class="small muted">{where}</p>' in card
        assert f'<a class="button secondary" href="{dashboard_link}">Dashboard</a>' in card
        assert '<p class="muted">Next session (4 of 8): ' in card
    person_client = app.test_client()
    login(person_client, person)
    person_cards = person_client.get("/groups").get_data(as_text=True).split('<li class="card">')[1:]
    assert [links[0][0] in person_cards[0], links[1][0] in person_cards[1]] == [True, True]
    assert "/dashboard" not in "".join(person_cards)


def test_my_groups_query_count_does_not_grow_with_groups(app, client, query_counter):
    peer, person = make_peer_specialist(app), make_participant(app)
    person_client = app.test_client()
    login(client, peer)
    login(person_client, person)

    def queries(c) -> tuple[int, str]:
        c.get("/groups")  # warm up (session, caches)
        with query_counter() as counter:
            response = c.get("/groups")
        assert response.status_code == 200
        return counter.count, response.get_data(as_text=True)

    _started_group(app, peer, [person], name="Group 1")
    few = queries(client)[0], queries(person_client)[0]
    for n in range(2, 7):
        _started_group(app, peer, [person], name=f"Group {n}", capacity=20)
    (peer_count, peer_page), (person_count, person_page) = queries(client), queries(person_client)
    assert peer_page.count("Next session (4 of 8)") == person_page.count("Next session") == 6
    # The signed-in user, and the groups with their next sessions and (facilitators) who
    # needs a follow-up.
    assert (peer_count, person_count) == few == (2, 2)


def test_admin_creates_and_edits_a_group_and_moves_a_member(app, client):
    admin, peer = make_admin(app), make_peer_specialist(app, display_name="Jordan")
    login(client, admin)
    form = client.get("/admin/groups/new").get_data(as_text=True)
    assert 'name="facilitators"' in form and 'name="video_link"' in form
    response = post_form(client, "/admin/groups/new", {
        "name": "Thursday group", "facilitators": [str(peer.id)], "start_date": "2026-09-14",
        "weekday": "3", "local_time": "18:30", "time_zone": "America/Chicago",
        "session_count": "8", "capacity": "10", "place": "", "video_link": ""})
    assert response.status_code == 302, response.get_data(as_text=True)
    with app.app_context():
        group = db.session.scalar(select(Group))
        assert (group.name, group.weekday, group.capacity) == ("Thursday group", 3, 10)
        assert len(group.sessions) == 8
        gid = group.id
    page = client.get(f"/admin/groups/{gid}").get_data(as_text=True)
    assert "Jordan" in page and "Thursday group" in page
    person = make_participant(app)
    with app.app_context():
        services.join_group(db.session.get(type(admin), person.id), db.session.get(Group, gid),
                            services.NOTICE_VERSION, utcnow())
    other = make_group(app, [peer], name="Another")
    response = post_form(client, f"/admin/groups/{gid}/move-member",
                         {"member": str(person.id), "target": str(other.id)})
    assert response.status_code == 302
    with app.app_context():
        assert services.active_membership(other.id, person.id) is not None
        assert services.active_membership(gid, person.id) is None


@pytest.mark.parametrize("members", [5, 60])
def test_group_page_query_count_does_not_grow_with_members(app, client, query_counter, members):
    peer = make_peer_specialist(app)
    people = [make_participant(app) for _ in range(members)]
    group = _started_group(app, peer, people, capacity=100)
    with app.app_context():
        sessions = db.session.scalars(select(GroupSession).where(GroupSession.group_id == group.id)
                                      .order_by(GroupSession.number)).all()
        for person in people:
            db.session.add(Attendance(session_id=sessions[0].id, user_id=person.id,
                                      status="present", recorded_at=utcnow()))
            db.session.add(Win(group_id=group.id, author_id=person.id, text="A win",
                               created_at=utcnow()))
        db.session.commit()
    login(client, peer)
    client.get(f"/groups/{group.id}")  # warm up (session, caches)
    with query_counter() as counter:
        response = client.get(f"/groups/{group.id}")
    assert response.status_code == 200
    assert response.get_data(as_text=True).count("1 of 3") == members
    test_group_page_query_count_does_not_grow_with_members.counts[members] = counter.count
    if len(test_group_page_query_count_does_not_grow_with_members.counts) == 2:
        assert len(set(test_group_page_query_count_does_not_grow_with_members.counts.values())) == 1


test_group_page_query_count_does_not_grow_with_members.counts = {}


def test_peer_specialist_starts_a_group_they_facilitate(app, client):
    peer = make_peer_specialist(app)
    login(client, peer)
    assert "Start a group" in client.get("/groups").get_data(as_text=True)
    form = client.get("/groups/new").get_data(as_text=True)
    assert 'name="video_link"' in form and 'name="facilitators"' not in form  # they facilitate
    response = post_form(client, "/groups/new", {
        "name": "Friday group", "start_date": "2026-09-14", "weekday": "4", "local_time": "10:00",
        "time_zone": "America/Denver", "session_count": "8", "capacity": "8", "place": "",
        "video_link": "https://meet.example.org/friday"})
    assert response.status_code == 302
    with app.app_context():
        group = db.session.scalar(select(Group))
        assert [link.user_id for link in group.facilitator_links] == [peer.id]
        assert group.sessions[0].starts_at.isoformat() == "2026-09-18T16:00:00+00:00"
    assert "Friday group" in client.get(response.headers["Location"]).get_data(as_text=True)


def test_admin_sees_the_group_but_not_its_wins(app, client):
    peer, admin, member = make_peer_specialist(app), make_admin(app), make_participant(app)
    group = make_group(app, [peer], [member])
    with app.app_context():
        db.session.add(Win(group_id=group.id, author_id=member.id, text="WIN-ADMIN-MARKER",
                           created_at=utcnow()))
        db.session.commit()
    login(client, admin)
    page = client.get(f"/groups/{group.id}").get_data(as_text=True)
    assert "Tuesday evening group" in page and "WIN-ADMIN-MARKER" not in page


# --- hostile input on every form -----------------------------------------------------------


def test_hostile_input_on_the_facilitators_group_form(app, client):
    login(client, make_peer_specialist(app))
    valid = {"name": "Group", "start_date": "2026-09-14", "weekday": "1", "local_time": "18:00",
             "time_zone": "America/New_York", "session_count": "8", "capacity": "12",
             "place": "Room 1", "video_link": ""}
    assert assert_hostile_input_handled(app, client, "/groups/new", forms.FacilitatorGroupForm,
                                        valid) > 40


def test_hostile_input_on_the_group_form(app, client):
    admin, peer = make_admin(app), make_peer_specialist(app)
    login(client, admin)
    valid = {"name": "Group", "facilitators": str(peer.id), "start_date": "2026-09-14",
             "weekday": "1", "local_time": "18:00", "time_zone": "America/New_York",
             "session_count": "8", "capacity": "12", "place": "Room 1",
             "video_link": "https://meet.example.org/abc"}
    assert assert_hostile_input_handled(app, client, "/admin/groups/new", forms.GroupForm, valid) > 40


def test_hostile_input_on_join_code_win_and_note_forms(app, client):
    peer = make_peer_specialist(app)
    member = make_participant(app)
    group = make_group(app, [peer], [member])
    login(client, member)
    assert_hostile_input_handled(app, client, "/groups/join", forms.JoinCodeForm, {"code": "ABCDEFG"})
    assert_hostile_input_handled(app, client, f"/groups/{group.id}/wins", forms.WinForm,
                                 {"text": "A good week"})
    facilitator = app.test_client()
    login(facilitator, peer)
    assert_hostile_input_handled(app, facilitator, f"/groups/{group.id}/members/{member.id}",
                                 forms.PeerNoteForm, {"body": "Called"})


def test_hostile_input_on_attendance_and_move_forms(app, client):
    peer = make_peer_specialist(app)
    member = make_participant(app, display_name="Ann")
    group = _started_group(app, peer, [member])
    sid = group.session_ids[0]
    login(client, peer)
    form_class = forms.attendance_form_class([(member.id, "Ann")])
    assert_hostile_input_handled(app, client, f"/groups/{group.id}/sessions/{sid}", form_class,
                                 {f"member_{member.id}": "present", "notes": "ok"})
    assert_hostile_input_handled(app, client, f"/groups/{group.id}/sessions/{sid}/move",
                                 forms.MoveSessionForm, {"day": "2026-09-24", "at": "17:00"})


def test_hostile_input_on_the_move_member_form(app, client):
    admin, peer = make_admin(app), make_peer_specialist(app)
    member = make_participant(app)
    group = make_group(app, [peer], [member])
    target = make_group(app, [peer], name="Target")
    login(client, admin)
    assert_hostile_input_handled(
        app, client, f"/admin/groups/{group.id}/move-member", forms.MoveMemberForm,
        {"member": str(member.id), "target": str(target.id)})

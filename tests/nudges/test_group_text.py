"""A facilitator texts their group one of the reviewed messages: choose, preview, send once."""
from __future__ import annotations

from datetime import time, timedelta

from sqlalchemy import select

from tests.factories import make_peer_specialist
from tests.groups.factories import make_group
from tests.hostile import assert_hostile_input_handled, db_snapshot
from tests.nudges.test_planner import outbox_rows
from tests.sms.factories import make_texter
from tests.web import login, post_form
from wham.audit import AuditEvent
from wham.extensions import db
from wham.nudges.forms import GroupTextForm
from wham.sms.models import OutboxStatus, SmsKind
from wham.timeutil import local_today, utcnow

NO_QUIET = {"quiet_start": time(0), "quiet_end": time(0)}


def group_of(app, *, upcoming=True):
    facilitator = make_peer_specialist(app)
    members = [make_texter(app, kinds=(SmsKind.GROUP_REMINDER,), **NO_QUIET),
               make_texter(app, kinds=(SmsKind.GROUP_REMINDER,), language="es", **NO_QUIET),
               make_texter(app, kinds=(SmsKind.CHECKIN_REMINDER,), **NO_QUIET)]
    today = local_today(utcnow(), "America/New_York")
    start = today + timedelta(days=2) if upcoming else today - timedelta(weeks=10)
    group = make_group(app, [facilitator], members, name="Healing group", start_date=start,
                       weekday=start.weekday(), session_count=2)
    return group, facilitator, members


def test_facilitator_previews_then_sends_to_members_who_get_group_texts(app, client):
    group, facilitator, members = group_of(app)
    login(client, facilitator)
    page = client.get(f"/groups/{group.id}/text").get_data(as_text=True)
    assert "When we meet next" in page and "Remember your weekly check-in" in page
    before = db_snapshot(app)
    preview = post_form(client, f"/groups/{group.id}/text",
                        {"message": "next_session", "preview": "1"})
    body = preview.get_data(as_text=True)
    assert preview.status_code == 200
    assert "WHAM: a note from your group: we meet next" in body
    assert "WHAM: nota de su grupo: nos vemos el" in body
    assert "2 of 3 members get texts about the group." in body
    assert "Healing" not in body.split("preview-heading")[1].split("</section>")[0]
    assert db_snapshot(app) == before  # a preview changes nothing
    sent = post_form(client, f"/groups/{group.id}/text", {"message": "next_session", "send": "1"})
    assert sent.status_code == 302 and sent.headers["Location"].endswith(f"/groups/{group.id}")
    rows = outbox_rows(app)
    assert {r.user_id for r in rows} == {members[0].id, members[1].id}
    assert all(r.kind == SmsKind.GROUP_MESSAGE and r.status == OutboxStatus.QUEUED for r in rows)
    assert all(r.not_before == r.created_at for r in rows)  # no quiet hours: now
    spanish = next(r for r in rows if r.user_id == members[1].id)
    assert spanish.body.startswith("WHAM: nota de su grupo:")
    assert f"http://localhost/groups/{group.id}" in spanish.body
    with app.app_context():
        event = db.session.scalars(select(AuditEvent).where(
            AuditEvent.action == "group.text_sent")).one()
        assert event.details == {"template": "next_session", "queued": 2}


def test_sending_the_same_message_twice_the_same_day_sends_it_once(app, client):
    group, facilitator, _ = group_of(app)
    login(client, facilitator)
    for _ in range(2):
        response = post_form(client, f"/groups/{group.id}/text", {"message": "thanks", "send": "1"})
        assert response.status_code == 302
    assert len(outbox_rows(app)) == 2
    follow = client.get(f"/groups/{group.id}").get_data(as_text=True)
    assert "No one new to send it to" in follow


def test_without_a_next_meeting_that_message_is_not_offered(app, client):
    group, facilitator, _ = group_of(app, upcoming=False)
    login(client, facilitator)
    page = client.get(f"/groups/{group.id}/text").get_data(as_text=True)
    assert "When we meet next" not in page and "Thank you for coming" in page
    response = post_form(client, f"/groups/{group.id}/text",
                         {"message": "next_session", "send": "1"})
    assert response.status_code == 200
    assert 'id="message-error"' in response.get_data(as_text=True)
    assert outbox_rows(app) == []


def test_another_peer_specialist_cannot_text_the_group(app, client):
    group, _, _ = group_of(app)
    login(client, make_peer_specialist(app))
    assert client.get(f"/groups/{group.id}/text").status_code == 404
    response = post_form(client, f"/groups/{group.id}/text", {"message": "thanks", "send": "1"})
    assert response.status_code == 404
    assert outbox_rows(app) == []


def test_hostile_input_is_refused_without_sending(app, client):
    group, facilitator, _ = group_of(app)
    login(client, facilitator)
    tried = assert_hostile_input_handled(app, client, f"/groups/{group.id}/text", GroupTextForm,
                                         {"message": "thanks", "preview": "1"})
    assert tried >= 4
    assert outbox_rows(app) == []


def test_the_group_page_links_facilitators_to_it_and_not_members(app, client):
    group, facilitator, members = group_of(app)
    login(client, facilitator)
    assert f'href="/groups/{group.id}/text"' in client.get(f"/groups/{group.id}").get_data(as_text=True)
    member = app.test_client()
    login(member, members[0])
    assert f"/groups/{group.id}/text" not in member.get(f"/groups/{group.id}").get_data(as_text=True)

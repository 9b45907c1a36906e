"""Text message pages through the browser's eyes: settings, confirming, stopping, admin stats."""
from __future__ import annotations

import re
from datetime import UTC, datetime, time, timedelta

from sqlalchemy import select

from tests.factories import make_admin, make_family, make_participant
from tests.hostile import assert_hostile_input_handled
from tests.sms.factories import contact_of, make_queued, make_texter
from tests.web import login, post_form
from wham.accounts.models import Role
from wham.extensions import db
from wham.sms import outbox
from wham.sms.forms import ConfirmCodeForm, SmsSettingsForm
from wham.sms.models import OPT_IN_KINDS, OutboxMessage, OutboxStatus, SmsKind
from wham.sms.senders import RecordingSender, SendError
from wham.sms.statistics_view import DeliveryPage
from wham.timeutil import utcnow

SETTINGS = {"checkin_reminder": "y", "checkin_weekday": "2", "checkin_time": "18:30",
            "group_reminder": "y", "quiet_start": "22:00", "quiet_end": "07:30", "language": "es"}


def _page(client, path="/sms/settings"):
    response = client.get(path)
    assert response.status_code == 200
    return response.get_data(as_text=True)


def test_profile_links_to_text_settings_for_people_who_get_texts(app, client):
    login(client, make_participant(app))
    assert 'href="/sms/settings"' in _page(client, "/profile")
    family = app.test_client()
    login(family, make_family(app))
    assert 'href="/sms/settings"' not in _page(family, "/profile")


def test_without_a_number_the_page_sends_people_to_their_profile(app, client):
    login(client, make_participant(app))
    page = _page(client)
    assert "first add your mobile number" in page
    response = post_form(client, "/sms/settings/code", follow_redirects=True)
    assert "Add your mobile number on your profile first." in response.get_data(as_text=True)


def test_confirming_a_number_end_to_end(app, client, sender):
    user = make_participant(app, mobile_e164="+12025550188")
    login(client, user)
    assert "Not confirmed yet" in _page(client)
    response = post_form(client, "/sms/settings/code", follow_redirects=True)
    assert "We sent a code to your phone" in response.get_data(as_text=True)
    with app.app_context():
        outbox.send_due_messages(utcnow(), sender)
    [(to, kind, body)] = sender.sent
    assert (to, kind) == ("+12025550188", "verify_code")
    code = re.search(r"\b(\d{6})\b", body).group(1)
    wrong = post_form(client, "/sms/settings/confirm", {"code": "12345x"})
    assert 'id="code-error"' in wrong.get_data(as_text=True)
    bad = f"{(int(code) + 1) % 10**6:06d}"
    wrong = post_form(client, "/sms/settings/confirm", {"code": bad})
    assert "That code is not right" in wrong.get_data(as_text=True)
    assert f'value="{bad}"' in wrong.get_data(as_text=True)
    done = post_form(client, "/sms/settings/confirm", {"code": code}, follow_redirects=True)
    assert "Your number is confirmed" in done.get_data(as_text=True)
    assert "Confirmed" in _page(client)
    again = post_form(client, "/sms/settings/code", follow_redirects=True)
    assert "was just sent" in again.get_data(as_text=True) or "Confirmed" in again.get_data(as_text=True)


def test_saving_settings(app, client):
    user = make_texter(app, kinds=())
    login(client, user)
    response = post_form(client, "/sms/settings", SETTINGS)
    assert response.status_code == 302
    contact = contact_of(app, user)
    assert (contact.checkin_reminder, contact.group_reminder, contact.flag_alert) == (True, True, False)
    assert (contact.checkin_weekday, contact.checkin_time) == (2, time(18, 30))
    assert (contact.quiet_start, contact.quiet_end, contact.language) == (time(22), time(7, 30), "es")
    page = _page(client)
    assert 'value="18:30"' in page and 'value="22:00"' in page


def test_participants_cannot_turn_on_flag_alerts_but_peers_can(app, client):
    participant = make_texter(app, kinds=())
    login(client, participant)
    assert "flag_alert" not in _page(client)
    post_form(client, "/sms/settings", SETTINGS | {"flag_alert": "y"})
    assert contact_of(app, participant).flag_alert is False
    peer = make_texter(app, role=Role.PEER_SPECIALIST, kinds=())
    peer_client = app.test_client()
    login(peer_client, peer)
    assert "flag_alert" in _page(peer_client)
    post_form(peer_client, "/sms/settings", SETTINGS | {"flag_alert": "y"})
    assert contact_of(app, peer).flag_alert is True


def test_defaults_are_shown_to_a_newcomer(app, client):
    login(client, make_participant(app))
    page = _page(client)
    assert 'value="21:00"' in page and 'value="08:00"' in page and 'value="18:00"' in page


def test_stop_and_start_from_the_page(app, client, sender):
    user = make_texter(app)
    login(client, user)
    post_form(client, "/sms/settings/stop")
    assert contact_of(app, user).opted_out_at is not None
    assert "Stopped: you get no texts" in _page(client)
    make_queued(app, user, utcnow())
    with app.app_context():
        outbox.send_due_messages(utcnow(), sender)
    assert sender.sent == []
    post_form(client, "/sms/settings/start")
    assert contact_of(app, user).opted_out_at is None


def test_hostile_input_on_the_settings_form(app, client):
    login(client, make_texter(app, role=Role.PEER_SPECIALIST))
    tried = assert_hostile_input_handled(app, client, "/sms/settings", SmsSettingsForm, SETTINGS)
    assert tried > 10


def test_hostile_input_on_the_code_form(app, client):
    user = make_participant(app, mobile_e164="+12025550188")
    login(client, user)
    post_form(client, "/sms/settings/code")
    tried = assert_hostile_input_handled(app, client, "/sms/settings/confirm", ConfirmCodeForm,
                                         {"code": "123456"}, skip_fields=())
    assert tried > 5


def test_admin_statistics_show_counts_and_error_codes_but_no_bodies(app, client):
    now = utcnow()
    user = make_texter(app)
    make_queued(app, user, now, key="a", body="Secret body one")
    make_queued(app, user, now, key="b", body="Secret body two")
    make_queued(app, user, now + timedelta(hours=1), key="c", body="Secret body three")
    failing = RecordingSender(failures=[SendError("21211", retryable=False)])
    with app.app_context():
        outbox.send_due_messages(now, failing)
    admin = make_admin(app)
    login(client, admin)
    page = _page(client, "/admin/sms")
    assert "Secret body" not in page
    assert "21211" in page
    assert re.search(r'stat-number">1</span><span class="stat-label">Waiting', page)
    assert re.search(r'stat-number">1</span><span class="stat-label">Numbers that cannot', page)
    assert "<th scope=\"row\">Check-in reminder</th>" in page  # the kind in words
    with app.app_context():
        assert db.session.scalar(select(OutboxMessage).where(OutboxMessage.kind == SmsKind.CHECKIN_REMINDER))
    assert 'href="/admin/sms"' in page  # the admin navigation links here


def test_admin_statistics_when_nothing_was_sent(app, client):
    login(client, make_admin(app))
    page = _page(client, "/admin/sms")
    assert "No text messages in this period." in page and "No failures in this period." in page


def test_old_messages_fall_out_of_the_weekly_statistics(app):
    user = make_texter(app)
    eight_days_ago = datetime.now(UTC) - timedelta(days=8)
    make_queued(app, user, eight_days_ago, key="old")
    with app.app_context():
        stats = outbox.delivery_statistics(datetime.now(UTC))
    assert stats["by_kind"] == {}
    assert stats["waiting"] == 1


def test_admin_statistics_count_waiting_messages_and_numbers(app):
    now = utcnow()
    user = make_texter(app)
    make_queued(app, user, now, key="waiting-1")
    make_queued(app, user, now, key="waiting-2")
    make_texter(app, opted_out_at=now - timedelta(days=2))
    make_texter(app, opted_out_at=now - timedelta(days=30))
    make_texter(app, invalid_at=now - timedelta(days=1))
    with app.app_context():
        stats = outbox.delivery_statistics(now)
    assert (stats["waiting"], stats["opted_out"], stats["opted_out_recent"], stats["invalid"]) \
        == (2, 2, 1, 1)
    assert stats["by_kind"] == {SmsKind.CHECKIN_REMINDER: {OutboxStatus.QUEUED: 2}}


def test_admin_statistics_in_spanish(app, client):
    now = utcnow()
    user = make_texter(app)
    make_queued(app, user, now, key="a")
    with app.app_context():
        outbox.send_due_messages(now, RecordingSender(failures=[SendError("21211",
                                                                          retryable=False)]))
    login(client, make_admin(app, language="es"))
    page = _page(client, "/admin/sms")
    assert '<th scope="row">Recordatorio del chequeo</th>' in page  # kind, in the table
    assert '<th scope="col">Falló</th>' in page and '<th scope="col">No entregado</th>' in page
    assert "<td>Recordatorio del chequeo</td><td>Falló</td><td>21211</td>" in page  # a failure


def _add_outbox_rows(app, user, rows) -> list[int]:
    """Outbox rows as they are after sending: (kind, status, created_at, updated_at, error)."""
    with app.app_context():
        messages = [OutboxMessage(idempotency_key=f"stats-{n}", user_id=user.id,
                                  to_e164=user.mobile_e164, body="Secret body", kind=kind,
                                  status=status, not_before=created, expires_at=created,
                                  next_attempt_at=created, attempts=1, error_code=error,
                                  created_at=created, updated_at=updated)
                    for n, (kind, status, created, updated, error) in enumerate(rows)]
        db.session.add_all(messages)
        db.session.commit()
        return [m.id for m in messages]


def test_admin_statistics_count_every_kind_and_status_of_the_period(app):
    now = utcnow()
    user = make_texter(app)
    inside, outside = now - timedelta(days=6, hours=23), now - timedelta(days=7, minutes=1)
    plan = {(SmsKind.CHECKIN_REMINDER, OutboxStatus.DELIVERED): 3,
            (SmsKind.CHECKIN_REMINDER, OutboxStatus.FAILED): 1,
            (SmsKind.GROUP_MESSAGE, OutboxStatus.EXPIRED): 2,
            (SmsKind.FLAG_ALERT, OutboxStatus.SENT): 1,
            (SmsKind.VERIFY_CODE, OutboxStatus.CANCELLED): 2}
    rows = [(kind, status, inside, now, None)
            for (kind, status), n in plan.items() for _ in range(n)]
    rows += [(SmsKind.GROUP_REMINDER, OutboxStatus.DELIVERED, outside, now, None),
             (SmsKind.CHECKIN_REMINDER, OutboxStatus.DELIVERED, outside, now, None)]
    _add_outbox_rows(app, user, rows)
    with app.app_context():
        stats = outbox.delivery_statistics(now)
    expected: dict = {}
    for (kind, status), n in plan.items():
        expected.setdefault(kind, {})[status] = n
    assert stats["by_kind"] == expected  # kinds without messages in the period are left out
    assert all(type(kind) is SmsKind for kind in stats["by_kind"])
    assert all(type(status) is OutboxStatus
               for counts in stats["by_kind"].values() for status in counts)


def test_recent_failures_are_the_newest_of_both_failed_statuses(app):
    now = utcnow()
    user = make_texter(app)
    rows = []
    for n in range(30):  # failed and not delivered in turn, a minute apart, newest first
        status = OutboxStatus.FAILED if n % 2 else OutboxStatus.UNDELIVERED
        rows.append((SmsKind.CHECKIN_REMINDER, status, now - timedelta(days=1),
                     now - timedelta(minutes=n), f"e{n}"))
    # Newer, but not failures; and a failure from before the period.
    rows.append((SmsKind.GROUP_REMINDER, OutboxStatus.DELIVERED, now, now, None))
    rows.append((SmsKind.GROUP_REMINDER, OutboxStatus.CANCELLED, now, now, "opted_out"))
    rows.append((SmsKind.GROUP_REMINDER, OutboxStatus.FAILED, now - timedelta(days=9),
                 now - timedelta(days=8), "old"))
    ids = _add_outbox_rows(app, user, rows)
    with app.app_context():
        failures = outbox.delivery_statistics(now)["failures"]
    assert [row.id for row in failures] == ids[:20]
    assert [row.error_code for row in failures] == [f"e{n}" for n in range(20)]
    assert {row.status for row in failures} == {OutboxStatus.FAILED, OutboxStatus.UNDELIVERED}


def test_failures_at_the_same_moment_are_listed_newest_message_first(app):
    # A provider outage fails many texts within the same second: the list is the same at
    # every view, and the 20 shown are the latest queued of them.
    now = utcnow()
    at = now - timedelta(minutes=5)
    rows = [(SmsKind.CHECKIN_REMINDER, OutboxStatus.FAILED if n % 2 else OutboxStatus.UNDELIVERED,
             now - timedelta(hours=1), at, f"e{n}") for n in range(25)]
    ids = _add_outbox_rows(app, make_texter(app), rows)
    with app.app_context():
        failures = outbox.delivery_statistics(now)["failures"]
    assert [row.id for row in failures] == sorted(ids, reverse=True)[:20]


def test_admin_failures_table_escapes_error_codes_and_shows_a_dash_for_none(app, client):
    now = utcnow()
    user = make_texter(app)
    _add_outbox_rows(app, user, [
        (SmsKind.FLAG_ALERT, OutboxStatus.FAILED, now, now, "<b>30003</b>"),
        (SmsKind.GROUP_MESSAGE, OutboxStatus.UNDELIVERED, now, now, None)])
    login(client, make_admin(app))
    page = _page(client, "/admin/sms")
    assert "<td>&lt;b&gt;30003&lt;/b&gt;</td>" in page and "<b>30003</b>" not in page
    assert "<td>Message to a group</td><td>Not delivered</td><td>—</td><td>1</td>" in page


def test_admin_failures_rows_in_full(app):
    when = datetime(2026, 11, 20, 18, 5, tzinfo=UTC)
    user = make_texter(app)
    ids = _add_outbox_rows(app, user, [
        (SmsKind.FLAG_ALERT, OutboxStatus.FAILED, when, when, "21610"),
        (SmsKind.GROUP_MESSAGE, OutboxStatus.UNDELIVERED, when, when - timedelta(hours=1), None),
        (SmsKind.GROUP_MESSAGE, OutboxStatus.FAILED, when,
         when - timedelta(minutes=59, seconds=30), "21211")])
    with app.test_request_context("/admin/sms"):
        rows = DeliveryPage(outbox.delivery_statistics(when + timedelta(days=1))).failure_rows()
    # Newest first; two moments in the same minute are written alike.
    assert rows == (
        f"<tr><td>#{ids[0]}</td><td>Alert to a peer specialist</td><td>Failed</td>"
        "<td>21610</td><td>1</td><td>Fri, Nov 20, 6:05\u202fPM</td></tr>"
        f"<tr><td>#{ids[2]}</td><td>Message to a group</td><td>Failed</td>"
        "<td>21211</td><td>1</td><td>Fri, Nov 20, 5:05\u202fPM</td></tr>"
        f"<tr><td>#{ids[1]}</td><td>Message to a group</td><td>Not delivered</td>"
        "<td>—</td><td>1</td><td>Fri, Nov 20, 5:05\u202fPM</td></tr>")


def test_admin_statistics_query_count_does_not_grow_with_messages(app, client, query_counter):
    login(client, make_admin(app))
    now = utcnow()

    def queries() -> tuple[int, str]:
        client.get("/admin/sms")  # warm up (session, caches)
        with query_counter() as counter:
            page = _page(client, "/admin/sms")
        return counter.count, page

    people = [make_texter(app, kinds=OPT_IN_KINDS) for _ in range(3)]
    make_queued(app, people[0], now, key="first")
    few, page = queries()
    assert "No failures in this period." in page
    for n, person in enumerate(people * 5):
        make_queued(app, person, now, kind=OPT_IN_KINDS[n % len(OPT_IN_KINDS)],
                    key=f"more-{n}")
    with app.app_context():
        outbox.send_due_messages(now, RecordingSender(failures=[
            SendError("21211", retryable=False), SendError("21610", retryable=False)]))
    many, page = queries()
    assert "21211" in page and "21610" in page and "Alert to a peer specialist" in page
    assert many == few == 2  # the signed-in admin, then one for the statistics

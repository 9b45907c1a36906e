"""Forms for groups: schedule, joining, attendance, moving a session, wins, 1:1 notes and
acknowledging a flag."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import (
    BooleanField,
    DateField,
    IntegerField,
    RadioField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
    TimeField,
    URLField,
)
from wtforms.validators import URL, DataRequired, InputRequired, Length, NumberRange, Optional

from wham.accounts.forms import time_zone_field
from wham.forms import WhamForm
from wham.groups.models import AttendanceStatus
from wham.validators import CleanText, select_choices, strip

WEEKDAY_CHOICES = select_choices([
    ("0", _l("Monday")), ("1", _l("Tuesday")), ("2", _l("Wednesday")), ("3", _l("Thursday")),
    ("4", _l("Friday")), ("5", _l("Saturday")), ("6", _l("Sunday"))])

ATTENDANCE_CHOICES = select_choices([
    (AttendanceStatus.PRESENT.value, _l("Present")),
    (AttendanceStatus.EXCUSED.value, _l("Excused")),
    (AttendanceStatus.ABSENT.value, _l("Absent"))])


class GroupForm(WhamForm):
    name = StringField(_l("Group name"), filters=[strip],
                       validators=[DataRequired(_l("Give the group a name.")),
                                   Length(max=120, message=_l("Use 120 characters or fewer.")),
                                   CleanText()])
    facilitators = SelectMultipleField(
        _l("Facilitators"), choices=[], coerce=str,
        description=_l("One or more peer specialists. Hold Ctrl (or Cmd) to pick more than one."),
        validators=[DataRequired(_l("Choose at least one facilitator."))])
    start_date = DateField(_l("First week starts on"),
                           description=_l("The first session is on the chosen weekday in this week."),
                           validators=[InputRequired(_l("Enter a date like 2026-09-14."))])
    weekday = SelectField(_l("Meets on"), choices=WEEKDAY_CHOICES,
                          validators=[InputRequired(_l("Choose a day."))])
    local_time = TimeField(_l("Starts at (local time)"),
                           validators=[InputRequired(_l("Enter a time like 18:00."))])
    time_zone = time_zone_field()
    session_count = IntegerField(_l("Number of sessions"), default=8,
                                 validators=[InputRequired(_l("Enter a number of sessions.")),
                                             NumberRange(1, 52, _l("Between 1 and 52."))])
    capacity = IntegerField(_l("Most members"), default=12,
                            validators=[InputRequired(_l("Enter how many people can join.")),
                                        NumberRange(1, 200, _l("Between 1 and 200."))])
    place = StringField(_l("Place (optional)"), filters=[strip],
                        description=_l("A room and address members can find."),
                        validators=[Optional(), Length(max=200, message=_l("Use 200 characters or fewer.")),
                                    CleanText()])
    video_link = URLField(_l("Video link (optional)"), filters=[strip],
                          validators=[Optional(), Length(max=500, message=_l("Use 500 characters or fewer.")),
                                      CleanText(),
                                      URL(require_tld=True, message=_l("Enter a full link starting with https://."))])


class FacilitatorGroupForm(GroupForm):
    """A peer specialist starting a group they facilitate themselves."""

    facilitators = None


class JoinCodeForm(WhamForm):
    code = StringField(_l("Join code"), filters=[strip],
                       description=_l("Your facilitator gives you this code, e.g. KX7P2QM."),
                       validators=[DataRequired(_l("Enter the join code.")),
                                   Length(max=20, message=_l("A join code is 7 letters and numbers.")),
                                   CleanText()])


class JoinForm(WhamForm):
    agree = BooleanField(_l("I have read what my facilitator will see, and I agree."),
                         validators=[DataRequired(_l("Tick the box to agree, or go back."))])


class MoveSessionForm(WhamForm):
    day = DateField(_l("New date"), validators=[InputRequired(_l("Enter a date like 2026-09-14."))])
    at = TimeField(_l("New start time (group's local time)"),
                   validators=[InputRequired(_l("Enter a time like 18:00."))])


class WinForm(WhamForm):
    text = TextAreaField(_l("Share a win with your group"), filters=[strip],
                         description=_l("Something that went well. Everyone in the group and the "
                                        "facilitators will see it with your name."),
                         validators=[DataRequired(_l("Write your win first.")),
                                     Length(max=280, message=_l("Use 280 characters or fewer.")),
                                     CleanText(multiline=True)])


class PeerNoteForm(WhamForm):
    body = TextAreaField(_l("1:1 contact note"), filters=[strip],
                         description=_l("Only this member's facilitators see these notes."),
                         validators=[DataRequired(_l("Write the note first.")),
                                     Length(max=2000, message=_l("Use 2000 characters or fewer.")),
                                     CleanText(multiline=True)])


class AcknowledgeFlagForm(WhamForm):
    note = TextAreaField(_l("What happened: your 1:1 contact note"), filters=[strip],
                         description=_l("A few words, e.g. \"Called, we talked it through; she will "
                                        "come on Tuesday.\" Only this member's facilitators see it."),
                         validators=[DataRequired(_l("Write a short note of your contact first.")),
                                     Length(max=1000, message=_l("Use 1000 characters or fewer.")),
                                     CleanText(multiline=True)])


class MoveMemberForm(WhamForm):
    member = SelectField(_l("Member"), choices=[], validators=[InputRequired(_l("Choose a member."))])
    target = SelectField(_l("Move to group"), choices=[],
                         validators=[InputRequired(_l("Choose a group."))])


class AttendanceFormBase(WhamForm):
    notes = TextAreaField(_l("Session notes (only facilitators see these)"), filters=[strip],
                          validators=[Optional(),
                                      Length(max=4000, message=_l("Use 4000 characters or fewer.")),
                                      CleanText(multiline=True)])


def member_field_name(user_id: int) -> str:
    return f"member_{user_id}"


def attendance_form_class(members: list[tuple[int, str]]) -> type[AttendanceFormBase]:
    """A form with one present/excused/absent choice per member (user id, name)."""

    class AttendanceForm(AttendanceFormBase):
        pass

    for user_id, name in members:
        setattr(AttendanceForm, member_field_name(user_id),
                RadioField(name, choices=ATTENDANCE_CHOICES, filters=[strip],
                           validators=[Optional()]))
    return AttendanceForm

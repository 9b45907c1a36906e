"""Forms an admin fills in."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SelectField, StringField
from wtforms.validators import Length, Optional

from wham.accounts.forms import display_name_field, email_field, time_zone_field
from wham.accounts.models import Role
from wham.validators import CleanText, select_choices, strip

STAFF_ROLES = select_choices([(Role.PEER_SPECIALIST.value, _l("Peer specialist")),
                              (Role.ADMIN.value, _l("Admin"))])
ROLE_FILTERS = select_choices([("", _l("Everyone")), (Role.PARTICIPANT.value, _l("Participants")),
                               (Role.PEER_SPECIALIST.value, _l("Peer specialists")),
                               (Role.FAMILY.value, _l("Family")), (Role.ADMIN.value, _l("Admins"))])


class StaffAccountForm(FlaskForm):
    display_name = display_name_field()
    email = email_field()
    role = SelectField(_l("Role"), choices=STAFF_ROLES, default=Role.PEER_SPECIALIST.value)
    time_zone = time_zone_field()


class AssignPeerSpecialistForm(FlaskForm):
    peer_specialist = SelectField(_l("Peer specialist"), choices=[], validators=[Optional()])


class UserSearchForm(FlaskForm):
    class Meta:
        csrf = False  # a GET search form changes nothing

    q = StringField(_l("Name or email"), filters=[strip],
                    validators=[Optional(), Length(max=100), CleanText()])
    role = SelectField(_l("Role"), choices=ROLE_FILTERS, validators=[Optional()])

"""Forms an admin fills in."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import DateField, SelectField, StringField
from wtforms.validators import Length, Optional, ValidationError

from wham.accounts.forms import display_name_field, email_field, time_zone_field
from wham.accounts.models import Role
from wham.forms import WhamForm
from wham.validators import CleanText, select_choices, strip

STAFF_ROLES = select_choices([(Role.PEER_SPECIALIST.value, _l("Peer specialist")),
                              (Role.ADMIN.value, _l("Admin"))])
ROLE_FILTERS = select_choices([("", _l("Everyone")), (Role.PARTICIPANT.value, _l("Participants")),
                               (Role.PEER_SPECIALIST.value, _l("Peer specialists")),
                               (Role.FAMILY.value, _l("Family")), (Role.ADMIN.value, _l("Admins"))])


class StaffAccountForm(WhamForm):
    display_name = display_name_field()
    email = email_field()
    role = SelectField(_l("Role"), choices=STAFF_ROLES, default=Role.PEER_SPECIALIST.value)
    time_zone = time_zone_field()


class RoleForm(WhamForm):
    role = SelectField(_l("Role"), choices=STAFF_ROLES,
                       description=_l("Changing the role signs this person out everywhere."))


class AssignPeerSpecialistForm(WhamForm):
    # No Optional(): it would wave through a blank-looking value that is not a choice ("  ").
    # "No one" is the choice "".
    peer_specialist = SelectField(_l("Peer specialist"), choices=[], default="")


class UserSearchForm(WhamForm):
    class Meta:
        csrf = False  # a GET search form changes nothing

    q = StringField(_l("Name or email"), filters=[strip],
                    validators=[Optional(), Length(max=100), CleanText()])
    role = SelectField(_l("Role"), choices=ROLE_FILTERS, default="")


class AuditFilterForm(WhamForm):
    """Filters for the audit log page and its CSV export (a GET form: it changes nothing)."""

    class Meta:
        csrf = False

    person = StringField(_l("Person"), filters=[strip],
                         description=_l("Part of a name or email: who did it, or whose information."),
                         validators=[Optional(), Length(max=100), CleanText()])
    action = SelectField(_l("What"), choices=[], default="")
    since = DateField(_l("From"), validators=[Optional()])
    until = DateField(_l("To"), validators=[Optional()])

    def validate_since(self, field) -> None:
        _plausible_year(field)

    def validate_until(self, field) -> None:
        _plausible_year(field)
        if field.data and self.since.data and field.data < self.since.data:
            raise ValidationError(_l("The end date is before the start date."))


def _plausible_year(field) -> None:
    if field.data and not 2000 <= field.data.year <= 2100:
        raise ValidationError(_l("Use a date between 2000 and 2100."))

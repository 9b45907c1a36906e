"""Forms for the support plan, the consent to share, signing it, and accepting an invitation."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import (
    BooleanField,
    DateField,
    EmailField,
    FieldList,
    Form,
    FormField,
    HiddenField,
    RadioField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Email, Length, Optional, ValidationError

from wham.accounts.forms import RegisterForm
from wham.family.models import SECTION_MAX_LENGTH
from wham.family.services import MAX_CRISIS_CONTACTS
from wham.family.statement import PURPOSES
from wham.forms import WhamForm
from wham.validators import CleanText, MobileNumber, select_choices, strip


def _section(label, description) -> TextAreaField:
    return TextAreaField(label, description=description, filters=[strip],
                         validators=[Length(max=SECTION_MAX_LENGTH,
                                            message=_l("Use %(n)s characters or fewer.",
                                                       n=SECTION_MAX_LENGTH)),
                                     CleanText(multiline=True)])


class ContactForm(Form):
    """One crisis contact: who, how they are related, their phone."""

    name = StringField(_l("Name"), filters=[strip],
                       validators=[Length(max=80, message=_l("Use 80 characters or fewer.")),
                                   CleanText()])
    relationship = StringField(_l("Who they are to you"), filters=[strip],
                               validators=[Length(max=80, message=_l("Use 80 characters or fewer.")),
                                           CleanText()])
    phone = StringField(_l("Phone"), filters=[strip],
                        validators=[Length(max=40, message=_l("Use 40 characters or fewer.")),
                                    CleanText()])

    def validate_name(self, field) -> None:
        if not field.data and (self.relationship.data or self.phone.data):
            raise ValidationError(_l("Add a name for this contact, or clear the row."))


SECTION_TEXT = {
    "wellness_toolbox": (_l("My wellness toolbox"),
                         _l("Things that help me stay well or feel better.")),
    "daily_maintenance": (_l("Daily maintenance"),
                          _l("What I am like when I am well, and what I do every day to stay well.")),
    "triggers": (_l("Triggers and what I do"),
                 _l("Things that can upset me, and my plan when they happen.")),
    "early_warning_signs": (_l("Early warning signs"),
                            _l("Small changes that tell me I am starting to feel worse, "
                               "and what I do then.")),
    "crisis_signs": (_l("Signs others should watch for"),
                     _l("How people close to me can tell I need them to step in.")),
    "crisis_supporters": (_l("Who supports me and how"),
                          _l("The people I want to help, and what each can do.")),
    "crisis_helps": (_l("What helps"), _l("What people can do that helps me.")),
    "crisis_does_not_help": (_l("What does not help"),
                             _l("What people should not do, even with good intentions.")),
    "crisis_services": (_l("Preferred services"),
                        _l("Hospitals, clinics or crisis services I prefer, and any I want to avoid.")),
    "medications": (_l("Medications"),
                    _l("Optional. Only what you choose to write here: names, doses, allergies.")),
    "after_crisis": (_l("After a crisis"),
                     _l("What helps me get back to my routine, and who helps.")),
}


class SupportPlanForm(WhamForm):
    """One text area per section (added below from SECTION_TEXT), then the crisis contacts."""

    contacts = FieldList(FormField(ContactForm), min_entries=MAX_CRISIS_CONTACTS,
                         max_entries=MAX_CRISIS_CONTACTS)


for _name, _text in SECTION_TEXT.items():
    setattr(SupportPlanForm, _name, _section(*_text))


class ConsentForm(WhamForm):
    recipient_name = StringField(
        _l("Their name"), filters=[strip],
        validators=[DataRequired(_l("Write the name of the person you want to share with.")),
                    Length(max=80, message=_l("Use 80 characters or fewer.")), CleanText()])
    recipient_email = EmailField(
        _l("Their email"), filters=[strip],
        description=_l("They must use this email to accept. Leave empty if you give a mobile number."),
        validators=[Optional(), Length(max=254), CleanText(),
                    Email(_l("Enter an email address like name@example.org."))])
    recipient_mobile = StringField(
        _l("Or their mobile number"), filters=[strip],
        validators=[Optional(), Length(max=30), MobileNumber()])
    share_support_plan = BooleanField(_l("My whole support plan"))
    share_crisis_plan = BooleanField(_l("My crisis plan only"))
    share_progress = BooleanField(_l("My current goal and this week's plan"))
    purpose = RadioField(_l("Why are you sharing?"), choices=select_choices(PURPOSES.items()),
                         validators=[DataRequired(_l("Choose a reason."))])
    purpose_text = StringField(
        _l("In your own words (optional)"), filters=[strip],
        validators=[Length(max=300, message=_l("Use 300 characters or fewer.")), CleanText()])
    expires_on = DateField(
        _l("Stop sharing on this date"),
        description=_l("At most one year from today. Leave empty if you write an event below."),
        validators=[Optional()], format="%Y-%m-%d")
    expiry_event = StringField(
        _l("Or stop sharing when this happens"), filters=[strip],
        description=_l("For example: when I finish the program."),
        validators=[Length(max=200, message=_l("Use 200 characters or fewer.")), CleanText()])

    def __init__(self, *args, today=None, latest_expiry=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.today = today
        self.latest_expiry = latest_expiry

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        # Optional() ends a field's checks when it is empty, so the rules about empty
        # fields that depend on each other live here.
        if not self.recipient_mobile.data and not self.recipient_email.data \
                and not self.recipient_mobile.errors and not self.recipient_email.errors:
            self.recipient_mobile.errors = [_l("Give their email or their mobile number.")]
            valid = False
        if not self.expires_on.errors and self.expires_on.data is None \
                and not self.expiry_event.data and not self.expiry_event.errors:
            self.expires_on.errors = [_l("Choose a date, or write when sharing should stop.")]
            valid = False
        return valid

    def validate_share_support_plan(self, field) -> None:
        if not (self.share_support_plan.data or self.share_crisis_plan.data
                or self.share_progress.data):
            raise ValidationError(_l("Choose at least one thing to share."))

    def validate_purpose_text(self, field) -> None:
        if self.purpose.data == "other" and not field.data:
            raise ValidationError(_l("Write the reason in your own words."))

    def validate_expires_on(self, field) -> None:
        if field.data is not None and self.expiry_event.data:
            raise ValidationError(_l("Choose a date or an event, not both."))
        if field.data is not None and self.latest_expiry and field.data > self.latest_expiry:
            raise ValidationError(_l("Choose a date at most one year from today."))
        if field.data is not None and self.today and field.data < self.today:
            raise ValidationError(_l("Choose a date from today on."))


class SignForm(WhamForm):
    signature = StringField(
        _l("Type your full name to sign"), filters=[strip],
        validators=[DataRequired(_l("Type your full name to sign.")),
                    Length(max=120, message=_l("Use 120 characters or fewer.")), CleanText()])
    understood = BooleanField(_l("I have read this. I want to share what it says."),
                              validators=[DataRequired(_l("Tick the box to show you agree."))])
    # The fingerprint of the words the page showed (wham/family/statement.py).
    statement_digest = HiddenField()


class FamilyRegisterForm(RegisterForm):
    """A family account, made while accepting an invitation (no invite code needed)."""

    agree = BooleanField(_l("I have read what is shared with me, and I will not pass it on."),
                         validators=[DataRequired(_l("Tick the box to accept."))])

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        del self.invite_code


class AcceptForm(WhamForm):
    agree = BooleanField(_l("I have read what is shared with me, and I will not pass it on."),
                         validators=[DataRequired(_l("Tick the box to accept."))])

"""Forms for signing up, signing in, the profile and passwords."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_login import current_user
from wtforms import BooleanField, EmailField, PasswordField, SelectField, StringField
from wtforms.validators import DataRequired, Email, EqualTo, Length, Optional, ValidationError

from config import Config
from wham.accounts.password_policy import Weakness, weakness
from wham.forms import WhamForm
from wham.i18n import current_language
from wham.timeutil import COMMON_TIME_ZONES, listed_time_zones, sort_key, time_zone_labels
from wham.validators import (
    PASSWORD_MAX_LENGTH,
    PASSWORD_MIN_LENGTH,
    CleanText,
    MobileNumber,
    ValidTimeZone,
    select_choices,
    strip,
)

LANGUAGE_CHOICES = select_choices(Config.LANGUAGES.items())


# The parts of the world a zone's id starts with, in the order the list shows them.
TIME_ZONE_AREAS = {
    "America": _l("The Americas"),
    "Europe": _l("Europe"),
    "Africa": _l("Africa"),
    "Asia": _l("Asia"),
    "Australia": _l("Australia"),
    "Pacific": _l("Pacific Ocean"),
    "Atlantic": _l("Atlantic Ocean"),
    "Indian": _l("Indian Ocean"),
    "Antarctica": _l("Antarctica"),
}


def time_zone_choices(form=None, field=None) -> list:
    """The zones in the reader's language: the US first, then each part of the world A to Z.
    A zone's old name someone already has (Asia/Calcutta) is kept in the list for them."""
    language = current_language()
    labels = time_zone_labels(language)
    shown = set(listed_time_zones()) - set(COMMON_TIME_ZONES)
    if field is not None and field.data in labels and field.data not in COMMON_TIME_ZONES:
        shown.add(field.data)
    choices = select_choices(((z, labels[z]) for z in COMMON_TIME_ZONES), _l("United States"))
    for area, area_name in TIME_ZONE_AREAS.items():
        zones = sorted((z for z in shown if z.startswith(area + "/")),
                       key=lambda z: sort_key(labels[z]))
        choices += select_choices(((z, labels[z]) for z in zones), area_name)
    return choices


def email_field() -> EmailField:
    return EmailField(_l("Email"), filters=[strip],
                      validators=[DataRequired(_l("Enter your email address.")), Length(max=254),
                                  CleanText(),
                                  Email(_l("Enter an email address like name@example.org."))])


def display_name_field() -> StringField:
    return StringField(
        _l("Your name"), filters=[strip],
        description=_l("How you want to be called. A first name is fine."),
        validators=[DataRequired(_l("Enter the name you want to use.")),
                    Length(max=80, message=_l("Use 80 characters or fewer.")), CleanText()])


WEAKNESS_MESSAGES = {
    Weakness.COMMON: _l("This password is one of the most common ones and easy to guess. "
                        "Try a short sentence only you would think of."),
    Weakness.REPETITIVE: _l("This password repeats itself and is easy to guess. Try a short "
                            "sentence only you would think of."),
    Weakness.SEQUENCE: _l("This password is a run of keys or letters and is easy to guess. Try a "
                          "short sentence only you would think of."),
    Weakness.PERSONAL: _l("This password is mostly your name, your email or this app's name, and "
                          "is easy to guess. Try a short sentence only you would think of."),
}


class StrongPassword:
    """The password policy (wham.accounts.password_policy); the length has its own message."""

    def __call__(self, form, field) -> None:
        context = [getattr(form, name).data for name in ("email", "display_name") if name in form]
        if current_user and current_user.is_authenticated:
            context += [current_user.email, current_user.display_name]
        problem = weakness(field.data or "", context)
        if problem in WEAKNESS_MESSAGES:
            raise ValidationError(WEAKNESS_MESSAGES[problem])


def _new_password_field(label) -> PasswordField:
    return PasswordField(
        label, description=_l("At least %(n)s characters. A short sentence works well.",
                              n=PASSWORD_MIN_LENGTH),
        validators=[DataRequired(_l("Choose a password.")),
                    Length(min=PASSWORD_MIN_LENGTH, max=PASSWORD_MAX_LENGTH,
                           message=_l("Use between %(min)s and %(max)s characters.",
                                      min=PASSWORD_MIN_LENGTH, max=PASSWORD_MAX_LENGTH)),
                    CleanText(), StrongPassword()])


def _confirm_field() -> PasswordField:
    return PasswordField(_l("Type the password again"),
                         validators=[DataRequired(_l("Type the password again.")),
                                     EqualTo("password", _l("The two passwords are not the same."))])


def time_zone_field() -> SelectField:
    return SelectField(_l("Time zone"), choices=time_zone_choices,
                       description=_l("Reminders and weeks follow this time zone."),
                       validators=[ValidTimeZone()], validate_choice=False)


class LoginForm(WhamForm):
    email = EmailField(_l("Email"), filters=[strip],
                       validators=[DataRequired(_l("Enter your email address.")), Length(max=254),
                                   CleanText()])
    password = PasswordField(_l("Password"),
                             validators=[DataRequired(_l("Enter your password.")),
                                         Length(max=PASSWORD_MAX_LENGTH), CleanText()])


class RegisterForm(WhamForm):
    display_name = display_name_field()
    email = email_field()
    password = _new_password_field(_l("Password"))
    confirm = _confirm_field()
    time_zone = time_zone_field()
    language = SelectField(_l("Language"), choices=LANGUAGE_CHOICES)
    invite_code = StringField(_l("Invite code"), filters=[strip],
                              description=_l("Your peer specialist or program gives you this code."),
                              validators=[Optional(), Length(max=100), CleanText()])


class ProfileForm(WhamForm):
    display_name = display_name_field()
    language = SelectField(_l("Language"), choices=LANGUAGE_CHOICES)
    time_zone = time_zone_field()
    mobile = StringField(_l("Mobile number (optional)"), filters=[strip],
                         description=_l("Only used for reminders you turn on. Leave empty for none."),
                         validators=[Optional(), Length(max=30), MobileNumber()])


class ChangePasswordForm(WhamForm):
    current_password = PasswordField(_l("Current password"),
                                     validators=[DataRequired(_l("Enter your current password.")),
                                                 Length(max=PASSWORD_MAX_LENGTH), CleanText()])
    password = _new_password_field(_l("New password"))
    confirm = _confirm_field()


class ResetPasswordForm(WhamForm):
    password = _new_password_field(_l("New password"))
    confirm = _confirm_field()


class DeleteAccountForm(WhamForm):
    """Deleting an account asks for the password again, whoever is holding the device."""

    password = PasswordField(_l("Your password"),
                             validators=[DataRequired(_l("Enter your password.")),
                                         Length(max=PASSWORD_MAX_LENGTH), CleanText()])
    understood = BooleanField(
        _l("I understand that my goals, plans, check-ins, support plan and sharing are erased "
           "and cannot be brought back."),
        validators=[DataRequired(_l("Tick this box to say you understand."))])


class ConfirmForm(WhamForm):
    """A form with nothing but its CSRF token, for buttons that change state."""

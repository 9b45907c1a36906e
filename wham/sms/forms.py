"""Forms for confirming a mobile number and choosing which texts to get, and when."""
from __future__ import annotations

from datetime import time

from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, SelectField, StringField, TimeField
from wtforms.validators import DataRequired, InputRequired, Length, Regexp

from config import Config
from wham.forms import WhamForm
from wham.validators import CleanText, select_choices, strip

WEEKDAYS = [("0", _l("Monday")), ("1", _l("Tuesday")), ("2", _l("Wednesday")),
            ("3", _l("Thursday")), ("4", _l("Friday")), ("5", _l("Saturday")),
            ("6", _l("Sunday"))]


class ConfirmCodeForm(WhamForm):
    code = StringField(_l("The 6-digit code from the text"), filters=[strip],
                       validators=[DataRequired(_l("Enter the code from the text message.")),
                                   Length(max=6, message=_l("The code has 6 digits.")),
                                   CleanText(),
                                   Regexp(r"^\d{6}$", message=_l("The code has 6 digits."))])


class SmsSettingsForm(WhamForm):
    checkin_reminder = BooleanField(_l("Weekly check-in reminder"))
    checkin_weekday = SelectField(_l("Reminder day"), choices=select_choices(WEEKDAYS),
                                  coerce=int, default=0,
                                  validators=[InputRequired(_l("Choose a day."))])
    checkin_time = TimeField(_l("Reminder time"), default=time(18, 0),
                             description=_l("Your own local time."),
                             validators=[InputRequired(_l("Enter a time such as 18:00."))])
    group_reminder = BooleanField(_l("Texts about my group: a reminder the day before it "
                                     "meets, and notes from the facilitator"))
    flag_alert = BooleanField(_l("Alert when someone in my groups asks for support"),
                              description=_l("The text says only that there is something to "
                                             "look at, never who or why."))
    quiet_start = TimeField(_l("Quiet hours start"), default=time(21, 0),
                            description=_l("No texts between these times."),
                            validators=[InputRequired(_l("Enter a time such as 21:00."))])
    quiet_end = TimeField(_l("Quiet hours end"), default=time(8, 0),
                          validators=[InputRequired(_l("Enter a time such as 08:00."))])
    language = SelectField(_l("Language of the texts"),
                           choices=select_choices(Config.LANGUAGES.items()))

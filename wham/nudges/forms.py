"""The facilitator's form: one of the reviewed messages, previewed, then sent to the group."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import RadioField, SubmitField
from wtforms.validators import InputRequired

from wham.forms import WhamForm


class GroupTextForm(WhamForm):
    message = RadioField(_l("Message"), choices=[],
                         validators=[InputRequired(_l("Choose one of the messages."))])
    preview = SubmitField(_l("Preview"))
    send = SubmitField(_l("Send"))

    def set_choices(self, templates) -> GroupTextForm:
        self.message.choices = [(t.name, t.label) for t in templates]
        return self

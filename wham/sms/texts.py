"""SMS bodies from templates/sms/<name>.<language>.txt: short, no health information."""
from __future__ import annotations

import math
from datetime import datetime

from babel.dates import format_date
from flask import current_app

from wham.timeutil import to_local

# The GSM 03.38 alphabet: a text using only these goes as 7-bit, 160 characters a segment.
GSM_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà")
GSM_EXTENDED = frozenset("^{}\\[~]|€")  # each takes two of the 160


def sms_language(language: str | None) -> str:
    return language if language in current_app.config["LANGUAGES"] else "en"


def render_sms(name: str, language: str | None, **values) -> str:
    """One message text in the person's language, with the program name filled in."""
    template = current_app.jinja_env.get_template(f"sms/{name}.{sms_language(language)}.txt")
    return template.render(program=current_app.config["PROGRAM_NAME"], **values).strip()


def segments(text: str) -> int:
    """How many SMS segments a text takes: 160/153 characters in GSM 7-bit, 70/67 once any
    character is outside it (UCS-2, e.g. á or í in Spanish)."""
    if all(ch in GSM_BASIC or ch in GSM_EXTENDED for ch in text):
        length = sum(2 if ch in GSM_EXTENDED else 1 for ch in text)
        single, part = 160, 153
    else:
        length = sum(2 if ord(ch) > 0xFFFF else 1 for ch in text)
        single, part = 70, 67
    return 1 if length <= single else math.ceil(length / part)


def sms_datetime(moment: datetime, tz_name: str, language: str | None) -> str:
    """A day and time for a text, in the reader's zone and language: "Tue Mar 10, 6:00 PM",
    "martes 10 de marzo, 18:00". Spelled out by hand: CLDR's time formats use narrow
    no-break spaces, which would push a whole text out of the GSM alphabet."""
    local = to_local(moment, tz_name)
    if sms_language(language) == "es":
        return f"{format_date(local, 'EEEE d', locale='es')} de " \
               f"{format_date(local, 'MMMM', locale='es')}, {local:%H:%M}"
    hour = local.hour % 12 or 12
    return f"{format_date(local, 'EEE MMM d', locale='en')}, {hour}:{local:%M} " \
           f"{'AM' if local.hour < 12 else 'PM'}"

"""SMS bodies from templates/sms/<name>.<language>.txt: short, no health information."""
from __future__ import annotations

from flask import current_app


def sms_language(language: str | None) -> str:
    return language if language in current_app.config["LANGUAGES"] else "en"


def render_sms(name: str, language: str | None, **values) -> str:
    """One message text in the person's language, with the program name filled in."""
    template = current_app.jinja_env.get_template(f"sms/{name}.{sms_language(language)}.txt")
    return template.render(program=current_app.config["PROGRAM_NAME"], **values).strip()

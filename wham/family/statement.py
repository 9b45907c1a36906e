"""The consent statement in words: built from a consent's terms in the signer's language, and
kept word for word with the consent when it is signed, so what was signed can be shown later
even after the app's wording changes."""
from __future__ import annotations

import hashlib
import json

from flask import current_app
from flask_babel import force_locale, format_date, get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from wham.accounts.services import format_mobile_number
from wham.family.models import Consent

# Common reasons to share, offered on the consent form; "other" asks for the participant's words.
PURPOSES = {
    "crisis": _l("To help me in a crisis"),
    "recovery": _l("To support my recovery and wellness"),
    "care": _l("To help coordinate my care with me"),
    "other": _l("Another reason (write it below)"),
}
# Raise when the shape of the statement (not its words) changes, so old ones still render.
STATEMENT_VERSION = 1


def build_statement(consent: Consent) -> dict:
    """The words of the permission as they read today, in the participant's language (the one
    they read it in): title, facts (label and lines) and the points about revoking and
    passing information on."""
    with force_locale(signer_language(consent)):
        return _statement(consent)


def signer_language(consent: Consent) -> str:
    language = consent.participant.language
    return language if language in current_app.config["LANGUAGES"] else "en"


def _statement(consent: Consent) -> dict:
    who = consent.participant.display_name
    name = consent.recipient_name
    address = consent.recipient_email or (format_mobile_number(consent.recipient_mobile)
                                          if consent.recipient_mobile else None)
    scopes = []
    if consent.share_support_plan:
        scopes.append(_("The whole support plan, including the crisis plan"))
    if consent.share_crisis_plan:
        scopes.append(_("The crisis plan only"))
    if consent.share_progress:
        scopes.append(_("The current goal and this week's plan"))
    purpose = str(PURPOSES.get(consent.purpose, consent.purpose))
    if consent.purpose_text:
        purpose = f"{purpose}: “{consent.purpose_text}”"
    until = (_("the end of %(day)s", day=format_date(consent.expires_on, "long"))
             if consent.expires_on else f"“{consent.expiry_event}”")
    return {
        "version": STATEMENT_VERSION,
        "language": str(get_locale() or "en"),
        "title": _("Permission to share"),
        "facts": [
            {"label": _("Who shares"), "lines": [who]},
            {"label": _("With whom"), "lines": [f"{name} ({address})" if address else name]},
            {"label": _("What they can see"), "lines": scopes,
             "note": _("Nothing else: no check-ins, no personal log, no group.")},
            {"label": _("Why"), "lines": [purpose]},
            {"label": _("Until"), "lines": [until]},
        ],
        "points": [
            _("%(who)s can stop sharing at any time. It takes effect at once.", who=who),
            _("Stopping does not undo what was already seen."),
            _("%(who)s can see each time %(name)s looks.", who=who, name=name),
            _("%(name)s must not pass this information on to anyone else, unless %(who)s agrees "
              "or the law allows it. Federal privacy rules (42 CFR Part 2) may protect it.",
              name=name, who=who),
            _("Saying no, or stopping later, does not change the help %(who)s gets from the "
              "program.", who=who),
        ],
    }


def statement_digest(statement: dict) -> str:
    """A fingerprint of the exact words, to check that the page signed is the page read."""
    canonical = json.dumps(statement, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


def statement_of(consent: Consent) -> dict:
    """What to show for a consent: the words as signed once it is signed; until then (and for
    consents signed before the words were kept) the words as they read today."""
    return consent.signed_statement or build_statement(consent)

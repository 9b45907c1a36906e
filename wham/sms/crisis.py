"""Words in an inbound text that suggest a crisis: the reviewed list, in English and Spanish.

Matching is on whole words after lower-casing and dropping accents and apostrophes, so
"Quiero MORIR" and "dont want to live" match, and "suicidal" does not hide in "suicidally".
It errs towards answering: a false alarm costs a peer specialist a call; a miss costs more.
Changing the list needs the program's clinical review; tests/sms/test_crisis_texts.py holds
the examples that must and must not match."""
from __future__ import annotations

import re
import unicodedata

CRISIS_PHRASES = {
    "en": (
        "suicide", "suicidal", "kill myself", "killing myself", "end my life", "ending my life",
        "take my life", "want to die", "wanna die", "wish i was dead", "wish i were dead",
        "better off dead", "no reason to live", "dont want to live", "do not want to live",
        "dont want to be here", "hurt myself", "hurting myself", "harm myself", "self harm",
        "selfharm", "cut myself", "cutting myself", "overdose", "end it all", "cant go on",
        "cannot go on", "cant take it anymore",
    ),
    "es": (
        "suicidio", "suicida", "suicidarme", "matarme", "me quiero matar", "quitarme la vida",
        "quiero morir", "quiero morirme", "me quiero morir", "no quiero vivir",
        "mejor muerto", "mejor muerta", "hacerme dano", "lastimarme", "cortarme", "sobredosis",
        "acabar con todo", "no puedo mas", "no aguanto mas", "sin razon para vivir",
    ),
}


def _normalise(text: str) -> str:
    text = unicodedata.normalize("NFKD", text.lower())
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    text = re.sub(r"['’`´]", "", text)
    return " " + " ".join(re.findall(r"[a-z0-9]+", text)) + " "


_PHRASES = {language: tuple(_normalise(p) for p in phrases)
            for language, phrases in CRISIS_PHRASES.items()}


def crisis_language(text: str) -> str | None:
    """The language of the first crisis phrase found in `text` ("en" or "es"), or None."""
    words = _normalise(text or "")
    for language, phrases in _PHRASES.items():
        if any(phrase in words for phrase in phrases):
            return language
    return None

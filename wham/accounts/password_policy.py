"""The password policy (NIST SP 800-63B, 5.1.1.2): long enough, not a known breached password,
not repetitive or a keyboard run, not made of the person's own name or email or the app's name.

The breached-password list is `common-passwords.txt.gz` beside this file: the 20,000 most
common passwords from breach corpora compiled by Royce Williams
(https://gist.github.com/roycewilliams/226886fd01572964e1431ac8afc999ce), lowercased and
deduplicated, exactly as shipped in Django 5.2.8 (django/contrib/auth/common-passwords.txt.gz,
BSD-3-Clause, (c) Django Software Foundation and individual contributors). Refresh it from a
newer Django release; comparisons are case-insensitive.
"""
from __future__ import annotations

import enum
import gzip
import re
from collections.abc import Iterable
from functools import cache
from pathlib import Path

from wham.validators import PASSWORD_MAX_LENGTH as MAX_LENGTH
from wham.validators import PASSWORD_MIN_LENGTH as MIN_LENGTH

COMMON_PASSWORDS_FILE = Path(__file__).with_name("common-passwords.txt.gz")

# Runs people type instead of choosing: alphabet, digits, keyboard rows and columns.
_SEQUENCES = ("abcdefghijklmnopqrstuvwxyz", "01234567890123456789", "qwertyuiopasdfghjklzxcvbnm",
              "qwertzuiopasdfghjklyxcvbnm", "azertyuiopqsdfghjklmwxcvbn",
              "1qaz2wsx3edc4rfv5tgb6yhn7ujm8ik9ol0p")
_SEPARATORS = re.compile(r"[\s\-_.!@#$%^&*+=~,;:'\"/\\|()\[\]{}<>?]+")
# Words that say nothing about the person's secret on this site.
_SITE_WORDS = ("wham", "whole health", "wholehealth", "password", "passwort", "contrasena",
               "contraseña")


class Weakness(enum.StrEnum):
    TOO_SHORT = "too_short"
    TOO_LONG = "too_long"
    COMMON = "common"
    REPETITIVE = "repetitive"
    SEQUENCE = "sequence"
    PERSONAL = "personal"


@cache
def common_passwords() -> frozenset[str]:
    with gzip.open(COMMON_PASSWORDS_FILE, "rt", encoding="utf-8") as f:
        return frozenset(line.strip() for line in f if line.strip())


def is_common(password: str) -> bool:
    return password.strip().lower() in common_passwords()


def _is_repetitive(folded: str) -> bool:
    if len(set(folded)) < 5:
        return True
    # One unit said again and again: "abcabcabcabc", "passwordpassword".
    return any(len(folded) % size == 0 and folded == folded[:size] * (len(folded) // size)
               for size in range(1, len(folded) // 2 + 1))


def _is_sequence(folded: str) -> bool:
    compact = _SEPARATORS.sub("", folded)
    return len(compact) >= 6 and any(compact in run or compact in run[::-1] for run in _SEQUENCES)


def _context_words(context: Iterable[str | None]) -> list[str]:
    words: set[str] = set(_SITE_WORDS)
    for item in context:
        if not item:
            continue
        item = item.strip().lower()
        local = item.split("@", 1)[0]
        words.update({item, local, *(w for w in _SEPARATORS.split(local) if len(w) >= 3),
                      *(w for w in _SEPARATORS.split(item) if len(w) >= 3)})
    return sorted((w for w in words if len(w) >= 3), key=len, reverse=True)


def _is_personal(folded: str, context: Iterable[str | None]) -> bool:
    """Mostly the person's own name or email (or the site's name): what is left after taking
    those out is short, common or repetitive."""
    rest = folded
    for word in _context_words(context):
        rest = rest.replace(word, "")
    if rest == folded:
        return False
    rest = _SEPARATORS.sub("", rest)
    return len(rest) < 6 or is_common(rest) or _is_repetitive(rest) or _is_sequence(rest)


def weakness(password: str, context: Iterable[str | None] = ()) -> Weakness | None:
    """Why `password` may not be used, or None when it is fine. `context` holds the person's
    name and email, which a password must not be made of."""
    if len(password) < MIN_LENGTH:
        return Weakness.TOO_SHORT
    if len(password) > MAX_LENGTH:
        return Weakness.TOO_LONG
    folded = password.strip().lower()
    if is_common(folded) or is_common(_SEPARATORS.sub("", folded)):
        return Weakness.COMMON
    if _is_repetitive(folded):
        return Weakness.REPETITIVE
    if _is_sequence(folded):
        return Weakness.SEQUENCE
    # A common password with digits or symbols stuck on the end ("iloveyou2026!!!").
    stem = re.sub(r"[\d\W_]+$", "", folded)
    if stem and stem != folded and is_common(stem):
        return Weakness.COMMON
    if _is_personal(folded, context):
        return Weakness.PERSONAL
    return None

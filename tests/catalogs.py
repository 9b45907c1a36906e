"""The translation catalogs as the tests see them: texts pulled from code and templates the way
`make translations` does, the .po catalogs, and their compiled .mo files."""
from __future__ import annotations

import os
import re
import tempfile
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.frontend import CommandLineInterface
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parent.parent
TRANSLATIONS = ROOT / "wham" / "translations"


def po_files() -> dict[str, Path]:
    """{language: path of its messages.po}."""
    return {path.parent.parent.name: path for path in sorted(TRANSLATIONS.glob("*/LC_MESSAGES/messages.po"))}


def read_catalog(path: Path) -> Catalog:
    with path.open("rb") as f:
        return read_po(f)


def babel_keywords() -> list[str]:
    """The extra extraction keywords, read from the Makefile so both pull the same texts."""
    makefile = (ROOT / "Makefile").read_text()
    match = re.search(r"^BABEL_KEYWORDS\s*:=\s*(.+)$", makefile, re.MULTILINE)
    assert match, "the Makefile defines BABEL_KEYWORDS"
    return match.group(1).split()


def extract_texts() -> Catalog:
    """Every translatable text in code and templates now, as `make translations` pulls them."""
    with tempfile.TemporaryDirectory() as tmp:
        pot = Path(tmp) / "messages.pot"
        status = CommandLineInterface().run([
            "pybabel", "-q", "extract", "-F", str(ROOT / "babel.cfg"), *babel_keywords(),
            # As the Makefile: pybabel skips folders starting with "_" (templates/_macros) unless told.
            "--ignore-dirs=.*", "-o", str(pot), str(ROOT)])
        assert not status, "pybabel extract failed"
        return read_catalog(pot)


def compile_stale_catalogs() -> None:
    """Compile each .po whose .mo is missing or older, as `make` does. The file is replaced in
    one step, so another test process never reads half a catalog."""
    for po in po_files().values():
        mo = po.with_suffix(".mo")
        if mo.exists() and mo.stat().st_mtime >= po.stat().st_mtime:
            continue
        catalog = read_catalog(po)
        fd, tmp = tempfile.mkstemp(dir=po.parent, suffix=".mo.tmp")
        with os.fdopen(fd, "wb") as f:
            write_mo(f, catalog)
        os.replace(tmp, mo)

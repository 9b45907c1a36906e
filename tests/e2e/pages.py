"""Checks that every page must pass, for the every-page crawl and for the journeys: axe-core with
WCAG 2.2 A/AA rules (no serious or critical violations), no sideways scrolling on a phone, and
tap targets of at least 44 px."""
from __future__ import annotations

import re
from urllib.parse import urljoin, urlsplit

from axe_playwright_python.sync_playwright import Axe

AXE = Axe()
AXE_OPTIONS = {
    "runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]},
    "resultTypes": ["violations"],
}
BLOCKING = {"serious", "critical"}
MIN_TARGET = 44

# Visible controls that are smaller than 44 px in either direction. Links inside a sentence are
# exempt (WCAG 2.5.5 and 2.5.8 both except inline targets); a checkbox or radio counts together
# with its label, which is what a finger taps.
_SMALL_TARGETS_JS = """
(min) => {
  const small = [];
  const visible = (el) => {
    const r = el.getBoundingClientRect();
    const s = getComputedStyle(el);
    return r.width > 0 && r.height > 0 && s.visibility !== 'hidden' && s.display !== 'none';
  };
  const inline = (el) => {
    if (el.tagName !== 'A') return false;
    const block = el.closest('p, li, td, dd, figcaption, label, .help, .muted, small');
    if (!block) return false;
    const text = block.textContent.replace(el.textContent, '').trim();
    return text.length > 0 && getComputedStyle(el).display === 'inline';
  };
  const area = (el) => {
    if (el.matches('input[type=checkbox], input[type=radio]')) {
      const label = el.closest('label') || (el.id && document.querySelector(`label[for="${el.id}"]`));
      const box = el.closest('.check, .choice, .rating, .radio') || label;
      if (box) return box.getBoundingClientRect();
    }
    return el.getBoundingClientRect();
  };
  const selector = 'a[href], button, input:not([type=hidden]), select, textarea, summary, [role=button]';
  for (const el of document.querySelectorAll(selector)) {
    if (!visible(el) || inline(el) || el.closest('.skip-link')) continue;
    const r = area(el);
    if (r.height + 0.5 < min || r.width + 0.5 < min) {
      small.push(`${el.outerHTML.slice(0, 120)} is ${Math.round(r.width)}x${Math.round(r.height)}`);
    }
  }
  return small;
}
"""


def accessibility_problems(page) -> list[str]:
    """Serious or critical axe-core violations on the page now, one line per rule."""
    results = AXE.run(page, options=AXE_OPTIONS).response
    problems = []
    for violation in results["violations"]:
        if violation["impact"] in BLOCKING:
            targets = [", ".join(node["target"]) for node in violation["nodes"][:3]]
            problems.append(f"axe {violation['id']} ({violation['impact']}): {violation['help']} "
                            f"at {targets}")
    return problems


def _sideways(page, width: int) -> list[str]:
    scroll_width = page.evaluate("document.scrollingElement.scrollWidth")
    if scroll_width <= width:
        return []
    wide = page.evaluate("""(w) => [...document.querySelectorAll('body *')]
        .filter(e => e.getBoundingClientRect().right > w + 1)
        .slice(0, 3).map(e => e.outerHTML.slice(0, 100))""", width)
    return [f"scrolls sideways: {scroll_width}px wide on a {width}px screen ({wide})"]


def phone_problems(page) -> list[str]:
    """Sideways scrolling and small tap targets on the phone-sized page."""
    width = page.viewport_size["width"]
    targets = [f"tap target {item}" for item in page.evaluate(_SMALL_TARGETS_JS, MIN_TARGET)]
    return _sideways(page, width) + targets


_CHART_JS = """() => [...document.querySelectorAll('svg')].filter((svg) => {
  if (svg.closest('[aria-hidden="true"]')) return false;
  const named = svg.getAttribute('role') === 'img'
    && (svg.getAttribute('aria-label') || svg.getAttribute('aria-labelledby') || svg.querySelector('title'));
  return !named;
}).map((svg) => svg.outerHTML.slice(0, 100))"""


def chart_problems(page) -> list[str]:
    """Every picture drawn in SVG is either hidden from screen readers (decoration) or an image
    with a text alternative; a page with a chart also offers its numbers as a table."""
    problems = [f"chart without a text alternative: {svg}" for svg in page.evaluate(_CHART_JS)]
    if page.locator("svg.chart").count() and not page.locator("table").count():
        problems.append("a chart without its numbers in a table")
    return problems


def reflow_problems(page, widths=(320,)) -> list[str]:
    """Sideways scrolling at 320 px wide (WCAG 1.4.10 reflow: a 1280 px screen at 400% zoom, so
    200% zoom too)."""
    size = page.viewport_size
    problems = []
    try:
        for width in widths:
            page.set_viewport_size({"width": width, "height": size["height"]})
            problems += _sideways(page, width)
    finally:
        page.set_viewport_size(size)
    return problems


_ID = re.compile(r"/(\d{4}-\d{2}-\d{2}|\d+)(?=/|$)")
_TOKEN = re.compile(r"/[A-Za-z0-9_-]{20,}(?=/|$)")


def page_kind(url: str) -> str:
    """The page a URL shows, without its ids: /groups/3/members/9 -> /groups/N/members/N."""
    parts = urlsplit(url)
    path = _TOKEN.sub("/TOKEN", _ID.sub("/N", parts.path))
    keys = sorted(key.split("=")[0] for key in parts.query.split("&") if key)
    return path + ("?" + "&".join(keys) if keys else "")


def same_site_links(page, base: str) -> list[str]:
    """The links on the page that lead to other pages of this site (GET only, no files)."""
    hrefs = page.evaluate("[...document.querySelectorAll('a[href]')].map(a => a.getAttribute('href'))")
    links = []
    for href in hrefs:
        url = urljoin(page.url, href).split("#")[0]
        if not url.startswith(base) or re.search(r"\.(csv|ics|json|pdf|png|svg|txt)$|/static/", url):
            continue
        links.append(url)
    return links


def assert_page_ok(page, axe: bool = True) -> None:
    """The page now passes axe-core (serious and critical) and fits the phone it is shown on."""
    problems = (accessibility_problems(page) if axe else []) + phone_problems(page)
    assert not problems, f"{page.url}:\n  " + "\n  ".join(problems)


_FOCUS_VISIBLE_JS = """() => {
  const el = document.activeElement;
  if (!el || el === document.body) return false;
  const drawn = (e) => {
    const s = getComputedStyle(e);
    return (s.outlineStyle !== 'none' && parseFloat(s.outlineWidth) >= 2) || s.boxShadow !== 'none';
  };
  return drawn(el) || [el.closest('label'), el.parentElement].some((e) => e && drawn(e));
}"""


def tab_to(page, matches: str, max_presses: int = 120) -> int:
    """Press Tab until the focused element matches the CSS selector; each stop must show where
    the focus is. Returns the number of presses."""
    for presses in range(1, max_presses + 1):
        page.keyboard.press("Tab")
        focused = page.evaluate("document.activeElement.outerHTML.slice(0, 120)")
        assert page.evaluate(_FOCUS_VISIBLE_JS), f"no visible focus on {focused}"
        if page.evaluate("(s) => document.activeElement.matches(s)", matches):
            return presses
    raise AssertionError(f"Tab never reached {matches}")


def choose_with_arrows(page, value: str, max_presses: int = 12) -> int:
    """In the focused radio group, move with the arrow keys to the answer with this value."""
    for presses in range(max_presses + 1):
        if page.evaluate("document.activeElement.value") == value:
            if not page.evaluate("document.activeElement.checked"):
                page.keyboard.press("Space")
                presses += 1
            return presses
        page.keyboard.press("ArrowRight")
    raise AssertionError(f"the arrow keys never reached the answer {value}")

"""Links: absolute ones for things that leave the app (reset links, SMS), built on
PUBLIC_BASE_URL, and many links of one kind on a page from one url_for."""
from __future__ import annotations

from collections.abc import Callable

from flask import current_app, has_request_context, url_for


def public_url(endpoint: str, **values) -> str:
    base = current_app.config["PUBLIC_BASE_URL"].rstrip("/")
    if has_request_context():
        return base + url_for(endpoint, **values)
    # The scheduler builds links outside any request: the path alone, from the URL map.
    return base + current_app.url_map.bind("localhost").build(endpoint, values)


# Stand-ins for the values that differ from link to link: numbers, which any converter takes.
_SAMPLE = 987654320


def link_maker(endpoint: str, *varying: str, **fixed) -> Callable[..., str]:
    """url_for(endpoint, **fixed, ...) as a function of the `varying` values, given in that
    order, from one url_for: a page with a link per row (a group, a member, a flag, a week)
    would otherwise spend tens of microseconds on each. The values are written as given (ids,
    ISO dates), as url_for writes them."""
    samples = {name: _SAMPLE + n for n, name in enumerate(varying)}
    path = url_for(endpoint, **fixed, **samples).replace("{", "{{").replace("}", "}}")
    for n, sample in enumerate(samples.values()):
        path = path.replace(str(sample), f"{{{n}}}")
    return path.format

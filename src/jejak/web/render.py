"""Pages: one Jinja2 environment over the package's templates, the security headers every page carries, and
the helpers templates use (dates, sizes, short hashes)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, PackageLoader, select_autoescape

from jejak import __version__
from jejak.services.accounts import Perm, Principal

HEADERS = {
    # Scripts, styles and images from this server only; no inline script, no framing, no referrer leaks.
    "Content-Security-Policy": "default-src 'self'; img-src 'self' data:; style-src 'self'; "
    "script-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
    "Cache-Control": "no-store, private",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
}


def _when(value: Any) -> str:
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M")
    if isinstance(value, str) and len(value) >= 16 and value[10] == "T":
        return value[:16].replace("T", " ")
    return "" if value is None else str(value)


def _size(value: Any) -> str:
    try:
        n = float(value)
    except (TypeError, ValueError):
        return ""
    for unit in ("B", "KB", "MB", "GB"):
        if n < 1024 or unit == "GB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    return f"{n:.1f} TB"


def category_label(cat: dict[str, Any] | None) -> str | None:
    """``vic-us 1 · CAM``: a category record (triage's ``{scheme, code, label}``) as people read it."""
    if not cat:
        return None
    return f"{cat['scheme']} {cat['code']} · {cat['label']}"


def _short(value: Any, n: int = 12) -> str:
    s = "" if value is None else str(value)
    return s if len(s) <= n else s[:n] + "…"


ENV = Environment(
    loader=PackageLoader("jejak.web", "templates"),
    autoescape=select_autoescape(["html", "xml", "svg"]),
    trim_blocks=True,
    lstrip_blocks=True,
)
ENV.filters["when"] = _when
ENV.filters["size"] = _size
ENV.filters["short"] = _short


def page(
    request: Request, template: str, who: Principal | None, status_code: int = 200, **values: Any
) -> HTMLResponse:
    """A rendered page: ``values`` plus the signed-in user, the CSRF token of the session and the version."""
    from jejak.web.session import csrf_of

    html = ENV.get_template(template).render(
        request=request,
        who=who,
        csrf=csrf_of(request) if who is not None else "",
        version=__version__,
        Perm=Perm,
        can=lambda perm: who is not None and perm in who.perms,
        **values,
    )
    return HTMLResponse(html, status_code=status_code, headers=HEADERS)

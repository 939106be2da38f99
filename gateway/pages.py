"""HTML pages for people (officers, citizens): one layout, every value escaped, Vietnamese with English."""

from __future__ import annotations

import html
from datetime import datetime
from zoneinfo import ZoneInfo

from fastapi.responses import HTMLResponse

_STYLE = (
    "body{font-family:'Noto Sans','DejaVu Sans',sans-serif;margin:0 auto;max-width:60rem;padding:1rem;color:#1b1b1b;"
    "overflow-wrap:anywhere}h1{font-size:1.6rem}table{border-collapse:collapse;width:100%;margin-bottom:1.5rem}"
    "th,td{border-bottom:1px solid #ddd;padding:.35rem;text-align:left;vertical-align:top}"
    ".off{color:#b00020}.on{color:#1b7a2b}.note{color:#555}article{border-bottom:1px solid #ddd;padding:.75rem 0}"
    "audio{width:100%}form label{display:block;margin:.5rem 0}input,select,textarea{font-size:1rem}"
    "blockquote{white-space:pre-wrap;margin:.25rem 0 .25rem 1rem;color:#333}"
)
SECURITY_HEADERS = {
    "Cache-Control": "no-store",
    "Content-Security-Policy": "default-src 'self'; style-src 'unsafe-inline'; img-src 'self' data:; "
    "media-src 'self'; form-action 'self'; frame-ancestors 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
}


def esc(value: object) -> str:
    """Text for HTML, quotes included."""
    return html.escape("" if value is None else str(value), quote=True)


def local_time(value: datetime | None, timezone: str, fmt: str = "%H:%M %d/%m/%Y") -> str:
    return value.astimezone(ZoneInfo(timezone)).strftime(fmt) if value else "chưa bao giờ / never"


def page(title: str, body: str, *, status: int = 200, headers: dict | None = None) -> HTMLResponse:
    """A whole page; ``body`` is HTML the caller built with ``esc`` around every value."""
    document = (
        "<!doctype html><html lang='vi'><head><meta charset='utf-8'>"
        "<meta name='viewport' content='width=device-width, initial-scale=1'>"
        f"<title>{esc(title)}</title><style>{_STYLE}</style></head><body>{body}</body></html>"
    )
    return HTMLResponse(document, status_code=status, headers={**SECURITY_HEADERS, **(headers or {})})


def error_page(status: int, message_vi: str, message_en: str, *, link: str = "") -> HTMLResponse:
    """A bilingual error page."""
    body = f"<h1>Lỗi / Error {status}</h1><p>{esc(message_vi)}</p><p lang='en' class='note'>{esc(message_en)}</p>"
    return page(f"Lỗi {status}", body + link, status=status)

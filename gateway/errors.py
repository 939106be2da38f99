"""Gateway errors and the handlers that turn every failure into one JSON shape, in both languages."""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse
from sqlalchemy.exc import DataError, IntegrityError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Match

import storage
from gateway.board import render_board_error


class GatewayError(Exception):
    """An error answered as ``{"error", "message_vi", "message_en"}`` with an HTTP status."""

    def __init__(
        self, status: int, code: str, message_en: str, message_vi: str, headers: dict | None = None
    ) -> None:
        super().__init__(message_en)
        self.status = status
        self.code = code
        self.message_en = message_en
        self.message_vi = message_vi
        self.headers = headers


# Storage errors a device can cause, by class; anything else from storage is a 400.
_STORAGE_STATUS = {
    "DeviceAuthError": 403,
    "UnknownDevice": 404,
    "UnknownBulletin": 404,
    "UnknownUnit": 404,
    "LinkRejected": 403,
    "UnknownReviewAudio": 404,
}


def error_response(
    status: int,
    code: str,
    message_en: str,
    message_vi: str,
    *,
    details: list[str] | None = None,
    headers=None,
    request: Request | None = None,
) -> JSONResponse | HTMLResponse:
    """The bilingual JSON error body; an HTML page instead for a browser showing an e-board page."""
    if request is not None and _wants_board_page(request):
        page = render_board_error(status, code, message_vi, message_en)
        return HTMLResponse(
            page, status_code=status, headers={**(headers or {}), "Cache-Control": "no-store"}
        )
    body = {"error": code, "message_vi": message_vi, "message_en": message_en, "details": details or []}
    return JSONResponse(body, status_code=status, headers=headers)


def _wants_board_page(request: Request) -> bool:
    """A browser (it accepts HTML and did not ask for JSON) asking for a device's e-board page."""
    accept = request.headers.get("accept", "")
    return request.url.path.endswith("/board") and "text/html" in accept and "application/json" not in accept


def _field(loc: tuple) -> str:
    return ".".join(str(part) for part in loc if part != "body") or "body"


async def _gateway_error(request: Request, exc: GatewayError) -> JSONResponse | HTMLResponse:
    return error_response(
        exc.status, exc.code, exc.message_en, exc.message_vi, headers=exc.headers, request=request
    )


async def _storage_error(request: Request, exc: storage.StorageError) -> JSONResponse | HTMLResponse:
    status = _STORAGE_STATUS.get(type(exc).__name__, 400)
    return error_response(status, exc.code, exc.message_en, exc.message_vi, request=request)


async def _validation_error(_request: Request, exc: RequestValidationError) -> JSONResponse:
    details = [f"{_field(tuple(e.get('loc', ())))}: {e.get('msg', 'invalid')}" for e in exc.errors()[:20]]
    first = details[0] if details else "the request body is not valid JSON"
    return error_response(
        422,
        "invalid_request",
        f"the request is malformed ({first}); nothing was stored — fix it and send it again",
        f"yêu cầu không hợp lệ ({first}); chưa lưu gì — hãy sửa rồi gửi lại",
        details=details,
    )


def allowed_methods(request: Request) -> str:
    """The methods some route of the app answers at this path, for the ``Allow`` header of a 405."""
    methods: set[str] = set()
    for route in request.app.router.routes:
        for method in getattr(route, "methods", None) or ():
            if route.matches({**request.scope, "method": method})[0] == Match.FULL:
                methods.add(method)
    return ", ".join(sorted(methods))


async def _http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
    if exc.status_code == 404:
        return error_response(
            404,
            "not_found",
            "no such endpoint; the device API is under /v1",
            "không có địa chỉ này; API ở /v1",
        )
    if exc.status_code == 405:
        allow = allowed_methods(request) or (exc.headers or {}).get("Allow", "")
        return error_response(
            405,
            "method_not_allowed",
            f"method {request.method} is not allowed here; allowed: {allow}",
            f"không hỗ trợ phương thức {request.method} ở địa chỉ này; được dùng: {allow}",
            headers={"Allow": allow},
        )
    return error_response(
        exc.status_code, "http_error", str(exc.detail), str(exc.detail), headers=exc.headers
    )


async def _database_busy(request: Request, exc: OperationalError) -> JSONResponse | HTMLResponse:
    return error_response(
        503,
        "database_unavailable",
        "the database is busy or unreachable; nothing was stored — retry in a few seconds",
        "cơ sở dữ liệu đang bận hoặc không kết nối được; chưa lưu gì — hãy thử lại sau vài giây",
        headers={"Retry-After": "5"},
        request=request,
    )


async def _pool_exhausted(request: Request, exc: PoolTimeout) -> JSONResponse | HTMLResponse:
    return error_response(
        503,
        "gateway_busy",
        "the gateway's database connections are all busy; nothing was stored — retry in a second (Retry-After)",
        "các kết nối cơ sở dữ liệu của cổng thiết bị đều đang bận; chưa lưu gì — hãy thử lại sau một giây",
        headers={"Retry-After": "1"},
        request=request,
    )


async def _database_conflict(_request: Request, exc: IntegrityError) -> JSONResponse:
    return error_response(
        409,
        "conflict",
        "a concurrent request stored the same data first; nothing was stored — send it again",
        "một yêu cầu đồng thời đã lưu cùng dữ liệu; chưa lưu gì — hãy gửi lại",
    )


async def _database_refused(request: Request, exc: DataError) -> JSONResponse | HTMLResponse:
    """A value the database cannot hold (NUL in text, a number or text out of range) is the sender's error."""
    return error_response(
        422,
        "invalid_value",
        "a value in the request cannot be stored (a NUL character, or a number or text out of range); "
        "nothing was stored — fix it and send it again",
        "một giá trị trong yêu cầu không lưu được (ký tự NUL, hoặc số hay chuỗi vượt giới hạn); chưa lưu gì "
        "— hãy sửa rồi gửi lại",
        request=request,
    )


async def _out_of_range(request: Request, exc: OverflowError) -> JSONResponse | HTMLResponse:
    """A date or number in the request so far out that computing with it overflows (year 1, year 9999)."""
    return error_response(
        422,
        "out_of_range",
        f"a date or number in the request is out of range ({exc}): use dates from 2020 on; nothing was stored",
        f"một ngày hoặc một số trong yêu cầu vượt giới hạn ({exc}): dùng ngày từ năm 2020 trở đi; chưa lưu gì",
        request=request,
    )


def install_error_handlers(app: FastAPI) -> None:
    """Answer every error with the shared bilingual body."""
    app.add_exception_handler(GatewayError, _gateway_error)
    app.add_exception_handler(storage.StorageError, _storage_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(OperationalError, _database_busy)
    app.add_exception_handler(IntegrityError, _database_conflict)
    app.add_exception_handler(PoolTimeout, _pool_exhausted)
    app.add_exception_handler(DataError, _database_refused)
    app.add_exception_handler(OverflowError, _out_of_range)

"""`BridgeHTTPError` and its rendering: every non-200 answer has the body `{"error": {type, message, details}}`."""

from __future__ import annotations

from collections.abc import Mapping

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import JSONResponse, Response

from scillm.remote.schema import ErrorBody, ErrorDetail, ErrorReply

_TYPES = {400: "bad_request", 401: "unauthorized", 403: "forbidden", 404: "not_found", 405: "method_not_allowed",
          408: "request_timeout", 413: "too_large", 415: "unsupported_media_type", 421: "misdirected_request",
          422: "invalid_request", 429: "busy", 500: "server_error", 501: "engine_not_ready", 503: "unavailable"}


class BridgeHTTPError(Exception):
    """An answer other than 200, with its error body; raised by routes, rendered by the app."""

    def __init__(self, status_code: int, type_: str, message: str, *,
                 details: list[ErrorDetail] | None = None, headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status_code = status_code
        self.body = ErrorBody(type=type_, message=message, details=details or [])
        self.headers = headers or {}


def error_response(exc: BridgeHTTPError) -> JSONResponse:
    body = ErrorReply(error=exc.body).model_dump(mode="json")
    return JSONResponse(body, status_code=exc.status_code, headers=exc.headers)


def from_status(status_code: int, detail: object, headers: Mapping[str, str] | None = None) -> JSONResponse:
    """The documented body for an HTTP error raised by the framework itself (404, 405, ...)."""
    message = detail if isinstance(detail, str) else f"HTTP {status_code}"
    return error_response(BridgeHTTPError(status_code, _TYPES.get(status_code, "http_error"), message,
                                          headers=dict(headers or {})))


def field_errors(problems: list[tuple[str, str]], summary: str) -> BridgeHTTPError:
    """422 naming each refused field."""
    details = [ErrorDetail(loc=loc, msg=msg) for loc, msg in problems]
    text = "; ".join(f"{loc}: {msg}" for loc, msg in problems[:5])
    return BridgeHTTPError(422, "invalid_request", f"{summary}: {text}", details=details)


def install_error_handlers(app: FastAPI) -> None:
    """Every error FastAPI or Starlette raise themselves (404, 405, validation) in the documented shape."""

    @app.exception_handler(BridgeHTTPError)
    async def _on_bridge_error(request: Request, exc: BridgeHTTPError) -> Response:
        return error_response(exc)

    @app.exception_handler(StarletteHTTPException)
    async def _on_http_error(request: Request, exc: StarletteHTTPException) -> Response:
        return from_status(exc.status_code, exc.detail, exc.headers)

    @app.exception_handler(RequestValidationError)
    async def _on_validation(request: Request, exc: RequestValidationError) -> Response:
        problems = [(".".join(str(p) for p in e.get("loc", ())), str(e.get("msg", ""))) for e in exc.errors()]
        return error_response(field_errors(problems, "request does not match the schema"))


__all__ = ["BridgeHTTPError", "error_response", "field_errors", "from_status", "install_error_handlers"]

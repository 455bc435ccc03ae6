"""How an aiohttp error becomes a JSON answer, for the service's and the gateway's middlewares:
the message a person can act on, and the error's own headers kept (405's Allow, Retry-After)."""

from __future__ import annotations

from aiohttp import web


def error_message(request: web.Request, error: web.HTTPException) -> str:
    """405 names the methods the path takes; any other error says its text or reason."""
    if isinstance(error, web.HTTPMethodNotAllowed):
        allowed = ", ".join(sorted(error.allowed_methods))
        return f"{request.method} is not allowed on {request.path}; use {allowed}"
    return error.text or error.reason


def kept_headers(error: web.HTTPException) -> dict[str, str]:
    """The error's own headers (Allow, Retry-After) without those of its plain-text body."""
    dropped = {"content-type", "content-length"}
    return {name: value for name, value in error.headers.items() if name.lower() not in dropped}

"""The CORS rules of the widget's own HTTP calls (`POST /widget/resume`, gateway/resume.py;
`POST /widget/transcript-email`, gateway/transcript_email.py): the widget runs on the company's
site, so these routes answer the origins allowed to connect (GATEWAY_ALLOWED_ORIGINS), and only
them."""

from __future__ import annotations

from aiohttp import web

from gateway.settings import GatewaySettings

PREFLIGHT_HEADERS = {
    "Access-Control-Allow-Methods": "POST",
    "Access-Control-Allow-Headers": "Content-Type",
    "Access-Control-Max-Age": "600",
}


def cors_headers(request: web.Request, settings: GatewaySettings) -> dict[str, str] | None:
    """The CORS headers for the request's Origin: none without one (not a page's script), None
    for a site not in GATEWAY_ALLOWED_ORIGINS (the sites whose widgets may connect)."""
    origin = request.headers.get("Origin")
    if origin is None:
        return {}
    if origin.rstrip("/") not in settings.allowed_origins:
        return None
    return {"Access-Control-Allow-Origin": origin, "Vary": "Origin"}

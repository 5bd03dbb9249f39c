"""Who may embed the chat and call its API, and the headers every response carries."""

from __future__ import annotations

from urllib.parse import urlsplit

from aiohttp import web

# Our files only: no inline script or style, no other origin; frames only from listed portals.
PAGE_CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; "
    "connect-src 'self'; manifest-src 'none'; base-uri 'none'; form-action 'none'; "
    "frame-ancestors {ancestors}"
)


class Origins:
    """WEB_ALLOWED_ORIGINS: portals that may frame /chat and call /api/chat from their pages."""

    def __init__(self, allowed: tuple[str, ...], *, trust_forwarded_for: bool = False) -> None:
        self.allowed = frozenset(allowed)
        self.ancestors = " ".join(("'self'", *allowed))
        self.trust_forwarded_for = trust_forwarded_for

    def page_headers(self, response: web.StreamResponse) -> None:
        response.headers["Content-Security-Policy"] = PAGE_CSP.format(ancestors=self.ancestors)
        if not self.allowed:
            # For browsers without frame-ancestors; it cannot list portals, so only then.
            response.headers["X-Frame-Options"] = "SAMEORIGIN"
        common_headers(response)

    def cors(self, request: web.Request) -> str | None:
        """The origin to echo in Access-Control-Allow-Origin ("" when none is needed), or None
        when a browser on an origin that is not allowed sent the request."""
        origin = request.headers.get("Origin")
        if origin is None:
            return ""  # not a cross-origin browser request (a tool, or an old browser's GET)
        lowered = origin.rstrip("/").lower()
        if lowered in self.allowed:
            return origin
        parts = urlsplit(lowered)
        if parts.scheme in ("http", "https") and parts.netloc == request.host.lower():
            return ""
        return None

    def client(self, request: web.Request) -> str:
        """The visitor's address for rate limits (the proxy's last hop when trusted)."""
        if self.trust_forwarded_for:
            forwarded = request.headers.get("X-Forwarded-For", "")
            hops = [hop.strip() for hop in forwarded.split(",") if hop.strip()]
            if hops:
                return hops[-1]
        return request.remote or "unknown"


def common_headers(response: web.StreamResponse) -> None:
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Referrer-Policy"] = "no-referrer"


def api_headers(response: web.StreamResponse, allow_origin: str) -> None:
    common_headers(response)
    response.headers["Cache-Control"] = "no-store"
    response.headers["Content-Security-Policy"] = "default-src 'none'; frame-ancestors 'none'"
    if allow_origin:
        response.headers["Access-Control-Allow-Origin"] = allow_origin
    response.headers["Vary"] = "Origin"

"""The page's files, read once: HTML, CSS, JS, icon and the portal loader.

The page names its CSS and JS with a hash of their content, so they can be cached for long
and a new release is still picked up at once.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

from aiohttp import web

STATIC = Path(__file__).resolve().parent / "static"
TYPES = {
    ".html": "text/html",
    ".css": "text/css",
    ".js": "text/javascript",
    ".svg": "image/svg+xml",
}
# Served under /chat/static/; chat.html and embed.js have their own routes.
PUBLIC = ("chat.css", "chat.js", "icon.svg")
PAGE = ("chat.html", *PUBLIC)  # everything one visit to /chat downloads
LOADER = "embed.js"


@dataclass(frozen=True, slots=True)
class Assets:
    files: dict[str, bytes]
    public: frozenset[str]

    @classmethod
    def load(cls, directory: Path = STATIC) -> Assets:
        files = {name: (directory / name).read_bytes() for name in (*PAGE, LOADER)}
        version = hashlib.sha256(b"".join(files[name] for name in PUBLIC)).hexdigest()[:12]
        files["chat.html"] = files["chat.html"].replace(b"{{v}}", version.encode("ascii"))
        return cls(files, frozenset(PUBLIC))

    def page_size(self) -> int:
        return sum(len(self.files[name]) for name in PAGE)

    def response(self, name: str, *, cache: bool = False) -> web.Response:
        response = web.Response(
            body=self.files[name], content_type=TYPES[Path(name).suffix], charset="utf-8"
        )
        response.headers["Cache-Control"] = "public, max-age=86400" if cache else "no-cache"
        return response

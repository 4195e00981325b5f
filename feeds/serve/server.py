"""A preview server for the output folder, on 127.0.0.1.

It serves what nginx would, with the types every output needs (``charset=utf-8`` on every
text), ``ETag`` and ``Last-Modified`` with ``304`` answers, and never a dot file (the
manifest and the lock live in the output folder). With live reload on, every HTML page
gets a small script that reloads it after a rebuild: the page's Content-Security-Policy
is widened for that script only, as served here (the files on disk keep theirs).
"""

from __future__ import annotations

import email.utils
import http.server
import os
import posixpath
import threading
from dataclasses import dataclass, field
from http import HTTPStatus
from pathlib import Path
from urllib.parse import unquote, urlsplit

# By the end of the name: nginx and Python's mimetypes go by the last extension only.
# RSS and Atom files are served as application/xml, not as their own types: Chromium shows
# application/rss+xml and application/atom+xml as plain text, and applies the feeds'
# stylesheet (feed.xsl) only to a document of an XML type it renders. Feed readers go by
# the document, not the type, and the W3C validator accepts application/xml for both.
# Autodiscovery links and the OPML keep the feeds' own types (names.MEDIA_TYPES).
CONTENT_TYPES: tuple[tuple[str, str], ...] = (
    (".rss.xml", "application/xml; charset=utf-8"),
    (".atom.xml", "application/xml; charset=utf-8"),
    (".json", "application/feed+json; charset=utf-8"),
    (".html", "text/html; charset=utf-8"),
    (".opml", "text/x-opml; charset=utf-8"),
    (".xsl", "text/xsl; charset=utf-8"),
    (".xml", "application/xml; charset=utf-8"),
    (".css", "text/css; charset=utf-8"),
    (".txt", "text/plain; charset=utf-8"),
    (".jpg", "image/jpeg"),
    (".jpeg", "image/jpeg"),
    (".png", "image/png"),
    (".gif", "image/gif"),
    (".webp", "image/webp"),
    (".svg", "image/svg+xml"),
    (".ico", "image/x-icon"),
)
RELOAD_PATH = "/__feeds__/"  # the live reload's own URLs: never an output's (see is_output_path)
RELOAD_SCRIPT = b"""(function () {
  var seen = null;
  function poll() {
    fetch("/__feeds__/version", {cache: "no-store"}).then(function (r) { return r.text(); })
      .then(function (v) {
        if (seen === null) { seen = v; } else if (v !== seen) { location.reload(); }
      })
      .catch(function () {})
      .finally(function () { setTimeout(poll, 1000); });
  }
  poll();
})();
"""
_CSP_START = b"default-src &#39;none&#39;;"
_CSP_WIDER = _CSP_START + b" script-src &#39;self&#39;; connect-src &#39;self&#39;;"


def content_type(name: str) -> str:
    lower = name.lower()
    for ending, kind in CONTENT_TYPES:
        if lower.endswith(ending):
            return kind
    return "application/octet-stream"


@dataclass
class Reload:
    """The live reload's state: the number of the last build; pages reload when it moves."""

    version: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def bump(self) -> None:
        with self.lock:
            self.version += 1


def with_reload(page: bytes) -> bytes:
    """An HTML page with the reload script, its CSP letting that script (and its polling)
    through. A page whose policy is not the bundled templates' keeps its own, unchanged."""
    if _CSP_START not in page:
        return page
    page = page.replace(_CSP_START, _CSP_WIDER, 1)
    tag = b'<script src="/__feeds__/reload.js"></script>\n'
    at = page.rfind(b"</body>")
    return page[:at] + tag + page[at:] if at >= 0 else page + tag


def make_server(root: Path, port: int, reload: Reload | None = None) -> http.server.HTTPServer:
    """A threading HTTP server on 127.0.0.1:``port`` (0: any free port) serving ``root``."""
    handler = type("Handler", (_Handler,), {"root": root.resolve(), "reload": reload})
    server = http.server.ThreadingHTTPServer(("127.0.0.1", port), handler)
    server.daemon_threads = True
    return server


class _Handler(http.server.BaseHTTPRequestHandler):
    root: Path
    reload: Reload | None
    server_version = "feeds-serve"
    sys_version = ""
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: object) -> None:
        pass  # quiet: the terminal is for the build's news

    def do_HEAD(self) -> None:
        self._answer(body=False)

    def do_GET(self) -> None:
        self._answer(body=True)

    def _answer(self, *, body: bool) -> None:
        path = unquote(urlsplit(self.path).path)
        if self.reload is not None and path.startswith(RELOAD_PATH):
            self._reload_answer(path, body=body)
            return
        target = self._target(path)
        if target is None:
            self._send_plain(HTTPStatus.NOT_FOUND, b"not found\n", body=body)
            return
        if target.is_dir():
            if not path.endswith("/"):
                self.send_response(HTTPStatus.MOVED_PERMANENTLY)
                self.send_header("Location", path + "/")
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            target = target / "index.html"
            if not target.is_file():
                self._send_plain(HTTPStatus.NOT_FOUND, b"not found\n", body=body)
                return
        self._send_file(target, body=body)

    def _target(self, path: str) -> Path | None:
        """The file or folder ``path`` names inside the root; None for anything hidden
        (a dot in front of any part), outside, or missing."""
        parts = [p for p in posixpath.normpath(path).split("/") if p]
        if any(p.startswith(".") or "\\" in p or "\0" in p for p in parts):
            return None
        target = self.root.joinpath(*parts)
        real = os.path.realpath(target)
        if not (real == str(self.root) or real.startswith(str(self.root) + os.sep)):
            return None
        return target if target.exists() else None

    def _send_file(self, target: Path, *, body: bool) -> None:
        try:
            data = target.read_bytes()
            st = target.stat()
        except OSError:
            self._send_plain(HTTPStatus.NOT_FOUND, b"not found\n", body=body)
            return
        kind = content_type(target.name)
        if self.reload is not None and kind.startswith("text/html"):
            data = with_reload(data)
        etag = f'"{st.st_size:x}-{st.st_mtime_ns:x}-{len(data):x}"'
        modified = email.utils.formatdate(st.st_mtime, usegmt=True)
        if self._not_modified(etag, st.st_mtime):
            self.send_response(HTTPStatus.NOT_MODIFIED)
            self.send_header("ETag", etag)
            self.send_header("Last-Modified", modified)
            self.end_headers()
            return
        self.send_response(HTTPStatus.OK)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(data)))
        self.send_header("ETag", etag)
        self.send_header("Last-Modified", modified)
        self.send_header("Cache-Control", "no-cache")  # a preview: always ask again
        self.send_header("X-Content-Type-Options", "nosniff")
        self.end_headers()
        if body:
            self.wfile.write(data)

    def _not_modified(self, etag: str, mtime: float) -> bool:
        match = self.headers.get("If-None-Match")
        if match is not None:
            return etag in [t.strip() for t in match.split(",")] or match.strip() == "*"
        since = self.headers.get("If-Modified-Since")
        if since is None:
            return False
        try:
            date = email.utils.parsedate_to_datetime(since)
        except (TypeError, ValueError):
            return False
        return int(mtime) <= date.timestamp()

    def _reload_answer(self, path: str, *, body: bool) -> None:
        assert self.reload is not None
        if path == RELOAD_PATH + "reload.js":
            self._send_plain(HTTPStatus.OK, RELOAD_SCRIPT, body=body, kind="text/javascript")
        elif path == RELOAD_PATH + "version":
            self._send_plain(HTTPStatus.OK, str(self.reload.version).encode(), body=body)
        else:
            self._send_plain(HTTPStatus.NOT_FOUND, b"not found\n", body=body)

    def _send_plain(
        self, status: HTTPStatus, data: bytes, *, body: bool, kind: str = "text/plain"
    ) -> None:
        self.send_response(status)
        self.send_header("Content-Type", f"{kind}; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        if body:
            self.wfile.write(data)

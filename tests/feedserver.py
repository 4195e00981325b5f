"""A feed server on 127.0.0.1 for the tests: the fixtures of tests/data/feeds, as a real site
serves them (ETag, Last-Modified, 304, gzip), and the ways a site fails.

Paths: ``/feeds/NAME`` a fixture (from a copy the test may edit); ``/plain/NAME`` the same
without validators; ``/redirect/NAME`` a 302 to it, ``/moved/NAME`` a 301; ``/away`` a
redirect to a private network's address; ``/loop`` redirects for ever; ``/slow`` answers
only when the test ends (a timeout); ``/hold...`` answers an empty feed a moment later;
``/cut`` promises more bytes than it sends (a truncated body); ``/status/CODE`` answers
CODE; ``/busy`` a 429 that asks to wait an hour. A path in ``broken`` answers 500.
Every request is logged with its headers.
"""

from __future__ import annotations

import gzip
import hashlib
import shutil
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

FIXTURES = Path(__file__).parent / "data" / "feeds"
LAST_MODIFIED = "Wed, 05 Oct 2022 09:00:00 GMT"
TYPES = {".xml": "application/xml", ".json": "application/feed+json", ".html": "text/html"}


class FeedServer:
    def __init__(self, root: Path) -> None:
        self.root = root
        self.requests: list[tuple[str, dict[str, str]]] = []
        self.broken: set[str] = set()
        self.release = threading.Event()
        self._lock = threading.Lock()
        self.port = 0
        self.in_flight = 0
        self.most_in_flight = 0  # requests answered at once, at most

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def paths(self) -> list[str]:
        with self._lock:
            return [path for path, _ in self.requests]

    def log(self, path: str, headers: dict[str, str]) -> None:
        with self._lock:
            self.requests.append((path, headers))

    def enter(self) -> None:
        with self._lock:
            self.in_flight += 1
            self.most_in_flight = max(self.most_in_flight, self.in_flight)

    def leave(self) -> None:
        with self._lock:
            self.in_flight -= 1

    def clear(self) -> None:
        with self._lock:
            self.requests.clear()


def _handler(server: FeedServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: object) -> None:
            pass  # quiet

        def do_GET(self) -> None:
            server.enter()
            self.left = False
            try:
                self._answer()
            finally:
                if not self.left:
                    server.leave()

        def _answer(self) -> None:
            path = self.path
            server.log(path, {k.lower(): v for k, v in self.headers.items()})
            if path in server.broken:
                return self._send(500, b"Internal Server Error", "text/plain")
            if path.startswith("/feeds/"):
                return self._feed(server.root / path.removeprefix("/feeds/"))
            if path.startswith("/plain/"):  # no ETag, no Last-Modified: never a 304
                file = server.root / path.removeprefix("/plain/")
                return self._send(200, file.read_bytes(), "application/xml")
            if path.startswith("/redirect/"):
                return self._redirect("/feeds/" + path.removeprefix("/redirect/"), 302)
            if path.startswith("/moved/"):
                return self._redirect("/feeds/" + path.removeprefix("/moved/"), 301)
            if path == "/away":
                return self._redirect("http://10.0.0.1/secret", 302)
            if path == "/loop":
                return self._redirect("/loop", 302)
            if path.startswith("/hold"):
                # Held a moment, and counted out before answering: a client that waits for
                # the answer before its next request is never seen twice at once.
                server.release.wait(0.2)
                server.leave()
                self.left = True
                body = b"<rss version='2.0'><channel><title>held</title></channel></rss>"
                return self._send(200, body, "application/xml")
            if path.startswith("/slow"):
                server.release.wait(30)
                return self._send(200, b"<rss version='2.0'><channel/></rss>", "application/xml")
            if path == "/cut":
                body = (FIXTURES / "rss2.xml").read_bytes()
                self.send_response(200)
                self.send_header("Content-Type", "application/rss+xml")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body[: len(body) // 2])
                self.wfile.flush()
                self.close_connection = True
                return None
            if path == "/busy":
                self.send_response(429)
                self.send_header("Retry-After", "3600")
                self.send_header("Content-Length", "0")
                self.end_headers()
                return None
            if path.startswith("/status/"):
                code = int(path.removeprefix("/status/"))
                return self._send(code, b"status", "text/plain")
            return self._send(404, b"Not Found", "text/plain")

        def _feed(self, file: Path) -> None:
            if not file.is_file():
                return self._send(404, b"Not Found", "text/plain")
            body = file.read_bytes()
            etag = '"' + hashlib.sha1(body).hexdigest()[:16] + '"'
            if self.headers.get("If-None-Match") == etag:
                self.send_response(304)
                self.send_header("ETag", etag)
                self.end_headers()
                return None
            kind = TYPES.get(file.suffix, "application/octet-stream")
            encoding = None
            if "gzip" in self.headers.get("Accept-Encoding", ""):
                body, encoding = gzip.compress(body), "gzip"
            return self._send(200, body, kind, etag=etag, encoding=encoding)

        def _redirect(self, target: str, code: int) -> None:
            self.send_response(code)
            self.send_header("Location", target)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def _send(
            self,
            code: int,
            body: bytes,
            kind: str,
            *,
            etag: str | None = None,
            encoding: str | None = None,
        ) -> None:
            self.send_response(code)
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(body)))
            if etag:
                self.send_header("ETag", etag)
                self.send_header("Last-Modified", LAST_MODIFIED)
            if encoding:
                self.send_header("Content-Encoding", encoding)
            self.end_headers()
            self.wfile.write(body)

    return Handler


@contextmanager
def serve_feeds(root: Path) -> Iterator[FeedServer]:
    """A server of a copy of the fixtures in ``root`` (the test may edit them)."""
    shutil.copytree(FIXTURES, root, dirs_exist_ok=True)
    feeds = FeedServer(root)
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _handler(feeds))
    httpd.daemon_threads = True
    feeds.port = httpd.server_address[1]
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield feeds
    finally:
        feeds.release.set()
        httpd.shutdown()
        httpd.server_close()
        thread.join()

"""The README's nginx recipe, run as written against a real nginx."""

from __future__ import annotations

import contextlib
import http.client
import os
import re
import socket
import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tests.external import program
from tests.helpers import EXAMPLES, ROOT, build_json

Site = Callable[..., Path]


def readme_server_block() -> str:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    [block] = re.findall(r"```nginx\n(.*?)```", readme, re.S)
    return block


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextlib.contextmanager
def nginx_serving(root: Path, work: Path) -> Iterator[int]:
    """nginx with the README's server block, on 127.0.0.1, serving ``root``."""
    nginx = program("nginx", "/usr/sbin/nginx")
    port = free_port()
    block = readme_server_block()
    block = block.replace("listen 80;", f"listen 127.0.0.1:{port};")
    block = block.replace("root /srv/feeds/output;", f"root {root};")
    assert str(root) in block and str(port) in block  # the recipe has these lines as shown
    work.mkdir(parents=True, exist_ok=True)
    temp = "".join(
        f"{kind}_temp_path {work}/{kind};\n"
        for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
    )
    mime = "include /etc/nginx/mime.types;" if Path("/etc/nginx/mime.types").exists() else ""
    # As root, nginx's workers would run as nobody, who cannot read the test's folder.
    user = "user root;" if os.geteuid() == 0 else ""
    conf = work / "nginx.conf"
    conf.write_text(
        f"{user}\nworker_processes 1;\ndaemon off;\npid {work}/nginx.pid;\n"
        f"error_log {work}/error.log;\nevents {{}}\n"
        f"http {{\n{mime}\naccess_log off;\n{temp}{block}\n}}\n",
        encoding="utf-8",
    )
    process = subprocess.Popen(
        [nginx, "-p", str(work), "-c", str(conf)],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        deadline = time.monotonic() + 60  # a bound on start-up, not a timing assertion
        while True:
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port)):
                break
            assert process.poll() is None, process.communicate()[0]
            assert time.monotonic() < deadline, "nginx did not start"
            time.sleep(0.1)
        yield port
    finally:
        process.terminate()
        process.wait(timeout=30)


def get(port: int, path: str, headers: dict[str, str] | None = None) -> tuple[int, dict[str, str]]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        connection.request("GET", path, headers=headers or {})
        response = connection.getresponse()
        response.read()
        return response.status, {k.lower(): v for k, v in response.getheaders()}
    finally:
        connection.close()


@pytest.fixture
def built(runner: CliRunner, site: Site) -> Path:
    config = site(EXAMPLES)
    build_json(runner, config)
    return config.parent / "output"


def test_the_readme_recipe_serves_every_output_with_its_type(built: Path, tmp_path: Path) -> None:
    expected = {
        # XML Chromium renders (through feed.xsl); readers go by the document, not the type.
        "/all.rss.xml": "application/xml; charset=utf-8",
        "/all.atom.xml": "application/xml; charset=utf-8",
        "/all.json": "application/feed+json; charset=utf-8",
        "/": "text/html; charset=utf-8",
        "/index.html": "text/html; charset=utf-8",
        "/c/all/": "text/html; charset=utf-8",
        "/feeds.opml": "text/x-opml; charset=utf-8",
        "/feed.xsl": "text/xsl; charset=utf-8",
    }
    page = next(p for p in (built / "pages").rglob("*.html")).relative_to(built).as_posix()
    expected["/" + page] = "text/html; charset=utf-8"
    (built / ".feeds.lock").touch()
    with nginx_serving(built, tmp_path / "nginx") as port:
        for path, kind in expected.items():
            status, headers = get(port, path)
            assert (status, headers.get("content-type")) == (200, kind), path
        for hidden in ("/.feeds-manifest.json", "/.feeds.lock", "/c/../.feeds-manifest.json"):
            assert get(port, hidden)[0] == 404, hidden
        status, headers = get(port, "/all.rss.xml")
        again = {"If-None-Match": headers["etag"]}
        assert get(port, "/all.rss.xml", again)[0] == 304
        since = {"If-Modified-Since": headers["last-modified"]}
        assert get(port, "/all.rss.xml", since)[0] == 304

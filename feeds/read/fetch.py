"""Fetching feeds as a good citizen: conditional GET, limits, and every failure one reason.

A feed named by a URL is fetched with httpx: ``If-None-Match`` / ``If-Modified-Since`` from
the last good fetch, a User-Agent that names this tool and where to read about it, gzip, a
timeout, a size limit (counted on the decompressed body), a few redirects at most. Feeds are
fetched a few at once, but one at a time per host: a site serving several of them is never
asked twice at the same moment. A feed named by a path is read from the disk, its size and
mtime standing for its ETag.

Nothing here raises for a feed that cannot be had: DNS, TLS, refused connections, HTTP
errors, timeouts, oversized or truncated bodies all give a ``Response`` that says why.
"""

from __future__ import annotations

import email.utils
import ipaddress
import os
import socket
import time
from collections.abc import Callable, Collection, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Literal
from urllib.parse import urlsplit

from feeds import __version__
from feeds.config import FetchConfig, is_feed_url
from feeds.publish.names import GENERATOR_URI

if TYPE_CHECKING:
    import httpx

USER_AGENT = f"feeds/{__version__} (+{GENERATOR_URI})"
ACCEPT = (
    "application/rss+xml, application/atom+xml, application/feed+json, application/rdf+xml;q=0.9, "
    "application/xml;q=0.8, text/xml;q=0.8, application/json;q=0.7, */*;q=0.1"
)
Status = Literal["ok", "unchanged", "failed"]
Guard = Callable[[str], str]  # a URL -> why it must not be fetched ("": it may be)


@dataclass(frozen=True, slots=True)
class Request:
    url: str  # an http(s) URL, or a file's absolute path
    etag: str | None = None  # of the last good fetch
    last_modified: str | None = None


@dataclass(frozen=True, slots=True)
class Response:
    url: str  # as asked
    status: Status
    body: bytes = b""
    etag: str | None = None
    last_modified: str | None = None
    content_type: str = ""
    reason: str = ""  # why it failed
    moved: str = ""  # where a permanent redirect (301, 308) led
    retry_after: int = 0  # seconds a 429 or 503 asked to wait


def fetch_all(
    requests: Sequence[Request], config: FetchConfig, guard: Guard | None = None
) -> dict[str, Response]:
    """The response to every request, by URL: files read here, URLs over HTTP, grouped by
    host so that each host is asked one thing at a time. ``guard`` is asked before every
    request, redirects included: a reason refuses it."""
    responses = {r.url: read_feed_file(r, config) for r in requests if not is_feed_url(r.url)}
    by_host: dict[str, list[Request]] = {}
    for request in requests:
        if is_feed_url(request.url):
            host = (urlsplit(request.url).hostname or "").lower()
            by_host.setdefault(host, []).append(request)
    if not by_host:
        return responses
    with make_client(config, guard) as client:
        if len(by_host) == 1 or config.parallel == 1:
            groups: Iterable[list[Response]] = (
                fetch_in_turn(client, group, config) for group in by_host.values()
            )
            for group in groups:
                responses.update((r.url, r) for r in group)
        else:
            # Threads, joined before the pool is left: the build forks readers later, which
            # must never happen while another thread lives (run.parallel.can_fork).
            workers = min(config.parallel, len(by_host))
            with ThreadPoolExecutor(max_workers=workers) as pool:
                jobs = [pool.submit(fetch_in_turn, client, g, config) for g in by_host.values()]
                for job in jobs:
                    responses.update((r.url, r) for r in job.result())
    return responses


def make_client(config: FetchConfig, guard: Guard | None = None) -> httpx.Client:
    import httpx

    def check(request: httpx.Request) -> None:
        if guard is not None and (why := guard(str(request.url))):
            raise _Refused(why)

    return httpx.Client(
        event_hooks={"request": [check]},
        headers={"User-Agent": USER_AGENT, "Accept": ACCEPT, "Accept-Encoding": "gzip, deflate"},
        timeout=httpx.Timeout(config.timeout),
        follow_redirects=True,
        max_redirects=config.max_redirects,
    )


def fetch_in_turn(
    client: httpx.Client, requests: Sequence[Request], config: FetchConfig
) -> list[Response]:
    return [fetch_url(client, request, config) for request in requests]


def fetch_url(client: httpx.Client, request: Request, config: FetchConfig) -> Response:
    """One conditional GET; a failure of any kind is a Response that says why."""
    import httpx

    headers = {}
    if request.etag:
        headers["If-None-Match"] = request.etag
    if request.last_modified:
        headers["If-Modified-Since"] = request.last_modified
    url = request.url
    try:
        with client.stream("GET", url, headers=headers) as response:
            etag = response.headers.get("etag") or request.etag
            modified = response.headers.get("last-modified") or request.last_modified
            if response.status_code == 304:
                return Response(url, "unchanged", etag=etag, last_modified=modified)
            if response.status_code != 200:
                failed = f"HTTP {response.status_code} {response.reason_phrase}"
                wait = retry_after(response) if response.status_code in (429, 503) else 0
                if wait:
                    failed += f" (asked to wait {wait} s)"
                return Response(url, "failed", reason=failed, retry_after=wait)
            body = _read_limited(response, config)
            kind = response.headers.get("content-type", "")
            permanent = bool(response.history) and response.history[0].status_code in (301, 308)
            moved = str(response.url) if permanent else ""
            return Response(url, "ok", body, response.headers.get("etag"),
                            response.headers.get("last-modified"), kind, moved=moved)  # fmt: skip
    except _Refused as e:
        return _failed(url, str(e))
    except httpx.TooManyRedirects:
        return _failed(url, f"more than {config.max_redirects} redirects")
    except httpx.TimeoutException:
        return _failed(url, f"timed out ({config.timeout:g} s)")
    except httpx.RemoteProtocolError as e:
        return _failed(url, f"the connection broke off: the body is truncated or garbled ({e})")
    except httpx.ConnectError as e:  # DNS, TLS, refused
        return _failed(url, f"cannot connect: {e}")
    except httpx.HTTPError as e:
        return _failed(url, f"{type(e).__name__}: {e}")
    except (httpx.InvalidURL, ValueError, UnicodeError) as e:  # a link no client can follow
        return _failed(url, f"not a URL that can be fetched ({e})")


def retry_after(response: httpx.Response) -> int:
    """The seconds a Retry-After header asks to wait (a number, or an HTTP date); 0: none."""
    value = response.headers.get("retry-after", "").strip()
    if value.isdigit():
        return int(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return 0
    if when.tzinfo is None:
        return 0
    return max(0, int(when.timestamp() - time.time()))


class _Refused(Exception):
    pass


def _read_limited(response: httpx.Response, config: FetchConfig) -> bytes:
    """The (decompressed) body, refused past ``max_bytes`` or past a few timeouts' time:
    a server that trickles a byte at a time never trips the read timeout."""
    limit = config.max_bytes
    declared = response.headers.get("content-length", "")
    if (
        declared.isdigit()
        and int(declared) > limit
        and not response.headers.get("content-encoding")
    ):
        raise _Refused(f"larger than fetch.max_bytes ({int(declared):,} > {limit:,} bytes)")
    deadline = time.monotonic() + 5 * config.timeout
    chunks: list[bytes] = []
    size = 0
    for chunk in response.iter_bytes():
        size += len(chunk)
        if size > limit:
            raise _Refused(f"larger than fetch.max_bytes ({limit:,} bytes)")
        if time.monotonic() > deadline:
            raise _Refused(f"took longer than {5 * config.timeout:g} s to come")
        chunks.append(chunk)
    return b"".join(chunks)


def _failed(url: str, reason: str) -> Response:
    return Response(url, "failed", reason=reason)


def public_only(trusted: Collection[str]) -> Guard:
    """A guard that refuses addresses of private, loopback or link-local networks (or
    names that resolve to one), except the hosts of ``trusted`` URLs."""
    hosts = {urlsplit(url).hostname for url in trusted if is_feed_url(url)}
    return lambda url: private_address(url, hosts)


def private_address(url: str, trusted: Collection[str | None]) -> str:
    """Why ``url`` must not be fetched: its host is an address of a private, loopback or
    link-local network (or resolves to one), and not one of the ``trusted`` hosts; "" when
    it may be fetched. A name that does not resolve is left to the fetch to report."""
    host = urlsplit(url).hostname or ""
    if host in trusted:
        return ""
    try:
        addresses = {str(info[4][0]) for info in socket.getaddrinfo(host, None)}
    except (OSError, UnicodeError):
        return ""
    for address in sorted(addresses):
        try:
            ip = ipaddress.ip_address(address.split("%", 1)[0])
        except ValueError:
            continue
        if not ip.is_global:
            return f"{host} is an address of a private network ({ip}); not fetched"
    return ""


def read_feed_file(request: Request, config: FetchConfig) -> Response:
    """A feed file, read like a fetch: its size and mtime are its ETag, so an unchanged
    file is not parsed again."""
    path = Path(request.url)
    try:
        info = os.stat(path)
        stamp = f"{info.st_size}:{info.st_mtime_ns}"
        if stamp == request.etag:
            return Response(request.url, "unchanged", etag=stamp)
        if info.st_size > config.max_bytes:
            return _failed(request.url, f"larger than fetch.max_bytes ({config.max_bytes:,})")
        with path.open("rb") as f:
            body = f.read(config.max_bytes + 1)
    except OSError as e:
        return _failed(request.url, f"cannot read: {e.strerror or e}")
    return Response(request.url, "ok", body, etag=stamp)

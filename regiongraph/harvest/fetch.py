"""Reading a source: HTTP with httpx, or a file, behind one call.

Member portals are slow, flaky and sometimes wrong, so every request has a connect and
a read timeout, 5xx answers and timeouts are retried with exponential backoff,
redirects are capped (a loop is an error, not a hang), bodies are capped in size while
they stream (a 10 GB answer is refused at the cap, not after), and an HTML page served
with status 200 — a portal's error or login page — is refused instead of parsed.
Conditional GET (If-None-Match / If-Modified-Since) lets an unchanged source answer
304, which the harvest reports and which changes nothing.

Files go through the same call so the demo's stored API responses exercise the very
code a live portal does. A file is read only as the source itself, which a steward
configured; what a portal sends (paging links, redirects) is fetched by `page`, over
http(s) only, and every connection passes the address rule of `address.py`.
"""

import time
from dataclasses import dataclass
from pathlib import Path

import httpx

from regiongraph.harvest.address import http_client
from regiongraph.loaders.base import Fetched, RefusedURL, SourceError

USER_AGENT = "regiongraph-harvester/0.1 (+https://w3id.org/regiongraph)"


class FetchError(SourceError):
    """A source could not be read (HTTP error, timeout, too big, HTML instead of data)."""


@dataclass
class FetchPolicy:
    connect_timeout: float = 10.0
    read_timeout: float = 60.0
    retries: int = 3
    backoff: float = 0.5
    """Seconds before the first retry; doubled each time (Retry-After wins, up to 30 s)."""
    max_bytes: int = 100 * 1024 * 1024
    max_redirects: int = 5
    deadline: float = 900.0
    """Seconds one source may take in all, every page, retry and wait included: the read
    timeout bounds each read, so a portal trickling a byte a second would never hit it."""

    @classmethod
    def from_options(cls, options: dict) -> "FetchPolicy":
        policy = cls()
        for name in ("connect_timeout", "read_timeout", "backoff", "deadline"):
            if name in options:
                setattr(policy, name, float(options[name]))
        for name in ("retries", "max_bytes", "max_redirects"):
            if name in options:
                setattr(policy, name, int(options[name]))
        return policy


class Fetcher:
    """Call it with a URL or a path; it returns a `Fetched` or raises `FetchError`.

    `allow_private` lets connections reach loopback and private networks (see
    `address.refusal`); otherwise they raise `RefusedURL`.
    """

    def __init__(self, policy: FetchPolicy | None = None, *, headers: dict[str, str] | None = None,
                 reject_html: bool = True, allow_private: bool = False) -> None:
        self.policy = policy or FetchPolicy()
        self.headers = {"User-Agent": USER_AGENT, **(headers or {})}
        self.reject_html = reject_html
        self.allow_private = allow_private
        self.requests = 0
        self._client: httpx.Client | None = None
        self._ends: float | None = None
        """When the source's time is up: `policy.deadline` after its first request."""

    def __call__(self, location: str, *, params: dict[str, str] | None = None,
                 etag: str | None = None, last_modified: str | None = None) -> Fetched:
        if location.startswith(("http://", "https://")):
            return self._http(location, params, etag, last_modified)
        return self._file(Path(location))

    def page(self, url: str, *, params: dict[str, str] | None = None) -> Fetched:
        """Fetch a URL a source gave (a paging link): http(s) only, never a file."""
        if not url.startswith(("http://", "https://")):
            raise RefusedURL(f"{url}: not an http(s) URL; links a source gives are never "
                             "read from the file system")
        return self._http(url, params, None, None)

    def close(self) -> None:
        if self._client is not None:
            self._client.close()
            self._client = None

    # files ---------------------------------------------------------------

    def _file(self, path: Path) -> Fetched:
        try:
            size = path.stat().st_size
            if size > self.policy.max_bytes:
                raise FetchError(f"{path}: {size:,} bytes, over the {self.policy.max_bytes:,}-byte "
                                 "cap (options.max_bytes raises it)")
            content = path.read_bytes()
        except FileNotFoundError:
            raise FetchError(f"{path}: no such file") from None
        except IsADirectoryError:
            raise FetchError(f"{path}: is a directory, not a file") from None
        except PermissionError:
            raise FetchError(f"{path}: permission denied") from None
        fetched = Fetched(str(path), content, 200, _guess_type(path))
        self._check_html(fetched)
        return fetched

    # HTTP ----------------------------------------------------------------

    @property
    def client(self) -> httpx.Client:
        if self._client is None:
            p = self.policy
            self._client = http_client(
                allow_private=self.allow_private,
                timeout=httpx.Timeout(p.read_timeout, connect=p.connect_timeout),
                follow_redirects=True, max_redirects=p.max_redirects, headers=self.headers)
        return self._client

    def _left(self, shown: str) -> float:
        """Seconds left of the source's overall deadline; FetchError once it has passed."""
        if self._ends is None:
            self._ends = time.monotonic() + self.policy.deadline
        left = self._ends - time.monotonic()
        if left <= 0:
            raise FetchError(f"{shown}: the source took longer than its overall deadline of "
                             f"{self.policy.deadline:g} s (options.deadline); stopped reading")
        return left

    def _http(self, url: str, params: dict[str, str] | None, etag: str | None,
              last_modified: str | None) -> Fetched:
        headers = {}
        if etag:
            headers["If-None-Match"] = etag
        if last_modified:
            headers["If-Modified-Since"] = last_modified
        attempt = 0
        shown = url if not params else f"{url}?{httpx.QueryParams(params)}"
        while True:
            attempt += 1
            try:
                return self._once(url, shown, params, headers)
            except _Retryable as error:
                if attempt > self.policy.retries:
                    raise FetchError(f"{shown}: {error.message} (after {attempt} attempts)") \
                        from None
                delay = error.retry_after if error.retry_after is not None else \
                    self.policy.backoff * (2 ** (attempt - 1))
                time.sleep(min(delay, 30.0, self._left(shown)))

    def _once(self, url: str, shown: str, params, headers) -> Fetched:
        self._left(shown)
        self.requests += 1
        try:
            with self.client.stream("GET", url, params=params, headers=headers) as response:
                status = response.status_code
                if status == 304:
                    return Fetched(shown, b"", 304, etag=response.headers.get("etag"),
                                   last_modified=response.headers.get("last-modified"))
                if status >= 500 or status == 429:
                    retry_after = response.headers.get("retry-after")
                    raise _Retryable(f"HTTP {status} {response.reason_phrase}",
                                     float(retry_after) if retry_after and
                                     retry_after.isdigit() else None)
                if status >= 400:
                    raise FetchError(f"{shown}: HTTP {status} {response.reason_phrase}")
                declared = response.headers.get("content-length")
                if declared and declared.isdigit() and int(declared) > self.policy.max_bytes:
                    raise FetchError(f"{shown}: {int(declared):,} bytes announced, over the "
                                     f"{self.policy.max_bytes:,}-byte cap")
                chunks: list[bytes] = []
                total = 0
                for chunk in response.iter_bytes():
                    self._left(shown)
                    total += len(chunk)
                    if total > self.policy.max_bytes:
                        raise FetchError(f"{shown}: body exceeds the {self.policy.max_bytes:,}"
                                         "-byte cap; stopped reading")
                    chunks.append(chunk)
                fetched = Fetched(str(response.url), b"".join(chunks), status,
                                  response.headers.get("content-type"),
                                  response.headers.get("etag"),
                                  response.headers.get("last-modified"))
        except RefusedURL as error:
            raise RefusedURL(f"{shown}: {error}") from None
        except httpx.InvalidURL as error:
            raise FetchError(f"{shown}: not a valid URL ({error}); refused") from None
        except httpx.UnsupportedProtocol as error:
            raise RefusedURL(f"{shown}: redirected to a URL that is not http(s) ({error}); "
                             "refused") from None
        except httpx.TooManyRedirects:
            raise FetchError(f"{shown}: more than {self.policy.max_redirects} redirects "
                             "(a redirect loop?)") from None
        except httpx.TimeoutException as error:
            raise _Retryable(f"timed out ({type(error).__name__})") from None
        except httpx.TransportError as error:
            raise _Retryable(f"connection failed: {error}") from None
        self._check_html(fetched)
        return fetched

    def _check_html(self, fetched: Fetched) -> None:
        """Refuse an HTML page; trust the body over a wrong Content-Type (portals that
        serve their data.json as text/html exist)."""
        if not self.reject_html:
            return
        head = fetched.content[:512].lstrip().lower()
        typed_html = (fetched.content_type or "").split(";")[0].strip() in ("text/html",
                                                                            "application/xhtml+xml")
        looks_like_data = head.startswith((b"{", b"[", b"<?xml", b"<rdf:", b"@prefix",
                                           b"@base", b"prefix ", b"<http"))
        if head.startswith((b"<!doctype html", b"<html")) or (typed_html and not looks_like_data):
            title = ""
            lowered = fetched.content[:4096].lower()
            start = lowered.find(b"<title>")
            if start >= 0:
                end = lowered.find(b"</title>", start)
                title = fetched.content[start + 7:end if end > 0 else start + 100]
                title = f" titled {title.decode('utf-8', 'replace').strip()[:80]!r}"
            raise FetchError(f"{fetched.location}: got an HTML page{title} with status "
                             f"{fetched.status}, not a catalog (an error or login page?)")


class _Retryable(Exception):
    def __init__(self, message: str, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.retry_after = retry_after


def _guess_type(path: Path) -> str | None:
    return {
        ".json": "application/json", ".jsonld": "application/ld+json",
        ".ndjson": "application/x-ndjson", ".ttl": "text/turtle", ".nt": "application/n-triples",
        ".rdf": "application/rdf+xml", ".xml": "application/rdf+xml", ".owl": "application/rdf+xml",
        ".csv": "text/csv",
        ".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    }.get(path.suffix.lower())

"""A real HTTP server on loopback that misbehaves the way member portals do.

It serves the broken files of `tests/fixtures/harvest/` and fakes nothing about HTTP:
real sockets, real status codes, ETags and 304s, redirects that loop, answers that
never come, bodies larger than the cap, and three paging APIs (CKAN, Socrata, ArcGIS
Hub search) computed from small generated inventories.
"""

import contextlib
import hashlib
import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlparse

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "harvest"
TYPES = {".json": "application/json", ".ttl": "text/turtle", ".rdf": "application/rdf+xml",
         ".html": "text/html; charset=utf-8", ".csv": "text/csv", ".ndjson": "application/x-ndjson",
         ".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}


def ckan_package(i: int) -> dict:
    return {"id": f"00000000-0000-4000-8000-{i:012d}", "name": f"package-{i}",
            "title": f"Package {i}", "notes": f"CKAN package number {i}.", "state": "active",
            "private": False, "license_id": "cc-by", "license_url": "https://creativecommons.org/licenses/by/4.0/",
            "maintainer": "Portal Team", "maintainer_email": "portal@test.example",
            "metadata_created": "2025-01-01T00:00:00.000000",
            "metadata_modified": f"2026-02-{i % 27 + 1:02d}T10:00:00.000000",
            "organization": {"name": "test-city", "title": "Test City"},
            "tags": [{"name": "roads"}, {"name": "gtfs" if i == 3 else "tag"}],
            "groups": [{"name": "transportation", "title": "Transportation"}],
            "extras": [{"key": "access_level", "value": "public"}],
            "resources": [{"id": f"r{i}", "name": "CSV", "format": "CSV", "mimetype": "text/csv",
                           "url": f"https://portal.test.example/dataset/package-{i}/r{i}.csv"}]}


def socrata_result(i: int) -> dict:
    ident = f"ab{i:02d}-cd{i:02d}"
    return {"resource": {"id": ident, "name": f"Socrata dataset {i}", "type": "dataset",
                         "description": f"Socrata dataset number {i}.",
                         "updatedAt": "2026-03-01T00:00:00.000Z", "attribution": "Test City"},
            "classification": {"domain_category": "Transportation", "domain_tags": ["traffic"],
                               "domain_metadata": []},
            "metadata": {"domain": "data.test.example", "license": "Public Domain"},
            "permalink": f"https://data.test.example/datasets/ds-{i}"}


def arcgis_feature(i: int) -> dict:
    return {"type": "Feature", "id": f"{i:032x}", "geometry": None,
            "properties": {"title": f"Hub layer {i}", "description": f"<p>Layer {i}</p>",
                           "tags": ["gis"], "modified": 1767225600000, "access": "public",
                           "url": f"https://services.test.example/arcgis/rest/services/L{i}/FeatureServer/0",
                           "licenseInfo": "https://creativecommons.org/licenses/by/4.0/"}}


class FixtureServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.requests: list[tuple[str, dict[str, str]]] = []
        self.hits: dict[str, int] = {}
        self.mutable: dict[str, tuple[bytes, str]] = {}
        self.at: dict[str, tuple[bytes, str]] = {}
        """Answers at exact paths (a page a test places anywhere on the portal)."""
        self.redirects: dict[str, str] = {}
        """`/redirecting/<name>/<api>`: pages after the first redirect to this Location."""
        self.ckan_total = 7
        self.socrata_total = 5
        self.arcgis_total = 5
        self.lock = threading.Lock()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"

    def count(self, key: str) -> int:
        with self.lock:
            self.hits[key] = self.hits.get(key, 0) + 1
            return self.hits[key]


class _Handler(BaseHTTPRequestHandler):
    server: FixtureServer

    def log_message(self, *args) -> None:
        return None

    def do_GET(self) -> None:
        parsed = urlparse(self.path)
        query = {k: v[0] for k, v in parse_qs(parsed.query).items()}
        self.server.requests.append((self.path, dict(self.headers.items())))
        path = parsed.path
        try:
            if path in self.server.at:
                return self.send(200, *self.server.at[path])
            if path.startswith("/redirecting/"):
                return self.redirecting(path, query)
            if path.startswith("/files/"):
                return self.file(path[len("/files/"):])
            if path.startswith("/mutable/"):
                content, ctype = self.server.mutable[path[len("/mutable/"):]]
                return self.conditional(content, ctype)
            if path.startswith("/status/"):
                code = int(path.rsplit("/", 1)[1])
                return self.send(code, f"status {code}".encode(), "text/plain")
            if path.startswith("/flaky/"):
                if self.server.count(path) <= 2:
                    return self.send(503, b"try later", "text/plain")
                return self.file(path[len("/flaky/"):])
            if path == "/slow":
                time.sleep(3)
                return self.send(200, b"{}", "application/json")
            if path == "/trickle":
                return self.trickle(float(query.get("seconds", "30")))
            if path == "/loop":
                return self.redirect("/loop")
            if path == "/hop1":
                return self.redirect("/hop2")
            if path == "/hop2":
                return self.redirect("/files/catalog-v1.json")
            if path == "/html200":
                return self.send(200, (FIXTURES / "error-page.html").read_bytes(), "text/html")
            if path == "/html-as-json":
                return self.send(200, (FIXTURES / "error-page.html").read_bytes(),
                                 "application/json")
            if path == "/json-as-html":
                return self.send(200, (FIXTURES / "catalog-v1.json").read_bytes(), "text/html")
            if path == "/big":
                return self.big(int(query.get("mb", "5")))
            if path == "/ckan/api/3/action/package_search":
                return self.ckan(int(query.get("rows", "100")), int(query.get("start", "0")))
            if path == "/socrata/api/catalog/v1":
                return self.socrata(int(query.get("limit", "100")), int(query.get("offset", "0")))
            if path == "/arcgis/api/search/v1/collections/dataset/items":
                return self.arcgis(int(query.get("limit", "2")), int(query.get("startindex", "1")))
            return self.send(404, b"not found", "text/plain")
        except (BrokenPipeError, ConnectionResetError):
            return None

    # responses ---------------------------------------------------------------

    def send(self, code: int, body: bytes, ctype: str, headers: dict | None = None) -> None:
        self.send_response(code)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def trickle(self, seconds: float) -> None:
        """A JSON body sent one byte a second, each byte well within any read timeout."""
        body = b'{"dataset": []}'.ljust(int(seconds) + 1)
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        for byte in body:
            self.wfile.write(bytes([byte]))
            self.wfile.flush()
            time.sleep(1.0)

    def redirect(self, to: str) -> None:
        self.send_response(302)
        self.send_header("Location", to)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def redirecting(self, path: str, query: dict[str, str]) -> None:
        """A CKAN or Socrata API whose later pages redirect to `server.redirects[name]`."""
        _, _, name, api = path.split("/", 3)
        if int(query.get("start", query.get("offset", "0"))) > 0:
            return self.redirect(self.server.redirects[name])
        if api == "ckan/api/3/action/package_search":
            return self.ckan(int(query.get("rows", "100")), 0)
        return self.socrata(int(query.get("limit", "100")), 0)

    def file(self, name: str) -> None:
        path = FIXTURES / name
        if not path.is_file():
            return self.send(404, b"no such fixture", "text/plain")
        return self.conditional(path.read_bytes(), TYPES.get(path.suffix, "application/octet-stream"))

    def conditional(self, content: bytes, ctype: str) -> None:
        etag = '"' + hashlib.sha1(content).hexdigest() + '"'
        modified = "Wed, 01 Jan 2025 00:00:00 GMT"
        if self.headers.get("If-None-Match") == etag:
            self.send_response(304)
            self.send_header("ETag", etag)
            self.end_headers()
            return None
        return self.send(200, content, ctype, {"ETag": etag, "Last-Modified": modified})

    def big(self, megabytes: int) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        chunk = b" " * (1024 * 1024)
        self.wfile.write(b'{"dataset": [')
        for _ in range(megabytes):
            self.wfile.write(chunk)
        self.wfile.write(b"]}")

    def ckan(self, rows: int, start: int) -> None:
        total = self.server.ckan_total
        results = [ckan_package(i) for i in range(start + 1, min(start + rows, total) + 1)]
        body = {"success": True, "result": {"count": total, "results": results}}
        return self.send(200, json.dumps(body).encode(), "application/json")

    def socrata(self, limit: int, offset: int) -> None:
        total = self.server.socrata_total
        results = [socrata_result(i) for i in range(offset + 1, min(offset + limit, total) + 1)]
        body = {"results": results, "resultSetSize": total}
        return self.send(200, json.dumps(body).encode(), "application/json")

    def arcgis(self, limit: int, startindex: int) -> None:
        total = self.server.arcgis_total
        features = [arcgis_feature(i) for i in range(startindex, min(startindex + limit - 1, total) + 1)]
        links = [{"rel": "self", "href": self.path}]
        following = startindex + limit
        if following <= total:
            links.append({"rel": "next", "href": f"{self.server.url}/arcgis/api/search/v1/"
                                                 f"collections/dataset/items?limit={limit}"
                                                 f"&startindex={following}"})
        body = {"type": "FeatureCollection", "features": features, "numberMatched": total,
                "numberReturned": len(features), "links": links}
        return self.send(200, json.dumps(body).encode(), "application/geo+json")


@contextlib.contextmanager
def running_portal() -> Iterator[FixtureServer]:
    """The fixture portal served from a thread on loopback for the length of the block."""
    server = FixtureServer()
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()

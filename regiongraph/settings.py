"""One settings object, read from `REGIONGRAPH_*` variables; CLI flags override.

Built by a function, never at import, so tests and flags can pass their own values.
"""

import datetime as dt

from pydantic_settings import BaseSettings, SettingsConfigDict

from regiongraph.limits import (
    DEFAULT_MAX_JSON_DEPTH,
    DEFAULT_MAX_QUERY_DEPTH,
    DEFAULT_MAX_QUERY_TOKENS,
    Limits,
)

DEFAULT_BASE = "https://data.sonoranvalley.example/"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="REGIONGRAPH_", extra="ignore")

    store: str = "./data/store"
    """A directory (embedded Oxigraph on disk), `memory`, or an http(s) SPARQL query URL."""
    update_url: str | None = None
    """SPARQL 1.1 Update endpoint of a remote store (defaults to the query URL)."""
    gsp_url: str | None = None
    """Graph Store Protocol endpoint of a remote store."""
    index: str | None = None
    """Directory of the full-text search index; unset = beside the store (`<store>.search`),
    in memory for a memory store; `memory` forces an in-memory index."""
    base: str = DEFAULT_BASE
    """Every IRI regiongraph mints starts with this."""
    today: dt.date | None = None
    """The calendar day the service judges members' agreements and approvals by
    (`regiongraph.membership.service_day`); unset = today in UTC. For drills and tests."""
    admin_token: str | None = None
    """Bearer token for updates, Graph Store writes and harvest triggers; unset = writes refused."""
    host: str = "127.0.0.1"
    port: int = 8000
    server: str | None = None
    """URL of the running `regiongraph serve` that CLI maintenance (`reindex`, `refresh`,
    a stored `validate`) asks when it holds the store; unset = `http://{host}:{port}`."""
    query_timeout: float = 30.0
    """Seconds a SPARQL query may run before it is stopped with an error."""
    query_workers: int = 32
    """SPARQL queries run at once, each in its own process (killed at its time limit);
    more wait for a free one (`regiongraph.sparql.workers`)."""
    query_workers_per_client: int = 4
    """Of those, the most one client (a person, or an anonymous client address) holds at
    once; its further queries wait for one of its own to end. The admin token is exempt."""
    anonymous_row_cap: int = 10_000
    """Rows returned to anonymous users before results are cut (with a note)."""
    max_request_bytes: int = 10_000_000
    """Largest request body accepted (queries, uploads, events)."""
    body_timeout: float = 15.0
    """Seconds a request body may take to arrive in full (a trickled body is cut off)."""
    max_query_depth: int = DEFAULT_MAX_QUERY_DEPTH
    """Deepest nesting of `{ ( [ <<` a SPARQL query or update may have (deeper crashes
    pyoxigraph: see `regiongraph.limits`)."""
    max_query_tokens: int = DEFAULT_MAX_QUERY_TOKENS
    """Most tokens a SPARQL query (or one update operation) may have, VALUES and DATA
    blocks aside."""
    max_json_depth: int = DEFAULT_MAX_JSON_DEPTH
    """Deepest nesting of a JSON or JSON-LD body, upload or harvested document."""

    forum_posts_per_minute: int = 10
    """Posts one person may make in a minute before the forum answers 429 (counted in the
    store, so every server process applies the same limit)."""

    notify_interval: float = 30.0
    """Seconds between the server's deliveries of webhooks and e-mail; 0 turns the loop
    off (`regiongraph notify deliver` then delivers)."""
    webhook_retry_seconds: float = 30.0
    """Wait before the first retry of a failed webhook delivery; doubles each attempt."""
    webhook_max_failures: int = 8
    """Failed deliveries in a row after which a webhook is disabled."""
    webhook_timeout: float = 10.0
    """Seconds a webhook receiver has to answer."""
    smtp_host: str | None = None
    """SMTP server for e-mail notifications; unset = e-mail waits (nothing is lost)."""
    smtp_port: int = 25
    mail_from: str = "regiongraph@localhost"
    """Sender address of notification e-mail."""

    sources: str | None = None
    """The harvest sources file the API's `POST /harvest/{source}` reads (default: the demo's)."""
    standards: str | None = None
    """A folder of standards' reference files (e.g. `dcat-us-1.1/...` JSON Schemas) that
    harvests validate records against; without one, records load unchecked and reports say so."""
    harvest_allow_private: bool = False
    """Let harvests (and `quality --check-urls`) reach loopback and private networks: an
    intranet portal, a test server. Off, such URLs and links are refused (SSRF)."""
    session_hours: float = 12.0
    """Hours a browser session lasts after sign-in."""
    secure_cookies: bool = False
    """Mark session cookies Secure even on plain http (behind a proxy that sends no
    X-Forwarded-Proto); they are always Secure on https."""
    signin_attempts: int = 5
    """Failed sign-ins allowed per account and client within `signin_window_minutes`."""
    signin_window_minutes: int = 15
    """The window failed sign-ins are counted in (also how long an OIDC sign-in may take)."""
    oidc_issuer: str | None = None
    """OpenID Connect issuer URL of the members' identity provider; unset = no OIDC sign-in."""
    oidc_client_id: str | None = None
    """The client id this service is registered with at the identity provider."""
    oidc_client_secret: str | None = None
    """The client secret that goes with `oidc_client_id`."""
    oidc_name: str = "your organisation"
    """How the sign-in page names the identity provider ("Sign in with ...")."""
    require_engagement_before_design: bool = False
    """A project leaves ideation only once a data leader of its lead community is engaged
    (the workflow refuses the move; shape R4-LeadEngagedBeforeDesign reports it)."""
    node_modules: str | None = None
    """Where `npm ci` put the front-end libraries (default: `node_modules/` of the checkout)."""
    map_tiles: str | None = None
    """A base-map tile URL template (`https://tiles.example/{z}/{x}/{y}.png`) for `/map`;
    unset, the map draws the region's own layers on a blank ground and fetches nothing."""
    map_attribution: str | None = None
    """The attribution the tile provider asks for, shown on the map with `map_tiles`."""

    @property
    def limits(self) -> Limits:
        return Limits(query_depth=self.max_query_depth, query_tokens=self.max_query_tokens,
                      json_depth=self.max_json_depth)

    @property
    def server_url(self) -> str:
        """Where the running service answers: REGIONGRAPH_SERVER, else where `serve` listens
        (a wildcard listen address is asked on loopback)."""
        if self.server:
            return self.server.rstrip("/")
        host = {"0.0.0.0": "127.0.0.1", "::": "[::1]"}.get(self.host, self.host)
        return f"http://{host}:{self.port}"

    def with_overrides(self, **overrides: object) -> "Settings":
        """Return a copy where each non-None override replaces the setting (how flags win)."""
        kept = {k: v for k, v in overrides.items() if v is not None}
        return self.model_copy(update=kept)


def get_settings() -> Settings:
    return Settings()

"""OpenID Connect sign-in against the members' identity provider (authorization code flow
with PKCE), with Authlib's OAuth 2 client and joserfc for the ID token.

Settings name the provider: `oidc_issuer`, `oidc_client_id`, `oidc_client_secret`. Its
endpoints come from the issuer's discovery document. The provider's verified email is
mapped to a person of the registry (`passwords.person_for_email`), so the registry stays
the one place that says who is who; an email the registry does not know signs no one in.
The state, nonce and verifier wait in the accounts graph (`sessions.remember_pending`),
so the provider may send the browser back to any server process of the store.
"""

from dataclasses import dataclass

import httpx
from authlib.common.security import generate_token
from authlib.integrations.base_client.errors import OAuthError
from authlib.integrations.httpx_client import OAuth2Client
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet

from regiongraph.accounts.passwords import person_for_email
from regiongraph.accounts.sessions import Pending, remember_pending
from regiongraph.errors import RegiongraphError
from regiongraph.settings import Settings
from regiongraph.store import Store

SCOPE = "openid email profile"
TIMEOUT = 10.0


class SignInRefused(RegiongraphError):
    """The identity provider's answer signs no one in; the message says why."""


@dataclass(frozen=True)
class Provider:
    issuer: str
    authorization_endpoint: str
    token_endpoint: str
    jwks_uri: str


def configured(settings: Settings) -> bool:
    return bool(settings.oidc_issuer and settings.oidc_client_id and settings.oidc_client_secret)


def discover(settings: Settings) -> Provider:
    """The provider's endpoints from its discovery document (read at each sign-in: a
    provider may rotate them, and sign-ins are rare)."""
    issuer = (settings.oidc_issuer or "").rstrip("/")
    url = issuer + "/.well-known/openid-configuration"
    try:
        response = httpx.get(url, timeout=TIMEOUT)
        response.raise_for_status()
        document = response.json()
        provider = Provider(document["issuer"], document["authorization_endpoint"],
                            document["token_endpoint"], document["jwks_uri"])
    except (httpx.HTTPError, ValueError, KeyError) as error:
        raise SignInRefused(f"the identity provider's discovery document at {url} could not "
                            f"be read: {error}") from None
    if provider.issuer.rstrip("/") != issuer:
        raise SignInRefused(f"the discovery document at {url} names issuer {provider.issuer}, "
                            f"not the configured {issuer}")
    return provider


def _client(settings: Settings, redirect_uri: str) -> OAuth2Client:
    return OAuth2Client(settings.oidc_client_id, settings.oidc_client_secret, scope=SCOPE,
                        redirect_uri=redirect_uri, code_challenge_method="S256",
                        token_endpoint_auth_method="client_secret_basic", timeout=TIMEOUT)


def begin(store: Store, settings: Settings, redirect_uri: str) -> str:
    """Where to send the browser: the provider's authorization URL for a new sign-in."""
    provider = discover(settings)
    nonce, verifier = generate_token(32), generate_token(64)
    with _client(settings, redirect_uri) as client:
        url, state = client.create_authorization_url(
            provider.authorization_endpoint, code_verifier=verifier, nonce=nonce)
    remember_pending(store, settings, state, nonce, verifier)
    return url


def finish(store: Store, settings: Settings, redirect_uri: str, code: str,
           pending: Pending) -> str:
    """The person the provider's answer signs in (SignInRefused otherwise)."""
    provider = discover(settings)
    try:
        with _client(settings, redirect_uri) as client:
            token = client.fetch_token(provider.token_endpoint, code=code,
                                       code_verifier=pending.verifier)
        keys = KeySet.import_key_set(httpx.get(provider.jwks_uri, timeout=TIMEOUT).json())
        decoded = jwt.decode(token["id_token"], keys, algorithms=["RS256", "ES256", "PS256"])
        jwt.JWTClaimsRegistry(
            leeway=60, iss={"essential": True, "value": provider.issuer},
            aud={"essential": True, "value": settings.oidc_client_id},
            nonce={"essential": True, "value": pending.nonce}, exp={"essential": True},
            sub={"essential": True},
        ).validate(decoded.claims)
    except (httpx.HTTPError, JoseError, OAuthError, KeyError, ValueError) as error:
        raise SignInRefused(f"the identity provider's answer was refused: {error}") from None
    except Exception as error:  # noqa: BLE001 - the HTTP client's own errors (its transport)
        raise SignInRefused(f"the identity provider could not be asked: {error}") from None
    claims = decoded.claims
    email = claims.get("email")
    if not email or claims.get("email_verified") is False:
        raise SignInRefused("the identity provider gave no verified email for this account")
    person = person_for_email(store, settings, str(email))
    if person is None:
        raise SignInRefused(f"{email} is not the email of a person in the registry; ask a "
                            "steward to add it to the registry")
    return person

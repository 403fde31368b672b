"""A small OpenID Connect provider for the tests, built on Authlib's server components
(authorization code grant, OpenID Connect code flow, PKCE), served by Starlette.

It signs in whoever submits its sign-in form with an email it knows (a real provider
would check a password too; what regiongraph must get right is the protocol around it).
"""

import html
import time
from collections import defaultdict
from dataclasses import dataclass, field
from urllib.parse import urlencode

from authlib.common.security import generate_token
from authlib.oauth2.rfc6749 import (
    AuthorizationServer,
    ClientMixin,
    OAuth2Payload,
    OAuth2Request,
    grants,
)
from authlib.oauth2.rfc6750 import BearerTokenGenerator
from authlib.oauth2.rfc7636 import CodeChallenge
from authlib.oidc.core import UserInfo
from authlib.oidc.core.grants import OpenIDCode
from joserfc.jwk import RSAKey
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.routing import Route


@dataclass
class Client(ClientMixin):
    client_id: str
    client_secret: str
    redirect_uri: str

    def get_client_id(self):
        return self.client_id

    def get_default_redirect_uri(self):
        return self.redirect_uri

    def get_allowed_scope(self, scope):
        return " ".join(s for s in scope.split() if s in ("openid", "email", "profile"))

    def check_redirect_uri(self, redirect_uri):
        return redirect_uri == self.redirect_uri

    def check_client_secret(self, client_secret):
        return client_secret == self.client_secret

    def check_endpoint_auth_method(self, method, endpoint):
        return endpoint != "token" or method == "client_secret_basic"

    def check_response_type(self, response_type):
        return response_type == "code"

    def check_grant_type(self, grant_type):
        return grant_type == "authorization_code"


@dataclass
class User:
    sub: str
    email: str


@dataclass
class Code:
    code: str
    client_id: str
    redirect_uri: str
    scope: str
    nonce: str | None
    user: User
    code_challenge: str | None
    code_challenge_method: str | None
    auth_time: int = field(default_factory=lambda: int(time.time()))

    def get_redirect_uri(self):
        return self.redirect_uri

    def get_scope(self):
        return self.scope

    def get_nonce(self):
        return self.nonce

    def get_auth_time(self):
        return self.auth_time

    def get_acr(self):
        return None

    def get_amr(self):
        return None


class Payload(OAuth2Payload):
    def __init__(self, datalist: dict[str, list[str]]) -> None:
        self._datalist = datalist

    @property
    def data(self):
        return {k: v[0] for k, v in self._datalist.items()}

    @property
    def datalist(self):
        return defaultdict(list, self._datalist)


class StarletteOAuth2Request(OAuth2Request):
    def __init__(self, request: Request, form: dict[str, list[str]]) -> None:
        super().__init__(request.method, str(request.url), headers=request.headers)
        merged: dict[str, list[str]] = defaultdict(list)
        for key, value in request.query_params.multi_items():
            merged[key].append(value)
        for key, values in form.items():
            merged[key].extend(values)
        self._args = {k: v for k, v in request.query_params.items()}
        self._form = {k: v[0] for k, v in form.items()}
        self.payload = Payload(dict(merged))

    @property
    def args(self):
        return self._args

    @property
    def form(self):
        return self._form


class Provider:
    """The provider: its Starlette app, its signing key, the codes it handed out."""

    def __init__(self, client: Client, users: dict[str, str]) -> None:
        self.client, self.users = client, users  # email → subject
        self.issuer = ""
        self.key = RSAKey.generate_key(2048, parameters={"kid": "test-key", "use": "sig"},
                                       private=True)
        self.codes: dict[str, Code] = {}
        self.server = self._server()
        self.app = Starlette(routes=[
            Route("/.well-known/openid-configuration", self.discovery),
            Route("/authorize", self.authorize, methods=["GET", "POST"]),
            Route("/token", self.token, methods=["POST"]),
            Route("/jwks", self.jwks),
        ])

    def _server(self) -> AuthorizationServer:
        provider = self

        class Server(AuthorizationServer):
            def query_client(self, client_id):
                return provider.client if client_id == provider.client.client_id else None

            def save_token(self, token, request):
                pass

            def send_signal(self, name, *args, **kwargs):
                pass

            def create_oauth2_request(self, request):
                return request

            def create_json_request(self, request):
                return request

            def handle_response(self, status, body, headers):
                return status, body, headers

        class CodeGrant(grants.AuthorizationCodeGrant):
            TOKEN_ENDPOINT_AUTH_METHODS = ("client_secret_basic",)

            def save_authorization_code(self, code, request):
                data = request.payload.data
                provider.codes[code] = Code(
                    code, request.client.client_id, data.get("redirect_uri"), data.get("scope"),
                    data.get("nonce"), request.user, data.get("code_challenge"),
                    data.get("code_challenge_method"))

            def query_authorization_code(self, code, client):
                found = provider.codes.get(code)
                return found if found and found.client_id == client.client_id else None

            def delete_authorization_code(self, authorization_code):
                provider.codes.pop(authorization_code.code, None)

            def authenticate_user(self, authorization_code):
                return authorization_code.user

        class IdToken(OpenIDCode):
            def exists_nonce(self, nonce, request):
                return any(c.nonce == nonce for c in provider.codes.values())

            def resolve_client_private_key(self, client):
                return provider.key

            def get_client_algorithm(self, client):
                return "RS256"

            def get_encode_header(self, client):
                return {"alg": "RS256", "kid": "test-key"}

            def get_client_claims(self, client):
                return {"iss": provider.issuer, "aud": [client.get_client_id()]}

            def generate_user_info(self, user, scope):
                return UserInfo(sub=user.sub, email=user.email, email_verified=True)

        server = Server(scopes_supported=["openid", "email", "profile"])
        server.register_token_generator("default", BearerTokenGenerator(
            access_token_generator=lambda *args, **kwargs: generate_token(42)))
        server.register_grant(CodeGrant, [IdToken(require_nonce=True),
                                          CodeChallenge(required=True)])
        return server

    @staticmethod
    def _respond(result) -> Response:
        status, body, headers = result
        if isinstance(body, dict):
            return JSONResponse(body, status_code=status, headers=dict(headers))
        return Response(body or "", status_code=status, headers=dict(headers))

    async def discovery(self, request: Request) -> Response:
        return JSONResponse({
            "issuer": self.issuer, "authorization_endpoint": f"{self.issuer}/authorize",
            "token_endpoint": f"{self.issuer}/token", "jwks_uri": f"{self.issuer}/jwks",
            "response_types_supported": ["code"], "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": ["RS256"],
            "code_challenge_methods_supported": ["S256"],
            "token_endpoint_auth_methods_supported": ["client_secret_basic"]})

    async def jwks(self, request: Request) -> Response:
        return JSONResponse({"keys": [self.key.as_dict(private=False)]})

    async def authorize(self, request: Request) -> Response:
        if request.method == "GET":
            grant = self.server.get_consent_grant(StarletteOAuth2Request(request, {}))
            return HTMLResponse(
                f"<!doctype html><title>Test provider</title><h1>Test provider</h1>"
                f"<p>{html.escape(grant.client.client_id)} asks who you are.</p>"
                f'<form method="post" action="/authorize?{html.escape(urlencode(dict(request.query_params)))}">'
                f'<label>Email <input name="email" id="email"></label>'
                f'<button type="submit" id="allow">Allow</button></form>')
        form = await request.form()
        email = str(form.get("email", ""))
        oauth_request = StarletteOAuth2Request(request, {})
        user = User(self.users[email], email) if email in self.users else None
        return self._respond(self.server.create_authorization_response(oauth_request,
                                                                        grant_user=user))

    async def token(self, request: Request) -> Response:
        form = await request.form()
        datalist: dict[str, list[str]] = defaultdict(list)
        for key, value in form.multi_items():
            datalist[key].append(str(value))
        return self._respond(self.server.create_token_response(
            StarletteOAuth2Request(request, dict(datalist))))

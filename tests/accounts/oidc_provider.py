"""A small but real OpenID Connect provider for the single sign-on tests.

It serves HTTP on a free loopback port from a thread (``http.server``), so the tests drive
mozilla-django-oidc end to end, over the network, as it would talk to a force's provider:

- ``/.well-known/openid-configuration``: the discovery document;
- ``/authorize``: approves ``person`` at once (no page) and sends the browser back to the client's
  ``redirect_uri`` with a single-use code and the client's ``state``; it insists on a PKCE challenge;
- ``/token``: exchanges the code once, checking the client's secret, the ``redirect_uri`` and the
  PKCE verifier, for an access token and an RS256-signed ID token (``iss``, ``aud``, ``sub``,
  ``email``, ``email_verified``, ``nonce``, ``iat``, ``exp``, and ``amr`` when given);
- ``/jwks``: the public key the ID tokens are signed with;
- ``/userinfo``: ``sub``, ``email`` and ``email_verified`` for a valid access token.

Misbehaviours for the refusal tests: ``sign_with_wrong_key`` signs with another key under the
published key's id; ``id_token_claims`` and ``userinfo_claims`` override claims (a wrong
``nonce``, another ``aud``, another ``sub``...).
"""

import base64
import hashlib
import json
import secrets
import threading
import time
from dataclasses import dataclass, field
from functools import cache
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlencode, urlsplit

import jwt
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm

KEY_ID = "test-key-1"


@cache
def _rsa_key(name: str):
    """One key per name for the whole run: making RSA keys is slow."""
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def _pkce_s256(verifier: str) -> str:
    return base64.urlsafe_b64encode(hashlib.sha256(verifier.encode("ascii")).digest()).rstrip(b"=").decode()


@dataclass
class Person:
    """Who the provider says has signed in."""

    email: str
    email_verified: bool = True
    sub: str = field(default_factory=lambda: secrets.token_hex(8))


@dataclass
class Grant:
    client_id: str
    redirect_uri: str
    nonce: str | None
    code_challenge: str
    person: Person


class TestProvider:
    """``with TestProvider(client_id=..., client_secret=..., person=Person(...)) as provider:``"""

    __test__ = False  # not a pytest test class

    def __init__(self, *, client_id, client_secret, person=None):
        self.client_id = client_id
        self.client_secret = client_secret
        self.person = person
        self.sign_with_wrong_key = False
        self.id_token_claims = {}  # claims to add to, or override in, the next ID tokens
        self.userinfo_claims = {}  # the same for the UserInfo answers
        self.amr = None  # e.g. ["pwd", "mfa"]
        self.token_requests = []  # the form of every token request, for assertions
        self.authorize_requests = []
        self._grants = {}
        self._access_tokens = {}
        self._lock = threading.Lock()
        self._server = None

    # --- Running ---------------------------------------------------------------------------------------
    def __enter__(self):
        provider = self

        class Handler(_Handler):
            pass

        Handler.provider = provider
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc):
        self._server.shutdown()
        self._server.server_close()

    @property
    def issuer(self):
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    # --- Endpoints --------------------------------------------------------------------------------------
    def discovery(self):
        return {
            "issuer": self.issuer,
            "authorization_endpoint": f"{self.issuer}/authorize",
            "token_endpoint": f"{self.issuer}/token",
            "userinfo_endpoint": f"{self.issuer}/userinfo",
            "jwks_uri": f"{self.issuer}/jwks",
            "end_session_endpoint": f"{self.issuer}/logout",
            "response_types_supported": ["code"],
            "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": ["RS256"],
            "code_challenge_methods_supported": ["S256"],
            "scopes_supported": ["openid", "email"],
        }

    def jwks(self):
        key = RSAAlgorithm.to_jwk(_rsa_key("provider").public_key(), as_dict=True)
        return {"keys": [{**key, "kid": KEY_ID, "alg": "RS256", "use": "sig"}]}

    def authorize(self, params):
        """(status, location or error) for an authorisation request."""
        self.authorize_requests.append(params)
        if params.get("client_id") != self.client_id or params.get("response_type") != "code":
            return 400, "unauthorized_client"
        if "openid" not in params.get("scope", "").split():
            return 400, "invalid_scope"
        if params.get("code_challenge_method") != "S256" or not params.get("code_challenge"):
            return 400, "PKCE required"
        if self.person is None:
            location = (
                params["redirect_uri"] + "?" + urlencode({"error": "access_denied", "state": params["state"]})
            )
            return 302, location
        code = secrets.token_urlsafe(24)
        with self._lock:
            self._grants[code] = Grant(
                client_id=params["client_id"],
                redirect_uri=params["redirect_uri"],
                nonce=params.get("nonce"),
                code_challenge=params["code_challenge"],
                person=self.person,
            )
        return 302, params["redirect_uri"] + "?" + urlencode({"code": code, "state": params["state"]})

    def token(self, form):
        """(status, JSON body) for a token request."""
        self.token_requests.append(form)
        with self._lock:
            grant = self._grants.pop(form.get("code", ""), None)  # a code is good once
        if grant is None or form.get("grant_type") != "authorization_code":
            return 400, {"error": "invalid_grant"}
        if form.get("client_id") != grant.client_id or form.get("client_secret") != self.client_secret:
            return 401, {"error": "invalid_client"}
        if form.get("redirect_uri") != grant.redirect_uri:
            return 400, {"error": "invalid_grant", "error_description": "redirect_uri"}
        if _pkce_s256(form.get("code_verifier", "")) != grant.code_challenge:
            return 400, {"error": "invalid_grant", "error_description": "PKCE verifier"}
        access_token = secrets.token_urlsafe(24)
        with self._lock:
            self._access_tokens[access_token] = grant.person
        return 200, {
            "access_token": access_token,
            "token_type": "Bearer",
            "expires_in": 300,
            "id_token": self.id_token(grant),
        }

    def id_token(self, grant):
        now = int(time.time())
        claims = {
            "iss": self.issuer,
            "aud": grant.client_id,
            "sub": grant.person.sub,
            "email": grant.person.email,
            "email_verified": grant.person.email_verified,
            "nonce": grant.nonce,
            "iat": now,
            "exp": now + 300,
        }
        if self.amr is not None:
            claims["amr"] = self.amr
        claims.update(self.id_token_claims)
        key = _rsa_key("impostor" if self.sign_with_wrong_key else "provider")
        return jwt.encode(claims, key, algorithm="RS256", headers={"kid": KEY_ID})

    def userinfo(self, authorization):
        scheme, _, access_token = (authorization or "").partition(" ")
        with self._lock:
            person = self._access_tokens.get(access_token) if scheme == "Bearer" else None
        if person is None:
            return 401, {"error": "invalid_token"}
        claims = {"sub": person.sub, "email": person.email, "email_verified": person.email_verified}
        return 200, {**claims, **self.userinfo_claims}


class _Handler(BaseHTTPRequestHandler):
    provider: TestProvider

    def log_message(self, format, *args):  # quiet
        pass

    def do_GET(self):
        url = urlsplit(self.path)
        params = {k: v[0] for k, v in parse_qs(url.query).items()}
        if url.path == "/.well-known/openid-configuration":
            self._json(200, self.provider.discovery())
        elif url.path == "/jwks":
            self._json(200, self.provider.jwks())
        elif url.path == "/authorize":
            status, answer = self.provider.authorize(params)
            if status == 302:
                self.send_response(302)
                self.send_header("Location", answer)
                self.send_header("Content-Length", "0")
                self.end_headers()
            else:
                self._json(status, {"error": answer})
        elif url.path == "/userinfo":
            self._json(*self.provider.userinfo(self.headers.get("Authorization")))
        else:
            self._json(404, {"error": "not_found"})

    def do_POST(self):
        length = int(self.headers.get("Content-Length") or 0)
        form = {k: v[0] for k, v in parse_qs(self.rfile.read(length).decode()).items()}
        if urlsplit(self.path).path == "/token":
            self._json(*self.provider.token(form))
        else:
            self._json(404, {"error": "not_found"})

    def _json(self, status, body):
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

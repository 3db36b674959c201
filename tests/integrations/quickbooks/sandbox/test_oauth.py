"""The OAuth dance over real HTTP: authorize (consent or auto-approve), PKCE, refresh rotation, revoke."""

from __future__ import annotations

import base64
import hashlib
import secrets
from collections.abc import Iterator
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from integrations.quickbooks.sandbox.app import create_sandbox_app
from integrations.quickbooks.sandbox.config import OAuthClient, SandboxConfig, TokenLifetimes
from integrations.quickbooks.sandbox.server import run_sandbox_server
from integrations.quickbooks.sandbox.state import Sandbox

CLIENT = OAuthClient(client_id="app-1", client_secret="s3cret", redirect_uris=["http://127.0.0.1:9/callback"])
REDIRECT = CLIENT.redirect_uris[0]
SCOPE = "com.intuit.quickbooks.accounting openid"


@pytest.fixture
def server(request: pytest.FixtureRequest) -> Iterator[tuple[str, Sandbox]]:
    auto = getattr(request, "param", True)
    lifetimes = TokenLifetimes(rotate_refresh_after_s=3600, old_refresh_grace_s=600)
    app = create_sandbox_app(SandboxConfig(clients=[CLIENT], auto_approve=auto, tokens=lifetimes))
    with run_sandbox_server(app) as base_url:
        yield base_url, app.state.sandbox


def basic() -> dict[str, str]:
    return {"Authorization": "Basic " + base64.b64encode(b"app-1:s3cret").decode()}


def pkce_pair() -> tuple[str, str]:
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    return verifier, challenge


def authorize(http: httpx.Client, challenge: str | None = None, **overrides: str) -> httpx.Response:
    params = {
        "client_id": "app-1",
        "response_type": "code",
        "scope": SCOPE,
        "redirect_uri": REDIRECT,
        "state": "xyz",
    }
    if challenge:
        params |= {"code_challenge": challenge, "code_challenge_method": "S256"}
    return http.get("/connect/oauth2", params={**params, **overrides})


def callback_params(response: httpx.Response) -> dict[str, str]:
    assert response.status_code == 302, response.text
    location = response.headers["location"]
    assert location.startswith(REDIRECT)
    return {k: v[0] for k, v in parse_qs(urlsplit(location).query).items()}


def test_discovery_document_names_the_endpoints(server: tuple[str, Sandbox]) -> None:
    base, _ = server
    doc = httpx.get(f"{base}/.well-known/openid-configuration").json()
    assert doc["authorization_endpoint"] == f"{base}/connect/oauth2"
    assert doc["token_endpoint"] == f"{base}/oauth2/v1/tokens/bearer"
    assert doc["revocation_endpoint"] == f"{base}/oauth2/v1/tokens/revoke"
    assert "S256" in doc["code_challenge_methods_supported"]
    assert doc["issuer"] == "https://oauth.platform.intuit.com/op/v1"
    assert "client_secret_basic" in doc["token_endpoint_auth_methods_supported"]


def test_full_dance_with_pkce_then_api_call_then_refresh_and_revoke(server: tuple[str, Sandbox]) -> None:
    base, sandbox = server
    verifier, challenge = pkce_pair()
    with httpx.Client(base_url=base) as http:
        params = callback_params(authorize(http, challenge))
        assert params["state"] == "xyz" and params["realmId"] == sandbox.default_realm_id
        # Wrong verifier: invalid_grant.
        bad = http.post(
            "/oauth2/v1/tokens/bearer",
            headers=basic(),
            data={
                "grant_type": "authorization_code",
                "code": params["code"],
                "redirect_uri": REDIRECT,
                "code_verifier": "not-the-verifier",
            },
        )
        assert bad.status_code == 400 and bad.json()["error"] == "invalid_grant"
        token = http.post(
            "/oauth2/v1/tokens/bearer",
            headers=basic(),
            data={
                "grant_type": "authorization_code",
                "code": params["code"],
                "redirect_uri": REDIRECT,
                "code_verifier": verifier,
            },
        )
        assert token.status_code == 200, token.text
        tokens = token.json()
        assert tokens["token_type"] == "bearer" and tokens["expires_in"] == 3600
        assert tokens["x_refresh_token_expires_in"] == 8_726_400 and tokens["id_token"].count(".") == 2
        # The code is single use.
        again = http.post(
            "/oauth2/v1/tokens/bearer",
            headers=basic(),
            data={
                "grant_type": "authorization_code",
                "code": params["code"],
                "redirect_uri": REDIRECT,
                "code_verifier": verifier,
            },
        )
        assert again.status_code == 400 and again.json()["error"] == "invalid_grant"

        realm = params["realmId"]
        api = http.get(
            f"/v3/company/{realm}/companyinfo/1",
            headers={"Authorization": f"Bearer {tokens['access_token']}"},
        )
        # The replayed code revoked what it had produced (RFC 6749): the app must reconnect.
        assert api.status_code == 401


def test_refresh_rotation_and_grace_then_expiry(server: tuple[str, Sandbox]) -> None:
    base, sandbox = server
    with httpx.Client(base_url=base) as http:
        params = callback_params(authorize(http))
        tokens = http.post(
            "/oauth2/v1/tokens/bearer",
            headers=basic(),
            data={"grant_type": "authorization_code", "code": params["code"], "redirect_uri": REDIRECT},
        ).json()
        realm = params["realmId"]
        ok = http.get(
            f"/v3/company/{realm}/companyinfo/1",
            headers={"Authorization": f"Bearer {tokens['access_token']}"},
        )
        assert ok.status_code == 200
        # Within the rotation interval the refresh token keeps its value.
        same = http.post(
            "/oauth2/v1/tokens/bearer",
            headers=basic(),
            data={"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"]},
        ).json()
        assert (
            same["refresh_token"] == tokens["refresh_token"]
            and same["access_token"] != tokens["access_token"]
        )
        # After it a new value is issued; the old one still works during the grace period...
        sandbox.clock.advance(timedelta(seconds=3601))
        expired = http.get(
            f"/v3/company/{realm}/companyinfo/1", headers={"Authorization": f"Bearer {same['access_token']}"}
        )
        assert expired.status_code == 401
        assert expired.json()["Fault"]["Error"][0]["code"] == "3200"
        assert expired.json()["Fault"]["type"] == "AUTHENTICATION"
        rotated = http.post(
            "/oauth2/v1/tokens/bearer",
            headers=basic(),
            data={"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"]},
        ).json()
        assert rotated["refresh_token"] != tokens["refresh_token"]
        grace = http.post(
            "/oauth2/v1/tokens/bearer",
            headers=basic(),
            data={"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"]},
        )
        assert grace.status_code == 200 and grace.json()["refresh_token"] == rotated["refresh_token"]
        # ...and not after it.
        sandbox.clock.advance(timedelta(seconds=601))
        late = http.post(
            "/oauth2/v1/tokens/bearer",
            headers=basic(),
            data={"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"]},
        )
        assert late.status_code == 400 and late.json()["error"] == "invalid_grant"
        fresh = http.post(
            "/oauth2/v1/tokens/bearer",
            headers=basic(),
            data={"grant_type": "refresh_token", "refresh_token": rotated["refresh_token"]},
        )
        assert fresh.status_code == 200
        # Revoking disconnects: the refresh token and access tokens stop working.
        revoke = http.post(
            "/oauth2/v1/tokens/revoke", headers=basic(), json={"token": rotated["refresh_token"]}
        )
        assert revoke.status_code == 200 and revoke.content == b""
        dead = http.post(
            "/oauth2/v1/tokens/bearer",
            headers=basic(),
            data={"grant_type": "refresh_token", "refresh_token": rotated["refresh_token"]},
        )
        assert dead.status_code == 400 and dead.json()["error"] == "invalid_grant"
        api = http.get(
            f"/v3/company/{realm}/companyinfo/1",
            headers={"Authorization": f"Bearer {fresh.json()['access_token']}"},
        )
        assert api.status_code == 401


def test_client_authentication_and_bad_requests(server: tuple[str, Sandbox]) -> None:
    base, _ = server
    with httpx.Client(base_url=base) as http:
        wrong = http.post(
            "/oauth2/v1/tokens/bearer",
            auth=("app-1", "nope"),
            data={"grant_type": "refresh_token", "refresh_token": "x"},
        )
        assert wrong.status_code == 401 and wrong.json()["error"] == "invalid_client"
        post_auth = http.post(
            "/oauth2/v1/tokens/bearer",
            data={
                "grant_type": "refresh_token",
                "refresh_token": "x",
                "client_id": "app-1",
                "client_secret": "s3cret",
            },
        )
        assert post_auth.status_code == 400 and post_auth.json()["error"] == "invalid_grant"
        grant = http.post("/oauth2/v1/tokens/bearer", headers=basic(), data={"grant_type": "password"})
        assert grant.json()["error"] == "unsupported_grant_type"
        assert authorize(http, client_id="unknown").status_code == 400
        assert authorize(http, redirect_uri="http://evil.example/cb").status_code == 400
        assert callback_params(authorize(http, scope="com.intuit.admin"))["error"] == "invalid_scope"
        assert callback_params(authorize(http, state=""))["error"] == "invalid_request"
        plain = authorize(http, code_challenge="abc", code_challenge_method="plain")
        assert callback_params(plain)["error"] == "invalid_request"
        # A code bound to a PKCE challenge needs the verifier.
        _, challenge = pkce_pair()
        code = callback_params(authorize(http, challenge))["code"]
        missing = http.post(
            "/oauth2/v1/tokens/bearer",
            headers=basic(),
            data={"grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT},
        )
        assert missing.json()["error"] == "invalid_grant"


@pytest.mark.parametrize("server", [False], indirect=True)
def test_consent_page_approve_and_deny(server: tuple[str, Sandbox]) -> None:
    base, sandbox = server
    with httpx.Client(base_url=base) as http:
        page = authorize(http)
        assert page.status_code == 200 and "Approve" in page.text and "Deny" in page.text
        request_id = page.text.split('name="request_id" value="')[1].split('"')[0]
        approved = http.post(
            "/connect/oauth2/consent",
            data={"request_id": request_id, "decision": "approve", "realm_id": sandbox.default_realm_id},
        )
        params = callback_params(approved)
        assert params["code"] and params["realmId"] == sandbox.default_realm_id and params["state"] == "xyz"
        page = authorize(http)
        request_id = page.text.split('name="request_id" value="')[1].split('"')[0]
        denied = callback_params(
            http.post("/connect/oauth2/consent", data={"request_id": request_id, "decision": "deny"})
        )
        assert denied == {"error": "access_denied", "state": "xyz"}


def test_missing_or_malformed_bearer_is_401_with_3200(server: tuple[str, Sandbox]) -> None:
    base, sandbox = server
    realm = sandbox.default_realm_id
    for headers in ({}, {"Authorization": "Bearer nonsense"}, {"Authorization": "Basic abc"}):
        response = httpx.get(f"{base}/v3/company/{realm}/companyinfo/1", headers=headers)
        assert response.status_code == 401
        error = response.json()["Fault"]["Error"][0]
        assert (
            error["code"] == "3200"
            and error["Message"] == "message=AuthenticationFailed; errorCode=003200; statusCode=401"
        )
        assert "WWW-Authenticate" in response.headers


def test_userinfo(server: tuple[str, Sandbox]) -> None:
    base, sandbox = server
    token = sandbox.issue_tokens(scope="openid email")["access_token"]
    info = httpx.get(f"{base}/v1/openid_connect/userinfo", headers={"Authorization": f"Bearer {token}"})
    assert info.status_code == 200 and info.json()["realmid"] == sandbox.default_realm_id
    assert httpx.get(f"{base}/v1/openid_connect/userinfo").status_code == 401
    # Without the accounting scope the token does not open the API.
    api = httpx.get(
        f"{base}/v3/company/{sandbox.default_realm_id}/companyinfo/1",
        headers={"Authorization": f"Bearer {token}"},
    )
    assert api.status_code == 403 and api.json()["Fault"]["Error"][0]["code"] == "3100"

"""Intuit's OAuth 2.0 endpoints: authorize + consent, token (code / refresh), revoke, discovery, userinfo."""

from __future__ import annotations

import base64
import binascii
import html
import json
import secrets
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from starlette.responses import HTMLResponse, JSONResponse, RedirectResponse, Response

from integrations.quickbooks.sandbox.state import Sandbox
from integrations.quickbooks.sandbox.tokens import ISSUER, OAuthError

SCOPES = (
    "com.intuit.quickbooks.accounting",
    "com.intuit.quickbooks.payment",
    "openid",
    "profile",
    "email",
    "phone",
    "address",
)
_NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}


def _redirect(uri: str, params: dict[str, str]) -> RedirectResponse:
    joiner = "&" if "?" in uri else "?"
    return RedirectResponse(f"{uri}{joiner}{urlencode(params)}", status_code=302)


def _client_credentials(request: Request, form: dict[str, str]) -> tuple[str | None, str | None]:
    header = request.headers.get("authorization", "")
    if header.lower().startswith("basic "):
        try:
            decoded = base64.b64decode(header[6:].strip()).decode()
        except (binascii.Error, UnicodeDecodeError):
            return None, None
        client_id, _, secret = decoded.partition(":")
        return client_id, secret
    return form.get("client_id"), form.get("client_secret")


def _oauth_error(exc: OAuthError) -> JSONResponse:
    return JSONResponse(exc.body(), status_code=exc.status, headers=_NO_STORE)


def _consent_page(request_id: str, client_id: str, scope: str, realms: list[str]) -> str:
    options = "".join(f'<option value="{html.escape(r)}">{html.escape(r)}</option>' for r in realms)
    return f"""<!doctype html>
<html><head><meta charset="utf-8"><title>Connect to QuickBooks (sandbox)</title></head>
<body>
<h1>Connect your QuickBooks company</h1>
<p>The app <strong>{html.escape(client_id)}</strong> asks for access to: {html.escape(scope)}</p>
<form method="post" action="/connect/oauth2/consent">
  <input type="hidden" name="request_id" value="{html.escape(request_id)}">
  <label>Company <select name="realm_id">{options}</select></label>
  <button type="submit" name="decision" value="approve">Approve</button>
  <button type="submit" name="decision" value="deny">Deny</button>
</form>
</body></html>"""


def oauth_router(sandbox: Sandbox) -> APIRouter:
    router = APIRouter()

    @router.get("/.well-known/openid-configuration")
    @router.get("/.well-known/openid_sandbox_configuration")
    async def discovery(request: Request) -> Response:
        base = str(request.base_url).rstrip("/")
        return JSONResponse(
            {
                # Intuit's discovery documents name their token issuer, not the host serving the document.
                "issuer": ISSUER,
                "authorization_endpoint": f"{base}/connect/oauth2",
                "token_endpoint": f"{base}/oauth2/v1/tokens/bearer",
                "revocation_endpoint": f"{base}/oauth2/v1/tokens/revoke",
                "userinfo_endpoint": f"{base}/v1/openid_connect/userinfo",
                "jwks_uri": f"{base}/op/v1/jwks",
                "response_types_supported": ["code"],
                "grant_types_supported": ["authorization_code", "refresh_token"],
                "scopes_supported": list(SCOPES),
                "token_endpoint_auth_methods_supported": ["client_secret_post", "client_secret_basic"],
                "code_challenge_methods_supported": ["S256"],
                "id_token_signing_alg_values_supported": ["HS256"],
                "subject_types_supported": ["public"],
                "claims_supported": ["aud", "exp", "iat", "iss", "realmid", "sub"],
            }
        )

    @router.get("/op/v1/jwks")
    async def jwks() -> Response:
        return JSONResponse({"keys": []})  # id tokens are HS256 with the client secret; no public keys

    @router.get("/connect/oauth2")
    async def authorize(request: Request) -> Response:
        params = dict(request.query_params)
        client = sandbox.tokens.clients.get(params.get("client_id", ""))
        redirect_uri = params.get("redirect_uri", "")
        # Without a known client and a registered redirect URI there is nowhere safe to send an error.
        if client is None:
            return HTMLResponse("<h1>Invalid client_id</h1>", status_code=400)
        if redirect_uri not in client.redirect_uris:
            return HTMLResponse("<h1>The redirect_uri is not registered for this app</h1>", status_code=400)
        state = params.get("state", "")
        if params.get("response_type") != "code":
            return _redirect(redirect_uri, {"error": "unsupported_response_type", "state": state})
        if not state:
            return _redirect(
                redirect_uri, {"error": "invalid_request", "error_description": "state is required"}
            )
        scopes = params.get("scope", "").split()
        if not scopes or any(s not in SCOPES for s in scopes):
            return _redirect(redirect_uri, {"error": "invalid_scope", "state": state})
        challenge = params.get("code_challenge")
        if challenge is not None and params.get("code_challenge_method", "plain") != "S256":
            return _redirect(
                redirect_uri,
                {
                    "error": "invalid_request",
                    "error_description": "only S256 code challenges are supported",
                    "state": state,
                },
            )
        pending = {
            "client_id": client.client_id,
            "redirect_uri": redirect_uri,
            "scope": " ".join(scopes),
            "state": state,
            "challenge": challenge or "",
        }
        if sandbox.config.auto_approve:
            return _approve(pending, sandbox.default_realm_id)
        request_id = secrets.token_urlsafe(16)
        sandbox.tokens.pending[request_id] = pending
        return HTMLResponse(
            _consent_page(request_id, client.client_id, pending["scope"], list(sandbox.realms))
        )

    def _approve(pending: dict[str, str], realm_id: str) -> Response:
        code = sandbox.tokens.issue_code(
            pending["client_id"],
            realm_id,
            pending["redirect_uri"],
            pending["scope"],
            pending["challenge"] or None,
        )
        return _redirect(
            pending["redirect_uri"], {"code": code, "state": pending["state"], "realmId": realm_id}
        )

    @router.post("/connect/oauth2/consent")
    async def consent(request: Request) -> Response:
        form = {k: str(v) for k, v in (await request.form()).items()}
        pending = sandbox.tokens.pending.pop(form.get("request_id", ""), None)
        if pending is None:
            return HTMLResponse("<h1>This consent request has expired</h1>", status_code=400)
        if form.get("decision") != "approve":
            return _redirect(pending["redirect_uri"], {"error": "access_denied", "state": pending["state"]})
        realm_id = form.get("realm_id") or sandbox.default_realm_id
        if realm_id not in sandbox.realms:
            return HTMLResponse("<h1>Unknown company</h1>", status_code=400)
        return _approve(pending, realm_id)

    @router.post("/oauth2/v1/tokens/bearer")
    async def token(request: Request) -> Response:
        form = {k: str(v) for k, v in (await request.form()).items()}
        try:
            client = sandbox.tokens.authenticate_client(*_client_credentials(request, form))
            grant_type = form.get("grant_type")
            with sandbox.lock:
                if grant_type == "authorization_code":
                    if not form.get("code"):
                        raise OAuthError("invalid_request", "code is required")
                    body = sandbox.tokens.exchange_code(
                        client, form["code"], form.get("redirect_uri"), form.get("code_verifier")
                    )
                elif grant_type == "refresh_token":
                    if not form.get("refresh_token"):
                        raise OAuthError("invalid_request", "refresh_token is required")
                    hard = (
                        request.headers.get("x-include-refresh-token-hard-expires-in", "").lower() == "true"
                    )
                    body = sandbox.tokens.refresh(client, form["refresh_token"], include_hard=hard)
                else:
                    raise OAuthError("unsupported_grant_type", f"grant_type {grant_type!r} is not supported")
        except OAuthError as exc:
            return _oauth_error(exc)
        return JSONResponse(body, headers=_NO_STORE)

    @router.post("/oauth2/v1/tokens/revoke")
    @router.post("/v2/oauth2/tokens/revoke")
    async def revoke(request: Request) -> Response:
        raw = await request.body()
        form: dict[str, Any] = {}
        if request.headers.get("content-type", "").startswith("application/json"):
            try:
                form = json.loads(raw or b"{}")
            except ValueError:
                form = {}
        else:
            form = {k: str(v) for k, v in (await request.form()).items()}
        try:
            client = sandbox.tokens.authenticate_client(*_client_credentials(request, form))
            if not form.get("token"):
                raise OAuthError("invalid_request", "token is required")
        except OAuthError as exc:
            return _oauth_error(exc)
        with sandbox.lock:
            sandbox.tokens.revoke(client, str(form["token"]))
        return Response(status_code=200)

    @router.get("/v1/openid_connect/userinfo")
    async def userinfo(request: Request) -> Response:
        try:
            return JSONResponse(sandbox.tokens.userinfo(request.headers.get("authorization")))
        except OAuthError as exc:
            return _oauth_error(exc)

    return router

"""What an embed token may do: talk to the assistant from the page it was minted for, and nothing else.

The widget's token acts as its user, but only on the chat: a turn (JSON or stream), the user's threads, and
deciding the approvals the chat raised, where the user's own role rules still apply. REST writes, admin and
integration endpoints need an API key. Every embed request must carry the ``Origin`` it was bound to (or our
own, from the widget's frame), so a token lifted from the page cannot be replayed by a browser elsewhere.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from fastapi import Request

from api.security.tokens import EmbedClaims
from domain.errors import PermissionDenied

EMBED_ROUTES = frozenset(
    {
        ("POST", "/api/chat"),
        ("POST", "/api/chat/stream"),
        ("GET", "/api/threads"),
        ("GET", "/api/threads/{thread_id}/messages"),
        ("GET", "/api/approvals/{approval_id}"),
        ("POST", "/api/approvals/{approval_id}/decision"),
        ("GET", "/api/me"),
    }
)


def _origin_of(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}".lower()


def check_embed_request(request: Request, claims: EmbedClaims, base_url: str) -> None:
    """Refuse an embed token sent without its bound origin, or to an endpoint outside the chat."""
    origin = (request.headers.get("origin") or "").lower()
    # The widget's frame is served by us and talks to us same-origin; anything else must be the bound page.
    own = {_origin_of(str(request.base_url)), _origin_of(base_url)}
    if not origin:
        raise PermissionDenied("An embed token must be sent with the Origin of the page it was issued for")
    if origin != claims.origin and origin not in own:
        raise PermissionDenied("This embed token was issued for another origin", origin=origin)
    route = request.scope.get("route")
    if (request.method, getattr(route, "path", None)) not in EMBED_ROUTES:
        raise PermissionDenied(
            "An embed token may only use the chat and its approvals; use an API key for this endpoint",
            path=request.url.path,
        )

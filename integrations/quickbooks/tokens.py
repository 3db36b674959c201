"""The encrypted token store: hands out valid access tokens, refreshing them safely.

Rules (DESIGN §4): tokens are Fernet-encrypted at rest; an access token is refreshed 5 minutes before it
expires; only one refresh per realm runs at a time in this process (an asyncio lock, then a re-read of the row
so a waiting caller uses the token the first one just obtained); the rotated refresh token is committed before
it can be used again; a refused refresh (``invalid_grant``) marks the connection ``needs_reauth``.

Database work is synchronous SQLAlchemy run through ``asyncio.to_thread`` — every method here, always, so no
event loop ever blocks on the database. Each unit of work is its own short transaction.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from domain.context import Actor
from domain.db import utcnow
from domain.errors import Conflict
from domain.models.connection import ConnectionStatus, QboConnection
from integrations.quickbooks.connection_audit import connection_state, record_connected, record_disconnected
from integrations.quickbooks.crypto import TokenCipher
from integrations.quickbooks.errors import QboAuthError, QboError
from integrations.quickbooks.oauth import OAuthGrantError, OAuthTokenEndpoint, TokenResponse

REFRESH_MARGIN = timedelta(minutes=5)
# Several requests rejected with the same old token each ask for a forced refresh; one refresh serves them all.
FORCED_REFRESH_COALESCE = timedelta(seconds=30)
Clock = Callable[[], datetime]


class QboNotConnected(QboAuthError):
    code = "qbo_not_connected"
    title = "QuickBooks is not connected"


class RealmTaken(Conflict):
    code = "qbo_realm_taken"
    title = "QuickBooks company already connected"

    def __init__(self, realm_id: str) -> None:
        super().__init__(
            f"QuickBooks company {realm_id} is already connected to another account; "
            "disconnect it there first",
            realm_id=realm_id,
        )


def _aware(value: datetime | None) -> datetime | None:
    # SQLite returns datetimes without a zone; everything stored here is UTC.
    if value is None:
        return None
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def _days_until(moment: datetime | None, now: datetime) -> int | None:
    if moment is None:
        return None
    return max(0, (moment - now).days)


@dataclass(frozen=True, slots=True)
class ConnectionInfo:
    """What the API and UI may know about a connection — never the tokens themselves."""

    tenant_id: str
    realm_id: str
    environment: str
    status: ConnectionStatus
    access_expires_at: datetime
    refresh_expires_at: datetime
    refresh_hard_expires_at: datetime | None
    token_version: int
    last_error: str | None
    checked_at: datetime

    @property
    def refresh_days_left(self) -> int | None:
        """Days until a reconnect is forced: the nearer of the rolling 100-day and the 5-year hard expiry."""
        if self.status is not ConnectionStatus.CONNECTED:
            return None
        ends = [d for d in (self.refresh_expires_at, self.refresh_hard_expires_at) if d is not None]
        return _days_until(min(ends), self.checked_at)

    @property
    def hard_expiry_days_left(self) -> int | None:
        return _days_until(self.refresh_hard_expires_at, self.checked_at)


@dataclass(frozen=True, slots=True)
class _Row:
    tenant_id: str
    realm_id: str
    environment: str
    status: ConnectionStatus
    access_enc: str
    refresh_enc: str
    access_expires_at: datetime
    refresh_expires_at: datetime
    refresh_hard_expires_at: datetime | None
    token_version: int
    last_error: str | None

    @classmethod
    def of(cls, row: QboConnection) -> _Row:
        return cls(
            tenant_id=row.tenant_id,
            realm_id=row.realm_id,
            environment=row.environment,
            status=ConnectionStatus(row.status),
            access_enc=row.access_token_enc,
            refresh_enc=row.refresh_token_enc,
            access_expires_at=_aware(row.access_expires_at) or row.access_expires_at,
            refresh_expires_at=_aware(row.refresh_expires_at) or row.refresh_expires_at,
            refresh_hard_expires_at=_aware(row.refresh_hard_expires_at),
            token_version=row.token_version,
            last_error=row.last_error,
        )


class TokenStore:
    def __init__(
        self,
        sessions: sessionmaker[Session],
        cipher: TokenCipher,
        endpoint: OAuthTokenEndpoint,
        *,
        clock: Clock = utcnow,
        refresh_margin: timedelta = REFRESH_MARGIN,
        coalesce: timedelta = FORCED_REFRESH_COALESCE,
    ) -> None:
        self._sessions = sessions
        self._cipher = cipher
        self._endpoint = endpoint
        self._clock = clock
        self._margin = refresh_margin
        self._locks: dict[str, asyncio.Lock] = {}
        self._refreshed_at: dict[str, datetime] = {}
        self._coalesce = coalesce
        self.refresh_count = 0

    # ---- public ----------------------------------------------------------------------------------------------

    async def save_new(
        self,
        *,
        tenant_id: str,
        realm_id: str,
        tokens: TokenResponse,
        environment: str,
        user_id: str | None = None,
    ) -> ConnectionInfo:
        """Store the tokens of a fresh consent (new connection or reconnect) and mark it connected."""
        row = await asyncio.to_thread(self._save_new, tenant_id, realm_id, tokens, environment, user_id)
        return self._info(row)

    async def info(self, tenant_id: str) -> ConnectionInfo:
        return self._info(await asyncio.to_thread(self._load, tenant_id))

    async def find_by_realm(self, realm_id: str) -> ConnectionInfo | None:
        row = await asyncio.to_thread(self._load_realm, realm_id)
        return self._info(row) if row else None

    async def access_token(
        self, tenant_id: str, *, force_refresh: bool = False, seen_version: int | None = None
    ) -> tuple[str, int]:
        """A valid access token and the token version it belongs to.

        ``force_refresh`` (QBO said 401): refresh unless the row already moved past ``seen_version`` — then the
        401 came from a token another caller has since replaced, and the replacement is used instead.
        """
        row = await asyncio.to_thread(self._load, tenant_id)
        self._check_usable(row)
        if not force_refresh and not self._expiring(row):
            return self._cipher.decrypt(row.access_enc), row.token_version
        async with self._lock(row.realm_id):
            row = await asyncio.to_thread(self._load, tenant_id)
            self._check_usable(row)
            fresh = not self._expiring(row)
            moved_on = seen_version is not None and row.token_version != seen_version
            if fresh and (not force_refresh or moved_on or self._just_refreshed(row.realm_id)):
                return self._cipher.decrypt(row.access_enc), row.token_version
            row = await self._refresh(row)
            return self._cipher.decrypt(row.access_enc), row.token_version

    def provider(self, tenant_id: str) -> TenantTokenProvider:
        return TenantTokenProvider(self, tenant_id)

    async def disconnect(self, tenant_id: str, actor: Actor | None = None) -> ConnectionInfo:
        """Revoke at Intuit (which disconnects the app from the company), then forget the tokens."""
        row = await asyncio.to_thread(self._load, tenant_id)
        note: str | None = None
        if row.refresh_enc:
            try:
                await self._endpoint.revoke(self._cipher.decrypt(row.refresh_enc))
            except QboError as exc:
                # The local tokens go regardless: the user asked to disconnect; Intuit expires them in time.
                note = f"revoking at QuickBooks failed ({exc.message}); local tokens were removed"
        who = actor or Actor.system(tenant_id)
        return self._info(await asyncio.to_thread(self._clear, tenant_id, note, who))

    # ---- refresh ---------------------------------------------------------------------------------------------

    def _lock(self, realm_id: str) -> asyncio.Lock:
        lock = self._locks.get(realm_id)
        if lock is None:
            lock = self._locks[realm_id] = asyncio.Lock()
        return lock

    def _just_refreshed(self, realm_id: str) -> bool:
        last = self._refreshed_at.get(realm_id)
        return last is not None and self._clock() - last < self._coalesce

    def _expiring(self, row: _Row) -> bool:
        return row.access_expires_at - self._margin <= self._clock()

    def _check_usable(self, row: _Row) -> None:
        if row.status is ConnectionStatus.NEEDS_REAUTH:
            raise QboAuthError(
                f"QuickBooks needs to be reconnected by an owner or admin: {row.last_error or 'consent expired'}",
                detail=row.last_error,
            )
        if row.status is ConnectionStatus.DISCONNECTED or not row.access_enc:
            raise QboNotConnected("QuickBooks is disconnected; connect it again to continue")

    async def _refresh(self, row: _Row) -> _Row:
        self.refresh_count += 1
        try:
            tokens = await self._endpoint.refresh(self._cipher.decrypt(row.refresh_enc))
        except OAuthGrantError as exc:
            if exc.oauth_error != "invalid_grant":
                raise
            message = (
                "QuickBooks no longer accepts this connection's refresh token (revoked, expired or replaced); "
                "an owner or admin must reconnect QuickBooks"
            )
            await asyncio.to_thread(self._mark_needs_reauth, row.tenant_id, message)
            raise QboAuthError(message, detail=exc.message) from exc
        stored = await asyncio.to_thread(self._store_refreshed, row, tokens)
        self._refreshed_at[row.realm_id] = self._clock()
        return stored

    # ---- database (run in a worker thread) -------------------------------------------------------------------

    def _load(self, tenant_id: str) -> _Row:
        with self._sessions() as session:
            row = session.scalars(select(QboConnection).where(QboConnection.tenant_id == tenant_id)).first()
            if row is None:
                raise QboNotConnected("QuickBooks is not connected for this company")
            return _Row.of(row)

    def _load_realm(self, realm_id: str) -> _Row | None:
        with self._sessions() as session:
            row = session.scalars(select(QboConnection).where(QboConnection.realm_id == realm_id)).first()
            return _Row.of(row) if row else None

    def _save_new(
        self, tenant_id: str, realm_id: str, tokens: TokenResponse, environment: str, user_id: str | None
    ) -> _Row:
        try:
            return self._save_new_once(tenant_id, realm_id, tokens, environment, user_id)
        except IntegrityError as exc:
            # Another tenant linked this realm between our check and our write (the unique realm_id).
            raise RealmTaken(realm_id) from exc

    def _save_new_once(
        self, tenant_id: str, realm_id: str, tokens: TokenResponse, environment: str, user_id: str | None
    ) -> _Row:
        now = self._clock()
        with self._sessions() as session, session.begin():
            if self._realm_owner(session, realm_id, tenant_id) is not None:
                raise RealmTaken(realm_id)
            row = session.scalars(select(QboConnection).where(QboConnection.tenant_id == tenant_id)).first()
            before = connection_state(row) if row is not None else None
            if row is None:
                row = QboConnection(tenant_id=tenant_id, token_version=0)
                session.add(row)
            row.realm_id = realm_id
            row.environment = environment
            row.status = ConnectionStatus.CONNECTED
            row.connected_by_user_id = user_id
            row.last_error = None
            self._apply_tokens(row, tokens, now)
            row.refresh_hard_expires_at = (
                now + timedelta(seconds=tokens.refresh_hard_expires_in)
                if tokens.refresh_hard_expires_in is not None
                else None
            )
            row.token_version = (row.token_version or 0) + 1
            session.flush()
            record_connected(session, row, before, user_id)
            return _Row.of(row)

    @staticmethod
    def _realm_owner(session: Session, realm_id: str, tenant_id: str) -> str | None:
        """The other tenant this realm is linked to, if any."""
        return session.scalars(
            select(QboConnection.tenant_id).where(
                QboConnection.realm_id == realm_id, QboConnection.tenant_id != tenant_id
            )
        ).first()

    def _apply_tokens(self, row: QboConnection, tokens: TokenResponse, now: datetime) -> None:
        row.access_token_enc = self._cipher.encrypt(tokens.access_token)
        row.refresh_token_enc = self._cipher.encrypt(tokens.refresh_token)
        row.access_expires_at = now + timedelta(seconds=tokens.expires_in)
        row.refresh_expires_at = now + timedelta(seconds=tokens.refresh_expires_in)

    def _store_refreshed(self, seen: _Row, tokens: TokenResponse) -> _Row:
        """Commit the rotated pair; a version check stops a refresh in another process being overwritten."""
        now = self._clock()
        values: dict[str, object] = {
            "access_token_enc": self._cipher.encrypt(tokens.access_token),
            "refresh_token_enc": self._cipher.encrypt(tokens.refresh_token),
            "access_expires_at": now + timedelta(seconds=tokens.expires_in),
            "refresh_expires_at": now + timedelta(seconds=tokens.refresh_expires_in),
            "token_version": seen.token_version + 1,
            "last_error": None,
            "updated_at": now,
        }
        if tokens.refresh_hard_expires_in is not None:
            values["refresh_hard_expires_at"] = now + timedelta(seconds=tokens.refresh_hard_expires_in)
        with self._sessions() as session, session.begin():
            session.execute(
                update(QboConnection)
                .where(
                    QboConnection.tenant_id == seen.tenant_id,
                    QboConnection.token_version == seen.token_version,
                )
                .values(**values)
            )
        # Either our write or the other process's: both are valid pairs, the stored one is the truth.
        return self._load(seen.tenant_id)

    def _mark_needs_reauth(self, tenant_id: str, message: str) -> None:
        with self._sessions() as session, session.begin():
            session.execute(
                update(QboConnection)
                .where(QboConnection.tenant_id == tenant_id)
                .values(status=ConnectionStatus.NEEDS_REAUTH, last_error=message, updated_at=self._clock())
            )

    def _clear(self, tenant_id: str, note: str | None, actor: Actor) -> _Row:
        with self._sessions() as session, session.begin():
            row = session.scalars(select(QboConnection).where(QboConnection.tenant_id == tenant_id)).first()
            before = connection_state(row) if row is not None else None
            session.execute(
                update(QboConnection)
                .where(QboConnection.tenant_id == tenant_id)
                .values(
                    status=ConnectionStatus.DISCONNECTED,
                    access_token_enc="",
                    refresh_token_enc="",
                    access_expires_at=self._clock(),
                    token_version=QboConnection.token_version + 1,
                    last_error=note,
                    updated_at=self._clock(),
                )
            )
            if row is not None and before is not None:
                record_disconnected(session, actor, row.id, before, note)
        return self._load(tenant_id)

    def _info(self, row: _Row) -> ConnectionInfo:
        return ConnectionInfo(
            tenant_id=row.tenant_id,
            realm_id=row.realm_id,
            environment=row.environment,
            status=row.status,
            access_expires_at=row.access_expires_at,
            refresh_expires_at=row.refresh_expires_at,
            refresh_hard_expires_at=row.refresh_hard_expires_at,
            token_version=row.token_version,
            last_error=row.last_error,
            checked_at=self._clock(),
        )


class TenantTokenProvider:
    """The ``token_provider`` a :class:`QboClient` takes; remembers which token version it handed out."""

    def __init__(self, store: TokenStore, tenant_id: str) -> None:
        self._store = store
        self.tenant_id = tenant_id
        self._seen: int | None = None

    async def __call__(self, *, force_refresh: bool = False) -> str:
        token, version = await self._store.access_token(
            self.tenant_id, force_refresh=force_refresh, seen_version=self._seen
        )
        self._seen = version
        return token


__all__ = [
    "REFRESH_MARGIN",
    "ConnectionInfo",
    "QboNotConnected",
    "RealmTaken",
    "TenantTokenProvider",
    "TokenStore",
]

"""AuthSession: the whole sign-in flow of a native app, with no UI.

It runs on whatever asyncio loop drives it (qasync's in the app, pytest-asyncio's in tests) and
tells its observers about every change with an immutable :class:`Snapshot`. The UI renders
snapshots and forwards clicks; it never touches tokens. Collaborators are injected: the browser
opener (``Callable[[str], bool]``, the system browser by default), the clock, the token storage
or the keyring backend, so tests and headless scripts can play the person.

Example (headless)::

    session = AuthSession(settings, open_browser=my_opener)
    await session.restore()
    if session.snapshot.state is not State.SIGNED_IN:
        await session.sign_in()
    print(session.snapshot.profile["name"])
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
import time
import traceback
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import replace
from pathlib import Path
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, Literal

import platformdirs

from desktop_app import APP_NAME
from desktop_app.auth.logto_client import (
    DEFAULT_TIMEOUT,
    LogtoNativeClient,
    PushedRequest,
    SignInRequest,
    SignOutResult,
    decode_unverified,
    organization_resource,
)
from desktop_app.auth.loopback import LoopbackReceiver
from desktop_app.auth.organizations import Organization, organizations_in
from desktop_app.auth.refresh_guard import refresh_lock_path
from desktop_app.auth.state import (
    BrowserOpener,
    Observer,
    Snapshot,
    State,
    TokenStatus,
    default_browser_opener,
)
from desktop_app.auth.storage import KeyringStorage, SessionOnlyStorage
from desktop_app.auth.stored_session import profile_from
from desktop_app.config import Settings
from desktop_app.errors import (
    AuthError,
    DesktopAppError,
    IdpError,
    InvalidGrantError,
    NetworkError,
    SignInCancelled,
    SignInTimeout,
    StorageError,
    TokenValidationError,
)

if TYPE_CHECKING:
    from keyring.backend import KeyringBackend

logger = logging.getLogger(__name__)

# A pushed request with less life left than this is pushed again for the browser (RFC 9126 2.2:
# Logto's live 60 s), so the browser never lands on an expired request_uri.
_PUSHED_REQUEST_MARGIN = 20.0


class AuthSession:
    """Sign in, restore, refresh, sign out, profile and access tokens for one Logto app."""

    def __init__(
        self,
        settings: Settings,
        *,
        storage: KeyringStorage | SessionOnlyStorage | None = None,
        keyring_backend: KeyringBackend | None = None,
        open_browser: BrowserOpener = default_browser_opener,
        clock: Callable[[], float] = time.time,
        http_timeout: float = DEFAULT_TIMEOUT,
        lock_dir: Path | None = None,
        state_dir: Path | None = None,
        ui_locales: Sequence[str] = (),
    ) -> None:
        """``ui_locales``: the OS's UI languages (BCP 47), sent to Logto's sign-in page unless
        Settings names others. ``lock_dir`` holds the refresh lock shared with other copies of the app (default: a
        ``locks`` folder in the user cache dir); only keyring-backed sessions use it.
        ``state_dir`` (default: the user state dir) remembers an explicit sign-out, so the
        next sign-in, even after a restart, lets the person choose who to be."""
        self.settings = settings
        if storage is None:
            storage = (
                SessionOnlyStorage()
                if settings.session_only
                else KeyringStorage.for_app(
                    settings.endpoint, settings.app_id, backend=keyring_backend
                )
            )
        self.storage = storage
        self._open_browser = open_browser
        self._clock = clock
        lock_path = None
        if isinstance(storage, KeyringStorage):
            # Keyed by the keyring service name: processes sharing the entry share the lock.
            directory = lock_dir or Path(platformdirs.user_cache_dir(APP_NAME, False)) / "locks"
            lock_path = refresh_lock_path(directory, storage.service)
        self.client = LogtoNativeClient(
            settings.endpoint,
            settings.app_id,
            storage,
            scopes=settings.requested_scopes,
            resources=settings.requested_resources,
            timeout=http_timeout,
            clock=clock,
            lock_path=lock_path,
            ui_locales=settings.ui_locales or tuple(ui_locales),
        )
        directory = state_dir or Path(platformdirs.user_state_dir(APP_NAME, False))
        key = hashlib.sha256(f"{settings.endpoint}\n{settings.app_id}".encode()).hexdigest()
        self._signed_out_marker = directory / "signed-out" / key[:32]
        self._receiver: LoopbackReceiver | None = None
        self._observers: list[Observer] = []
        self._snapshot = Snapshot(State.SIGNED_OUT, storage_label=self._storage_label())
        self._sign_in_task: asyncio.Task[Any] | None = None
        self._flow_lock = asyncio.Lock()  # restore() and sign_in() never interleave
        self._cancel_requested = False
        # The sign-in whose tokens are stored and shown, while it still tells the browser tab.
        self._completed_flow: asyncio.Task[Any] | None = None
        self._loaded = False
        self._userinfo: dict[str, Any] = {}

    # ---------------------------------------------------------------- observing

    @property
    def snapshot(self) -> Snapshot:
        return self._snapshot

    @property
    def state(self) -> State:
        return self._snapshot.state

    @property
    def profile(self) -> Mapping[str, Any]:
        return self._snapshot.profile

    def subscribe(self, observer: Observer) -> Callable[[], None]:
        """Call ``observer`` with every new snapshot; returns a function that unsubscribes."""
        self._observers.append(observer)
        return lambda: self._observers.remove(observer) if observer in self._observers else None

    def _emit(self, state: State, **changes: Any) -> None:
        defaults: dict[str, Any] = {
            "error": None,
            "notice": "",
            "busy": False,
            "storage_label": self._storage_label(),
            "keyring_backend": self.storage.backend_name,
        }
        if state not in {State.WAITING_FOR_BROWSER, State.COMPLETING}:
            defaults.update(sign_in_url=None, waiting_since=None, browser_opened=True)
        if state not in {State.SIGNED_IN}:
            defaults.update(offline=False)
        if state in {State.SIGNED_OUT, State.ERROR, State.WAITING_FOR_BROWSER}:
            defaults.update(profile=MappingProxyType({}))
        self._snapshot = replace(self._snapshot, state=state, **(defaults | changes))
        logger.debug("Session state: %s", state.value)
        for observer in list(self._observers):
            try:
                observer(self._snapshot)
            except Exception:
                logger.exception("A session observer failed")

    def _storage_label(self) -> str:
        try:
            return str(self.storage.location_label)
        except Exception:  # resolving the backend may fail; the label is cosmetic
            return "OS keyring"

    # ---------------------------------------------------------------- profile & tokens

    def _profile(self) -> Mapping[str, Any]:
        return profile_from(self.client.id_token_claims(), self._userinfo)

    def id_token_claims(self) -> dict[str, Any]:
        """All claims of the ID token, for a developer's "Token details" view."""
        return self.client.id_token_claims()

    def token_status(self, resource: str = "") -> TokenStatus:
        return TokenStatus(
            access_token_expires_at=self.client.access_token_expiry(resource),
            refresh_available=self.client.has_refresh_token,
            storage_label=self._storage_label(),
        )

    async def access_token(self, resource: str | None = None) -> str:
        """A valid access token ("" or None = the userinfo/default one), refreshed when needed."""
        try:
            return await self.client.access_token(resource or "")
        except InvalidGrantError as exc:
            self._userinfo = {}
            self._emit(
                State.SIGNED_OUT,
                notice="Your session has expired. Please sign in again.",
                error=exc,
            )
            raise
        except TokenValidationError as exc:
            # The refreshed tokens failed the checks (e.g. another sub, OIDC Core 12.2).
            await self._wipe_quietly()
            self._emit(State.ERROR, error=exc)
            raise
        except NetworkError as exc:
            if self.state is State.SIGNED_IN:  # still signed in; the tokens are kept
                self._emit(State.SIGNED_IN, profile=self._profile(), offline=True, error=exc)
            raise
        except DesktopAppError as exc:
            if self.state is State.SIGNED_IN:
                self._emit(State.SIGNED_IN, profile=self._profile(), error=exc)
            raise

    def organizations(self) -> tuple[Organization, ...]:
        """The person's Logto organizations with names and roles (empty when organizations are
        off in Settings, or the person belongs to none)."""
        return organizations_in(self._profile())

    async def organization_token(self, organization_id: str) -> str:
        """An organization token for one of :meth:`organizations`, cached and refreshed like
        an API token (and with the same effect on the session when refreshing fails)."""
        return await self.access_token(organization_resource(organization_id))

    async def organization_token_claims(self, organization_id: str) -> dict[str, Any]:
        """Decoded claims of the organization token (for display)."""
        return decode_unverified(await self.organization_token(organization_id))

    async def access_token_claims(self, resource: str) -> dict[str, Any]:
        """Decoded claims of the JWT access token for an API resource (for display)."""
        return decode_unverified(await self.access_token(resource))

    # ---------------------------------------------------------------- restore

    async def _load(self) -> None:
        if not self._loaded:
            await self.storage.load()
            self._loaded = True

    async def restore(self) -> None:
        """Pick up a stored session without a browser.

        Valid tokens: signed in with no network. Expired access token: silent refresh. Refresh
        refused (``invalid_grant``): signed out, "please sign in again". Offline: signed in with
        the cached profile, marked offline.
        """
        async with self._flow_lock:
            try:
                await self._restore()
            except asyncio.CancelledError:
                self._emit(State.SIGNED_OUT)
                raise
            except Exception as exc:
                error = _unexpected("Restoring your session", exc)
                self._emit(State.ERROR, error=error)
                raise error from exc

    async def _restore(self) -> None:
        self._emit(State.RESTORING, busy=True)
        try:
            await self._load()
        except StorageError as exc:
            self._emit(State.ERROR, error=exc)
            return
        if not self.client.id_token:
            self._emit(State.SIGNED_OUT)
            return
        if self.client.cached_access_token() is not None:
            self._emit(State.SIGNED_IN, profile=self._profile())
            return
        try:
            await self.client.access_token("")
        except InvalidGrantError:
            self._emit(State.SIGNED_OUT, notice="Your session has expired. Please sign in again.")
        except NetworkError as exc:
            self._emit(
                State.SIGNED_IN,
                profile=self._profile(),
                offline=True,
                notice="Offline: showing your saved profile. " + exc.advice,
            )
        except (StorageError, IdpError) as exc:
            # A keyring hiccup or a server error: the session is kept for the next try.
            self._emit(State.SIGNED_IN, profile=self._profile(), error=exc)
        except TokenValidationError as exc:
            await self._wipe_quietly()
            self._emit(State.SIGNED_OUT, error=exc)
        except AuthError as exc:
            self._emit(State.SIGNED_IN, profile=self._profile(), error=exc)
        else:
            self._emit(State.SIGNED_IN, profile=self._profile())

    # ---------------------------------------------------------------- sign-in

    async def sign_in(
        self,
        *,
        mode: Literal["signIn", "signUp"] = "signIn",
        direct_sign_in: str | None = None,
    ) -> None:
        """Sign in through the system browser and the loopback listener.

        Returns once signed in; raises the :class:`~desktop_app.errors.DesktopAppError` that
        ended it otherwise (the snapshot says the same).
        """
        if self._sign_in_task is not None:
            raise AuthError("A sign-in is already in progress.", advice="Finish it or cancel it.")
        self._sign_in_task = asyncio.current_task()
        self._cancel_requested = False
        previous_userinfo = self._userinfo
        try:
            # A restore still in flight would otherwise overwrite this sign-in's state when it
            # ends; wait for it (cancel() still works meanwhile).
            async with self._flow_lock:
                previous_userinfo = self._userinfo
                self._userinfo = {}
                timeout = self.settings.sign_in_timeout
                self._emit(
                    State.WAITING_FOR_BROWSER,
                    busy=True,
                    timeout=timeout,
                    waiting_since=self._clock(),
                )
                await self._load()
                await self._sign_in(mode, direct_sign_in)
        except asyncio.CancelledError:
            if self._completed_flow is asyncio.current_task():
                raise  # after completing (the app quitting): the signed-in state stands
            self.client.abandon_sign_in()
            error = SignInCancelled()
            # Whoever cancelled (Cancel, or the task's owner shutting down), the flow is over.
            self._sign_in_ended(previous_userinfo, notice=error.message)
            if not self._cancel_requested:
                raise
            # The cancellation was ours and ends here (3.11 structured-concurrency bookkeeping).
            task = asyncio.current_task()
            if task is not None:
                task.uncancel()
            raise error from None
        except DesktopAppError as exc:
            if self._completed_flow is asyncio.current_task():
                raise
            self.client.abandon_sign_in()
            logger.info("Sign-in failed: %s", type(exc).__name__)
            if isinstance(exc, SignInTimeout):
                self._sign_in_ended(previous_userinfo, notice=exc.user_message)
            else:
                self._sign_in_ended(previous_userinfo, error=exc)
            raise
        except Exception as exc:
            if self._completed_flow is asyncio.current_task():
                raise
            # A defect, not a refusal: still end in a state the person can leave.
            self.client.abandon_sign_in()
            defect = _unexpected("Sign-in", exc)
            self._sign_in_ended(previous_userinfo, error=defect)
            raise defect from exc
        finally:
            if self._sign_in_task is asyncio.current_task():
                self._sign_in_task = None
            if self._completed_flow is asyncio.current_task():
                self._completed_flow = None

    def _sign_in_ended(
        self,
        previous_userinfo: dict[str, Any],
        *,
        notice: str = "",
        error: DesktopAppError | None = None,
    ) -> None:
        """Show how a sign-in that did not complete left things. The session stored before it
        (if any) is still in memory and in the keyring, so the person is still signed in with
        it; otherwise signed out (a cancel or timeout) or the error."""
        if self.client.id_token:
            if previous_userinfo.get("sub") == self.client.id_token_claims().get("sub"):
                self._userinfo = previous_userinfo
            still = "You are still signed in with the account you used before."
            self._emit(
                State.SIGNED_IN,
                profile=self._profile(),
                notice=f"{notice} {still}".strip() if notice or error is None else "",
                error=error,
            )
        elif error is None:
            self._emit(State.SIGNED_OUT, notice=notice)
        else:
            self._emit(State.ERROR, error=error)

    async def _sign_in(self, mode: Literal["signIn", "signUp"], direct_sign_in: str | None) -> None:
        # After an explicit sign-out, let the person choose who to be (prompt=login), even
        # over a live browser session at Logto and across restarts.
        prompt_login = await asyncio.to_thread(self._signed_out_marker.exists)
        form_post_origin = await self.client.form_post_origin()
        async with LoopbackReceiver(
            path=self.settings.redirect_path,
            port=self.settings.redirect_port,
            timeout=self.settings.sign_in_timeout,
            form_post_origin=form_post_origin,
            on_https_attempt=self._https_attempted,
        ) as receiver:
            request = await self.client.create_sign_in_request(
                receiver.redirect_uri,
                interaction_mode=mode,
                direct_sign_in=direct_sign_in,
                prompt_login=prompt_login,
            )
            receiver.set_start_handler(await self._browser_target(request))
            self._receiver = receiver
            try:
                # The browser gets only a one-time loopback URL on its command line (which
                # every local user can read) and in its history; the request itself is pushed
                # (RFC 9126) or handed over by a 303 when the browser arrives.
                start_url = receiver.new_start_url()
                opened = await asyncio.to_thread(self._open_browser, start_url)
                self._emit(
                    State.WAITING_FOR_BROWSER,
                    sign_in_url=start_url,
                    browser_opened=opened,
                    notice=""
                    if opened
                    else "The browser did not open. Copy the sign-in link and open it in your "
                    "browser.",
                )
                response = await receiver.wait(request.state)
            finally:
                self._receiver = None
            self._emit(State.COMPLETING, busy=True)
            try:
                await self.client.complete_sign_in(
                    response.callback_url,
                    iss=response.iss,
                    error=response.error,
                    error_description=response.error_description,
                )
                notice = await self._fetch_user_info_after_sign_in()
            except DesktopAppError as exc:
                await receiver.finish(False, exc.user_message)
                raise
            # Before the window says "signed in": a sign-out from there writes the note again.
            await asyncio.to_thread(self._forget_sign_out)
            # Signed in: the window says so now. Telling the browser tab (it asks for the
            # outcome when it is ready, within a linger) and closing the listener no longer
            # hold the page up; they cannot undo the sign-in, so Cancel has nothing to stop.
            self._completed_flow = asyncio.current_task()
            self._sign_in_task = None
            self._emit(State.SIGNED_IN, profile=self._profile(), notice=notice)
            await receiver.finish(True)

    def _https_attempted(self) -> None:
        # Only a hint: any local program or web page can send a TLS handshake, so the wait
        # goes on; the timeout message names it too (BrowserForcedHttpsError).
        if self.state is State.WAITING_FOR_BROWSER:
            self._emit(
                State.WAITING_FOR_BROWSER,
                notice="Something tried to reach this app over HTTPS. If your browser forces "
                "HTTPS ('Always use secure connections' / HTTPS-only mode), allow "
                "http://127.0.0.1 there, then click Open browser again.",
            )

    async def _browser_target(self, request: SignInRequest) -> Callable[[], Awaitable[str]]:
        """Check the request with Logto before any browser opens (a refusal is reported here,
        not as a dead-end page) and return what the start URL sends the browser to.

        With PAR the check is the push itself; its ``request_uri`` serves the first browser
        that arrives while it has some life left, and every later arrival gets a fresh push
        (a ``request_uri`` lives 60 s). Without PAR: the full authorization URL.
        """
        if request.par_endpoint is None:
            await self.client.check_redirect_uri(request)

            async def full_url() -> str:
                return request.url

            return full_url

        first: list[PushedRequest] = [await self.client.push_authorization_request(request)]

        async def pushed_url() -> str:
            pushed = first.pop() if first else None
            if pushed is None or pushed.expires_at - time.monotonic() < _PUSHED_REQUEST_MARGIN:
                try:
                    pushed = await self.client.push_authorization_request(request)
                except DesktopAppError as exc:
                    # The browser shows a page saying so; the window says it too, and waits.
                    self._emit(
                        State.WAITING_FOR_BROWSER,
                        notice=f"{exc.user_message} Then click Open browser again.",
                    )
                    raise
            return pushed.url

        return pushed_url

    async def _fetch_user_info_after_sign_in(self) -> str:
        try:
            self._userinfo = await self.client.fetch_user_info()
        except TokenValidationError:
            await self._wipe_quietly()
            raise
        except (NetworkError, AuthError) as exc:
            # Signed in all the same: the ID token carries the profile.
            logger.warning("Could not fetch the profile after sign-in: %s", type(exc).__name__)
            return "Signed in, but the full profile could not be loaded: " + exc.message
        return ""

    def cancel(self) -> None:
        """Stop waiting for the browser; the session returns to signed-out."""
        if self._sign_in_task is not None and not self._sign_in_task.done():
            self._cancel_requested = True
            self._sign_in_task.cancel()

    def new_sign_in_link(self) -> str | None:
        """A fresh one-time sign-in link for the pending sign-in ("Copy sign-in link"), or None
        when no sign-in waits. Each link works once, so a used one is never handed out."""
        receiver = self._receiver
        if self._snapshot.state is not State.WAITING_FOR_BROWSER or receiver is None:
            return None
        try:
            url = receiver.new_start_url()
        except RuntimeError:  # the wait has just ended
            return None
        self._emit(State.WAITING_FOR_BROWSER, sign_in_url=url, busy=False)
        return url

    async def open_browser_again(self) -> bool:
        """Open a fresh sign-in link (the first tab was closed, never opened, or used up)."""
        url = self.new_sign_in_link()
        if url is None:
            return False
        opened = await asyncio.to_thread(self._open_browser, url)
        self._emit(State.WAITING_FOR_BROWSER, browser_opened=opened, busy=False)
        return opened

    # ---------------------------------------------------------------- profile

    async def refresh_profile(self) -> None:
        """Fetch userinfo again (refreshing the access token when needed)."""
        if self.state is not State.SIGNED_IN:
            return
        self._emit(State.SIGNED_IN, busy=True)
        try:
            self._userinfo = await self.client.fetch_user_info()
        except asyncio.CancelledError:
            self._emit(State.SIGNED_IN, profile=self._profile())
            raise
        except InvalidGrantError:
            self._userinfo = {}
            self._emit(State.SIGNED_OUT, notice="Your session has expired. Please sign in again.")
            return
        except NetworkError as exc:
            self._emit(State.SIGNED_IN, profile=self._profile(), offline=True, error=exc)
            return
        except TokenValidationError as exc:
            await self._wipe_quietly()
            self._emit(State.ERROR, error=exc)
            return
        except DesktopAppError as exc:
            self._emit(State.SIGNED_IN, profile=self._profile(), error=exc)
            return
        except Exception as exc:
            self._emit(
                State.SIGNED_IN,
                profile=self._profile(),
                error=_unexpected("Loading your profile", exc),
            )
            return
        self._emit(State.SIGNED_IN, profile=self._profile())

    # ---------------------------------------------------------------- sign-out

    async def sign_out(self, *, end_browser_session: bool = False) -> SignOutResult:
        """Revoke the refresh token, wipe local data, optionally end the browser session at Logto.

        Local data is wiped even when Logto cannot be told; the notice says so.
        """
        self.cancel()
        self._emit(State.SIGNING_OUT, busy=True)
        with contextlib.suppress(StorageError):
            await self._load()  # nothing loaded means nothing to revoke; clear() still runs
        try:
            result = await self.client.sign_out(
                post_logout_redirect_uri=self.settings.post_logout_redirect_uri
            )
        except StorageError as exc:
            self._userinfo = {}
            self._emit(State.ERROR, error=exc)
            raise
        except BaseException as exc:
            # Cancelled or a defect: the client wiped what it could; do not stay "signing out".
            self._userinfo = {}
            if not isinstance(exc, Exception):
                self._emit(State.SIGNED_OUT)
                raise
            error = _unexpected("Signing out", exc)
            self._emit(State.ERROR, error=error)
            raise error from exc
        self._userinfo = {}
        await asyncio.to_thread(self._remember_sign_out)
        # Logto unreachable (nothing revoked): its end-session page would be dead too.
        if end_browser_session and result.end_session_url and result.revoked:
            await asyncio.to_thread(self._open_browser, result.end_session_url)
        notice = (
            "Signed out."
            if result.revoked
            else "Signed out on this computer, but Logto could not be told: "
            + result.problem
            + " The session will expire on its own."
        )
        self._emit(State.SIGNED_OUT, notice=notice)
        return result

    def _remember_sign_out(self) -> None:
        # Not a secret, so not in the keyring: that the person signed out on purpose.
        try:
            self._signed_out_marker.parent.mkdir(parents=True, exist_ok=True)
            self._signed_out_marker.touch()
        except OSError as exc:
            logger.warning("Could not note the sign-out for the next sign-in: %s", exc.strerror)

    def _forget_sign_out(self) -> None:
        try:
            self._signed_out_marker.unlink(missing_ok=True)
        except OSError as exc:
            logger.warning("Could not clear the sign-out note: %s", exc.strerror)

    async def _wipe_quietly(self) -> None:
        self._userinfo = {}
        with contextlib.suppress(StorageError):
            await self.storage.clear()

    async def close(self) -> None:
        """Cancel what is pending and close network resources."""
        self.cancel()
        # A completed sign-in may still be telling the browser tab (within its linger).
        task = self._sign_in_task or self._completed_flow
        if task is not None:
            with contextlib.suppress(BaseException):
                await task
        await self.client.close()


def _unexpected(flow: str, exc: Exception) -> AuthError:
    """An error for people in place of a defect's exception. The log gets its type and where
    it was raised; not its text, which could quote a response (and so a token)."""
    where = "".join(traceback.format_tb(exc.__traceback__))
    logger.error("%s stopped on an unexpected %s:\n%s", flow, type(exc).__name__, where)
    return AuthError(
        f"{flow} stopped because of a problem in the app.",
        advice="Try again; if it happens again, start the app with --verbose and report what "
        "the log says.",
        detail=type(exc).__name__,
    )


__all__ = [
    "AuthSession",
    "BrowserOpener",
    "Observer",
    "Snapshot",
    "State",
    "TokenStatus",
    "default_browser_opener",
]

"""Keyless signing with sigstore-python: one certificate for many artifacts.

sigstore-python's :class:`~sigstore.sign.Signer` caches one ephemeral key and one
Fulcio certificate (10 minutes) and raises once it has expired. :class:`KeylessSigner`
opens a new signer (with a fresh identity token) before that happens, so batches of
any length work, and counts certificates so benchmarks can check the reuse.

sigstore-python's TUF, Fulcio, Rekor and TSA clients raise untyped exceptions: the
``except Exception`` blocks here (each commented) are the documented places where they
become a :class:`~chainkit.signing.SigningError` or are retried; nowhere else catches
``Exception``.

sigstore-python retries nothing, and sends Fulcio's and Rekor's requests without a
timeout: here each request is bounded (:data:`SERVICE_TIMEOUT`), and a Fulcio, Rekor or
TSA request that fails with a 5xx or no answer (a timeout included) is retried after each
of :data:`RETRY_WAITS` (logged): Rekor with the same proposed entry (the same signature),
so that an entry Rekor made before failing is found (409, then fetched) rather than made
twice; a TSA that keeps failing stops the signature with exit 3 before Rekor is asked
(sigstore-python would log it and make a bundle without a signed timestamp).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from chainkit.signing._errors import SigningServiceError, SigningUsageError
from chainkit.signing._tokens import TokenProvider

if TYPE_CHECKING:
    from sigstore.models import Bundle, ClientTrustConfig
    from sigstore.sign import Signer

__all__ = ["KeylessSigner", "embedded_production_trust_config", "load_trust_config"]

_log = logging.getLogger("chainkit.signing")

_T = TypeVar("_T")


def _detail(exc: BaseException) -> str:
    """What a sigstore-python error says, or its cause's words when it says nothing (its
    Fulcio client raises a bare ``FulcioClientError`` from the HTTP error on a 5xx)."""
    return str(exc) or str(exc.__cause__ or "") or type(exc).__name__


_DEFAULT_LIFETIME = 600.0

RETRY_WAITS: tuple[float, ...] = (1.0, 4.0)
"""Waits, in seconds, before the retries of a Fulcio, Rekor or TSA request that failed
with a 5xx or no answer (len = the number of retries; tests scale them down)."""

_sleep: Callable[[float], None] = time.sleep

SERVICE_TIMEOUT: float = 30.0
"""Seconds a Fulcio, Rekor or TSA request may wait to connect, and then for each part of
the answer: sigstore-python sends Fulcio's and Rekor's without a timeout (a service that
accepts and never answers would hold the run forever); past it the request failed with
no answer, and is retried (:data:`RETRY_WAITS`), then exit 3. Tests scale it down."""


def _bounded(session: object) -> None:
    """Give a ``requests`` session of sigstore-python's clients a timeout for every request
    sent without one (mounted once; requests with their own timeout keep it)."""
    import requests
    from requests.adapters import HTTPAdapter

    if not isinstance(session, requests.Session) or getattr(session, "_chainkit_bounded", False):
        return

    class _Bounded(HTTPAdapter):
        def send(self, request: Any, *args: Any, **kwargs: Any) -> Any:
            if kwargs.get("timeout") is None:
                kwargs["timeout"] = SERVICE_TIMEOUT
            return super().send(request, *args, **kwargs)

    adapter = _Bounded()
    session.mount("https://", adapter)
    session.mount("http://", adapter)
    session._chainkit_bounded = True  # type: ignore[attr-defined]


def _transient(exc: BaseException) -> int | str | None:
    """The 5xx status, or ``"no answer"``, behind a sigstore-python error (its clients raise
    untyped errors from the ``requests`` error: the chain is walked); ``None`` otherwise."""
    import requests

    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, requests.HTTPError):
            status = getattr(current.response, "status_code", None)
            return status if isinstance(status, int) and status >= 500 else None
        if isinstance(current, (requests.ConnectionError, requests.Timeout)):
            return "no answer"
        current = current.__cause__ or current.__context__
    return None


def _status(exc: BaseException) -> int | None:
    """The HTTP status behind a sigstore-python error, if any."""
    import requests

    current: BaseException | None = exc
    for _ in range(8):
        if current is None:
            return None
        if isinstance(current, requests.HTTPError):
            status = getattr(current.response, "status_code", None)
            return status if isinstance(status, int) else None
        current = current.__cause__ or current.__context__
    return None


def _retrying(what: str, call: Callable[[], _T], waits: tuple[float, ...]) -> _T:
    """``call()``, retried after each of ``waits`` while it fails with a 5xx or no answer
    (each wait logged first); any other failure, or the last one, is raised as is."""
    for attempt in range(len(waits) + 1):
        try:
            return call()
        except Exception as exc:  # sigstore-python's clients raise untyped errors
            why = _transient(exc)
            if why is None or attempt == len(waits):
                raise
            wait = waits[attempt]
            _log.warning(
                "%s failed (%s); retrying in %g s (%d of %d)",
                what,
                why,
                wait,
                attempt + 1,
                len(waits),
            )
            _sleep(wait)
    raise AssertionError("unreachable")  # pragma: no cover


class TimestampUnavailableError(Exception):
    """The timestamp authority failed for good: raised through sigstore-python's signer
    (which would otherwise log it and make a bundle without a signed timestamp)."""


class _RetryingTimestamps:
    """A TSA client of sigstore-python whose requests are retried on a 5xx or no answer,
    and whose lasting failure stops the signature (before Rekor is asked: no log entry)."""

    def __init__(self, inner: Any, waits: Callable[[], tuple[float, ...]]) -> None:
        self._inner = inner
        self._waits = waits

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)

    def request_timestamp(self, signature: bytes) -> Any:
        what = f"the timestamp authority ({self._inner.url})"
        _bounded(getattr(self._inner, "_session", None))  # this thread's session
        try:
            response = _retrying(
                what, lambda: self._inner.request_timestamp(signature), self._waits()
            )
        except Exception as exc:  # TimestampError: sigstore-python would swallow it
            raise TimestampUnavailableError(f"{what} failed: {_detail(exc)}") from exc
        _check_imprint(what, response, signature)
        return response


_SHA256_OID = "2.16.840.1.101.3.4.2.1"


def _check_imprint(what: str, response: Any, signature: bytes) -> None:
    """A token is over **our** signature: its message imprint is the SHA-256 of it.
    sigstore-python parses the TSA's answer without checking it, and its verifier drops a
    token that does not verify (falling back to Rekor's time): a token over other bytes
    would be published unnoticed. A mismatch is a TSA failure (exit 3, nothing logged)."""
    import hashlib

    try:
        imprint = response.tst_info.message_imprint
        algorithm = imprint.hash_algorithm.dotted_string
        message = bytes(imprint.message)
    except Exception as exc:  # rfc3161-client's parsed token: errors are untyped
        raise TimestampUnavailableError(
            f"{what} answered a token without a readable message imprint: {_detail(exc)}"
        ) from exc
    if algorithm != _SHA256_OID or message != hashlib.sha256(signature).digest():
        raise TimestampUnavailableError(
            f"{what} answered a token over other data than this signature "
            f"(its message imprint is not the signature's SHA-256)"
        )


class _RetryingLog:
    """sigstore-python's Rekor client whose entry creation is retried on a 5xx or no answer
    with **the same** proposed entry (the same signature): Rekor answers a re-submission of
    an entry it already made with 409, and that entry is then fetched, not made again."""

    def __init__(self, inner: Any, waits: Callable[[], tuple[float, ...]]) -> None:
        self._inner = inner
        self._waits = waits

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)

    def create_entry(self, proposed: Any) -> Any:
        _bounded(getattr(self._inner, "_session", None))  # this thread's session
        attempts = [0]

        def submit() -> Any:
            attempts[0] += 1
            try:
                return self._inner.create_entry(proposed)
            except Exception as exc:  # RekorClientError is untyped
                if attempts[0] > 1 and _status(exc) == 409:
                    # an earlier attempt of ours made it before failing: fetch that one
                    return self._existing(proposed, exc)
                raise

        return _retrying("creating the transparency-log entry", submit, self._waits())

    def _existing(self, proposed: Any, conflict: Exception) -> Any:
        log = getattr(self._inner, "log", None)
        if log is None:  # a client without retrieval (Rekor v2): the conflict stands
            raise conflict
        from rekor_types import Dsse, Hashedrekord

        model = Dsse if proposed.get("kind") == "dsse" else Hashedrekord
        try:
            entry = log.entries.retrieve.post(model.model_validate(proposed))
        except Exception as exc:  # RekorClientError is untyped
            # sigstore-python means to answer None for a 404 (nothing matches), but tests
            # the response's truth (False for any 4xx) and raises instead
            if _status(exc) != 404:
                raise
            entry = None
        if entry is None:
            raise conflict  # raised outside the handler: its own cause (the 409) is kept
        _log.info("the transparency log already holds this entry (409): using it")
        return entry


_CLIENT_TRUST_CONFIG = "application/vnd.dev.sigstore.clienttrustconfig.v0.1+json"


def embedded_production_trust_config() -> ClientTrustConfig:
    """Production Sigstore's trust root **as shipped inside sigstore-python** (no network).

    No TUF refresh and no cache: the trusted root and signing config embedded in the
    installed sigstore-python distribution, exactly as released. It is as current as that
    release: bundles whose certificate authority, transparency log or timestamp keys were
    added to Sigstore's root later do not verify with it (upgrade sigstore-python, verify
    online, or pass a current ``--trust-config``).
    """
    import json

    from sigstore import __version__
    from sigstore._internal.tuf import DEFAULT_TUF_URL
    from sigstore._utils import read_embedded
    from sigstore.models import ClientTrustConfig

    try:
        document = {
            "mediaType": _CLIENT_TRUST_CONFIG,
            "trustedRoot": json.loads(read_embedded("trusted_root.json", DEFAULT_TUF_URL)),
            "signingConfig": json.loads(read_embedded("signing_config.v0.2.json", DEFAULT_TUF_URL)),
        }
        config = ClientTrustConfig.from_json(json.dumps(document))
    except Exception as exc:  # missing resources, JSON or protobuf errors: many types
        raise SigningUsageError(
            f"sigstore-python {__version__} embeds no usable production trust root: {exc}",
            remediation="verify online (without --offline), or pass --trust-config FILE",
        ) from exc
    _log.info(
        "offline: using the production trust root embedded in sigstore-python %s (no TUF refresh)",
        __version__,
    )
    return config


def load_trust_config(path: Path | None, *, offline: bool = False) -> ClientTrustConfig:
    """A :class:`sigstore.models.ClientTrustConfig` from a file, or production Sigstore.

    Production Sigstore's root is refreshed over TUF, unless ``offline``: then it is the
    root embedded in sigstore-python (:func:`embedded_production_trust_config`). A file
    never needs the network, so ``offline`` changes nothing for ``path``.
    """
    from sigstore.models import ClientTrustConfig

    if path is None and offline:
        return embedded_production_trust_config()
    if path is None:
        try:
            return ClientTrustConfig.production()
        except Exception as exc:  # TUF/network failures have many types
            raise SigningServiceError(
                f"could not load the production Sigstore trust root: {exc}",
                remediation="check the network; to verify without it pass --offline "
                "(the root embedded in sigstore-python) or --trust-config FILE",
            ) from exc
    try:
        return ClientTrustConfig.from_json(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise SigningUsageError(f"cannot read trust config {path}: {exc}") from exc
    except Exception as exc:  # pydantic/protobuf parse errors
        raise SigningUsageError(
            f"{path} is not a Sigstore ClientTrustConfig: {exc}",
            remediation="pass the trust_config printed by `chainkit sandbox up --json`, "
            "or omit --trust-config for production Sigstore",
        ) from exc


class KeylessSigner:
    """Sign artifacts and in-toto statements, renewing the certificate as needed.

    ``renew_margin``: open a new signer when fewer than this many seconds of the
    certificate's life remain (a signature takes well under a second).
    """

    def __init__(
        self,
        *,
        trust_config: ClientTrustConfig,
        token_provider: TokenProvider,
        renew_margin: float = 120.0,
        clock: Callable[[], float] = time.time,
    ) -> None:
        from sigstore.sign import SigningContext

        self._context = SigningContext.from_trust_config(trust_config)
        # retries at chainkit's signing boundary (sigstore-python retries nothing itself)
        waits = lambda: RETRY_WAITS  # noqa: E731 - read at each call (tests scale it)
        context: Any = self._context
        _bounded(getattr(getattr(context, "_fulcio", None), "session", None))
        if hasattr(context, "_rekor"):
            context._rekor = _RetryingLog(context._rekor, waits)
        if hasattr(context, "_tsa_clients"):
            context._tsa_clients = [_RetryingTimestamps(c, waits) for c in context._tsa_clients]
        self._provide_token = token_provider
        self._renew_margin = renew_margin
        self._clock = clock
        self._signer: Signer | None = None
        self._started = 0.0
        self._expires_at = 0.0
        self.certificates = 0
        self.identity: str | None = None

    def _fresh_signer(self) -> Signer:
        from sigstore.oidc import IdentityError, IdentityToken
        from sigstore.sign import Signer

        raw = self._provide_token()
        try:
            token = IdentityToken(raw)
        except IdentityError as exc:
            raise SigningUsageError(
                f"the identity token is not usable: {exc}",
                remediation="get a fresh token (they live minutes); in GitHub Actions grant "
                "`id-token: write`",
            ) from exc
        started = self._clock()
        try:
            signer = _retrying(
                "asking the certificate authority for a certificate",
                lambda: Signer(token, self._context, cache=True),
                RETRY_WAITS,
            )
        except Exception as exc:  # Fulcio client errors are untyped
            raise SigningServiceError(
                f"the certificate authority refused or failed: {_detail(exc)}",
                remediation="check the identity token and the trust config's CA URL",
            ) from exc
        self.certificates += 1
        self.identity = token.identity
        self._started = started
        self._expires_at = started + _DEFAULT_LIFETIME
        return signer

    def _current(self) -> Signer:
        if self._signer is None or self._clock() + self._renew_margin >= self._expires_at:
            if self._signer is not None:
                _log.debug("renewing the signing certificate before it expires")
            self._signer = self._fresh_signer()
        return self._signer

    def _learn_expiry(self, bundle: Bundle) -> None:
        # Our clock may differ from the CA's: trust the certificate's lifetime, measured
        # from when we asked for it, not its absolute validity times.
        cert = bundle.signing_certificate
        lifetime = (cert.not_valid_after_utc - cert.not_valid_before_utc).total_seconds()
        self._expires_at = self._started + lifetime

    def sign_digest(self, sha256_hex: str) -> Bundle:
        """Bundle over an artifact given by its SHA-256 (the bytes are never loaded)."""
        from sigstore.hashes import Hashed
        from sigstore_models.common.v1 import HashAlgorithm

        hashed = Hashed(algorithm=HashAlgorithm.SHA2_256, digest=bytes.fromhex(sha256_hex))
        return self._sign(lambda s: s.sign_artifact(hashed))

    def sign_statement(self, statement_json: bytes) -> Bundle:
        """DSSE bundle over an in-toto Statement v1 given as JSON bytes."""
        from sigstore.dsse import Statement

        statement = Statement(statement_json)
        return self._sign(lambda s: s.sign_dsse(statement))

    def _sign(self, op: Callable[[Signer], Bundle]) -> Bundle:
        signer = self._current()
        try:
            bundle = op(signer)
        except TimestampUnavailableError as exc:
            raise SigningServiceError(
                f"signing failed: {exc}; nothing was written to the transparency log",
                remediation="check the timestamp authority URL of the trust config, or "
                "re-run later (apply resumes)",
            ) from exc
        except Exception as exc:  # Rekor/TSA client errors are untyped
            raise SigningServiceError(
                f"signing failed: {_detail(exc)}",
                remediation="check the transparency log and timestamp authority URLs",
            ) from exc
        self._learn_expiry(bundle)
        return bundle

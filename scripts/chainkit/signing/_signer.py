"""Keyless signing with sigstore-python: one certificate for many artifacts.

sigstore-python's :class:`~sigstore.sign.Signer` caches one ephemeral key and one
Fulcio certificate (10 minutes) and raises once it has expired. :class:`KeylessSigner`
opens a new signer (with a fresh identity token) before that happens, so batches of
any length work, and counts certificates so benchmarks can check the reuse.

sigstore-python's TUF, Fulcio, Rekor and TSA clients raise untyped exceptions: the five
``except Exception`` blocks here (each commented) are the documented places where they
become a :class:`~chainkit.signing.SigningError`; nowhere else catches ``Exception``.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from chainkit.signing._errors import SigningServiceError, SigningUsageError
from chainkit.signing._tokens import TokenProvider

if TYPE_CHECKING:
    from sigstore.models import Bundle, ClientTrustConfig
    from sigstore.sign import Signer

__all__ = ["KeylessSigner", "embedded_production_trust_config", "load_trust_config"]

_log = logging.getLogger("chainkit.signing")


def _detail(exc: BaseException) -> str:
    """What a sigstore-python error says, or its cause's words when it says nothing (its
    Fulcio client raises a bare ``FulcioClientError`` from the HTTP error on a 5xx)."""
    return str(exc) or str(exc.__cause__ or "") or type(exc).__name__


_DEFAULT_LIFETIME = 600.0


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
            signer = Signer(token, self._context, cache=True)
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
        except Exception as exc:  # Rekor/TSA client errors are untyped
            raise SigningServiceError(
                f"signing failed: {_detail(exc)}",
                remediation="check the transparency log and timestamp authority URLs",
            ) from exc
        self._learn_expiry(bundle)
        return bundle

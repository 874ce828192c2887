"""The keys and certificates of the local Sigstore, its trust configuration and its OIDC tokens."""

from __future__ import annotations

import base64
import hashlib
import json
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from chainkit._internal.fs import atomic_write_bytes, atomic_write_text
from chainkit.sandbox._errors import SandboxUsageError
from chainkit.sandbox._sigstore import _jwt
from chainkit.sandbox._sigstore._common import key_usage

__all__ = [
    "GITHUB_ISSUER",
    "SigstoreAuthority",
    "key_id",
    "spki_der",
]

GITHUB_ISSUER = "https://token.actions.githubusercontent.com"
"""The ``iss`` of GitHub Actions OIDC tokens, which the sandbox issues (with its own key)."""

_OPERATOR = "chainkit-sandbox"
_ORGANIZATION = "chainkit-sandbox"
_META = "authority.json"
_KEYS: dict[str, ec.EllipticCurve] = {
    "oidc": ec.SECP256R1(),
    "fulcio-root": ec.SECP384R1(),
    "fulcio-intermediate": ec.SECP384R1(),
    "ctlog": ec.SECP256R1(),
    "rekor": ec.SECP256R1(),
    "tsa-root": ec.SECP384R1(),
    "tsa": ec.SECP256R1(),
}
_CERTS = ("fulcio-root", "fulcio-intermediate", "tsa-root", "tsa")


def spki_der(key: ec.EllipticCurvePublicKey) -> bytes:
    return key.public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )


def key_id(key: ec.EllipticCurvePublicKey) -> bytes:
    """SHA-256 of the DER SubjectPublicKeyInfo: Sigstore's log ID / key ID."""
    return hashlib.sha256(spki_der(key)).digest()


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _rfc3339(when: datetime) -> str:
    return when.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def _write_private(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` with mode 0600, atomically, never through a symlink."""
    atomic_write_bytes(path, data, mode=0o600)


def _name(common_name: str) -> x509.Name:
    return x509.Name(
        [
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, _ORGANIZATION),
            x509.NameAttribute(NameOID.COMMON_NAME, common_name),
        ]
    )


def _ca_cert(
    *,
    subject: x509.Name,
    key: ec.EllipticCurvePrivateKey,
    issuer_cert: x509.Certificate | None,
    issuer_key: ec.EllipticCurvePrivateKey,
    not_before: datetime,
    path_length: int | None,
    eku: list[x509.ObjectIdentifier] | None = None,
) -> x509.Certificate:
    public = key.public_key()
    issuer_public = issuer_key.public_key()
    assert isinstance(issuer_public, ec.EllipticCurvePublicKey)
    builder = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer_cert.subject if issuer_cert else subject)
        .public_key(public)
        .serial_number(x509.random_serial_number())
        .not_valid_before(not_before)
        .not_valid_after(not_before + timedelta(days=3650))
        .add_extension(
            key_usage(ca=True),
            critical=True,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=path_length), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(public), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer_public), critical=False
        )
    )
    if eku:
        builder = builder.add_extension(x509.ExtendedKeyUsage(eku), critical=False)
    hash_alg = hashes.SHA384() if isinstance(issuer_key.curve, ec.SECP384R1) else hashes.SHA256()
    return builder.sign(issuer_key, hash_alg)


def _tsa_cert(
    *,
    key: ec.EllipticCurvePrivateKey,
    root: x509.Certificate,
    root_key: ec.EllipticCurvePrivateKey,
    not_before: datetime,
) -> x509.Certificate:
    public = key.public_key()
    root_public = root_key.public_key()
    return (
        x509.CertificateBuilder()
        .subject_name(_name("sigstore-tsa"))
        .issuer_name(root.subject)
        .public_key(public)
        .serial_number(x509.random_serial_number())
        .not_valid_before(not_before)
        .not_valid_after(not_before + timedelta(days=3650))
        .add_extension(
            key_usage(ca=False),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(public), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(root_public), critical=False
        )
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.TIME_STAMPING]), critical=True)
        .sign(root_key, hashes.SHA384())
    )


@dataclass(frozen=True)
class _Material:
    created: datetime
    keys: dict[str, ec.EllipticCurvePrivateKey]
    certs: dict[str, x509.Certificate]


def _create(state_dir: Path) -> _Material:
    created = datetime.now(timezone.utc).replace(microsecond=0)
    not_before = created - timedelta(days=1)
    keys = {name: ec.generate_private_key(curve) for name, curve in _KEYS.items()}
    root = _ca_cert(
        subject=_name("sigstore"),
        key=keys["fulcio-root"],
        issuer_cert=None,
        issuer_key=keys["fulcio-root"],
        not_before=not_before,
        path_length=1,
    )
    intermediate = _ca_cert(
        subject=_name("sigstore-intermediate"),
        key=keys["fulcio-intermediate"],
        issuer_cert=root,
        issuer_key=keys["fulcio-root"],
        not_before=not_before,
        path_length=0,
        eku=[ExtendedKeyUsageOID.CODE_SIGNING],
    )
    tsa_root = _ca_cert(
        subject=_name("sigstore-tsa-selfsigned"),
        key=keys["tsa-root"],
        issuer_cert=None,
        issuer_key=keys["tsa-root"],
        not_before=not_before,
        path_length=0,
    )
    tsa = _tsa_cert(
        key=keys["tsa"], root=tsa_root, root_key=keys["tsa-root"], not_before=not_before
    )
    certs = {
        "fulcio-root": root,
        "fulcio-intermediate": intermediate,
        "tsa-root": tsa_root,
        "tsa": tsa,
    }
    state_dir.mkdir(parents=True, exist_ok=True)
    for name, key in keys.items():
        _write_private(
            state_dir / f"{name}.key.pem",
            key.private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            ),
        )
    for name, cert in certs.items():
        _write_private(
            state_dir / f"{name}.cert.pem", cert.public_bytes(serialization.Encoding.PEM)
        )
    _write_private(state_dir / _META, json.dumps({"created": _rfc3339(created)}).encode())
    return _Material(created, keys, certs)


def _load(state_dir: Path) -> _Material:
    try:
        meta = json.loads((state_dir / _META).read_text())
        created = datetime.strptime(meta["created"], "%Y-%m-%dT%H:%M:%SZ").replace(
            tzinfo=timezone.utc
        )
        keys: dict[str, ec.EllipticCurvePrivateKey] = {}
        for name in _KEYS:
            key = serialization.load_pem_private_key(
                (state_dir / f"{name}.key.pem").read_bytes(), password=None
            )
            if not isinstance(key, ec.EllipticCurvePrivateKey):
                raise ValueError(f"{name}.key.pem is not an EC key")
            keys[name] = key
        certs = {
            name: x509.load_pem_x509_certificate((state_dir / f"{name}.cert.pem").read_bytes())
            for name in _CERTS
        }
    except (OSError, ValueError, KeyError) as exc:
        raise SandboxUsageError(
            f"the Sigstore state in {state_dir} is incomplete or corrupt ({exc})",
            remediation=f"delete {state_dir} to create fresh keys (old bundles will no longer "
            "verify against the new trusted root)",
        ) from exc
    return _Material(created, keys, certs)


class SigstoreAuthority:
    """Keys and certificates of the local Sigstore, created once and persisted under state_dir.

    Files (PEM, mode 0600): ``<name>.key.pem`` for the OIDC issuer, Fulcio root and intermediate,
    CT log, Rekor, TSA root and TSA; ``<name>.cert.pem`` for the CA certificates;
    ``authority.json`` (creation time). The Rekor log lives next to them (``rekor-log.jsonl``).
    """

    def __init__(self, state_dir: Path) -> None:
        self.state_dir = Path(state_dir)
        if (self.state_dir / _META).exists():
            material = _load(self.state_dir)
        else:
            material = _create(self.state_dir)
        self._material = material

    def __repr__(self) -> str:
        return f"SigstoreAuthority({str(self.state_dir)!r})"

    # -- material used by the stand-in ------------------------------------------------------

    @property
    def created(self) -> datetime:
        return self._material.created

    @property
    def valid_from(self) -> datetime:
        """Start of every validity period: creation time minus a day."""
        return self._material.created - timedelta(days=1)

    def key(self, name: str) -> ec.EllipticCurvePrivateKey:
        """One private key: oidc, fulcio-root, fulcio-intermediate, ctlog, rekor, tsa-root, tsa."""
        return self._material.keys[name]

    def cert(self, name: str) -> x509.Certificate:
        """One certificate: fulcio-root, fulcio-intermediate, tsa-root, tsa."""
        return self._material.certs[name]

    @property
    def oidc_key_id(self) -> str:
        return key_id(self.key("oidc").public_key()).hex()[:16]

    @property
    def rekor_log_path(self) -> Path:
        return self.state_dir / "rekor-log.jsonl"

    # -- identity tokens ----------------------------------------------------------------------

    def identity_token(
        self,
        *,
        repository: str = "acme/widgets",
        workflow_ref: str | None = None,
        ref: str = "refs/heads/main",
        sha: str | None = None,
        event: str = "workflow_dispatch",
        environment: str | None = None,
        lifetime: int = 600,
        now: datetime | None = None,
        audience: str = "sigstore",
        job_workflow_ref: str | None = None,
        job_workflow_sha: str | None = None,
    ) -> str:
        """A GitHub Actions-like OIDC token signed by the sandbox issuer.

        ``job_workflow_ref``/``job_workflow_sha`` name a reusable workflow when the job runs
        one (they default to the caller's ``workflow_ref``/``sha``, as on GitHub).
        """
        claims = github_claims(
            repository=repository,
            workflow_ref=workflow_ref,
            ref=ref,
            sha=sha,
            event=event,
            environment=environment,
            lifetime=lifetime,
            now=now,
        )
        claims["aud"] = audience
        if job_workflow_ref:
            claims["job_workflow_ref"] = job_workflow_ref
        if job_workflow_sha:
            claims["job_workflow_sha"] = job_workflow_sha
        return _jwt.encode(claims, self.key("oidc"), kid=self.oidc_key_id)

    def jwks(self) -> dict[str, Any]:
        """The issuer's JSON Web Key Set (one P-256 key)."""
        numbers = self.key("oidc").public_key().public_numbers()
        return {
            "keys": [
                {
                    "kty": "EC",
                    "crv": "P-256",
                    "alg": "ES256",
                    "use": "sig",
                    "kid": self.oidc_key_id,
                    "x": _jwt.b64url(numbers.x.to_bytes(32, "big")),
                    "y": _jwt.b64url(numbers.y.to_bytes(32, "big")),
                }
            ]
        }

    # -- trust configuration ------------------------------------------------------------------

    def trusted_root(self, base_url: str) -> dict[str, Any]:
        """The trusted root (``application/vnd.dev.sigstore.trustedroot+json;version=0.1``)."""
        base_url = base_url.rstrip("/")
        start = {"start": _rfc3339(self.valid_from)}

        def log(url: str, name: str) -> dict[str, Any]:
            public = self.key(name).public_key()
            return {
                "baseUrl": url,
                "hashAlgorithm": "SHA2_256",
                "publicKey": {
                    "rawBytes": _b64(spki_der(public)),
                    "keyDetails": "PKIX_ECDSA_P256_SHA_256",
                    "validFor": start,
                },
                "logId": {"keyId": _b64(key_id(public))},
            }

        def chain(*names: str) -> dict[str, Any]:
            return {
                "certificates": [
                    {"rawBytes": _b64(self.cert(n).public_bytes(serialization.Encoding.DER))}
                    for n in names
                ]
            }

        return {
            "mediaType": "application/vnd.dev.sigstore.trustedroot+json;version=0.1",
            "tlogs": [log(base_url, "rekor")],
            "certificateAuthorities": [
                {
                    "subject": {"organization": _ORGANIZATION, "commonName": "sigstore"},
                    "uri": base_url,
                    "certChain": chain("fulcio-intermediate", "fulcio-root"),
                    "validFor": start,
                }
            ],
            "ctlogs": [log(f"{base_url}/ct", "ctlog")],
            "timestampAuthorities": [
                {
                    "subject": {"organization": _ORGANIZATION, "commonName": "sigstore-tsa"},
                    "uri": f"{base_url}/api/v1/timestamp",
                    "certChain": chain("tsa", "tsa-root"),
                    "validFor": start,
                }
            ],
        }

    def signing_config(self, base_url: str) -> dict[str, Any]:
        """The signing config (``application/vnd.dev.sigstore.signingconfig.v0.2+json``)."""
        base_url = base_url.rstrip("/")

        def service(url: str) -> dict[str, Any]:
            return {
                "url": url,
                "majorApiVersion": 1,
                "validFor": {"start": _rfc3339(self.valid_from)},
                "operator": _OPERATOR,
            }

        return {
            "mediaType": "application/vnd.dev.sigstore.signingconfig.v0.2+json",
            "caUrls": [service(base_url)],
            "oidcUrls": [service(base_url)],
            "rekorTlogUrls": [service(base_url)],
            "tsaUrls": [service(f"{base_url}/api/v1/timestamp")],
            "rekorTlogConfig": {"selector": "ANY"},
            "tsaConfig": {"selector": "ANY"},
        }

    def client_trust_config(self, base_url: str) -> dict[str, Any]:
        """Trusted root + signing config, as ``sigstore --trust-config`` reads them."""
        return {
            "mediaType": "application/vnd.dev.sigstore.clienttrustconfig.v0.1+json",
            "trustedRoot": self.trusted_root(base_url),
            "signingConfig": self.signing_config(base_url),
        }

    def write_trust_config(self, base_url: str) -> tuple[Path, Path]:
        """Write ``trust_config.json`` and ``trusted_root.json`` into state_dir; return both."""
        config_path = self.state_dir / "trust_config.json"
        root_path = self.state_dir / "trusted_root.json"
        config = self.client_trust_config(base_url)
        for path, doc in ((config_path, config), (root_path, config["trustedRoot"])):
            atomic_write_text(path, json.dumps(doc, indent=2) + "\n")
        return config_path, root_path


def github_claims(
    *,
    repository: str,
    workflow_ref: str | None,
    ref: str,
    sha: str | None,
    event: str,
    environment: str | None,
    lifetime: int,
    now: datetime | None,
) -> dict[str, Any]:
    """The claims GitHub Actions puts into an OIDC token for a job of ``repository``."""
    owner, _, name = repository.partition("/")
    if not owner or not name or "/" in name:
        raise SandboxUsageError(
            f"repository must look like OWNER/NAME, got {repository!r}",
            remediation="pass e.g. repository='acme/widgets'",
        )
    if lifetime <= 0:
        raise SandboxUsageError(
            f"token lifetime must be positive, got {lifetime}",
            remediation="pass lifetime in seconds, e.g. 600",
        )
    issued = now or datetime.now(timezone.utc)
    if issued.tzinfo is None:
        issued = issued.replace(tzinfo=timezone.utc)
    iat = int(issued.timestamp())
    if sha is None:
        sha = hashlib.sha1(f"{repository}@{ref}".encode(), usedforsecurity=False).hexdigest()
    if workflow_ref is None:
        workflow_ref = f"{repository}/.github/workflows/release.yml@{ref}"
    workflow_file = workflow_ref.partition("@")[0].rsplit("/", 1)[-1]
    workflow = workflow_file.rsplit(".", 1)[0]

    def number(label: str) -> str:
        digest = hashlib.sha256(f"{label}:{repository}".encode()).digest()
        return str(int.from_bytes(digest[:4], "big") % 900_000_000 + 100_000_000)

    if environment:
        sub = f"repo:{repository}:environment:{environment}"
    elif event in ("pull_request", "pull_request_target"):
        sub = f"repo:{repository}:pull_request"
    else:
        sub = f"repo:{repository}:ref:{ref}"
    ref_type = "tag" if ref.startswith("refs/tags/") else "branch"
    run_id = str(iat * 10 + 7)
    claims: dict[str, Any] = {
        "jti": str(uuid.uuid4()),
        "sub": sub,
        "aud": "sigstore",
        "ref": ref,
        "sha": sha,
        "repository": repository,
        "repository_owner": owner,
        "repository_owner_id": number("owner"),
        "repository_id": number("repository"),
        "repository_visibility": "public",
        "run_id": run_id,
        "run_number": "1",
        "run_attempt": "1",
        "actor": owner,
        "actor_id": number("owner"),
        "workflow": workflow,
        "workflow_ref": workflow_ref,
        "workflow_sha": sha,
        "job_workflow_ref": workflow_ref,
        "job_workflow_sha": sha,
        "head_ref": "",
        "base_ref": "",
        "event_name": event,
        "ref_type": ref_type,
        "ref_protected": "false",
        "runner_environment": "github-hosted",
        "iss": GITHUB_ISSUER,
        "nbf": iat,
        "iat": iat,
        "exp": iat + lifetime,
    }
    if environment:
        claims["environment"] = environment
    return claims

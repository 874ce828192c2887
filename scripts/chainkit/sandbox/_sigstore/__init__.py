"""The Sigstore stand-in of the sandbox: Fulcio, Rekor v1, an RFC 3161 TSA and OIDC tokens.

:class:`SigstoreAuthority` owns the keys (persisted PEM files) and issues GitHub Actions-like
identity tokens and the client trust configuration; :class:`SigstoreStandIn` serves the three
services on one local HTTP port, for the real sigstore-python and sigstore-js clients.
"""

from __future__ import annotations

from chainkit.sandbox._sigstore._authority import GITHUB_ISSUER, SigstoreAuthority
from chainkit.sandbox._sigstore._server import SigstoreStandIn

__all__ = ["GITHUB_ISSUER", "SigstoreAuthority", "SigstoreStandIn"]

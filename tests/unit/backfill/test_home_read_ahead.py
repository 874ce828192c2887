"""The attestations home takes a list of attestations read ahead (on the reader thread)
once, for its release only, and never after this run created one with that subject."""

from __future__ import annotations

from datetime import datetime, timezone
from types import SimpleNamespace
from typing import Any

from chainkit.backfill._home import AttestationsHome
from chainkit.github import AttestationList

D1, D2 = "1" * 64, "2" * 64


class _Client:
    def __init__(self) -> None:
        self.listed: list[str] = []

    def list_attestations(self, repository: str, digest: str, **kw: Any) -> AttestationList:
        self.listed.append(digest)
        return AttestationList(())


def _home(client: _Client) -> AttestationsHome:
    journal: Any = SimpleNamespace(last=lambda *a, **kw: None)
    return AttestationsHome(
        repository="acme/widgets",
        plan_digest="0" * 64,
        client=client,  # type: ignore[arg-type]
        signer=None,  # type: ignore[arg-type]
        verifier=None,  # type: ignore[arg-type]
        journal=journal,
        pinned=(None, None),  # type: ignore[arg-type]
        self_check=lambda data: (None, None),  # type: ignore[arg-type,return-value]
        now=lambda: datetime(2026, 1, 1, tzinfo=timezone.utc),
        failpoint=lambda name: None,
    )


def _hashed(name: str, digest: str) -> list[Any]:
    return [(SimpleNamespace(name=name), digest)]


def test_a_list_read_ahead_replaces_the_read_once_and_only_for_its_release() -> None:
    client = _Client()
    home = _home(client)
    home.listed_ahead(7, D1, AttestationList(()))
    other = SimpleNamespace(id=8, tag="v2")
    assert home.found(other, _hashed("a", D1)) is False  # type: ignore[arg-type]
    assert client.listed == [f"sha256:{D1}"]  # another release's list is not taken
    planned = SimpleNamespace(id=7, tag="v1")
    assert home.found(planned, _hashed("a", D1)) is False  # type: ignore[arg-type]
    assert client.listed == [f"sha256:{D1}"]  # taken from the read ahead
    assert home.found(planned, _hashed("a", D1)) is False  # type: ignore[arg-type]
    assert client.listed == [f"sha256:{D1}"] * 2  # used once: read again


def test_a_list_read_ahead_is_read_again_after_this_run_attested_that_digest() -> None:
    client = _Client()
    home = _home(client)
    home.listed_ahead(7, D2, AttestationList(()))
    home._written.add(D2)  # what _part records just before it creates an attestation
    planned = SimpleNamespace(id=7, tag="v1")
    assert home.found(planned, _hashed("b", D2)) is False  # type: ignore[arg-type]
    assert client.listed == [f"sha256:{D2}"]

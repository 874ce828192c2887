"""The RFC 3161 TSA: replies parse and verify with rfc3161-client, nonce and certReq honoured."""

from __future__ import annotations

import hashlib

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.x509.oid import ExtendedKeyUsageOID
from rfc3161_client import (
    HashAlgorithm,
    TimestampRequestBuilder,
    VerificationError,
    VerifierBuilder,
    decode_timestamp_response,
)

from chainkit.sandbox._sigstore import SigstoreAuthority
from chainkit.sandbox._sigstore._common import Rejected
from chainkit.sandbox._sigstore._tsa import TimestampAuthority, parse_query


@pytest.fixture(scope="module")
def authority(tmp_path_factory: pytest.TempPathFactory) -> SigstoreAuthority:
    return SigstoreAuthority(tmp_path_factory.mktemp("tsa"))


@pytest.fixture(scope="module")
def tsa(authority: SigstoreAuthority) -> TimestampAuthority:
    return TimestampAuthority(authority, clock=lambda: 1_800_000_000.75)


def _verifier(authority: SigstoreAuthority, nonce: int | None = None) -> VerifierBuilder:
    builder = (
        VerifierBuilder()
        .tsa_certificate(authority.cert("tsa"))
        .add_root_certificate(authority.cert("tsa-root"))
    )
    return builder.nonce(nonce) if nonce is not None else builder


@pytest.mark.parametrize("cert_req", [True, False])
def test_reply_verifies_and_keeps_the_nonce(
    authority: SigstoreAuthority, tsa: TimestampAuthority, cert_req: bool
) -> None:
    request = (
        TimestampRequestBuilder()
        .hash_algorithm(HashAlgorithm.SHA256)
        .data(b"signature bytes")
        .nonce(nonce=True)
        .cert_request(cert_request=cert_req)
        .build()
    )
    response = decode_timestamp_response(tsa.respond(request.as_bytes()))
    assert response.status == 0
    assert response.tst_info.nonce == request.nonce
    assert response.tst_info.message_imprint.message == hashlib.sha256(b"signature bytes").digest()
    assert response.tst_info.gen_time.microsecond == 0
    assert int(response.tst_info.gen_time.timestamp()) == 1_800_000_000
    embedded = response.signed_data.certificates
    tsa_der = authority.cert("tsa").public_bytes(serialization.Encoding.DER)
    assert (embedded == {tsa_der}) if cert_req else (embedded == set())
    assert _verifier(authority, request.nonce).build().verify_message(response, b"signature bytes")


def test_reply_does_not_verify_for_another_message(
    authority: SigstoreAuthority, tsa: TimestampAuthority
) -> None:
    request = TimestampRequestBuilder().hash_algorithm(HashAlgorithm.SHA256).data(b"a").build()
    response = decode_timestamp_response(tsa.respond(request.as_bytes()))
    with pytest.raises(VerificationError):
        _verifier(authority).build().verify_message(response, b"b")


def test_sha512_query_and_no_nonce(tsa: TimestampAuthority) -> None:
    request = TimestampRequestBuilder().data(b"x").nonce(nonce=False).build()
    query = parse_query(request.as_bytes())
    assert query.nonce is None
    response = decode_timestamp_response(tsa.respond(request.as_bytes()))
    assert response.tst_info.message_imprint.message == hashlib.sha512(b"x").digest()


@pytest.mark.parametrize("data", [b"", b"not der", b"\x30\x03\x02\x01\x02"])
def test_malformed_query_is_rejected(tsa: TimestampAuthority, data: bytes) -> None:
    with pytest.raises(Rejected) as caught:
        tsa.respond(data)
    assert caught.value.status == 400


def test_tsa_certificate_is_for_time_stamping_only(authority: SigstoreAuthority) -> None:
    eku = authority.cert("tsa").extensions.get_extension_for_class(x509.ExtendedKeyUsage)
    assert eku.critical and list(eku.value) == [ExtendedKeyUsageOID.TIME_STAMPING]


def test_chain_is_served_as_pem(authority: SigstoreAuthority) -> None:
    chain = TimestampAuthority(authority).cert_chain_pem()
    assert chain.count("BEGIN CERTIFICATE") == 2

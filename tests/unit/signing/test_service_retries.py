"""Retries of Fulcio, Rekor and TSA requests at chainkit's signing boundary (fakes, no
network, no real waits)."""

from __future__ import annotations

import hashlib
from types import SimpleNamespace
from typing import Any

import pytest
import requests

from chainkit.signing import _signer
from chainkit.signing._signer import (
    TimestampUnavailableError,
    _RetryingLog,
    _RetryingTimestamps,
    _transient,
)


def http_error(status: int) -> requests.HTTPError:
    response = requests.Response()
    response.status_code = status
    return requests.HTTPError(f"{status} error", response=response)


class UntypedClientError(Exception):
    """Like sigstore-python's RekorClientError/TimestampError: raised from the HTTP error."""


def raised_from(cause: BaseException) -> UntypedClientError:
    error = UntypedClientError("the service failed")
    error.__context__ = cause  # as `raise ... ` inside `except requests...` leaves it
    return error


@pytest.fixture(autouse=True)
def no_sleep(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    slept: list[float] = []
    monkeypatch.setattr(_signer, "_sleep", slept.append)
    return slept


def waits() -> tuple[float, ...]:
    return (1.0, 4.0)


def test_transient_is_a_5xx_or_no_answer_anywhere_in_the_chain() -> None:
    assert _transient(raised_from(http_error(503))) == 503
    assert _transient(raised_from(requests.ConnectionError("refused"))) == "no answer"
    assert _transient(raised_from(http_error(400))) is None
    assert _transient(raised_from(http_error(409))) is None
    assert _transient(ValueError("not a network problem")) is None


class FakeLog:
    """A Rekor client: fails as told, keeps what it integrated, answers 409 for a copy."""

    def __init__(self, failures: list[tuple[int, bool]]) -> None:
        self.failures = failures
        """(status, made): fail with ``status``, after making the entry if ``made``."""
        self.made: list[Any] = []
        self.submitted: list[Any] = []
        self.log = self

    # sigstore-python's v1 client: log.entries.retrieve.post(model)
    @property
    def entries(self) -> FakeLog:
        return self

    @property
    def retrieve(self) -> FakeLog:
        return self

    def post(self, model: Any) -> Any:
        return next((e for e in self.made if e == model.model_dump(by_alias=True)), None)

    def create_entry(self, proposed: Any) -> Any:
        self.submitted.append(proposed)
        if proposed in self.made:
            raise raised_from(http_error(409))
        if self.failures:
            status, made = self.failures.pop(0)
            if made:
                self.made.append(proposed)
            raise raised_from(http_error(status))
        self.made.append(proposed)
        return proposed


def test_rekor_5xx_is_retried_with_the_same_entry(no_sleep: list[float]) -> None:
    fake = FakeLog([(503, False)])
    log = _RetryingLog(fake, waits)
    proposed = {"kind": "hashedrekord", "apiVersion": "0.0.1", "spec": {"x": 1}}
    assert log.create_entry(proposed) == proposed
    assert fake.submitted == [proposed, proposed]  # the same signature, not a new one
    assert len(fake.made) == 1
    assert no_sleep == [1.0]


def test_rekor_5xx_after_the_entry_was_made_finds_it_instead_of_a_duplicate(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    class Model:
        def __init__(self, data: Any) -> None:
            self.data = data

        def model_dump(self, **_: Any) -> Any:
            return self.data

        @classmethod
        def model_validate(cls, data: Any) -> Model:
            return cls(data)

    monkeypatch.setattr("rekor_types.Hashedrekord", Model)
    fake = FakeLog([(502, True)])  # integrated, then the answer was lost
    proposed = {"kind": "hashedrekord", "apiVersion": "0.0.1", "spec": {"x": 2}}
    entry = _RetryingLog(fake, waits).create_entry(proposed)
    assert entry == proposed
    assert len(fake.made) == 1  # one entry in the log, whatever the failures
    assert len(fake.submitted) == 2  # the re-submission got 409, and the entry was fetched


def test_rekor_409_on_the_first_attempt_is_not_taken_for_ours() -> None:
    fake = FakeLog([(409, False)])
    with pytest.raises(UntypedClientError):
        _RetryingLog(fake, waits).create_entry({"kind": "hashedrekord"})
    assert len(fake.submitted) == 1


def test_rekor_lasting_5xx_gives_up_after_the_retries(no_sleep: list[float]) -> None:
    fake = FakeLog([(503, False)] * 5)
    with pytest.raises(UntypedClientError):
        _RetryingLog(fake, waits).create_entry({"kind": "hashedrekord"})
    assert len(fake.submitted) == 3 and no_sleep == [1.0, 4.0]


def test_rekor_4xx_is_not_retried(no_sleep: list[float]) -> None:
    fake = FakeLog([(400, False)])
    with pytest.raises(UntypedClientError):
        _RetryingLog(fake, waits).create_entry({"kind": "hashedrekord"})
    assert len(fake.submitted) == 1 and no_sleep == []


def token(over: bytes, algorithm: str = "2.16.840.1.101.3.4.2.1") -> Any:
    """What rfc3161-client parses from a TSA's answer, as far as chainkit reads it."""
    imprint = SimpleNamespace(
        hash_algorithm=SimpleNamespace(dotted_string=algorithm),
        message=hashlib.sha256(over).digest(),
    )
    return SimpleNamespace(tst_info=SimpleNamespace(message_imprint=imprint), over=over)


class FakeTsa:
    url = "https://tsa.example/api/v1/timestamp"

    def __init__(self, failures: int, over: bytes | None = None) -> None:
        self.failures = failures
        self.calls = 0
        self.over = over

    def request_timestamp(self, signature: bytes) -> Any:
        self.calls += 1
        if self.failures:
            self.failures -= 1
            raise raised_from(http_error(500))
        return token(signature if self.over is None else self.over)


def test_tsa_5xx_is_retried_then_a_lasting_failure_stops_the_signature(
    no_sleep: list[float],
) -> None:
    assert _RetryingTimestamps(FakeTsa(1), waits).request_timestamp(b"s").over == b"s"
    lasting = FakeTsa(9)
    with pytest.raises(TimestampUnavailableError, match="timestamp authority"):
        _RetryingTimestamps(lasting, waits).request_timestamp(b"s")
    assert lasting.calls == 3
    assert no_sleep == [1.0, 1.0, 4.0]


@pytest.mark.parametrize(
    "answer",
    [
        token(b"other bytes"),  # a valid token, over something else
        token(b"s", algorithm="1.3.14.3.2.26"),  # SHA-1 of... anything
        SimpleNamespace(tst_info=None),  # no readable imprint
    ],
)
def test_a_token_not_over_our_signature_is_a_tsa_failure(answer: Any) -> None:
    class Tsa(FakeTsa):
        def request_timestamp(self, signature: bytes) -> Any:
            self.calls += 1
            return answer

    with pytest.raises(TimestampUnavailableError, match="timestamp authority"):
        _RetryingTimestamps(Tsa(0), waits).request_timestamp(b"s")

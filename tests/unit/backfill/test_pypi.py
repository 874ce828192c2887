from __future__ import annotations

import socket

import pytest
import requests

from _plugins.pypi import PyPIStandIn
from chainkit.backfill._errors import BackfillUsageError, PyPIError
from chainkit.backfill._pypi import fetch_pypi_digests, index_url_from_env, redact_url
from chainkit.errors import ExitCode


def test_one_json_request_for_all_files(pypi_index: PyPIStandIn) -> None:
    w = pypi_index.add_file("My_Project", "my_project-1.0-py3-none-any.whl", b"wheel")
    s = pypi_index.add_file("My_Project", "my_project-1.0.tar.gz", b"sdist")
    with requests.Session() as session:
        digests = fetch_pypi_digests("My_Project", session=session, index_url=pypi_index.url)
    assert pypi_index.requests == [("/simple/my-project/", "application/vnd.pypi.simple.v1+json")]
    assert [f.sha256 for f in digests.lookup("my_project-1.0-py3-none-any.whl")] == [w]
    assert [f.sha256 for f in digests.lookup("my_project-1.0.tar.gz")] == [s]
    assert digests.lookup("other.whl") == ()
    assert digests.lookup("my_project-1.0.tar.gz")[0].url.endswith("/files/my_project-1.0.tar.gz")


def test_index_url_from_environment(
    pypi_index: PyPIStandIn, monkeypatch: pytest.MonkeyPatch
) -> None:
    pypi_index.add_file("p", "p-1.tar.gz", b"x")
    monkeypatch.setenv("CHAINKIT_PYPI_INDEX_URL", pypi_index.url.rstrip("/"))
    with requests.Session() as session:
        digests = fetch_pypi_digests("p", session=session)
    assert digests.lookup("p-1.tar.gz")
    assert index_url_from_env({}) == "https://pypi.org/simple/"


def test_unknown_project_is_a_usage_error(pypi_index: PyPIStandIn) -> None:
    with requests.Session() as session, pytest.raises(BackfillUsageError, match="no project"):
        fetch_pypi_digests("absent", session=session, index_url=pypi_index.url)


def test_server_error_is_a_service_error(pypi_index: PyPIStandIn) -> None:
    pypi_index.fail_with = 503
    with requests.Session() as session, pytest.raises(PyPIError, match="503") as info:
        fetch_pypi_digests("p", session=session, index_url=pypi_index.url)
    assert info.value.exit_code == ExitCode.FAILURE
    assert "--pypi-project" in (info.value.remediation or "")


def test_html_answer_is_refused(pypi_index: PyPIStandIn) -> None:
    pypi_index.add_file("p", "p-1.tar.gz", b"x")
    pypi_index.content_type = "text/html"
    with requests.Session() as session, pytest.raises(PyPIError, match="PEP 691"):
        fetch_pypi_digests("p", session=session, index_url=pypi_index.url)


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_unreachable_index_is_a_service_error_without_secrets() -> None:
    url = f"http://user:s3cret-token@127.0.0.1:{_closed_port()}/simple/"
    with requests.Session() as session, pytest.raises(PyPIError) as info:
        fetch_pypi_digests("p", session=session, index_url=url, timeout=5)
    assert info.value.exit_code == ExitCode.FAILURE
    assert "s3cret" not in info.value.render()
    assert "could not reach" in info.value.message


@pytest.mark.parametrize("name", ["", "-x", "a b", "../etc"])
def test_bad_project_names(name: str) -> None:
    with requests.Session() as session, pytest.raises(BackfillUsageError):
        fetch_pypi_digests(name, session=session, index_url="http://127.0.0.1:1/simple/")


def test_redact_url() -> None:
    assert redact_url("https://u:p@host:8080/simple/") == "https://***@host:8080/simple/"
    assert redact_url("https://host/simple/") == "https://host/simple/"

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from chainkit.backfill._checksums import (
    MAX_CHECKSUM_FILE_SIZE,
    checksum_kind,
    parse_checksum_file,
)
from chainkit.backfill._errors import ChecksumFileError
from chainkit.errors import ExitCode

ASSETS = Path(__file__).parents[2] / "assets" / "backfill"
A = hashlib.sha256(b"a").hexdigest()
B = hashlib.sha256(b"b").hexdigest()


def parse(sample: str, name: str | None = None):
    data = (ASSETS / sample).read_bytes()
    return parse_checksum_file(data, file_name=name or sample, release_tag="v1.0")


@pytest.mark.parametrize(
    ("name", "algorithm", "single_for"),
    [
        ("SHA256SUMS", "sha256", None),
        ("sha256sums.txt", "sha256", None),
        ("SHA256SUMS.txt", "sha256", None),
        ("checksums.txt", "sha256", None),
        ("widgets_1.0_checksums.txt", "sha256", None),
        ("widgets-1.0.tar.gz.sha256", "sha256", "widgets-1.0.tar.gz"),
        ("widgets-1.0.tar.gz.sha256sum", "sha256", "widgets-1.0.tar.gz"),
        ("SHA512SUMS", "sha512", None),
        ("widgets.tar.gz.md5", "md5", "widgets.tar.gz"),
        ("SHA1SUMS.txt", "sha1", None),
    ],
)
def test_checksum_kind_recognises_names(name: str, algorithm: str, single_for: str | None) -> None:
    kind = checksum_kind(name)
    assert kind is not None
    assert (kind.algorithm, kind.single_for) == (algorithm, single_for)


@pytest.mark.parametrize(
    "name",
    ["widgets-1.0.tar.gz", "README.md", "checksums.txt.sigstore.json", ".sha256", "notes.txt"],
)
def test_checksum_kind_ignores_other_files(name: str) -> None:
    assert checksum_kind(name) is None


def test_gnu_text_mode() -> None:
    parsed = parse("SHA256SUMS")
    assert parsed.algorithm == "sha256"
    assert [(e.name, e.sha256, e.line) for e in parsed.entries] == [
        ("widgets-1.0.tar.gz", A, 1),
        ("widgets-1.0-py3-none-any.whl", B, 2),
    ]


def test_gnu_binary_mode_with_crlf_and_directories() -> None:
    parsed = parse("SHA256SUMS.binary", "SHA256SUMS")
    assert [(e.name, e.sha256) for e in parsed.entries] == [
        ("widgets-1.0.tar.gz", A),
        ("dist/widgets-1.0-py3-none-any.whl", B),
    ]


def test_gnu_escaped_names() -> None:
    parsed = parse("SHA256SUMS.escaped", "SHA256SUMS")
    assert parsed.entries[0].name == "back\\slash\nname.bin"
    assert parsed.entries[1].name == "plain.bin"


def test_bsd_tag_format_with_parentheses_in_names() -> None:
    parsed = parse("SHA256SUMS.bsd", "SHA256SUMS")
    assert [(e.name, e.sha256) for e in parsed.entries] == [
        ("widgets-1.0.tar.gz", A),
        ("my file (1).zip", B),
    ]


def test_goreleaser_file_with_comments_and_blank_lines() -> None:
    parsed = parse("widgets_1.0_checksums.txt")
    assert [e.line for e in parsed.entries] == [2, 4]


def test_single_file_hex_only_names_its_asset() -> None:
    parsed = parse("widgets-1.0.tar.gz.sha256")
    assert [(e.name, e.sha256) for e in parsed.entries] == [("widgets-1.0.tar.gz", A)]


def test_single_file_with_name() -> None:
    parsed = parse("widgets-1.0.whl.sha256sum")
    assert [(e.name, e.sha256) for e in parsed.entries] == [("widgets-1.0.whl", B)]


def test_generic_file_with_sha512_digests_is_ignored_not_an_error() -> None:
    parsed = parse("checksums-sha512.txt", "checksums.txt")
    assert parsed.algorithm == "sha512"
    assert parsed.entries == ()


def test_other_algorithm_file_is_recorded_without_entries() -> None:
    parsed = parse_checksum_file(b"whatever", file_name="SHA512SUMS", release_tag="v1")
    assert (parsed.algorithm, parsed.entries) == ("sha512", ())


def test_malformed_line_names_release_file_and_line() -> None:
    with pytest.raises(ChecksumFileError) as info:
        parse("SHA256SUMS.malformed", "SHA256SUMS")
    err = info.value
    assert err.exit_code == ExitCode.USAGE
    assert "'v1.0'" in err.message
    assert "'SHA256SUMS'" in err.message
    assert "line 2" in err.message
    assert err.remediation is not None
    assert "--exclude-assets SHA256SUMS" in err.remediation


def test_sha512_line_in_a_sha256_named_file_is_malformed() -> None:
    data = hashlib.sha512(b"a").hexdigest().encode() + b"  x.tar.gz\n"
    with pytest.raises(ChecksumFileError, match="line 1"):
        parse_checksum_file(data, file_name="SHA256SUMS", release_tag="v1")


def test_empty_file_is_malformed() -> None:
    with pytest.raises(ChecksumFileError, match="holds no checksum"):
        parse_checksum_file(b"\n# nothing\n", file_name="SHA256SUMS", release_tag="v1")


def test_non_utf8_is_malformed() -> None:
    with pytest.raises(ChecksumFileError, match="not UTF-8"):
        parse_checksum_file(b"\xff\xfe" + A.encode(), file_name="SHA256SUMS", release_tag="v1")


def test_oversized_file_is_refused() -> None:
    data = (A + "  x\n").encode() * (MAX_CHECKSUM_FILE_SIZE // 60)
    assert len(data) > MAX_CHECKSUM_FILE_SIZE
    with pytest.raises(ChecksumFileError, match="more than"):
        parse_checksum_file(data, file_name="SHA256SUMS", release_tag="v1")


def test_remediation_glob_escapes_metacharacters() -> None:
    with pytest.raises(ChecksumFileError) as info:
        parse_checksum_file(b"junk\n", file_name="a[1]*.sha256", release_tag="v1")
    assert "'a[[]1][*].sha256'" in (info.value.remediation or "")


def test_uppercase_hex_is_lowercased() -> None:
    parsed = parse_checksum_file(
        (A.upper() + "  x.bin\n").encode(), file_name="SHA256SUMS", release_tag="v1"
    )
    assert parsed.entries[0].sha256 == A


_names = st.text(
    alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\n\r"),
    min_size=1,
    max_size=40,
).filter(lambda s: s.strip() == s and not s.startswith(("*", "#", "\\")))


@given(entries=st.lists(st.tuples(_names, st.binary(max_size=8), st.booleans()), min_size=1))
def test_gnu_round_trip(entries: list[tuple[str, bytes, bool]]) -> None:
    lines = []
    for name, data, binary in entries:
        lines.append(f"{hashlib.sha256(data).hexdigest()} {'*' if binary else ' '}{name}")
    parsed = parse_checksum_file(
        ("\n".join(lines) + "\n").encode(), file_name="SHA256SUMS", release_tag="v1"
    )
    assert [(e.name, e.sha256) for e in parsed.entries] == [
        (name, hashlib.sha256(data).hexdigest()) for name, data, _ in entries
    ]


@given(name=st.text(min_size=1, max_size=30).filter(lambda s: "\x00" not in s), data=st.binary())
def test_gnu_escaped_round_trip(name: str, data: bytes) -> None:
    # coreutils escapes \ and newline (and carriage return) and marks the line with \
    escaped = name.replace("\\", "\\\\").replace("\n", "\\n").replace("\r", "\\r")
    line = f"\\{hashlib.sha256(data).hexdigest()}  {escaped}\n"
    assume(escaped.strip() == escaped)  # edge whitespace is not round-trippable in any format
    parsed = parse_checksum_file(line.encode(), file_name="SHA256SUMS", release_tag="v1")
    assert parsed.entries[0].name == name


@given(name=_names.filter(lambda s: ")" not in s), data=st.binary(max_size=8))
def test_bsd_round_trip(name: str, data: bytes) -> None:
    line = f"SHA256 ({name}) = {hashlib.sha256(data).hexdigest()}\n"
    parsed = parse_checksum_file(line.encode(), file_name="SHA256SUMS", release_tag="v1")
    assert parsed.entries[0].name == name


@given(
    data=st.binary(max_size=300), name=st.sampled_from(["SHA256SUMS", "x.sha256", "checksums.txt"])
)
def test_arbitrary_bytes_parse_or_fail_cleanly(data: bytes, name: str) -> None:
    try:
        parsed = parse_checksum_file(data, file_name=name, release_tag="v1")
    except ChecksumFileError as exc:
        assert "'v1'" in exc.message
    else:
        assert all(len(e.sha256) == 64 for e in parsed.entries)

from __future__ import annotations

import shlex

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from chainkit.backfill._errors import NotesError
from chainkit.backfill._notes import (
    BEGIN_MARKER,
    END_MARKER,
    MAX_BODY_CHARS,
    NotesBundle,
    download_url,
    outside_digest,
    outside_text,
    render_section,
    section_budget,
    upsert_section,
)
from chainkit.signing import CertificateFacts

IDENTITY = CertificateFacts(
    identity="https://github.com/acme/widgets/.github/workflows/backfill.yml@refs/heads/main",
    issuer="https://token.actions.githubusercontent.com",
    source_repository_uri="https://github.com/acme/widgets",
)
BUNDLES = [
    NotesBundle(
        "widgets-1.0.tar.gz",
        "widgets-1.0.tar.gz.sigstore.json",
        "https://github.com/acme/widgets/releases/download/v1.0/widgets-1.0.tar.gz.sigstore.json",
    )
]


def section(tag: str = "v1.0", bundles=BUNDLES, **kw) -> str:
    return render_section(
        repository="acme/widgets", tag=tag, bundles=bundles, identity=IDENTITY, **kw
    )


def test_section_has_markers_links_and_exact_commands() -> None:
    text = section()
    assert text.startswith(BEGIN_MARKER) and text.endswith(END_MARKER)
    assert f"](<{BUNDLES[0].bundle_url}>)" in text
    assert (
        "chainkit verify --repo acme/widgets --tag v1.0 --cert-identity "
        f"{IDENTITY.identity} --cert-oidc-issuer {IDENTITY.issuer} "
        "--source-repository acme/widgets"
    ) in text
    assert (
        "sigstore verify identity --bundle widgets-1.0.tar.gz.sigstore.json --cert-identity "
        f"{IDENTITY.identity} --cert-oidc-issuer {IDENTITY.issuer} "
        "widgets-1.0.tar.gz"
    ) in text
    assert "--repository acme/widgets" in text  # sigstore verify github for GitHub's issuer
    assert "not build provenance" in text


def test_shell_metacharacters_in_tags_are_quoted() -> None:
    text = section(tag="v1;rm -rf ~`x`$(id)")
    assert "--tag 'v1;rm -rf ~`x`$(id)'" in text
    # the code fence is longer than any backtick run inside
    assert "````" not in text or text.count("````") >= 2


def test_other_issuers_get_no_github_command() -> None:
    ident = CertificateFacts(
        identity="me@example.com",
        issuer="https://oauth2.sigstore.dev/auth",
        source_repository_uri="https://github.com/acme/widgets",
    )
    text = render_section(repository="acme/widgets", tag="v1", bundles=BUNDLES, identity=ident)
    assert "sigstore verify github" not in text


def test_markdown_in_asset_names_is_escaped() -> None:
    b = NotesBundle("[evil](http://x) *a*", "x.sigstore.json", "https://h/x(1).json")
    text = section(bundles=[b])
    assert "\\[evil\\]\\(http://x\\) \\*a\\*" in text
    assert "(<https://h/x%281%29.json>)" in text  # the destination is percent-encoded


def test_long_list_is_truncated_with_a_pointer() -> None:
    many = [
        NotesBundle(f"asset-{i}.bin", f"asset-{i}.bin.sigstore.json", f"https://h/{i}")
        for i in range(500)
    ]
    text = section(bundles=many, max_chars=5000)
    assert len(text) <= 5000
    assert "more: see this release's assets" in text
    assert text.endswith(END_MARKER)


def test_no_room_at_all_is_an_error() -> None:
    with pytest.raises(NotesError, match="characters"):
        section(max_chars=100)


def test_append_to_body_without_trailing_newline() -> None:
    body = "Intro\n\nLast line"
    new = upsert_section(body, section())
    assert new.startswith(body + "\n\n" + BEGIN_MARKER)
    assert outside_digest(new) == outside_digest(body)


def test_append_to_empty_or_none_body() -> None:
    assert upsert_section(None, section()) == section()
    assert upsert_section("", section()) == section()


def test_replace_keeps_text_before_and_after() -> None:
    body = "before\r\n" + BEGIN_MARKER + "\r\nold\r\n" + END_MARKER + "\r\nafter"
    new = upsert_section(body, section())
    assert new.startswith("before\r\n" + BEGIN_MARKER)
    assert new.endswith(END_MARKER + "\r\nafter")
    assert "\n" not in new.replace("\r\n", "")  # CRLF body stays CRLF
    assert "old" not in new
    assert outside_digest(new) == outside_digest(body)


def test_upsert_is_idempotent() -> None:
    once = upsert_section("text\n", section())
    assert upsert_section(once, section()) == once


@pytest.mark.parametrize(
    "body",
    [
        f"{BEGIN_MARKER} no end",
        f"{END_MARKER} no begin",
        f"{END_MARKER} {BEGIN_MARKER}",
        f"{BEGIN_MARKER}{END_MARKER}{BEGIN_MARKER}{END_MARKER}",
    ],
)
def test_bad_markers_are_clear_errors(body: str) -> None:
    with pytest.raises(NotesError) as info:
        upsert_section(body, section())
    assert info.value.remediation
    with pytest.raises(NotesError):
        outside_digest(body)


def test_body_over_the_limit_is_refused() -> None:
    with pytest.raises(NotesError, match="125000"):
        upsert_section("x" * (MAX_BODY_CHARS - 10), section())


def test_budget_leaves_room_for_the_section() -> None:
    for body in ("x" * 100_000, "y\r\n" * 30_000):
        text = section(bundles=BUNDLES * 2000, max_chars=section_budget(body))
        assert len(upsert_section(body, text)) <= MAX_BODY_CHARS


def test_changed_outside_text_changes_the_digest() -> None:
    body = upsert_section("text", section())
    assert outside_digest(body.replace("text", "texT")) != outside_digest(body)


def test_download_url() -> None:
    assert (
        download_url("https://github.com/o/r/releases/tag/v1", "v1/x", "a b.json")
        == "https://github.com/o/r/releases/download/v1%2Fx/a%20b.json"
    )


_bodies = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=200).filter(
    lambda s: "<!--" not in s
)


@given(before=_bodies, after=_bodies, tag=st.text(min_size=1, max_size=20))
def test_outside_text_is_kept_byte_for_byte(before: str, after: str, tag: str) -> None:
    body = before + BEGIN_MARKER + "old" + END_MARKER + after
    new = upsert_section(body, section(tag=tag))
    assert outside_text(new) == before + after
    assert new.startswith(before) and new.endswith(after)


@given(body=_bodies, tag=st.text(min_size=1, max_size=20))
@example(body="", tag="\r\n")  # found by Hypothesis: the tag's CR LF once chose the line break
@example(body="x", tag="\r\n")
@example(body="x\r", tag="v1")  # a lone CR meets the separator
@example(body="a\r\nb", tag="\n")
def test_appending_keeps_the_body_as_prefix_and_the_digest(body: str, tag: str) -> None:
    new = upsert_section(body, section(tag=tag))
    assert new.startswith(body)
    assert outside_digest(new) == outside_digest(body)
    assert upsert_section(new, section(tag=tag)) == new


def test_asset_named_like_a_marker_cannot_break_the_section() -> None:
    evil = NotesBundle(END_MARKER, "x.sigstore.json", "https://h/x")
    text = section(bundles=[evil, *BUNDLES])
    assert text.count(END_MARKER) == 1
    assert upsert_section("body", text).count(END_MARKER) == 1


FLAGS = {
    "gh": {"verify": ["--repo", "--predicate-type", "--cert-identity", "--cert-oidc-issuer"]},
    "sigstore": {
        "identity": ["--bundle", "--cert-identity", "--cert-oidc-issuer"],
        "github": ["--bundle", "--cert-identity", "--repository"],
    },
}
HOSTILE = ["--bundle", "-x.whl", "my wheel.whl", "x`$(id)`.whl", "x\n## pwn [c](https://evil)"]


def _fenced_block(text: str) -> tuple[str, list[str]]:
    """The fence and the lines inside the section's code block."""
    lines = text.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("```"))
    fence = lines[start].removesuffix("sh")
    end = next(i for i in range(start + 1, len(lines)) if lines[i] == fence)
    return fence, lines[start + 1 : end]


@pytest.mark.parametrize("name", HOSTILE)
def test_hostile_asset_names_stay_one_file_operand_of_one_command(name: str) -> None:
    from chainkit.backfill._notes import render_api_section

    for text in (
        render_api_section(
            repository="acme/widgets", tag="v1", assets=[name, "ok.whl"], identity=IDENTITY
        ),
        section(bundles=[NotesBundle(name, f"{name}.sigstore.json", "https://h/b.json")], api=True),
    ):
        fence, block = _fenced_block(text)
        assert "`" * len(fence) not in "\n".join(block)  # the fence is not closed early
        for line in block:
            words = shlex.split(line)  # each line parses as one shell command
            if words[0] in FLAGS:
                # flags first, each with its value; the file last, never an option
                assert words[3::2][: len(FLAGS[words[0]][words[2]])] == FLAGS[words[0]][words[2]]
                assert len(words) == 3 + 2 * len(FLAGS[words[0]][words[2]]) + 1
                assert not words[-1].startswith("-")
                assert words[-1] in {name, f"./{name}", "ok.whl"}
        if "\n" in name:  # a name over two lines is never the example
            assert all("pwn" not in line for line in block)


def test_a_name_starting_with_a_dash_is_a_relative_path() -> None:
    from chainkit.backfill._notes import render_api_section

    text = render_api_section(
        repository="acme/widgets", tag="v1", assets=["--bundle"], identity=IDENTITY
    )
    gh = next(line for line in text.splitlines() if line.startswith("gh "))
    assert gh.endswith(f"--cert-oidc-issuer {IDENTITY.issuer} ./--bundle")
    bundles = [NotesBundle("-x.whl", "-x.whl.sigstore.json", "https://h/b.json")]
    sig = next(line for line in section(bundles=bundles).splitlines() if "verify identity" in line)
    assert "--bundle ./-x.whl.sigstore.json " in sig and sig.endswith(" ./-x.whl")


def test_no_gh_command_when_no_name_is_one_plain_line() -> None:
    from chainkit.backfill._notes import render_api_section

    text = render_api_section(
        repository="acme/widgets", tag="v1", assets=["a\nb.whl", "c\x1bd"], identity=IDENTITY
    )
    assert "gh attestation verify" not in text
    assert "chainkit verify" in text

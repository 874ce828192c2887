"""The backfill section of release notes.

One marked section, ``<!-- chainkit:backfill -->`` ... ``<!-- /chainkit:backfill -->``,
lists the bundles and gives copy-paste verification commands. :func:`upsert_section`
replaces that section or appends it; every character outside the markers is kept
byte-for-byte (a new section is appended after a blank line). :func:`outside_digest`
hashes the text outside the section (ignoring trailing line breaks, which the
append adds), so apply can refuse to write if someone changed the notes since the
plan.
"""

from __future__ import annotations

import shlex
from collections.abc import Sequence
from dataclasses import dataclass
from urllib.parse import quote

from chainkit._internal.hashing import sha256_chunks
from chainkit._internal.markdown import code, link
from chainkit.attestation import PREDICATE_TYPE
from chainkit.backfill._errors import NotesError
from chainkit.signing import GITHUB_ISSUER, CertificateFacts

__all__ = [
    "BEGIN_MARKER",
    "END_MARKER",
    "MAX_BODY_CHARS",
    "NotesBundle",
    "download_url",
    "outside_digest",
    "outside_text",
    "render_api_section",
    "render_section",
    "section_budget",
    "upsert_section",
]

BEGIN_MARKER = "<!-- chainkit:backfill -->"
END_MARKER = "<!-- /chainkit:backfill -->"
MAX_BODY_CHARS = 125_000
"""GitHub's limit on a release body."""

_REMEDIATION = (
    "edit the release notes so they hold exactly one "
    f"{BEGIN_MARKER} ... {END_MARKER} section (or none), then make a new plan"
)


@dataclass(frozen=True)
class NotesBundle:
    """One line of the section: an asset and its bundle."""

    asset_name: str
    bundle_name: str
    bundle_url: str


def download_url(html_url: str, tag: str, name: str) -> str:
    """``https://github.com/O/R/releases/download/<tag>/<name>`` from a release's html_url."""
    head, sep, _ = html_url.partition("/releases/")
    if not sep:
        raise ValueError(f"not a release html_url: {html_url!r}")
    return f"{head}/releases/download/{quote(tag, safe='')}/{quote(name, safe='')}"


def _span(body: str) -> tuple[int, int] | None:
    """Start of the begin marker and end of the end marker, or ``None``."""
    begins, ends = body.count(BEGIN_MARKER), body.count(END_MARKER)
    if begins == 0 and ends == 0:
        return None
    if begins > 1 or ends > 1:
        raise NotesError(
            f"the release notes hold {begins} begin and {ends} end markers of the "
            "backfill section; exactly one of each is expected",
            remediation=_REMEDIATION,
        )
    start, end = body.find(BEGIN_MARKER), body.find(END_MARKER)
    if start < 0 or end < 0 or end < start:
        raise NotesError(
            "the release notes hold an unbalanced backfill section marker "
            f"({BEGIN_MARKER if start >= 0 else END_MARKER} alone or out of order)",
            remediation=_REMEDIATION,
        )
    return start, end + len(END_MARKER)


def outside_text(body: str | None) -> str:
    """The body without the backfill section."""
    text = body or ""
    span = _span(text)
    if span is None:
        return text
    return text[: span[0]] + text[span[1] :]


def outside_digest(body: str | None) -> str:
    """sha256 (hex) of the text outside the section, trailing line breaks ignored."""
    return sha256_chunks([outside_text(body).rstrip("\r\n").encode("utf-8", "surrogatepass")])


def _newline(body: str | None) -> str:
    """The line break of the text *outside* the section, its trailing line breaks ignored.

    Never read from the section itself (a tag or asset name in it may hold a CR LF) nor
    from the separator an earlier upsert appended, so the choice is the same before and
    after an upsert: upserting twice changes nothing.
    """
    return "\r\n" if "\r\n" in outside_text(body).rstrip("\r\n") else "\n"


def upsert_section(body: str | None, section: str) -> str:
    """``body`` with ``section`` replacing the existing one, or appended.

    ``section`` is what :func:`render_section` returns (``\\n`` line breaks; they
    become ``\\r\\n`` in a body that uses those). Raises :class:`NotesError` for
    duplicated or unbalanced markers and for a result over 125,000 characters.
    """
    if not section.startswith(BEGIN_MARKER) or not section.endswith(END_MARKER):
        raise ValueError("a section starts and ends with the markers")
    if section.count(BEGIN_MARKER) != 1 or section.count(END_MARKER) != 1:
        raise ValueError("a section holds one begin and one end marker")
    text = body or ""
    span = _span(text)
    nl = _newline(text)
    if nl != "\n":
        section = section.replace("\r\n", "\n").replace("\n", nl)
    if span is not None:
        result = text[: span[0]] + section + text[span[1] :]
    elif not text:
        result = section
    else:
        sep = nl if text.endswith("\n") else nl + nl
        result = text + sep + section
    if len(result) > MAX_BODY_CHARS:
        raise NotesError(
            f"the release notes with the backfill section would be {len(result)} characters, "
            f"over GitHub's limit of {MAX_BODY_CHARS}",
            remediation="shorten the release notes, or sign fewer assets per release",
        )
    return result


def section_budget(body: str | None) -> int:
    """Characters left for the section in ``body`` (separator and CRLFs allowed for)."""
    text = outside_text(body)
    left = MAX_BODY_CHARS - len(text) - 4
    if _newline(body) == "\r\n":  # every line of the section gains a character
        left = left * 19 // 20 - 40
    return max(left, 0)


def _fence(text: str) -> str:
    longest = run = 0
    for ch in text:
        run = run + 1 if ch == "`" else 0
        longest = max(longest, run)
    return "`" * max(3, longest + 1)


def render_section(
    *,
    repository: str,
    tag: str,
    bundles: Sequence[NotesBundle],
    identity: CertificateFacts,
    attestation: NotesBundle | None = None,
    max_chars: int = MAX_BODY_CHARS,
    bundle_release: str | None = None,
    api: bool = False,
) -> str:
    """The marked section: bundle list, then ``chainkit verify`` and ``sigstore`` commands.

    ``api``: the release's assets are attested with GitHub's attestations API too
    (``--home both``): the ``gh attestation verify`` command is added.

    ``identity`` is who signed: the commands pin its identity, issuer and source
    repository. ``bundle_release``: the tag of the release holding the bundles (an
    immutable release's), which ``chainkit verify`` is told with ``--bundle-release``.
    If the list does not fit in ``max_chars`` it is cut with a pointer to
    the release's assets; if not even the commands fit, :class:`NotesError`.
    """
    q = shlex.quote
    cert_identity = identity.identity or ""
    issuer = identity.issuer or ""
    source_repository = identity.source_repository or ""
    chainkit_cmd = (
        f"chainkit verify --repo {q(repository)} --tag {q(tag)} "
        + (f"--bundle-release {q(bundle_release)} " if bundle_release is not None else "")
        + f"--cert-identity {q(cert_identity)} "
        f"--cert-oidc-issuer {q(issuer)} "
        f"--source-repository {q(source_repository)}"
    )
    # an example whose name is one plain line and cannot close the section early (names
    # may hold anything); file names are never options (``./-x``)
    shown = _example([b.asset_name for b in bundles])
    example = next((b for b in bundles if b.asset_name == shown), None)
    commands = [chainkit_cmd]
    if example is not None:
        commands.append(
            f"sigstore verify identity --bundle {_file_arg(example.bundle_name)} "
            f"--cert-identity {q(cert_identity)} "
            f"--cert-oidc-issuer {q(issuer)} {_file_arg(example.asset_name)}"
        )
        if issuer == GITHUB_ISSUER:
            commands.append(
                f"sigstore verify github --bundle {_file_arg(example.bundle_name)} "
                f"--cert-identity {q(cert_identity)} "
                f"--repository {q(source_repository)} {_file_arg(example.asset_name)}"
            )
    if api and example is not None:
        commands.append(_gh_command(repository, example.asset_name, cert_identity, issuer))
    block = "\n".join(commands)
    fence = _fence(block)
    head = [
        BEGIN_MARKER,
        "",
        "### Sigstore signatures (backfilled)",
        "",
        "These bundles were made **after** this release was published, over the bytes "
        "already published here, once their sha256 matched the independent evidence "
        "recorded in the backfill attestation. They are not build provenance.",
        "",
    ]
    tail = [
        "",
        f"Signed by {code(cert_identity)} (issuer {code(issuer)}, "
        f"source repository {code(source_repository)}). "
        "Verify (the `sigstore` command checks one asset; `chainkit verify` also checks the "
        "source repository and the attestation):",
        "",
        fence + "sh",
        block,
        fence,
        "",
        END_MARKER,
    ]
    items = [f"- {link(b.asset_name, b.bundle_url)} ({code(b.bundle_name)})" for b in bundles]
    if attestation is not None:
        items.append(
            f"- backfill attestation: {link(attestation.bundle_name, attestation.bundle_url)}"
        )

    def assemble(shown: Sequence[str], cut: int) -> str:
        lines = [*head, *shown]
        if cut:
            lines.append(f"- ... and {cut} more: see this release's assets (`*.sigstore.json`)")
        return "\n".join([*lines, *tail])

    text = assemble(items, 0)
    if len(text) <= max_chars:
        return text
    low, high = 0, len(items)
    while low < high:  # the most items that still fit
        mid = (low + high + 1) // 2
        if len(assemble(items[:mid], len(items) - mid)) <= max_chars:
            low = mid
        else:
            high = mid - 1
    text = assemble(items[:low], len(items) - low)
    if len(text) > max_chars:
        raise NotesError(
            f"the backfill section needs at least {len(text)} characters, "
            f"but only {max_chars} are left in the release notes",
            remediation="shorten the release notes (GitHub allows 125,000 characters)",
        )
    return text


def _file_arg(name: str) -> str:
    """``name`` as a shell word naming a file in the current directory: quoted, and
    ``./``-prefixed when it starts with ``-`` (never an option)."""
    return shlex.quote(f"./{name}" if name.startswith("-") else name)


def _example(names: Sequence[str]) -> str | None:
    """The first name safe to show in a command: printable (no line breaks or controls),
    and unable to close the section early. ``None`` when no name is."""
    return next((n for n in names if n.isprintable() and "<!--" not in n and "-->" not in n), None)


def _gh_command(repository: str, asset_name: str, cert_identity: str, issuer: str) -> str:
    q = shlex.quote
    return (
        f"gh attestation verify --repo {q(repository)} "
        f"--predicate-type {q(PREDICATE_TYPE)} --cert-identity {q(cert_identity)} "
        f"--cert-oidc-issuer {q(issuer)} {_file_arg(asset_name)}"
    )


def render_api_section(
    *,
    repository: str,
    tag: str,
    assets: Sequence[str],
    identity: CertificateFacts,
    max_chars: int = MAX_BODY_CHARS,
) -> str:
    """The marked section for ``--home attestations``: the attestations live in GitHub's
    artifact attestations API (found by each asset's sha256), not on the release; the
    ``chainkit verify`` and ``gh attestation verify`` commands that check them."""
    q = shlex.quote
    cert_identity = identity.identity or ""
    issuer = identity.issuer or ""
    source_repository = identity.source_repository or ""
    commands = [
        f"chainkit verify --repo {q(repository)} --tag {q(tag)} --home attestations "
        f"--cert-identity {q(cert_identity)} --cert-oidc-issuer {q(issuer)} "
        f"--source-repository {q(source_repository)}"
    ]
    example = _example(assets)
    if example is not None:
        commands.append(_gh_command(repository, example, cert_identity, issuer))
    block = "\n".join(commands)
    fence = _fence(block)
    text = "\n".join(
        [
            BEGIN_MARKER,
            "",
            "### Sigstore attestation (backfilled)",
            "",
            f"The {len(assets)} asset(s) of this release are attested in GitHub's artifact "
            f"attestations API (predicate type {code(PREDICATE_TYPE)}), found by each "
            "asset's sha256. The attestation was made **after** this release was published, "
            "over the bytes already published here, once their sha256 matched the "
            "independent evidence it records. It is not build provenance.",
            "",
            f"Signed by {code(cert_identity)} (issuer {code(issuer)}, "
            f"source repository {code(source_repository)}). Verify:",
            "",
            fence + "sh",
            block,
            fence,
            "",
            END_MARKER,
        ]
    )
    if len(text) > max_chars:
        raise NotesError(
            f"the backfill section needs {len(text)} characters, "
            f"but only {max_chars} are left in the release notes",
            remediation="shorten the release notes (GitHub allows 125,000 characters)",
        )
    return text

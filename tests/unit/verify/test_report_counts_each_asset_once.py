"""VerifyReport: each asset counted once by its result; PASSED only when nothing failed and
nothing unsigned is disallowed; the Markdown summary keeps one four-cell row per result
whatever the names say (the one escaper)."""

from __future__ import annotations

import re

from hypothesis import example, given
from hypothesis import strategies as st

from chainkit.verify import AttestationResult, BundleResult, BundleStatus, VerifyReport


def row(subject: str, status: BundleStatus, *, ok: bool) -> BundleResult:
    return BundleResult(
        subject=subject, bundle=None, release="v1", sha256=None, ok=ok, status=status
    )


def test_an_unsigned_asset_is_counted_once_and_fails_the_report() -> None:
    report = VerifyReport()
    report.add(row("a.whl", "verified", ok=True))
    report.add(row("b.whl", "unsigned", ok=False))
    report.add(AttestationResult(release="v1", name="att", ok=False, reason="x"))
    assert report.counts() == {"verified": 1, "failed": 1, "unsigned": 1, "attestations": 0}
    assert not report.ok
    assert report.summary_line() == "FAILED: 1 verified, 1 failed, 1 unsigned, 0 attestations"


def test_allowed_unsigned_assets_pass_but_stay_visible() -> None:
    report = VerifyReport()
    report.add(row("a.whl", "unsigned", ok=True))
    assert report.ok and not report.empty
    # allowed, but nothing was verified: never "PASSED"
    assert report.summary_line() == (
        "NOTHING VERIFIED: 0 verified, 0 failed, 1 unsigned, 0 attestations"
    )


@given(st.text(max_size=40))
@example("a | b\n| c | d |")
@example("<img src=x onerror=alert(1)>")
@example("`code` **bold** [link](http://x)")
@example("\r\n- item")
def test_markdown_keeps_one_row_of_four_cells_per_result(name: str) -> None:
    report = VerifyReport()
    report.add(row(name, "unsigned", ok=False))
    report.add(AttestationResult(release=name, name=name, ok=False, reason=name))
    lines = report.to_markdown().splitlines()
    table = [line for line in lines if line.startswith("| ")]
    assert len(table) == 2 + 2  # header, separator, one row per result
    for line in table[2:]:
        assert len(re.findall(r"(?<!\\)\|", line)) == 5
        assert not re.search(r"(?<!\\)[<>`\[\]]", line)

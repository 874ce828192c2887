"""$GITHUB_OUTPUT/$GITHUB_ENV/$GITHUB_PATH parsing and workflow commands on stdout."""

from __future__ import annotations

import pytest

from chainkit.workflow._commands import CommandReader, Masks
from chainkit.workflow._files import FileCommandError, parse_key_values, parse_paths


def test_multi_line_values_keep_their_lines_and_order() -> None:
    text = "a=1\nmulti<<EOF_x\nline one\n\nline=three\nEOF_x\nb=x=y\n"
    parsed = parse_key_values(text, what="GITHUB_OUTPUT")
    assert parsed.values == (("a", "1"), ("multi", "line one\n\nline=three"), ("b", "x=y"))


def test_a_missing_delimiter_fails_the_step() -> None:
    with pytest.raises(FileCommandError, match="delimiter not found"):
        parse_key_values("v<<END\nno end here\n", what="GITHUB_OUTPUT")


def test_a_line_without_equals_is_refused() -> None:
    with pytest.raises(FileCommandError, match="NAME=VALUE"):
        parse_key_values("just text\n", what="GITHUB_ENV", env=True)


def test_node_options_is_refused_in_github_env_only() -> None:
    env = parse_key_values("NODE_OPTIONS=--require x\nOK=1\n", what="GITHUB_ENV", env=True)
    assert env.values == (("OK", "1"),)
    assert "NODE_OPTIONS" in env.warnings[0]
    out = parse_key_values("NODE_OPTIONS=x\n", what="GITHUB_OUTPUT")
    assert out.values == (("NODE_OPTIONS", "x"),)


def test_paths_skip_empty_lines_only() -> None:
    assert parse_paths("/a\n\n  /b  \r\n/c\r/d\n") == ["/a", "  /b  ", "/c", "/d"]


def test_key_values_split_on_lf_only() -> None:
    text = "msg=hello\rinjected=1\nu=x\u2028y=2\nv=a\x0bb=3\x1cq=4\x85z=5\n"
    pairs = dict(parse_key_values(text, what="GITHUB_OUTPUT").values)
    assert pairs == {"msg": "hello\rinjected=1", "u": "x\u2028y=2", "v": "a\x0bb=3\x1cq=4\x85z=5"}
    crlf = parse_key_values("k<<EOF\r\nbody\r\nEOF\r\n", what="GITHUB_ENV", env=True)
    assert crlf.values == (("k", "body\r"),)  # the delimiter is "EOF\r", as on GitHub
    with pytest.raises(FileCommandError, match="delimiter"):  # "EOF\r" never closes "EOF"
        parse_key_values("k<<EOF\nbody\nEOF\r\n", what="GITHUB_ENV", env=True)
    with pytest.raises(FileCommandError):  # whitespace-only lines are invalid, as on GitHub
        parse_key_values("a=1\n  \n", what="GITHUB_ENV", env=True)


def test_add_mask_hides_values_and_stop_commands_suspends_processing() -> None:
    masks = Masks()
    reader = CommandReader(masks)
    assert reader.read("::add-mask::hunter2-long") is None
    assert masks.apply("pw hunter2-long!") == "pw ***!"
    assert reader.read("::stop-commands::tok123") is None
    assert reader.read("::add-mask::not-a-command-now") == "::add-mask::not-a-command-now"
    assert masks.apply("not-a-command-now") == "not-a-command-now"
    assert reader.read("::tok123::") is None
    assert reader.read("::error file=a.py,line=3::bad%0Athing") == "Error: bad\nthing"
    assert reader.annotations[0].properties == (("file", "a.py"), ("line", "3"))


def test_set_output_is_deprecated_and_set_env_refused() -> None:
    reader = CommandReader(Masks())
    reader.read("::set-output name=x::1")
    reader.read("::set-env name=Y::2")
    assert reader.outputs == {"x": "1"}
    assert reader.warnings and reader.errors

"""Reading ``$GITHUB_OUTPUT`` the way the runner does, for the tests."""

from __future__ import annotations


def parse_github_output(text: str) -> dict[str, str]:
    """``$GITHUB_OUTPUT`` read the way the runner reads it (name=value and heredoc forms)."""
    out: dict[str, str] = {}
    lines = text.split("\n")
    i = 0
    while i < len(lines):
        line = lines[i]
        if not line:
            i += 1
            continue
        if "<<" in line and ("=" not in line or line.index("<<") < line.index("=")):
            name, delimiter = line.split("<<", 1)
            j = lines.index(delimiter, i + 1)
            out[name] = "\n".join(lines[i + 1 : j])
            i = j + 1
        else:
            name, value = line.split("=", 1)
            out[name] = value
            i += 1
    return out

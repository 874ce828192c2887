"""What is installed in an interpreter's environment, read *inside* that interpreter.

The probe runs as ``PYTHON -I -c PROBE`` (an argument list, never a shell; ``-I`` keeps the
working directory and ``PYTHON*`` variables out of ``sys.path``) and prints JSON: each
distribution's core metadata fields that an SBOM needs, and the interpreter's marker
environment, so ``Requires-Dist`` markers are evaluated for the target, not for chainkit's
own interpreter. The probe uses only the standard library (Python 3.8+).
"""

from __future__ import annotations

import contextlib
import os
import re
import signal
import subprocess  # the probe runs in the target interpreter (argument lists)  # nosec B404
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from chainkit._internal.strict import DocumentError, load_json
from chainkit.sbom._errors import SbomInputError, SbomToolError

__all__ = ["InstalledDist", "Probed", "probe"]

PROBE = r"""
import hashlib, json, os, platform, sys
from importlib import metadata
FIELDS = ("License-Expression", "License", "Author", "Author-email", "Maintainer",
          "Maintainer-email")
dists = []
for dist in metadata.distributions():
    md = dist.metadata
    entry = {"name": md["Name"], "version": md["Version"]}
    for field in FIELDS:
        entry[field] = md.get(field)
    entry["Classifier"] = md.get_all("Classifier") or []
    entry["Requires-Dist"] = md.get_all("Requires-Dist") or []
    try:
        record = dist.read_text("RECORD")
    except OSError:
        record = None
    if record is not None:
        entry["record_sha256"] = hashlib.sha256(record.encode("utf-8")).hexdigest()
    dists.append(entry)
impl = sys.implementation
iver = "{0.major}.{0.minor}.{0.micro}".format(impl.version)
if impl.version.releaselevel != "final":
    iver += impl.version.releaselevel[0] + str(impl.version.serial)
env = {
    "implementation_name": impl.name,
    "implementation_version": iver,
    "os_name": os.name,
    "platform_machine": platform.machine(),
    "platform_release": platform.release(),
    "platform_system": platform.system(),
    "platform_version": platform.version(),
    "python_full_version": platform.python_version(),
    "platform_python_implementation": platform.python_implementation(),
    "python_version": ".".join(platform.python_version_tuple()[:2]),
    "sys_platform": sys.platform,
}
json.dump({"prefix": sys.prefix, "markers": env, "distributions": dists}, sys.stdout)
"""

_MAX_OUTPUT = 64 * 1024 * 1024
_TIMEOUT = 120


@dataclass(frozen=True)
class InstalledDist:
    """One installed distribution's metadata (strings as the metadata has them)."""

    name: str
    version: str
    license_expression: str | None
    license: str | None
    classifiers: tuple[str, ...]
    author: str | None
    author_email: str | None
    maintainer: str | None
    maintainer_email: str | None
    requires: tuple[str, ...]
    record_sha256: str | None = None
    """SHA-256 of the distribution's ``RECORD`` (which lists a hash of every installed file)."""


@dataclass(frozen=True)
class Probed:
    prefix: str
    markers: dict[str, str]
    distributions: tuple[InstalledDist, ...]


# C0 controls but TAB, LF and CR; DEL; C1 controls: never valid in XML 1.0 (NUL) or
# discouraged there, and terminal escapes where an SBOM is printed
_CONTROLS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
_ANY_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")


def _text(value: Any) -> str | None:
    """A free-text field (licence, people, classifiers) with its control characters removed."""
    return _CONTROLS.sub("", value) if isinstance(value, str) else None


def _texts(value: Any) -> tuple[str, ...]:
    if not isinstance(value, list):
        return ()
    return tuple(_CONTROLS.sub("", v) for v in value if isinstance(v, str))


def _sha256(value: Any) -> str | None:
    if isinstance(value, str) and len(value) == 64 and all(c in "0123456789abcdef" for c in value):
        return value
    return None


def parse_probe(data: Any) -> Probed:
    """The probe's JSON (from an interpreter chainkit does not control: every field checked)."""
    if not isinstance(data, dict) or not isinstance(data.get("distributions"), list):
        raise SbomToolError("the environment probe returned no distribution list")
    markers = data.get("markers")
    marker_env = (
        {k: v for k, v in markers.items() if isinstance(v, str)}
        if isinstance(markers, dict)
        else {}
    )
    dists: list[InstalledDist] = []
    for entry in data["distributions"]:
        if not isinstance(entry, dict):
            continue
        name, version = entry.get("name"), entry.get("version")
        if not isinstance(name, str) or not isinstance(version, str) or not name or not version:
            continue  # a broken .dist-info without Name/Version: nothing to identify
        if _ANY_CONTROL.search(name) or _ANY_CONTROL.search(version):
            # an identity is not repaired (the purl would then name another version than
            # the one installed) nor skipped (the SBOM would hide the distribution)
            from chainkit._internal.output import printable

            raise SbomInputError(
                f"an installed distribution's name or version contains control characters "
                f"({printable(name)} {printable(version)})",
                remediation="reinstall or remove that distribution; its metadata is corrupt "
                "or hostile",
            )
        dists.append(
            InstalledDist(
                name=name,
                version=version,
                license_expression=_text(entry.get("License-Expression")),
                license=_text(entry.get("License")),
                classifiers=_texts(entry.get("Classifier")),
                author=_text(entry.get("Author")),
                author_email=_text(entry.get("Author-email")),
                maintainer=_text(entry.get("Maintainer")),
                maintainer_email=_text(entry.get("Maintainer-email")),
                requires=_texts(entry.get("Requires-Dist")),
                record_sha256=_sha256(entry.get("record_sha256")),
            )
        )
    return Probed(str(data.get("prefix", "")), marker_env, tuple(dists))


def _kill(process: subprocess.Popen[bytes]) -> None:
    """Kill ``process`` and everything it started (its own process group on POSIX)."""
    if os.name == "posix":
        with contextlib.suppress(ProcessLookupError, PermissionError):  # already gone
            os.killpg(process.pid, signal.SIGKILL)
    else:  # pragma: no cover - Windows
        process.kill()


def _run_bounded(command: list[str]) -> tuple[int, bytes]:
    """Exit status and stdout of ``command``: at most ``_MAX_OUTPUT + 1`` bytes are read, and
    the process group is killed beyond that or after ``_TIMEOUT`` seconds
    (:class:`SbomToolError`)."""
    process = subprocess.Popen(  # noqa: S603 - an argument list, the user's interpreter  # nosec B603
        command,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        start_new_session=os.name == "posix",
    )
    stream = process.stdout
    if stream is None:  # pragma: no cover - stdout=PIPE always gives one
        _kill(process)
        raise SbomToolError(f"{command[0]}: no output pipe")
    chunks: list[bytes] = []
    size = [0]

    def read() -> None:
        while size[0] <= _MAX_OUTPUT:
            chunk = stream.read(min(1 << 20, _MAX_OUTPUT + 1 - size[0]))
            if not chunk:
                return
            chunks.append(chunk)
            size[0] += len(chunk)

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    reader.join(_TIMEOUT)
    timed_out = reader.is_alive()
    if timed_out or size[0] > _MAX_OUTPUT:
        _kill(process)
        reader.join()
        process.wait()
        if timed_out:
            raise SbomToolError(f"{command[0]}: the environment probe took over {_TIMEOUT} s")
        raise SbomToolError(
            f"{command[0]}: the environment listing is larger than {_MAX_OUTPUT} bytes"
        )
    try:
        code = process.wait(timeout=_TIMEOUT)
    except subprocess.TimeoutExpired:  # closed its output but keeps running
        _kill(process)
        process.wait()
        raise SbomToolError(f"{command[0]}: the environment probe took over {_TIMEOUT} s") from None
    finally:
        stream.close()
    return code, b"".join(chunks)


def probe(python: Path) -> Probed:
    """The distributions installed for ``python`` (an interpreter path)."""
    try:
        code, stdout = _run_bounded([str(python), "-I", "-c", PROBE])
    except FileNotFoundError:
        raise SbomInputError(
            f"no interpreter at {python}",
            remediation="pass the path of a Python interpreter (e.g. .venv/bin/python)",
        ) from None
    except PermissionError:
        raise SbomInputError(
            f"{python} is not executable", remediation="pass a Python interpreter"
        ) from None
    except OSError as exc:
        raise SbomToolError(f"could not run {python}: {type(exc).__name__}") from None
    if code != 0:
        raise SbomInputError(
            f"{python} could not list its distributions (exit {code})",
            remediation="pass a Python 3.8+ interpreter",
        )
    try:
        data = load_json(stdout, source="environment probe", max_bytes=_MAX_OUTPUT)
    except DocumentError as exc:
        raise SbomToolError(f"{python}: unreadable environment listing: {exc}") from None
    return parse_probe(data)

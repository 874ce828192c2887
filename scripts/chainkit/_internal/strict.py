"""One strict reader for the documents chainkit owns (plans, seeds, policies).

A document chainkit reads back may have been written by anyone. Reading is strict:
duplicate keys, unknown keys, missing keys and wrong types are errors naming the
place (``plan.releases[3].assets[0].sha256``). The keys an object may have come from
the dataclass it becomes (:meth:`Obj.of`), so a field list is written once.

YAML is read with :func:`load_yaml`: the safe loader, no aliases (an alias bomb is
refused, not expanded), duplicate keys refused, and limits on size and depth.
"""

from __future__ import annotations

import dataclasses
import json
import math
import re
from collections.abc import Callable, Collection, Mapping, Sequence
from datetime import datetime, timezone
from typing import Any, TypeVar, cast

__all__ = [
    "DocumentError",
    "Obj",
    "dataclass_keys",
    "load_json",
    "load_yaml",
]

_T = TypeVar("_T")

MAX_DOCUMENT_BYTES = 16 * 1024 * 1024
MAX_DEPTH = 64
MAX_INT_DIGITS = 30


class DocumentError(ValueError):
    """A document is not of its expected form. ``where`` names the place."""

    def __init__(self, where: str, message: str) -> None:
        super().__init__(f"{where}: {message}" if where else message)
        self.where = where
        self.detail = message


def dataclass_keys(
    cls: type[Any], *, rename: Mapping[str, str] | None = None, skip: Collection[str] = ()
) -> tuple[str, ...]:
    """The document keys of a dataclass: its field names, renamed where the format differs."""
    names = rename or {}
    return tuple(names.get(f.name, f.name) for f in dataclasses.fields(cls) if f.name not in skip)


def _depth_check(value: Any, where: str, depth: int = 0) -> None:
    if depth > MAX_DEPTH:
        raise DocumentError(where, f"nested deeper than {MAX_DEPTH} levels")
    if isinstance(value, Mapping):
        for v in value.values():
            _depth_check(v, where, depth + 1)
    elif isinstance(value, list):
        for v in value:
            _depth_check(v, where, depth + 1)


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in pairs:
        if key in out:
            raise DocumentError("", f"duplicate key {key!r}")
        out[key] = value
    return out


def load_json(text: str | bytes, *, source: str, max_bytes: int = MAX_DOCUMENT_BYTES) -> Any:
    """Parse JSON, refusing duplicate keys, non-finite numbers and oversized documents."""
    if len(text) > max_bytes:
        raise DocumentError(source, f"larger than {max_bytes} bytes")

    def no_constant(name: str) -> Any:
        raise DocumentError(source, f"{name} is not JSON")

    def finite(literal: str) -> float:
        value = float(literal)
        if not math.isfinite(value):
            raise DocumentError(source, f"the number {literal[:20]} is out of range")
        return value

    def bounded_int(literal: str) -> int:
        if len(literal.lstrip("-")) > MAX_INT_DIGITS:
            raise DocumentError(source, f"an integer of more than {MAX_INT_DIGITS} digits")
        return int(literal)

    try:
        data = json.loads(
            text,
            object_pairs_hook=_no_duplicates,
            parse_constant=no_constant,
            parse_float=finite,
            parse_int=bounded_int,
        )
    except DocumentError as exc:
        raise DocumentError(source, exc.detail) from None
    except (ValueError, RecursionError) as exc:
        raise DocumentError(source, f"not valid JSON: {exc}") from None
    _depth_check(data, source)
    return data


def load_yaml(text: str | bytes, *, source: str, max_bytes: int = MAX_DOCUMENT_BYTES) -> Any:
    """Parse one YAML document safely: no tags, no aliases, no duplicate keys, bounded size."""
    import yaml

    if len(text) > max_bytes:
        raise DocumentError(source, f"larger than {max_bytes} bytes")

    class _Loader(yaml.SafeLoader):
        def compose_node(self, parent: Any, index: Any) -> Any:
            if self.check_event(yaml.AliasEvent):
                event = self.peek_event()  # type: ignore[no-untyped-call]
                raise DocumentError(
                    source, f"YAML aliases are not accepted (line {event.start_mark.line + 1})"
                )
            return super().compose_node(parent, index)

        def construct_mapping(self, node: Any, deep: bool = False) -> Any:
            seen: set[Any] = set()
            for key_node, _ in node.value:
                key = self.construct_object(key_node, deep=deep)
                if isinstance(key, (str, int, float, bool)) or key is None:
                    if key in seen:
                        raise DocumentError(
                            source,
                            f"duplicate key {key!r} (line {key_node.start_mark.line + 1})",
                        )
                    seen.add(key)
            return super().construct_mapping(node, deep=deep)

    try:
        data = yaml.load(text, Loader=_Loader)  # noqa: S506 - _Loader derives from SafeLoader  # nosec B506
    except DocumentError:
        raise
    except (yaml.YAMLError, RecursionError) as exc:
        raise DocumentError(source, f"not valid YAML: {exc}") from None
    except ValueError as exc:  # e.g. an integer too long to convert
        raise DocumentError(source, f"not valid YAML: {str(exc)[:120]}") from None
    _depth_check(data, source)
    _numbers_check(data, source)
    return data


def _numbers_check(value: Any, where: str) -> None:
    """Refuse NaN, infinities and integers longer than :data:`MAX_INT_DIGITS` digits."""
    if isinstance(value, Mapping):
        for k, v in value.items():
            _numbers_check(k, where)
            _numbers_check(v, where)
    elif isinstance(value, list):
        for v in value:
            _numbers_check(v, where)
    elif isinstance(value, float) and not math.isfinite(value):
        raise DocumentError(where, f"the number {value} is not accepted")
    elif (
        isinstance(value, int) and not isinstance(value, bool) and abs(value) >= 10**MAX_INT_DIGITS
    ):
        raise DocumentError(where, f"an integer of more than {MAX_INT_DIGITS} digits")


_TIME_RE = re.compile(r"\A[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z\Z")


def _same_kind(value: Any, choice: Any) -> bool:
    """Whether ``value`` is of ``choice``'s type (strings of any ``str`` subclass match)."""
    if isinstance(value, str) and isinstance(choice, str):
        return True
    return type(value) is type(choice)


class Obj:
    """Typed access to one object of a document, refusing missing, unknown and mistyped keys.

    ``error`` turns a :class:`DocumentError` into the boundary's own error (for example
    ``PlanError`` with its remediation), so each boundary keeps one exception base.
    """

    def __init__(
        self,
        data: Any,
        where: str,
        keys: Sequence[str],
        *,
        error: Callable[[DocumentError], Exception],
        optional: Collection[str] = (),
    ) -> None:
        self.error = error
        self.where = where
        if not isinstance(data, Mapping):
            raise error(DocumentError(where, "must be an object"))
        unknown = sorted(str(k) for k in set(data) - set(keys))
        missing = [k for k in keys if k not in data and k not in optional]
        if unknown or missing:
            parts = []
            if unknown:
                parts.append("unknown " + ", ".join(map(repr, unknown)))
            if missing:
                parts.append("missing " + ", ".join(map(repr, missing)))
            raise error(DocumentError(where, f"wrong keys ({'; '.join(parts)})"))
        self.data: Mapping[str, Any] = data

    @classmethod
    def of(
        cls,
        data: Any,
        where: str,
        schema: type[Any],
        *,
        error: Callable[[DocumentError], Exception],
        rename: Mapping[str, str] | None = None,
        skip: Collection[str] = (),
        extra: Sequence[str] = (),
        optional: Collection[str] = (),
    ) -> Obj:
        """An :class:`Obj` whose keys are the fields of the dataclass ``schema``."""
        keys = (*dataclass_keys(schema, rename=rename, skip=skip), *extra)
        return cls(data, where, keys, error=error, optional=optional)

    def has(self, key: str) -> bool:
        return key in self.data

    def fail(self, key: str, expected: str) -> Exception:
        shown = repr(self.data.get(key))
        if len(shown) > 80:
            shown = shown[:77] + "..."
        return self.error(DocumentError(f"{self.where}.{key}", f"must be {expected}, not {shown}"))

    def raw(self, key: str, default: Any = None) -> Any:
        return self.data.get(key, default)

    def text(
        self,
        key: str,
        *,
        optional: bool = False,
        pattern: re.Pattern[str] | None = None,
        max_len: int | None = None,
    ) -> Any:
        value = self.data.get(key)
        if value is None and optional:
            return None
        if not isinstance(value, str) or (pattern is not None and not pattern.fullmatch(value)):
            raise self.fail(key, "a string" + (" of the right form" if pattern else ""))
        if max_len is not None and len(value) > max_len:
            raise self.fail(key, f"at most {max_len} characters")
        return value

    def integer(self, key: str, *, optional: bool = False, minimum: int = 0) -> Any:
        value = self.data.get(key)
        if value is None and optional:
            return None
        if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
            raise self.fail(key, f"an integer of at least {minimum}")
        return value

    def flag(self, key: str, *, default: bool | None = None) -> bool:
        if key not in self.data and default is not None:
            return default
        value = self.data.get(key)
        if not isinstance(value, bool):
            raise self.fail(key, "true or false")
        return value

    def time(self, key: str, *, optional: bool = False) -> datetime | None:
        value = self.text(key, optional=optional, pattern=_TIME_RE)
        if value is None:
            return None
        try:
            parsed = datetime.strptime(value, "%Y-%m-%dT%H:%M:%SZ")
        except ValueError:
            raise self.fail(key, "a real UTC time (YYYY-MM-DDTHH:MM:SSZ)") from None
        return parsed.replace(tzinfo=timezone.utc)

    def choice(self, key: str, choices: Sequence[_T]) -> _T:
        """The value at ``key``, equal to one of ``choices`` *and of its type*: ``true`` or
        ``1.0`` is not the version ``1`` (Python's ``True == 1 == 1.0``)."""
        value = self.data.get(key)
        if not any(_same_kind(value, c) and value == c for c in choices):
            raise self.fail(key, "one of " + ", ".join(map(str, choices)))
        return cast(_T, value)

    def items(self, key: str, item: Callable[[Any, str], _T]) -> tuple[_T, ...]:
        value = self.data.get(key)
        if not isinstance(value, list):
            raise self.fail(key, "a list")
        return tuple(item(v, f"{self.where}.{key}[{i}]") for i, v in enumerate(value))

    def texts(self, key: str) -> tuple[str, ...]:
        def one(v: Any, where: str) -> str:
            if not isinstance(v, str):
                raise self.error(DocumentError(where, "must be a string"))
            return v

        return self.items(key, one)

    def obj(self, key: str, keys: Sequence[str], *, optional: Collection[str] = ()) -> Obj:
        return Obj(
            self.data.get(key), f"{self.where}.{key}", keys, error=self.error, optional=optional
        )

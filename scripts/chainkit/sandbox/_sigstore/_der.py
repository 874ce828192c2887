"""Just enough DER to write RFC 3161 replies and X.509 extension values, and to read queries."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone

__all__ = [
    "TLV",
    "boolean",
    "context",
    "generalized_time",
    "integer",
    "null",
    "octet_string",
    "oid",
    "parse",
    "parse_all",
    "sequence",
    "set_of",
    "tlv",
    "utf8_string",
]


def _length(n: int) -> bytes:
    if n < 0x80:
        return bytes([n])
    body = n.to_bytes((n.bit_length() + 7) // 8, "big")
    return bytes([0x80 | len(body)]) + body


def tlv(tag: int, content: bytes) -> bytes:
    """One DER element with a one-byte tag."""
    return bytes([tag]) + _length(len(content)) + content


def sequence(*items: bytes) -> bytes:
    return tlv(0x30, b"".join(items))


def set_of(*items: bytes) -> bytes:
    """A DER SET OF: elements sorted by their encodings."""
    return tlv(0x31, b"".join(sorted(items)))


def integer(value: int) -> bytes:
    """A non-negative INTEGER, minimally encoded."""
    if value < 0:
        raise ValueError("negative integers are not needed here")
    return tlv(0x02, value.to_bytes(value.bit_length() // 8 + 1, "big"))


def boolean(value: bool) -> bytes:
    return tlv(0x01, b"\xff" if value else b"\x00")


def null() -> bytes:
    return b"\x05\x00"


def octet_string(value: bytes) -> bytes:
    return tlv(0x04, value)


def utf8_string(value: str) -> bytes:
    return tlv(0x0C, value.encode("utf-8"))


def oid(dotted: str) -> bytes:
    arcs = [int(a) for a in dotted.split(".")]
    body = bytearray([arcs[0] * 40 + arcs[1]])
    for arc in arcs[2:]:
        chunk = [arc & 0x7F]
        arc >>= 7
        while arc:
            chunk.append(0x80 | (arc & 0x7F))
            arc >>= 7
        body.extend(reversed(chunk))
    return tlv(0x06, bytes(body))


def generalized_time(when: datetime) -> bytes:
    """GeneralizedTime in whole seconds (``YYYYMMDDHHMMSSZ``), as sigstore-js requires."""
    return tlv(0x18, when.astimezone(timezone.utc).strftime("%Y%m%d%H%M%SZ").encode())


def context(number: int, content: bytes, *, constructed: bool = True) -> bytes:
    """A context-specific tag ``[number]`` around ``content`` (explicit when constructed)."""
    return tlv((0xA0 if constructed else 0x80) | number, content)


@dataclass(frozen=True)
class TLV:
    """One parsed element: its tag byte, its content and its whole encoding."""

    tag: int
    content: bytes
    raw: bytes

    def children(self) -> list[TLV]:
        return parse_all(self.content)


def parse(data: bytes, offset: int = 0) -> tuple[TLV, int]:
    """Parse the element at ``offset``; return it and the offset after it."""
    try:
        tag = data[offset]
        if tag & 0x1F == 0x1F:
            raise ValueError("multi-byte tags are not supported")
        first = data[offset + 1]
        pos = offset + 2
        if first < 0x80:
            length = first
        else:
            count = first & 0x7F
            if count == 0 or count > 4:
                raise ValueError("unsupported length encoding")
            length = int.from_bytes(data[pos : pos + count], "big")
            pos += count
    except IndexError as exc:
        raise ValueError("truncated DER") from exc
    end = pos + length
    if end > len(data):
        raise ValueError("truncated DER")
    return TLV(tag, data[pos:end], data[offset:end]), end


def parse_all(data: bytes) -> list[TLV]:
    items: list[TLV] = []
    offset = 0
    while offset < len(data):
        item, offset = parse(data, offset)
        items.append(item)
    return items

"""Pagination of list responses: ``page``/``per_page`` with GitHub's ``Link`` header.

``per_page`` defaults to 30 and is capped at 100 silently; ``page`` defaults to 1. The
``Link`` header lists ``prev``, ``next``, ``last``, ``first`` in that order, with
``per_page`` repeated only when the request gave it (see docs/sandbox.md).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from chainkit.sandbox._github._exchange import Response

__all__ = ["Page", "page_of", "paged", "paginate", "per_page"]

_T = TypeVar("_T")

DEFAULT_PER_PAGE = 30
MAX_PER_PAGE = 100


@dataclass(frozen=True)
class Page:
    items: list[Any]
    page: int
    last: int
    per_page: int
    explicit_per_page: bool


def _number(q: Mapping[str, list[str]], name: str, default: int) -> int:
    raw = (q.get(name) or [""])[-1]
    return int(raw) if raw.isdigit() and len(raw) < 19 and int(raw) > 0 else default


def per_page(q: Mapping[str, list[str]]) -> tuple[int, bool]:
    """(per_page, whether the request gave it)."""
    explicit = bool((q.get("per_page") or [""])[-1].isdigit())
    return min(_number(q, "per_page", DEFAULT_PER_PAGE), MAX_PER_PAGE), explicit


def page_of(rows: Sequence[_T], q: Mapping[str, list[str]]) -> Page:
    size, explicit = per_page(q)
    page = _number(q, "page", 1)
    last = max(1, math.ceil(len(rows) / size))
    start = (page - 1) * size
    return Page(list(rows[start : start + size]), page, last, size, explicit)


def link_header(page: Page, link_base: str) -> str | None:
    if page.last <= 1 or page.page > page.last:
        return None
    pp = f"per_page={page.per_page}&" if page.explicit_per_page else ""

    def link(n: int, rel: str) -> str:
        return f'<{link_base}?{pp}page={n}>; rel="{rel}"'

    links = []
    if page.page > 1:
        links.append(link(page.page - 1, "prev"))
    if page.page < page.last:
        links.append(link(page.page + 1, "next"))
        links.append(link(page.last, "last"))
    if page.page > 1:
        links.append(link(1, "first"))
    return ", ".join(links)


def paged(body: Any, page: Page, link_base: str) -> Response:
    """A ``200`` with ``body`` (the page's items, rendered) and the ``Link`` header."""
    resp = Response(200, body)
    link = link_header(page, link_base)
    if link:
        resp.headers["link"] = link
    return resp


def paginate(rows: Sequence[Any], q: Mapping[str, list[str]], link_base: str) -> Response:
    page = page_of(rows, q)
    return paged(page.items, page, link_base)

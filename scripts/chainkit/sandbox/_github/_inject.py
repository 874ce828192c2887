"""How the GitHub stand-in applies a seeded fault rule (``chainkit.sandbox._fault_plan``).

Dispatch asks the plan about every API request (admin requests excepted); when a rule
with an effect fires, :func:`inject` answers instead of, or on top of, the operation:

- ``status``: the error answer, nothing done (``{"message": "sandbox fault: ..."}``);
- ``secondary_limit``: ``403`` with GitHub's content-creation message, ``retry-after`` if
  the rule gives one, no ``x-ratelimit-*`` headers (BEHAVIOR.md section 11);
- ``primary_exhausted``: ``403`` "API rate limit exceeded", ``x-ratelimit-remaining: 0``
  and a reset ``retry_after`` seconds away (default 60; section 7);
- ``starter_then_502``: an upload is performed, then its asset is emptied and left in state
  ``starter`` and the answer is ``502`` (section 3); other requests just get the ``502``;
- ``cut_body_after_bytes``: a request with a body (an upload) is read that far and the
  connection is closed without an answer; otherwise the operation runs and its answer is
  cut after that many body bytes (the headers promise the full length).
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

from chainkit.sandbox._fault_plan import FaultRule
from chainkit.sandbox._github._exchange import Response, error
from chainkit.sandbox._github._limits import MESSAGES, SECONDARY_DOC_URL
from chainkit.sandbox._github._ratelimit import exceeded_message

if TYPE_CHECKING:
    from chainkit.sandbox._github._dispatch import Handler

__all__ = ["SECONDARY_LIMIT_MESSAGE", "inject"]

SECONDARY_LIMIT_MESSAGE = MESSAGES["content-creation"]


def _starter(h: Handler, resp: Response) -> None:
    """Empty the asset an upload just created and leave it in state ``starter``."""
    asset_id = resp.body.get("id") if isinstance(resp.body, dict) else None
    if resp.status != 201 or not isinstance(asset_id, int):
        return
    tmp = h.store.new_tmp()
    tmp.write_bytes(b"")
    empty = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
    h.store.replace_content(asset_id, tmp, 0, empty, digest="keep")
    h.store.update_asset(asset_id, {"state": "starter"})


def inject(
    h: Handler,
    rule: FaultRule,
    request: tuple[str, str, dict[str, Any], str, str, int | None],
) -> None:
    """Answer one request according to ``rule`` (``request``: dispatch's routed request)."""
    method, kind, target, raw_path, query, length = request
    effect = rule.effect
    if effect == "cut_body":
        cut = rule.cut_body_after_bytes or 0
        if length:  # an upload or another body: read part of it, then hang up
            h.rfile.read(min(cut, length))
            h.close_connection = True
            h.log_fault(method, raw_path, query, kind, effect, bytes_in=min(cut, length))
            return
        resp = h._api(method, kind, target, raw_path, query, length)
        h.drain()
        h.cut_after = cut
        h._finish(method, raw_path, query, kind, resp, fault=True, fault_kind=effect)
        return
    if effect == "starter_then_502":
        resp = h._api(method, kind, target, raw_path, query, length)
        h.drain()
        if kind == "upload":
            _starter(h, resp)
        h._finish(method, raw_path, query, kind, error(502, "Bad Gateway", kind), fault=True,
                  fault_kind=effect)  # fmt: skip
        return
    h.drain()
    caller = h._caller() or h._anonymous()
    if effect == "secondary_limit":
        body = {"documentation_url": SECONDARY_DOC_URL, "message": SECONDARY_LIMIT_MESSAGE}
        resp = Response(403, body)
        if rule.retry_after is not None:
            resp.headers["retry-after"] = str(rule.retry_after)
    elif effect == "primary_exhausted":
        who = "this token" if caller.authenticated else h.client_address[0]
        resp = error(403, exceeded_message(who), kind)
        h._rate_headers(resp, caller, consume=False)
        reset = int(time.time()) + (60 if rule.retry_after is None else rule.retry_after)
        resp.headers["x-ratelimit-remaining"] = "0"
        resp.headers["x-ratelimit-used"] = resp.headers.get("x-ratelimit-limit", "0")
        resp.headers["x-ratelimit-reset"] = str(reset)
    else:
        resp = error(rule.status or 500, f"sandbox fault: {rule.status}", kind)
    h._finish(method, raw_path, query, kind, resp, fault=True, fault_kind=effect)

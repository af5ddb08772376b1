"""What a decision is: the ``Decision`` value, the one way to make it, and the answers a policy builds once.

    >>> from cors_wsgi.answers import Decision
    >>> d = Decision("actual", False, None, (), ("Origin",))
    >>> d.added_headers
    (('Vary', 'Origin'),)

Below both ``decision`` (which decides) and ``policy`` (whose compiled form holds ``ConstantActuals``): a
policy builds its constant answers with this module, and the decision returns them.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, Literal, NamedTuple

from . import refusals as codes
from .headers import merge_headers
from .headers import vary_header as vary_header_of
from .refusals import Refusal

_REFUSED_CONTENT_TYPE = ("Content-Type", "text/plain; charset=utf-8")


class _Fields(NamedTuple):
    kind: Literal["preflight", "actual"]
    allowed: bool
    status: int | None  # preflight: 204 or 403; actual: None (the app decides)
    headers: tuple[tuple[str, str], ...]  # the Access-Control-* headers to send
    vary: tuple[str, ...]  # tokens to merge into Vary
    body: bytes  # preflight: what the middleware sends (403: a short text)
    refusals: tuple[Refusal, ...]  # why it was refused, as codes
    # What the middleware sends, derived from the fields above: a preflight's every header; an actual
    # response's Access-Control-* headers, then Vary (merged with the application's).
    added_headers: tuple[tuple[str, str], ...]


class Decision(_Fields):
    """The whole answer to one request. Immutable; refusals are codes, never text.

    ``added_headers`` is derived, never given: ``Decision(kind, allowed, status, headers, vary, body,
    refusals)``, ``_make`` and ``_replace`` all compute it from the other fields.
    """

    __slots__ = ()

    def __new__(
        cls,
        kind: Literal["preflight", "actual"],
        allowed: bool,
        status: int | None,
        headers: tuple[tuple[str, str], ...],
        vary: tuple[str, ...],
        body: bytes = b"",
        refusals: tuple[Refusal, ...] = (),
    ) -> Decision:
        return make_decision(kind, allowed, status, headers, vary, body, refusals)

    @classmethod
    def _make(cls, iterable: Iterable[Any]) -> Decision:  # type: ignore[override]
        return make_decision(*tuple(iterable)[:7])

    def _replace(self, **changes: Any) -> Decision:
        if "added_headers" in changes:
            raise TypeError("added_headers is derived from the other fields; replace those instead")
        fields = {**self._asdict(), **changes}
        del fields["added_headers"]
        return make_decision(**fields)

    def response_headers(self, app_headers: Iterable[tuple[str, str]] = ()) -> list[tuple[str, str]]:
        """Every header of the response: a preflight's own; else the app's with Access-Control-* replaced."""
        if self.kind == "preflight":
            return list(self.added_headers)
        return merge_headers(app_headers, self.added_headers)


def make_decision(
    kind: Literal["preflight", "actual"],
    allowed: bool,
    status: int | None,
    headers: tuple[tuple[str, str], ...],
    vary: tuple[str, ...],
    body: bytes = b"",
    refusals: tuple[Refusal, ...] = (),
    vary_header: tuple[tuple[str, str], ...] | None = None,
) -> Decision:
    """What ``Decision(...)`` does, for this module's hot paths. ``vary_header``: the header of ``vary``
    (``headers.vary_header``) when the caller has it ready (a compiled policy's)."""
    if vary_header is None:
        vary_header = vary_header_of(vary)
    added = headers + vary_header
    if body:
        added = (*added, _REFUSED_CONTENT_TYPE, ("Content-Length", str(len(body))))
    # tuple.__new__ rather than Decision(...): Decision.__new__ is a Python function, and this runs on every
    # request a memo has not seen.
    return _new_tuple(Decision, (kind, allowed, status, headers, vary, body, refusals, added))


_new_tuple = tuple.__new__
# An origin refusal names no value: the value at fault is the request's Origin, which every reader of the
# decision has (the caller of ``decide``, the log line, the DecisionEvent). So one refused answer serves
# every refused origin of a policy.
ORIGIN_REFUSED = Refusal(codes.ORIGIN)


class ConstantActuals(NamedTuple):
    """A policy's actual-request answers that do not depend on the request (``CompiledPolicy.actuals``).

    A ``"*"`` policy gives only ``any_origin`` (which varies on nothing); a policy that lists its origins
    gives the other two.
    """

    any_origin: Decision  # allow_origins=["*"]: the same grant for every request
    no_origin: Decision  # not a CORS request: no grant, but the answer varies on Origin
    refused: Decision  # an origin the policy does not allow: no grant


def constant_actuals(any_origin_grant: tuple[tuple[str, str], ...], vary: tuple[str, ...]) -> ConstantActuals:
    """Built once per compiled policy, from its grant for any origin and its Vary tokens."""
    return ConstantActuals(
        any_origin=make_decision("actual", True, None, any_origin_grant, ()),
        no_origin=make_decision("actual", False, None, (), vary),
        refused=make_decision("actual", False, None, (), vary, refusals=(ORIGIN_REFUSED,)),
    )


__all__ = ["ORIGIN_REFUSED", "ConstantActuals", "Decision", "constant_actuals", "make_decision"]

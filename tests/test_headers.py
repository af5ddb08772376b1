"""Rewriting the application's headers: Access-Control-* is the middleware's, Vary is merged, order kept."""

from __future__ import annotations

import pytest

from cors_wsgi.headers import merge_headers, merge_vary, needs_merge

ACAO = ("Access-Control-Allow-Origin", "https://app.test")


@pytest.mark.parametrize(
    ("existing", "tokens", "merged"),
    [
        (None, "Origin", "Origin"),
        ("", "Origin", "Origin"),
        ("Accept-Encoding", "Origin", "Accept-Encoding, Origin"),
        ("Accept-Encoding", "Origin, Access-Control-Request-Method", "Accept-Encoding, Origin, Access-Control-Request-Method"),
        ("accept-encoding,  ORIGIN ", "Origin", "accept-encoding,  ORIGIN "),  # present in another case and spacing
        ("Origin", "Origin, Access-Control-Request-Method", "Origin, Access-Control-Request-Method"),
        ("Accept-Encoding, *", "Origin", "Accept-Encoding, *"),  # '*' already varies on everything
        (" * ", "Origin", " * "),
        ("Cookie", "Cookie", "Cookie"),
        ("Accept-Encoding,Origin", "Origin", "Accept-Encoding,Origin"),  # listed without a space
    ],
)  # fmt: skip
def test_merge_vary(existing: str | None, tokens: str, merged: str) -> None:
    assert merge_vary(existing, tokens) == merged


@pytest.mark.parametrize(
    ("names", "merge"),
    [
        ((), False),
        (("Content-Type", "Set-Cookie", "X-Request-Id"), False),
        (("Vary",), True),
        (("vary",), True),
        (("Access-Control-Allow-Origin",), True),
        (("access-control-expose-headers",), True),
        (("Content-Type", "Vary"), True),  # any one name is enough
        (("Vary", "Content-Type"), True),
        (("",), True),  # no first letter to rule it out
    ],
)
def test_needs_merge_never_misses_a_name_the_middleware_owns(names: tuple[str, ...], merge: bool) -> None:
    assert needs_merge([(name, "v") for name in names]) is merge


def test_the_apps_access_control_headers_are_dropped_and_ours_appended() -> None:
    app = [
        ("Content-Type", "text/plain"),
        ("access-control-allow-origin", "*"),
        ("Access-Control-Allow-Credentials", "true"),
        ("X-Request-Id", "7"),
    ]
    assert merge_headers(app, [ACAO]) == [("Content-Type", "text/plain"), ("X-Request-Id", "7"), ACAO]


def test_the_apps_vary_values_are_merged_into_one_vary_last() -> None:
    app = [("Vary", "Accept-Encoding"), ("Content-Type", "text/plain"), ("vary", "Cookie")]
    assert merge_headers(app, [ACAO, ("Vary", "Origin")]) == [
        ("Content-Type", "text/plain"),
        ACAO,
        ("Vary", "Accept-Encoding, Cookie, Origin"),
    ]


def test_without_a_vary_of_ours_the_apps_vary_stays_where_it_was() -> None:
    app = [("Vary", "Accept-Encoding"), ("Access-Control-Max-Age", "5"), ("Content-Type", "text/plain")]
    assert merge_headers(app, [ACAO]) == [("Vary", "Accept-Encoding"), ("Content-Type", "text/plain"), ACAO]
    assert merge_headers(app, []) == [("Vary", "Accept-Encoding"), ("Content-Type", "text/plain")]


def test_an_empty_header_name_is_kept_and_does_not_fail() -> None:
    assert merge_headers([("", "x")], [("Vary", "Origin")]) == [("", "x"), ("Vary", "Origin")]


def test_headers_nothing_owns_are_passed_through_in_order() -> None:
    app = [("Set-Cookie", "a=1"), ("Set-Cookie", "b=2"), ("Content-Type", "text/plain")]
    assert merge_headers(app, [ACAO, ("Vary", "Origin")]) == [*app, ACAO, ("Vary", "Origin")]
    assert merge_headers(iter(app), ()) == app  # any iterable, read once

"""The Fetch rules the checker applies before any CORS header is looked at (cors_wsgi.checker.fetch, .plan)."""

from __future__ import annotations

import pytest

from cors_wsgi.checker import BadRequest, CheckRequest, fetch, plan
from cors_wsgi.checker.plan import address_space, check_origin, origin_of, prepare


@pytest.mark.parametrize(
    ("given", "sent"),
    [
        ("get", "GET"),
        ("Post", "POST"),
        ("delete", "DELETE"),
        ("options", "OPTIONS"),
        ("put", "PUT"),
        ("head", "HEAD"),
        ("patch", "patch"),  # not one of the six: stays as written, and compares case-sensitively
        ("PATCH", "PATCH"),
        ("purge", "purge"),
    ],
)
def test_method_normalisation_upper_cases_only_the_six(given: str, sent: str) -> None:
    assert fetch.normalize_method(given) == sent


@pytest.mark.parametrize(
    ("name", "value", "safe"),
    [
        ("Accept", "application/json", True),
        ("Accept", "text/html, */*;q=0.8", True),
        ("Accept", 'text/"html"', False),  # '"' is a CORS-unsafe request-header byte
        ("Accept", "a" * 128, True),
        ("Accept", "a" * 129, False),  # longer than 128 bytes
        ("Accept-Language", "en-US,en;q=0.9", True),
        ("Accept-Language", "en_US", False),  # '_' is not in the language safelist
        ("Content-Language", "de-DE", True),
        ("Content-Language", "de/DE", False),
        ("Content-Type", "text/plain", True),
        ("Content-Type", "text/plain; charset=utf-8", True),
        ("Content-Type", "  Multipart/Form-Data ; boundary=x", True),  # essence is case-insensitive
        ("Content-Type", "application/x-www-form-urlencoded", True),
        ("Content-Type", "application/json", False),
        ("Content-Type", "text/plain; charset=(utf-8)", False),  # '(' is unsafe
        ("Content-Type", "text", False),  # not a MIME type
        ("Content-Type", "text/plain/x", False),
        ("Range", "bytes=0-499", True),
        ("Range", "bytes=500-", True),
        ("Range", "bytes=-500", False),  # a suffix range is not safelisted
        ("Range", "bytes=5-1", False),
        ("Range", "bytes=0-1,4-5", False),
        ("X-Requested-With", "XMLHttpRequest", False),
        ("Authorization", "Bearer x", False),
    ],
)
def test_safelisted_request_headers(name: str, value: str, safe: bool) -> None:
    assert fetch.is_safelisted_request_header(name, value) is safe


def test_safelisted_values_become_unsafe_together_past_1024_bytes() -> None:
    small = [("Accept", "a" * 100), ("Accept-Language", "b" * 100), ("Content-Language", "c" * 100)]
    assert fetch.unsafe_header_names(small) == []
    big = [("Accept", "a" * 128)] * 8 + [("Content-Language", "x")]  # 1024 + 1 bytes in total
    assert fetch.unsafe_header_names(big) == ["accept", "content-language"]


def test_unsafe_names_are_lower_cased_sorted_unique() -> None:
    headers = [("X-Token", "1"), ("Content-Type", "application/json"), ("x-token", "2"), ("Accept", "*/*")]
    assert fetch.unsafe_header_names(headers) == ["content-type", "x-token"]
    assert fetch.request_headers_value(["X-B", "x-a", "X-A"]) == "x-a,x-b"


@pytest.mark.parametrize(
    ("lines", "parsed"),
    [
        ([], []),
        (["GET"], ["GET"]),
        (["GET, PUT", "DELETE"], ["GET", "PUT", "DELETE"]),  # repeated lines combine
        (["GET,,PUT, "], ["GET", "PUT"]),  # empty members are ignored (RFC 9110 list rule)
        ([" \tx-token\t"], ["x-token"]),
        (["*"], ["*"]),
        (["GET PUT"], None),  # a space inside a member: not a token, the whole header fails
        (["content-type; q=1"], None),
        (['"GET"'], None),
        (["GET", "P/UT"], None),
    ],
)
def test_header_list_values(lines: list[str], parsed: list[str] | None) -> None:
    assert fetch.parse_header_list(lines) == parsed


@pytest.mark.parametrize(
    ("name", "value", "forbidden"),
    [
        ("Cookie", "a=b", True),
        ("Host", "x", True),
        ("Origin", "https://evil.example", True),
        ("Sec-Fetch-Site", "same-origin", True),
        ("Proxy-Authorization", "x", True),
        ("X-HTTP-Method-Override", "TRACE", True),
        ("X-HTTP-Method-Override", "PATCH", False),
        ("Authorization", "Bearer x", False),
        ("X-Token", "x", False),
    ],
)
def test_forbidden_request_headers(name: str, value: str, forbidden: bool) -> None:
    assert fetch.is_forbidden_request_header(name, value) is forbidden


@pytest.mark.parametrize(
    ("method", "headers", "reasons"),
    [
        ("GET", (), 0),
        ("HEAD", (), 0),
        ("post", (("Content-Type", "text/plain;charset=UTF-8"),), 0),
        ("POST", (("Content-Type", "application/json"),), 1),
        ("PUT", (), 1),
        ("patch", (("X-Token", "1"),), 2),
        ("GET", (("Authorization", "Bearer x"),), 1),
    ],
)
def test_preflight_needed_exactly_when_fetch_says(
    method: str, headers: tuple[tuple[str, str], ...], reasons: int
) -> None:
    prepared = prepare(CheckRequest("http://api.test/x", "http://localhost:3000", method, headers))
    assert len(prepared.preflight_reasons) == reasons
    assert prepared.needs_preflight is (reasons > 0)


def test_preflight_request_is_what_chromium_sends() -> None:
    prepared = prepare(
        CheckRequest(
            "http://api.test/x",
            "http://localhost:3000",
            "put",
            (("X-Token", "1"), ("Content-Type", "application/json"), ("Accept", "*/*")),
            credentials=True,
        )
    )
    headers = dict(prepared.preflight_headers())
    assert headers["Access-Control-Request-Method"] == "PUT"
    assert headers["Access-Control-Request-Headers"] == "content-type,x-token"  # Accept is safelisted
    assert headers["Origin"] == "http://localhost:3000"
    assert "Cookie" not in headers
    assert "X-Token" not in headers
    actual = dict(prepared.actual_headers(cookie="sid=1"))
    assert actual["X-Token"] == "1"
    assert actual["Cookie"] == "sid=1"
    assert actual["Origin"] == "http://localhost:3000"


def test_cookie_is_only_attached_with_credentials() -> None:
    prepared = prepare(CheckRequest("http://api.test/x", "http://localhost:3000"))
    assert "Cookie" not in dict(prepared.actual_headers(cookie="sid=1"))


@pytest.mark.parametrize(
    ("origin", "hint"),
    [
        ("http://localhost:3000/", "did you mean 'http://localhost:3000'"),
        ("HTTP://LOCALHOST:3000", "did you mean 'http://localhost:3000'"),
        ("https://app.example.com:443", "did you mean 'https://app.example.com'"),
        ("localhost:3000", "scheme://host"),
        ("https://user@app.example.com", "credentials"),
    ],
)
def test_origins_a_browser_would_never_send_are_usage_errors(origin: str, hint: str) -> None:
    with pytest.raises(BadRequest, match=hint):
        check_origin(origin)


@pytest.mark.parametrize(
    "origin", ["http://localhost:3000", "https://a.b.example.com", "null", "http://[::1]:8080"]
)
def test_valid_origins(origin: str) -> None:
    check_origin(origin)


@pytest.mark.parametrize(
    ("request_", "message"),
    [
        (CheckRequest("ftp://api.test/", "http://a.test"), "http:// or https://"),
        (CheckRequest("http://api.test/", "http://a.test", "TRACE"), "forbidden method"),
        (CheckRequest("http://api.test/", "http://a.test", "GE T"), "not a valid HTTP method"),
        (CheckRequest("http://api.test/", "http://a.test", headers=(("Cookie", "a=b"),)), "--cookie"),
        (CheckRequest("http://api.test/", "http://a.test", headers=(("Origin", "x"),)), "cannot set"),
        (CheckRequest("http://api.test/", "http://a.test", headers=(("X A", "1"),)), "header name"),
        (CheckRequest("http://api.test/", "http://a.test", headers=(("X-A", "1\r\nX: y"),)), "CR, LF"),
        (CheckRequest("http://api.test/", "http://a.test", body=b"x"), "body with GET"),
    ],
)
def test_requests_fetch_refuses_are_usage_errors(request_: CheckRequest, message: str) -> None:
    with pytest.raises(BadRequest, match=message):
        prepare(request_)


@pytest.mark.parametrize(
    ("url", "origin"),
    [
        ("http://LocalHost:80/x", "http://localhost"),
        ("https://api.test:443", "https://api.test"),
        ("https://api.test:8443/a?b", "https://api.test:8443"),
        ("http://[::1]:5000/", "http://[::1]:5000"),
    ],
)
def test_origin_of_url(url: str, origin: str) -> None:
    assert origin_of(url) == origin


@pytest.mark.parametrize(
    ("url", "space"),
    [
        ("http://127.0.0.1:5000/", "local"),
        ("http://localhost/", "local"),
        ("http://192.168.1.10/", "private"),
        ("http://10.0.0.1/", "private"),
        ("http://8.8.8.8/", "public"),
        ("http://api.example.com/", "unknown"),
    ],
)
def test_private_network_address_space(url: str, space: str) -> None:
    assert address_space(url) == space


def test_a_body_without_content_type_is_text_plain_as_fetch_sends_it() -> None:
    prepared = prepare(CheckRequest("http://api.test/x", "http://localhost:3000", "POST", body=b"hi"))
    assert ("Content-Type", "text/plain;charset=UTF-8") in prepared.headers
    assert not prepared.needs_preflight  # still a simple request
    typed = prepare(
        CheckRequest(
            "http://api.test/x",
            "http://localhost:3000",
            "POST",
            (("Content-Type", "application/json"),),
            body=b"{}",
        )
    )
    assert [v for n, v in typed.headers if n == "Content-Type"] == ["application/json"]
    assert typed.needs_preflight


def test_user_agent_is_sent_unless_the_script_sets_one() -> None:
    prepared = prepare(CheckRequest("http://api.test/x", "http://localhost:3000", "PUT"))
    assert dict(prepared.preflight_headers())["User-Agent"] == plan.USER_AGENT
    assert dict(prepared.actual_headers())["User-Agent"] == plan.USER_AGENT
    own = prepare(
        CheckRequest("http://api.test/x", "http://localhost:3000", "PUT", (("User-Agent", "me/1"),))
    )
    assert dict(own.preflight_headers())["User-Agent"] == "me/1"
    assert [v for n, v in own.actual_headers() if n == "User-Agent"] == ["me/1"]

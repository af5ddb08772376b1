"""CORSPolicy validation: every mistake fails fast with ConfigError naming the field and the value."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest
from raw_wsgi import call_raw

from cors_wsgi import ConfigError, CORSMiddleware, CORSPolicy
from cors_wsgi.decision import decide
from cors_wsgi.policy import POLICY_FIELDS

LOCAL = "http://localhost:3000"


def _app(environ: Any, start_response: Any) -> list[bytes]:
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [b"ok"]


# (keyword arguments, field named in the error, fragments the message must contain)
REFUSED = [
    ({}, "allow_origins", ["no origin is allowed", "no allow-all default"]),
    ({"allow_origins": []}, "allow_origins", ["no origin is allowed"]),
    ({"allow_origins": ["*"], "allow_credentials": True}, "allow_origins", ["'*'", "allow_credentials"]),
    ({"allow_origins": ["*", LOCAL]}, "allow_origins", ["cannot be combined"]),
    ({"allow_origins": [LOCAL, "null"], "allow_credentials": True}, "allow_origins", ["'null'", "sandboxed"]),
    ({"allow_origins": ["*"], "allow_origin_regex": "x"}, "allow_origins", ["cannot be combined"]),
    (
        {"allow_origins": "http://localhost:3000"},
        "allow_origins",
        ["list", "did you mean ['http://localhost:3000']"],
    ),
    (
        {"allow_origins": ["http://localhost:3000/"]},
        "allow_origins",
        ["did you mean 'http://localhost:3000'?"],
    ),
    (
        {"allow_origins": ["http://localhost:3000/api"]},
        "allow_origins",
        ["a path", "'http://localhost:3000'"],
    ),
    (
        {"allow_origins": ["http://localhost:3000?x=1"]},
        "allow_origins",
        ["a query", "'http://localhost:3000'"],
    ),
    ({"allow_origins": ["http://localhost:3000#top"]}, "allow_origins", ["a fragment"]),
    (
        {"allow_origins": ["localhost:3000"]},
        "allow_origins",
        ["no scheme", "did you mean 'http://localhost:3000'"],
    ),
    ({"allow_origins": ["app.example.com"]}, "allow_origins", ["no scheme", "'https://app.example.com'"]),
    ({"allow_origins": ["http://localhost:99999"]}, "allow_origins", ["invalid port", "'99999'"]),
    ({"allow_origins": ["http://localhost:0"]}, "allow_origins", ["invalid port"]),
    ({"allow_origins": ["http://localhost:abc"]}, "allow_origins", ["invalid port", "'abc'"]),
    ({"allow_origins": ["http://user@localhost:3000"]}, "allow_origins", ["user information"]),
    ({"allow_origins": ["http://exa mple.com"]}, "allow_origins", ["invalid host"]),
    ({"allow_origins": ["http://bücher.example"]}, "allow_origins", ["non-ASCII", "xn--"]),
    ({"allow_origins": [" http://localhost:3000"]}, "allow_origins", ["white space"]),
    (
        {"allow_origins": ["https://\u212aey.example"]},
        "allow_origins",
        ["non-ASCII"],
    ),  # KELVIN SIGN folds to k
    ({"allow_origins": ["\u212a://example.com"]}, "allow_origins", ["non-ASCII"]),
    ({"allow_origins": ["https://-a.example.com"]}, "allow_origins", ["invalid host"]),
    ({"allow_origins": [42]}, "allow_origins", ["42", "not a string"]),
    ({"allow_origins": ["https://*.com"]}, "allow_origins", ["public suffix", "'com'"]),
    ({"allow_origins": ["https://*.co.uk"]}, "allow_origins", ["public suffix", "'co.uk'"]),
    ({"allow_origins": ["https://*.github.io"]}, "allow_origins", ["public suffix"]),
    ({"allow_origins": ["https://*example.com"]}, "allow_origins", ["not a valid wildcard pattern"]),
    ({"allow_origins": ["https://app.*.example.com"]}, "allow_origins", ["not a valid wildcard pattern"]),
    ({"allow_origins": ["https://*.*.example.com"]}, "allow_origins", ["not a valid wildcard pattern"]),
    ({"allow_origins": ["*.example.com"]}, "allow_origins", ["not a valid wildcard pattern"]),
    ({"allow_origins": ["https://*.10.0.0.1"]}, "allow_origins", ["IP address"]),
    (
        {"allow_origin_regex": "https://(.example.com"},
        "allow_origin_regex",
        ["not a valid regular expression"],
    ),
    ({"allow_origin_regex": 5}, "allow_origin_regex", ["not a string"]),
    ({"allow_origin_func": "yes"}, "allow_origin_func", ["not callable"]),
    ({"allow_origins": [LOCAL], "allow_methods": ["GET POST"]}, "allow_methods", ["'GET POST'"]),
    ({"allow_origins": [LOCAL], "allow_methods": ["GET", "*"]}, "allow_methods", ["cannot be combined"]),
    ({"allow_origins": [LOCAL], "allow_methods": "GET"}, "allow_methods", ["did you mean ['GET']"]),
    (
        {"allow_origins": [LOCAL], "allow_headers": ["x-token\r\n"]},
        "allow_headers",
        ["not a valid header name"],
    ),
    ({"allow_origins": [LOCAL], "allow_headers": ["x token"]}, "allow_headers", ["'x token'"]),
    ({"allow_origins": [LOCAL], "expose_headers": ["x:y"]}, "expose_headers", ["'x:y'"]),
    (
        {"allow_origins": [LOCAL], "expose_headers": ["*"], "allow_credentials": True},
        "expose_headers",
        ["literal"],
    ),
    ({"allow_origins": [LOCAL], "max_age": -1}, "max_age", ["-1", "negative"]),
    ({"allow_origins": [LOCAL], "max_age": "600"}, "max_age", ["'600'"]),
    ({"allow_origins": [LOCAL], "max_age": True}, "max_age", ["True"]),
    ({"allow_origins": [LOCAL], "allow_credentials": "yes"}, "allow_credentials", ["'yes'", "boolean"]),
    ({"allow_origins": [LOCAL], "allow_private_network": 1}, "allow_private_network", ["boolean"]),
]


# pytest.param(id=...): ids given as a list are escaped again each time one process collects them.
@pytest.mark.parametrize(
    ("kwargs", "field", "fragments"), [pytest.param(*r, id=repr(r[0])[:60]) for r in REFUSED]
)
def test_bad_config_is_refused_naming_field_and_value(
    kwargs: dict[str, Any], field: str, fragments: list[str]
) -> None:
    with pytest.raises(ConfigError) as info:
        CORSPolicy(**kwargs)
    assert info.value.field == field
    assert str(info.value).startswith(f"{field}: ")
    for fragment in fragments:
        assert fragment in str(info.value)
    assert isinstance(info.value, ValueError)


@pytest.mark.parametrize(
    ("configured", "normalized"),
    [
        ("HTTPS://App.Example.com:443", "https://app.example.com"),
        ("http://localhost:80", "http://localhost"),
        ("http://LOCALHOST:3000", "http://localhost:3000"),
        ("https://a.test:8443", "https://a.test:8443"),
        ("http://127.0.0.1:5000", "http://127.0.0.1:5000"),
        ("http://[0:0:0:0:0:0:0:1]:8080", "http://[::1]:8080"),
        ("HTTPS://*.Example.COM:443", "https://*.example.com"),
        ("null", "null"),
    ],
)
def test_harmless_differences_are_normalized(configured: str, normalized: str) -> None:
    policy = CORSPolicy(allow_origins=[configured])
    if "*" in configured:
        assert policy.compiled.matcher.allows(normalized.replace("*", "a"))
    else:
        assert policy.allow_origins == (normalized,)


def test_methods_fetch_normalizes_are_upper_cased_others_kept() -> None:
    policy = CORSPolicy(allow_origins=[LOCAL], allow_methods=["get", "put", "patch", "PATCH", "GET"])
    assert policy.allow_methods == ("GET", "PUT", "patch", "PATCH")


def test_header_names_are_lower_cased_and_deduplicated() -> None:
    policy = CORSPolicy(allow_origins=[LOCAL], allow_headers=["Content-Type", "content-type", "X-Token"])
    assert policy.allow_headers == ("content-type", "x-token")


def test_policy_is_immutable_and_replace_revalidates() -> None:
    policy = CORSPolicy(allow_origins=[LOCAL])
    with pytest.raises(dataclasses.FrozenInstanceError):
        policy.allow_credentials = True  # type: ignore[misc]
    assert isinstance(policy.allow_origins, tuple)
    assert policy.replace(max_age=60).max_age == 60
    with pytest.raises(ConfigError):
        policy.replace(allow_origins=["*"], allow_credentials=True)


def test_equal_policies_compare_equal_and_hash() -> None:
    a = CORSPolicy(allow_origins=[LOCAL], allow_methods=["GET"])
    b = CORSPolicy(allow_origins=(LOCAL,), allow_methods=("GET",))
    assert a == b
    assert hash(a) == hash(b)


def test_wildcard_with_private_suffix_below_it_is_accepted() -> None:
    # example.co.uk is a registrable domain: its subdomains belong to one owner.
    policy = CORSPolicy(allow_origins=["https://*.example.co.uk"])
    assert policy.compiled.matcher.allows("https://a.example.co.uk")


def test_middleware_keywords_are_policy_fields() -> None:
    fields: dict[str, Any] = {"allow_origins": [LOCAL], "allow_credentials": True, "allow_methods": ["PUT"]}
    from_keywords = CORSMiddleware(_app, **fields)
    from_policy = CORSMiddleware(_app, CORSPolicy(**fields))
    requests = [
        ("GET", {"HTTP_ORIGIN": LOCAL}),
        ("GET", {"HTTP_ORIGIN": "http://evil.test"}),
        ("OPTIONS", {"HTTP_ORIGIN": LOCAL, "HTTP_ACCESS_CONTROL_REQUEST_METHOD": "PUT"}),
        ("OPTIONS", {"HTTP_ORIGIN": LOCAL, "HTTP_ACCESS_CONTROL_REQUEST_METHOD": "DELETE"}),
    ]
    for method, extra in requests:
        assert call_raw(from_keywords, method, "/x", extra) == call_raw(from_policy, method, "/x", extra)
    assert ("Access-Control-Allow-Credentials", "true") in call_raw(
        from_keywords, "GET", "/x", requests[0][1]
    )[1]


@pytest.mark.parametrize(
    ("kwargs", "fragment"),
    [
        ({"allowed_origins": [LOCAL]}, "did you mean 'allow_origins'?"),
        ({"allow_credential": True, "allow_origins": [LOCAL]}, "did you mean 'allow_credentials'?"),
        ({"max_ages": 5, "allow_origins": [LOCAL]}, "did you mean 'max_age'?"),
    ],
)
def test_middleware_unknown_keyword_has_a_hint(kwargs: dict[str, Any], fragment: str) -> None:
    with pytest.raises(ConfigError, match="unknown CORSMiddleware argument") as info:
        CORSMiddleware(_app, **kwargs)
    assert fragment in str(info.value)


@pytest.mark.parametrize(
    "call",
    [
        lambda: CORSMiddleware(_app),
        lambda: CORSMiddleware(_app, CORSPolicy(allow_origins=[LOCAL]), allow_origins=[LOCAL]),
        lambda: CORSMiddleware(_app, CORSPolicy(allow_origins=[LOCAL]), rules=[]),
        lambda: CORSMiddleware(_app, {"allow_origins": [LOCAL]}),  # type: ignore[arg-type]
        lambda: CORSMiddleware(_app, rules=[]),
        lambda: CORSMiddleware(_app, rules=[("api/*", CORSPolicy(allow_origins=[LOCAL]))]),
        lambda: CORSMiddleware(_app, rules=[("/api/*", {"allow_origins": [LOCAL]})]),
    ],
    ids=[
        "nothing",
        "policy+keywords",
        "policy+rules",
        "dict",
        "empty-rules",
        "relative-path",
        "rule-not-policy",
    ],
)
def test_middleware_refuses_ambiguous_or_malformed_configuration(call: Any) -> None:
    with pytest.raises(ConfigError):
        call()


def test_unknown_keywords_are_each_named_as_field_and_value_with_the_closest_field() -> None:
    with pytest.raises(ConfigError) as info:
        CORSPolicy(allow_origin=[LOCAL], max_agee=5)
    assert [(e.field, e.value, e.message, e.hint) for e in info.value.errors] == [
        (
            "allow_origin",
            "allow_origin",
            "unknown CORSPolicy argument 'allow_origin'",
            "; did you mean 'allow_origins'?",
        ),
        ("max_agee", "max_agee", "unknown CORSPolicy argument 'max_agee'", "; did you mean 'max_age'?"),
    ]


def _any_origin(origin: str, environ: Any) -> bool:
    return True


NULL_WITH_CREDENTIALS = (
    "allow_origins",
    "null",
    "'null' together with allow_credentials=True: any site can get the origin 'null' "
    "(a sandboxed iframe, a data: URL), so this is as open as '*' with credentials",
)
STAR_EXPOSED_WITH_CREDENTIALS = (
    "expose_headers",
    "*",
    "'*' is a literal header name, not a wildcard, when allow_credentials=True; name the headers",
)
# Fields sound on their own, put together wrongly: (keyword arguments, [(field, value, the whole text)]).
# Users read these texts to fix their configuration, so they are held word for word.
COMBINATIONS = [
    (
        {"allow_origins": [LOCAL], "allow_origin_func_vary": ["X-Tenant"]},
        [
            (
                "allow_origin_func_vary",
                ("X-Tenant",),
                "names the request headers allow_origin_func reads (for Vary), but no allow_origin_func is set",
            )
        ],
    ),
    (
        {},
        [
            (
                "allow_origins",
                (),
                "no origin is allowed: list the origins that may read this resource "
                "(e.g. allow_origins=['http://localhost:3000']); there is no allow-all default",
            )
        ],
    ),
    (
        {"allow_origins": ["*", LOCAL]},
        [
            (
                "allow_origins",
                ("*", LOCAL),
                f"'*' allows every origin and cannot be combined with {LOCAL!r}: keep '*' alone, or drop it",
            )
        ],
    ),
    (
        {
            "allow_origins": ["*", LOCAL],
            "allow_origin_regex": r"https://a\.test",
            "allow_origin_func": _any_origin,
        },
        [
            (
                "allow_origins",
                ("*", LOCAL),
                f"'*' allows every origin and cannot be combined with {LOCAL!r}, "
                r"allow_origin_regex 'https://a\\.test', allow_origin_func: keep '*' alone, or drop it",
            )
        ],
    ),
    (
        {"allow_origins": ["*"], "allow_origin_regex": r"https://a\.test", "allow_credentials": True},
        [
            (
                "allow_origins",
                ("*",),
                r"'*' allows every origin and cannot be combined with allow_origin_regex 'https://a\\.test'; "
                "with allow_credentials=True '*' would also let every site read responses with the user's "
                "cookies: list the trusted origins instead",
            )
        ],
    ),
    (
        {"allow_origins": ["*"], "allow_credentials": True},
        [
            (
                "allow_origins",
                ("*",),
                "'*' together with allow_credentials=True would let every site read responses with the user's "
                "cookies; list the trusted origins instead",
            )
        ],
    ),
    (
        {"allow_origins": [LOCAL, "null"], "allow_credentials": True},
        [NULL_WITH_CREDENTIALS],
    ),
    (
        {"allow_origins": [LOCAL], "expose_headers": ["*"], "allow_credentials": True},
        [STAR_EXPOSED_WITH_CREDENTIALS],
    ),
    (
        {"allow_origins": ["*", "null"], "expose_headers": ["*"], "allow_credentials": True},
        [
            (
                "allow_origins",
                ("*", "null"),
                "'*' allows every origin and cannot be combined with 'null'; with allow_credentials=True '*' "
                "would also let every site read responses with the user's cookies: list the trusted origins "
                "instead",
            ),
            NULL_WITH_CREDENTIALS,
            STAR_EXPOSED_WITH_CREDENTIALS,
        ],
    ),
]


@pytest.mark.parametrize(
    ("kwargs", "expected"), [pytest.param(*c, id=f"combination-{i}") for i, c in enumerate(COMBINATIONS)]
)
def test_fields_put_together_wrongly_are_each_told_word_for_word(
    kwargs: dict[str, Any], expected: list[tuple[str, object, str]]
) -> None:
    with pytest.raises(ConfigError) as info:
        CORSPolicy(**kwargs)
    assert [(e.field, e.value, e.message) for e in info.value.errors] == expected


# Fields wrong on their own: (keyword arguments, [(field, value, message, hint)]), every mistake at once.
FIELD_MISTAKES = [
    (
        {"allow_origins": LOCAL},
        [("allow_origins", LOCAL, f"{LOCAL!r} must be a list of strings", f"; did you mean [{LOCAL!r}]?")],
    ),
    ({"allow_origins": b"x"}, [("allow_origins", b"x", "b'x' must be a list of strings", "")]),
    ({"allow_origins": {"x": 1}}, [("allow_origins", {"x": 1}, "{'x': 1} must be a list of strings", "")]),
    ({"allow_origins": 5}, [("allow_origins", 5, "5 must be a list of strings", "")]),
    # A set is sorted for a stable order: one that mixes types is still told item by item, not a TypeError.
    (
        {"allow_origins": [LOCAL], "allow_methods": {"GET", 5, None}},
        [
            ("allow_methods", 5, "5 is not a valid HTTP method name", ""),
            ("allow_methods", None, "None is not a valid HTTP method name", ""),
        ],
    ),
    (
        {"allow_origins": [LOCAL], "allow_methods": ["get", "X Y", 5, "*"]},
        [
            ("allow_methods", "X Y", "'X Y' is not a valid HTTP method name", ""),
            ("allow_methods", 5, "5 is not a valid HTTP method name", ""),
            (
                "allow_methods",
                ["GET", "*"],
                "'*' allows every method and cannot be combined: ['GET', '*']",
                "",
            ),
        ],
    ),
    (
        {
            "allow_origins": [LOCAL],
            "allow_headers": ["x y", 7],
            "expose_headers": ["a:b"],
            "allow_origin_func": _any_origin,
            "allow_origin_func_vary": "X-Tenant",
        },
        [
            ("allow_headers", "x y", "'x y' is not a valid header name", ""),
            ("allow_headers", 7, "7 is not a valid header name", ""),
            ("expose_headers", "a:b", "'a:b' is not a valid header name", ""),
            (
                "allow_origin_func_vary",
                "X-Tenant",
                "'X-Tenant' must be a list of strings",
                "; did you mean ['X-Tenant']?",
            ),
        ],
    ),
    (
        {"allow_origins": [LOCAL], "max_age": True},
        [("max_age", True, "True is not a whole number of seconds (or None)", "")],
    ),
    (
        {"allow_origins": [LOCAL], "max_age": 1.5},
        [("max_age", 1.5, "1.5 is not a whole number of seconds (or None)", "")],
    ),
    ({"allow_origins": [LOCAL], "max_age": -1}, [("max_age", -1, "-1 is negative", "")]),
    (
        {"allow_origins": [LOCAL], "allow_origin_regex": 5},
        [("allow_origin_regex", 5, "5 is not a string (or a list of strings)", "")],
    ),
    (
        {"allow_origins": [LOCAL], "allow_origin_regex": [r"https://a\.test", 5, "("]},
        [
            ("allow_origin_regex", 5, "5 is not a string", ""),
            (
                "allow_origin_regex",
                "(",
                "'(' is not a valid regular expression: missing ), unterminated subpattern at position 0",
                "",
            ),
        ],
    ),
    (
        # A pattern that does not parse is not the last one looked at.
        {"allow_origins": [LOCAL], "allow_origin_regex": ["(", 7]},
        [
            (
                "allow_origin_regex",
                "(",
                "'(' is not a valid regular expression: missing ), unterminated subpattern at position 0",
                "",
            ),
            ("allow_origin_regex", 7, "7 is not a string", ""),
        ],
    ),
    (
        {"allow_origins": [LOCAL], "allow_origin_regex": r"https://(a+)+\.example\.com"},
        [
            (
                "allow_origin_regex",
                r"https://(a+)+\.example\.com",
                r"'https://(a+)+\\.example\\.com' has a repeat inside a repeated group: 'a+' inside '(a+)+', "
                "which can make one crafted Origin cost seconds and freeze the worker; write it without "
                "nested or overlapping repeats, or use a wildcard pattern in allow_origins such as "
                "'https://*.example.com'",
                "",
            )
        ],
    ),
    (
        # What it admits comes first: rewritten without the backtracking, it would still let them in.
        {"allow_origins": [LOCAL], "allow_origin_regex": r"https://[a-z.]*[a-z.]*[a-z.]*example\.com"},
        [
            (
                "allow_origin_regex",
                r"https://[a-z.]*[a-z.]*[a-z.]*example\.com",
                r"'https://[a-z.]*[a-z.]*[a-z.]*example\\.com' admits 'https://evilexample.com' (anything may "
                "come right before 'example.com', not only subdomains): require a dot before it, as in "
                r"'https://(?:[a-z0-9-]+\.)+example\.com' or the wildcard pattern 'https://*.example.com'; "
                "it also has three or more unbounded repeats that can match the same character: '[a-z.]*', "
                "'[a-z.]*' and '[a-z.]*', which can make one crafted Origin cost seconds and freeze the "
                "worker; write it without nested or overlapping repeats, or use a wildcard pattern in "
                "allow_origins such as 'https://*.example.com'",
                "",
            )
        ],
    ),
    (
        {
            "allow_origins": [LOCAL],
            "allow_credentials": "yes",
            "allow_private_network": 1,
            "tolerate_insecure_origins": None,
            "allow_origin_func": "f",
        },
        [
            ("allow_credentials", "yes", "'yes' is not a boolean (true or false)", ""),
            ("allow_private_network", 1, "1 is not a boolean (true or false)", ""),
            ("tolerate_insecure_origins", None, "None is not a boolean (true or false)", ""),
            ("allow_origin_func", "f", "'f' is not callable", ""),
        ],
    ),
]


@pytest.mark.parametrize(
    ("kwargs", "expected"), [pytest.param(*c, id=f"mistake-{i}") for i, c in enumerate(FIELD_MISTAKES)]
)
def test_each_wrong_field_is_told_word_for_word_all_at_once(
    kwargs: dict[str, Any], expected: list[tuple[str, object, str, str]]
) -> None:
    with pytest.raises(ConfigError) as info:
        CORSPolicy(**kwargs)
    assert [(e.field, e.value, e.message, e.hint) for e in info.value.errors] == expected


def test_an_unordered_collection_gives_the_same_headers_on_every_run() -> None:
    # A set has no order of its own: sorted, so a header built from it is the same in every process.
    # Six names each: left unsorted, a set keeps this order about once in 720 runs.
    letters = "fdbeca"
    policy = CORSPolicy(
        allow_origins=frozenset(f"https://{c}.test" for c in letters),
        allow_methods={f"M{c.upper()}" for c in letters},
        allow_headers={f"x-{c}" for c in letters},
        expose_headers={f"X-{c.upper()}" for c in letters},
    )
    assert policy.allow_origins == tuple(f"https://{c}.test" for c in "abcdef")
    preflight = decide(policy, "OPTIONS", "https://a.test", "MA", "x-a")
    assert dict(preflight.headers)["Access-Control-Allow-Methods"] == "MA, MB, MC, MD, ME, MF"
    assert policy.allow_headers == tuple(f"x-{c}" for c in "abcdef")
    actual = decide(policy, "GET", "https://a.test")
    assert dict(actual.headers)["Access-Control-Expose-Headers"] == "X-A, X-B, X-C, X-D, X-E, X-F"


def test_a_max_age_of_zero_is_sent_and_none_sends_nothing() -> None:
    zero = CORSPolicy(allow_origins=[LOCAL], max_age=0)
    assert ("Access-Control-Max-Age", "0") in decide(zero, "OPTIONS", LOCAL, "GET").headers
    unset = CORSPolicy(allow_origins=[LOCAL], max_age=None)
    assert "Access-Control-Max-Age" not in dict(decide(unset, "OPTIONS", LOCAL, "GET").headers)


def test_regexes_given_as_a_list_are_kept_as_a_tuple_and_each_matches_whole() -> None:
    policy = CORSPolicy(allow_origin_regex=[r"https://a\.test", r"https://b\.test"])
    assert policy.allow_origin_regex == (r"https://a\.test", r"https://b\.test")
    assert hash(policy) == hash(CORSPolicy(allow_origin_regex=(r"https://a\.test", r"https://b\.test")))
    allows = policy.compiled.matcher.allows
    assert allows("https://a.test")
    assert allows("https://b.test")
    assert not allows("https://a.test.evil")
    assert not allows("https://c.test")


def test_an_empty_list_of_regexes_allows_nobody() -> None:
    # Like no regex at all: alone it is told as allowing no origin, and beside '*' it takes nothing away.
    with pytest.raises(ConfigError) as info:
        CORSPolicy(allow_origin_regex=[])
    assert [(e.field, e.message[:22]) for e in info.value.errors] == [
        ("allow_origins", "no origin is allowed: ")
    ]
    anyone = CORSPolicy(allow_origins=["*"], allow_origin_regex=[])
    assert decide(anyone, "GET", "https://a.test").added_headers == (("Access-Control-Allow-Origin", "*"),)


def test_a_repeated_name_is_sent_once_and_the_policy_stays_a_hashable_value() -> None:
    policy = CORSPolicy(
        allow_origins=[LOCAL, LOCAL],
        allow_methods=["PUT", "put", "PATCH"],
        expose_headers=["X-A", "X-B", "X-A"],
        allow_private_network=True,
    )
    assert dict(decide(policy, "GET", LOCAL).headers)["Access-Control-Expose-Headers"] == "X-A, X-B"
    preflight = decide(policy, "OPTIONS", LOCAL, "PUT")
    assert dict(preflight.headers)["Access-Control-Allow-Methods"] == "PUT, PATCH"
    assert (policy.allow_origins, policy.expose_headers) == ((LOCAL,), ("X-A", "X-B"))
    assert hash(policy) == hash(CORSPolicy(**{f: getattr(policy, f) for f in POLICY_FIELDS}))

"""Origins judged by what they admit (#20): every example of the issue, in CORSPolicy and in lint.

A configured regex or wildcard pattern that lets in an origin outside the domains it names is a ConfigError
with credentials (naming that origin) and a lint warning without; intended shapes raise nothing; every valid
Python regex is accepted or a ConfigError, never another exception.
"""

from __future__ import annotations

import re
import time
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cors_wsgi import ConfigError, CORSPolicy
from cors_wsgi.decision import decide
from cors_wsgi.grammar import parse_serialized_origin
from cors_wsgi.lint import Finding, lint_mapping
from cors_wsgi.origin_probes import Stakes, public_suffixes_beneath, regex_admits, wildcard_admits
from cors_wsgi.origins import public_suffix_list
from cors_wsgi.policy import origin_refusals


def lint(csrf_protection: bool = False, **fields: Any) -> list[Finding]:
    # The file says whether the cross-origin write guard is on (#20): with it on, what a regex admits is
    # judged as with credentials; off and unsaid, lint would suggest it for every credentialed rule.
    middleware = {"csrf_protection": csrf_protection}
    return lint_mapping({"middleware": middleware, "rule": [{"path": "/api/*", **fields}]})


def refusal(**fields: Any) -> ConfigError:
    with pytest.raises(ConfigError) as info:
        CORSPolicy(**fields)
    return info.value


def admitted(pattern: str, origin: str) -> bool:
    """The origin is one a browser can send, and the regex really lets it in."""
    return parse_serialized_origin(origin) is not None and re.fullmatch(pattern, origin) is not None


# (pattern, the origin that gets in, lint code without credentials, words of the reason)
LEAKS = [
    (r".*example.com", "https://evilexample.com", "regex-admits-other-sites", "right before 'example.com'"),
    (r"https://.*example\.com", "https://evilexample.com", "regex-admits-other-sites", "not only subdomains"),
    (
        r"https://[a-z0-9-]*example\.com",
        "https://evilexample.com",
        "regex-admits-other-sites",
        "right before",
    ),
    (
        r"https://app\.example\.com.*",
        "https://app.example.com.evil.test",
        "regex-admits-other-sites",
        "follow",
    ),
    (
        r"https://[a-z]+\.example\.com.*",
        "https://a.example.com.evil.test",
        "regex-admits-other-sites",
        "follow",
    ),
    (r"https://app.example.com", "https://appxexample.com", "regex-unescaped-dot", "unescaped '.'"),
    (r"https://example.com", "https://examplexcom", "regex-unescaped-dot", "unescaped '.'"),
    (
        r"https://[a-z0-9-]+\.vercel\.app",
        "https://attacker.vercel.app",
        "regex-admits-other-sites",
        "'vercel.app' is a public suffix",
    ),
    (r"https://[a-z]+\.com", "https://attacker.com", "regex-admits-other-sites", "'com' is a public suffix"),
    (
        r"https://.*\.amazonaws\.com",
        "https://attacker.s3.amazonaws.com",
        "regex-admits-other-sites",
        "'s3.amazonaws.com' is on the public suffix list beneath 'amazonaws.com'",
    ),
]
# Named by their pattern. pytest.param(id=...), not parametrize(ids=[...]): pytest escapes a list's ids
# again each time one process collects them (the mutation run does, twice), so '\.' would not be found.
LEAK_CASES = [pytest.param(*leak, id=leak[0]) for leak in LEAKS]


@pytest.mark.parametrize(("pattern", "origin", "code", "reason"), LEAK_CASES)
def test_a_regex_admitting_another_site_is_refused_with_credentials_naming_it(
    pattern: str, origin: str, code: str, reason: str
) -> None:
    assert admitted(pattern, origin)  # the example is true, not only what the analyser says
    error = refusal(allow_origin_regex=pattern, allow_credentials=True)
    [first, *_] = error.errors
    assert (first.field, first.value) == ("allow_origin_regex", pattern)
    assert f"admits {origin!r}" in first.message
    assert reason in first.message
    assert (
        "with allow_credentials=True that site could read responses with the user's cookies" in first.message
    )


@pytest.mark.parametrize(("pattern", "origin", "code", "reason"), LEAK_CASES)
def test_without_credentials_it_is_a_lint_warning_naming_the_origin(
    pattern: str, origin: str, code: str, reason: str
) -> None:
    CORSPolicy(allow_origin_regex=pattern)  # legal: nothing is read with the user's cookies
    findings = lint(allow_origin_regex=pattern)
    [finding] = [f for f in findings if f.code == code]
    assert finding.severity == "warning"
    assert f"admits {origin!r}" in finding.message
    assert not [f for f in findings if f.severity == "error"]


@pytest.mark.parametrize(("pattern", "origin", "code", "reason"), LEAK_CASES)
def test_with_credentials_lint_reports_the_same_refusal_as_an_error(
    pattern: str, origin: str, code: str, reason: str
) -> None:
    findings = lint(allow_origin_regex=pattern, allow_credentials=True)
    assert any(f.severity == "error" and f"admits {origin!r}" in f.message for f in findings), findings


SOUND = [
    r"https://.*\.example\.org",
    r"https://[a-z0-9-]+\.example\.com",
    r"https://(?:[a-z0-9-]+\.)+example\.com",
    r"https://([a-z0-9]+\.)*example\.org",
    r"https://(\w+\.)*example\.com",  # \w never matches the '.' that ends each turn: linear, not nested
    r"https://(www\.)?example\.com",
    r"https://(app|admin)\.example\.com",
    r"https://(app|admin)+\.example\.com",
    r"https://pr-[0-9]+\.preview\.example\.com",
    r"https://pr-[0-9]+.preview\.example\.com",  # the loose dot stays inside example.com
    r"(?i)https://pr-\d+\.preview\.example\.com",
    r"https://[a-z0-9-]+\.example\.org(:[0-9]+)?",
    r"https://[^.]+\.example\.com",
    r"https://app\.example\.com|https://admin\.example\.org",
    r"http://localhost:\d+",
    r"https?://localhost:[0-9]+",
    r"http://127\.0\.0\.1:[0-9]{2,5}",
    r"http://\[::1\]:\d+",
]


@pytest.mark.parametrize("pattern", SOUND)
def test_intended_patterns_raise_no_alarm(pattern: str) -> None:
    assert regex_admits(pattern) == []
    CORSPolicy(allow_origin_regex=pattern, allow_credentials=True)
    assert lint(allow_origin_regex=pattern) == []
    assert lint(allow_origin_regex=pattern, allow_credentials=True) == []
    assert lint(allow_origin_regex=pattern, csrf_protection=True) == []


def test_a_list_is_judged_pattern_by_pattern() -> None:
    error = refusal(
        allow_origin_regex=[
            r"https://[a-z]+\.example\.com",
            r"https://.*example\.org",
            r"https://app.example.net",
        ],
        allow_credentials=True,
    )
    assert [(e.value, e.message.split(" (")[0]) for e in error.errors] == [
        (r"https://.*example\.org", r"'https://.*example\\.org' admits 'https://evilexample.org'"),
        (r"https://app.example.net", "'https://app.example.net' admits 'https://appxexample.net'"),
    ]


# --- plain http:// is judged by what a regex admits, loopback excepted -------------------------------

INSECURE = [
    (r"https?://app\.example\.com", "http://app.example.com"),
    (r"http(s)?://app\.example\.com", "http://app.example.com"),
    (r"[a-z]+://app\.example\.com", "http://app.example.com"),
    (r"(http|https)://app\.example\.com", "http://app.example.com"),
    (r"http://app\.example\.com", "http://app.example.com"),
    (r"https?://(?:[a-z0-9-]+\.)+example\.com", "http://a.example.com"),
]


@pytest.mark.parametrize(("pattern", "origin"), INSECURE)
def test_a_regex_admitting_plain_http_needs_tolerating_with_credentials(pattern: str, origin: str) -> None:
    assert admitted(pattern, origin)
    error = refusal(allow_origin_regex=pattern, allow_credentials=True)
    assert error.field == "allow_origin_regex"
    assert f"admits plain http:// origins such as {origin!r}" in error.message
    assert "tolerate_insecure_origins=True" in error.message
    CORSPolicy(allow_origin_regex=pattern, allow_credentials=True, tolerate_insecure_origins=True)
    [warning] = lint(allow_origin_regex=pattern, allow_credentials=True, tolerate_insecure_origins=True)
    assert warning.code == "regex-http-with-credentials"
    assert lint(allow_origin_regex=pattern) == []  # without credentials: nothing to steal


# --- wildcard patterns over a domain with public suffixes beneath it ----------------------------------


@pytest.mark.parametrize(
    ("pattern", "base"),
    [("https://*.amazonaws.com", "amazonaws.com"), ("https://*.windows.net", "windows.net")],
)
def test_a_wildcard_with_public_suffixes_beneath_is_refused_with_credentials(pattern: str, base: str) -> None:
    error = refusal(allow_origins=[pattern], allow_credentials=True)
    assert (error.field, error.value) == ("allow_origins", pattern)
    origin = re.search(r"admits '([^']+)'", error.message)
    assert origin is not None
    host = parse_serialized_origin(origin.group(1))
    assert host is not None
    assert host.host.startswith("attacker.")
    assert host.host.endswith("." + base)
    # ... and what the attacker registers under is itself a public suffix, per the list the library ships.
    assert public_suffix_list().is_public(host.host.removeprefix("attacker."))
    policy = CORSPolicy(allow_origins=[pattern])
    assert decide(policy, "GET", origin.group(1)).allowed  # the pattern really covers it
    [warning] = [f for f in lint(allow_origins=[pattern]) if f.code == "wildcard-covers-public-suffix"]
    assert origin.group(1) in warning.message


def test_amazonaws_names_the_s3_suffix() -> None:
    assert [f.origin for f in wildcard_admits("https://*.amazonaws.com")] == [
        "https://attacker.s3.amazonaws.com"
    ]
    assert "s3.amazonaws.com" in public_suffixes_beneath("amazonaws.com")


def test_a_wildcard_over_a_public_suffix_itself_is_still_refused() -> None:
    error = refusal(allow_origins=["https://*.vercel.app"])
    assert "covers the whole public suffix 'vercel.app'" in error.message


@pytest.mark.parametrize(
    "pattern", ["https://*.example.com", "https://*.app.example.co.uk", "https://*.example.org:*"]
)
def test_wildcards_over_private_domains_pass(pattern: str) -> None:
    assert wildcard_admits(pattern) == []
    CORSPolicy(allow_origins=[pattern], allow_credentials=True)


# --- backtracking: the message names the repeats as written, and a leak first -------------------------

BACKTRACKING = [
    (r"https://(a+)+\.example\.com", "a repeat inside a repeated group: 'a+' inside '(a+)+'"),
    (r"https://(\w+)*\.example\.com", r"a repeat inside a repeated group: '\\w+' inside '(\\w+)*'"),
    (r"https://(?:[a-z]*\.?)+example\.com", r"'[a-z]*' inside '(?:[a-z]*\\.?)+'"),
    (r"https://(a|a)+\.example\.com", "a repeated group whose alternatives overlap: '(a|a)+'"),
    (r"https://(?:a|ab)*\.example\.com", "alternatives overlap: '(?:a|ab)*'"),
    (
        r"https://.*.*.*\.example\.com",
        "three or more unbounded repeats that can match the same character: '.*', '.*' and '.*'",
    ),
    (r"https://[a-z]*[a-z0-9]+\w{2,}\.example\.com", r"'[a-z]*', '[a-z0-9]+' and '\\w{2,}'"),
    (r"(?x) https:// (a +) + \.example\.com  # verbose", "'a +' inside '(a +) +'"),
    (r"https://(a)\1\.example\.com", r"a back-reference ('\\1')"),
    # A run of optional items fails in exponential time, bounded or not (accepted before #20).
    (
        r"https://[a-z]?[a-z]?[a-z]?[a-z]{3}\.example\.com",
        "three or more variable repeats that can match the same character: '[a-z]?', '[a-z]?' and '[a-z]?'",
    ),
]


@pytest.mark.parametrize(("pattern", "named"), BACKTRACKING)
def test_backtracking_refusals_name_the_repeats_as_written(pattern: str, named: str) -> None:
    error = refusal(allow_origin_regex=pattern)
    assert error.value == pattern
    assert named in error.message


FLASK_CORS_DOCUMENTED = r"http?://\w*\.?example\.com:?\d*/?.*"


@pytest.mark.parametrize("credentials", [False, True])
def test_the_flask_cors_example_says_first_what_it_admits(credentials: bool) -> None:
    error = refusal(allow_origin_regex=FLASK_CORS_DOCUMENTED, allow_credentials=credentials)
    first = error.errors[0].message
    assert first.startswith(f"{FLASK_CORS_DOCUMENTED!r} admits 'http://example.com.evil.test'")
    assert admitted(FLASK_CORS_DOCUMENTED, "http://example.com.evil.test")
    # ... and the backtracking second, naming three of its repeats that can all match a 'p'.
    assert first.index("admits") < first.index(
        "three or more variable repeats that can match the same character"
    )
    assert r"'p?', '\\w*' and '.*'" in first


@pytest.mark.parametrize("pattern", [r"https://(a|a){40}\.example\.com.*", "https://" + "[a-z]?" * 60 + "x"])
def test_exponential_patterns_are_never_run_against_probes(pattern: str) -> None:
    # 2**40 steps if a failing probe were matched: refused from the parse tree alone, at once.
    start = time.perf_counter()
    assert regex_admits(pattern) == []
    error = refusal(allow_origin_regex=pattern, allow_credentials=True)
    assert time.perf_counter() - start < 1.0
    assert "can make one crafted Origin cost seconds" in error.message


# --- inline flags, and every valid regex either accepted or a ConfigError -----------------------------


def test_inline_flags_are_accepted_and_kept_to_their_own_pattern() -> None:
    flagged = r"(?i)https://PR-\d+\.preview\.example\.com"
    policy = CORSPolicy(allow_origin_regex=flagged, allow_credentials=True)
    assert decide(policy, "GET", "https://pr-12.preview.example.com").allowed
    assert lint(allow_origin_regex=flagged, allow_credentials=True) == []
    several = CORSPolicy(
        allow_origin_regex=[
            flagged,
            r"(?x) https://docs\.example\.org  # the docs site",
            r"https://B\.example\.net",
        ],
        allow_credentials=True,
    )
    assert decide(several, "GET", "https://pr-1.preview.example.com").allowed
    assert decide(several, "GET", "https://docs.example.org").allowed
    # (?i) of the first pattern does not reach the third: 'B' stays upper case, so b.example.net is out.
    assert not decide(several, "GET", "https://b.example.net").allowed


@pytest.mark.parametrize("pattern", [r"https://a\.example\.com(?i)", r"https://(?i)a\.example\.com"])
def test_flags_not_at_the_start_are_a_config_error(pattern: str) -> None:
    error = refusal(allow_origin_regex=pattern)
    assert "is not a valid regular expression" in error.message
    assert [f.severity for f in lint(allow_origin_regex=pattern)] == ["error"]


TOKENS = [
    "(?i)",
    "(?x)",
    "(?s)",
    "(",
    "(?:",
    "(?P<n>",
    "(?=",
    "(?!",
    ")",
    "|",
    "*",
    "+",
    "?",
    "*?",
    "++",
    "{2}",
    "{1,3}",
    "{,}",
    ".",
    r"\.",
    "[a-z]",
    "[^/]",
    "[.-]",
    r"\d",
    r"\w",
    r"\1",
    "^",
    "$",
    "https://",
    "http",
    "s?",
    "example",
    "com",
    ".com",
    "#",
    " ",
    "\n",
    ":",
    r"\b",
    "[]a]",
    "\\",
    "{",
    "}",
]


@settings(max_examples=400, deadline=None)
@given(st.lists(st.sampled_from(TOKENS), max_size=14), st.booleans())
def test_every_valid_regex_is_accepted_or_a_config_error(tokens: list[str], credentials: bool) -> None:
    pattern = "".join(tokens)
    try:
        re.compile(pattern)
        valid = True
    except (re.error, RecursionError, OverflowError):
        valid = False
    try:
        policy = CORSPolicy(
            allow_origin_regex=[pattern, r"https://b\.example\.net"], allow_credentials=credentials
        )
    except ConfigError as exc:
        refused = [e.message for e in exc.errors]
        assert valid or any("not a valid regular expression" in message for message in refused)
    else:
        assert valid
        # Joined with another pattern, it still means what it says on its own, flags included.
        for origin in (
            "https://b.example.net",
            "https://example.com",
            "http://s.example.com",
            "https://a.com",
        ):
            alone = re.fullmatch(pattern, origin) is not None or origin == "https://b.example.net"
            assert decide(policy, "GET", origin).allowed == alone, origin
    findings = lint(allow_origin_regex=pattern, allow_credentials=credentials)
    assert all(isinstance(f, Finding) for f in findings)


# --- properties: what is reported is true, and sound shapes are quiet ---------------------------------

LABEL = st.from_regex(r"\A[a-z]([a-z0-9-]{0,6}[a-z0-9])?\Z")
TLD = st.sampled_from(["com", "org", "net", "co.uk", "de", "example"])
SAFE_PREFIXES = [
    "",
    r"[a-z0-9-]+\.",
    r"(?:[a-z0-9-]+\.)+",
    r".*\.",
    r"(?:www\.)?",
    r"pr-[0-9]+\.",
    r"(app|admin)\.",
]
SAFE_SUFFIXES = ["", r"(?::[0-9]+)?", r":8443", r"(:\d{2,5})?"]


@settings(max_examples=150, deadline=None)
@given(LABEL, TLD, st.sampled_from(SAFE_PREFIXES), st.sampled_from(SAFE_SUFFIXES))
def test_no_false_alarm_on_safe_shapes(label: str, tld: str, prefix: str, suffix: str) -> None:
    domain = f"{label}-q7.{tld}"  # a made-up registrable domain: nothing of the public suffix list beneath it
    pattern = f"https://{prefix}{re.escape(domain)}{suffix}"
    assert regex_admits(pattern) == [], pattern
    CORSPolicy(allow_origin_regex=pattern, allow_credentials=True)


LEAKY_SHAPES = [
    "https://.*{domain}",
    "https://[a-z0-9-]*{domain}",
    "https://{domain}.*",
    "https://(?:[a-z]+\\.)?{domain}(?:.*)",
    "https?://{domain}",
    "{loose}",
    "https://[a-z0-9]+\\.{tld}",
    ".*",
]


@settings(max_examples=150, deadline=None)
@given(LABEL, TLD, st.sampled_from(LEAKY_SHAPES))
def test_every_reported_origin_really_gets_in(label: str, tld: str, shape: str) -> None:
    domain = f"{label}-q7.{tld}"
    loose = "https://www." + domain  # its dots unescaped: 'wwwx<domain>' gets in
    pattern = shape.format(domain=re.escape(domain), loose=loose, tld=re.escape(tld))
    found = regex_admits(pattern)
    assert found, pattern
    for leak in found:
        assert admitted(pattern, leak.origin), (pattern, leak)
        if not leak.insecure and leak.kind != "any":
            host = leak.origin.partition("://")[2].partition(":")[0]
            assert public_suffix_list().privatesuffix(host) != domain  # someone else's site
    with pytest.raises(ConfigError):
        CORSPolicy(allow_origin_regex=pattern, allow_credentials=True)


# --- the hook a setting that trusts the allowed origins for writes will use ---------------------------


def test_origin_refusals_take_the_stakes_of_the_setting_that_needs_them() -> None:
    policy = CORSPolicy(allow_origin_regex=[r"https://.*example\.com", r"http://app\.example\.org"])
    writes = Stakes(
        "csrf_protection on",
        "every site could send writes the application trusts",
        "that site could send writes the application trusts",
        "can send trusted writes",
    )
    errors = origin_refusals(policy, writes)
    assert [e.value for e in errors] == [r"https://.*example\.com", r"http://app\.example\.org"]
    assert "with csrf_protection on that site could send writes" in errors[0].message
    assert "tolerate_insecure_origins" in errors[1].message
    tolerant = policy.replace(tolerate_insecure_origins=True)
    assert [e.value for e in origin_refusals(tolerant, writes)] == [r"https://.*example\.com"]


def test_a_verbose_regex_may_put_space_between_its_leading_flags() -> None:
    # Found by the property above: "(?x) (?i)" is one valid regex (verbose mode ignores the space), and
    # combining it with another regex must keep both flag groups at its start.
    policy = CORSPolicy(
        allow_origin_regex=["(?x) (?i) https://a\\.example\\.com  # ours", r"https://b\.example\.net"]
    )
    assert policy.compiled.matcher.allows("https://a.example.com")
    assert policy.compiled.matcher.allows("https://b.example.net")
    assert not policy.compiled.matcher.allows("https://c.example.com")

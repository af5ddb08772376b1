"""lint: every finding right, every silence justified (issue #21). A test per false alarm, silence or wrong
place that new users met, then tables of what must stay silent."""

from __future__ import annotations

import itertools
from typing import Any

import pytest

from cors_wsgi.lint import Finding, exit_status, lint_mapping
from cors_wsgi.rules import PathGlob

APP = "https://app.example.com"


def rule(path: str = "/api/*", **fields: Any) -> dict[str, Any]:
    return {"path": path, **fields}


def warnings(findings: list[Finding]) -> list[tuple[str, str]]:
    return [(f.code, f.message) for f in findings if f.severity == "warning"]


def errors(findings: list[Finding]) -> list[str]:
    return [str(f) for f in findings if f.severity == "error"]


CREDENTIALED_API = rule(allow_origins=[APP, "http://localhost:3000"], allow_credentials=True)
# The guard against cross-origin writes, on as the README's file has it (#20): lint suggests it for every
# credentialed rule of a file that does not say.
GUARD_ON = {"middleware": {"csrf_protection": True}}

# --- 11. the order of a '*' rule and a credentialed one ------------------------------------------------


def test_case11_the_readme_order_specific_star_first_is_silent() -> None:
    readme = {**GUARD_ON, "rule": [rule("/api/public/*", allow_origins=["*"]), CREDENTIALED_API]}
    findings = lint_mapping(readme)
    assert findings == []
    assert exit_status(findings, strict=True) == 0


def test_case11_a_star_rule_partly_over_a_credentialed_one_warns() -> None:
    findings = lint_mapping({**GUARD_ON, "rule": [rule("/*.json", allow_origins=["*"]), CREDENTIALED_API]})
    [(code, message)] = warnings(findings)
    assert code == "wildcard-origin-everywhere"
    assert "rule[1] ('/api/*')" in message
    assert "'/api/x.json' gets '*'" in message
    assert findings[0].location == "rule[0] /*.json"


@pytest.mark.parametrize(
    ("star", "credentialed", "warns"),
    [
        ("/api/public/*", "/api/*", False),  # a carve-out, before: the intended order
        ("/api/status", "/api/*", False),
        ("/api/*", "/api/*", True),  # the same paths: the credentialed rule never answers
        ("/*", "/api/*", True),  # every path
        ("/api*", "/api/*", True),  # wider: takes all of it
        ("/*.json", "/api/*", True),  # partial overlap
        ("/api/*/public", "/api/v1/*", True),  # partial overlap, both ways
        ("/public/*", "/api/*", False),  # disjoint
        ("/*.png", "/api/*.json", False),  # disjoint by the end
    ],
)
def test_case11_star_before_credentials_table(star: str, credentialed: str, warns: bool) -> None:
    findings = lint_mapping(
        {
            "rule": [
                rule(star, allow_origins=["*"]),
                rule(credentialed, allow_origins=[APP], allow_credentials=True),
            ]
        }
    )
    star_warnings = [f for f in findings if f.code == "wildcard-origin-everywhere"]
    assert bool(star_warnings) == warns, findings


def test_overlap_witness_agrees_with_brute_force() -> None:
    from cors_wsgi.lint import _overlap_witness

    pieces = ["", "/", "a", "/a", "b.json", ".json", "/a/"]
    every = {p + "*" + q for p, q in itertools.product(pieces, repeat=2)} | set(pieces)
    globs = sorted(g for g in every if g.startswith("/"))
    paths = {p + m + q for p, m, q in itertools.product(pieces, ["", "x", "/x/"], pieces)}
    for first, second in itertools.product(globs, repeat=2):
        witness = _overlap_witness(first, second)
        shared = [p for p in paths if PathGlob(first).matches(p) and PathGlob(second).matches(p)]
        if witness is not None:
            assert PathGlob(first).matches(witness), (first, second)
            assert PathGlob(second).matches(witness), (first, second)
        else:
            assert not shared, (first, second, shared[:3])


# --- 12. what can never match ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "write"),
    [
        ("/users/:id", "'/users/*'"),
        ("/items/{id}", "'/items/*'"),
        ("/files/<path:name>", "'/files/*'"),
        ("/api/.*", "'/api/*'"),
        ("/v[12]/*", "'/v*/*'"),
        ("/search?q=*", "'/search'"),
    ],
)
def test_case12_path_globs_in_other_frameworks_syntax_warn(path: str, write: str) -> None:
    [(code, message)] = warnings(lint_mapping({"rule": [rule(path, allow_origins=[APP])]}))
    assert code == "path-never-matches"
    assert f"write {write}" in message


@pytest.mark.parametrize(
    ("regex", "text"),
    [
        (r"https://app\.example\.com/", "ends with '/'"),
        (r"https://app\.example\.com:443", "default port :443"),
        (r"https://App\.example\.com", "upper-case letters ('A')"),
        (r"app\.example\.com", "has no scheme"),
        (r"[a-z]+\.example\.com", "has no scheme"),
    ],
)
def test_case12_regexes_no_browser_origin_can_match_warn(regex: str, text: str) -> None:
    findings = lint_mapping({"rule": [rule(allow_origin_regex=regex)]})
    never = [message for code, message in warnings(findings) if code == "regex-never-matches"]
    assert len(never) == 1
    assert text in never[0]


@pytest.mark.parametrize(
    "regex",
    [
        r"https://[a-z0-9-]+\.example\.com",
        r"https://(?:[a-z0-9-]+\.)+example\.com",
        r"^https://pr-[0-9]+\.preview\.example\.org$",
        r"https://app\.example\.com/?",  # the '/' is optional: the origin itself matches
        r"https://app\.example\.com(:443)?",
        r"https://(?i:App)\.example\.com",
        r"https://(?P<Name>[a-z]+)\.example\.com",
        r"https://[a-z]{2,8}\.example\.com",
        r"https?://localhost:8443",
    ],
)
def test_case12_regexes_that_can_match_are_not_flagged(regex: str) -> None:
    findings = lint_mapping({"rule": [rule(allow_origin_regex=regex)]})
    assert "regex-never-matches" not in [code for code, _ in warnings(findings)]


# --- 13. lower-case methods that fetch() does not normalise ------------------------------------------------


def test_case13_lower_case_patch_warns_and_normalised_ones_do_not() -> None:
    findings = lint_mapping(
        {"rule": [rule(allow_origins=[APP], allow_methods=["get", "post", "patch", "Delete"])]}
    )
    [(code, message)] = warnings(findings)
    assert code == "method-not-normalised"
    assert message.startswith("allow_methods: 'patch' is kept as written")
    assert "write 'PATCH'" in message


# --- 14. where the mistake is ----------------------------------------------------------------------------------


def test_case14_report_only_rules_misspelt_is_located_in_report_only() -> None:
    data = {"rule": [rule(allow_origins=[APP])], "report_only": {"rules": [rule(allow_origins=[APP])]}}
    [finding] = lint_mapping(data)
    assert finding.location == "[report_only]"
    assert "top-level" not in finding.message
    assert finding.message.startswith("rules: unknown key in [report_only]")
    assert "did you mean 'rule'?" in finding.message


def test_case14_middleware_debug_is_located_in_middleware() -> None:
    [finding] = lint_mapping({"rule": [rule(allow_origins=[APP])], "middleware": {"debug": True}})
    assert str(finding).startswith("[middleware]: error: debug: unknown key in [middleware]")
    assert "debug=True" in finding.message
    assert finding.to_dict()["section"] == "middleware"


# --- 15. one mistake, one error -------------------------------------------------------------------------------


@pytest.mark.parametrize("key", ["origins", "allowed_origins", "cors_allowed_origins"])
def test_case15_a_misspelt_origins_key_is_one_error(key: str) -> None:
    [message] = errors(lint_mapping({"rule": [rule(**{key: [APP]})]}))
    assert f"{key}: unknown key; did you mean 'allow_origins'?" in message


def test_case15_no_origin_at_all_is_still_an_error() -> None:
    [message] = errors(lint_mapping({"rule": [rule(allow_methods=["GET"])]}))
    assert "no origin is allowed" in message


@pytest.mark.parametrize(
    ("fields", "named"),
    [
        ({"allow_origin_regex": r"https://[a-z]+\.example\.com"}, ["allow_origin_regex", "keep '*' alone"]),
        (
            {"allow_origin_regex": r"https://[a-z]+\.example\.com", "allow_credentials": True},
            ["allow_origin_regex", "allow_credentials=True", "cookies"],
        ),
    ],
)
def test_case15_star_from_the_environment_over_a_regex_names_the_regex_and_credentials(
    fields: dict[str, Any], named: list[str]
) -> None:
    data = {"rule": [rule(allow_origins=[APP], **fields)]}
    [message] = errors(lint_mapping(data, environ={"CORS_ALLOW_ORIGINS": "*"}))
    assert "cannot be combined with others" not in message
    assert "('*',)" not in message
    for text in named:
        assert text in message
    assert "came from the environment variable CORS_ALLOW_ORIGINS" in message


# --- 16. private network from loopback, headers never exposed --------------------------------------------------


def test_case16_private_network_for_localhost_on_any_port_is_silent() -> None:
    local = {"rule": [rule(allow_origins=["http://localhost:*"], allow_private_network=True)]}
    assert lint_mapping(local) == []
    public = {"rule": [rule(allow_origins=["https://*.app.example.com"], allow_private_network=True)]}
    assert [code for code, _ in warnings(lint_mapping(public))] == ["private-network-wildcard"]


@pytest.mark.parametrize("name", ["Set-Cookie", "set-cookie2"])
def test_case16_exposing_set_cookie_warns(name: str) -> None:
    findings = lint_mapping({"rule": [rule(allow_origins=[APP], expose_headers=["X-Request-Id", name])]})
    [(code, message)] = warnings(findings)
    assert code == "expose-never-readable"
    assert f"expose_headers: {name!r} is never readable by scripts" in message


def test_a_star_rule_under_the_guard_is_named_as_trusting_every_origin() -> None:
    # The guard trusts what a rule allows; "*" lets every site's form POST through on that rule's paths.
    findings = lint_mapping(
        {
            "middleware": {"csrf_protection": True},
            "rule": [
                {"path": "/public/*", "allow_origins": ["*"], "allow_methods": ["GET", "POST"]},
                {"path": "/docs/*", "allow_origins": ["*"]},  # GET only: public reads
                {"path": "/api/*", "allow_origins": ["https://app.example.com"]},
            ],
        }
    )
    assert [(f.code, f.rule) for f in findings if f.code == "csrf-guard-trusts-every-origin"] == [
        ("csrf-guard-trusts-every-origin", 0)
    ]

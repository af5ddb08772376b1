"""Path globs: '*' is the only special character, the match is over the whole path, case-sensitive."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cors_wsgi import ConfigError, CORSPolicy
from cors_wsgi.rules import DOT_SEGMENT, DOT_SEGMENT_RULE, PathGlob, Rules, request_path

POLICY = CORSPolicy(allow_origins=["http://localhost:3000"])


@pytest.mark.parametrize(
    ("pattern", "path", "matches"),
    [
        ("/api/*", "/api/data", True),
        ("/api/*", "/api/", True),
        ("/api/*", "/api", False),
        ("/api/*", "/API/data", False),  # CVE-2024-6866: case-sensitive
        ("/api/*", "/apix/data", False),
        ("/api/*", "/api/a/b/c", True),  # '*' crosses '/'
        ("/*", "/", True),
        ("/api/data", "/api/data", True),
        ("/api/data", "/api/data/", False),
        ("/api/*/items", "/api/v1/items", True),
        ("/api/*/items", "/api/v1/items/1", False),
        ("/api/*/items", "/api/items", False),  # first and last piece may not overlap
        ("/a*b*c", "/abc", True),
        ("/a*b*c", "/aXbYc", True),
        ("/a*b*c", "/acb", False),
        ("/*.json", "/x.json", True),
        ("/v?/*", "/v1/x", False),  # '?' is literal
        ("/v?/*", "/v?/x", True),
        ("/[ab]/*", "/a/x", False),  # '[' is literal
        ("/a+b", "/a b", False),  # CVE-2024-6844: no second unquoting
        ("/a+b", "/a%2Bb", False),
        ("/api/*", "/apj", False),  # the prefix test's upper bound: "/apj" sorts after "/api/"
        ("/api/*", "/api0", False),  # and "/api0" after "/api/" too ("0" follows "/")
        ("/api/*", "/api.", False),  # "." sorts before "/"
        ("/a*b", "/ab", True),  # '*' may match nothing
        ("/a*b", "/a", False),
        ("/*ab*ab*", "/abab", True),
        ("/*ab*ab*", "/ab", False),  # one 'ab' cannot stand for both pieces
        ("/*ab*cd", "/cdab", False),  # pieces in order
        ("/x*/y*/z", "/x1/y2/z", True),
        ("/x*/y*/z", "/x1/z/y2", False),
        ("/ab*b*c", "/abc", False),  # a middle piece is looked for after the first piece...
        ("/a*b*bc", "/abc", False),  # ...and before the last
        (
            "/\u00e9t\u00e9/*",
            "/\u00c3\u00a9t\u00c3\u00a9/x",
            True,
        ),  # patterns compare as PEP 3333 latin-1 text
    ],
)
def test_path_glob(pattern: str, path: str, matches: bool) -> None:
    assert PathGlob(pattern).matches(path) is matches
    # Rules take a shortcut for "/prefix/*" globs: it must agree.
    assert (Rules([(pattern, POLICY)]).lookup(path) is not None) is matches


def test_many_stars_on_a_long_path_stay_linear() -> None:
    # A regex like /(.*)a(.*)a(.*)a.../ would backtrack here; leftmost placement never does.
    glob = PathGlob("/" + "*a" * 20 + "*b")
    assert glob.matches("/" + "a" * 20 + "b")
    assert not glob.matches("/" + "a" * 100_000)


# Paths as PEP 3333 hands them over (latin-1 text), from characters around the ones a prefix ends with.
_PATH_TEXT = st.text(alphabet="/.-09azAZ\x7f\x80\xfe\xff", max_size=12)


@given(prefix=_PATH_TEXT, path=_PATH_TEXT)
def test_the_prefix_shortcut_is_startswith(prefix: str, path: str) -> None:
    # A "/prefix/*" glob is tested with two comparisons instead of str.startswith; they must agree on
    # every path (dot segments aside, which are their own outcome).
    rules = Rules([("/" + prefix + "*", POLICY)])
    found = rules.lookup("/" + path)
    as_served = ("/" + prefix).encode("utf-8").decode("latin-1")  # what a server hands over for it
    if found is not DOT_SEGMENT:
        assert (found is not None) is ("/" + path).startswith(as_served)


@pytest.mark.parametrize(
    ("environ", "path"),
    [
        ({"SCRIPT_NAME": "/app", "PATH_INFO": "/api/x"}, "/app/api/x"),
        ({"PATH_INFO": "/api/x"}, "/api/x"),  # PEP 3333: a server may leave out an empty SCRIPT_NAME
        ({"SCRIPT_NAME": "/app"}, "/app"),
        ({}, ""),
    ],
)
def test_request_path_is_script_name_then_path_info(environ: dict[str, str], path: str) -> None:
    assert request_path(environ) == path


@pytest.mark.parametrize(
    ("path", "dot_segment"),
    [
        ("/public/../api/secret", True),
        ("/public/./api", True),
        ("/api/..", True),
        ("/api/.", True),
        ("/.well-known/security.txt", False),  # a name starting with '.' is no dot segment
        ("/api/.../x", False),
        ("/api/.x/", False),
        ("/api/x./", False),
        ("/api/x.json", False),
    ],
)
def test_only_whole_dot_segments_are_refused(path: str, dot_segment: bool) -> None:
    found = Rules([("/*", POLICY)]).lookup(path)
    assert (found is DOT_SEGMENT) is dot_segment
    if not dot_segment:
        assert found is POLICY.compiled


def test_the_first_matching_rule_wins_and_no_rule_means_none() -> None:
    other = CORSPolicy(allow_origins=["https://app.test"])
    rules = Rules([("/api/data", other), ("/api/*", POLICY), ("/*.json", other)])
    assert rules.lookup("/api/data") is other.compiled
    assert rules.lookup("/api/x.json") is POLICY.compiled
    assert rules.lookup("/x.json") is other.compiled
    assert rules.lookup("/other") is None


def test_map_keeps_the_globs_and_their_order_and_maps_the_dot_segment() -> None:
    other = CORSPolicy(allow_origins=["https://app.test"])
    seen: list[str] = []

    def name(pattern: str, target: object) -> str:
        seen.append(pattern)
        return f"{pattern} -> {'dot' if target is DOT_SEGMENT else 'policy'}"

    mapped = Rules([("/api/*", POLICY), ("/*", other)]).map(name)
    assert seen == ["/api/*", "/*", DOT_SEGMENT_RULE]
    assert DOT_SEGMENT_RULE == "(dot segment)"
    assert mapped.lookup("/api/x") == "/api/* -> policy"
    assert mapped.lookup("/x") == "/* -> policy"
    assert mapped.lookup("/a/../api/x") == "(dot segment) -> dot"


def test_every_malformed_rule_is_reported_at_once_naming_its_index() -> None:
    with pytest.raises(ConfigError) as info:
        Rules([("api/*", POLICY), ("/x", "policy"), ("/y", POLICY, POLICY), ("/ok/*", POLICY), (7, POLICY)])  # type: ignore[list-item]
    assert [(e.field, e.value, e.message) for e in info.value.errors] == [
        ("rules[0]", "api/*", "path pattern 'api/*' must be a string starting with '/' (e.g. '/api/*')"),
        ("rules[1]", ("/x", "policy"), "('/x', 'policy') is not a (path pattern, CORSPolicy) pair"),
        (
            "rules[2]",
            ("/y", POLICY, POLICY),
            f"{('/y', POLICY, POLICY)!r} is not a (path pattern, CORSPolicy) pair",
        ),
        ("rules[4]", 7, "path pattern 7 must be a string starting with '/' (e.g. '/api/*')"),
    ]


@pytest.mark.parametrize("rules", ["/api/*", b"/api/*", [], (), None, {"/api/*": POLICY}])
def test_rules_must_be_a_non_empty_list_of_pairs(rules: object) -> None:
    with pytest.raises(ConfigError) as info:
        Rules(rules)  # type: ignore[arg-type]
    assert [(e.field, e.value) for e in info.value.errors] == [("rules", rules)]
    assert info.value.message == f"{rules!r} must be a non-empty list of (path pattern, CORSPolicy) pairs"


def test_a_pattern_outside_rules_names_its_own_field() -> None:
    with pytest.raises(ConfigError) as info:
        PathGlob("api")
    assert info.value.field == "rules"
    with pytest.raises(ConfigError) as info:
        PathGlob("api", "paths")
    assert info.value.field == "paths"


def test_a_rule_list_pair_and_a_tuple_pair_are_the_same() -> None:
    assert Rules([["/api/*", POLICY]]).lookup("/api/x") is POLICY.compiled  # type: ignore[list-item]


def test_reprs_name_what_they_are() -> None:
    assert repr(PathGlob("/api/*")) == "PathGlob('/api/*')"
    assert repr(DOT_SEGMENT) == "DOT_SEGMENT"


def test_a_glob_tells_the_shapes_lint_and_rules_index_by() -> None:
    # Exact paths and "/prefix/*" globs are looked up without matches(): the two attributes say which.
    assert (PathGlob("/api/data").exact, PathGlob("/api/data").prefix) == ("/api/data", None)
    assert (PathGlob("/api/*").exact, PathGlob("/api/*").prefix) == (None, "/api/")
    assert (PathGlob("/api/*/x").exact, PathGlob("/api/*/x").prefix) == (None, None)
    assert (PathGlob("/a*b*").exact, PathGlob("/a*b*").prefix) == (None, None)

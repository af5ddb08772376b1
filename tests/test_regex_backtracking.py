"""The backtracking analysis of configured origin regexes (``regexes.py``), rule by rule.

Each rule has a pattern that only it refuses, with the text the user reads; the patterns next to each
(bounded repeats, disjoint alternatives, a class instead of alternatives) are accepted.
"""

from __future__ import annotations

import re
import sys

import pytest

from cors_wsgi import ConfigError, CORSPolicy
from cors_wsgi.decision import decide
from cors_wsgi.lint import lint_mapping
from cors_wsgi.regexes import backtracking

ATOMIC = sys.version_info >= (3, 11)


@pytest.mark.parametrize(
    "pattern",
    [
        r"https://(?>[a-z]+)\.example\.com",
        r"https://(?>a|ab)+\.example\.com",
        r"https://(?>a+)+\.example\.com",
    ],
)
def test_an_atomic_group_is_analysed_like_any_group(pattern: str) -> None:
    # An atomic group never gives back what it matched: no backtracking into it (Python 3.11 and later).
    if not ATOMIC:
        with pytest.raises(ConfigError):
            CORSPolicy(allow_origin_regex=pattern)
        return
    assert backtracking(pattern) is None
    policy = CORSPolicy(allow_origin_regex=pattern)
    assert decide(policy, "GET", "https://a.example.com").allowed is bool(
        re.fullmatch(pattern, "https://a.example.com")
    )


def test_a_repeat_inside_a_repeat_inside_an_atomic_group_is_refused() -> None:
    pattern = r"https://(?>(a+)+b)\.example\.com"
    with pytest.raises(ConfigError) as caught:
        CORSPolicy(allow_origin_regex=pattern)
    if ATOMIC:  # before 3.11, no atomic groups: re.compile refuses the pattern
        found = backtracking(pattern)
        assert found is not None
        assert (found.kind, found.description) == (
            "nested",
            "a repeat inside a repeated group: 'a+' inside '(a+)+'",
        )
        assert found.description in str(caught.value)


def test_lint_and_the_credentials_check_read_an_atomic_group() -> None:
    pattern = r"https://(?>[a-z]+)\.example\.com"
    if not ATOMIC:
        return  # re.compile refuses it before 3.11 (test_an_atomic_group_is_analysed_like_any_group)
    assert lint_mapping({"rule": [{"path": "/api/*", "allow_origin_regex": pattern}]}) == []
    policy = CORSPolicy(allow_origin_regex=pattern, allow_credentials=True)
    assert decide(policy, "GET", "https://app.example.com").allowed
    leaky = r"https://(?>[a-z]+)\.example\.com.*"
    with pytest.raises(ConfigError, match="admits 'https://a.example.com.evil.test'"):
        CORSPolicy(allow_origin_regex=leaky, allow_credentials=True)

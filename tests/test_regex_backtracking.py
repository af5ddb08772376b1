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
from cors_wsgi.regexes import backtracking, backtracking_construct, combine

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


def test_a_possessive_repeat_before_3_11_is_a_config_error() -> None:
    # Before 3.11 'a++' is not a possessive repeat but "multiple repeat": re.compile refuses it, and so
    # does the policy; from 3.11 on, REFUSED names it as a nested repeat.
    if ATOMIC:
        assert backtracking(r"(a++)+") is not None
        return
    with pytest.raises(ConfigError, match="allow_origin_regex"):
        CORSPolicy(allow_origin_regex=r"https://(a++)+\.example\.com")


def test_lint_and_the_credentials_check_read_an_atomic_group() -> None:
    pattern = r"https://(?>[a-z]+)\.example\.com"
    if not ATOMIC:
        return  # re.compile refuses it before 3.11 (test_an_atomic_group_is_analysed_like_any_group)
    assert lint_mapping({"rule": [{"path": "/api/*", "allow_origin_regex": pattern}]}) == []
    policy = CORSPolicy(allow_origin_regex=pattern, allow_credentials=True)
    assert decide(policy, "GET", "https://app.example.com").allowed
    leaky = r"https://(?>[a-z]+)\.example\.com.*"
    with pytest.raises(ConfigError, match=r"admits 'https://a\.example\.com\.evil\.test'"):
        CORSPolicy(allow_origin_regex=leaky, allow_credentials=True)


NESTED = "a repeat inside a repeated group: "
ALTERNATIVES = "a repeated group whose alternatives overlap: "
UNBOUNDED = "three or more unbounded repeats that can match the same character: "
VARIABLE = "three or more variable repeats that can match the same character: "

# (pattern, kind, what the ConfigError says of it); the repeats are quoted as the user wrote them.
REFUSED = [
    # A repeat inside a repeat whose iterations the engine cannot tell apart.
    (r"(a+)+", "nested", NESTED + "'a+' inside '(a+)+'"),
    (r"(a*)*", "nested", NESTED + "'a*' inside '(a*)*'"),
    (r"(a?)+", "nested", NESTED + "'a?' inside '(a?)+'"),
    (r"(a{1,2})+", "nested", NESTED + "'a{1,2}' inside '(a{1,2})+'"),
    (r"(a{,3})+", "nested", NESTED + "'a{,3}' inside '(a{,3})+'"),
    (r"(a{2,}){3}", "nested", NESTED + "'a{2,}' inside '(a{2,}){3}'"),  # bounded, but more than once
    (r"(?:a+)+", "nested", NESTED + "'a+' inside '(?:a+)+'"),
    (r"(a+a)+", "nested", NESTED + "'a+' inside '(a+a)+'"),  # what follows the inner repeat, it can match
    (r"(a+b?)+", "nested", NESTED + "'a+' inside '(a+b?)+'"),  # an optional follower: the next iteration
    (r"(\w+\d+)+", "nested", NESTED + r"'\\w+' inside '(\\w+\\d+)+'"),
    (r"([\w]+.)+", "nested", NESTED + r"'[\\w]+' inside '([\\w]+.)+'"),
    # A possessive repeat still matches a repeated group's iterations many ways (Python 3.11 and later).
    *([(r"(a++)+", "nested", NESTED + "'a++' inside '(a++)+'")] if ATOMIC else []),
    (r"(?i)(a+?)+", "nested", NESTED + "'a+?' inside '(a+?)+'"),
    (r"(é+)+", "nested", NESTED + "'é+' inside '(é+)+'"),
    (r"(\u0041+)+", "nested", NESTED + r"'\\u0041+' inside '(\\u0041+)+'"),
    (r"(\N{LATIN SMALL LETTER A}+)+", "nested", NESTED + r"'\\N{LATIN SMALL LETTER A}+' inside '(\\N{LATIN SMALL LETTER A}+)+'"),
    (r"\101+\101*(\101+)+", "nested", NESTED + r"'\\101+' inside '(\\101+)+'"),
    (r"[]a]+[^]a]*(c+)+", "nested", NESTED + "'c+' inside '(c+)+'"),
    (r"(?x) ( a + ) +  # the host", "nested", NESTED + "'a +' inside '( a + ) +'"),
    (r"x(?:(a+)+)", "nested", NESTED + "'a+' inside '(a+)+'"),
    (r"(a|(b+)+)", "nested", NESTED + "'b+' inside '(b+)+'"),
    (r"(?=(a+)+)", "nested", NESTED + "'a+' inside '(a+)+'"),
    (r"(?!a)(a+)+", "nested", NESTED + "'a+' inside '(a+)+'"),
    # A repeat over alternatives that can start with the same character.
    (r"(a|a)+", "alternatives", ALTERNATIVES + "'(a|a)+'"),
    (r"(a|ab)*", "alternatives", ALTERNATIVES + "'(a|ab)*'"),
    (r"(a|ab){1,8}", "alternatives", ALTERNATIVES + "'(a|ab){1,8}'"),
    (r"(a|ab){2}", "alternatives", ALTERNATIVES + "'(a|ab){2}'"),
    (r"(x(a|a)+)?", "alternatives", ALTERNATIVES + "'(a|a)+'"),  # inside a group that is not repeated
    (r"(a|)+", "alternatives", ALTERNATIVES + "'(a|)+'"),
    (r"(a|a?)+", "alternatives", ALTERNATIVES + "'(a|a?)+'"),
    (r"(^a|a)+", "alternatives", ALTERNATIVES + "'(^a|a)+'"),
    (r"((a)|(a))+", "alternatives", ALTERNATIVES + "'((a)|(a))+'"),
    (r"(.|\w)+", "alternatives", ALTERNATIVES + r"'(.|\\w)+'"),
    (r"(\d+|\w+)+", "alternatives", ALTERNATIVES + r"'(\\d+|\\w+)+'"),
    (r"([^a]|b)+", "alternatives", ALTERNATIVES + "'([^a]|b)+'"),
    (r"(\x41|A)+", "alternatives", ALTERNATIVES + r"'(\\x41|A)+'"),
    (r"(a+b|a+c)+", "alternatives", ALTERNATIVES + "'(a+b|a+c)+'"),
    # Three or more repeats that can all match one character: polynomial.
    (r".*.*.*", "polynomial", UNBOUNDED + "'.*', '.*' and '.*'"),
    (r".*a.*b.*", "polynomial", UNBOUNDED + "'.*', '.*' and '.*'"),
    (r"a+a+a+", "polynomial", UNBOUNDED + "'a+', 'a+' and 'a+'"),
    (r"(?:.*)(?:.*)(?:.*)", "polynomial", UNBOUNDED + "'.*', '.*' and '.*'"),
    (r"(?:a|b)*(?:a|b)*(?:a|b)*", "polynomial", UNBOUNDED + "'(?:a|b)*', '(?:a|b)*' and '(?:a|b)*'"),
    (r"a*[^a]*a*", "polynomial", UNBOUNDED + "'a*', '[^a]*' and 'a*'"),
    (r"\x41*\x41*\x41*", "polynomial", UNBOUNDED + r"'\\x41*', '\\x41*' and '\\x41*'"),
    (r"(?x) a* a* a*", "polynomial", UNBOUNDED + "'a*', 'a*' and 'a*'"),
    (r"[a-z]?[a-z]?[a-z]?", "polynomial", VARIABLE + "'[a-z]?', '[a-z]?' and '[a-z]?'"),
    (r"a{0,3}a{0,3}a{0,3}", "polynomial", VARIABLE + "'a{0,3}', 'a{0,3}' and 'a{0,3}'"),
    (r".?.?.?", "polynomial", VARIABLE + "'.?', '.?' and '.?'"),
    # Not a regular language at all.
    (r"(a)\1", "back-reference", r"a back-reference ('\\1')"),
    (r"(?P<h>a)(?P=h)", "back-reference", "a back-reference ('(?P=h)')"),
    (r"(a)?(?(1)b|c)", "back-reference", "a back-reference ('(?(1)')"),
]  # fmt: skip


@pytest.mark.parametrize(("pattern", "kind", "description"), REFUSED)
def test_each_backtracking_construct_is_named(pattern: str, kind: str, description: str) -> None:
    found = backtracking(pattern)
    assert found is not None
    assert (found.kind, found.description) == (kind, description)
    assert found.exponential is (kind != "polynomial")
    assert backtracking_construct(pattern) == description
    with pytest.raises(ConfigError) as caught:
        CORSPolicy(allow_origin_regex=pattern)
    assert description in str(caught.value)


ACCEPTED = [
    r"(a{2})+",  # a fixed count inside: one way to split
    r"(a|b)+",  # disjoint alternatives (the parser makes them a class)
    r"(a|b|a)+",  # single characters: one class, whatever repeats
    r"(\d|\w)+",
    r"(\s|\S)+",
    r"([a-z]|[0-9])+",
    r"(\w|é)+",
    r"(.a|.b)+",  # the common '.' is factored out
    r"(?:ab|ac)+",
    r"(?:(a|b)x)+",
    r"([a-z]+\.)+x",  # each inner run stops at a '.' it cannot match
    r"([ab]+c)+",
    r"(ab*)+",
    r"(a*b)+",
    r"(a{2,3}b)+",
    r"(a|ab)?",  # at most once: nothing to split
    r"(a|b)(c|d)",
    r"(?=a+)+b",
    r"[a-z]*[0-9]*[a-z]*",  # no one character all three match
    r"a*b*a*",
    r"a+?b",
]


@pytest.mark.parametrize("pattern", ACCEPTED)
def test_linear_shapes_are_accepted(pattern: str) -> None:
    assert backtracking(pattern) is None
    assert backtracking_construct(pattern) is None


# The refusal quotes the repeats as written, whatever stands around them: classes that hold ']' or '^',
# escapes inside classes, verbose white space and comments (which may themselves hold quantifiers). None:
# accepted, because what follows the inner repeat is mandatory and cannot be matched by it.
QUOTED = [
    (r"([^]a]+b?)+", NESTED + "'[^]a]+' inside '([^]a]+b?)+'"),
    (r"([]a]+)+", NESTED + "'[]a]+' inside '([]a]+)+'"),
    (r"([\]a]+)+", NESTED + r"'[\\]a]+' inside '([\\]a]+)+'"),
    (r"([^^]+)+", NESTED + "'[^^]+' inside '([^^]+)+'"),
    (r"[a-z]+([\\]+)+", NESTED + r"'[\\\\]+' inside '([\\\\]+)+'"),
    ("(?x)\n# the host: a+ b*\n( a+ # letters, then more\n) +", NESTED + "'a+' inside '( a+ # letters, then more\\n) +'"),
    ("(?x) # one comment\n # and another: (x+)+\n(a+)+", NESTED + "'a+' inside '(a+)+'"),
    ("(?x)(a+)+ # the end, without a newline", NESTED + "'a+' inside '(a+)+'"),
    (r"(\U00000061+)+", NESTED + r"'\\U00000061+' inside '(\\U00000061+)+'"),
    (r"a{2}(\N{LATIN SMALL LETTER B}+)+", NESTED + r"'\\N{LATIN SMALL LETTER B}+' inside '(\\N{LATIN SMALL LETTER B}+)+'"),
    (r"(\N{LATIN SMALL LETTER B}+)+c{2}", NESTED + r"'\\N{LATIN SMALL LETTER B}+' inside '(\\N{LATIN SMALL LETTER B}+)+'"),
    # which characters a class can start an alternative with: every one of it, in any order
    (r"([ab]c|ad)+", ALTERNATIVES + "'([ab]c|ad)+'"),
    (r"([a\d]x|ay)+", ALTERNATIVES + r"'([a\\d]x|ay)+'"),
    (r"([a-c]x|ay)+", ALTERNATIVES + "'([a-c]x|ay)+'"),
    (r"([a-c]x|cy)+", ALTERNATIVES + "'([a-c]x|cy)+'"),
    (r"([a-c]x|dy)+", None),
    (r"([\u0100-\u0101]x|ay)+", None),  # non-ASCII never overlaps 'a'
    # the scanner: scoped verbose flags, octal escapes of one to three digits
    (r"(?x: ( a + ) + )", NESTED + "'a +' inside '( a + ) +'"),
    (r"(\01a+a)+", NESTED + r"'a+' inside '(\\01a+a)+'"),
    (r"(\1011+1)+", NESTED + r"'1+' inside '(\\1011+1)+'"),
    # comment groups, flag groups and a quantified space are no atoms to confuse the count
    (r"(?#a+)(b+)+", NESTED + "'b+' inside '(b+)+'"),
    (r"(b+b(?#x*))+", NESTED + "'b+' inside '(b+b(?#x*))+'"),
    (r"(b+(?#x*)b)+", NESTED + "'b+' inside '(b+(?#x*)b)+'"),
    (r"(?i)(b+)+", NESTED + "'b+' inside '(b+)+'"),
    (r"( + )+", NESTED + "' +' inside '( + )+'"),  # outside verbose mode a space is an atom
    (r"([]]+)+", NESTED + "'[]]+' inside '([]]+)+'"),  # a class of ']' alone
    (r"(a)(?#x+)(b+)+", NESTED + "'b+' inside '(b+)+'"),  # a comment after a group
    (r"(a + )+", NESTED + "' +' inside '(a + )+'"),  # outside verbose mode '+' repeats the space
    (r"(X+X)+", NESTED + "'X+' inside '(X+X)+'"),
    (r"a*(a*)a*", UNBOUNDED + "'a*', 'a*' and 'a*'"),  # repeats in a group count with the others
    (r"a{2}a{2}a{2}", None),  # fixed repeats: one way to match each
    # repeats inside a conditional group are counted, so the ones before it are still quoted
    (r"(a+)+(?(1)b+|c*)", NESTED + "'a+' inside '(a+)+'"),
    # what a repeated body starts with, item by item
    (r"(aa+)+", NESTED + "'a+' inside '(aa+)+'"),  # the inner repeat after a plain character
    (r"(aa+b)+", None),  # its follower is the next item, not the one before
    (r"(a+(a))+", NESTED + "'a+' inside '(a+(a))+'"),  # a group's items count as the body's
    (r"(a+)?b", None),  # a group repeated at most once is no repeat around the inner one
    (r"(a+x|by)+", None),  # a repeat that must match starts with what its body starts with
    (r"(a{2,}x|by)+", None),
    (r"(a*x|xy)+", ALTERNATIVES + "'(a*x|xy)+'"),  # one that may be skipped: what follows can start
    (r"([^b]x|ay)+", ALTERNATIVES + "'([^b]x|ay)+'"),  # a negated class: any character
    (r"(\bax|by)+", None),  # an anchor matches no character: the next item starts the branch
    (r"(éx|\wy)+", ALTERNATIVES + r"'(éx|\\wy)+'"),  # \w matches some non-ASCII letters
    # a back-reference wherever it stands
    (r"x((a)\2)", r"a back-reference ('\\2')"),
    (r"(b|(a)\2)", r"a back-reference ('\\2')"),
    (r"(?=(a)\1)", r"a back-reference ('\\1')"),
    (r"(?:(a)\1)+", r"a back-reference ('\\1')"),
    (r"(a+[^b])+", NESTED + "'a+' inside '(a+[^b])+'"),  # [^b] can match 'a': the next iteration's start
    (r"(a+b{1,2})+", None),  # at least one 'b' after each run of 'a'
    (r"(a+b{1,})+", None),
    (r"(a+b{0,2})+", NESTED + "'a+' inside '(a+b{0,2})+'"),  # the 'b' may be absent
    (r"a*b*.*", None),  # no one character that all three can match
    (r"a*a*.*", UNBOUNDED + "'a*', 'a*' and '.*'"),
]  # fmt: skip


@pytest.mark.parametrize(("pattern", "description"), QUOTED)
def test_the_repeats_at_fault_are_quoted_as_written(pattern: str, description: str | None) -> None:
    assert backtracking_construct(pattern) == description


def test_a_non_verbose_pattern_keeps_the_space_after_its_leading_flags_when_combined() -> None:
    # Outside verbose mode a space is a literal: only a verbose pattern may have white space (or comments)
    # between its leading flag groups and its body.
    combined = combine([r"(?i) a\.example\.com", r"b\.example\.com"])
    assert combined.fullmatch(" A.example.com")
    assert not combined.fullmatch("a.example.com")
    verbose = combine([r"(?ix) # the host" + "\n" + r"a\.example\.com", r"b\.example\.com"])
    assert verbose.fullmatch("A.example.com")


def test_a_possible_nested_set_is_only_pythons_warning() -> None:
    # re warns (FutureWarning) about '[[' and compiles the pattern; only misplaced flags are refused.
    with pytest.warns(FutureWarning, match="Possible nested set"):
        policy = CORSPolicy(allow_origin_regex=r"https://[[a]+\.example\.com")
    assert decide(policy, "GET", "https://aa.example.com").allowed
    with pytest.raises(ConfigError, match="not at the start of the expression"):
        CORSPolicy(allow_origin_regex=r"https://a(?i)b\.example\.com")


# How many variable repeats can match one same character: lint runs a polynomial pattern against probe
# origins only when there are at most three (each more multiplies the steps by the probe's length).
OVERLAPPING = [
    (r".*.*.*", 3),
    (r"a*a*a*", 3),
    (r"a*a*.*a*", 4),
    (r"a*[ab]*b*a*", 3),
    (r"(a+)+", 1),
    (r"(a)\1", 0),
]


@pytest.mark.parametrize(("pattern", "count"), OVERLAPPING)
def test_the_repeats_that_share_a_character_are_counted(pattern: str, count: int) -> None:
    found = backtracking(pattern)
    assert found is not None
    assert found.overlapping == count

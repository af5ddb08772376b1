"""Configured origin patterns judged by what they admit: attacker-shaped origins built from each pattern's own
domain are tried against it, and the first one that gets in is named.

    >>> [(found.kind, found.origin) for found in regex_admits(r"https://.*example\\.com")]
    [('prefix', 'https://evilexample.com')]
    >>> [found.origin for found in regex_admits(r"https://app\\.example\\.com.*")]
    ['https://app.example.com.evil.test']
    >>> [found.origin for found in regex_admits(r"https?://app.example\\.com")]
    ['https://appxexample.com', 'http://app.example.com']
    >>> regex_admits(r"https://[a-z0-9-]+\\.example\\.com"), regex_admits(r"http://localhost:\\d+")
    ([], [])
    >>> [found.origin for found in wildcard_admits("https://*.amazonaws.com")]
    ['https://attacker.s3.amazonaws.com']

A regex is sound when no origin outside the domains it names fully matches it (the shape of the regex does
not matter, what it admits does). The domains it names are found by writing out origins the regex matches
(its *witnesses*: ``https://a.example.org`` for ``https://.*\\.example\\.org``) and taking each one's
registrable domain from the public suffix list. Then, for each witness, these are tried:

- ``suffix``: the witness followed by ``.evil.test`` (a trailing ``.*``);
- ``prefix``: ``evil`` glued in front of its registrable domain (``https://evilexample.com``: a ``.*`` or
  ``[a-z]*`` with no dot before the domain);
- ``dot``: each ``.`` of the host replaced by ``x`` (``https://appxexample.com``: an unescaped dot);
- ``public-suffix``: ``attacker.`` under the witness's public suffix (``https://attacker.vercel.app``), and
  under every public suffix the list has beneath its registrable domain (``s3.amazonaws.com``);
- ``insecure``: the witness over plain ``http://`` (loopback hosts excepted, as in ``allow_origins``);

and, before all, ``any``: hosts under ``.invalid`` that no policy lists (``.*``, ``https://.+``). A probe
counts only when it is a serialized origin a browser could send and its registrable domain is none of the
witnesses'. The same list tells which wildcard patterns cover strangers' names: ``https://*.amazonaws.com``
covers ``attacker.s3.amazonaws.com`` because ``s3.amazonaws.com`` is itself a public suffix.

Everything runs once, when a policy is built; the probes are short and fixed, and a pattern that can
backtrack exponentially is never run against them.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, NamedTuple

from .errors import ConfigError
from .grammar import MAX_ORIGIN_LENGTH, Origin, is_loopback_host, parse_serialized_origin
from .origins import public_suffix_list
from .regexes import ATOMIC_GROUP, PROBE_ORIGINS, REPEATS, _c, _p, backtracking, group_body

REGEX_FIELD = "allow_origin_regex"
ORIGINS_FIELD = "allow_origins"
ATTACKER = "attacker"
_OUTSIDE = ".evil.test"
_MAX_WITNESSES = 48  # witnesses written out per regex: each a few probes, all at construction
_SHORT = 80  # a regex refused for polynomial backtracking is only probed with origins this short
# Characters a witness is written with, what a host is made of first.
_CANDIDATES = "abcdefghijklmnopqrstuvwxyz123456789-.0" + "".join(map(chr, range(33, 127)))


@dataclass(frozen=True)
class Admitted:
    """An origin a configured pattern lets in although it belongs to someone else (or travels over http)."""

    field: str  # "allow_origin_regex" or "allow_origins"
    pattern: str
    origin: str
    kind: str  # "any", "suffix", "prefix", "dot", "public-suffix" or "insecure"
    reason: str  # why that origin is not one the pattern's author meant
    fix: str

    @property
    def insecure(self) -> bool:
        return self.kind == "insecure"

    def __str__(self) -> str:
        return f"{self.pattern!r} admits {self.origin!r} ({self.reason}); {self.fix}"


class Stakes(NamedTuple):
    """What trusting an admitted origin costs under one setting, for the refusal's message."""

    setting: str  # "allow_credentials=True"
    every_site: str  # what '*' in disguise lets every site do
    that_site: str  # what one admitted stranger can do
    insecure: str  # what a network attacker on a plain-http page can do


CREDENTIALS = Stakes(
    "allow_credentials=True",
    "that is '*' with credentials, letting every site read responses with the user's cookies",
    "that site could read responses with the user's cookies",
    "can read credentialed responses",
)


def refusal(found: Admitted, stakes: Stakes = CREDENTIALS) -> ConfigError:
    """The ``ConfigError`` for an admitted origin under a setting that makes it matter (credentials; a
    guard that trusts the listed origins for writes passes its own ``Stakes``)."""
    if found.kind == "any":
        message = (
            f"{found.pattern!r} matches origins no policy lists (any host under .invalid, e.g. "
            f"{found.origin!r}): with {stakes.setting} {stakes.every_site}; {found.fix}"
        )
    elif found.insecure:
        message = (
            f"{found.pattern!r} admits plain http:// origins such as {found.origin!r} with {stakes.setting}: "
            f"anyone who can tamper with that page's traffic {stakes.insecure}; {found.fix}, or set "
            "tolerate_insecure_origins=True to accept the risk"
        )
    else:
        message = (
            f"{found.pattern!r} admits {found.origin!r} ({found.reason}): with {stakes.setting} "
            f"{stakes.that_site}; {found.fix}"
        )
    return ConfigError(found.field, message, value=found.pattern)


def policy_admits(origins: Iterable[str], regexes: Iterable[str]) -> list[Admitted]:
    """What a policy's wildcard patterns and regexes admit beyond their own domains (validated values)."""
    out: list[Admitted] = []
    for origin in origins:
        if "://*." in origin:
            out += wildcard_admits(origin)
    for pattern in regexes:
        out += regex_admits(pattern)
    return out


def wildcard_admits(pattern: str) -> list[Admitted]:
    """``scheme://*.base[:port]``: the first stranger's origin it covers, when a public suffix lies beneath
    ``base`` (``https://*.amazonaws.com`` covers ``https://attacker.s3.amazonaws.com``)."""
    scheme, _, rest = pattern.partition("://*.")
    base, _, port = rest.partition(":")
    beneath = public_suffixes_beneath(base)
    if not beneath:
        return []
    suffix = beneath[0]
    origin = f"{scheme}://{ATTACKER}.{suffix.replace('*', 'x')}" + (
        f":{port}" if port not in ("", "*") else ""
    )
    return [
        Admitted(
            ORIGINS_FIELD,
            pattern,
            origin,
            "public-suffix",
            f"{suffix!r} is on the public suffix list beneath {base!r}: anyone can register a name there",
            f"list your own hosts, or narrow the pattern to a part of {base} that you alone control",
        )
    ]


def regex_admits(pattern: str) -> list[Admitted]:
    """At most two findings for one regex: the first stranger's origin it admits (or hosts under
    ``.invalid``), and the first plain-http origin of a host that is not loopback. ``[]`` when it is sound,
    cannot be compiled, or can backtrack exponentially (it is refused for that, and never run here)."""
    return list(_regex_admits(pattern))


@lru_cache(maxsize=512)  # a policy rebuilt or reconfigured with the same regex pays once
def _regex_admits(pattern: str) -> tuple[Admitted, ...]:
    try:
        regex = re.compile(pattern)
        parsed = _p.parse(pattern)
        danger = backtracking(pattern)
    except (re.error, RecursionError, OverflowError, DeprecationWarning):
        return ()
    # Polynomial at worst (n ** overlapping steps on an n-character probe): probed, with short origins only.
    if danger is not None and (danger.exponential or danger.overlapping > 3):
        return ()
    short = danger is not None  # polynomial: short probes only, and not hundreds of them
    probe = _Prober(pattern, regex, _SHORT if short else MAX_ORIGIN_LENGTH)
    for origin in PROBE_ORIGINS:
        if regex.fullmatch(origin):
            fix = "list the origins, or use a pattern such as 'https://*.example.com'"
            return (Admitted(REGEX_FIELD, pattern, origin, "any", "any host under .invalid", fix),)
    try:
        witnesses = _witnesses(list(parsed), probe)
    except RecursionError:
        return ()
    domains = {_registrable(w.host) for w in witnesses}
    out: list[Admitted] = []
    for found in _outside(pattern, witnesses, domains, probe, few=short):
        out.append(found)
        break
    for witness in witnesses:
        insecure = Origin("http", witness.host, witness.port)
        if not is_loopback_host(witness.host) and probe.admits(insecure):
            fix = "require https:// (write 'https://', not 'https?://' or '[a-z]+://')"
            out.append(Admitted(REGEX_FIELD, pattern, _text(insecure), "insecure", "plain http://", fix))
            break
    return tuple(out)


class _Prober:
    def __init__(self, pattern: str, regex: re.Pattern[str], longest: int) -> None:
        self.pattern = pattern
        self.regex = regex
        self.longest = longest

    def admits(self, origin: Origin) -> bool:
        text = _text(origin)
        return (
            len(text) <= self.longest
            and parse_serialized_origin(text) == origin
            and bool(self.regex.fullmatch(text))
        )


def _outside(
    pattern: str, witnesses: Sequence[Origin], domains: set[str], probe: _Prober, *, few: bool
) -> Iterator[Admitted]:
    def found(origin: Origin, kind: str, reason: str, fix: str) -> Admitted | None:
        if _registrable(origin.host) in domains or not probe.admits(origin):
            return None
        return Admitted(REGEX_FIELD, pattern, _text(origin), kind, reason, fix)

    for witness in witnesses:
        scheme, host, port = witness
        if host.startswith("[") or host.replace(".", "").isdigit() or is_loopback_host(host):
            continue  # an address or loopback: nobody else can hold a name under it
        domain = _registrable(host)
        escaped = re.escape(domain)
        subdomains = (
            f"a dot before it, as in '{scheme}://(?:[a-z0-9-]+\\.)+{escaped}' or the wildcard pattern "
            f"'{scheme}://*.{domain}'"
        )
        candidates: list[Admitted | None] = [
            found(
                Origin(scheme, host + _OUTSIDE, port),
                "suffix",
                f"anything may follow {host!r}",
                "end the pattern with the host (and at most a port: '(?::[0-9]+)?')",
            )
        ]
        public = public_suffix_list().publicsuffix(host)
        if isinstance(public, str):
            candidates.append(
                found(
                    Origin(scheme, f"{ATTACKER}.{public}", port),
                    "public-suffix",
                    f"{public!r} is a public suffix: anyone can register a name under it",
                    "name your own hosts",
                )
            )
        for suffix in public_suffixes_beneath(domain)[: 3 if few else None]:
            candidates.append(
                found(
                    Origin(scheme, f"{ATTACKER}.{suffix.replace('*', 'x')}", port),
                    "public-suffix",
                    f"{suffix!r} is on the public suffix list beneath {domain!r}: anyone can register a "
                    "name there",
                    "name your own hosts",
                )
            )
        # 'evil' glued to the end of the domain's first label, shortest first, so that letters the witness
        # made up ('a' for '[a-z]+') are left out of the name reported: https://evilexample.com.
        label, _, rest = domain.partition(".")
        for start in range(len(label), -1, -1):
            glued = found(
                Origin(scheme, f"evil{label[start:]}.{rest}" if rest else f"evil{label[start:]}", port),
                "prefix",
                f"anything may come right before {label[start:] + '.' * bool(rest) + rest!r}, not only "
                "subdomains",
                f"require {subdomains}",
            )
            if glued is not None:
                candidates.append(glued)
                break
        for index in (i for i, char in enumerate(host) if char == "."):
            twin = host[:index] + "x" + host[index + 1 :]
            candidates.append(
                found(
                    Origin(scheme, twin, port),
                    "dot",
                    "an unescaped '.' matches any character",
                    "write '\\.' for a literal dot",
                )
            )
        for candidate in candidates:
            if candidate is not None:
                yield candidate


def _text(origin: Origin) -> str:
    return f"{origin.scheme}://{origin.host}" + (f":{origin.port}" if origin.port else "")


def _registrable(host: str) -> str:
    """The registrable domain (``example.com`` for ``a.b.example.com``); the host itself when it has none
    (an address, ``localhost``, a public suffix)."""
    if host.startswith("[") or host.replace(".", "").isdigit():
        return host
    found = public_suffix_list().privatesuffix(host)
    return found if isinstance(found, str) else host


@lru_cache(maxsize=256)
def public_suffixes_beneath(domain: str) -> tuple[str, ...]:
    """The public suffix list's entries strictly beneath ``domain`` (private section included), shortest
    first, wildcard entries (``*.compute.amazonaws.com``) after plain ones."""
    tail = "." + domain
    found = [entry for entry in _suffix_entries() if entry.endswith(tail)]
    return tuple(sorted(found, key=lambda entry: ("*" in entry, len(entry), entry)))


@lru_cache(maxsize=1)
def _suffix_entries() -> tuple[str, ...]:
    from publicsuffixlist import PSLFILE  # the file public_suffix_list() is built from

    out = []
    with open(PSLFILE, encoding="utf-8", errors="replace") as lines:
        for line in lines:
            entry = line.strip().split(" ")[0].lower()
            if not entry or entry.startswith(("//", "!")):
                continue
            try:
                out.append(entry if entry.isascii() else entry.encode("idna").decode("ascii"))
            except UnicodeError:
                continue
    return tuple(out)


# --- witnesses: origins the regex matches, written out from its parse tree ----------------------------


class _Unwritable(Exception):
    """The branch cannot be written out (a back-reference) or would be longer than any origin."""


def _witnesses(items: list[tuple[Any, Any]], probe: _Prober) -> list[Origin]:
    """Serialized origins the regex matches: the shortest reading first, then readings that take one more
    turn of a repeat or another alternative (choices keyed by parse item, explored breadth-first)."""
    found: dict[Origin, None] = {}
    queue: list[dict[int, int]] = [{}]
    seen_choices: set[tuple[tuple[int, int], ...]] = set()
    writes = 0
    while queue and writes < _MAX_WITNESSES:
        choices = queue.pop(0)
        writes += 1
        writer = _Writer(choices, probe.longest)
        try:
            writer.sequence(items, repeated=False)
        except _Unwritable:
            continue
        text = "".join(writer.out)
        # A pattern that starts with '.*' or '[a-z]+://' is written out without a usable scheme: try the
        # host part under https:// and http:// too (fullmatch decides).
        rest = text.lower().rpartition("://")[2]
        for candidate in (text, text.lower(), "https://" + rest, "http://" + rest):
            origin = parse_serialized_origin(candidate)
            if origin is not None and _text(origin) == candidate and probe.regex.fullmatch(candidate):
                found.setdefault(origin)
                break
        for key, options in writer.points:
            if key in choices:
                continue
            for option in range(1, options):
                following = {**choices, key: option}
                marker = tuple(sorted(following.items()))
                if marker not in seen_choices:
                    seen_choices.add(marker)
                    queue.append(following)
    # https first: the probes built from a witness keep its scheme, and an https leak is the one to name.
    return sorted(found, key=lambda origin: {"https": 0, "http": 1}.get(origin.scheme, 2))


class _Writer:
    """Writes one string the parse tree matches, taking option ``choices[id(item)]`` (default 0) at each
    repeat (0: its minimum count, 1: one more) and each alternation."""

    def __init__(self, choices: dict[int, int], longest: int) -> None:
        self.choices = choices
        self.longest = longest
        self.out: list[str] = []
        self.size = 0
        self.points: list[tuple[int, int]] = []

    def put(self, char: str) -> None:
        self.size += 1
        if self.size > self.longest:
            raise _Unwritable
        self.out.append(char)

    def choose(self, item: tuple[Any, Any], options: int) -> int:
        self.points.append((id(item), options))
        return self.choices.get(id(item), 0)

    def sequence(self, items: Iterable[tuple[Any, Any]], *, repeated: bool) -> None:
        for item in items:
            self.item(item, repeated=repeated)

    def item(self, item: tuple[Any, Any], *, repeated: bool) -> None:
        op, arg = item
        if op == _c.LITERAL:
            self.put(chr(arg))
        elif op == _c.NOT_LITERAL:
            self.put("b" if chr(arg) == "a" else "a")
        elif op == _c.ANY:
            # A lone '.' most likely stands for a dot (an unescaped one); inside a repeat, for any text.
            self.put("a" if repeated else ".")
        elif op == _c.IN:
            self.put(_class_member(arg))
        elif op in REPEATS:
            low, high, body = arg
            count = low + (self.choose(item, 2) if high > low else 0)
            if count > self.longest:
                raise _Unwritable
            for _ in range(count):
                self.sequence(body, repeated=True)
        elif op == _c.SUBPATTERN or op == ATOMIC_GROUP:
            self.sequence(group_body(op, arg), repeated=repeated)
        elif op == _c.BRANCH:
            branches = arg[1]
            self.sequence(branches[self.choose(item, len(branches))], repeated=repeated)
        elif op in (_c.AT, _c.ASSERT, _c.ASSERT_NOT):
            pass  # matches no text; whether the written string satisfies it, fullmatch tells
        else:
            raise _Unwritable


def _class_member(items: list[tuple[Any, Any]]) -> str:
    """A character of the class, preferring what a host is made of."""
    negated = bool(items) and items[0][0] == _c.NEGATE
    members = items[1:] if negated else items
    for char in _CANDIDATES:
        if _in_class(char, members) != negated:
            return char
    raise _Unwritable


_CATEGORIES: dict[Any, Callable[[str], bool]] = {
    _c.CATEGORY_DIGIT: str.isdigit,
    _c.CATEGORY_NOT_DIGIT: lambda char: not char.isdigit(),
    _c.CATEGORY_WORD: lambda char: char.isalnum() or char == "_",
    _c.CATEGORY_NOT_WORD: lambda char: not (char.isalnum() or char == "_"),
    _c.CATEGORY_SPACE: str.isspace,
    _c.CATEGORY_NOT_SPACE: lambda char: not char.isspace(),
}


def _in_class(char: str, members: list[tuple[Any, Any]]) -> bool:
    code = ord(char)
    for op, value in members:
        if op == _c.LITERAL and value == code:
            return True
        if op == _c.RANGE and value[0] <= code <= value[1]:
            return True
        if op == _c.CATEGORY and value in _CATEGORIES and _CATEGORIES[value](char):
            return True
    return False

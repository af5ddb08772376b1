"""Lint a cors_wsgi TOML config: every error the app would refuse to start with, and every risky choice.

    from cors_wsgi.lint import lint_file, render_findings
    findings = lint_file("cors.toml")
    print(render_findings("cors.toml", findings))
    # rule[0] /api/*: warning: allow_origins: 'http://app.example.com' is plain http:// with credentials...

Errors come from the real loader (``cors_wsgi.config_from_mapping`` and ``CORSPolicy``), every one at
once, so the lint can never disagree with what the app does at start-up. No code named by the file runs
unless ``import_functions`` is set. Warnings are legal configurations that a security review would question:

- ``http-origin-with-credentials``: a plain ``http://`` origin (not localhost) with credentials;
- ``wildcard-origin-everywhere``: ``*`` on a catch-all path, or on paths a later credentialed rule was
  written for (``*`` on a part of them, placed before it, is the intended order and stays silent);
- ``regex-admits-other-sites``: an ``allow_origin_regex`` that admits an origin outside the domains it names
  (``https://.*example\\.com`` admits ``https://evilexample.com``), found by ``cors_wsgi.origin_probes``;
- ``regex-unescaped-dot``: the same, through a ``.`` that matches any character (``https://appxexample.com``);
- ``regex-http-with-credentials``: a regex that admits ``http://`` origins (not loopback), with credentials
  (an error unless ``tolerate_insecure_origins``);
- ``wildcard-covers-public-suffix``: ``https://*.amazonaws.com`` covers ``attacker.s3.amazonaws.com``, a
  public suffix lying beneath it (an error with credentials);
- ``wildcard-registrable-domain``: ``https://*.example.com`` covers every subdomain, at any depth;
- ``null-origin``: ``"null"`` admits sandboxed iframes and ``data:`` pages of any site;
- ``max-age-over-browser-cap``: ``max_age`` above the cap of Chromium (or Firefox), ``grammar.MAX_AGE_CAPS``;
- ``private-network-wildcard``: ``allow_private_network`` with ``*``, a wildcard pattern or a regex;
- ``shadowed-rule``: a rule that an earlier rule's path pattern always wins over;
- ``port-wildcard-public-host``: ``scheme://host:*`` (any port) on a host that is not loopback;
- ``path-never-matches``: a path in another router's syntax (``/users/:id``, ``/items/{id}``, ``/api/.*``,
  ``/v[12]/*``) or with a query string: it misses the requests it was written for;
- ``regex-never-matches``: a regex no browser origin can match (a trailing ``/``, a default port,
  upper-case letters, no scheme);
- ``method-not-normalised``: a method such as ``patch`` that fetch() does not upper-case;
- ``expose-never-readable``: ``Set-Cookie`` in ``expose_headers``, which scripts never read;
- ``csrf-guard-trusts-every-origin``: a rule allowing ``"*"`` and a method other than GET, HEAD or OPTIONS,
  in a file with ``csrf_protection`` set: the guard trusts what a rule allows, so it refuses no cross-site
  write on that rule's paths;
- ``credentials-without-csrf-protection``: a rule with ``allow_credentials`` in a file whose ``[middleware]``
  does not say ``csrf_protection``: CORS never stops a browser from sending a cross-site form POST with the
  user's cookies, and the guard does (``cors_wsgi.csrf_guard``).

With ``[middleware] csrf_protection`` set, what a rule lets in is judged as with credentials: a pattern or
regex that admits someone else's origin, ``"null"`` and plain-http origins are errors, as at start-up.

Mistakes outside the rules are placed in their table (``[middleware]``, ``[report_only]``).
"""

from __future__ import annotations

import os
import re
from bisect import bisect_left
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any, Literal

from .config import ORIGINS_ENV, _origins_override, build_rule, read_toml, rule_location, rule_tables
from .csrf import SAFE_METHODS
from .csrf_guard import check_protection, policy_trust_refusals
from .errors import ConfigError
from .grammar import MAX_AGE_CAPS, is_insecure_origin, is_loopback_host, pattern_host
from .origin_probes import policy_admits
from .origins import PORT_WILDCARD, public_suffix_list
from .policy import CORSPolicy
from .rules import PathGlob

CHROMIUM_MAX_AGE_CAP = MAX_AGE_CAPS["chromium"]
FIREFOX_MAX_AGE_CAP = MAX_AGE_CAPS["firefox"]


class LintUsageError(Exception):
    """The file cannot be linted at all (missing, unreadable): a usage error, exit status 2."""


@dataclass(frozen=True)
class Finding:
    severity: Literal["error", "warning"]
    code: str  # "config-error" for errors, a stable name for each warning
    message: str
    rule: int | None = None  # index of the [[rule]] table, None for the whole file
    path: str | None = None  # that rule's path pattern
    # "report_only" for the candidate's [[report_only.rule]] tables; for a mistake outside any rule, the
    # table it is in ("middleware", "report_only")
    section: str | None = None

    @property
    def location(self) -> str:
        if self.rule is None:
            return f"[{self.section}]" if self.section else "file"
        where = f"rule[{self.rule}] {self.path}" if self.path is not None else f"rule[{self.rule}]"
        return f"{self.section} {where}" if self.section else where

    def __str__(self) -> str:
        return f"{self.location}: {self.severity}: {self.message}"

    def to_dict(self) -> dict[str, Any]:
        return {
            "severity": self.severity,
            "code": self.code,
            "rule": self.rule,
            "path": self.path,
            "section": self.section,
            "message": self.message,
        }


def exit_status(findings: Sequence[Finding], *, strict: bool = False) -> int:
    failing = {"error", "warning"} if strict else {"error"}
    return 1 if any(f.severity in failing for f in findings) else 0


def render_findings(source: str, findings: Sequence[Finding]) -> str:
    errors = sum(f.severity == "error" for f in findings)
    warnings = len(findings) - errors
    lines = [str(f) for f in findings]
    lines.append(f"{source}: {errors} error{'s' * (errors != 1)}, {warnings} warning{'s' * (warnings != 1)}")
    return "\n".join(lines)


def lint_file(
    path: str | os.PathLike[str], *, use_env: bool = False, import_functions: bool = False
) -> list[Finding]:
    """Lint a TOML file. ``use_env`` applies CORS_ALLOW_ORIGINS the way the running app does.

    No code from the file is run: an ``allow_origin_func = "module:attr"`` is only checked to be well
    formed and its module findable, unless ``import_functions`` (which imports it, as the app does).
    """
    source = os.fspath(path)
    try:
        data = read_toml(source)
    except OSError as exc:
        raise LintUsageError(f"cannot read {source}: {exc.strerror or exc}") from None
    except ConfigError as exc:
        return _errors(exc)
    return lint_mapping(
        data, source=source, environ=os.environ if use_env else None, import_functions=import_functions
    )


def _errors(exc: ConfigError, rule: int | None = None, path: str | None = None) -> list[Finding]:
    return [
        Finding("error", "config-error", f"{e.field}: {e.message}{e.hint}", rule, path, _section(e, rule))
        for e in exc.errors
    ]


def _section(error: ConfigError, rule: int | None) -> str | None:
    """The table a file-level mistake sits in ([middleware], [report_only]); rules carry their own."""
    if rule is not None or not error.where:
        return None
    for section in ("middleware", "report_only"):
        if f": [{section}]" in error.where:
            return section
    return None


def lint_mapping(
    data: Mapping[str, Any],
    *,
    source: str = "<mapping>",
    environ: Mapping[str, str] | None = None,
    import_functions: bool = False,
    suggest_guard: bool = True,
) -> list[Finding]:
    """Lint the mapping ``config_from_mapping`` takes. ``environ`` set: apply CORS_ALLOW_ORIGINS from it.
    ``suggest_guard``: say where credentials go without ``csrf_protection`` (not for a report-only
    candidate, which the guard never reads)."""
    origins_env = ORIGINS_ENV if environ is not None else None
    findings: list[Finding] = []
    try:
        tables = rule_tables(data, source)
    except ConfigError as exc:
        findings += _errors(exc)
        tables = [t for t in _raw_tables(data) if isinstance(t, Mapping)]
        if not tables or findings[0].message.startswith("rule:"):
            return findings  # the shape of the file itself is wrong: nothing rule by rule to lint
    try:
        override = _origins_override(environ, origins_env)
    except ConfigError as exc:
        return findings + _errors(exc)

    built: list[tuple[int, str, CORSPolicy]] = []
    for index, table in enumerate(tables):
        path = table.get("path") if isinstance(table.get("path"), str) else None
        where = rule_location(source, index, table)
        try:
            built.append(
                (index, *build_rule(table, where, override, origins_env, import_functions=import_functions))
            )
            continue
        except ConfigError as exc:
            findings += _errors(exc, index, path)
            usable = _without_mistakes(table, exc)
        if path is None or usable is None:
            continue
        try:
            built.append(
                (index, *build_rule(usable, where, override, origins_env, import_functions=import_functions))
            )
        except ConfigError:
            continue  # only a combination of keys is wrong: nothing sound to warn about

    guard = _csrf_protection(data)
    for index, path, policy in built:
        warnings = _policy_warnings(policy)
        if guard and not policy.allow_credentials:
            # The guard trusts these origins to write: what it refuses at start-up is an error here.
            for error in policy_trust_refusals(policy):
                findings += _errors(error, index, path)
            warnings = [(code, msg) for code, msg in warnings if code not in _TRUST_WARNINGS]
        elif guard is None and policy.allow_credentials and suggest_guard:
            warnings.append(("credentials-without-csrf-protection", _GUARD_SUGGESTION))
        if guard and policy.allow_origins == ("*",) and not SAFE_METHODS.issuperset(policy.allow_methods):
            warnings.append(("csrf-guard-trusts-every-origin", _TRUSTS_EVERYONE))
        findings += [Finding("warning", code, msg, index, path) for code, msg in warnings]
        findings += [
            Finding("warning", "path-never-matches", m, index, path) for m in _path_never_matches(path)
        ]
    findings += _rule_order_warnings(built)
    findings.sort(key=lambda f: (-1 if f.rule is None else f.rule, f.severity != "error"))
    return findings + _candidate_findings(data, source, import_functions)


def _candidate_findings(data: Mapping[str, Any], source: str, import_functions: bool) -> list[Finding]:
    """The report-only candidate's rules, linted like the enforced ones (CORS_ALLOW_ORIGINS never applies
    to them). The shape of the [report_only] table itself was checked with the file."""
    candidate = data.get("report_only") if isinstance(data, Mapping) else None
    if not isinstance(candidate, Mapping):
        return []
    found = lint_mapping(
        candidate, source=f"{source}: [report_only]", import_functions=import_functions, suggest_guard=False
    )
    return [replace(f, section="report_only") for f in found if f.rule is not None]


def _csrf_protection(data: Mapping[str, Any]) -> object:
    """The file's ``[middleware] csrf_protection`` when it is valid (a wrong one is already an error);
    None when the file does not say."""
    table = data.get("middleware") if isinstance(data, Mapping) else None
    if not isinstance(table, Mapping) or "csrf_protection" not in table:
        return None
    try:
        return check_protection(table["csrf_protection"])
    except ConfigError:
        return False


# The warnings the guard's refusals replace when it is set: each of these origins is then an error.
_TRUST_WARNINGS = frozenset(
    {"regex-admits-other-sites", "regex-unescaped-dot", "wildcard-covers-public-suffix", "null-origin"}
)
_TRUSTS_EVERYONE = (
    'allow_origins = ["*"] with csrf_protection: the guard trusts the origins a rule allows, so on this '
    "rule's paths it refuses no cross-site write, and a form POST from any site arrives with the user's "
    "cookies; list the origins that may write, or keep cookie-authenticated writes off these paths"
)
_GUARD_SUGGESTION = (
    "allow_credentials: CORS decides who may read responses, not who may send requests: any site can still "
    "make a browser send a form POST or a no-cors fetch here with the user's cookies; set "
    "csrf_protection = true in [middleware] to refuse cross-origin writes from origins this rule does not "
    "allow (or csrf_protection = false if the application guards itself)"
)


def _raw_tables(data: object) -> list[object]:
    tables = data.get("rule") if isinstance(data, Mapping) else None
    return tables if isinstance(tables, list) else []


def _without_mistakes(table: Mapping[str, Any], exc: ConfigError) -> dict[str, Any] | None:
    """The rule with every key a mistake was found in left out (for origins, only the faulty ones)."""
    usable = dict(table)
    for error in exc.errors:
        if error.field == "path":
            return None
        value = usable.get(error.field)
        if error.field == "allow_origins" and isinstance(value, list) and error.value in value:
            usable[error.field] = [v for v in value if v != error.value]
        else:
            usable.pop(error.field, None)
    return usable


def _registrable_domain(host: str) -> str | None:
    result = public_suffix_list().privatesuffix(host)
    return result if isinstance(result, str) else None


def _policy_warnings(policy: CORSPolicy) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    origins = tuple(policy.allow_origins)
    wildcards = [o for o in origins if "*" in o and o != "*"]
    regexes = policy.allow_origin_regex
    patterns = [regexes] if isinstance(regexes, str) else list(regexes or ())
    for origin in origins:
        if origin.endswith(PORT_WILDCARD) and not is_loopback_host(pattern_host(origin)):
            out.append(
                (
                    "port-wildcard-public-host",
                    f"allow_origins: {origin!r} allows every port of a host that is not loopback: "
                    f"any other service on that host (an admin panel, a test server) becomes a trusted "
                    f"origin; list the ports, and keep ':*' for localhost in development",
                )
            )
    if policy.allow_credentials:
        for origin in origins:
            if is_insecure_origin(origin):
                out.append(
                    (
                        "http-origin-with-credentials",
                        f"allow_origins: {origin!r} is plain http:// with allow_credentials: anyone on the "
                        f"network path can inject script into that page and read credentialed responses; "
                        f"use https://",
                    )
                )
    out += [("regex-never-matches", message) for regex in patterns for message in _regex_never_matches(regex)]
    out += _admitted_warnings(policy, origins, patterns)
    for pattern in wildcards:
        host = pattern_host(pattern).lower()
        if host and _registrable_domain(host) == host:
            cred = " — with credentials" if policy.allow_credentials else ""
            out.append(
                (
                    "wildcard-registrable-domain",
                    f"allow_origins: {pattern!r} covers every subdomain of {host}, at any depth{cred}: "
                    f"any host there you do not control (user content, a dangling DNS record taken over) can "
                    f"read responses; list the subdomains, or narrow the pattern (e.g. *.app.{host})",
                )
            )
    if "null" in origins:
        out.append(
            (
                "null-origin",
                "allow_origins: 'null' is the origin of sandboxed iframes, data: and file: pages of any "
                "site; allowing it is allowing them all",
            )
        )
    if policy.max_age is not None and policy.max_age > CHROMIUM_MAX_AGE_CAP:
        caps = f"Chromium caps it at {CHROMIUM_MAX_AGE_CAP}"
        if policy.max_age > FIREFOX_MAX_AGE_CAP:
            caps += f" and Firefox at {FIREFOX_MAX_AGE_CAP}"
        out.append(
            (
                "max-age-over-browser-cap",
                f"max_age: {policy.max_age} s is beyond what browsers honour ({caps}); a smaller value "
                f"states what actually happens and lets policy changes reach users sooner",
            )
        )
    # A loopback host on any port ("http://localhost:*") is still only this machine: not a public site.
    public_wildcards = [o for o in wildcards if not is_loopback_host(pattern_host(o))]
    if policy.allow_private_network and (origins == ("*",) or public_wildcards or policy.allow_origin_regex):
        what = (
            "'*'" if origins == ("*",) else "a wildcard pattern" if public_wildcards else "allow_origin_regex"
        )
        out.append(
            (
                "private-network-wildcard",
                f"allow_private_network: true with {what}: public sites can reach this private-network "
                f"service; list the exact origins that need it",
            )
        )
    for method in policy.allow_methods:
        if method != "*" and method != method.upper():
            out.append(
                (
                    "method-not-normalised",
                    f"allow_methods: {method!r} is kept as written: fetch() upper-cases only DELETE, GET, "
                    f"HEAD, OPTIONS, POST and PUT and methods compare case-sensitively, so a browser's "
                    f"{method.upper()!r} is refused; write {method.upper()!r}",
                )
            )
    for name in policy.expose_headers:
        if name.lower() in _NEVER_EXPOSED:
            out.append(
                (
                    "expose-never-readable",
                    f"expose_headers: {name!r} is never readable by scripts, whatever the server exposes "
                    f"(a forbidden response header name in Fetch); remove it",
                )
            )
    return out


# Fetch "forbidden response-header names": filtered out of every response a script sees.
_NEVER_EXPOSED = frozenset({"set-cookie", "set-cookie2"})


_ANY = "\0"  # regex syntax that cannot match ':' or '/' (a class such as [a-z0-9-], \\d, a quantifier)
_ANY_SEPARATOR = "\1"  # syntax that can ('.', [^.], a class holding ':' or '/')
_IGNORECASE = re.compile(r"\(\?[aiLmsux]*i")


def _regex_literals(text: str) -> str:
    """``text`` one element per character: the literal characters, everything else _ANY or _ANY_SEPARATOR."""
    out: list[str] = []
    index = 0
    while index < len(text):
        char = text[index]
        if char == "\\" and index + 1 < len(text):
            following = text[index + 1]
            out.append(_ANY if following.isalnum() else following)
            index += 2
        elif char == "[":
            end = text.find("]", index + 2)
            end = len(text) if end < 0 else end
            body = text[index + 1 : end]
            out.append(_ANY_SEPARATOR if body.startswith("^") or "/" in body or ":" in body else _ANY)
            index = end + 1
        elif char == "{":
            end = text.find("}", index)
            out.append(_ANY)
            index = len(text) if end < 0 else end + 1
        elif text.startswith("(?P<", index):
            out.append(_ANY)
            index = text.find(">", index) + 1 or len(text)
        elif text.startswith("(?", index):
            out.append(_ANY)
            index += 2
            while index < len(text) and text[index].isalpha():
                index += 1  # inline flags: (?i) (?i:...)
        else:
            out.append(_ANY_SEPARATOR if char == "." else _ANY if char in "()|*+?^$" else char)
            index += 1
    return "".join(out)


def _regex_never_matches(regex: str) -> list[str]:
    """What keeps ``regex`` from ever matching a browser's Origin: an upper-case letter, a trailing '/', a
    default port, no scheme. Browsers send ``scheme://host[:port]`` in lower case, the default port left
    out, and the regex must match all of it. Only literal text is judged, so no sound regex is flagged."""
    flat = _regex_literals(regex.removeprefix("^").removesuffix("$"))
    out = []
    upper = "".join(dict.fromkeys(c for c in flat if "A" <= c <= "Z"))
    if upper and not _IGNORECASE.search(regex):
        out.append(
            f"allow_origin_regex: {regex!r} has upper-case letters ({upper!r}), but browsers send origins in "
            f"lower case: that part never matches; write it in lower case"
        )
    if "|" in regex:
        return out  # another alternative may still match
    if flat.endswith("/"):
        out.append(
            f"allow_origin_regex: {regex!r} ends with '/': an Origin never has a path or a trailing slash, "
            f"so it never matches; remove the '/'"
        )
    for scheme, port in (("https://", ":443"), ("http://", ":80")):
        if flat.startswith(scheme) and flat.endswith(port):
            out.append(
                f"allow_origin_regex: {regex!r} names the default port {port}, which browsers leave out of "
                f"the Origin: it never matches; remove {port!r}"
            )
    if flat and "://" not in flat and _ANY_SEPARATOR not in flat:
        out.append(
            f"allow_origin_regex: {regex!r} has no scheme: an Origin is scheme://host[:port] and the regex "
            f"must match all of it, so it never matches; start it with 'https://'"
        )
    return out


# Other routers' path syntax: literal text in a cors_wsgi glob, where only '*' is special.
_FOREIGN_PATH_SYNTAX = (
    (re.compile(r"<[^<>]*>"), "a route parameter (Flask, Bottle)"),
    (re.compile(r"\{[^{}]*\}"), "a route parameter (FastAPI, Falcon, Pyramid)"),
    (re.compile(r":[A-Za-z_]\w*"), "a route parameter (Express, Rails)"),
    (re.compile(r"\.\*|\.\+"), "regular-expression syntax"),
    (re.compile(r"\[[^\]]*\]"), "a character class"),
)


def _path_never_matches(path: str) -> list[str]:
    """A path pattern in another framework's syntax matches its literal text only, so not the requests it
    was written for; a query string is never part of the matched path, so that rule matches nothing."""
    if "?" in path or "#" in path:
        cut = path.split("?", 1)[0].split("#", 1)[0] or "/"
        return [
            f"path: {path!r} holds a query string or fragment, which is never part of the path a rule is "
            f"matched against: it matches no request; write {cut!r}"
        ]
    for pattern, what in _FOREIGN_PATH_SYNTAX:
        found = pattern.search(path)
        if found:
            return [
                f"path: {found.group()!r} in {path!r} is {what}; in a cors_wsgi path glob only '*' is "
                f"special (it matches anything, '/' included) and the rest is literal, so this rule misses "
                f"the paths it was written for; write {pattern.sub('*', path)!r}"
            ]
    return []


def _admitted_warnings(
    policy: CORSPolicy, origins: Sequence[str], patterns: Sequence[str]
) -> list[tuple[str, str]]:
    """What the wildcard patterns and regexes admit beyond their own domains, from the analyser
    ``CORSPolicy`` refuses them with when credentials are on (so here: without credentials, and plain
    http:// tolerated with them)."""
    out: list[tuple[str, str]] = []
    for found in policy_admits(origins, patterns):
        if found.insecure:
            if policy.allow_credentials:
                out.append(
                    (
                        "regex-http-with-credentials",
                        f"allow_origin_regex: {found.pattern!r} admits plain http:// origins such as "
                        f"{found.origin!r} with allow_credentials: anyone on the network path can inject "
                        f"script into that page and read credentialed responses; {found.fix}",
                    )
                )
        elif found.field == "allow_origins":
            out.append(("wildcard-covers-public-suffix", f"allow_origins: {found}"))
        elif found.kind == "any":
            out.append(
                (
                    "regex-admits-other-sites",
                    f"allow_origin_regex: {found.pattern!r} admits every origin (e.g. {found.origin!r}): "
                    f"that is '*' spelt as a regex; write allow_origins = ['*'] if that is meant, or list "
                    f"the origins",
                )
            )
        else:
            code = "regex-unescaped-dot" if found.kind == "dot" else "regex-admits-other-sites"
            out.append((code, f"allow_origin_regex: {found}"))
    return out


def _catch_all(pattern: str) -> bool:
    return PathGlob(pattern).matches("/") and PathGlob(pattern).matches("/any/deep/path")


class _GlobIndex:
    """Rules' path globs by shape, so that lint asks which rules match a pattern instead of trying every
    pair (a file of thousands of rules lints in near-linear time): exact paths and ``/prefix/*`` globs in
    dicts, their texts sorted for prefix ranges, the other shapes (rare) in a list tried one by one."""

    def __init__(self, rules: Sequence[tuple[int, str]]) -> None:
        self.exact: dict[str, list[int]] = {}
        self.prefix: dict[str, list[int]] = {}
        self.other: list[tuple[int, PathGlob]] = []
        self.texts = sorted((text, position) for position, text in rules)
        for position, text in rules:
            glob = PathGlob(text)
            if glob.exact is not None:
                self.exact.setdefault(glob.exact, []).append(position)
            elif glob.prefix is not None:
                self.prefix.setdefault(glob.prefix, []).append(position)
            else:
                self.other.append((position, glob))

    def globs_matching(self, text: str) -> Iterator[list[int]]:
        """Positions (ascending, per list) of the globs that match ``text`` taken as a path."""
        yield self.exact.get(text, [])
        for end in range(len(text) + 1):
            found = self.prefix.get(text[:end])
            if found:
                yield found
        yield [position for position, glob in self.other if glob.matches(text)]

    def first_matching(self, text: str, before: int) -> int | None:
        """The first rule (before position ``before``) whose glob matches ``text``."""
        firsts = [found[0] for found in self.globs_matching(text) if found and found[0] < before]
        return min(firsts, default=None)

    def texts_matched_by(self, glob: PathGlob) -> Iterator[int]:
        """Positions of the rules whose pattern text ``glob`` matches."""
        start = glob.exact if glob.exact is not None else glob.prefix
        if start is None:
            yield from (position for text, position in self.texts if glob.matches(text))
            return
        # The texts the glob can match sit together in the sorted list, from the first one >= start.
        for text, position in self.texts[bisect_left(self.texts, (start, -1)) :]:
            if text == start if glob.exact is not None else text.startswith(start):
                yield position
            else:
                break


class _StartIndex:
    """Globs by the literal text before their first '*': the only globs that can share a path with ``text``
    start with a prefix of its own start, or with its whole start (a file of thousands of rules stays
    near-linear)."""

    def __init__(self, rules: Sequence[tuple[int, str]]) -> None:
        self.by_start: dict[str, list[int]] = {}
        for position, text in rules:
            self.by_start.setdefault(text.split("*", 1)[0], []).append(position)
        self.starts = sorted(self.by_start)

    def candidates(self, text: str, after: int) -> list[int]:
        start = text.split("*", 1)[0]
        found = {p for end in range(len(start) + 1) for p in self.by_start.get(start[:end], ())}
        for other in self.starts[bisect_left(self.starts, start) :]:
            if not other.startswith(start):
                break
            found.update(self.by_start[other])
        return sorted(p for p in found if p > after)


def _overlap_witness(first: str, second: str) -> str | None:
    """A path both globs match, or None when they share none ('*' matches any run, nothing else is special).

    With a '*' in each, they share a path exactly when one's leading text starts the other's and one's
    trailing text ends the other's: both leading and trailing texts, and every middle piece of each, fit
    in one path in that order."""
    if "*" not in first:
        return first if PathGlob(second).matches(first) else None
    if "*" not in second:
        return second if PathGlob(first).matches(second) else None
    a, b = first.split("*"), second.split("*")
    head = max(a[0], b[0], key=len)
    tail = max(a[-1], b[-1], key=len)
    if not (
        head.startswith(a[0]) and head.startswith(b[0]) and tail.endswith(a[-1]) and tail.endswith(b[-1])
    ):
        return None
    witness = head + "x" + "".join(a[1:-1]) + "".join(b[1:-1]) + tail
    return witness if PathGlob(first).matches(witness) and PathGlob(second).matches(witness) else None


def _rule_order_warnings(built: list[tuple[int, str, CORSPolicy]]) -> list[Finding]:
    out: list[Finding] = []
    every = _GlobIndex([(position, path) for position, (_, path, _) in enumerate(built)])
    credentialed_starts = _StartIndex(
        [(position, path) for position, (_, path, policy) in enumerate(built) if policy.allow_credentials]
    )
    for position, (index, path, policy) in enumerate(built):
        shadow = every.first_matching(path, before=position)
        if shadow is not None:
            out.append(
                Finding(
                    "warning",
                    "shadowed-rule",
                    f"path: never used: rule[{built[shadow][0]}] ({built[shadow][1]!r}) comes first and "
                    f"matches every path this rule does (the first matching rule wins); move this rule up "
                    f"or remove it",
                    index,
                    path,
                )
            )
        if tuple(policy.allow_origins) != ("*",):
            continue
        if _catch_all(path):
            out.append(
                Finding(
                    "warning",
                    "wildcard-origin-everywhere",
                    "allow_origins: '*' on every path: any site can read every response that does not need "
                    "cookies, including endpoints that set cookies or sit behind IP/VPN-based access; "
                    "scope '*' to public paths",
                    index,
                    path,
                )
            )
            continue
        for later in credentialed_starts.candidates(path, after=position):
            later_index, later_path, _ = built[later]
            if PathGlob(later_path).matches(path) and not PathGlob(path).matches(later_path):
                continue  # '*' for a part of the credentialed rule's paths, placed before it: as intended
            witness = _overlap_witness(path, later_path)
            if witness is None:
                continue
            out.append(
                Finding(
                    "warning",
                    "wildcard-origin-everywhere",
                    f"allow_origins: '*' here takes paths that rule[{later_index}] ({later_path!r}) was "
                    f"written to allow with credentials (cookies): {witness!r} gets '*' instead; narrow this "
                    f"rule to paths inside {later_path!r}, or move it after",
                    index,
                    path,
                )
            )
    return out

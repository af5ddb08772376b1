"""Declarative configuration: CORS rules from a TOML file or a plain mapping.

    from cors_wsgi import CORSMiddleware, load_config

    app = CORSMiddleware(app, rules=load_config("cors.toml"))

``cors.toml`` holds one ``[[rule]]`` table per path pattern, in the order they are tried (first match wins),
with ``path`` plus any ``CORSPolicy`` field::

    [[rule]]
    path = "/api/*"
    allow_origins = ["http://localhost:3000"]
    allow_methods = ["GET", "POST", "PUT"]
    allow_headers = ["content-type", "x-demo-token"]
    allow_credentials = true
    max_age = 600                 # TOML has no null: max_age = false sends no Max-Age header
    # allow_origin_func = "myapp.cors:is_partner"   # "module:attribute", imported when loaded

Two optional top-level tables, read by ``CORSMiddleware.from_config`` (``load_config`` checks them and
returns the rules alone): ``[middleware]`` with ``catch_exceptions = true``, ``csrf_protection = true``
(or ``"report"``) and ``csrf_exempt = ["/webhooks/*"]``, and ``[report_only]`` holding
``[[report_only.rule]]`` tables of the same shape, a candidate policy that is logged, never enforced.

Precedence, highest first:

1. the ``CORS_ALLOW_ORIGINS`` environment variable (comma-separated origins), when set, replaces
   ``allow_origins`` in **every** rule (the file's own list is ignored; ``allow_origin_regex`` and
   ``allow_origin_func`` still apply). Pass ``origins_env=None`` to turn the override off.
2. the values in the file (or mapping);
3. ``CORSPolicy``'s defaults.

Mistakes raise ``ConfigError`` with the file, the rule's index and path, the key and the value: unknown
keys get a "did you mean", wrong types say which type was expected, and every value goes through the same
validation as ``CORSPolicy(...)``.
"""

from __future__ import annotations

import importlib
import importlib.machinery
import os
import sys
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from .csrf_guard import check_exempt, check_protection
from .errors import Collector, ConfigError, did_you_mean
from .policy import PEER_NAMES, POLICY_FIELDS, CORSPolicy
from .rules import PathGlob, RuleList

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on Python 3.10 only
    import tomli as tomllib

__all__ = [
    "ORIGINS_ENV",
    "RuleList",
    "config_from_mapping",
    "load_config",
    "load_middleware_config",
    "read_toml",
]

ORIGINS_ENV = "CORS_ALLOW_ORIGINS"
_RULE_KEYS = ("path", *POLICY_FIELDS)
# Names other CORS libraries give a rule's path.
_PATH_NAMES = {"pattern": "path", "resource": "path", "resources": "path"}


def read_toml(path: str | os.PathLike[str]) -> dict[str, Any]:
    """Parse a TOML file; any way it can be malformed is a ConfigError naming the file.

    OSError (missing, unreadable) propagates: that is not a configuration mistake but a wrong path.
    """
    source = os.fspath(path)
    raw = Path(source).read_bytes()
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise _error(source, "toml", f"not UTF-8 text (byte {exc.start}): a TOML file is UTF-8") from None
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise _error(source, "toml", f"not valid TOML: {exc}") from None
    except RecursionError:
        raise _error(source, "toml", "nested too deeply (arrays or tables inside each other)") from None
    except ValueError as exc:  # e.g. an integer of thousands of digits (sys.set_int_max_str_digits)
        raise _error(source, "toml", f"a value cannot be read: {exc}") from None


def load_config(
    path: str | os.PathLike[str],
    *,
    environ: Mapping[str, str] | None = None,
    origins_env: str | None = ORIGINS_ENV,
) -> RuleList:
    """Read a TOML file of ``[[rule]]`` tables into ``[(path_pattern, CORSPolicy), ...]``.

    ``environ`` defaults to ``os.environ``; it is only read for ``origins_env``. An
    ``allow_origin_func = "module:attribute"`` is imported, running that module's code, as the app must.
    """
    source = os.fspath(path)
    return config_from_mapping(read_toml(source), source=source, environ=environ, origins_env=origins_env)


def config_from_mapping(
    data: Mapping[str, Any],
    *,
    source: str = "<mapping>",
    environ: Mapping[str, str] | None = None,
    origins_env: str | None = ORIGINS_ENV,
) -> RuleList:
    """Turn ``{"rule": [{"path": "/api/*", "allow_origins": [...], ...}, ...]}`` into CORS rules.

    The same shape as the TOML file; ``source`` names it in error messages. Inside a mapping
    ``allow_origin_func`` may be a callable as well as a ``"module:attribute"`` string, and ``max_age``
    may be ``None``. Every mistake in every rule is reported at once, in one ConfigError.
    """
    tables = rule_tables(data, source)
    override = _origins_override(environ, origins_env)
    errors = Collector()
    rules = []
    for index, table in enumerate(tables):
        with errors.check():
            rules.append(build_rule(table, rule_location(source, index, table), override, origins_env))
    errors.raise_if_any()
    return rules


def rule_tables(data: object, source: str, *, section: str | None = None) -> list[Mapping[str, Any]]:
    """The ``[[rule]]`` tables of a file, or a ConfigError saying how the file's shape is wrong.

    ``section`` names the table read when it is not the file itself (``report_only``, which holds only
    ``[[report_only.rule]]`` tables)."""
    if not isinstance(data, Mapping):
        raise _error(source, "rule", f"expected a table with a 'rule' array, got {_kind(data)}")
    errors = Collector()
    if section is not None:
        for key in data:
            if key != "rule":
                message = f"unknown key in [{section}] (it holds [[{section}.rule]] tables only)"
                errors.add(_error(source, str(key), message, _hint(str(key), ["rule"])))
        data = {"rule": data["rule"]} if "rule" in data else {}
    for key in data:
        if key == "middleware":
            for error in _middleware_errors(data[key], source):
                errors.add(error)
        elif key == "report_only":
            with errors.check():
                rule_tables(data[key], f"{source}: [report_only]", section="report_only")
        elif key != "rule":
            errors.add(
                _error(
                    source,
                    str(key),
                    "unknown top-level key",
                    _hint(str(key), ["rule", "middleware", "report_only"]),
                )
            )
    tables = data.get("rule")
    if tables is None and not errors.errors:  # a misspelt 'rule' says enough
        errors.add(
            _error(
                source, "rule", "no [[rule]] tables: nothing would be allowed (there is no allow-all default)"
            )
        )
    elif tables is None:
        pass
    elif isinstance(tables, Mapping):
        errors.add(_error(source, "rule", "must be an array of tables: write [[rule]], not [rule]"))
    elif not isinstance(tables, list) or not tables:
        errors.add(_error(source, "rule", f"must be a non-empty array of tables, got {_kind(tables)}"))
    else:
        for index, table in enumerate(tables):
            if not isinstance(table, Mapping):
                errors.add(
                    _error(f"{source}: rule[{index}]", "rule", f"expected a table, got {_kind(table)}")
                )
    errors.raise_if_any()
    return list(tables)  # type: ignore[arg-type]


# The [middleware] table: CORSMiddleware's own switches (not per rule).
MIDDLEWARE_KEYS = ("catch_exceptions", "csrf_protection", "csrf_exempt")
# How each key's value is checked: the guard's settings by the guard's own checks, so that a file and a
# constructor call can never disagree about them.
_MIDDLEWARE_CHECKS: dict[str, Callable[[object], object]] = {
    "csrf_protection": check_protection,
    "csrf_exempt": check_exempt,
}
# CORSMiddleware keywords a file does not set, and why.
_CODE_ONLY_OPTIONS = {
    "debug": "; debug mode is not for production, so no file turns it on: pass "
    "CORSMiddleware(..., debug=True)",
    "on_decision": "; a callback is code: pass CORSMiddleware(..., on_decision=callable)",
}


def _middleware_errors(table: object, source: str) -> list[ConfigError]:
    where = f"{source}: [middleware]"
    if not isinstance(table, Mapping):
        return [_error(source, "middleware", f"expected a table [middleware], got {_kind(table)}")]
    out = []
    for key, value in table.items():
        if key not in MIDDLEWARE_KEYS:
            hint = _CODE_ONLY_OPTIONS.get(str(key)) or _hint(str(key), list(MIDDLEWARE_KEYS))
            out.append(_error(where, str(key), "unknown key in [middleware]", hint))
        elif key in _MIDDLEWARE_CHECKS:
            try:
                _MIDDLEWARE_CHECKS[key](value)
            except ConfigError as exc:
                out += exc.located(where).errors
        elif not isinstance(value, bool):
            out.append(
                _error(where, key, f"expected a boolean (true or false), got {_kind(value)}", value=value)
            )
    return out


def middleware_options(data: Mapping[str, Any]) -> dict[str, Any]:
    """The ``[middleware]`` table of a file ``rule_tables`` has accepted: keywords for CORSMiddleware."""
    table = data.get("middleware", {})
    return {key: table[key] for key in MIDDLEWARE_KEYS if key in table}


def load_middleware_config(
    path: str | os.PathLike[str],
    *,
    environ: Mapping[str, str] | None = None,
    origins_env: str | None = ORIGINS_ENV,
) -> tuple[RuleList, dict[str, Any]]:
    """``load_config``, plus the file's ``[middleware]`` switches (``catch_exceptions``, ``csrf_protection``,
    ``csrf_exempt``) and its
    ``[report_only]`` candidate rules (``[[report_only.rule]]`` tables, the same shape as ``[[rule]]``;
    ``CORS_ALLOW_ORIGINS`` never overrides a candidate)."""
    source = os.fspath(path)
    data = read_toml(source)
    errors = Collector()
    rules: RuleList = []
    options = middleware_options(data)
    with errors.check():
        rules = config_from_mapping(data, source=source, environ=environ, origins_env=origins_env)
    if "report_only" in data:
        with errors.check():
            options["report_only"] = config_from_mapping(
                data["report_only"], source=f"{source}: [report_only]", environ=environ, origins_env=None
            )
    errors.raise_if_any()
    return rules, options


def rule_location(source: str, index: int, table: Mapping[str, Any]) -> str:
    path = table.get("path")
    where = f"{source}: rule[{index}]"
    return f"{where} (path {path!r})" if isinstance(path, str) and path.startswith("/") else where


def build_rule(
    table: Mapping[str, Any],
    where: str,
    override: list[str] | None = None,
    origins_env: str | None = None,
    *,
    import_functions: bool = True,
) -> tuple[str, CORSPolicy]:
    """One ``[[rule]]`` table as a (path, policy) pair; every mistake in it is one ConfigError."""
    errors = Collector()
    path = table.get("path")
    if "path" not in table:
        errors.add(_error(where, "path", 'missing: every rule needs one (e.g. path = "/api/*")'))
    elif not isinstance(path, str):
        errors.add(_error(where, "path", f"expected a string, got {_kind(path)}", value=path))
    else:
        try:
            PathGlob(path, field="path")
        except ConfigError as exc:
            errors.add(exc.located(where))

    kwargs: dict[str, Any] = {}
    misspelt_origins = False
    for key, value in table.items():
        if key == "path":
            continue
        if key not in POLICY_FIELDS:
            errors.add(_error(where, str(key), "unknown key", _hint(str(key), list(_RULE_KEYS)), value=key))
            if _suggestion(str(key), list(_RULE_KEYS)) in _ORIGIN_SOURCES:
                misspelt_origins = True  # "no origin is allowed" would be the same mistake twice
            continue
        try:
            kwargs[key] = _convert(key, value, where, import_functions)
        except ConfigError as exc:
            errors.add(exc)

    from_env = ""
    if override is not None:
        kwargs["allow_origins"] = override
        from_env = f" (allow_origins came from the environment variable {origins_env})"
    # The policy's own checks run on the keys whose shape is sound, so every mistake shows at once; a field
    # already reported gets no second word (a missing allow_origins after a malformed one, say).
    reported = {e.field for e in errors.errors}
    try:
        policy = CORSPolicy(**{k: v for k, v in kwargs.items() if k not in reported})
    except ConfigError as exc:
        for single in exc.errors:
            if misspelt_origins and single.field == "allow_origins" and not kwargs.get("allow_origins"):
                continue
            if single.field not in reported:
                errors.add(single.located(where, from_env if single.field == "allow_origins" else ""))
        raise ConfigError.collect(errors.errors) from exc  # the policy's own error, kept for tracebacks
    errors.raise_if_any()
    return str(path), policy


# What each field must look like in a TOML file: the shapes only. The values themselves are
# CORSPolicy's to validate, so a file and a constructor call can never disagree about them.
_STR_LIST = ("allow_origins", "allow_origin_func_vary", "allow_methods", "allow_headers", "expose_headers")
_BOOLS = ("allow_credentials", "allow_private_network", "tolerate_insecure_origins")


def _convert(key: str, value: Any, where: str, import_functions: bool = True) -> Any:
    if key in _STR_LIST:
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            hint = f"; did you mean [{value!r}]?" if isinstance(value, str) else ""
            raise _error(where, key, f"expected an array of strings, got {_kind(value)}", hint, value=value)
        return value
    if key in _BOOLS:
        if not isinstance(value, bool):
            raise _error(where, key, f"expected a boolean (true or false), got {_kind(value)}", value=value)
        return value
    if key == "max_age":
        # TOML has no null, so `false` stands for "send no Access-Control-Max-Age".
        if value is None or value is False:
            return None
        if isinstance(value, bool) or not isinstance(value, int):
            raise _error(
                where,
                key,
                f"expected an integer number of seconds (or false for none), got {_kind(value)}",
                value=value,
            )
        return value
    if key == "allow_origin_regex":
        if not isinstance(value, str):
            raise _error(
                where, key, f"expected a string (a regular expression), got {_kind(value)}", value=value
            )
        return value
    if key == "allow_origin_func":
        if import_functions or callable(value):
            return _import_callable(value, where, key)
        return _locate_callable(value, where, key)
    return value  # a CORSPolicy field this module has no shape for: CORSPolicy checks it


def _import_callable(value: Any, where: str, key: str) -> Callable[..., Any]:
    if callable(value):
        return value  # type: ignore[no-any-return]
    if not isinstance(value, str) or value.count(":") != 1:
        raise _error(
            where, key, f"expected 'module:attribute' naming a callable, got {_kind(value)}", value=value
        )
    module_name, _, attr = value.partition(":")
    try:
        target: Any = importlib.import_module(module_name)
        for part in attr.split("."):
            target = getattr(target, part)
    except (ImportError, AttributeError) as exc:
        raise _error(where, key, f"cannot import {value!r}: {exc}", value=value) from None
    if not callable(target):
        raise _error(where, key, f"{value!r} is not callable", value=value)
    return target  # type: ignore[no-any-return]


def _locate_callable(value: Any, where: str, key: str) -> Callable[..., Any]:
    """Check a ``module:attribute`` reference without running any code: the module must be findable.

    Only the import system's finders are asked (no package ``__init__`` runs); the attribute itself is not
    looked at. A stand-in that refuses every origin takes the function's place in the policy.
    """
    if not isinstance(value, str) or value.count(":") != 1:
        raise _error(
            where, key, f"expected 'module:attribute' naming a callable, got {_kind(value)}", value=value
        )
    module_name, _, attr = value.partition(":")
    parts = module_name.split(".")
    if not all(part.isidentifier() for part in parts) or not all(a.isidentifier() for a in attr.split(".")):
        raise _error(where, key, f"{value!r} is not a 'module:attribute' reference", value=value)
    search: list[str] | None = None
    for depth, part in enumerate(parts):
        spec = importlib.machinery.PathFinder.find_spec(part, search)
        if spec is None and depth == 0 and part in sys.builtin_module_names:
            return _refuse_all
        if spec is None:
            raise _error(
                where, key, f"cannot find module {'.'.join(parts[: depth + 1])!r} for {value!r}", value=value
            )
        search = list(spec.submodule_search_locations or [])
    return _refuse_all


def _refuse_all(origin: str, environ: Mapping[str, Any]) -> bool:
    return False


def _origins_override(environ: Mapping[str, str] | None, name: str | None) -> list[str] | None:
    if name is None:
        return None
    raw = (os.environ if environ is None else environ).get(name)
    if raw is None:
        return None
    origins = [item.strip() for item in raw.split(",") if item.strip()]
    if not origins:
        # Fail fast: an empty override would either allow nothing or silently fall back to the file.
        raise _error("environment", name, f"is set but lists no origin ({raw!r}); unset it to use the file")
    return origins


def _error(where: str, field: str, message: str, hint: str = "", *, value: Any = None) -> ConfigError:
    """A ConfigError for ``field`` whose message starts with where it is: file, rule index and path."""
    return ConfigError(field, message, value=value, hint=hint, where=where)


def _hint(key: str, choices: list[str]) -> str:
    peer = PEER_NAMES.get(key.lower().replace("-", "_")) or _PATH_NAMES.get(key.lower())
    if peer in choices:
        return f"; did you mean {peer!r}?"
    return did_you_mean(key, choices)


def _suggestion(key: str, choices: list[str]) -> str | None:
    """The name ``_hint`` suggests, if any."""
    hint = _hint(key, choices)
    return hint.split("'")[1] if hint else None


_ORIGIN_SOURCES = frozenset({"allow_origins", "allow_origin_regex", "allow_origin_func"})


def _kind(value: object) -> str:
    """A value and its TOML type, for messages: ``"yes" (a string)``."""
    names = {bool: "a boolean", int: "an integer", float: "a float", str: "a string", list: "an array"}
    kind = names.get(type(value), "a table" if isinstance(value, Mapping) else type(value).__name__)
    return f"{value!r} ({kind})"

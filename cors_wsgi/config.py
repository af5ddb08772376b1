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

import dataclasses
import importlib
import os
import sys
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from .errors import ConfigError, did_you_mean
from .policy import CORSPolicy
from .rules import PathGlob

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on Python 3.10 only
    import tomli as tomllib

__all__ = ["ORIGINS_ENV", "RuleList", "config_from_mapping", "load_config"]

ORIGINS_ENV = "CORS_ALLOW_ORIGINS"
# What CORSMiddleware(app, rules=...) takes: (path glob, policy) pairs in the order they are tried.
RuleList = list[tuple[str, CORSPolicy]]

# Names other CORS libraries use for the same settings: a "did you mean" that difflib cannot find.
_PEER_NAMES = {
    "origins": "allow_origins",
    "allowed_origins": "allow_origins",
    "cors_allowed_origins": "allow_origins",
    "supports_credentials": "allow_credentials",
    "methods": "allow_methods",
    "headers": "allow_headers",
    "exposed_headers": "expose_headers",
    "pattern": "path",
    "resource": "path",
}


def _policy_fields() -> tuple[str, ...]:
    # Read from the dataclass so a field added to CORSPolicy is settable here without touching this module.
    return tuple(f.name for f in dataclasses.fields(CORSPolicy) if f.init)


def load_config(
    path: str | os.PathLike[str],
    *,
    environ: Mapping[str, str] | None = None,
    origins_env: str | None = ORIGINS_ENV,
) -> RuleList:
    """Read a TOML file of ``[[rule]]`` tables into ``[(path_pattern, CORSPolicy), ...]``.

    ``environ`` defaults to ``os.environ``; it is only read for ``origins_env``.
    """
    source = os.fspath(path)
    with Path(source).open("rb") as fh:
        try:
            data = tomllib.load(fh)
        except tomllib.TOMLDecodeError as exc:
            raise _error(source, "toml", f"not valid TOML: {exc}") from None
    return config_from_mapping(data, source=source, environ=environ, origins_env=origins_env)


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
    may be ``None``.
    """
    if not isinstance(data, Mapping):
        raise _error(source, "rule", f"expected a table with a 'rule' array, got {_kind(data)}")
    for key in data:
        if key != "rule":
            raise _error(source, str(key), f"unknown top-level key{_hint(str(key), ['rule'])}")
    tables = data.get("rule")
    if tables is None:
        raise _error(
            source, "rule", "no [[rule]] tables: nothing would be allowed (there is no allow-all default)"
        )
    if isinstance(tables, Mapping):
        raise _error(source, "rule", "must be an array of tables: write [[rule]], not [rule]")
    if not isinstance(tables, list) or not tables:
        raise _error(source, "rule", f"must be a non-empty array of tables, got {_kind(tables)}")

    override = _origins_override(environ, origins_env)
    fields = _policy_fields()
    rules: RuleList = []
    for index, table in enumerate(tables):
        where = f"{source}: rule[{index}]"
        if not isinstance(table, Mapping):
            raise _error(where, "rule", f"expected a table, got {_kind(table)}")
        rules.append(_rule(table, where, fields, override, origins_env))
    return rules


def _rule(
    table: Mapping[str, Any],
    where: str,
    fields: tuple[str, ...],
    override: list[str] | None,
    origins_env: str | None,
) -> tuple[str, CORSPolicy]:
    path = table.get("path")
    if "path" not in table:
        raise _error(where, "path", 'missing: every rule needs one (e.g. path = "/api/*")')
    if not isinstance(path, str):
        raise _error(where, "path", f"expected a string, got {_kind(path)}")
    try:
        PathGlob(path, field="path")  # checked here too, so the message can say which file and rule
    except ConfigError as exc:
        raise exc.located(where) from exc
    where = f"{where} (path {path!r})"

    kwargs: dict[str, Any] = {}
    for key, value in table.items():
        if key == "path":
            continue
        if key not in fields:
            raise _error(where, str(key), f"unknown key{_hint(str(key), ('path', *fields))}")
        kwargs[key] = _convert(key, value, where)

    from_env = ""
    if override is not None:
        kwargs["allow_origins"] = override
        from_env = f" (allow_origins came from the environment variable {origins_env})"
    try:
        policy = CORSPolicy(**kwargs)
    except ConfigError as exc:
        raise exc.located(where, from_env if exc.field == "allow_origins" else "") from exc
    return path, policy


# What each field must look like in a TOML file: the shapes only. The values themselves are
# CORSPolicy's to validate, so a file and a constructor call can never disagree about them.
_STR_LIST = ("allow_origins", "allow_methods", "allow_headers", "expose_headers")
_BOOLS = ("allow_credentials", "allow_private_network")


def _convert(key: str, value: Any, where: str) -> Any:
    if key in _STR_LIST:
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            hint = f"; did you mean [{value!r}]?" if isinstance(value, str) else ""
            raise _error(where, key, f"expected an array of strings, got {_kind(value)}{hint}")
        return value
    if key in _BOOLS:
        if not isinstance(value, bool):
            raise _error(where, key, f"expected a boolean (true or false), got {_kind(value)}")
        return value
    if key == "max_age":
        # TOML has no null, so `false` stands for "send no Access-Control-Max-Age".
        if value is None or value is False:
            return None
        if isinstance(value, bool) or not isinstance(value, int):
            raise _error(
                where, key, f"expected an integer number of seconds (or false for none), got {_kind(value)}"
            )
        return value
    if key == "allow_origin_regex":
        if not isinstance(value, str):
            raise _error(where, key, f"expected a string (a regular expression), got {_kind(value)}")
        return value
    if key == "allow_origin_func":
        return _import_callable(value, where, key)
    return value  # a CORSPolicy field this module has no shape for: CORSPolicy checks it


def _import_callable(value: Any, where: str, key: str) -> Callable[..., Any]:
    if callable(value):
        return value  # type: ignore[no-any-return]
    if not isinstance(value, str) or value.count(":") != 1:
        raise _error(where, key, f"expected 'module:attribute' naming a callable, got {_kind(value)}")
    module_name, _, attr = value.partition(":")
    try:
        target: Any = importlib.import_module(module_name)
        for part in attr.split("."):
            target = getattr(target, part)
    except (ImportError, AttributeError) as exc:
        raise _error(where, key, f"cannot import {value!r}: {exc}") from None
    if not callable(target):
        raise _error(where, key, f"{value!r} is not callable")
    return target  # type: ignore[no-any-return]


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


def _error(where: str, field: str, message: str) -> ConfigError:
    """A ConfigError for ``field`` whose message starts with where it is: file, rule index and path."""
    return ConfigError(field, message, where=where)


def _hint(key: str, choices: tuple[str, ...] | list[str]) -> str:
    peer = _PEER_NAMES.get(key.lower().replace("-", "_"))
    if peer in choices:
        return f"; did you mean {peer!r}?"
    return did_you_mean(key, choices)


def _kind(value: object) -> str:
    """A value and its TOML type, for messages: ``"yes" (a string)``."""
    names = {bool: "a boolean", int: "an integer", float: "a float", str: "a string", list: "an array"}
    kind = names.get(type(value), "a table" if isinstance(value, Mapping) else type(value).__name__)
    return f"{value!r} ({kind})"

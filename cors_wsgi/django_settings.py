"""Keep a Django project's django-cors-headers settings and switch to cors_wsgi.

    # wsgi.py
    from django.conf import settings
    from django.core.wsgi import get_wsgi_application
    from cors_wsgi import CORSMiddleware
    from cors_wsgi.django_settings import rules_from_django_settings

    application = CORSMiddleware(get_wsgi_application(), rules=rules_from_django_settings(settings))

Reads the setting names of django-cors-headers 4 (``CORS_ALLOWED_ORIGINS``, ``CORS_ALLOWED_ORIGIN_REGEXES``,
``CORS_ALLOW_ALL_ORIGINS``, ``CORS_URLS_REGEX``, ``CORS_ALLOW_METHODS``, ``CORS_ALLOW_HEADERS``,
``CORS_EXPOSE_HEADERS``, ``CORS_PREFLIGHT_MAX_AGE``, ``CORS_ALLOW_CREDENTIALS``,
``CORS_ALLOW_PRIVATE_NETWORK``, and the old ``CORS_ORIGIN_*`` aliases) with that package's defaults, and
builds the same policy through ``CORSPolicy``, so every value is validated as usual. Where the two differ
on purpose (docs/migrating.md): origin regexes must match the whole origin (django-cors-headers uses
``re.match``, a prefix match: ``https://\\w+\\.example\\.com`` there also admits
``https://a.example.com.evil.net``); ``CORS_ALLOW_ALL_ORIGINS`` with credentials is refused instead of
reflecting every origin; ``CORS_URLS_REGEX`` must be a path prefix or an exact path (``^/api/.*$``), since
rules match paths with globs. Nothing here imports Django: any object with the settings as attributes, or a
mapping, will do.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from .errors import Collector, ConfigError
from .policy import CORSPolicy
from .rules import RuleList

# django-cors-headers 4's defaults (corsheaders/defaults.py), for settings the project leaves out.
DEFAULT_METHODS = ("DELETE", "GET", "OPTIONS", "PATCH", "POST", "PUT")
DEFAULT_HEADERS = ("accept", "authorization", "content-type", "user-agent", "x-csrftoken", "x-requested-with")
DEFAULT_MAX_AGE = 86400
DEFAULT_URLS_REGEX = r"^.*$"
# Current names, and the names django-cors-headers 3 used for the same settings.
_ALIASES = {
    "CORS_ALLOWED_ORIGINS": "CORS_ORIGIN_WHITELIST",
    "CORS_ALLOWED_ORIGIN_REGEXES": "CORS_ORIGIN_REGEX_WHITELIST",
    "CORS_ALLOW_ALL_ORIGINS": "CORS_ORIGIN_ALLOW_ALL",
}
_LITERAL_PATH = re.compile(r"[A-Za-z0-9/_\-.~]*")


def _setting(settings: Any, name: str, default: Any) -> Any:
    for key in (name, _ALIASES.get(name)):
        if key is None:
            continue
        if isinstance(settings, Mapping):
            if key in settings:
                return settings[key]
        elif hasattr(settings, key):
            return getattr(settings, key)
    return default


def path_glob_from_urls_regex(regex: str) -> str:
    """``CORS_URLS_REGEX`` (matched with ``re.match`` on the path) as a rule's path pattern."""
    body = regex.removeprefix("^")
    if body in (".*$", ".*", "", ".*\\Z"):
        return "/*"
    anchored = body.endswith(("$", "\\Z"))
    body = body.removesuffix("$").removesuffix("\\Z")
    any_rest = body.endswith(".*")
    body = body.removesuffix(".*")
    literal = body.replace("\\.", ".").replace("\\-", "-").replace("\\/", "/")
    if not literal.startswith("/") or not _LITERAL_PATH.fullmatch(literal) or "." in body.replace("\\.", ""):
        raise ConfigError(
            "CORS_URLS_REGEX",
            f"{regex!r} is not a path prefix or an exact path that rules can express",
            value=regex,
            hint="; write rules=[('/api/*', policy), ...] with path patterns instead (docs/migrating.md)",
        )
    return literal if anchored and not any_rest else literal + "*"


def policy_from_django_settings(settings: Any) -> CORSPolicy:
    """The CORSPolicy a project's django-cors-headers settings describe."""
    allow_all = bool(_setting(settings, "CORS_ALLOW_ALL_ORIGINS", False))
    regexes = list(_setting(settings, "CORS_ALLOWED_ORIGIN_REGEXES", []))
    max_age = _setting(settings, "CORS_PREFLIGHT_MAX_AGE", DEFAULT_MAX_AGE)
    return CORSPolicy(
        allow_origins=["*"] if allow_all else list(_setting(settings, "CORS_ALLOWED_ORIGINS", [])),
        allow_origin_regex=[r.pattern if isinstance(r, re.Pattern) else r for r in regexes] or None,
        # OPTIONS is the preflight itself, never a method a preflight asks for.
        allow_methods=[
            m for m in _setting(settings, "CORS_ALLOW_METHODS", DEFAULT_METHODS) if m != "OPTIONS"
        ],
        allow_headers=list(_setting(settings, "CORS_ALLOW_HEADERS", DEFAULT_HEADERS)),
        expose_headers=list(_setting(settings, "CORS_EXPOSE_HEADERS", [])),
        allow_credentials=bool(_setting(settings, "CORS_ALLOW_CREDENTIALS", False)),
        max_age=max_age or None,  # 0 (falsy) there means "send no Access-Control-Max-Age"
        allow_private_network=bool(_setting(settings, "CORS_ALLOW_PRIVATE_NETWORK", False)),
    )


def rules_from_django_settings(settings: Any) -> RuleList:
    """One rule: ``CORS_URLS_REGEX`` as a path pattern, with ``policy_from_django_settings``'s policy."""
    errors = Collector()
    path, policy = "/*", None
    with errors.check():
        path = path_glob_from_urls_regex(str(_setting(settings, "CORS_URLS_REGEX", DEFAULT_URLS_REGEX)))
    with errors.check():
        policy = policy_from_django_settings(settings)
    errors.raise_if_any()
    assert policy is not None
    return [(path, policy)]

"""The Django adapter: django-cors-headers' setting names give the same answers as django-cors-headers.

The differential runs the real django-cors-headers middleware (inside a Django app) and cors_wsgi built
from the same settings on a table of requests, and compares who gets Access-Control-Allow-Origin; the
documented differences (whole-origin regex match, no '*' with credentials) have their own tests.
"""

from __future__ import annotations

from typing import Any

import pytest
from conftest import require_module

from cors_wsgi import ConfigError, CORSMiddleware
from cors_wsgi.django_settings import (
    DEFAULT_HEADERS,
    DEFAULT_MAX_AGE,
    DEFAULT_METHODS,
    path_glob_from_urls_regex,
    policy_from_django_settings,
    rules_from_django_settings,
)


def _require(module: str) -> Any:
    return require_module(module, "the Django differential")


def test_defaults_are_django_cors_headers_defaults() -> None:
    _require("django")
    import framework_apps
    from django.conf import settings

    framework_apps.build("django")  # configures Django once for this process
    defaults = _require("corsheaders.defaults")
    assert tuple(defaults.default_methods) == DEFAULT_METHODS
    assert tuple(defaults.default_headers) == DEFAULT_HEADERS
    from corsheaders.conf import conf

    assert conf.CORS_PREFLIGHT_MAX_AGE == DEFAULT_MAX_AGE
    assert settings.configured


SETTINGS: list[dict[str, Any]] = [
    {"CORS_ALLOWED_ORIGINS": ["https://app.example.com", "http://localhost:3000"]},
    {"CORS_ALLOWED_ORIGINS": ["https://app.example.com"], "CORS_ALLOW_CREDENTIALS": True},
    {"CORS_ALLOWED_ORIGIN_REGEXES": [r"^https://\w+\.example\.com$"]},
    {"CORS_ALLOW_ALL_ORIGINS": True},
    {"CORS_ORIGIN_WHITELIST": ["https://app.example.com"]},  # the django-cors-headers 3 name
    {"CORS_ALLOWED_ORIGINS": ["https://app.example.com"], "CORS_URLS_REGEX": r"^/api/.*$"},
]
REQUESTS = [
    ("GET", "/api/data", "https://app.example.com", None),
    ("GET", "/api/data", "https://other.example.com", None),
    ("GET", "/api/data", "https://evil.test", None),
    ("GET", "/api/data", "http://localhost:3000", None),
    ("GET", "/other", "https://app.example.com", None),
    ("OPTIONS", "/api/data", "https://app.example.com", "PUT"),
    ("OPTIONS", "/api/data", "https://evil.test", "GET"),
    ("OPTIONS", "/api/data", "https://app.example.com", "PATCH"),
]


def _allow_origin(app: Any, method: str, path: str, origin: str, acrm: str | None) -> str | None:
    from webtest import TestApp

    headers = {"Origin": origin}
    if acrm:
        headers["Access-Control-Request-Method"] = acrm
    res = TestApp(app).request(path, method=method, headers=headers, expect_errors=True)
    value = res.headers.get("Access-Control-Allow-Origin")
    return str(value) if value is not None else None


@pytest.mark.parametrize("cors_settings", SETTINGS, ids=lambda s: ",".join(s))
def test_same_answers_as_django_cors_headers(cors_settings: dict[str, Any]) -> None:
    _require("django")
    _require("corsheaders")
    import framework_apps
    from django.core.handlers.wsgi import WSGIHandler
    from django.test import override_settings

    framework_apps.build("django")
    with override_settings(MIDDLEWARE=["corsheaders.middleware.CorsMiddleware"], **cors_settings):
        theirs = WSGIHandler()  # loads MIDDLEWARE now, with these settings
        ours = CORSMiddleware(framework_apps._django(), rules=rules_from_django_settings(cors_settings))
        for method, path, origin, acrm in REQUESTS:
            expected = _allow_origin(theirs, method, path, origin, acrm)
            got = _allow_origin(ours, method, path, origin, acrm)
            assert got == expected, (method, path, origin, acrm)


def test_regexes_match_the_whole_origin_unlike_re_match() -> None:
    policy = policy_from_django_settings({"CORS_ALLOWED_ORIGIN_REGEXES": [r"^https://\w+\.example\.com"]})
    assert policy.compiled.matcher.allows("https://a.example.com")
    # django-cors-headers' re.match would admit this one (a prefix match):
    assert not policy.compiled.matcher.allows("https://a.example.com.evil.net")


def test_allow_all_with_credentials_is_refused() -> None:
    with pytest.raises(ConfigError, match="allow_credentials"):
        policy_from_django_settings({"CORS_ALLOW_ALL_ORIGINS": True, "CORS_ALLOW_CREDENTIALS": True})


@pytest.mark.parametrize(
    ("regex", "glob"),
    [
        (r"^.*$", "/*"),
        (r"^/api/.*$", "/api/*"),
        (r"^/api/", "/api/*"),  # re.match: a prefix
        (r"^/api/v1/items$", "/api/v1/items"),
        (r"^/api/v1\.0/.*", "/api/v1.0/*"),
    ],
)
def test_urls_regex_as_path_pattern(regex: str, glob: str) -> None:
    assert path_glob_from_urls_regex(regex) == glob


@pytest.mark.parametrize("regex", [r"^/(api|v2)/.*$", r"^/api/\d+$", r"^/api/v1.0/"])
def test_urls_regex_that_rules_cannot_express_is_a_config_error(regex: str) -> None:
    with pytest.raises(ConfigError, match="CORS_URLS_REGEX"):
        rules_from_django_settings({"CORS_ALLOWED_ORIGINS": ["https://a.example"], "CORS_URLS_REGEX": regex})

"""Configuring the cross-origin write guard (#20): its values in code and in TOML, every mistake at once,
reconfigure and reload, the strictness it brings to origin patterns, and what lint says about it."""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from raw_wsgi import call_raw

from cors_wsgi import ConfigError, CORSMiddleware, CORSPolicy, load_config
from cors_wsgi.lint import lint_file, lint_mapping

APP_ORIGIN = "https://app.example.com"
EVIL = "https://evil.test"


def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [b"ok"]


def post(middleware: CORSMiddleware, path: str = "/api/x", origin: str = EVIL) -> int:
    status, _, _ = call_raw(
        middleware, "POST", path, {"HTTP_ORIGIN": origin, "HTTP_SEC_FETCH_SITE": "cross-site"}
    )
    return int(status[:3])


def refused(**arguments: Any) -> ConfigError:
    with pytest.raises(ConfigError) as caught:
        CORSMiddleware(app, **arguments)
    return caught.value


RULES = [("/api/*", CORSPolicy(allow_origins=[APP_ORIGIN]))]


# --- values in code ------------------------------------------------------------------------------------


def test_the_settings_read_back_and_cannot_be_assigned() -> None:
    middleware = CORSMiddleware(app, rules=RULES, csrf_protection=True, csrf_exempt=["/webhooks/*"])
    assert middleware.csrf_protection is True
    assert middleware.csrf_exempt == ("/webhooks/*",)
    with pytest.raises(AttributeError):
        middleware.csrf_protection = False  # type: ignore[misc]
    with pytest.raises(AttributeError):
        middleware.csrf_exempt = ()  # type: ignore[misc]
    default = CORSMiddleware(app, rules=RULES)
    assert (default.csrf_protection, default.csrf_exempt) == (False, ())


@pytest.mark.parametrize(
    ("value", "hint"),
    [
        ("yes", "did you mean True (in TOML: true, without quotes)?"),
        ("true", "did you mean True"),
        ("off", "did you mean False"),
        ("reports", "did you mean 'report'?"),
        (1, ""),
        (None, ""),
    ],
)
def test_a_wrong_protection_value_is_named(value: object, hint: str) -> None:
    [error] = refused(rules=RULES, csrf_protection=value).errors
    assert error.field == "csrf_protection"
    assert error.value == value
    assert f"{value!r} is not one of True, False or 'report'" in str(error)
    assert hint in error.hint


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("/a/*", "'/a/*' must be a list of path patterns such as '/webhooks/*'; did you mean ['/a/*']?"),
        ({"/a/*"}, "must be a list of path patterns"),
        (None, "must be a list of path patterns"),
        (["a/*"], "path pattern 'a/*' must be a string starting with '/'"),
        (["/ok/*", 3], "path pattern 3 must be a string starting with '/'"),
    ],
)
def test_a_wrong_exempt_list_is_named(value: object, message: str) -> None:
    [error] = refused(rules=RULES, csrf_protection=True, csrf_exempt=value).errors
    assert error.field == "csrf_exempt"
    assert message in str(error)


def test_every_mistake_of_a_configuration_at_once() -> None:
    error = refused(
        allow_origins=["https://app.example.com/"],
        allow_methodz=["POST"],
        on_decision="not callable",
        csrf_protection="yes",
        csrf_exempt=["no-slash", "/fine/*", "also-bad"],
    )
    assert [e.field for e in error.errors] == [
        "allow_methodz",
        "allow_origins",
        "on_decision",
        "csrf_protection",
        "csrf_exempt",
        "csrf_exempt",
    ]
    assert "did you mean 'allow_methods'?" in str(error)


@pytest.mark.parametrize(
    ("typo", "meant"), [("csrf_protect", "csrf_protection"), ("csrf_exempts", "csrf_exempt")]
)
def test_a_misspelt_keyword_gets_did_you_mean(typo: str, meant: str) -> None:
    error = refused(rules=RULES, **{typo: True})
    assert error.field == typo
    assert f"did you mean {meant!r}?" in str(error)


# --- the strictness the guard brings ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fields", "admitted"),
    [
        ({"allow_origin_regex": r"https://.*example\.com"}, "https://evilexample.com"),
        ({"allow_origin_regex": r"https://[a-z0-9-]+\.vercel\.app"}, "https://attacker.vercel.app"),
        ({"allow_origins": ["https://*.amazonaws.com"]}, "https://attacker.s3.amazonaws.com"),
        ({"allow_origin_regex": r"https://app\.example\.com.*"}, "https://app.example.com.evil.test"),
    ],
)
def test_with_the_guard_a_pattern_admitting_a_stranger_is_refused_without_credentials(
    fields: dict[str, Any], admitted: str
) -> None:
    policy = CORSPolicy(**fields)  # fine for reading without cookies
    CORSMiddleware(app, policy)
    for protection in (True, "report"):
        [error] = refused(policy=policy, csrf_protection=protection).errors
        assert f"admits {admitted!r}" in error.message
        assert "with csrf_protection set the guard would let that site send requests" in error.message


@pytest.mark.parametrize(
    ("origin", "words"),
    [
        ("null", "'null' with csrf_protection set"),
        ("http://app.example.com", "'http://app.example.com' is plain http:// with csrf_protection set"),
    ],
)
def test_with_the_guard_null_and_plain_http_origins_are_refused(origin: str, words: str) -> None:
    policy = CORSPolicy(allow_origins=[origin])
    [error] = refused(rules=[("/api/*", policy)], csrf_protection=True).errors
    assert error.field == "allow_origins"
    assert error.where == "rules[0] (path '/api/*')"
    assert words in error.message


def test_what_the_guard_accepts_as_credentials_do() -> None:
    for policy in (
        CORSPolicy(allow_origins=["http://localhost:3000", "http://127.0.0.1:*"]),  # loopback
        CORSPolicy(allow_origins=["http://app.example.com"], tolerate_insecure_origins=True),
        CORSPolicy(allow_origin_regex=r"https://[a-z0-9-]+\.example\.com"),
        CORSPolicy(allow_origins=["*"]),  # trusts everyone, and says so
    ):
        assert CORSMiddleware(app, policy, csrf_protection=True).csrf_protection is True


def test_every_rule_is_judged_and_placed() -> None:
    error = refused(
        rules=[
            ("/a/*", CORSPolicy(allow_origin_regex=r"https://.*example\.com")),
            ("/b/*", CORSPolicy(allow_origins=[APP_ORIGIN])),
            ("/c/*", CORSPolicy(allow_origins=["null"])),
        ],
        csrf_protection=True,
        csrf_exempt="/hooks/*",
    )
    assert [(e.field, e.where) for e in error.errors] == [
        ("csrf_exempt", None),
        ("allow_origin_regex", "rules[0] (path '/a/*')"),
        ("allow_origins", "rules[2] (path '/c/*')"),
    ]


# --- reconfigure and reload -----------------------------------------------------------------------------


def test_reconfigure_keeps_the_guard_or_changes_it() -> None:
    middleware = CORSMiddleware(app, rules=RULES, csrf_protection=True, csrf_exempt=["/hooks/*"])
    middleware.reconfigure([("/api/*", CORSPolicy(allow_origins=[EVIL]))])
    assert (middleware.csrf_protection, middleware.csrf_exempt) == (True, ("/hooks/*",))
    assert post(middleware) == 200  # the new rule trusts it
    middleware.reconfigure(RULES)
    assert post(middleware) == 403
    middleware.reconfigure(RULES, csrf_protection="report")
    assert post(middleware) == 200
    middleware.reconfigure(RULES, csrf_protection=False)
    assert middleware.csrf_protection is False
    assert middleware.csrf_exempt == ("/hooks/*",)  # kept for when the guard comes back
    middleware.reconfigure(RULES, csrf_protection=True)
    assert post(middleware, "/hooks/x") == 200


def test_a_bad_reconfigure_changes_nothing() -> None:
    middleware = CORSMiddleware(app, rules=RULES, csrf_protection=True)
    with pytest.raises(ConfigError) as caught:
        middleware.reconfigure(
            [("/api/*", CORSPolicy(allow_origin_regex=r"https://.*example\.com"))], csrf_exempt="/x/*"
        )
    assert [e.field for e in caught.value.errors] == ["csrf_exempt", "allow_origin_regex"]
    with pytest.raises(ConfigError):
        middleware.reconfigure(RULES, csrf_protection="on")
    assert (middleware.csrf_protection, middleware.csrf_exempt) == (True, ())
    assert post(middleware) == 403
    assert post(middleware, origin=APP_ORIGIN) == 200
    # Turning the guard on is judged against the rules in force when it is turned on.
    loose = CORSMiddleware(app, allow_origins=["null"])
    with pytest.raises(ConfigError, match="'null' with csrf_protection set"):
        loose.reconfigure(CORSPolicy(allow_origins=["null"]), csrf_protection=True)
    assert loose.csrf_protection is False


FILE = """\
[middleware]
{middleware}

[[rule]]
path = "/api/*"
allow_origins = ["https://app.example.com"]
allow_methods = ["GET", "POST"]
allow_credentials = true
"""


def write(tmp_path: Path, middleware: str) -> Path:
    path = tmp_path / "cors.toml"
    path.write_text(FILE.format(middleware=middleware))
    return path


def test_the_file_turns_the_guard_on(tmp_path: Path) -> None:
    path = write(tmp_path, 'csrf_protection = true\ncsrf_exempt = ["/api/hooks/*"]')
    middleware = CORSMiddleware.from_config(app, path)
    assert (middleware.csrf_protection, middleware.csrf_exempt) == (True, ("/api/hooks/*",))
    assert post(middleware) == 403
    assert post(middleware, "/api/hooks/x") == 200
    assert post(middleware, origin=APP_ORIGIN) == 200
    assert CORSMiddleware.from_config(app, path, csrf_protection=False).csrf_protection is False
    report = write(tmp_path, 'csrf_protection = "report"')
    assert CORSMiddleware.from_config(app, report).csrf_protection == "report"
    assert load_config(report)  # the rules alone: the [middleware] table is checked, not returned


@pytest.mark.parametrize(
    ("middleware", "field", "message"),
    [
        ('csrf_protection = "yes"', "csrf_protection", "'yes' is not one of True, False or 'report'"),
        ('csrf_exempt = "/hooks/*"', "csrf_exempt", "did you mean ['/hooks/*']?"),
        (
            'csrf_exempt = ["hooks/*"]',
            "csrf_exempt",
            "path pattern 'hooks/*' must be a string starting with '/'",
        ),
        ("csrf_protect = true", "csrf_protect", "did you mean 'csrf_protection'?"),
        ("csrf_exempts = []", "csrf_exempts", "did you mean 'csrf_exempt'?"),
    ],
)
def test_mistakes_in_the_file_are_named_where_they_are(
    tmp_path: Path, middleware: str, field: str, message: str
) -> None:
    path = write(tmp_path, middleware)
    for load in (lambda: load_config(path), lambda: CORSMiddleware.from_config(app, path)):
        with pytest.raises(ConfigError) as caught:
            load()
        [error] = caught.value.errors
        assert error.field == field
        assert error.where == f"{path}: [middleware]"
        assert message in str(error)
    [finding] = [f for f in lint_file(path) if f.severity == "error"]
    assert finding.location == "[middleware]"
    assert message in finding.message


def test_every_mistake_of_a_file_at_once(tmp_path: Path) -> None:
    path = tmp_path / "cors.toml"
    path.write_text(
        '[middleware]\ncsrf_protection = "yes"\ncsrf_exempt = ["a", "b"]\n\n'
        '[[rule]]\npath = "/api/*"\nallow_origin_regex = "https://.*example\\\\.com"\nallow_credentials = true\n'
    )
    with pytest.raises(ConfigError) as caught:
        CORSMiddleware.from_config(app, path)
    assert [e.field for e in caught.value.errors] == [
        "csrf_protection",
        "csrf_exempt",
        "csrf_exempt",
        "allow_origin_regex",
    ]


def test_reload_takes_what_the_file_says_and_keeps_what_it_leaves_out(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = write(tmp_path, "")
    middleware = CORSMiddleware.from_config(app, path, csrf_protection=True, csrf_exempt=["/api/hooks/*"])
    assert middleware.reload_config(path)
    assert (middleware.csrf_protection, middleware.csrf_exempt) == (True, ("/api/hooks/*",))  # left out: kept
    write(tmp_path, 'csrf_exempt = ["/api/other/*"]')
    assert middleware.reload_config(path)
    assert (middleware.csrf_protection, middleware.csrf_exempt) == (True, ("/api/other/*",))
    write(tmp_path, "csrf_protection = false")
    assert middleware.reload_config(path)
    assert middleware.csrf_protection is False
    assert post(middleware) == 200
    write(tmp_path, 'csrf_protection = "report"')
    assert middleware.reload_config(path)
    assert middleware.csrf_protection == "report"
    write(tmp_path, "csrf_protection = 1")
    with caplog.at_level(logging.ERROR, logger="cors_wsgi"):
        assert not middleware.reload_config(path)
    assert "csrf_protection: 1 is not one of True, False or 'report'" in caplog.text
    assert middleware.csrf_protection == "report"


# --- lint -----------------------------------------------------------------------------------------------

CREDENTIALED = {"path": "/api/*", "allow_origins": [APP_ORIGIN], "allow_credentials": True}
PUBLIC = {"path": "/public/*", "allow_origins": ["*"]}


def test_lint_suggests_the_guard_for_each_credentialed_rule_of_a_file_that_does_not_say() -> None:
    findings = lint_mapping({"rule": [PUBLIC, CREDENTIALED, {**CREDENTIALED, "path": "/admin/*"}]})
    assert [(f.severity, f.code, f.rule) for f in findings] == [
        ("warning", "credentials-without-csrf-protection", 1),
        ("warning", "credentials-without-csrf-protection", 2),
    ]
    assert "set csrf_protection = true in [middleware]" in findings[0].message
    assert "form POST" in findings[0].message
    for said in (True, False, "report"):
        assert lint_mapping({"middleware": {"csrf_protection": said}, "rule": [PUBLIC, CREDENTIALED]}) == []


def test_lint_suggests_nothing_for_a_report_only_candidate() -> None:
    findings = lint_mapping(
        {
            "middleware": {"csrf_protection": True},
            "rule": [CREDENTIALED],
            "report_only": {"rule": [CREDENTIALED]},
        }
    )
    assert findings == []


def test_lint_with_the_guard_judges_a_rule_as_start_up_does() -> None:
    loose = {"path": "/api/*", "allow_origin_regex": r"https://.*example\.com", "allow_origins": ["null"]}
    unguarded = lint_mapping({"middleware": {"csrf_protection": False}, "rule": [loose]})
    assert sorted(f.code for f in unguarded) == ["null-origin", "regex-admits-other-sites"]
    assert {f.severity for f in unguarded} == {"warning"}
    guarded = lint_mapping({"middleware": {"csrf_protection": True}, "rule": [loose]})
    assert [(f.severity, f.code) for f in guarded] == [("error", "config-error"), ("error", "config-error")]
    messages = " ".join(f.message for f in guarded)
    assert "admits 'https://evilexample.com'" in messages
    assert "'null' with csrf_protection set" in messages
    with pytest.raises(ConfigError) as caught:
        CORSMiddleware(
            app,
            rules=[("/api/*", CORSPolicy(**{k: v for k, v in loose.items() if k != "path"}))],
            csrf_protection=True,
        )
    assert sorted(f"{e.field}: {e.message}" for e in caught.value.errors) == sorted(
        f.message for f in guarded
    )

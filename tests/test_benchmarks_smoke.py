"""The benchmark harness still runs, and every subject it times answers with the CORS headers it promises.

Nothing here looks at how long anything took: speed is read from ``tox -e bench``'s tables, never asserted.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))  # benchmarks/ is a directory of the repository, not an installed package

from benchmarks import report, run  # noqa: E402
from benchmarks.checks import Answer  # noqa: E402
from benchmarks.scenarios import (  # noqa: E402
    ADVERSARIAL,
    ALLOWED_ORIGIN,
    BODY,
    KINDS,
    exact_config,
    main_config,
    request_environ,
    wildcard_config,
)
from benchmarks.subjects import SUBJECTS, bare_app  # noqa: E402
from benchmarks.timing import Settings  # noqa: E402

SMOKE = Settings.smoke()


@pytest.mark.parametrize("kind", list(KINDS))
@pytest.mark.parametrize("subject", list(SUBJECTS))
def test_every_subject_answers_as_configured(subject: str, kind: str) -> None:
    cfg = main_config()
    app = SUBJECTS[subject].build(cfg)
    environ = request_environ(KINDS[kind], cfg)
    answer = Answer.of(app, environ)
    assert answer.problems(KINDS[kind], environ.get("HTTP_ORIGIN"), SUBJECTS[subject].cors) == []
    if not SUBJECTS[subject].cors:
        assert answer.acao == []
    elif KINDS[kind].origin == "allowed":
        assert answer.acao == [ALLOWED_ORIGIN]
        assert answer.values("Access-Control-Allow-Credentials") == ["true"]
    elif KINDS[kind].origin == "refused":
        assert answer.acao == []


@pytest.mark.parametrize("subject", ["cors_wsgi", "flask_cors_wsgi"])
def test_cors_wsgi_preflight_answers(subject: str) -> None:
    cfg = main_config()
    app = SUBJECTS[subject].build(cfg)
    allowed = Answer.of(app, request_environ(KINDS["preflight_allowed"], cfg))
    assert allowed.status == 204
    assert allowed.values("Access-Control-Allow-Headers") == ["content-type"]
    assert allowed.values("Access-Control-Allow-Methods") == ["GET, POST"]
    assert allowed.values("Access-Control-Max-Age") == ["600"]
    refused = Answer.of(app, request_environ(KINDS["preflight_refused"], cfg))
    assert refused.status == 403
    assert not [name for name, _ in refused.headers if name.lower().startswith("access-control-allow")]


def test_the_checker_catches_a_subject_that_does_no_cors() -> None:
    cfg = main_config()
    kind = KINDS["get_allowed"]
    answer = Answer.of(bare_app, request_environ(kind, cfg))
    assert answer.problems(kind, ALLOWED_ORIGIN, cors=True)


def test_the_bare_app_returns_the_35_byte_body() -> None:
    from benchmarks.timing import call

    status, headers, body = call(bare_app, request_environ(KINDS["get_no_origin"], main_config()))
    assert (status, body, len(body)) == ("200 OK", BODY, 35)
    assert ("Content-Length", "35") in headers


def test_main_group_runs_and_records_answers() -> None:
    out = run.run_main(
        SMOKE, subjects=["bare", "cors_wsgi", "wsgicors"], kinds=["get_allowed", "preflight_refused"]
    )
    assert set(out) == {"get_allowed", "preflight_refused"}
    rows = out["get_allowed"]
    assert rows["cors_wsgi"]["answer"] == "200 +ACAO"
    assert rows["bare"]["answer"] == "200"
    assert out["preflight_refused"]["cors_wsgi"]["answer"] == "403"
    assert all(len(r["values_us"]) == SMOKE.repeats and r["median_us"] > 0 for r in rows.values())


def test_scaling_runs_fresh_origins_for_exact_and_wildcard_lists() -> None:
    out = run.run_scaling(
        SMOKE, subjects=["cors_wsgi", "flask_cors"], configs=[exact_config(5), wildcard_config(3)]
    )
    exact, wild = out["5 exact"], out["3 wildcards"]
    assert set(exact) == {"bare|warm", "flask|warm", "cors_wsgi|warm", "cors_wsgi|fresh", "flask_cors|warm",
                          "flask_cors|fresh"}  # fmt: skip
    assert exact["cors_wsgi|warm"]["answer"] == "200 +ACAO"
    assert exact["cors_wsgi|fresh"]["answer"] == "200"  # a never-seen origin: refused
    assert wild["cors_wsgi|fresh"]["answer"] == "200 +ACAO"  # a never-seen subdomain of the last pattern


def test_a_subject_that_breaks_its_promise_stops_the_run(monkeypatch: pytest.MonkeyPatch) -> None:
    from benchmarks import subjects

    broken = subjects.Subject("cors_wsgi", "cors_wsgi", lambda cfg: bare_app, "bare", cors=True)
    monkeypatch.setitem(subjects.SUBJECTS, "cors_wsgi", broken)
    with pytest.raises(run.WrongAnswer, match="allowed origin"):
        run.run_main(SMOKE, subjects=["cors_wsgi"], kinds=["get_allowed"])


def test_cors_wsgi_refuses_every_hostile_preflight() -> None:
    out = run.run_adversarial(SMOKE, subjects=["cors_wsgi"])
    assert set(out) == {key for key, *_ in ADVERSARIAL}
    for key, row in out.items():
        expected = "200" if key.endswith("_get") else "403"  # an actual request is the app's to answer
        assert row["cors_wsgi"]["answer"] == expected, key


def test_report_renders_tables_and_target_verdicts() -> None:
    results = {
        "machine": report.machine_info(),
        "settings": {"value_time_s": SMOKE.value_time, "repeats": SMOKE.repeats, "quick": True},
        "configuration": report.configuration_lines(),
        "skipped": {},
        "main": run.run_main(SMOKE, kinds=list(KINDS)),
    }
    md = report.render_markdown(results)
    assert "| GET, allowed origin |" in md
    assert "quick run, not for publication" in md
    verdicts = {target: ok for target, _, ok in report.targets(results)}
    assert len(verdicts) == 4
    assert all(isinstance(ok, bool) for ok in verdicts.values())


def test_the_page_section_is_replaced_only_between_the_markers(tmp_path: Path) -> None:
    readme = tmp_path / "README.md"
    readme.write_text(
        f"# Title\n\n## Performance\n\n{report.SECTION_START}\nold\n{report.SECTION_END}\n\n## Next\n"
    )
    results = {
        "machine": report.machine_info(),
        "settings": {"value_time_s": 0.0, "repeats": 2, "quick": True},
        "configuration": [],
        "skipped": {},
    }
    assert report.update_page(readme, results)
    text = readme.read_text()
    assert "old" not in text
    assert text.startswith("# Title\n\n## Performance\n\n")
    assert text.endswith(f"{report.SECTION_END}\n\n## Next\n")
    assert "benchmarks/results/results.png" in text


def test_the_minimal_floor_answers_like_cors_wsgi() -> None:
    """The instruction counts compare like with like: the floor grants and refuses what cors_wsgi does."""
    from benchmarks import instructions

    cfg = main_config()
    floor, ours = instructions.minimal(cfg), instructions.cors_wsgi(cfg)
    for kind in KINDS:
        environ = request_environ(KINDS[kind], cfg)
        got, want = Answer.of(floor, environ), Answer.of(ours, environ)
        assert got.status == want.status, kind
        assert got.acao == want.acao, kind


def test_instruction_counts_come_from_callgrind() -> None:
    """One tiny run under valgrind: counts exist for each subject, and a CORS layer costs more than none."""
    import os
    import shutil

    from benchmarks import instructions

    if shutil.which("valgrind") is None:
        if os.environ.get("CI") == "true":
            pytest.fail("valgrind is missing: .ci/run installs it")
        pytest.skip("valgrind is not installed (apt-get install valgrind)")
    counts = instructions.count(requests=30, only=r"^get_allowed/(bare|minimal|cors_wsgi)$")
    assert set(counts) == {"get_allowed/bare", "get_allowed/minimal", "get_allowed/cors_wsgi"}
    assert 0 < counts["get_allowed/bare"] < counts["get_allowed/minimal"]
    assert counts["get_allowed/bare"] < counts["get_allowed/cors_wsgi"]
    assert "GET, allowed origin" in instructions.table(counts)

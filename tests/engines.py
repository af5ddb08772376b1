"""The three browser engines behind one small interface, each from Debian and driven by its own protocol.

- Chromium: ``chromium``, driven by Playwright (``conftest.browser``);
- Firefox: ``firefox-esr``, driven by Mozilla's ``marionette-driver`` (Marionette, Firefox's own protocol);
- WebKit: ``webkit2gtk-driver`` (``WebKitWebDriver`` + MiniBrowser) driven by Selenium, on an Xvfb screen.

No tool downloads a browser of its own, and web security stays on: the engines' real CORS checks decide.
``Engine.fetch(url, init)`` runs ``fetch()`` in the page and says whether the script could read the answer.
"""

from __future__ import annotations

import contextlib
import glob
import os
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from typing import Any

import pytest
from conftest import get_free_port

ENGINES = ("chromium", "firefox", "webkit")
FIREFOX = os.environ.get("FIREFOX_PATH", "/usr/bin/firefox-esr")
WEBKIT_DRIVER = os.environ.get("WEBKIT_DRIVER_PATH", "/usr/bin/WebKitWebDriver")

_FETCH = """
const [url, init, done] = [arguments[0], arguments[1], arguments[arguments.length - 1]];
fetch(url, init).then(r => r.text()).then(() => done(true), () => done(false));
"""


class Engine:
    name: str

    def goto(self, url: str) -> None:
        raise NotImplementedError

    def run_async(self, script: str, *args: Any) -> Any:
        """``script`` sees ``arguments``; it calls the last one with its result."""
        raise NotImplementedError

    def evaluate(self, expression: str) -> Any:
        return self.run_async(f"arguments[arguments.length - 1]({expression});")

    def fetch(self, url: str, init: dict[str, Any]) -> bool:
        return bool(self.run_async(_FETCH, url, init))

    def wait_for(self, expression: str, timeout: float = 20.0) -> None:
        deadline = time.monotonic() + timeout
        while not self.evaluate(expression):
            if time.monotonic() > deadline:
                raise AssertionError(f"{self.name}: {expression} still false after {timeout} s")
            time.sleep(0.1)


class ChromiumEngine(Engine):
    name = "chromium"

    def __init__(self, browser: Any) -> None:
        self._context = browser.new_context()
        self._page = self._context.new_page()
        self._page.set_default_timeout(20_000)

    def goto(self, url: str) -> None:
        self._page.goto(url)

    def run_async(self, script: str, *args: Any) -> Any:
        # Playwright evaluates a function; wrap the WebDriver-style script in one.
        return self._page.evaluate(
            "(args) => new Promise(done => { (function() {" + script + "}).apply(null, [...args, done]); })",
            list(args),
        )

    def close(self) -> None:
        self._context.close()


class FirefoxEngine(Engine):
    name = "firefox"

    def __init__(self) -> None:
        from marionette_driver.marionette import Marionette

        # Firefox's own log goes to a temporary file, not into the working directory.
        self._log = tempfile.NamedTemporaryFile(prefix="gecko-", suffix=".log", delete=False)  # noqa: SIM115
        self._log.close()
        self._client = Marionette(
            host="127.0.0.1", port=get_free_port(), bin=FIREFOX, headless=True, gecko_log=self._log.name
        )
        self._client.start_session()
        self._client.timeout.script = 20

    def goto(self, url: str) -> None:
        self._client.navigate(url)

    def run_async(self, script: str, *args: Any) -> Any:
        return self._client.execute_async_script(script, script_args=list(args), sandbox=None)

    def close(self) -> None:
        with contextlib.suppress(Exception):
            self._client.delete_session()
        self._client.cleanup()
        with contextlib.suppress(OSError):
            os.unlink(self._log.name)


class WebKitEngine(Engine):
    name = "webkit"

    def __init__(self) -> None:
        from selenium import webdriver

        self._xvfb, display = _start_xvfb()
        options = webdriver.WebKitGTKOptions()
        options.binary_location = _minibrowser()
        options.add_argument("--automation")
        service = webdriver.WebKitGTKService(
            executable_path=WEBKIT_DRIVER, env={**os.environ, "DISPLAY": display}
        )
        try:
            self._driver = webdriver.WebKitGTK(options=options, service=service)
        except BaseException:
            self._xvfb.terminate()
            raise
        self._driver.set_script_timeout(20)

    def goto(self, url: str) -> None:
        self._driver.get(url)

    def run_async(self, script: str, *args: Any) -> Any:
        return self._driver.execute_async_script(script, *args)

    def close(self) -> None:
        with contextlib.suppress(Exception):
            self._driver.quit()
        self._xvfb.terminate()
        self._xvfb.wait(timeout=10)


def _minibrowser() -> str:
    found = sorted(glob.glob("/usr/lib/*/webkit2gtk-4.*/MiniBrowser"))
    return found[-1] if found else ""


def _start_xvfb() -> tuple[subprocess.Popen[bytes], str]:
    for number in range(90, 140):
        if os.path.exists(f"/tmp/.X{number}-lock"):
            continue
        display = f":{number}"
        proc = subprocess.Popen(
            ["Xvfb", display, "-screen", "0", "1280x1024x24", "-nolisten", "tcp"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and proc.poll() is None:
            if os.path.exists(f"/tmp/.X11-unix/X{number}"):
                return proc, display
            time.sleep(0.05)
        proc.terminate()
    raise RuntimeError("could not start Xvfb")


def missing(name: str) -> str | None:
    """Why ``name`` cannot run here, or None."""
    if name == "firefox":
        if not os.access(FIREFOX, os.X_OK):
            return f"Firefox not found at {FIREFOX} (apt-get install firefox-esr)"
        module = "marionette_driver"
    elif name == "webkit":
        if not os.access(WEBKIT_DRIVER, os.X_OK) or not _minibrowser():
            return "WebKitWebDriver or MiniBrowser not found (apt-get install webkit2gtk-driver)"
        if shutil.which("Xvfb") is None:
            return "Xvfb not found (apt-get install xvfb)"
        module = "selenium"
    else:
        return None  # Chromium: the ``browser`` fixture says
    try:
        __import__(module)
    except ImportError:
        return f"the {module} package is not installed (pip install -e '.[test]')"
    return None


@contextlib.contextmanager
def open_engine(name: str, chromium: Any = None) -> Iterator[Engine]:
    """A fresh profile of ``name``; skipped locally when it is missing, a failure when CI=true."""
    reason = missing(name)
    if reason is not None:
        if os.environ.get("CI") == "true":
            pytest.fail(f"{reason}; CI=true, so the {name} proof may not be skipped")
        pytest.skip(reason)
    engine: Engine
    if name == "chromium":
        engine = ChromiumEngine(chromium)
    elif name == "firefox":
        engine = FirefoxEngine()
    else:
        engine = WebKitEngine()
    try:
        yield engine
    finally:
        engine.close()  # type: ignore[attr-defined]

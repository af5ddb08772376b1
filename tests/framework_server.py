"""``application``: the framework named by $CORS_TEST_FRAMEWORK, wrapped with catch_exceptions=True, for the
real-server tests (``gunicorn tests.framework_server:application``, ``waitress-serve ...``)."""

from __future__ import annotations

import os

from tests.framework_apps import build

application = build(os.environ["CORS_TEST_FRAMEWORK"], catch_exceptions=True)[0]

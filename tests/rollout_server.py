"""What the reload test serves: a bare app behind CORSMiddleware.from_config($CORS_TEST_CONFIG), reporting
which worker answered (X-Worker-Pid), and the gunicorn hook of docs/rolling-out.md."""

from __future__ import annotations

import logging
import os
from typing import Any

from cors_wsgi import CORSMiddleware

logging.basicConfig(level=logging.INFO)


def hello(environ: dict[str, Any], start_response: Any) -> list[bytes]:
    start_response("200 OK", [("Content-Type", "text/plain"), ("X-Worker-Pid", str(os.getpid()))])
    return [b"hello"]


application = CORSMiddleware.from_config(hello, os.environ["CORS_TEST_CONFIG"])

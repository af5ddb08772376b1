# The recipe of docs/rolling-out.md, as the reload test runs it.
import os

preload_app = True


def on_reload(server):  # type: ignore[no-untyped-def]
    server.app.wsgi().reload_config(os.environ["CORS_TEST_CONFIG"])

"""The two apps gunicorn serves for the end-to-end run: the demo API with and without cors_wsgi.

    gunicorn -w 2 -b 127.0.0.1:8000 benchmarks.e2e_app:plain
    gunicorn -w 2 -b 127.0.0.1:8001 benchmarks.e2e_app:with_cors_wsgi

``with_cors_wsgi`` is the demo exactly as shipped (its policy read from ``demo_app/cors.toml``, which allows
``http://localhost:3000`` with credentials); ``plain`` is the same demo with the middleware lifted off
``app.wsgi_app``, so the two differ by the CORS layer alone.
"""

from __future__ import annotations

from demo_app.app import create_app

with_cors_wsgi = create_app()
plain = create_app()
plain.wsgi_app = plain.wsgi_app.app  # type: ignore[attr-defined,method-assign]

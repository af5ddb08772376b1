"""The two apps gunicorn serves for the end-to-end run: the Flask app with and without cors_wsgi.

    gunicorn -w 2 -b 127.0.0.1:8000 benchmarks.e2e_app:plain
    gunicorn -w 2 -b 127.0.0.1:8001 benchmarks.e2e_app:with_cors_wsgi

Both are built from the same configuration as the in-process subjects (``subjects.py``).
"""

from __future__ import annotations

from benchmarks.scenarios import main_config
from benchmarks.subjects import SUBJECTS

plain = SUBJECTS["flask"].build(main_config())
with_cors_wsgi = SUBJECTS["flask_cors_wsgi"].build(main_config())

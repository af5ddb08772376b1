#!/usr/bin/env bash
# What a new user gets from the wheel (tox -e package): the library alone, its licence, a working command.
#   tests/check_wheel.sh <dist dir> <scratch venv dir>
set -euo pipefail
dist=$1
venv=$2
wheel=$(ls "$dist"/*.whl)
# The wheel holds cors_wsgi and its metadata only: no demo_app, no tests, the LICENSE file included.
python - "$wheel" <<'PY'
import sys, zipfile
names = zipfile.ZipFile(sys.argv[1]).namelist()
tops = {n.split("/", 1)[0] for n in names}
stray = sorted(t for t in tops if t != "cors_wsgi" and not t.endswith(".dist-info"))
assert not stray, f"the wheel ships more than cors_wsgi: {stray}"
assert any(n.endswith(".dist-info/licenses/LICENSE") for n in names), "LICENSE missing from the wheel"
assert "cors_wsgi/py.typed" in names, "py.typed missing from the wheel"
print(f"wheel contents: {len(names)} files, top level {sorted(tops)}")
PY
rm -rf "$venv"
python -m venv "$venv"
"$venv/bin/python" -m pip install -q "$wheel"
"$venv/bin/cors-wsgi" --version
"$venv/bin/python" -m cors_wsgi --version
"$venv/bin/cors-wsgi" lint --help >/dev/null
test "$("$venv/bin/cors-wsgi" --version)" = "cors-wsgi $("$venv/bin/python" -c 'import cors_wsgi; print(cors_wsgi.__version__)')"
if "$venv/bin/python" -I -c 'import demo_app' 2>/dev/null; then  # -I: not from this checkout
    echo "demo_app is importable from the installed wheel" >&2
    exit 1
fi
echo "the wheel installs into a fresh venv and cors-wsgi runs"

#!/usr/bin/env bash
# Find upstream drift on purpose: install the newest versions that pyproject.toml allows (not the lock)
# into a throw-away venv, list what differs from requirements/lock.txt, and run the whole suite there.
# Not part of CI. When it passes, `bash scripts/lock.sh --upgrade` moves the lock forward; when it
# fails, add the upper bound that keeps users off the broken release (pyproject.toml) and say why.
#   bash scripts/check_drift.sh [pytest args...]
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-python3}
venv=$(mktemp -d /tmp/pie-drift.XXXXXX)
trap 'rm -rf "$venv"' EXIT
"$PYTHON" -m venv "$venv"
pip=("$venv/bin/python" -m pip install -qq --disable-pip-version-check)
"${pip[@]}" torch==2.13.0
"${pip[@]}" --upgrade -e ".[gguf,label,train,tools,map,serve,ray,hf,dev]"
bash scripts/install_models.sh "$venv/bin/python"
echo "versions that differ from requirements/lock.txt:"
"$venv/bin/python" -m pip freeze --exclude-editable | sort >"$venv/freeze.txt"
grep -v '^#' requirements/lock.txt | sort | comm -13 - "$venv/freeze.txt" | sed 's/^/  /' || true
"$venv/bin/python" -m pytest -q "$@"

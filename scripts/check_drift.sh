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
echo "versions that differ from requirements/lock.txt (locked -> newest):"
"$venv/bin/python" - requirements/lock.txt <<'PYEOF'
import importlib.metadata as metadata, re, sys
norm = lambda name: re.sub(r"[-_.]+", "-", name).lower()
locked = dict(line.strip().split("==", 1) for line in open(sys.argv[1]) if "==" in line and not line.startswith("#"))
installed = {norm(d.metadata["Name"]): d.version for d in metadata.distributions()}
for name, version in sorted(locked.items()):
    now = installed.get(norm(name))
    if now != version:
        print(f"  {name}: {version} -> {now or 'not installed'}")
PYEOF
"$venv/bin/python" -m pytest -q "$@"

#!/usr/bin/env bash
# Regenerate requirements/lock.txt: every package version the test suite runs with, for Python 3.11 on
# x86-64 Linux, resolved by uv (from PyPI) over pyproject.toml with every extra. torch is the CPU wheel.
#   bash scripts/lock.sh            # keep the versions already locked where they still fit
#   bash scripts/lock.sh --upgrade  # take the newest versions the bounds in pyproject.toml allow
# After a change, run the suite (bash scripts/install.sh --dev && .venv/bin/python -m pytest -q) and
# commit the lock with the result. scripts/check_drift.sh tries the newest versions without the lock.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-python3}
command -v uv >/dev/null 2>&1 || "$PYTHON" -m pip install -qq uv
uv=$(command -v uv || echo "$PYTHON -m uv")
overrides=$(mktemp)
trap 'rm -f "$overrides"' EXIT
echo "torch==2.13.0" >"$overrides"
extras=()
for extra in gguf downstream label train tools map serve static ray hf mteb bench dev; do extras+=(--extra "$extra"); done
# The CPU build of torch: from the PyTorch CPU index, or from a local wheel folder ($PIE_TORCH_WHEELS).
torch_source=(--extra-index-url https://download.pytorch.org/whl/cpu --index-strategy unsafe-best-match)
if [ -n "${PIE_TORCH_WHEELS:-}" ] || [ -d /opt/wheels ]; then
  torch_source=(--find-links "${PIE_TORCH_WHEELS:-/opt/wheels}")
fi
$uv pip compile pyproject.toml "${extras[@]}" --python-version 3.11 \
  --python-platform x86_64-manylinux_2_28 "${torch_source[@]}" --override "$overrides" \
  --no-header --no-annotate -q "$@" -o requirements/lock.txt
{
  echo "# Exact versions the test suite was run with (Python 3.11, x86-64 Linux, every extra)."
  echo "# Made by scripts/lock.sh; installed by scripts/install.sh as pip constraints."
  cat requirements/lock.txt
} >requirements/lock.tmp && mv requirements/lock.tmp requirements/lock.txt

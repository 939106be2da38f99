#!/usr/bin/env bash
# The README's two commands: `./run.sh demo` runs the main job on embedded defaults;
# `./run.sh test` installs what the tests need and runs them. Each sets itself up.
set -euo pipefail
cd "$(dirname "$0")"
VENV=${BANTIN_VENV:-.venv}
PY=${PYTHON:-python3}

ensure_venv() {
  if [ ! -x "$VENV/bin/python" ]; then
    "$PY" -m venv "$VENV"
  fi
  "$VENV/bin/python" -m pip install --quiet --upgrade pip
}

install() {  # install the project (with extras, if named), pinned by constraints.txt
  local target="."
  if [ -n "${1:-}" ]; then target=".[$1]"; fi
  "$VENV/bin/python" -m pip install --quiet -c constraints.txt -e "$target"
}

case "${1:-}" in
  demo)
    ensure_venv
    install
    shift
    export BANTIN_DATA_DIR=${BANTIN_DATA_DIR:-bantin-data}
    exec "$VENV/bin/bantin" demo "$@"
    ;;
  test)
    ensure_venv
    install dev,neural
    shift
    "$VENV/bin/ruff" check .
    "$VENV/bin/ruff" format --check .
    "$VENV/bin/python" -m pytest -q -p no:cacheprovider "$@"
    if [ "${BANTIN_SKIP_COQUI:-0}" != "1" ]; then
      bash tests/run-coqui.sh
    fi
    ;;
  *)
    echo "usage: ./run.sh demo | ./run.sh test [pytest args]" >&2
    exit 2
    ;;
esac

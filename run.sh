#!/usr/bin/env bash
# The README's two commands: `./run.sh demo` runs the main job on embedded defaults;
# `./run.sh test` installs what the tests need and runs them. Each sets itself up.
# `./run.sh coqui` adds the Coqui TTS engine to the venv.
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

ensure_chromium() {  # the browser tests drive Debian's chromium: playwright cannot download one here
  if { command -v chromium >/dev/null 2>&1 || command -v chromium-browser >/dev/null 2>&1; } \
    && { ! command -v dpkg >/dev/null 2>&1 || dpkg -s fonts-khmeros >/dev/null 2>&1; }; then return 0; fi
  local sudo="" log
  if [ "$(id -u)" -ne 0 ]; then sudo="sudo -n"; fi  # -n: never prompt (CI has no stdin)
  log=$(mktemp)
  # Without recommends, but with a font that has Vietnamese glyphs (a recommend of chromium) and one
  # for Khmer script (the translator's form and the review sheet of a Khmer bulletin).
  set -- install -y -q --no-install-recommends chromium fonts-liberation fonts-khmeros
  if $sudo env DEBIAN_FRONTEND=noninteractive apt-get "$@" >"$log" 2>&1 </dev/null \
    || { $sudo env DEBIAN_FRONTEND=noninteractive apt-get update -q >>"$log" 2>&1 </dev/null \
      && $sudo env DEBIAN_FRONTEND=noninteractive apt-get "$@" >>"$log" 2>&1 </dev/null; }; then
    rm -f "$log"
  else
    echo "run.sh: could not install chromium with apt-get; the browser tests skip (fail under CI):" >&2
    tail -n 5 "$log" >&2
    rm -f "$log"
  fi
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
    install dev,neural,dask
    ensure_chromium
    shift
    "$VENV/bin/ruff" check .
    "$VENV/bin/ruff" format --check .
    # Two workers (pytest-xdist): much of the suite waits on servers it started, so two share the cores well.
    "$VENV/bin/python" -m pytest -q -p no:cacheprovider -n "${BANTIN_TEST_WORKERS:-2}" "$@"
    if [ "${BANTIN_SKIP_COQUI:-0}" != "1" ]; then
      bash tests/run-coqui.sh
    fi
    # Fails on a known vulnerability with a fix whenever a vulnerability database answers;
    # says plainly (and goes on) when none can be reached.
    "$VENV/bin/python" scripts/audit.py --if-reachable
    ;;
  audit)  # exit 0 clean, 1 vulnerable, 3 no database reachable (no verdict)
    ensure_venv
    install dev
    shift
    exec "$VENV/bin/python" scripts/audit.py "$@"
    ;;
  coqui)  # Coqui TTS voices in this venv (README: "Speech models and the Coqui extra")
    ensure_venv
    install neural,coqui
    "$VENV/bin/python" -m pip install --quiet --no-deps -r tests/coqui-nodeps-requirements.txt
    bash scripts/torchaudio-cpu.sh "$VENV/bin/python"
    "$VENV/bin/bantin" voices
    ;;
  *)
    echo "usage: ./run.sh demo | ./run.sh test [pytest args] | ./run.sh coqui | ./run.sh audit" >&2
    exit 2
    ;;
esac

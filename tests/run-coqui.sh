#!/usr/bin/env bash
# Run the Coqui TTS engine's tests in their own venv (torch + torchaudio + coqui-tts, ~1.8 GB).
#
# The venv is keyed on a hash of the pinned requirements, so it is built once and rebuilt only when they
# change: ${BANTIN_COQUI_VENV:-$HOME/.cache/bantin/venv-coqui-<hash>}. Extra arguments go to pytest.
# Non-interactive; safe to call from the main test runner (`bash tests/run-coqui.sh`).
set -euo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
REQUIREMENTS="$REPO/tests/coqui-requirements.txt"
NODEPS_REQUIREMENTS="$REPO/tests/coqui-nodeps-requirements.txt"
PYTHON="${BANTIN_COQUI_PYTHON:-python3.11}"
command -v "$PYTHON" >/dev/null 2>&1 || PYTHON=python3

HASH="$(cat "$REQUIREMENTS" "$NODEPS_REQUIREMENTS" | sha256sum | cut -c1-12)"
VENV="${BANTIN_COQUI_VENV:-$HOME/.cache/bantin/venv-coqui-$HASH}"
MARKER="$VENV/.bantin-requirements-$HASH"
PIP=(-m pip --disable-pip-version-check --no-input)

log() { echo "run-coqui: $*" >&2; }

# pip, quiet; this machine's pip config names local index folders that do not exist: drop those warnings.
pip_install() {
    "$VENV/bin/python" "${PIP[@]}" install -q --progress-bar off "$@" \
        2> >(grep -v "is ignored: it is neither a file nor a directory" >&2)
}

build_venv() {
    local started=$SECONDS
    log "creating $VENV (requirements hash $HASH; a few minutes, ~1.8 GB)"
    if [[ -e "$VENV" && ! -f "$VENV/pyvenv.cfg" ]]; then
        log "$VENV exists and is not a venv: refusing to replace it (set BANTIN_COQUI_VENV elsewhere)"
        exit 2
    fi
    rm -rf "$VENV"
    "$PYTHON" -m venv "$VENV"
    pip_install -r "$REQUIREMENTS"
    pip_install --no-deps -r "$NODEPS_REQUIREMENTS"
    bash "$REPO/scripts/torchaudio-cpu.sh" "$VENV/bin/python"
    touch "$MARKER"
    log "venv ready in $((SECONDS - started)) s, $(du -sh "$VENV" | cut -f1)"
}

# The project itself, editable and without its dependencies. One venv serves every clone with the same
# requirements, so it is re-pointed when it imports tts/ from another checkout.
point_at_this_checkout() {
    local here
    here="$(cd / && "$VENV/bin/python" -c 'import tts; print(tts.__file__)' 2>/dev/null || true)"
    if [[ "$here" != "$REPO/tts/__init__.py" ]]; then
        pip_install --no-deps --no-build-isolation -e "$REPO"
    fi
}

# Venvs of older requirements under the default cache folder, unless a run is still using them.
drop_stale_venvs() {
    local lock
    for lock in "$(dirname "$VENV")"/venv-coqui-*.lock; do
        [[ -e "$lock" && "$lock" != "$VENV.lock" ]] || continue
        if flock -n -x "$lock" rm -rf "${lock%.lock}"; then
            rm -f "$lock"
            log "removed the stale venv ${lock%.lock}"
        fi
    done
}

mkdir -p "$(dirname "$VENV")"
exec 9>"$VENV.lock"
flock -x 9  # one build at a time; runs that find the venv ready share it (shared lock below)
if [[ ! -f "$MARKER" ]]; then
    build_venv
fi
point_at_this_checkout
flock -s 9  # held by pytest below, so drop_stale_venvs in another run leaves this venv alone
[[ -n "${BANTIN_COQUI_VENV:-}" ]] || drop_stale_venvs

cd "$REPO"
# --noconftest: other test folders' conftest files import packages this venv does not carry.
exec "$VENV/bin/python" -m pytest tests/tts/test_coqui.py -q --noconftest "$@"

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

build_venv() {
    local started=$SECONDS
    log "creating $VENV (requirements hash $HASH; a few minutes, ~1.8 GB)"
    rm -rf "$VENV"
    "$PYTHON" -m venv "$VENV"
    "$VENV/bin/python" "${PIP[@]}" install -q --progress-bar off -r "$REQUIREMENTS"
    "$VENV/bin/python" "${PIP[@]}" install -q --progress-bar off --no-deps -r "$NODEPS_REQUIREMENTS"
    touch "$MARKER"
    log "venv ready in $((SECONDS - started)) s, $(du -sh "$VENV" | cut -f1)"
}

# PyPI's torchaudio is a CUDA build: its compiled ops need libc10_cuda.so, absent from the CPU torch, and
# fail at import. Without the library files torchaudio imports its pure-PyTorch parts only (documented
# fallback in torchaudio/_extension/utils.py), which is all Coqui's VITS/XTTS inference uses.
drop_torchaudio_native_ops() {
    if "$VENV/bin/python" -c 'import torchaudio' 2>/dev/null; then
        return
    fi
    log "torchaudio's compiled ops do not load with this torch; using its pure-PyTorch parts"
    rm -f "$("$VENV/bin/python" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')"/torchaudio/lib/*.so
    "$VENV/bin/python" -c 'import torchaudio'
}

mkdir -p "$(dirname "$VENV")"
exec 9>"$VENV.lock"
flock 9  # two runs at once wait for one build instead of both writing into the same venv
if [[ ! -f "$MARKER" ]]; then
    build_venv
fi
drop_torchaudio_native_ops
# The project itself, editable and without its dependencies (re-pointed at this checkout on every run,
# since one venv serves every clone with the same requirements).
"$VENV/bin/python" "${PIP[@]}" install -q --progress-bar off --no-deps --no-build-isolation -e "$REPO"
flock -u 9

cd "$REPO"
# --noconftest: other test folders' conftest files import packages this venv does not carry.
exec "$VENV/bin/python" -m pytest tests/tts/test_coqui.py -q --noconftest "$@"

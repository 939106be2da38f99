#!/usr/bin/env bash
# Make PyPI's torchaudio import beside the CPU torch: usage scripts/torchaudio-cpu.sh PYTHON
#
# PyPI's torchaudio is a CUDA build: its compiled ops need libc10_cuda.so, absent from the CPU torch, and
# fail at import. Without the library files torchaudio imports its pure-PyTorch parts only (documented
# fallback in torchaudio/_extension/utils.py), which is all Coqui's VITS/XTTS inference uses.
set -euo pipefail
PYTHON="$1"
if "$PYTHON" -c 'import torchaudio' 2>/dev/null; then
    exit 0
fi
echo "torchaudio's compiled ops do not load with this torch; using its pure-PyTorch parts" >&2
rm -f "$("$PYTHON" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')"/torchaudio/lib/*.so
"$PYTHON" -c 'import torchaudio'

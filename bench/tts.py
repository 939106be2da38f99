"""Speech benchmark: real-time factor of synthesis and mastering on one core, peak memory, loudness, true peak.

Usage: python bench/tts.py [--voices espeak-vi-north,vits-tiny] [--profile loudspeaker] [--limit N]

Prints one JSON object per voice over the sample bulletins (shared/data/bulletins, body text
normalized for speech). Each voice runs in its own child process pinned to one CPU (the
equivalent of `taskset -c N`) with BLAS/torch threads at 1, so peak RSS and CPU times are its own.
CPU seconds (time.process_time) are reported beside wall seconds because the machines are shared.
`vits-tiny` is a randomly initialised ~40k-parameter VITS built in a temp dir: it measures the
loading and inference code path and its overheads, not the speed or quality of a real model.
"""

from __future__ import annotations

import os
import sys

# Run as `python bench/tts.py`, this file's folder comes first on sys.path and its name would hide
# the `tts` package: drop that folder.
sys.path[:] = [p for p in sys.path if os.path.abspath(p or ".") != os.path.dirname(os.path.abspath(__file__))]

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import argparse  # noqa: E402
import json  # noqa: E402
import resource  # noqa: E402
import subprocess  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
BULLETINS = REPO.parent / "shared" / "data" / "bulletins"
DEFAULT_VOICES = ("espeak-vi-north", "espeak-vi-central", "espeak-vi-south", "vits-tiny")


def bulletin_texts(limit: int | None) -> tuple[list[tuple[str, str]], bool]:
    """(id, spoken text) of the sample bulletins, and whether nlp's normalizer was applied."""
    try:
        from nlp import normalize_for_speech
    except Exception:  # the normalizer is optional for timing audio; say so in the output
        normalize_for_speech = None
    texts = []
    for path in sorted(BULLETINS.glob("*.json"))[:limit]:
        bulletin = json.loads(path.read_text(encoding="utf-8"))
        texts.append((bulletin["id"], bulletin["body"]))
    if normalize_for_speech is None:
        return texts, False
    return [(i, "\n\n".join(normalize_for_speech(p) for p in body.split("\n\n"))) for i, body in texts], True


def decoded_figures(mp3: bytes) -> dict[str, float]:
    """Loudness and true peak of the MP3 as a player decodes it."""
    from tts.mastering import measure_mp3

    lufs, dbtp = measure_mp3(mp3)
    return {"lufs": lufs, "dbtp": dbtp}


def run_voice(voice_name: str, profile_name: str, limit: int | None) -> dict[str, object]:
    """Benchmark one voice in this process (called in the child)."""
    os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})
    from tts.config import SynthesisConfig
    from tts.mastering import get_profile, master
    from tts.registry import get_voice
    from tts.render import _synthesize

    models_dir = None
    label = voice_name
    if voice_name == "vits-tiny":
        import torch

        torch.set_num_threads(1)
        from tts.tiny_vits import build_tiny_vits

        models_dir = Path(tempfile.mkdtemp(prefix="bench-vits-"))
        build_tiny_vits(models_dir / "tiny")
        voice_name, label = "vits-tiny", "vits-tiny (random ~40k-parameter model, noise not speech)"
    profile = get_profile(profile_name)
    texts, normalized = bulletin_texts(limit)
    load_started = time.perf_counter()
    voice = get_voice(voice_name, models_dir)
    load_seconds = time.perf_counter() - load_started
    config = SynthesisConfig()
    totals = {"synthesis_cpu": 0.0, "synthesis_wall": 0.0, "mastering_cpu": 0.0, "mastering_wall": 0.0}
    audio_seconds = 0.0
    loudness_errors, peaks, decoded_errors, decoded_peaks, per_file = [], [], [], [], []
    for bulletin_id, text in texts:
        cpu, wall = time.process_time(), time.perf_counter()
        samples, rate, _ = _synthesize(voice, text, config, None)
        cpu2, wall2 = time.process_time(), time.perf_counter()
        mastered = master(samples, rate, profile)
        cpu3, wall3 = time.process_time(), time.perf_counter()
        totals["synthesis_cpu"] += cpu2 - cpu
        totals["synthesis_wall"] += wall2 - wall
        totals["mastering_cpu"] += cpu3 - cpu2
        totals["mastering_wall"] += wall3 - wall2
        audio_seconds += mastered.duration_s
        decoded = decoded_figures(mastered.mp3)
        loudness_errors.append(abs(mastered.loudness_lufs - profile.target_lufs))
        peaks.append(mastered.true_peak_dbtp)
        decoded_errors.append(abs(decoded["lufs"] - profile.target_lufs))
        decoded_peaks.append(decoded["dbtp"])
        per_file.append(
            {
                "id": bulletin_id,
                "audio_s": round(mastered.duration_s, 2),
                "synthesis_rtf_cpu": round((cpu2 - cpu) / mastered.duration_s, 5),
                "mastering_rtf_cpu": round((cpu3 - cpu2) / mastered.duration_s, 5),
                "lufs": round(mastered.loudness_lufs, 2),
                "dbtp": round(mastered.true_peak_dbtp, 2),
                "decoded_lufs": round(decoded["lufs"], 2),
                "decoded_dbtp": round(decoded["dbtp"], 2),
            }
        )
    return {
        "voice": label,
        "engine": voice.info.engine,
        "profile": profile.name,
        "files": len(texts),
        "text_normalized_with_nlp": normalized,
        "audio_seconds": round(audio_seconds, 1),
        "load_seconds": round(load_seconds, 3),
        "synthesis_rtf_cpu": round(totals["synthesis_cpu"] / audio_seconds, 5),
        "synthesis_rtf_wall": round(totals["synthesis_wall"] / audio_seconds, 5),
        "mastering_rtf_cpu": round(totals["mastering_cpu"] / audio_seconds, 5),
        "mastering_rtf_wall": round(totals["mastering_wall"] / audio_seconds, 5),
        "total_rtf_cpu": round((totals["synthesis_cpu"] + totals["mastering_cpu"]) / audio_seconds, 5),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        "target_lufs": profile.target_lufs,
        "loudness_error_lu_max": round(max(loudness_errors), 3),
        "decoded_mp3_loudness_error_lu_max": round(max(decoded_errors), 3),
        "true_peak_dbtp_max": round(max(peaks), 2),
        "decoded_mp3_true_peak_dbtp_max": round(max(decoded_peaks), 2),
        "true_peak_limit_dbtp": profile.true_peak_dbtp,
        "targets_met": {
            # The real-time-factor target is eSpeak's; a neural voice is reported, not judged.
            "rtf_cpu_le_0.02": (totals["synthesis_cpu"] + totals["mastering_cpu"]) / audio_seconds <= 0.02
            if voice.info.engine == "espeak"
            else None,
            "loudness_within_0.5_lu": max(decoded_errors) <= 0.5,
            "true_peak_le_limit": max(decoded_peaks) <= profile.true_peak_dbtp,
        },
        "per_file": per_file,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--voices", default=",".join(DEFAULT_VOICES))
    parser.add_argument("--profile", default="loudspeaker")
    parser.add_argument("--limit", type=int, default=None, help="only the first N bulletins")
    parser.add_argument("--one", help=argparse.SUPPRESS)  # child mode: benchmark this voice
    parser.add_argument("--per-file", action="store_true", help="include per-bulletin figures")
    args = parser.parse_args()
    if args.one:
        print(json.dumps(run_voice(args.one, args.profile, args.limit), ensure_ascii=False))
        return
    for voice in args.voices.split(","):
        command = [sys.executable, __file__, "--one", voice, "--profile", args.profile]
        if args.limit:
            command += ["--limit", str(args.limit)]
        child = subprocess.run(command, capture_output=True, text=True, cwd=REPO, check=False)
        if child.returncode != 0:
            print(json.dumps({"voice": voice, "error": child.stderr.strip().splitlines()[-1:]}))
            continue
        result = json.loads(child.stdout.strip().splitlines()[-1])
        if not args.per_file:
            result.pop("per_file")
        print(json.dumps(result, ensure_ascii=False))


if __name__ == "__main__":
    main()

"""Synthesis settings and mastering profiles (frozen dataclasses), and the default voice."""

from __future__ import annotations

from dataclasses import dataclass

from tts.errors import SpeechError

DEFAULT_VOICE = "espeak-vi-north"

# Longest text one render accepts; longer bulletins must be split by the caller (or summarized first).
MAX_TEXT_CHARS = 20_000


@dataclass(frozen=True)
class SynthesisConfig:
    """How a voice speaks: speed factor, pitch offset and the pauses the renderer puts between chunks."""

    speed: float = 1.0  # 1.0 = the voice's broadcast pace; 0.5..2.0
    pitch: float = 0.0  # -1.0 (lowest) .. 0.0 (voice default) .. 1.0 (highest); engines that cannot ignore it
    sentence_pause_s: float = 0.35
    paragraph_pause_s: float = 0.9

    def __post_init__(self) -> None:
        if not 0.5 <= self.speed <= 2.0:
            raise SpeechError(
                f"speed must be between 0.5 and 2.0, got {self.speed}.",
                f"Tốc độ đọc phải trong khoảng 0,5 đến 2,0, nhận được {self.speed}.",
            )
        if not -1.0 <= self.pitch <= 1.0:
            raise SpeechError(
                f"pitch must be between -1.0 and 1.0, got {self.pitch}.",
                f"Cao độ phải trong khoảng -1,0 đến 1,0, nhận được {self.pitch}.",
            )
        if not (0 <= self.sentence_pause_s <= 5 and 0 <= self.paragraph_pause_s <= 10):
            raise SpeechError(
                "Pauses must be between 0 and 5 s (sentences) and 0 and 10 s (paragraphs).",
                "Khoảng nghỉ phải từ 0 đến 5 giây (giữa câu) và 0 đến 10 giây (giữa đoạn).",
            )


@dataclass(frozen=True)
class MasteringProfile:
    """How finished audio is shaped and encoded for one kind of playback."""

    name: str
    sample_rate: int
    highpass_hz: float
    lowpass_hz: float | None = None
    compressor_threshold_db: float = -20.0  # level (dBFS, RMS envelope) above which gain is reduced
    compressor_ratio: float = 2.5
    compressor_attack_ms: float = 10.0
    compressor_release_ms: float = 150.0
    target_lufs: float = -16.0
    true_peak_dbtp: float = -1.0  # maximum true peak after mastering
    mp3_bitrate_kbps: int = 64
    silence_threshold_db: float = -45.0  # leading/trailing audio quieter than this (dBFS) is trimmed
    edge_silence_s: float = 0.15  # silence kept at the start and end after trimming
    intro_jingle: bytes | None = None  # an audio file (wav/mp3/ogg/m4a) played before the speech
    outro_jingle: bytes | None = None  # an audio file played after the speech
    jingle_gap_s: float = 0.4

    def __repr__(self) -> str:  # jingles can be megabytes: keep reprs readable
        return f"MasteringProfile(name={self.name!r}, sample_rate={self.sample_rate}, target_lufs={self.target_lufs})"


PROFILES: dict[str, MasteringProfile] = {
    # Outdoor horn loudspeakers on village poles: narrow band (no bass, little above 7 kHz), firmer
    # compression so quiet syllables carry over wind and traffic, mono 22.05 kHz mp3.
    "loudspeaker": MasteringProfile(
        name="loudspeaker",
        sample_rate=22050,
        highpass_hz=180.0,
        lowpass_hz=7500.0,
        compressor_threshold_db=-24.0,
        compressor_ratio=3.0,
        mp3_bitrate_kbps=64,
    ),
    # Listen-again on the commune portal and phones: wider band (70 Hz to 12 kHz; speech has little above,
    # eSpeak nothing above 11 kHz), lighter compression, mono 24 kHz mp3 at 80 kbit/s.
    "portal": MasteringProfile(
        name="portal",
        sample_rate=24000,
        highpass_hz=70.0,
        lowpass_hz=None,
        compressor_threshold_db=-20.0,
        compressor_ratio=2.0,
        mp3_bitrate_kbps=80,
    ),
}

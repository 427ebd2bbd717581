"""Benign synthetic audio for tests and benchmarks: signals drawn from numbers and the sample-level edits
copies go through. The encoders that turn them into evidence files are in ``jejak.testing.audio_files``.

Nothing is recorded or downloaded. Every signal is computed from a seed:

- ``music``: a note sequence over a chord progression (pad chords, a bass line, a melody of additive
  partials with a decaying envelope, kick/snare/hat made of swept sines and noise bursts) at a random
  tempo and key;
- ``speech``: a speech-like signal, not speech: a harmonic pulse train whose pitch follows a declining
  phrase contour with accents, shaped by three formant resonances that glide between vowel targets,
  syllable envelopes, noise bursts for "consonants", and pauses between phrases. No words, no voice;
- ``noise``: a noise texture (wind/rain/room-tone-like): noise coloured by a slowly wandering spectral
  envelope with a few narrow resonances, gusts and droplets, synthesised frame by frame (overlap-add);
- ``mixed``: speech over quieter music and noise;
- ``tone``, ``chord``, ``silence``: the degenerate edge cases.

Signals are float32 mono arrays in [-1, 1] at ``rate`` samples per second, normalised to ``LEVEL_DBFS``
RMS. Output is deterministic for a given (kind, seed, seconds, rate) with the installed numpy.

Edits (``gain``, ``add_noise``, ``trim``, ``splice``) return new arrays; ``audio_files`` adds those that go
through FFmpeg (``resample``, ``through_codec``).
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np
from numpy.typing import NDArray

Samples = NDArray[np.float32]

RATE = 22050
"""Default generation rate: Chromaprint looks at 28-3520 Hz of audio resampled to 11025 Hz, so 22050
Hz keeps everything it sees at half the cost of 44100."""
LEVEL_DBFS = -20.0
"""RMS level every generated signal is normalised to."""
PEAK = 0.9
"""Largest sample magnitude of a generated signal."""
KINDS: tuple[str, ...] = ("speech", "music", "noise", "mixed")

_F64 = NDArray[np.float64]
_MAJOR = (0, 2, 4, 5, 7, 9, 11)
_MINOR = (0, 2, 3, 5, 7, 8, 10)
_PROGRESSIONS = ((0, 3, 4, 0), (0, 5, 3, 4), (0, 4, 5, 3), (5, 3, 0, 4), (0, 1, 4, 0), (0, 3, 5, 4))
_VOWELS = (  # formant targets F1, F2, F3 in Hz (textbook averages of adult vowels)
    (730, 1090, 2440),
    (270, 2290, 3010),
    (300, 870, 2240),
    (530, 1840, 2480),
    (570, 840, 2410),
    (440, 1020, 2240),
    (660, 1720, 2410),
    (490, 1350, 1690),
)
_BANDWIDTHS = (90.0, 110.0, 170.0)
_STEP = 32  # samples per step of the speech harmonics' amplitudes
_FORMANT_GAINS = (1.0, 0.55, 0.3)


def _rng(kind: str, seed: int) -> np.random.Generator:
    if seed < 0:
        raise ValueError("seed must be >= 0")
    return np.random.default_rng([sum(kind.encode()), seed])


def _count(seconds: float, rate: int) -> int:
    if seconds < 0 or rate <= 0:
        raise ValueError(f"bad duration or rate: {seconds} s at {rate} Hz")
    return round(seconds * rate)


def normalise(x: NDArray[np.floating], level_dbfs: float = LEVEL_DBFS) -> Samples:
    """``x`` scaled to ``level_dbfs`` RMS, or less when that would put a peak above ``PEAK`` (silence stays
    silence), as float32."""
    x = np.asarray(x, np.float64)
    rms = math.sqrt(float(np.mean(x * x))) if len(x) else 0.0
    if rms > 0:
        x = x * min(10 ** (level_dbfs / 20) / rms, PEAK / float(np.abs(x).max()))
    out: Samples = np.clip(x, -1.0, 1.0).astype(np.float32)
    return out


# --- degenerate signals -------------------------------------------------------------------------------


def silence(seconds: float, rate: int = RATE) -> Samples:
    return np.zeros(_count(seconds, rate), np.float32)


def tone(freq: float, seconds: float, rate: int = RATE, amplitude: float = 0.3) -> Samples:
    """A steady sine."""
    t = np.arange(_count(seconds, rate)) / rate
    return (amplitude * np.sin(2 * np.pi * freq * t)).astype(np.float32)


def chord(freqs: tuple[float, ...], seconds: float, rate: int = RATE, amplitude: float = 0.3) -> Samples:
    """Steady sines summed, peak ``amplitude``."""
    t = np.arange(_count(seconds, rate)) / rate
    x = sum((np.sin(2 * np.pi * f * t) for f in freqs), np.zeros(len(t)))
    peak = float(np.abs(x).max()) if len(x) else 0.0
    return (x * (amplitude / peak if peak else 0.0)).astype(np.float32)


# --- music ------------------------------------------------------------------------------------------------


def _midi_hz(note: float) -> float:
    return float(440.0 * 2 ** ((note - 69) / 12))


def _add(out: _F64, start: int, sig: _F64) -> None:
    if start >= len(out):
        return
    end = min(len(out), start + len(sig))
    out[start:end] += sig[: end - start]


def _note(freq: float, n: int, rate: int, partials: _F64, decay: float) -> _F64:
    t = np.arange(n) / rate
    env = np.minimum(1.0, t / 0.01) * np.exp(-t / decay)
    release = min(n, int(0.03 * rate))
    if release:
        env[n - release :] *= np.linspace(1.0, 0.0, release)
    x = np.zeros(n)
    for k, a in enumerate(partials, start=1):
        if k * freq < rate / 2 * 0.9:
            x += a * np.sin(2 * np.pi * k * freq * t)
    out: _F64 = x * env
    return out


def _drum(kind: str, rate: int, rng: np.random.Generator) -> _F64:
    if kind == "kick":
        n = int(0.25 * rate)
        t = np.arange(n) / rate
        freq = 45 + 90 * np.exp(-t / 0.03)
        return np.sin(2 * np.pi * np.cumsum(freq) / rate) * np.exp(-t / 0.08)
    n = int((0.15 if kind == "snare" else 0.04) * rate)
    t = np.arange(n) / rate
    noise = rng.standard_normal(n)
    if kind == "hat":
        noise = np.diff(noise, prepend=0.0)
        return 0.25 * noise * np.exp(-t / 0.012)
    body = 0.5 * np.sin(2 * np.pi * 190 * t)
    return (0.6 * noise + body) * np.exp(-t / 0.05)


def music(seed: int, seconds: float, rate: int = RATE) -> Samples:
    """A generated piece: chord progression, bass, melody and drums at a random tempo and key."""
    rng = _rng("music", seed)
    n = _count(seconds, rate)
    out = np.zeros(n)
    beat = 60.0 / float(rng.uniform(80, 150))
    root = 48 + int(rng.integers(12))
    scale = _MAJOR if rng.random() < 0.5 else _MINOR
    progression = _PROGRESSIONS[int(rng.integers(len(_PROGRESSIONS)))]
    lead = float(rng.uniform(0.35, 0.8)) ** np.arange(6.0)
    pad = float(rng.uniform(0.2, 0.5)) ** np.arange(4.0)
    drums = rng.random() < 0.75

    def pitch(degree: int) -> int:
        return root + 12 * (degree // 7) + scale[degree % 7]

    bar = 0
    melody = 14
    while bar * 4 * beat < seconds:
        t0 = bar * 4 * beat
        degree = progression[bar % len(progression)]
        for d in (0, 2, 4):
            f = _midi_hz(pitch(degree + d))
            _add(out, int(t0 * rate), 0.12 * _note(f, int(4 * beat * rate), rate, pad, 2.0))
        for b in range(4):
            f = _midi_hz(pitch(degree) - 12)
            _add(out, int((t0 + b * beat) * rate), 0.3 * _note(f, int(beat * rate), rate, pad, 0.3))
        t = 0.0
        while t < 4 * beat - 1e-6:
            dur = beat * float(rng.choice([0.25, 0.5, 0.5, 1.0, 1.0, 1.5, 2.0]))
            dur = min(dur, 4 * beat - t)
            melody = int(np.clip(melody + rng.integers(-3, 4), 7, 20))
            if rng.random() < 0.85:
                f = _midi_hz(pitch(melody))
                _add(out, int((t0 + t) * rate), 0.35 * _note(f, int(dur * rate), rate, lead, 0.25 + dur))
            t += dur
        if drums:
            for h in range(8):
                at = int((t0 + h * beat / 2) * rate)
                if h % 4 == 0:
                    _add(out, at, 0.6 * _drum("kick", rate, rng))
                elif h % 4 == 2:
                    _add(out, at, 0.35 * _drum("snare", rate, rng))
                _add(out, at, _drum("hat", rate, rng))
        bar += 1
    return normalise(out)


# --- speech-like ------------------------------------------------------------------------------------------


def _smooth(x: _F64, width: int) -> _F64:
    """Moving average along the first axis (edge-padded), ``width`` control steps."""
    if width <= 1:
        return x
    pad = [(width // 2, width - 1 - width // 2)] + [(0, 0)] * (x.ndim - 1)
    c = np.cumsum(np.pad(x, pad, mode="edge"), axis=0)
    c = np.concatenate([np.zeros((1, *x.shape[1:])), c])
    out: _F64 = (c[width:] - c[:-width]) / width
    return out


def speech(seed: int, seconds: float, rate: int = RATE) -> Samples:
    """A speech-like signal: a formant-shaped harmonic pulse train with a pitch contour (no words)."""
    rng = _rng("speech", seed)
    n = _count(seconds, rate)
    ctrl = 200  # control tracks at 200 Hz (5 ms)
    m = math.ceil(seconds * ctrl) + 2
    room = m + 13 * 70 + 120  # a phrase may run past the end: the tracks are cut to m afterwards
    f0 = np.zeros(room)
    formants = np.zeros((room, 3))
    voiced = np.zeros(room)
    frication = np.zeros(room)
    base = float(rng.uniform(95, 230))
    vowel = _VOWELS[0]
    i = int(rng.integers(0, 40))
    while i < m:
        syllables = int(rng.integers(4, 13))
        start = i
        for s in range(syllables):
            if rng.random() < 0.6:  # a consonant: a burst of noise
                k = int(rng.integers(8, 20))
                frication[i : i + k] = float(rng.uniform(0.2, 0.5))
                i += k
            vowel = _VOWELS[int(rng.integers(len(_VOWELS)))]
            k = int(rng.integers(16, 50))
            accent = 1.0 + (0.25 if rng.random() < 0.3 else 0.0) * float(rng.random())
            span = np.arange(k) / max(1, k - 1)
            voiced[i : i + k] = np.sin(np.pi * np.clip(span * 1.1, 0, 1)) ** 0.5
            decline = 1.2 - 0.35 * (s / max(1, syllables - 1))
            f0[i : i + k] = base * decline * accent * (1 + 0.06 * np.sin(np.pi * span))
            formants[i : i + k] = vowel
            i += k
        f0[start:i] *= 1 + 0.01 * rng.standard_normal(len(f0[start:i]))
        gap = int(rng.integers(30, 120))
        formants[i : i + gap] = vowel
        i += gap
    f0[f0 == 0] = base
    f0 = _smooth(f0[:m], 6)
    formants = _smooth(formants[:m], 8)
    voiced = _smooth(voiced[:m], 3)
    frication = frication[:m]
    t_ctrl = np.arange(m) / ctrl
    t = np.arange(n) / rate
    f0s = np.interp(t, t_ctrl, f0)
    phase = 2 * np.pi * np.cumsum(f0s) / rate
    # Harmonic amplitudes change slowly: computed every _STEP samples and held (cheap), while the
    # harmonics themselves come from the Chebyshev recurrence sin((k+1)x) = 2 cos(x) sin(kx) - sin((k-1)x).
    coarse = np.arange(0, n, _STEP) / rate
    f0c = np.interp(coarse, t_ctrl, f0)
    fc = [np.interp(coarse, t_ctrl, formants[:, j]) for j in range(3)]
    top = min(5000.0, 0.45 * rate)
    c2 = 2 * np.cos(phase)
    prev, cur = np.zeros(n), np.sin(phase)
    voice = np.zeros(n)
    for k in range(1, int(top // 80) + 1):
        fk = k * f0c
        amp = sum(
            g / (1.0 + ((fk - fj) / (b / 2)) ** 2)
            for g, fj, b in zip(_FORMANT_GAINS, fc, _BANDWIDTHS, strict=True)
        )
        amp = np.where(fk < top, amp / k**0.5, 0.0)
        voice += np.repeat(amp, _STEP)[:n] * cur
        prev, cur = cur, c2 * cur - prev
    noise = np.diff(rng.standard_normal(n + 1))
    out = voice * np.interp(t, t_ctrl, voiced) + 0.5 * noise * np.interp(t, t_ctrl, frication)
    return normalise(out)


# --- noise textures ---------------------------------------------------------------------------------------


def _overlap_add(frames: _F64, hop: int, n: int) -> _F64:
    """Sum frames of length 2 * hop placed every ``hop`` samples (two interleaved non-overlapping sets)."""
    out = np.zeros((len(frames) + 1) * hop)
    for phase in (0, 1):
        sub = frames[phase::2]
        flat = sub.reshape(-1)
        out[phase * hop : phase * hop + len(flat)] += flat
    return out[:n]


def noise_texture(seed: int, seconds: float, rate: int = RATE) -> Samples:
    """Coloured noise with a wandering spectral envelope, a few narrow resonances, gusts and droplets."""
    rng = _rng("noise", seed)
    n = _count(seconds, rate)
    hop = 512
    size = 2 * hop
    count = n // hop + 2
    bins = size // 2 + 1
    logf = np.log2(np.maximum(np.fft.rfftfreq(size, 1 / rate), 20.0))
    walk = np.cumsum(rng.standard_normal((count, 4)) * 0.04, axis=0)
    centres = rng.uniform(7.0, 12.0, 4) + walk  # log2 Hz: ~130 Hz .. 4 kHz
    widths = rng.uniform(0.4, 1.5, 4)
    gains = rng.uniform(0.3, 1.0, 4)
    env = sum(
        gains[j] * np.exp(-0.5 * ((logf[None, :] - centres[:, j : j + 1]) / widths[j]) ** 2) for j in range(4)
    )
    tilt = float(rng.uniform(-1.0, 0.0))
    env = env + 0.05 * 2 ** (tilt * (logf[None, :] - 7))
    for _ in range(int(rng.integers(1, 4))):  # whistles: narrow resonances gliding slowly
        c = float(rng.uniform(8.0, 11.5)) + np.cumsum(rng.standard_normal(count)) * 0.01
        env = env + float(rng.uniform(0.5, 2.0)) * np.exp(-0.5 * ((logf[None, :] - c[:, None]) / 0.03) ** 2)
    gust = np.exp(_smooth(np.cumsum(rng.standard_normal(count)) * 0.15, 9))
    gust = gust / gust.mean()
    drops = (rng.random(count) < float(rng.uniform(0.0, 0.15))) * rng.uniform(1, 4, count)
    mag = env * gust[:, None] + drops[:, None] * (logf[None, :] > 10)
    spectrum = mag * np.exp(2j * np.pi * rng.random((count, bins)))
    frames = np.fft.irfft(spectrum, size, axis=1) * np.hanning(size)[None, :]
    return normalise(_overlap_add(frames, hop, n))


_MIXED_SEEDS = 1 << 40  # mixed draws its parts from seeds no plain kind is asked for


def mixed(seed: int, seconds: float, rate: int = RATE) -> Samples:
    """Speech over quieter music and a noise texture, each drawn from its own seed (never the seed a plain
    ``speech``, ``music`` or ``noise`` signal of a reasonable seed uses)."""
    base = _MIXED_SEEDS + 3 * seed
    return normalise(
        speech(base, seconds, rate)
        + 0.5 * music(base + 1, seconds, rate)
        + 0.3 * noise_texture(base + 2, seconds, rate)
    )


_GENERATORS: dict[str, Callable[[int, float, int], Samples]] = {
    "speech": speech,
    "music": music,
    "noise": noise_texture,
    "mixed": mixed,
}


def generate(kind: str, seed: int, seconds: float, rate: int = RATE) -> Samples:
    """One of ``KINDS`` by name."""
    fn = _GENERATORS.get(kind)
    if fn is None:
        raise ValueError(f"unknown audio kind {kind!r}; expected one of {', '.join(KINDS)}")
    return fn(seed, seconds, rate)


# --- edits ------------------------------------------------------------------------------------------------


def gain(x: Samples, db: float) -> Samples:
    """Volume change by ``db`` decibels, clipped to [-1, 1]."""
    out: Samples = np.clip(x * np.float32(10 ** (db / 20)), -1.0, 1.0).astype(np.float32)
    return out


def add_noise(x: Samples, snr_db: float, seed: int = 0) -> Samples:
    """White noise added at ``snr_db`` below the signal's mean power."""
    rng = np.random.default_rng([7, seed])
    power = float(np.mean(np.asarray(x, np.float64) ** 2))
    noise = rng.standard_normal(len(x)) * math.sqrt(power / 10 ** (snr_db / 10))
    return np.clip(x + noise, -1.0, 1.0).astype(np.float32)


def trim(x: Samples, rate: int, start: float, end: float | None = None) -> Samples:
    """Seconds ``start`` to ``end`` (None: to the end)."""
    a = _count(start, rate)
    b = len(x) if end is None else _count(end, rate)
    return np.ascontiguousarray(x[a:b])


def splice(host: Samples, segment: Samples, rate: int, at: float, fade: float = 0.02) -> Samples:
    """``host`` with ``segment`` pasted over it from ``at`` seconds (short crossfades at both ends)."""
    out = host.astype(np.float32, copy=True)
    a = _count(at, rate)
    b = min(len(out), a + len(segment))
    if a >= b:
        raise ValueError(f"splice point {at} s is past the end of the host")
    k = min(_count(fade, rate), (b - a) // 2)
    w = np.ones(b - a, np.float32)
    if k:
        ramp = np.linspace(0, 1, k, dtype=np.float32)
        w[:k], w[-k:] = ramp, ramp[::-1]
    out[a:b] = out[a:b] * (1 - w) + segment[: b - a] * w
    return out

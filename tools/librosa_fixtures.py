#!/usr/bin/env python3
"""Generate the audio parity fixtures: small clips and librosa's features of them.

Produces, under framework/crates/audio/tests/fixtures/audio/:
  *.wav / *.flac / *.ogg / *.mp3   small deterministic clips (chords, noise,
                                   clicks, gaps of digital silence, a sine
                                   sweep, a very short clip, a stereo 44.1 kHz
                                   clip, and compressed copies)
  stereo44k_soxr22050.wav          librosa.load(stereo44k.wav, sr=22050) as
                                   32-bit float (the soxr_hq reference for the
                                   resampler test)
  librosa_features.json            every feature librosa computes for each
                                   clip, per frame and as track-level sets,
                                   plus the package versions used

Run:  pip install "librosa==0.11.*" soundfile
      python3 tools/librosa_fixtures.py
Made with librosa 0.11.0, numpy 2.4, scipy 1.17, soundfile 0.14 (libsndfile
1.2.2); the exact versions used are recorded in the JSON under "versions".

Every feature is computed from the PCM that soundfile decodes from the
committed file (what librosa.load returns), through librosa's own top-level
functions with their defaults, the way a researcher would call them.
"""

import json
import os
import sys

import numpy as np
import scipy
import soundfile as sf

import librosa

OUT = os.path.join(os.path.dirname(__file__), "..", "framework", "crates", "audio", "tests", "fixtures", "audio")
SR = 22050


def fade(y, sr, ms=10):
    n = int(sr * ms / 1000)
    ramp = np.linspace(0, 1, n)
    y = y.copy()
    y[:n] *= ramp
    y[-n:] *= ramp[::-1]
    return y


def tone(freqs, dur, sr, amp=0.1, harmonics=3):
    t = np.arange(int(dur * sr)) / sr
    y = np.zeros_like(t)
    for f in freqs:
        for h in range(1, harmonics + 1):
            y += amp / h * np.sin(2 * np.pi * f * h * t)
    return y


def clips():
    rng = np.random.default_rng(37)
    out = {}
    # Triads C, Am, F, G detuned by +23 cents so tuning estimation matters.
    detune = 2 ** (0.23 / 12)
    triads = [[261.63, 329.63, 392.00], [220.00, 261.63, 329.63], [174.61, 220.00, 261.63], [196.00, 246.94, 293.66]]
    out["chords"] = (np.concatenate([fade(tone([f * detune for f in tr], 0.5, SR), SR) for tr in triads]), SR)
    out["noise"] = (np.clip(0.1 * rng.standard_normal(SR), -1, 1), SR)
    # Clicks at 100 BPM over a quiet noise bed (tempo estimation).
    times = np.arange(0.1, 4.0, 0.6)
    clicks = librosa.clicks(times=times, sr=SR, length=4 * SR)
    out["clicks"] = (0.5 * clicks + 0.001 * rng.standard_normal(4 * SR), SR)
    # A 440 Hz tone alternating with exact digital silence (zero frames).
    seg = int(0.25 * SR)
    t440 = fade(tone([440.0], 0.25, SR, amp=0.3, harmonics=1), SR)
    out["gaps"] = (np.concatenate([t440, np.zeros(seg), t440, np.zeros(seg), t440, np.zeros(seg)]), SR)
    out["sweep"] = (0.3 * librosa.chirp(fmin=50, fmax=10000, sr=SR, duration=2.0), SR)
    # 3000 samples: 6 frames, shorter than one FFT window.
    out["short"] = (fade(tone([330.0], 3000 / SR, SR, amp=0.2), SR), SR)
    # Stereo 44.1 kHz: different content per channel so the mono mix matters.
    sr44 = 44100
    left = fade(tone([261.63, 329.63], 1.0, sr44, amp=0.15), sr44)
    right = fade(tone([523.25], 1.0, sr44, amp=0.2), sr44) + 0.02 * rng.standard_normal(sr44)
    out["stereo44k"] = (np.stack([left, right], axis=1), sr44)
    return out


def feature_dict(y, sr):
    """librosa's features of mono float32 y, per frame ([dims][frames]) and scalars."""
    power = np.abs(librosa.stft(y)) ** 2
    mfcc = librosa.feature.mfcc(y=y, sr=sr, n_mfcc=13)
    chroma = librosa.feature.chroma_stft(y=y, sr=sr)
    contrast = librosa.feature.spectral_contrast(y=y, sr=sr)
    rms = librosa.feature.rms(y=y)[0]
    zcr = librosa.feature.zero_crossing_rate(y)[0]
    centroid = librosa.feature.spectral_centroid(y=y, sr=sr)[0]
    bandwidth = librosa.feature.spectral_bandwidth(y=y, sr=sr)[0]
    rolloff = librosa.feature.spectral_rolloff(y=y, sr=sr)[0]
    flatness = librosa.feature.spectral_flatness(y=y)[0]
    onset = librosa.onset.onset_strength(y=y, sr=sr)
    tonnetz = librosa.feature.tonnetz(y=y, sr=sr, chroma=chroma)
    tempo = float(librosa.feature.tempo(onset_envelope=onset, sr=sr)[0])
    tuning = float(librosa.estimate_tuning(S=power, sr=sr))
    n_frames = mfcc.shape[1]
    delta = librosa.feature.delta(mfcc) if n_frames >= 9 else None

    seed37 = np.concatenate([
        mfcc.mean(axis=1), chroma.mean(axis=1), contrast.mean(axis=1),
        [rms.mean(), zcr.mean(), centroid.mean(), bandwidth.mean(), rolloff.mean()],
    ])
    d = {
        "n_samples": int(len(y)),
        "n_frames": int(n_frames),
        "tuning": tuning,
        "tempo": tempo,
        "frames": {
            "mfcc": mfcc.tolist(),
            "chroma": chroma.tolist(),
            "contrast": contrast.tolist(),
            "rms": rms.tolist(),
            "zcr": zcr.tolist(),
            "centroid": centroid.tolist(),
            "bandwidth": bandwidth.tolist(),
            "rolloff": rolloff.tolist(),
            "flatness": flatness.tolist(),
            "onset_strength": onset.tolist(),
            "tonnetz": tonnetz.tolist(),
        },
        "seed37": seed37.tolist(),
    }
    if delta is not None:
        d["frames"]["mfcc_delta"] = delta.tolist()
        stds = np.concatenate([
            mfcc.std(axis=1), chroma.std(axis=1), contrast.std(axis=1),
            [rms.std(), zcr.std(), centroid.std(), bandwidth.std(), rolloff.std()],
        ])
        extra = np.concatenate([
            delta.mean(axis=1), delta.std(axis=1),
            [flatness.mean(), flatness.std(), onset.mean(), onset.std()],
            tonnetz.mean(axis=1), tonnetz.std(axis=1), [tempo],
        ])
        d["extended"] = np.concatenate([seed37, stds, extra]).tolist()
    return d


def rounded(x):
    """Floats to 7 significant digits (float32 carries about 7)."""
    if isinstance(x, float):
        return float(f"{x:.7g}")
    if isinstance(x, list):
        return [rounded(v) for v in x]
    if isinstance(x, dict):
        return {k: rounded(v) for k, v in x.items()}
    return x


def main():
    os.makedirs(OUT, exist_ok=True)
    result = {
        "generator": "tools/librosa_fixtures.py",
        "versions": {
            "librosa": librosa.__version__,
            "numpy": np.__version__,
            "scipy": scipy.__version__,
            "soundfile": sf.__version__,
            "libsndfile": sf.__libsndfile_version__,
            "python": sys.version.split()[0],
        },
        "clips": {},
    }
    for name, (y, sr) in clips().items():
        path = os.path.join(OUT, f"{name}.wav")
        sf.write(path, y, sr, subtype="PCM_16")
        # What librosa.load returns at the file's own rate (mono mix, float32).
        pcm, native = librosa.load(path, sr=None)
        entry = {"file": f"{name}.wav", "sample_rate": int(native), "channels": int(np.atleast_2d(y.T).shape[0])}
        entry["features"] = feature_dict(pcm, native)
        entry["pcm_sum"] = float(np.sum(pcm, dtype=np.float64))
        entry["pcm_sum_sq"] = float(np.sum(pcm.astype(np.float64) ** 2))
        entry["pcm_head"] = pcm[:16].tolist()
        if native != SR:
            res, _ = librosa.load(path, sr=SR)  # soxr_hq, librosa's default
            sf.write(os.path.join(OUT, f"{name}_soxr{SR}.wav"), res, SR, subtype="FLOAT")
            entry["resampled"] = {"sample_rate": SR, "n_samples": int(len(res)), "features": feature_dict(res, SR)}
        if name == "noise":
            # The log-mel patch (librosa default n_mels=128, ref=1.0, top_db=80).
            entry["log_mel"] = librosa.power_to_db(librosa.feature.melspectrogram(y=pcm, sr=native)).tolist()
        result["clips"][name] = entry

    # Compressed copies: FLAC is lossless (same PCM as the WAV); Vorbis and MP3
    # are lossy, so their features are librosa's of libsndfile's decode.
    y, sr = clips()["gaps"]
    sf.write(os.path.join(OUT, "gaps.flac"), y, sr, subtype="PCM_16")
    y, sr = clips()["chords"]
    sf.write(os.path.join(OUT, "chords.ogg"), y, sr, format="OGG", subtype="VORBIS")
    sf.write(os.path.join(OUT, "chords.mp3"), y, sr, format="MP3", subtype="MPEG_LAYER_III")
    for fname in ["gaps.flac", "chords.ogg", "chords.mp3"]:
        pcm, native = librosa.load(os.path.join(OUT, fname), sr=None)
        result["clips"][fname.replace(".", "_")] = {
            "file": fname,
            "sample_rate": int(native),
            "channels": 1,
            "features": feature_dict(pcm, native),
            "pcm_sum": float(np.sum(pcm, dtype=np.float64)),
            "pcm_sum_sq": float(np.sum(pcm.astype(np.float64) ** 2)),
            "pcm_head": pcm[:16].tolist(),
        }

    with open(os.path.join(OUT, "librosa_features.json"), "w") as f:
        json.dump(rounded(result), f, separators=(",", ":"))
    total = sum(os.path.getsize(os.path.join(OUT, p)) for p in os.listdir(OUT))
    print(f"wrote {len(os.listdir(OUT))} files, {total / 1024:.0f} KiB, to {os.path.normpath(OUT)}")


if __name__ == "__main__":
    main()

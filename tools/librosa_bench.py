#!/usr/bin/env python3
"""Time librosa computing the seed37 features of a 30 s clip on one thread.

Prints the median milliseconds per clip (loading excluded, after warm-up)
for the 37 track-level means of the seed study: 13 MFCC, 12 chroma_stft,
7 spectral_contrast, RMS, ZCR, centroid, bandwidth, roll-off, each computed
the way the seed study calls librosa (every feature from y, so each one runs
its own STFT).

Run:  pip install "librosa==0.11.*" soundfile
      cargo bench -p mer-audio --bench audio        # writes target/bench/clip30.wav
      python3 tools/librosa_bench.py [CLIP.wav] [--runs N]
Measured with librosa 0.11.0, numpy 2.4, scipy 1.17, numba 0.68.

One thread: OMP/MKL/OPENBLAS/NUMBA thread counts are set to 1 before numpy
is imported.
"""

import os

for var in ["OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS", "NUMBA_NUM_THREADS",
            "VECLIB_MAXIMUM_THREADS", "NUMEXPR_NUM_THREADS"]:
    os.environ[var] = "1"

import argparse  # noqa: E402
import statistics  # noqa: E402
import time  # noqa: E402

import numpy as np  # noqa: E402

import librosa  # noqa: E402


def seed37(y, sr):
    mfcc = librosa.feature.mfcc(y=y, sr=sr, n_mfcc=13)
    chroma = librosa.feature.chroma_stft(y=y, sr=sr)
    contrast = librosa.feature.spectral_contrast(y=y, sr=sr)
    rms = librosa.feature.rms(y=y)
    zcr = librosa.feature.zero_crossing_rate(y)
    centroid = librosa.feature.spectral_centroid(y=y, sr=sr)
    bandwidth = librosa.feature.spectral_bandwidth(y=y, sr=sr)
    rolloff = librosa.feature.spectral_rolloff(y=y, sr=sr)
    return np.concatenate([
        mfcc.mean(axis=1), chroma.mean(axis=1), contrast.mean(axis=1),
        [rms.mean(), zcr.mean(), centroid.mean(), bandwidth.mean(), rolloff.mean()],
    ])


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    ap = argparse.ArgumentParser()
    ap.add_argument("clip", nargs="?", default=os.path.join(here, "..", "target", "bench", "clip30.wav"))
    ap.add_argument("--runs", type=int, default=20)
    args = ap.parse_args()
    y, sr = librosa.load(args.clip, sr=22050)
    for _ in range(3):  # warm-up: numba compilation, filterbank caches
        seed37(y, sr)
    times = []
    cpu0 = time.thread_time()
    for _ in range(args.runs):
        t0 = time.perf_counter()
        seed37(y, sr)
        times.append(time.perf_counter() - t0)
    cpu = (time.thread_time() - cpu0) / args.runs * 1e3
    med = statistics.median(times) * 1e3
    print(f"clip: {os.path.normpath(args.clip)} ({len(y) / sr:.1f} s at {sr} Hz)")
    print(f"librosa {librosa.__version__} seed37 (1 thread, {args.runs} runs): "
          f"median wall {med:.1f} ms/clip, mean CPU {cpu:.1f} ms/clip")


if __name__ == "__main__":
    main()

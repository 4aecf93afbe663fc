#!/usr/bin/env bash
# `just bench`: mer's benchmarks, each next to its Python reference when that
# reference is installed (librosa for audio features, PyTorch for training).
# Figures are printed; nothing is asserted (speed is never a test).
set -uo pipefail
cd "$(dirname "$0")/.."

echo "== audio features: seed37 on a 30 s 22.05 kHz clip, one thread"
cargo bench -p mer-audio --bench audio
if python3 -c "import librosa" 2>/dev/null; then
  echo "== librosa on the same clip (one thread)"
  python3 tools/librosa_bench.py target/bench/clip30.wav
else
  echo "(librosa not installed: pip install 'librosa==0.11.*' soundfile to compare)"
fi

echo "== audio features: 1000 clips, all cores, peak memory"
cargo bench -p mer-audio --bench audio -- --many 1000

echo "== neural"
cargo bench -p mer-model --bench neural
echo "== report"
cargo bench -p mer-report --bench report
if [ -f tools/torch_bench.py ]; then
  if python3 -c "import torch" 2>/dev/null; then
    echo "== PyTorch CPU reference for the neural benchmark"
    python3 tools/torch_bench.py
  else
    echo "(PyTorch not installed: pip install torch --index-url https://download.pytorch.org/whl/cpu to compare)"
  fi
fi

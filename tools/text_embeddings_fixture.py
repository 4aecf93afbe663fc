#!/usr/bin/env python3
"""Writes the embeddings-import fixtures under
framework/crates/text/tests/fixtures/text/embeddings/ for framework/crates/text/tests/embeddings.rs.

Produces, for 6 tracks (t01..t06) x 4 dims of seeded random values:
* emb_f32.npy + emb_f32.ids.txt, emb.safetensors (ids in metadata), emb.csv:
  written by tools/embed_lyrics.py's own `write_embeddings`, so the test also
  checks that the producer script writes what mer reads;
* emb_f64_fortran.npy: the same values as float64 in Fortran order;
* emb_f16_be.npy: big-endian float16 (values rounded by NumPy);
* emb_bf16.safetensors: bfloat16 tensor named "vectors" (the only tensor),
  ids in a separate file (emb.ids.txt);
* bad files: emb_bad_dim.csv (row t03 has 3 values), emb_nan.npy (NaN in row 2),
  emb_3d.npy, emb_int.npy, emb_truncated.npy, ids_short.txt (5 ids),
  ids_dup.txt (t02 twice);
* dataset_ids.txt: t02..t08, i.e. t07/t08 missing from the files, t01 extra;
* expected.json: the float32 values, the float16 and bfloat16 values, and the
  versions used.

Run from the repository root:  python tools/text_embeddings_fixture.py
Versions used for the committed fixture: see "versions" in expected.json
(numpy 2.4.6, safetensors 0.8.0, Python 3.11.7).
"""

import json
import platform
import sys
from pathlib import Path

import numpy as np
import safetensors
from safetensors.numpy import save_file

sys.path.insert(0, str(Path(__file__).resolve().parent))
from embed_lyrics import write_embeddings  # noqa: E402

OUT = Path(__file__).resolve().parent.parent / "framework/crates/text/tests/fixtures/text/embeddings"


def bf16_round(x: np.ndarray) -> np.ndarray:
    """float32 -> bfloat16 bits (round to nearest even) and back."""
    bits = x.astype(np.float32).view(np.uint32).astype(np.uint64)
    rounded = ((bits + 0x7FFF + ((bits >> 16) & 1)) >> 16).astype(np.uint16)
    return rounded, (rounded.astype(np.uint32) << 16).view(np.float32)


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(20261121)
    ids = [f"t{i:02d}" for i in range(1, 7)]
    m = rng.normal(size=(6, 4)).astype(np.float32)

    write_embeddings(OUT / "emb_f32.npy", ids, m)
    write_embeddings(OUT / "emb.safetensors", ids, m, {"model": "fixture"})
    write_embeddings(OUT / "emb.csv", ids, m)
    (OUT / "emb.ids.txt").write_text("".join(f"{i}\n" for i in ids), encoding="utf-8")

    np.save(OUT / "emb_f64_fortran.npy", np.asfortranarray(m.astype(np.float64)))
    f16 = m.astype(">f2")
    np.save(OUT / "emb_f16_be.npy", f16)
    bf16_bits, bf16_vals = bf16_round(m)
    # safetensors.numpy has no bfloat16: write raw little-endian bits by hand.
    header = {"vectors": {"dtype": "BF16", "shape": [6, 4], "data_offsets": [0, m.size * 2]}}
    hb = json.dumps(header, separators=(",", ":")).encode()
    hb += b" " * ((8 - len(hb) % 8) % 8)
    (OUT / "emb_bf16.safetensors").write_bytes(
        len(hb).to_bytes(8, "little") + hb + bf16_bits.astype("<u2").tobytes())

    # Bad inputs.
    lines = (OUT / "emb.csv").read_text(encoding="utf-8").splitlines()
    lines[3] = ",".join(lines[3].split(",")[:-1])  # row t03 loses its last value
    (OUT / "emb_bad_dim.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    nan = m.copy()
    nan[2, 1] = np.nan
    np.save(OUT / "emb_nan.npy", nan)
    np.save(OUT / "emb_3d.npy", m.reshape(6, 2, 2))
    np.save(OUT / "emb_int.npy", np.arange(24, dtype=np.int64).reshape(6, 4))
    (OUT / "emb_truncated.npy").write_bytes((OUT / "emb_f32.npy").read_bytes()[:-5])
    (OUT / "ids_short.txt").write_text("".join(f"{i}\n" for i in ids[:5]), encoding="utf-8")
    (OUT / "ids_dup.txt").write_text("t01\nt02\nt03\nt02\nt05\nt06\n", encoding="utf-8")
    (OUT / "dataset_ids.txt").write_text(
        "".join(f"t{i:02d}\n" for i in range(2, 9)), encoding="utf-8")

    expected = {
        "generator": "tools/text_embeddings_fixture.py",
        "versions": {"python": platform.python_version(), "numpy": np.__version__,
                     "safetensors": safetensors.__version__},
        "ids": ids,
        "dim": 4,
        "values_f32": [[float(x) for x in row] for row in m],
        "values_f16": [[float(x) for x in row] for row in f16.astype(np.float32)],
        "values_bf16": [[float(x) for x in row] for row in bf16_vals],
    }
    (OUT / "expected.json").write_text(json.dumps(expected, indent=1) + "\n", encoding="utf-8")
    print(f"wrote {OUT}")


if __name__ == "__main__":
    main()

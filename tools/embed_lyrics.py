#!/usr/bin/env python3
"""Compute per-track lyrics embeddings with Hugging Face transformers, in a
file that mer imports (`[text] representation = "embeddings"`).

mer never runs this (it needs the model from the Hugging Face hub or a local
copy, and mer does no network access at run time): run it once where the
model is available, then point the spec at the output.

    pip install torch transformers numpy safetensors

    # a directory of <track id>.txt / .lrc files
    python tools/embed_lyrics.py --lyrics-dir data/lyrics --out lyrics_emb.safetensors

    # or a CSV manifest with columns id,path (paths relative to the CSV)
    python tools/embed_lyrics.py --manifest tracks.csv --out lyrics_emb.npy \
        --model bert-base-uncased --max-length 512

Then in the spec:

    [text]
    representation = "embeddings"
    missing_lyrics = "zero"            # or "drop"
    [text.embeddings]
    path = "lyrics_emb.safetensors"    # ids in the file's metadata
    # path = "lyrics_emb.npy"; ids = "lyrics_emb.ids.txt"
    # path = "lyrics_emb.csv"          # id,v0,v1,...

What it computes (the usual "sentence embedding by mean pooling", as in
sentence-transformers' `Pooling(pooling_mode_mean_tokens=True)`):

1. light cleaning: LRC time tags (`[00:12.34]`, `<00:12.34>`), LRC ID tag
   lines (`[ti:...]`) and bracketed section markers (`[Chorus]`) removed,
   the bracket and LRC part of mer's `strip_markup`; tracks left without text,
   or whose file is not UTF-8/UTF-16 text, are skipped (mer
   then applies the `missing_lyrics` policy to them);
2. the model's tokenizer splits long lyrics into windows of at most
   `--max-length` tokens (special tokens included) overlapping by
   `--stride` tokens;
3. for each window, the last hidden state is averaged over its real tokens
   (attention mask = 1, [CLS]/[SEP] included, padding excluded);
4. the windows of a track are averaged, weighted by their token counts;
5. optionally (`--normalize`) each vector is scaled to unit L2 norm, as
   `all-MiniLM-L6-v2`'s own pipeline does.

Output by extension (see mer's `text::embeddings` docs):
* `.safetensors`: tensor `embeddings` float32 [n_tracks, dim], metadata
  `ids` (JSON list of track ids), `model`, `pooling`;
* `.npy`: float32 [n_tracks, dim], plus `<stem>.ids.txt`, one id per line;
* `.csv`: `id,v0,...,v{dim-1}` with a header line.
"""

from __future__ import annotations

import argparse
import csv
import json
import re
import sys
from pathlib import Path

import numpy as np

DEFAULT_MODEL = "sentence-transformers/all-MiniLM-L6-v2"

_TIME_TAG = re.compile(r"\[\d{1,3}:\d{1,2}(?:[.:]\d{1,3})?\]|<\d{1,3}:\d{1,2}(?:[.:]\d{1,3})?>")
_ID_TAG_LINE = re.compile(r"^\s*\[[A-Za-z#]{1,16}\s*:[^\]]*\]\s*$")
_BRACKETED = re.compile(r"\[[^\[\]]*\]|\{[^{}]*\}")


def clean_lyrics(text: str) -> str:
    """Drop LRC tags and bracketed section markers; keep the sung lines."""
    lines = []
    for line in text.splitlines():
        line = _TIME_TAG.sub(" ", line)
        if _ID_TAG_LINE.match(line):
            continue
        line = _BRACKETED.sub(" ", line).strip()
        if line:
            lines.append(line)
    return "\n".join(lines)


def read_tracks(lyrics_dir: Path | None, manifest: Path | None) -> list[tuple[str, str]]:
    """(track id, raw lyrics) pairs, sorted by id."""
    pairs: list[tuple[str, Path]] = []
    if lyrics_dir is not None:
        for p in sorted(lyrics_dir.iterdir()):
            if p.suffix.lower() in {".txt", ".lrc"} and p.is_file():
                pairs.append((p.stem, p))
    if manifest is not None:
        with manifest.open(newline="", encoding="utf-8") as f:
            for row in csv.DictReader(f):
                pairs.append((row["id"], manifest.parent / row["path"]))
    seen = set()
    out = []
    for track_id, path in sorted(pairs):
        if track_id in seen:
            sys.exit(f"track id {track_id!r} appears twice")
        seen.add(track_id)
        text = decode_lyrics(path)
        if text is not None:
            out.append((track_id, text))
    return out


def decode_lyrics(path: Path) -> str | None:
    """UTF-8 (BOM dropped) or UTF-16 with a BOM, as mer's
    decode_lyrics_bytes; None (with a message) for anything else."""
    data = path.read_bytes()
    try:
        if data.startswith((b"\xff\xfe", b"\xfe\xff")):
            return data.decode("utf-16")
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        print(f"skipping {path}: not valid text at byte offset {e.start} ({e.reason})",
              file=sys.stderr)
        return None


def embed(texts: list[str], model_name: str, max_length: int, stride: int,
          batch_size: int, device: str) -> np.ndarray:
    """Mean-pooled last hidden states, one float32 row per text."""
    import torch
    from transformers import AutoModel, AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(model_name)
    model = AutoModel.from_pretrained(model_name).to(device).eval()
    rows = []
    with torch.no_grad():
        for start in range(0, len(texts), batch_size):
            batch = texts[start:start + batch_size]
            enc = tokenizer(batch, truncation=True, max_length=max_length, stride=stride,
                            return_overflowing_tokens=True, padding=True,
                            return_tensors="pt")
            # window k belongs to text owner[k] of this batch
            owner = enc.pop("overflow_to_sample_mapping")
            enc = {k: v.to(device) for k, v in enc.items()}
            hidden = model(**enc).last_hidden_state             # [windows, tokens, dim]
            mask = enc["attention_mask"].unsqueeze(-1).to(hidden.dtype)  # [windows, tokens, 1]
            summed = (hidden * mask).sum(dim=1)                  # [windows, dim]
            counts = mask.sum(dim=1)                             # [windows, 1]
            for i in range(len(batch)):
                sel = (owner == i).nonzero(as_tuple=True)[0].to(device)
                # token-count-weighted mean over windows == mean over all
                # real tokens of the text
                vec = summed[sel].sum(dim=0) / counts[sel].sum(dim=0).clamp(min=1.0)
                rows.append(vec.float().cpu().numpy())
    return np.stack(rows).astype(np.float32)


def write_embeddings(out: Path, ids: list[str], matrix: np.ndarray,
                     metadata: dict[str, str] | None = None) -> list[Path]:
    """Write `matrix` ([len(ids), dim]) in the format mer reads for `out`'s
    extension; returns the files written."""
    matrix = np.asarray(matrix, dtype=np.float32)
    if matrix.ndim != 2 or matrix.shape[0] != len(ids):
        raise ValueError(f"matrix shape {matrix.shape} does not match {len(ids)} ids")
    if len(set(ids)) != len(ids):
        raise ValueError("track ids must be unique")
    suffix = out.suffix.lower()
    if suffix == ".safetensors":
        from safetensors.numpy import save_file
        meta = dict(metadata or {})
        meta["ids"] = json.dumps(list(ids))
        save_file({"embeddings": np.ascontiguousarray(matrix)}, str(out), metadata=meta)
        return [out]
    if suffix == ".npy":
        np.save(out, matrix)
        ids_path = out.with_suffix(".ids.txt")
        ids_path.write_text("".join(f"{i}\n" for i in ids), encoding="utf-8")
        return [out, ids_path]
    if suffix == ".csv":
        with out.open("w", newline="", encoding="utf-8") as f:
            w = csv.writer(f, lineterminator="\n")
            w.writerow(["id"] + [f"v{k}" for k in range(matrix.shape[1])])
            for track_id, row in zip(ids, matrix):
                # repr of the float64 value of each float32 round-trips exactly
                w.writerow([track_id] + [repr(float(x)) for x in row])
        return [out]
    raise ValueError(f"unknown output extension {out.suffix!r}: use .safetensors, .npy or .csv")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    src = ap.add_mutually_exclusive_group(required=True)
    src.add_argument("--lyrics-dir", type=Path, help="folder of <track id>.txt/.lrc files")
    src.add_argument("--manifest", type=Path, help="CSV with columns id,path")
    ap.add_argument("--out", type=Path, required=True, help=".safetensors, .npy or .csv")
    ap.add_argument("--model", default=DEFAULT_MODEL, help=f"hub name or local path (default {DEFAULT_MODEL})")
    ap.add_argument("--max-length", type=int, default=512, help="tokens per window incl. special tokens")
    ap.add_argument("--stride", type=int, default=64, help="overlap between windows, in tokens")
    ap.add_argument("--batch-size", type=int, default=16)
    ap.add_argument("--device", default="cpu", help="cpu, cuda, cuda:1, mps")
    ap.add_argument("--normalize", action="store_true", help="scale each vector to unit L2 norm")
    args = ap.parse_args()

    tracks = read_tracks(args.lyrics_dir, args.manifest)
    ids, texts = [], []
    for track_id, raw in tracks:
        text = clean_lyrics(raw)
        if not any(ch.isalnum() for ch in text):
            print(f"skipping {track_id}: no lyrics after cleaning", file=sys.stderr)
            continue
        ids.append(track_id)
        texts.append(text)
    if not texts:
        sys.exit("no track has lyrics")
    matrix = embed(texts, args.model, args.max_length, args.stride, args.batch_size, args.device)
    if args.normalize:
        matrix /= np.maximum(np.linalg.norm(matrix, axis=1, keepdims=True), 1e-12)
    written = write_embeddings(args.out, ids, matrix,
                               {"model": args.model, "pooling": "mean",
                                "normalized": str(bool(args.normalize)).lower()})
    print(f"{len(ids)} tracks x {matrix.shape[1]} dims -> {', '.join(map(str, written))}")


if __name__ == "__main__":
    main()

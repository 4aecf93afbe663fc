#!/usr/bin/env python3
"""Snapshot everything mer records and renders, to prove a refactor changed
nothing (or to show exactly what a deliberate change did).

    python3 tools/outputs_snapshot.py run MER_BINARY OUT [--only quickstart,quadrants]
    python3 tools/outputs_snapshot.py compare OUT_BEFORE OUT_AFTER

`run` copies `experiments/` into OUT/work, runs `mer sweep SPEC` for every
shipped experiment (quick start and the seed studies) into a fresh
`results.db` and cache there, then `mer report` for each experiment, and
writes:

  OUT/dump/<table>.tsv   the store in a canonical form: rows keyed by trial
                         key (trial ids depend on claim order, so they are
                         left out), volatile columns (timestamps, durations,
                         host, worker, git commit, rustc) dropped;
  OUT/reports/           the rendered reports, byte for byte;
  OUT/times.tsv          wall time of each sweep (information only).

`compare` diffs two snapshots: every dumped table and every report file must
be byte-identical, except report lines that state when/where they were
generated (listed in VOLATILE_REPORT_LINE). It prints each difference and
exits 1 if there is any.
"""
import csv
import filecmp
import os
import re
import shutil
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

EXPERIMENTS = ["quickstart", "quadrants", "delbouys2018", "emotify", "binary_moods", "genre_lyrics"]

# Lines of a report that legitimately differ between two runs of the same
# code: the generation stamp (time, mer commit).
VOLATILE_REPORT_LINE = re.compile(r"(generated|Generated|commit|rustc)")

# Per table: the SELECT giving its canonical content. Trials are named by
# their key plus the reason and the origin's key, never by id.
TKEY = "(SELECT t.key || '/' || t.reason FROM trials t WHERE t.id = {col})"
QUERIES = {
    "experiments": "SELECT name, description FROM experiments ORDER BY name",
    "datasets": "SELECT fingerprint, name, kind, n_tracks, config_json, summary_json FROM datasets ORDER BY fingerprint",
    "sweeps": "SELECT e.name, s.spec_path, s.spec_hash, s.planned, s.status FROM sweeps s JOIN experiments e ON e.id = s.experiment_id ORDER BY e.name, s.spec_path",
    "splits": "SELECT hash, manifest_json FROM splits ORDER BY hash",
    "trials": "SELECT t.key, t.reason, e.name, t.modality, t.architecture, t.labels, t.task, t.seed, "
    "t.params_json, t.config_json, t.status, t.attempts, t.error, t.classes_json, t.split_hash, d.fingerprint "
    "FROM trials t JOIN experiments e ON e.id = t.experiment_id JOIN datasets d ON d.id = t.dataset_id "
    "ORDER BY t.key, t.reason",
    "provenance": f"SELECT {TKEY.format(col='p.trial_id')} AS k, p.spec_path, p.spec_hash, p.config_json, p.seeds_json, "
    "p.dataset_fingerprint, p.extractors_json, p.crate_version, p.threads, p.backend FROM provenance p ORDER BY k",
    "trial_metrics": f"SELECT {TKEY.format(col='m.trial_id')} AS k, m.split, m.fold, m.epoch, m.name, "
    "quote(m.value), m.nonfinite FROM trial_metrics m ORDER BY k, m.split, m.fold, m.epoch, m.name",
    "predictions": f"SELECT {TKEY.format(col='p.trial_id')} AS k, p.fold, p.track_id, p.target, quote(p.y_true), "
    "quote(p.y_pred), p.pred_nonfinite, p.scores_json, p.extra_json FROM predictions p "
    "ORDER BY k, p.fold, p.track_id, p.target",
    "skipped_tracks": f"SELECT {TKEY.format(col='s.trial_id')} AS k, s.track_id, s.stage, s.reason "
    "FROM skipped_tracks s ORDER BY k, s.track_id, s.stage",
    "artifacts": f"SELECT {TKEY.format(col='a.trial_id')} AS k, a.fold, a.kind, a.sha256, a.bytes "
    "FROM artifacts a ORDER BY k, a.fold, a.kind",
}


def run(mer: str, out: Path, only: list[str]) -> None:
    repo = Path(__file__).resolve().parent.parent
    mer = str(Path(mer).resolve())
    if out.exists():
        shutil.rmtree(out)
    work = out / "work"
    work.mkdir(parents=True)
    shutil.copytree(repo / "experiments", work / "experiments")
    env = dict(os.environ, MER_DB=str(work / "results.db"), MER_CACHE=str(work / "cache"))
    times = []
    for name in only:
        spec = f"experiments/{name}.toml"
        t0 = time.time()
        r = subprocess.run([mer, "sweep", spec], cwd=work, env=env)
        times.append((name, f"{time.time() - t0:.1f}", r.returncode))
        print(f"sweep {name}: exit {r.returncode}, {times[-1][1]} s", flush=True)
        r2 = subprocess.run([mer, "report", name], cwd=work, env=env, stdout=subprocess.DEVNULL)
        print(f"report {name}: exit {r2.returncode}", flush=True)
    with open(out / "times.tsv", "w") as f:
        for row in times:
            f.write("\t".join(map(str, row)) + "\n")
    dump = out / "dump"
    dump.mkdir()
    db = sqlite3.connect(work / "results.db")
    for table, q in QUERIES.items():
        with open(dump / f"{table}.tsv", "w", newline="") as f:
            w = csv.writer(f, delimiter="\t", lineterminator="\n")
            for row in db.execute(q):
                w.writerow(["NULL" if v is None else v for v in row])
    shutil.copytree(work / "reports", out / "reports")


def compare(a: Path, b: Path) -> int:
    differences = 0
    for sub in ["dump", "reports"]:
        files_a = {p.relative_to(a / sub) for p in (a / sub).rglob("*") if p.is_file()}
        files_b = {p.relative_to(b / sub) for p in (b / sub).rglob("*") if p.is_file()}
        for rel in sorted(files_a ^ files_b):
            print(f"only in {'before' if rel in files_a else 'after'}: {sub}/{rel}")
            differences += 1
        for rel in sorted(files_a & files_b):
            pa, pb = a / sub / rel, b / sub / rel
            if filecmp.cmp(pa, pb, shallow=False):
                continue
            try:
                la = pa.read_text().splitlines()
                lb = pb.read_text().splitlines()
            except UnicodeDecodeError:
                print(f"binary files differ: {sub}/{rel}")
                differences += 1
                continue
            real = [
                (i, x, y)
                for i, (x, y) in enumerate(zip(la, lb))
                if x != y and not (VOLATILE_REPORT_LINE.search(x) and VOLATILE_REPORT_LINE.search(y))
            ]
            if len(la) != len(lb) or real:
                differences += 1
                print(f"differs: {sub}/{rel} ({len(la)} vs {len(lb)} lines)")
                for i, x, y in real[:3]:
                    print(f"  line {i + 1}:\n    before: {x[:200]}\n    after:  {y[:200]}")
    total = sum(1 for _ in (a / "reports").rglob("*")) + len(QUERIES)
    print(f"{differences} difference(s) over {total} files")
    return 1 if differences else 0


def main() -> int:
    if len(sys.argv) >= 4 and sys.argv[1] == "run":
        only = EXPERIMENTS
        if "--only" in sys.argv:
            only = sys.argv[sys.argv.index("--only") + 1].split(",")
        run(sys.argv[2], Path(sys.argv[3]), only)
        return 0
    if len(sys.argv) == 4 and sys.argv[1] == "compare":
        return compare(Path(sys.argv[2]), Path(sys.argv[3]))
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main())

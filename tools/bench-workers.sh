#!/usr/bin/env bash
# Worker throughput: the quickstart sweep (33 trials) queued with
# `mer sweep --enqueue`, then run by 1, 2 and 4 `mer worker` processes
# (--jobs 1 each), on SQLite and on PostgreSQL. Prints the wall time of each
# run and checks that every trial completed exactly once. The feature cache
# is warmed first, so the figures are claims + training + recording.
#
#   cargo build --release
#   eval "$(tools/pg-test-server start /tmp/mer-bench-pg)"
#   tools/bench-workers.sh target/release/mer "$MER_TEST_POSTGRES_URL"
set -euo pipefail
mer=$(realpath "${1:?usage: $0 MER_BINARY POSTGRES_ADMIN_URL}")
admin=${2:?usage: $0 MER_BINARY POSTGRES_ADMIN_URL}
spec=$(realpath experiments/quickstart.toml)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export MER_CACHE="$work/cache" MER_ARTIFACTS="$work/artifacts"
cd "$work"
"$mer" --quiet --db warm.db sweep "$spec" >/dev/null   # warms the cache

for backend in sqlite postgres; do
  for n in 1 2 4; do
    if [ "$backend" = sqlite ]; then
      db="$work/bench-$n.db"
    else
      name="mer_bench_$$_$n"
      psql "$admin" -qc "CREATE DATABASE $name"
      db="${admin%/*}/$name"
    fi
    "$mer" --quiet --db "$db" sweep "$spec" --enqueue >/dev/null
    start=$(date +%s.%N)
    for _ in $(seq "$n"); do "$mer" --quiet --db "$db" worker --jobs 1 >/dev/null & done
    wait
    end=$(date +%s.%N)
    left=$("$mer" --db "$db" status quickstart | grep -c "nothing left to run" || true)
    printf '%-8s %d worker(s): %6.1f s  (%s)\n' "$backend" "$n" "$(echo "$end - $start" | bc)" \
      "$([ "$left" = 1 ] && echo 'all trials completed' || echo 'NOT all completed')"
  done
done

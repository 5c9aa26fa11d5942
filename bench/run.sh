#!/usr/bin/env bash
# Benchmark of `baocao run` on a synthetic province (not a test: run it by hand).
#
#   bench/run.sh 200 10000        # sizes in communes (each sends one filled xlsx form)
#
# For each size: generates a seeded synthetic config root and inbox with
# `baocao synth bench`, then times `baocao run` on it (wall time and peak memory from
# /usr/bin/time when available). Generation is not timed.
set -euo pipefail
cd "$(dirname "$0")/.."
sizes=("${@:-200 10000}")
cargo build --release --quiet
bin="${CARGO_TARGET_DIR:-target}/release/baocao"
work="${BENCH_DIR:-$(mktemp -d)}"
echo "Thư mục đo: $work"
for n in ${sizes[@]}; do
  dir="$work/$n"
  if [ ! -d "$dir/inbox" ]; then
    "$bin" --root samples synth bench --regime ktxh --units "$n" --period 2026-10 --out "$dir" >/dev/null
  fi
  files=$(find "$dir/inbox/2026-10" -name '*.xlsx' | wc -l)
  echo "== $n xã ($files tệp xlsx)"
  args=(--root "$dir/root" run --regime ktxh --period 2026-10 --inbox "$dir/inbox" --out "$dir/out" --as-of 2026-10-15 -q)
  "$bin" "${args[@]}" >/dev/null || true   # warm the page cache
  if [ -x /usr/bin/time ]; then
    /usr/bin/time -f "   thời gian %e s, bộ nhớ đỉnh %M KiB, CPU %P" "$bin" "${args[@]}" >/dev/null || true
  else
    start=$(date +%s.%N); "$bin" "${args[@]}" >/dev/null || true; end=$(date +%s.%N)
    echo "   thời gian $(echo "$end - $start" | bc) s"
  fi
done

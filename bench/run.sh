#!/usr/bin/env bash
# Benchmark of `baocao run` on a synthetic province (not a test: run it by hand).
#
#   bench/run.sh                            # the standing set: ktxh 200 and 10000, tthc 10000,
#                                           # ktxh 10000 with a 22-month history store
#   bench/run.sh 200 10000                  # sizes in communes (each sends one filled xlsx form)
#   BENCH_RUNS=5 bench/run.sh 2500 5000 10000 20000
#   BENCH_REGIME=tthc bench/run.sh 200 10000  # a matrix-form regime
#   BAOCAO_BIN=/path/to/old/baocao BENCH_DIR=/tmp/bench bench/run.sh 10000  # another build, same data
#   BENCH_HISTORY=22 bench/run.sh 10000      # a history store of 22 earlier periods first
#
# The floor is the shared one (`BENCH_FLOOR`, by default `../shared/bench-floor` beside the
# repository): every sheet of every .xlsx inflated (zlib-rs) and its XML scanned, on all cores,
# parsing nothing; no reader of the same files can be faster. It is built once into
# `target/bench-floor`.
#
# With a history, the case is timed twice: as a rerun of the period (the results rebuilt from
# past periods, kept beside the store in `history/.bo-nho-dem`, are used: the daily
# `run --due` reruns a period whenever a file arrives) and as the period's first run (that
# folder removed before each run, untimed): column "đệm" says "giữ" or "xóa".
#
# For each case: generates a seeded synthetic config root and inbox with `baocao synth bench`
# (not timed), warms the page cache, then runs `baocao run` (history store on) and the floor
# BENCH_RUNS times each, one after the other, and prints one table: median wall time, peak
# memory and CPU of baocao, the floor's median wall time, the ratio, the history store's size,
# and the share of the machine's CPU time a hypervisor took away meanwhile (steal); then the
# stage times of baocao's median run (BAOCAO_TIMING=1, cumulative seconds, and the peak memory
# so far). With a history of N, each case's store first receives the N earlier periods (months,
# or quarters for tthc), each generated with its own data and recorded by a `run` (not timed),
# in a folder of its own (`<regime>-<size>-h<N>`).
set -euo pipefail
cd "$(dirname "$0")/.."
# The cases, "regime size history" each.
cases=()
if [ $# -eq 0 ] && [ -z "${BENCH_REGIME:-}${BENCH_HISTORY:-}" ]; then
  cases=("ktxh 200 0" "ktxh 10000 0" "tthc 10000 0" "ktxh 10000 22 giữ" "ktxh 10000 22 xóa")
else
  for n in "${@:-200 10000}"; do
    for m in $n; do
      if [ "${BENCH_HISTORY:-0}" -gt 0 ]; then
        cases+=("${BENCH_REGIME:-ktxh} $m $BENCH_HISTORY giữ" "${BENCH_REGIME:-ktxh} $m $BENCH_HISTORY xóa")
      else
        cases+=("${BENCH_REGIME:-ktxh} $m 0")
      fi
    done
  done
fi
runs="${BENCH_RUNS:-3}"
floor_src="${BENCH_FLOOR:-../shared/bench-floor}"
if [ ! -f "$floor_src/Cargo.toml" ]; then
  echo "Không thấy chương trình sàn ở $floor_src: đặt BENCH_FLOOR=<thư mục bench-floor>" >&2
  exit 2
fi
target_dir="${CARGO_TARGET_DIR:-target}"
cargo build --release --quiet --bin baocao
cargo build --release --quiet --manifest-path "$floor_src/Cargo.toml" --target-dir "$target_dir/bench-floor"
bin="${BAOCAO_BIN:-$target_dir/release/baocao}"
floor="$target_dir/bench-floor/release/floor"
work="${BENCH_DIR:-$(mktemp -d)}"
echo "Thư mục đo: $work ($runs lần mỗi trường hợp, $(nproc) nhân, sàn $floor_src)"
median() { sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
# The machine's CPU time so far (all states) and the part of it a hypervisor gave to other
# guests ("steal", /proc/stat), in clock ticks: "steal total".
cpu_ticks() { awk '/^cpu / {t = 0; for (i = 2; i <= NF; i++) t += $i; print $9, t}' /proc/stat; }
# The percentage of CPU time stolen between two `cpu_ticks`.
stolen() { awk -v a="$1" -v b="$2" 'BEGIN {split(a, x, " "); split(b, y, " ");
  d = y[2] - x[2]; printf "%.0f", (d > 0 ? 100 * (y[1] - x[1]) / d : 0)}'; }
rows=()
stages=()
# The period `back` periods before $period (of $regime), and the day its run is dated.
earlier() {
  local back=$1
  if [ "$regime" = tthc ]; then
    local i=$(( 2026 * 4 + 2 - back ))
    local y=$(( i / 4 )) q=$(( i % 4 + 1 ))
    local after=$(( q * 3 + 1 )) ay=$y
    if [ "$after" -gt 12 ]; then after=1; ay=$(( y + 1 )); fi
    printf '%d-Q%d %d-%02d-10\n' "$y" "$q" "$ay" "$after"
  else
    local p
    p=$(date -d "$period-01 -$back month" +%Y-%m)
    echo "$p $p-15"
  fi
}
for case in "${cases[@]}"; do
  read -r regime n history kept <<< "$case"
  kept="${kept:-—}"
  period=2026-10
  as_of=2026-10-15
  if [ "$regime" = tthc ]; then period=2026-Q3; as_of=2026-10-10; fi
  dir="$work/$regime-$n"
  if [ "$history" -gt 0 ]; then dir="$dir-h$history"; fi
  if [ ! -d "$dir/inbox" ]; then
    "$bin" --root samples synth bench --regime "$regime" --units "$n" --period "$period" --out "$dir" >/dev/null
  fi
  if [ "$history" -gt 0 ] && [ ! -f "$dir/history.done" ]; then
    for back in $(seq "$history" -1 1); do
      read -r p day <<< "$(earlier "$back")"
      tmp="$dir/earlier"
      rm -rf "$tmp"
      "$bin" --root samples synth bench --regime "$regime" --units "$n" --period "$p" --out "$tmp" >/dev/null
      "$bin" --root "$dir/root" run --regime "$regime" --period "$p" --inbox "$tmp/inbox" \
        --out "$tmp/out" --as-of "$day" -q >/dev/null 2>&1 || true
      rm -rf "$tmp"
    done
    touch "$dir/history.done"
  fi
  inbox="$dir/inbox/$period"
  files=$(find "$inbox" -name '*.xlsx' | wc -l)
  args=(--root "$dir/root" run --regime "$regime" --period "$period" --inbox "$dir/inbox"
        --out "$dir/out" --as-of "$as_of" -q)
  "$bin" "${args[@]}" >/dev/null 2>&1 || true   # warms the page cache, fills the store
  : > "$dir/times"
  : > "$dir/floor"
  # Each run of baocao is followed by one of the floor, so that both meet the same phases of
  # a shared machine (a VM's speed drifts by 30-40% over minutes).
  steal_b=0
  steal_f=0
  for i in $(seq "$runs"); do
    if [ "$kept" = xóa ]; then rm -rf "$dir/root/history/.bo-nho-dem"; fi
    t0=$(cpu_ticks)
    BAOCAO_TIMING=1 /usr/bin/time -f "%e %M %P" -o "$dir/time.$i" "$bin" "${args[@]}" \
      >/dev/null 2>"$dir/stages.$i" || true
    # /usr/bin/time says so on a line of its own when the run exits 1 (findings): the figures
    # are on the last line.
    echo "$(tail -n 1 "$dir/time.$i") $i" >> "$dir/times"
    t1=$(cpu_ticks)
    # The floor says "floor: N files, C cells, M MB xml, S s" on stderr.
    "$floor" "$inbox" 2>&1 >/dev/null | sed -n 's/.*, \([0-9.]*\) s$/\1/p' >> "$dir/floor"
    t2=$(cpu_ticks)
    steal_b=$(( steal_b + $(stolen "$t0" "$t1") ))
    steal_f=$(( steal_f + $(stolen "$t1" "$t2") ))
  done
  med=$(awk '{print $1}' "$dir/times" | median)
  line=$(awk -v m="$med" '$1 == m {print; exit}' "$dir/times")
  read -r wall kib cpu which <<< "$line"
  fl=$(median < "$dir/floor")
  ratio=$(awk -v a="$wall" -v b="$fl" 'BEGIN {printf "%.2f", (b > 0 ? a / b : 0)}')
  store=$(du -sm "$dir/root/history" 2>/dev/null | awk '{print $1}')
  rows+=("$(printf '%5s %7s %4s %4s %7s %9s %9s %6s %9s %6s× %9s %9s' "$regime" "$n" "$history" "$kept" "$files" "$wall" "$((kib / 1024))" "$cpu" "$fl" "$ratio" "${store:-0}" "$((steal_b / runs))/$((steal_f / runs))")")
  stages+=("== $regime $n (kho $history kỳ, đệm $kept): $(grep -o '[^]]*: [0-9.]* s\(, đỉnh [0-9]* MiB\)\?' "$dir/stages.$which" | sed 's/^ //' | paste -sd ';' | sed 's/;/; /g')")
done
printf '%5s %7s %4s %4s %7s %9s %9s %6s %9s %7s %9s %9s\n' "chế độ" "xã" "kho" "đệm" "tệp" "baocao s" "đỉnh MiB" "CPU" "sàn s" "tỷ lệ" "kho MiB" "bị lấy %"
for r in "${rows[@]}"; do echo "$r"; done
echo "(bị lấy %: phần thời gian CPU của máy mà máy ảo nhường cho khách khác — steal — trung bình"
echo " trong các lần chạy baocao / các lần chạy sàn; số lớn thì lần đo ấy không đáng tin)"
echo "Thời gian từng công đoạn (giây, cộng dồn) của lần chạy trung vị:"
for s in "${stages[@]}"; do echo "$s"; done

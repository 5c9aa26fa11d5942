#!/usr/bin/env bash
# CI check: run the samples' October into a fresh history store, then read the store with
# DuckDB (tests/duckdb/check.py) and compare its totals with du-lieu.csv (the catalogs: the
# library's, at the top).
set -euo pipefail
cd "$(dirname "$0")/../.."
bin="${CARGO_TARGET_DIR:-target}/release/baocao"
work=$(mktemp -d)
"$bin" --root samples run --regime ktxh --period 2026-10 --inbox samples/inbox/ktxh --out "$work/out" \
  --history "$work/history" --as-of 2026-11-22 -q >/dev/null || true
python3 tests/duckdb/check.py "$work/history" "$work/out/ktxh/2026-10/du-lieu.csv" . ktxh 2026-10
# The overdue dossiers' list of tthc's quarter, stored beside its figures.
"$bin" --root samples run --regime tthc --period 2026-Q3 --inbox samples/inbox/tthc --out "$work/out" \
  --history "$work/history" --as-of 2026-09-30 -q >/dev/null || true
python3 tests/duckdb/check_lists.py "$work/history" "$work/out/tthc/2026-Q3/danh-sach-ho_so_qua_han.csv" tthc 2026-Q3 ho_so_qua_han
rm -rf "$work"

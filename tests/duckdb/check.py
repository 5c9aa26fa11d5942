"""Reads baocao's history store with DuckDB, as it is, and checks it against du-lieu.csv.

Usage: python3 tests/duckdb/check.py HISTORY_DIR DU_LIEU_CSV CONFIG_ROOT REGIME PERIOD

The README's one-line query reads every partition; here its totals per indicator (the
reporting units' figures, column thuc_hien) must equal the top unit's row of the run's
du-lieu.csv for every summed indicator of the config root's catalog. Exit 0 when they agree.
"""
import csv
import pathlib
import sys
import tomllib

import duckdb

history, du_lieu, root, regime, period = sys.argv[1:6]
summed = set()
for f in pathlib.Path(root, "indicators").glob("*.toml"):
    for ind in tomllib.loads(f.read_text(encoding="utf-8")).get("indicator", []):
        if ind.get("aggregation") == "sum":
            summed.add(ind["code"])

store = dict(
    duckdb.connect()
    .execute(
        f"""
        SELECT indicator_code, sum(value)
        FROM read_parquet('{history}/regime=*/period=*/data.parquet', hive_partitioning = true)
        WHERE regime = ? AND period = ? AND "column" = 'thuc_hien'
        GROUP BY indicator_code
        """,
        [regime, period],
    )
    .fetchall()
)
expected = {}
with open(du_lieu, newline="", encoding="utf-8") as f:
    rows = list(csv.DictReader(f))
top = rows[0]["unit_code"]
for r in rows:
    if r["unit_code"] == top and r["column"] == "thuc_hien" and r["indicator_code"] in summed:
        expected[r["indicator_code"]] = float(r["value"])

bad = [(c, store.get(c), w) for c, w in expected.items() if store.get(c) is None or abs(store[c] - w) > 1e-6 * max(1.0, abs(w))]
print(f"DuckDB đọc kho lịch sử: {len(expected) - len(bad)}/{len(expected)} chỉ tiêu cộng dồn khớp du-lieu.csv")
if bad or len(expected) < 10:
    print("Không khớp:", bad)
    sys.exit(1)

"""Reads a list annex of baocao's history store with DuckDB and checks it against the run's
danh-sach-<code>.csv: the same rows in the same order, dates typed DATE, numbers DOUBLE.

Usage: python3 tests/duckdb/check_lists.py HISTORY_DIR DANH_SACH_CSV REGIME PERIOD LIST
"""
import csv
import datetime
import sys

import duckdb

history, danh_sach, regime, period, code = sys.argv[1:6]
con = duckdb.connect()
rel = con.execute(
    f"""
    SELECT * FROM read_parquet('{history}/regime=*/period=*/list=*/data.parquet', hive_partitioning = true)
    WHERE regime = ? AND period = ? AND list = ?
    """,
    [regime, period, code],
)
names = [d[0] for d in rel.description]
stored = rel.fetchall()
with open(danh_sach, newline="", encoding="utf-8") as f:
    rows = list(csv.DictReader(f))


def same(value, text):
    if value is None:
        return text == ""
    if isinstance(value, datetime.date):
        return value.isoformat() == text
    if isinstance(value, float):
        return text != "" and abs(value - float(text)) < 1e-9
    return str(value) == text


bad = []
for s, r in zip(stored, rows):
    for name, value in zip(names, s):
        if name in r and not same(value, r[name]):
            bad.append((r["unit_code"], r["stt"], name, value, r[name]))
dates = [n for n, t in zip(names, [d[1] for d in rel.description]) if "DATE" in str(t).upper()]
print(f"DuckDB đọc danh sách {code}: {len(stored)} dòng, {len(rows)} dòng trong tệp CSV; cột ngày: {', '.join(dates)}")
if bad or len(stored) != len(rows) or len(rows) < 10 or not dates:
    print("Không khớp:", bad[:10])
    sys.exit(1)

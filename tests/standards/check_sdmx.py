"""Reads du-lieu.sdmx.csv with pysdmx (read_sdmx) and compares every observation with
du-lieu.csv: the same number of observations, the same value for each (unit, indicator,
disaggregation, value kind). Prints one JSON line; exits 1 on any difference.

    python3 check_sdmx.py OUT/<regime>/<period>/du-lieu.sdmx.csv OUT/<regime>/<period>/du-lieu.csv
"""
import csv
import json
import sys

from pysdmx.io import read_sdmx

FIXED = {"STRUCTURE", "STRUCTURE_ID", "ACTION", "REPORTING_UNIT", "INDICATOR", "VALUE_KIND",
         "TIME_PERIOD", "OBS_VALUE", "UNIT_MEASURE", "OBS_STATUS", "DERIVED"}


def main(sdmx_path, csv_path):
    message = read_sdmx(sdmx_path)
    datasets = message.data
    assert len(datasets) == 1, f"expected one dataset, got {len(datasets)}"
    frame = datasets[0].data
    dims = [c for c in frame.columns if c not in FIXED]
    sdmx = {}
    for row in frame.to_dict("records"):
        disagg = ";".join(f"{d.lower()}={row[d]}" for d in sorted(dims, key=str.lower)
                          if row[d] != "_T")
        key = (row["REPORTING_UNIT"], row["INDICATOR"], disagg, row["VALUE_KIND"])
        assert key not in sdmx, f"observation twice: {key}"
        sdmx[key] = float(row["OBS_VALUE"])
    with open(csv_path, newline="", encoding="utf-8") as f:
        base = {(r["unit_code"], r["indicator_code"], r["disagg"], r["column"]): float(r["value"])
                for r in csv.DictReader(f)}
    mismatches = [str(k) for k in set(sdmx) | set(base) if sdmx.get(k) != base.get(k)]
    print(json.dumps({"dataflow": datasets[0].short_urn, "observations": len(sdmx),
                      "rows": len(base), "mismatches": mismatches[:10]}))
    return 0 if not mismatches and len(sdmx) == len(base) else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], sys.argv[2]))

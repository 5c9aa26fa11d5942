//! End-to-end: the exchange files in standard formats beside `du-lieu.csv`, read back with the
//! tools their receivers use: pysdmx (`read_sdmx`), `frictionless validate`, `xmllint` against
//! the ADX schema (`tests/data/adx`, copied from ../shared/schemas/adx), and a JSON parser for
//! the DHIS2 dataValueSet. `.ci/run` installs the tools; elsewhere a missing one is skipped.

mod common;
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use common::*;

/// Runs the samples' ktxh October (ratios, no breakdowns) into `out`; returns its folder.
fn ktxh(out: &Path) -> PathBuf {
    let (code, _, err) = baocao(&[
        "--root",
        s(&samples()),
        "run",
        "--regime",
        "ktxh",
        "--period",
        "2026-10",
        "--inbox",
        s(&samples().join("inbox/ktxh")),
        "--out",
        s(out),
        "--as-of",
        "2026-11-22",
        "--no-history",
        "-q",
    ]);
    assert_eq!(
        code, 1,
        "the samples have rejected and missing units: {err}"
    );
    out.join("ktxh/2026-10")
}

/// Runs the samples' matrix regime tthc, Q3 (lĩnh vực × nguồn breakdowns, ratios).
fn tthc(out: &Path) -> PathBuf {
    let (code, _, err) = baocao(&[
        "--root",
        s(&samples()),
        "run",
        "--regime",
        "tthc",
        "--period",
        "2026-Q3",
        "--inbox",
        s(&samples().join("inbox/tthc")),
        "--out",
        s(out),
        "--as-of",
        "2026-12-01",
        "--no-history",
        "-q",
    ]);
    assert!(code == 0 || code == 1, "{err}");
    out.join("tthc/2026-Q3")
}

/// The derived (ratio, growth) indicator codes of the samples' catalog.
fn derived_codes() -> BTreeSet<String> {
    let config = baocao::catalog::Config::load(&samples()).unwrap();
    config
        .indicators
        .values()
        .filter(|i| i.aggregation == baocao::catalog::Aggregation::Derived)
        .map(|i| i.code.clone())
        .collect()
}

/// (unit, indicator, disagg, column) → value of du-lieu.csv.
type Cells = BTreeMap<(String, String, String, String), f64>;

fn base_cells(dir: &Path) -> Cells {
    csv_rows(&dir.join("du-lieu.csv"))
        .into_iter()
        .map(|r| {
            (
                (
                    r["unit_code"].clone(),
                    r["indicator_code"].clone(),
                    r["disagg"].clone(),
                    r["column"].clone(),
                ),
                r["value"].parse().unwrap(),
            )
        })
        .collect()
}

#[test]
fn the_sdmx_csv_carries_every_figure_of_du_lieu_with_sdmx_periods_and_derived_cells_flagged() {
    let out = tempfile::tempdir().unwrap();
    let derived = derived_codes();
    for (dir, period) in [
        (ktxh(out.path()), "2026-M10"),
        (tthc(out.path()), "2026-Q3"),
    ] {
        let base = base_cells(&dir);
        let path = dir.join("du-lieu.sdmx.csv");
        let mut rdr = csv::Reader::from_path(&path).unwrap();
        let header: Vec<String> = rdr.headers().unwrap().iter().map(String::from).collect();
        assert_eq!(
            header[..5],
            [
                "STRUCTURE",
                "STRUCTURE_ID",
                "ACTION",
                "REPORTING_UNIT",
                "INDICATOR"
            ]
        );
        assert_eq!(
            header[header.len() - 6..],
            [
                "VALUE_KIND",
                "TIME_PERIOD",
                "OBS_VALUE",
                "UNIT_MEASURE",
                "OBS_STATUS",
                "DERIVED"
            ]
        );
        let dims: Vec<String> = header[5..header.len() - 6].to_vec();
        let rows = csv_rows(&path);
        assert_eq!(rows.len(), base.len(), "{}", dir.display());
        let mut seen = Cells::new();
        for r in &rows {
            assert_eq!(r["STRUCTURE"], "dataflow");
            assert_eq!(r["ACTION"], "I");
            assert_eq!(r["TIME_PERIOD"], period);
            let disagg: Vec<String> = dims
                .iter()
                .filter(|d| r[*d] != "_T")
                .map(|d| format!("{}={}", d.to_lowercase(), r[d]))
                .collect();
            let key = (
                r["REPORTING_UNIT"].clone(),
                r["INDICATOR"].clone(),
                disagg.join(";"),
                r["VALUE_KIND"].clone(),
            );
            assert_eq!(
                r["DERIVED"],
                if derived.contains(&key.1) { "1" } else { "0" },
                "{key:?}"
            );
            seen.insert(key, r["OBS_VALUE"].parse().unwrap());
        }
        assert_eq!(seen, base, "{}", dir.display());
    }
}

#[test]
fn the_tthc_province_ratio_is_flagged_in_sdmx_and_left_out_of_dhis2_and_adx() {
    let out = tempfile::tempdir().unwrap();
    let dir = tthc(out.path());
    let sdmx = csv_rows(&dir.join("du-lieu.sdmx.csv"));
    // TT04 (tỷ lệ đúng hạn) of the province, all lĩnh vực: (6 915 + 8 347) / 15 554 × 100
    // = 98.12 (rounded as the form shows it), recomputed from the summed counts.
    let tt04 = sdmx
        .iter()
        .find(|r| {
            r["INDICATOR"] == "TT04"
                && r["REPORTING_UNIT"] == "99"
                && r["LINH_VUC"] == "_T"
                && r["VALUE_KIND"] == "thuc_hien"
        })
        .expect("province TT04 total");
    let v: f64 = tt04["OBS_VALUE"].parse().unwrap();
    assert!((v - 98.12).abs() < 0.005, "{v}");
    assert_eq!(tt04["DERIVED"], "1");
    let dhis2: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.join("du-lieu.dhis2.json")).unwrap()).unwrap();
    assert!(dhis2["dataValues"]
        .as_array()
        .unwrap()
        .iter()
        .all(|v| v["dataElement"] != "TT04"));
    let adx = std::fs::read_to_string(dir.join("du-lieu.adx.xml")).unwrap();
    assert!(!adx.contains("dataElement=\"TT04\""));
    assert!(adx.contains("dataElement=\"TT01\""));
}

#[test]
fn the_dhis2_data_value_set_has_one_value_per_non_derived_cell_with_codes_as_ids() {
    let out = tempfile::tempdir().unwrap();
    let derived = derived_codes();
    for (dir, period) in [(ktxh(out.path()), "202610"), (tthc(out.path()), "2026Q3")] {
        let base = base_cells(&dir);
        let v: serde_json::Value =
            serde_json::from_slice(&std::fs::read(dir.join("du-lieu.dhis2.json")).unwrap())
                .unwrap();
        assert_eq!(v["period"], period);
        assert!(v["dataSet"] == "ktxh" || v["dataSet"] == "tthc");
        let mut got = Cells::new();
        for dv in v["dataValues"].as_array().unwrap() {
            assert_eq!(dv["period"], period);
            let key = (
                dv["orgUnit"].as_str().unwrap().to_string(),
                dv["dataElement"].as_str().unwrap().to_string(),
                dv["categoryOptionCombo"]
                    .as_str()
                    .unwrap_or_default()
                    .to_string(),
                dv["attributeOptionCombo"].as_str().unwrap().to_string(),
            );
            // A total has no categoryOptionCombo (DHIS2's default), a breakdown its key.
            assert_eq!(dv.get("categoryOptionCombo").is_some(), !key.2.is_empty());
            let value: f64 = dv["value"].as_str().unwrap().parse().unwrap();
            assert!(got.insert(key, value).is_none(), "one value per cell");
        }
        let expected: Cells = base
            .into_iter()
            .filter(|(k, _)| !derived.contains(&k.1))
            .collect();
        assert!(!expected.is_empty());
        assert_eq!(got, expected, "{}", dir.display());
    }
}

#[test]
fn pysdmx_reads_the_same_observations_as_du_lieu() {
    if !tool_or_skip(
        &["python3", "-c", "import pysdmx.io"],
        "pysdmx (pip install 'pysdmx[data]')",
    ) {
        return;
    }
    let out = tempfile::tempdir().unwrap();
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/standards/check_sdmx.py");
    for dir in [ktxh(out.path()), tthc(out.path())] {
        let (ok, said) = command(
            "python3",
            &[
                s(&script),
                s(&dir.join("du-lieu.sdmx.csv")),
                s(&dir.join("du-lieu.csv")),
            ],
        );
        assert!(ok, "{said}");
        let report: serde_json::Value = serde_json::from_str(said.trim()).unwrap();
        assert_eq!(report["observations"], report["rows"]);
        assert!(report["observations"].as_u64().unwrap() > 0);
    }
}

#[test]
fn the_adx_file_is_valid_against_the_adx_schema() {
    if !tool_or_skip(
        &["xmllint", "--version"],
        "xmllint (apt-get install libxml2-utils)",
    ) {
        return;
    }
    let out = tempfile::tempdir().unwrap();
    let schema = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/adx/adx_loose.xsd");
    let derived = derived_codes();
    for (dir, range) in [
        (ktxh(out.path()), "2026-10-01/P1M"),
        (tthc(out.path()), "2026-07-01/P3M"),
    ] {
        let adx = dir.join("du-lieu.adx.xml");
        let (ok, said) = command("xmllint", &["--noout", "--schema", s(&schema), s(&adx)]);
        assert!(ok, "{said}");
        let text = std::fs::read_to_string(&adx).unwrap();
        assert!(text.contains(&format!("period=\"{range}\"")));
        let sent = base_cells(&dir)
            .keys()
            .filter(|k| !derived.contains(&k.1))
            .count();
        assert_eq!(text.matches("<dataValue ").count(), sent);
    }
    // A broken file is refused: the check can fail.
    let bad = out.path().join("bad.adx.xml");
    std::fs::write(
        &bad,
        "<adx xmlns=\"urn:ihe:qrph:adx:2015\" exported=\"2026-11-22T00:00:00\"><group orgUnit=\"X\" period=\"2026-10-01/P1M\"><dataValue dataElement=\"A\" value=\"mười\"/></group></adx>",
    )
    .unwrap();
    let (ok, _) = command("xmllint", &["--noout", "--schema", s(&schema), s(&bad)]);
    assert!(!ok);
}

#[test]
fn frictionless_validates_the_data_package_and_fails_after_one_byte_changes() {
    if !tool_or_skip(
        &["python3", "-m", "frictionless", "--version"],
        "frictionless (pip install frictionless)",
    ) {
        return;
    }
    let out = tempfile::tempdir().unwrap();
    let dir = tthc(out.path());
    let package = dir.join("datapackage.json");
    let (ok, said) = command("python3", &["-m", "frictionless", "validate", s(&package)]);
    assert!(ok, "{said}");
    let csv = dir.join("du-lieu.csv");
    let mut bytes = std::fs::read(&csv).unwrap();
    // One digit of the last figure, same length: only the hash can tell.
    let at = bytes.iter().rposition(|b| b.is_ascii_digit()).unwrap();
    bytes[at] = if bytes[at] == b'9' {
        b'8'
    } else {
        bytes[at] + 1
    };
    std::fs::write(&csv, &bytes).unwrap();
    let (ok, said) = command("python3", &["-m", "frictionless", "validate", s(&package)]);
    assert!(!ok, "a changed du-lieu.csv must fail: {said}");
    assert!(said.contains("hash"), "{said}");
}

#[test]
fn the_nine_months_are_a_time_range_in_sdmx_and_adx_and_dhis2_says_it_has_no_such_period() {
    let t = tempfile::tempdir().unwrap();
    let inbox = t.path().join("in/2026-9M");
    std::fs::create_dir_all(&inbox).unwrap();
    let (code, _, err) = baocao(&[
        "--root",
        s(&samples()),
        "run",
        "--regime",
        "ktxh",
        "--period",
        "2026-9M",
        "--inbox",
        s(&t.path().join("in")),
        "--out",
        s(&t.path().join("out")),
        "--as-of",
        "2026-10-25",
        "--no-history",
        "-q",
    ]);
    assert!(code == 0 || code == 1, "{err}");
    let dir = t.path().join("out/ktxh/2026-9M");
    // The province's plan figures (plan file) are the only cells: at least one row.
    let sdmx = csv_rows(&dir.join("du-lieu.sdmx.csv"));
    assert!(!sdmx.is_empty());
    assert!(sdmx.iter().all(|r| r["TIME_PERIOD"] == "2026-01-01/P9M"));
    let adx = std::fs::read_to_string(dir.join("du-lieu.adx.xml")).unwrap();
    assert!(adx.contains("period=\"2026-01-01/P9M\""));
    let dhis2: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.join("du-lieu.dhis2.json")).unwrap()).unwrap();
    assert!(dhis2.get("period").is_none());
    assert_eq!(dhis2["dataValues"].as_array().unwrap().len(), 0);
    assert!(dhis2["comment"].as_str().unwrap().contains("9 tháng"));
}

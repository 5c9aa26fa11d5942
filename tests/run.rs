//! End-to-end: `run` on the samples and on built inboxes; outputs read back with calamine.

mod common;
use std::collections::BTreeMap;
use std::path::Path;

use baocao::catalog::{Config, InputColumn};
use common::*;

fn run(root: &Path, inbox: &Path, out: &Path, period: &str, as_of: &str) -> (i32, String) {
    let (code, stdout, err) = baocao(&[
        "--root",
        s(root),
        "run",
        "--regime",
        "ktxh",
        "--period",
        period,
        "--inbox",
        s(inbox),
        "--out",
        s(out),
        "--as-of",
        as_of,
        "-q",
        "--history",
        s(&out.join("history")),
    ]);
    (code, format!("{stdout}\n{err}"))
}

/// (indicator code → value) of the consolidated form sheet's "Thực hiện" column.
fn form_values(xlsx: &Path) -> BTreeMap<String, f64> {
    let rows = sheet(xlsx, "Biểu số liệu");
    let header = rows
        .iter()
        .position(|r| r.iter().any(|c| text(c) == "Mã số"))
        .expect("header row");
    let col = rows[header]
        .iter()
        .position(|c| text(c).starts_with("Thực hiện kỳ báo cáo"))
        .expect("column");
    rows[header + 1..]
        .iter()
        .filter_map(|r| Some((text(r.get(1)?), num(r.get(col)?)?)))
        .filter(|(code, _)| !code.is_empty())
        .collect()
}

#[test]
fn province_totals_equal_the_sum_of_accepted_unit_values_and_ratios_their_components() {
    let out = tempfile::tempdir().unwrap();
    let (code, log) = run(
        &samples(),
        &samples().join("inbox/ktxh"),
        out.path(),
        "2026-10",
        "2026-11-22",
    );
    assert_eq!(
        code, 1,
        "rejected and missing units make the exit code 1: {log}"
    );
    let dir = out.path().join("ktxh/2026-10");
    let form = form_values(&dir.join("tong-hop.xlsx"));
    let rows = csv_rows(&dir.join("du-lieu.csv"));
    let config = Config::load(&samples()).unwrap();
    let mut sums: BTreeMap<String, f64> = BTreeMap::new();
    let mut leaves = std::collections::BTreeSet::new();
    for r in rows
        .iter()
        .filter(|r| r["column"] == "thuc_hien" && r["unit_code"] != "99")
    {
        *sums.entry(r["indicator_code"].clone()).or_default() += r["value"].parse::<f64>().unwrap();
        leaves.insert(r["unit_code"].clone());
    }
    // 37 accepted of 40: Hòa Bình and Phước Sơn rejected, Vĩnh Hưng missing.
    assert_eq!(leaves.len(), 37);
    assert!(!leaves.contains("99004") && !leaves.contains("99010") && !leaves.contains("99024"));
    let ktxh: Vec<&str> = config.regime("ktxh").unwrap().form_codes().collect();
    let summed: Vec<&str> = config
        .indicators
        .values()
        .filter(|i| i.aggregation == baocao::catalog::Aggregation::Sum)
        .filter(|i| ktxh.contains(&i.code.as_str()))
        .map(|i| i.code.as_str())
        .collect();
    assert!(summed.len() > 30);
    for code in &summed {
        let want = sums[*code];
        let got = form[*code];
        assert!(
            (got - want).abs() < 1e-6 * want.abs().max(1.0),
            "{code}: form {got} vs units {want}"
        );
    }
    // A ratio is numerator / denominator of the consolidated components.
    for (rate, num, den) in [
        ("GN03", "GN01", "GN02"),
        ("YT03", "YT01", "YT02"),
        ("HC03", "HC02", "HC01"),
        ("DT03", "DT02", "DT01"),
    ] {
        let want = form[num] / form[den] * 100.0;
        assert!(
            (form[rate] - want).abs() < 1e-6,
            "{rate}: {} vs {want}",
            form[rate]
        );
    }
    // The plan file of the config root gives the province's annual plan; % of plan and the
    // two budget baselines are year-to-date / plan.
    let plan_col = {
        let rows = sheet(&dir.join("tong-hop.xlsx"), "Biểu số liệu");
        let header = rows
            .iter()
            .position(|r| r.iter().any(|c| text(c) == "Mã số"))
            .unwrap();
        let find = |prefix: &str| {
            rows[header]
                .iter()
                .position(|c| text(c).starts_with(prefix))
                .unwrap()
        };
        let (kh, vs, tw) = (
            find("Kế hoạch năm 2026"),
            find("Lũy kế so với kế hoạch năm"),
            find("Lũy kế so với dự toán Trung ương giao"),
        );
        let row = rows[header + 1..]
            .iter()
            .find(|r| text(&r[1]) == "NS01")
            .unwrap()
            .clone();
        (num(&row[kh]), num(&row[vs]), num(&row[tw]))
    };
    let ytd: f64 = rows
        .iter()
        .find(|r| {
            r["unit_code"] == "99" && r["indicator_code"] == "NS01" && r["column"] == "luy_ke"
        })
        .unwrap()["value"]
        .parse()
        .unwrap();
    assert_eq!(plan_col.0, Some(17200.0), "from ke-hoach-2026.csv");
    assert!((plan_col.1.unwrap() - ytd / 17200.0 * 100.0).abs() < 1e-6);
    assert_eq!(plan_col.2, Some((ytd / 16000.0 * 1000.0).round() / 10.0));
    let words = format!(
        "bằng {}% dự toán Trung ương giao",
        format!("{:.1}", ytd / 16000.0 * 100.0).replace('.', ",")
    );
    assert!(
        std::fs::read_to_string(dir.join("bao-cao.md"))
            .unwrap()
            .contains(&words),
        "{words}"
    );
    // The IIP (not aggregated) is its owner's figure.
    let iip = rows
        .iter()
        .find(|r| {
            r["unit_code"] == "SCT" && r["indicator_code"] == "CN01" && r["column"] == "thuc_hien"
        })
        .unwrap();
    assert_eq!(form["CN01"], iip["value"].parse::<f64>().unwrap());
    // The other sheets are there and in Vietnamese.
    let units = sheet(&dir.join("tong-hop.xlsx"), "Theo đơn vị");
    assert!(units[2].iter().any(|c| text(c) == "Xã Phước An (99009)"));
    let diags = sheet(&dir.join("tong-hop.xlsx"), "Chẩn đoán");
    // The summary by code, then a blank row, the list's header and every diagnostic.
    let list = diags
        .iter()
        .position(|r| r.len() > 2 && text(&r[2]) == "Tệp")
        .unwrap();
    assert_eq!(text(&diags[2][2]), "Loại");
    let diag_codes: Vec<String> = diags.iter().skip(list + 1).map(|r| text(&r[0])).collect();
    let summary_codes: Vec<String> = diags[3..list - 1].iter().map(|r| text(&r[0])).collect();
    let mut distinct = diag_codes.clone();
    distinct.sort();
    distinct.dedup();
    let mut listed = summary_codes.clone();
    listed.sort();
    assert_eq!(listed, distinct, "one summary line per code");
    // The five faults of the samples, and the year-to-date a run without the store cannot
    // compute (BC0804).
    assert_eq!(diag_codes.len(), 6, "{diag_codes:?}");
    assert_eq!(diag_codes[5], "BC0804");
    let md = std::fs::read_to_string(dir.join("bao-cao.md")).unwrap();
    assert!(md.contains("Tình hình kinh tế - xã hội tháng 10 năm 2026"));
    assert!(md.contains("1 đơn vị chưa gửi báo cáo (Xã Vĩnh Hưng)"));
    assert!(
        md.contains("so với tháng trước"),
        "the September inbox gives the comparison"
    );
    let html = std::fs::read_to_string(dir.join("bao-cao.html")).unwrap();
    assert!(html.contains("<h1>BÁO CÁO</h1>"));
    let manifest: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("manifest.json")).unwrap()).unwrap();
    assert_eq!(manifest["counts"]["submissions_accepted"], 37);
    assert_eq!(manifest["counts"]["missing"], 1);
    // tong-hop.xlsx, bao-cao.md, bao-cao.html, bao-cao.docx, du-lieu.csv, du-lieu.sdmx.csv,
    // du-lieu.dhis2.json, du-lieu.adx.xml, datapackage.json, bang-tin.html.
    assert_eq!(manifest["outputs"].as_array().unwrap().len(), 10);
    let csv_entry = manifest["outputs"]
        .as_array()
        .unwrap()
        .iter()
        .find(|o| o["file"] == "du-lieu.csv")
        .unwrap();
    assert_eq!(
        csv_entry["sha256"],
        baocao::render::exchange::sha256_hex(&std::fs::read(dir.join("du-lieu.csv")).unwrap())
    );
}

#[test]
fn two_runs_on_the_same_inputs_are_byte_identical() {
    let a = tempfile::tempdir().unwrap();
    let b = tempfile::tempdir().unwrap();
    run(
        &samples(),
        &samples().join("inbox/ktxh"),
        a.path(),
        "2026-10",
        "2026-11-22",
    );
    run(
        &samples(),
        &samples().join("inbox/ktxh"),
        b.path(),
        "2026-10",
        "2026-11-22",
    );
    for f in [
        "tong-hop.xlsx",
        "bao-cao.md",
        "bao-cao.html",
        "du-lieu.csv",
        "manifest.json",
    ] {
        let x = std::fs::read(a.path().join("ktxh/2026-10").join(f)).unwrap();
        let y = std::fs::read(b.path().join("ktxh/2026-10").join(f)).unwrap();
        assert!(x == y, "{f} differs between runs");
    }
}

#[test]
fn a_corrupt_file_a_missing_unit_and_a_late_unit_all_reach_the_compliance_sheet() {
    let inbox = tempfile::tempdir().unwrap();
    copy_dir(&samples().join("inbox/ktxh/2026-09"), inbox.path());
    // Tân Phú's file is corrupt; Đông Sơn's is gone; Cẩm Thành's came in late.
    std::fs::write(
        inbox.path().join("99011-xa-tan-phu-2026-09.xlsx"),
        b"PK\x03\x04 broken",
    )
    .unwrap();
    std::fs::remove_file(inbox.path().join("99018-xa-dong-son-2026-09.xlsx")).unwrap();
    let log = std::fs::read_to_string(inbox.path().join("nhan.csv")).unwrap();
    let log: String = log
        .lines()
        .map(|l| {
            if l.starts_with("99029-") {
                "99029-xa-cam-thanh-2026-09.xlsx,2026-09-25T10:00".to_string()
            } else {
                l.to_string()
            }
        })
        .collect::<Vec<_>>()
        .join("\n");
    std::fs::write(inbox.path().join("nhan.csv"), log).unwrap();
    let out = tempfile::tempdir().unwrap();
    let (code, log) = run(
        &samples(),
        inbox.path(),
        out.path(),
        "2026-09",
        "2026-10-01",
    );
    assert_eq!(code, 1, "{log}");
    let rows = sheet(&out.path().join("ktxh/2026-09/tong-hop.xlsx"), "Tuân thủ");
    let status: BTreeMap<String, String> = rows
        .iter()
        .skip(3)
        .map(|r| (text(&r[1]), text(&r[7])))
        .collect();
    assert_eq!(status["99011"], "bị từ chối");
    assert_eq!(status["99018"], "chưa gửi (quá hạn)");
    assert_eq!(status["99029"], "muộn");
    assert_eq!(status["99009"], "đúng hạn");
    assert_eq!(status.len(), 40);
    // Each status cell is filled with its colour (green on time, yellow late, red missing or
    // rejected); the unit columns are not filled.
    let fills = cell_styles(&out.path().join("ktxh/2026-09/tong-hop.xlsx"), 3);
    for (i, r) in rows.iter().enumerate().skip(3) {
        let row = i + 1;
        let want = match text(&r[7]).as_str() {
            "đúng hạn" => "FFC6EFCE",
            "muộn" => "FFFFEB9C",
            _ => "FFFFC7CE",
        };
        assert_eq!(
            fills[&format!("H{row}")].fill,
            want,
            "H{row}: {}",
            text(&r[7])
        );
        assert_eq!(fills[&format!("B{row}")].fill, "", "B{row}");
        assert_eq!(fills[&format!("I{row}")].fill, "", "I{row}");
    }
}

#[test]
fn a_failed_run_leaves_the_previous_outputs_in_place() {
    let out = tempfile::tempdir().unwrap();
    run(
        &samples(),
        &samples().join("inbox/ktxh"),
        out.path(),
        "2026-09",
        "2026-11-22",
    );
    let before = std::fs::read(out.path().join("ktxh/2026-09/tong-hop.xlsx")).unwrap();
    // A broken outline template makes the next run fail before it writes anything.
    let root = tempfile::tempdir().unwrap();
    copy_samples_root(root.path());
    std::fs::write(
        root.path().join("report-templates/ktxh/de-cuong.md.tera"),
        "{{ indicators.NN01.value | khong_co_bo_loc }}",
    )
    .unwrap();
    let (code, log) = run(
        root.path(),
        &samples().join("inbox/ktxh"),
        out.path(),
        "2026-09",
        "2026-11-22",
    );
    assert_eq!(code, 2, "{log}");
    assert_eq!(
        std::fs::read(out.path().join("ktxh/2026-09/tong-hop.xlsx")).unwrap(),
        before
    );
}

fn fill_inbox(config: &Config, units: &[&str], inbox: &Path) {
    fill_inbox_of(config, "ktxh", "2026-10", units, inbox);
}

#[test]
fn consolidating_through_two_intermediate_units_gives_the_same_top_totals() {
    let communes_a = ["10001", "10002", "10003"];
    let communes_b = ["20001", "20002"];
    let tmp = tempfile::tempdir().unwrap();
    let t = tmp.path();
    // Direct: T → A, B → communes, communes report straight to T.
    let mut all = unit("T", "Tỉnh T", "tinh", None)
        + &unit("A", "Huyện A", "huyen", Some("T"))
        + &unit("B", "Huyện B", "huyen", Some("T"));
    for c in communes_a {
        all += &unit(c, &format!("Xã {c}"), "xa", Some("A"));
    }
    for c in communes_b {
        all += &unit(c, &format!("Xã {c}"), "xa", Some("B"));
    }
    let direct = make_root(&t.join("direct"), &all, "T", "[\"xa\"]");
    let every: Vec<&str> = communes_a
        .iter()
        .chain(communes_b.iter())
        .copied()
        .collect();
    fill_inbox(&direct, &every, &t.join("inbox-direct"));
    let (code, log) = run(
        &t.join("direct"),
        &t.join("inbox-direct"),
        &t.join("out-direct"),
        "2026-10",
        "2026-10-15",
    );
    assert_eq!(code, 0, "{log}");

    // Two levels: A and B consolidate their communes, then T consolidates A and B.
    let mut ua = unit("A", "Huyện A", "huyen", None);
    for c in communes_a {
        ua += &unit(c, &format!("Xã {c}"), "xa", Some("A"));
    }
    let mut ub = unit("B", "Huyện B", "huyen", None);
    for c in communes_b {
        ub += &unit(c, &format!("Xã {c}"), "xa", Some("B"));
    }
    let ca = make_root(&t.join("a"), &ua, "A", "[\"xa\"]");
    let cb = make_root(&t.join("b"), &ub, "B", "[\"xa\"]");
    fill_inbox(&ca, &communes_a, &t.join("inbox-a"));
    fill_inbox(&cb, &communes_b, &t.join("inbox-b"));
    assert_eq!(
        run(
            &t.join("a"),
            &t.join("inbox-a"),
            &t.join("out-a"),
            "2026-10",
            "2026-10-15"
        )
        .0,
        0
    );
    assert_eq!(
        run(
            &t.join("b"),
            &t.join("inbox-b"),
            &t.join("out-b"),
            "2026-10",
            "2026-10-15"
        )
        .0,
        0
    );
    let top_units = unit("T", "Tỉnh T", "tinh", None)
        + &unit("A", "Huyện A", "huyen", Some("T"))
        + &unit("B", "Huyện B", "huyen", Some("T"));
    make_root(&t.join("top"), &top_units, "T", "[\"huyen\"]");
    let inbox = t.join("inbox-top");
    std::fs::create_dir_all(&inbox).unwrap();
    // A sends its exchange CSV, B its consolidated workbook.
    std::fs::copy(
        t.join("out-a/ktxh/2026-10/du-lieu.csv"),
        inbox.join("huyen-a-du-lieu.csv"),
    )
    .unwrap();
    std::fs::copy(
        t.join("out-b/ktxh/2026-10/tong-hop.xlsx"),
        inbox.join("huyen-b-tong-hop.xlsx"),
    )
    .unwrap();
    std::fs::write(inbox.join("nhan.csv"), "file,received_at\nhuyen-a-du-lieu.csv,2026-10-15T09:00\nhuyen-b-tong-hop.xlsx,2026-10-15T09:00\n").unwrap();
    let (code, log) = run(
        &t.join("top"),
        &inbox,
        &t.join("out-top"),
        "2026-10",
        "2026-10-15",
    );
    assert_eq!(code, 0, "{log}");

    let top_of = |p: &Path| -> BTreeMap<(String, String), f64> {
        csv_rows(p)
            .into_iter()
            .filter(|r| r["unit_code"] == "T")
            .map(|r| {
                (
                    (r["indicator_code"].clone(), r["column"].clone()),
                    r["value"].parse().unwrap(),
                )
            })
            .collect()
    };
    let d = top_of(&t.join("out-direct/ktxh/2026-10/du-lieu.csv"));
    let two = top_of(&t.join("out-top/ktxh/2026-10/du-lieu.csv"));
    let config = Config::load(&t.join("direct")).unwrap();
    let mut compared = 0;
    for ((code, column), v) in &d {
        let ind = config.indicator(code).unwrap();
        // Sums, weighted averages and ratios come out the same; an average of averages does
        // not (HC05 is a plain average), by design.
        if matches!(ind.aggregation, baocao::catalog::Aggregation::Average) {
            continue;
        }
        let w = two
            .get(&(code.clone(), column.clone()))
            .unwrap_or_else(|| panic!("{code} {column} missing at the top"));
        assert!(
            (v - w).abs() < 1e-6 * v.abs().max(1.0),
            "{code} {column}: direct {v}, two-level {w}"
        );
        compared += 1;
    }
    assert!(compared > 60, "{compared}");
    assert_eq!(d.len(), two.len());
    let _ = InputColumn::ALL;
}

#[test]
fn a_finding_about_a_unit_and_no_file_is_summed_up_under_the_units_name() {
    let t = tempfile::tempdir().unwrap();
    let inbox = samples().join("inbox/ktxh");
    let (code, out) = run(
        &samples(),
        &inbox,
        &t.path().join("out"),
        "2026-10",
        "2026-11-22",
    );
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains(
            "BC0504 chặn     Đơn vị chưa gửi báo cáo đã quá hạn: 1 lần (Xã Vĩnh Hưng (99024))"
        ),
        "{out}"
    );
}

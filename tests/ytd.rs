//! End-to-end: the year-to-date (lũy kế từ đầu năm) is computed from the history store for
//! every unit, whoever is late or rejected, on a small regime of its own: ten months of three
//! communes, the third rejected in October. Figures below are computed by hand.

mod common;
use std::path::{Path, PathBuf};

use common::*;

const UNITS: &str = r#"
[[level]]
name = "tinh"
label = "Tỉnh"
[[level]]
name = "xa"
label = "Xã"
[[unit]]
code = "99"
name = "Tỉnh Thử"
level = "tinh"
kind = "tinh"
[[unit]]
code = "99001"
name = "Xã An"
level = "xa"
kind = "xa"
parent = "99"
[[unit]]
code = "99002"
name = "Xã Bình"
level = "xa"
kind = "xa"
parent = "99"
[[unit]]
code = "99003"
name = "Xã Cát"
level = "xa"
kind = "xa"
parent = "99"
"#;

const INDICATORS: &str = r#"
[[indicator]]
code = "SL01"
name = "Sản lượng thủy sản"
unit = "tấn"
type = "decimal"
aggregation = "sum"

[[indicator]]
code = "HS01"
name = "Số hồ sơ đã giải quyết"
unit = "hồ sơ"
type = "integer"
aggregation = "sum"

[[indicator]]
code = "HS02"
name = "Số hồ sơ giải quyết đúng hạn"
unit = "hồ sơ"
type = "integer"
aggregation = "sum"
required = false

[[indicator]]
code = "HS03"
name = "Tỷ lệ hồ sơ giải quyết đúng hạn"
unit = "%"
type = "percent"
aggregation = "derived"
formula = "HS02 / HS01 * 100"

[[indicator]]
code = "HN01"
name = "Số hộ nghèo"
unit = "hộ"
type = "integer"
aggregation = "sum"
stock = true
higher_is_better = false
"#;

fn regime(columns: &str) -> String {
    format!(
        r#"
id = "thu"
name = "Báo cáo thử"
legal_basis = "Thử"
content = "Thử"
method = "Thử"
instructions = "Thử"
frequencies = ["monthly"]
cutoff = {{ rule = "calendar" }}
receiver = "99"
reporters = {{ levels = ["xa"] }}
outline = "de-cuong.md.tera"
report_symbol = "BC-UBND"

[[deadline]]
levels = ["xa"]
rule = "working-days"
days = 5

[[deadline]]
levels = ["tinh"]
rule = "working-days"
days = 10

[form]
number = "Biểu 01"
title = "THỬ"
columns = {columns}

[[form.sections]]
title = "CHỈ TIÊU"
rows = ["SL01", "HS01", "HS02", "HS03", "HN01"]
"#
    )
}

const OUTLINE: &str = "# BÁO CÁO\n\nSản lượng lũy kế {{ indicators.SL01.ytd }} tấn.\n";

/// A config root for the regime with the form's `columns`.
fn root_of(dir: &Path, columns: &str) {
    std::fs::create_dir_all(dir.join("indicators")).unwrap();
    std::fs::create_dir_all(dir.join("report-templates/thu")).unwrap();
    std::fs::write(dir.join("units.toml"), UNITS).unwrap();
    std::fs::write(dir.join("indicators/thu.toml"), INDICATORS).unwrap();
    std::fs::write(
        dir.join("report-templates/thu/regime.toml"),
        regime(columns),
    )
    .unwrap();
    std::fs::write(dir.join("report-templates/thu/de-cuong.md.tera"), OUTLINE).unwrap();
}

/// The figures each commune sends for month `m`: (indicator, thực hiện).
fn figures(unit: &str, m: u32) -> Vec<(&'static str, f64)> {
    let m = f64::from(m);
    match unit {
        // Sản lượng 10·m; 20 hồ sơ, 18 đúng hạn; 100 − m hộ nghèo.
        "99001" => vec![
            ("SL01", 10.0 * m),
            ("HS01", 20.0),
            ("HS02", 18.0),
            ("HN01", 100.0 - m),
        ],
        // 100 + m; 30 hồ sơ, 27 đúng hạn; 50 hộ nghèo.
        "99002" => vec![
            ("SL01", 100.0 + m),
            ("HS01", 30.0),
            ("HS02", 27.0),
            ("HN01", 50.0),
        ],
        // 5; 10 hồ sơ, 5 đúng hạn; 20 hộ nghèo.
        _ => vec![("SL01", 5.0), ("HS01", 10.0), ("HS02", 5.0), ("HN01", 20.0)],
    }
}

/// Month `m`'s inbox: each commune's exchange CSV, with its own running year-to-date where
/// `typed` (the commune's own bookkeeping; Xã Cát's October file has a negative figure and
/// is rejected).
fn inbox(dir: &Path, m: u32, typed: bool) {
    let period = format!("2026-{m:02}");
    let d = dir.join(&period);
    std::fs::create_dir_all(&d).unwrap();
    let mut log = String::from("file,received_at\n");
    for unit in ["99001", "99002", "99003"] {
        let mut csv = String::from("regime,period,unit_code,indicator_code,value,column\n");
        for (code, v) in figures(unit, m) {
            let v = if unit == "99003" && m == 10 && code == "SL01" {
                -5.0
            } else {
                v
            };
            csv.push_str(&format!("thu,{period},{unit},{code},{v},thuc_hien\n"));
            if typed {
                let ytd: f64 = (1..=m)
                    .map(|k| figures(unit, k).iter().find(|f| f.0 == code).unwrap().1)
                    .sum();
                // Xã An's own hồ sơ year-to-date is wrong in October (BC0801).
                let ytd = if unit == "99001" && m == 10 && code == "HS01" {
                    999.0
                } else {
                    ytd
                };
                csv.push_str(&format!("thu,{period},{unit},{code},{ytd},luy_ke\n"));
            }
        }
        let name = format!("{unit}-{period}.csv");
        std::fs::write(d.join(&name), csv).unwrap();
        log.push_str(&format!("{name},2026-{:02}-03T08:00:00\n", m % 12 + 1));
    }
    std::fs::write(d.join("nhan.csv"), log).unwrap();
}

/// Runs the regime for `period` on `dir/inbox` into `dir/out`, with the store `dir/history`
/// (or none); returns the exit code and stderr.
fn run_period(root: &Path, dir: &Path, period: &str, history: bool) -> (i32, String) {
    let history_dir = dir.join("history");
    let mut args = vec![
        "--root",
        s(root),
        "run",
        "--regime",
        "thu",
        "--period",
        period,
        "--inbox",
    ];
    let (inbox, out) = (dir.join("inbox"), dir.join("out"));
    args.extend([s(&inbox), "--out", s(&out), "--as-of", "2026-11-30", "-q"]);
    if history {
        args.extend(["--history", s(&history_dir)]);
    } else {
        args.push("--no-history");
    }
    let (code, _, err) = baocao(&args);
    (code, err)
}

/// Runs the ten months; returns October's output folder and its diagnostics (code, file,
/// message).
fn ten_months(dir: &Path, columns: &str, typed: bool) -> (PathBuf, Vec<(String, String, String)>) {
    root_of(&dir.join("root"), columns);
    for m in 1..=10 {
        inbox(&dir.join("inbox"), m, typed);
        let period = format!("2026-{m:02}");
        let (code, err) = run_period(&dir.join("root"), dir, &period, true);
        assert!(code == 0 || code == 1, "{period}: {err}");
    }
    let out = dir.join("out/thu/2026-10");
    let found = diagnostics(&out.join("tong-hop.xlsx"));
    (out, found)
}

/// The province's figure of `code` in `column` from du-lieu.csv.
fn province(out: &Path, code: &str, column: &str) -> f64 {
    csv_rows(&out.join("du-lieu.csv"))
        .into_iter()
        .find(|r| r["unit_code"] == "99" && r["indicator_code"] == code && r["column"] == column)
        .unwrap_or_else(|| panic!("no {code} {column} for the province"))["value"]
        .parse()
        .unwrap()
}

/// Checks the province's October year-to-date, as computed by hand.
fn assert_october(out: &Path) {
    // Sản lượng: the ten monthly province totals. January–September: 10m + (100 + m) + 5
    // = 116, 127, …, 204 (sum 1.440); October without the rejected Xã Cát: 100 + 110 = 210.
    assert_eq!(province(out, "SL01", "thuc_hien"), 210.0);
    assert_eq!(province(out, "SL01", "luy_ke"), 1650.0);
    // Hộ nghèo is a stock: its year-to-date is October's value, 90 + 50 (not a sum of months).
    assert_eq!(province(out, "HN01", "thuc_hien"), 140.0);
    assert_eq!(province(out, "HN01", "luy_ke"), 140.0);
    // Hồ sơ: 9 × 60 + 50 = 590 received, 9 × 50 + 45 = 495 on time; the rate from these
    // year-to-date parts is 495 / 590 = 83,898…% (the mean of the monthly rates would be 84,0).
    assert_eq!(province(out, "HS01", "luy_ke"), 590.0);
    assert_eq!(province(out, "HS02", "luy_ke"), 495.0);
    let rate = province(out, "HS03", "luy_ke");
    assert!((rate - 495.0 / 590.0 * 100.0).abs() < 1e-6, "{rate}");
    // Xã Cát, rejected in October, keeps its nine months: 9 × 5.
    let cat = csv_rows(&out.join("du-lieu.csv"))
        .into_iter()
        .find(|r| {
            r["unit_code"] == "99003" && r["indicator_code"] == "SL01" && r["column"] == "luy_ke"
        })
        .expect("the rejected commune's year-to-date");
    assert_eq!(cat["value"], "45");

    // The consolidated form shows the year-to-date column whether units type it or not.
    let rows = sheet(&out.join("tong-hop.xlsx"), "Biểu số liệu");
    let header = rows
        .iter()
        .find(|r| r.iter().any(|c| text(c) == "Lũy kế từ đầu năm"))
        .expect("a year-to-date column");
    let col = header
        .iter()
        .position(|c| text(c) == "Lũy kế từ đầu năm")
        .unwrap();
    let sl01 = rows
        .iter()
        .find(|r| r.iter().any(|c| text(c) == "SL01"))
        .expect("the SL01 row");
    assert_eq!(num(&sl01[col]), Some(1650.0));
    // The note says that one of the three communes is not in October's figure.
    let note = header.iter().position(|c| text(c) == "Ghi chú").unwrap();
    assert_eq!(text(&sl01[note]), "2/3 đơn vị báo cáo");
}

#[test]
fn year_to_date_is_the_sum_of_the_provinces_monthly_totals_when_a_unit_is_rejected() {
    let dir = tempfile::tempdir().unwrap();
    let (out, diags) = ten_months(dir.path(), r#"["thuc_hien", "luy_ke"]"#, true);
    assert_october(&out);
    let codes: Vec<&str> = diags.iter().map(|d| d.0.as_str()).collect();
    assert!(codes.contains(&"BC0402"), "Xã Cát rejected: {codes:?}");
    // Xã An typed 999 hồ sơ year-to-date: the message names both figures, 200 is used.
    let mismatch: Vec<_> = diags.iter().filter(|d| d.0 == "BC0801").collect();
    assert_eq!(mismatch.len(), 1, "{mismatch:?}");
    assert!(mismatch[0].1.starts_with("99001-"), "{mismatch:?}");
    let message = &mismatch[0].2;
    assert!(
        message.contains("999") && message.contains("200"),
        "{message}"
    );
    // Nothing is missing from the store.
    assert!(!codes.contains(&"BC0804"), "{codes:?}");
}

#[test]
fn year_to_date_is_computed_when_the_form_has_no_cumulative_column() {
    let dir = tempfile::tempdir().unwrap();
    let (out, diags) = ten_months(dir.path(), r#"["thuc_hien"]"#, false);
    assert_october(&out);
    assert!(!diags.iter().any(|d| d.0 == "BC0801"), "{diags:?}");
}

#[test]
fn a_period_missing_from_the_store_is_named_and_the_units_typed_figure_is_used() {
    let dir = tempfile::tempdir().unwrap();
    root_of(&dir.path().join("root"), r#"["thuc_hien", "luy_ke"]"#);
    // Only March is run: January and February are not in the store.
    inbox(&dir.path().join("inbox"), 3, true);
    let (code, err) = run_period(&dir.path().join("root"), dir.path(), "2026-03", true);
    assert!(code == 0 || code == 1, "{err}");
    let out = dir.path().join("out/thu/2026-03");
    let gaps: Vec<_> = diagnostics(&out.join("tong-hop.xlsx"))
        .into_iter()
        .filter(|d| d.0 == "BC0804")
        .collect();
    assert_eq!(gaps.len(), 1, "{gaps:?}");
    assert!(gaps[0].2.contains("tháng 1/2026, tháng 2/2026"), "{gaps:?}");
    // Each commune typed its own year-to-date: 10 + 20 + 30, 101 + 102 + 103, 3 × 5.
    assert_eq!(province(&out, "SL01", "luy_ke"), 60.0 + 306.0 + 15.0);
}

#[test]
fn a_department_the_form_asks_nothing_of_is_not_a_reporter() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("root");
    root_of(&root, r#"["thuc_hien"]"#);
    // Two departments beside the communes: the form asks the communes everything, and Sở Tài
    // chính its own budget figure alone; Sở Xây dựng nothing.
    let units = UNITS.to_string()
        + "[[level]]\nname = \"so\"\nlabel = \"Sở\"\n"
        + "[[unit]]\ncode = \"STC\"\nname = \"Sở Tài chính\"\nlevel = \"so\"\nkind = \"so\"\nparent = \"99\"\n"
        + "[[unit]]\ncode = \"SXD\"\nname = \"Sở Xây dựng\"\nlevel = \"so\"\nkind = \"so\"\nparent = \"99\"\n";
    std::fs::write(root.join("units.toml"), units).unwrap();
    let indicators = INDICATORS.replace(
        "aggregation = \"sum\"\n",
        "aggregation = \"sum\"\nreported_by = [\"xa\"]\n",
    ) + "\n[[indicator]]\ncode = \"NS01\"\nname = \"Thu ngân sách\"\nunit = \"tỷ đồng\"\ntype = \"decimal\"\naggregation = \"none\"\nowner = \"STC\"\nowner_only = true\n";
    std::fs::write(root.join("indicators/thu.toml"), indicators).unwrap();
    let regime = std::fs::read_to_string(root.join("report-templates/thu/regime.toml"))
        .unwrap()
        .replace("levels = [\"xa\"]", "levels = [\"xa\", \"so\"]")
        .replace("\"HN01\"]", "\"HN01\", \"NS01\"]");
    std::fs::write(root.join("report-templates/thu/regime.toml"), regime).unwrap();
    inbox(&dir.path().join("inbox"), 3, false);
    let (code, err) = run_period(&root, dir.path(), "2026-03", false);
    // Sở Tài chính has not sent: exit 1.
    assert_eq!(code, 1, "{err}");
    let compliance = sheet(
        &dir.path().join("out/thu/2026-03/tong-hop.xlsx"),
        "Tuân thủ",
    );
    let listed = |code: &str| {
        compliance.iter().any(|r| {
            r.iter()
                .any(|c| text(c).contains(&format!("({code})")) || text(c) == code)
        })
    };
    assert!(listed("99001") && listed("STC"), "{compliance:?}");
    assert!(!listed("SXD"), "{compliance:?}");
    // No blank form for it either.
    let (code, out, err) = baocao(&[
        "--root",
        s(&root),
        "form",
        "--regime",
        "thu",
        "--period",
        "2026-03",
        "--out",
        s(&dir.path().join("forms")),
    ]);
    assert_eq!(code, 0, "{out}{err}");
    let names: Vec<String> = std::fs::read_dir(dir.path().join("forms"))
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().to_string())
        .collect();
    assert!(names.iter().any(|n| n.starts_with("STC-")), "{names:?}");
    assert!(!names.iter().any(|n| n.starts_with("SXD-")), "{names:?}");
}

/// Adds each commune's plan of the year for SL01 to its file of month `m`, as forms with a
/// plan column carry it every month: 1.200, 1.300 and 60 tấn.
fn add_plans(inbox: &Path, m: u32) {
    let period = format!("2026-{m:02}");
    for (unit, plan) in [("99001", 1200.0), ("99002", 1300.0), ("99003", 60.0)] {
        let f = inbox.join(&period).join(format!("{unit}-{period}.csv"));
        let mut csv = std::fs::read_to_string(&f).unwrap();
        csv.push_str(&format!("thu,{period},{unit},SL01,{plan},ke_hoach\n"));
        std::fs::write(&f, csv).unwrap();
    }
}

#[test]
fn the_provinces_plan_keeps_the_plan_of_a_unit_rejected_this_period() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("root");
    root_of(&root, r#"["ke_hoach", "thuc_hien", "luy_ke"]"#);
    for m in 1..=10 {
        inbox(&dir.path().join("inbox"), m, false);
        add_plans(&dir.path().join("inbox"), m);
        let period = format!("2026-{m:02}");
        let (code, err) = run_period(&root, dir.path(), &period, true);
        assert!(code == 0 || code == 1, "{period}: {err}");
    }
    let out = dir.path().join("out/thu/2026-10");
    // September: every commune sent, 1.200 + 1.300 + 60.
    assert_eq!(
        province(&dir.path().join("out/thu/2026-09"), "SL01", "ke_hoach"),
        2560.0
    );
    // October: Xã Cát is rejected, but its plan of the year (September's, from the store)
    // still counts: the plan does not shrink to 2.500 with the units missing this month.
    assert_eq!(province(&out, "SL01", "ke_hoach"), 2560.0);
    assert_october(&out);
    // "% kế hoạch" of the year-to-date: 1.650 / 2.560 = 64,45…% → 64,5.
    let rows = sheet(&out.join("tong-hop.xlsx"), "Biểu số liệu");
    let header = rows
        .iter()
        .find(|r| {
            r.iter()
                .any(|c| text(c).contains("kế hoạch") && text(c).contains('%'))
        })
        .expect("a % of plan column");
    let col = header
        .iter()
        .position(|c| text(c).contains("kế hoạch") && text(c).contains('%'))
        .unwrap();
    let sl01 = rows
        .iter()
        .find(|r| r.iter().any(|c| text(c) == "SL01"))
        .expect("the SL01 row");
    let pct =
        num(&sl01[col]).unwrap_or_else(|| text(&sl01[col]).replace(',', ".").parse().unwrap());
    assert!((pct - 64.5).abs() < 0.051, "{pct}");
}

//! End-to-end: the history store across runs — same period last year (imported from an
//! earlier `du-lieu.csv`), year-to-date cross-check, outliers, reruns and revisions.

mod common;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use baocao::catalog::{Config, InputColumn};
use baocao::render::form::CellValue;
use baocao::render::{form_file_name, unit_form};
use common::*;

fn run(inbox: &Path, out: &Path, history: &Path, period: &str, as_of: &str) -> i32 {
    let (code, _, err) = baocao(&[
        "--root",
        s(&samples()),
        "run",
        "--regime",
        "ktxh",
        "--period",
        period,
        "--inbox",
        s(inbox),
        "--out",
        s(out),
        "--history",
        s(history),
        "--as-of",
        as_of,
        "-q",
    ]);
    assert!(code == 0 || code == 1, "{period}: {err}");
    code
}

fn tree(dir: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
    let mut out = BTreeMap::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap().flatten() {
            if e.path().is_dir() {
                stack.push(e.path());
            } else {
                out.insert(e.path(), std::fs::read(e.path()).unwrap());
            }
        }
    }
    out
}

/// Rewrites a unit's form in `dir` with some figures changed, received at `received`.
fn rewrite(
    config: &Config,
    dir: &Path,
    unit: &str,
    period: &str,
    changes: &[(&str, InputColumn, f64)],
    received: &str,
) {
    let regime = config.regime("ktxh").unwrap();
    let period = period.parse().unwrap();
    let u = config.units.get(unit).unwrap();
    let mut fill = generated_fill(config, regime, u, period);
    for (code, col, v) in changes {
        fill.values
            .insert((code.to_string(), *col), CellValue::Number(*v));
    }
    let name = form_file_name(u, period);
    std::fs::write(
        dir.join(&name),
        unit_form(config, regime, period, u, Some(&fill)).unwrap(),
    )
    .unwrap();
    let log = dir.join("nhan.csv");
    let text: String = std::fs::read_to_string(&log)
        .unwrap()
        .lines()
        .map(|l| {
            if l.starts_with(&name) {
                format!("{name},{received}\n")
            } else {
                format!("{l}\n")
            }
        })
        .collect();
    std::fs::write(log, text).unwrap();
}

#[test]
fn the_store_gives_last_year_year_to_date_outliers_and_an_audited_revision() {
    let config = Config::load(&samples()).unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let t = tmp.path();
    let inbox = t.join("inbox");
    let mut periods: Vec<String> = vec!["2025-10".into()];
    periods.extend((1..=10).map(|m| format!("2026-{m:02}")));
    let root = samples();
    let mut args = vec![
        "--root",
        s(&root),
        "synth",
        "samples",
        "--regime",
        "ktxh",
        "--out",
        s(&inbox),
        "--periods",
    ];
    args.extend(periods.iter().map(String::as_str));
    assert_eq!(baocao(&args).0, 0);

    // Last year comes from an earlier output, imported.
    run(
        &inbox,
        &t.join("o-2025"),
        &t.join("h-2025"),
        "2025-10",
        "2025-11-30",
    );
    let history = t.join("history");
    let (code, out, err) = baocao(&[
        "--root",
        s(&samples()),
        "import-history",
        "--history",
        s(&history),
        s(&t.join("o-2025/ktxh/2025-10/du-lieu.csv")),
    ]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("2025-10"), "{out}");

    for m in 1..=9 {
        run(
            &inbox,
            &t.join("o"),
            &history,
            &format!("2026-{m:02}"),
            "2026-11-22",
        );
    }
    assert!(history
        .join("regime=ktxh/period=2026-09/data.parquet")
        .is_file());

    // A rerun on the same inputs leaves the store as it was.
    let before = tree(&history);
    run(&inbox, &t.join("o"), &history, "2026-09", "2026-11-22");
    assert!(tree(&history) == before, "rerun changed the store");

    // October, with an outlier (Tân Phú's commune budget ×20) and a wrong year-to-date
    // (Phước An's grain output).
    let oct = inbox.join("2026-10");
    let regime = config.regime("ktxh").unwrap();
    let ns04 = baocao::synth::unit_values(
        &config,
        regime,
        config.units.get("99011").unwrap(),
        "2026-10".parse().unwrap(),
    )[&("NS04".to_string(), InputColumn::ThucHien)];
    rewrite(
        &config,
        &oct,
        "99011",
        "2026-10",
        &[("NS04", InputColumn::ThucHien, ns04 * 20.0)],
        "2026-10-15T08:00",
    );
    rewrite(
        &config,
        &oct,
        "99009",
        "2026-10",
        &[("NN05", InputColumn::LuyKe, 1.0)],
        "2026-10-15T08:00",
    );
    run(&inbox, &t.join("o"), &history, "2026-10", "2026-11-22");
    let xlsx = t.join("o/ktxh/2026-10/tong-hop.xlsx");
    let diags = diagnostics(&xlsx);
    let outliers: Vec<&(String, String, String)> =
        diags.iter().filter(|d| d.0 == "BC0802").collect();
    assert!(
        outliers
            .iter()
            .any(|d| d.1.starts_with("99011-") && d.2.contains("NS04")),
        "{outliers:?}"
    );
    // The only others: Tân Lập's visitors, the ambiguous "2.345" of the samples' faults.
    for d in &outliers {
        let expected = (d.1.starts_with("99011-") && d.2.contains("NS04"))
            || (d.1.starts_with("99012-") && (d.2.contains("DL01") || d.2.contains("DL02")));
        assert!(expected, "unexpected outlier: {d:?}");
    }
    let ytd: Vec<&(String, String, String)> = diags.iter().filter(|d| d.0 == "BC0801").collect();
    assert!(
        ytd.iter()
            .any(|d| d.1.starts_with("99009-") && d.2.contains("NN05")),
        "{ytd:?}"
    );
    // Besides the two tampered units, only Tân Lập, whose "2.345" (a deliberate fault of the
    // samples) does not add up with its year-to-date.
    assert!(
        ytd.iter()
            .all(|d| (d.1.starts_with("99009-") && d.2.contains("NN05"))
                || (d.1.starts_with("99011-") && d.2.contains("NS04"))
                || d.1.starts_with("99012-")),
        "{ytd:?}"
    );

    // The same period last year, in the form and the narrative.
    let last_year: BTreeMap<String, f64> = csv_rows(&t.join("o-2025/ktxh/2025-10/du-lieu.csv"))
        .into_iter()
        .filter(|r| r["unit_code"] == "99" && r["column"] == "thuc_hien")
        .map(|r| (r["indicator_code"].clone(), r["value"].parse().unwrap()))
        .collect();
    let rows = sheet(&xlsx, "Biểu số liệu");
    let header = rows
        .iter()
        .position(|r| r.iter().any(|c| text(c) == "Mã số"))
        .unwrap();
    let col = rows[header]
        .iter()
        .position(|c| text(c).starts_with("Cùng kỳ năm trước (tháng 10/2025)"))
        .expect("column");
    let vs = rows[header]
        .iter()
        .position(|c| text(c).contains("so với cùng kỳ (%)"))
        .expect("column");
    let now = rows[header]
        .iter()
        .position(|c| text(c).starts_with("Thực hiện kỳ báo cáo"))
        .unwrap();
    let mut checked = 0;
    for r in &rows[header + 1..] {
        let code = text(&r[1]);
        if let (Some(want), Some(got)) = (last_year.get(&code), r.get(col).and_then(num)) {
            if config
                .indicator(&code)
                .is_some_and(|i| i.aggregation == baocao::catalog::Aggregation::Sum)
            {
                assert!((want - got).abs() < 1e-6, "{code}: {got} vs {want}");
                let index = num(&r[now]).unwrap() / want * 100.0;
                assert!(
                    (num(&r[vs]).unwrap() - (index * 10.0).round() / 10.0).abs() < 1e-9,
                    "{code}"
                );
                checked += 1;
            }
        }
    }
    assert!(checked > 25, "{checked}");
    let md = std::fs::read_to_string(t.join("o/ktxh/2026-10/bao-cao.md")).unwrap();
    assert!(md.contains("so với cùng kỳ năm trước"), "{md}");

    // With a month missing from the store, no year-to-date check is made.
    std::fs::remove_dir_all(history.join("regime=ktxh/period=2026-05")).unwrap();
    run(&inbox, &t.join("o2"), &history, "2026-10", "2026-11-22");
    assert!(!diagnostics(&t.join("o2/ktxh/2026-10/tong-hop.xlsx"))
        .iter()
        .any(|d| d.0 == "BC0801"));

    // A corrected September report replaces the earlier one; the change is audited.
    let sep = inbox.join("2026-09");
    rewrite(
        &config,
        &sep,
        "99009",
        "2026-09",
        &[("NN05", InputColumn::ThucHien, 4321.5)],
        "2026-09-20T10:00",
    );
    run(&inbox, &t.join("o"), &history, "2026-09", "2026-11-22");
    let (code, out, err) = baocao(&[
        "--root",
        s(&samples()),
        "history",
        "--regime",
        "ktxh",
        "--unit",
        "99009",
        "--indicator",
        "NN05",
        "--history",
        s(&history),
        "--format",
        "json",
    ]);
    assert_eq!(code, 0, "{err}");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    let revision = v["revisions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| {
            r["period"] == "2026-09" && r["column"] == "thuc_hien" && r["old_value"].is_number()
        })
        .expect("the September revision");
    assert_eq!(revision["new_value"], 4321.5);
    assert_eq!(revision["received_at"], "2026-09-20T10:00:00");
    let sept: Vec<&serde_json::Value> = v["values"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|x| x["period"] == "2026-09" && x["column"] == "thuc_hien")
        .collect();
    assert_eq!(sept.len(), 1, "replaced, not duplicated");
    assert_eq!(sept[0]["value"], 4321.5);
}

#[test]
fn an_estimate_revised_by_next_months_actual_keeps_both_vintages_and_ytd_uses_the_actual() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().join("root");
    copy_samples_root(&root);
    let p = root.join("report-templates/ktxh/regime.toml");
    let regime = std::fs::read_to_string(&p)
        .unwrap()
        .replace(
            "columns = [\"ke_hoach\", \"thuc_hien\", \"luy_ke\"]",
            "columns = [\"ke_hoach\", \"ky_truoc\", \"thuc_hien\", \"luy_ke\"]",
        )
        .replace(
            "include_own_figures = false",
            "include_own_figures = false\nvalue_status = \"uoc\"",
        );
    std::fs::write(&p, regime).unwrap();
    let config = Config::load(&root).unwrap_or_else(|e| panic!("{e}"));
    let reg = config.regime("ktxh").unwrap();
    let unit = config.units.get("99009").unwrap();
    let write = |period: &str, values: &[(InputColumn, f64)]| {
        let per: baocao::period::Period = period.parse().unwrap();
        let dir = tmp.path().join("inbox").join(period);
        std::fs::create_dir_all(&dir).unwrap();
        let mut fill = generated_fill(&config, reg, unit, per);
        for (col, v) in values {
            fill.values
                .insert(("NN05".into(), *col), CellValue::Number(*v));
        }
        let name = form_file_name(unit, per);
        std::fs::write(
            dir.join(&name),
            unit_form(&config, reg, per, unit, Some(&fill)).unwrap(),
        )
        .unwrap();
        std::fs::write(
            dir.join("nhan.csv"),
            format!("file,received_at\n{name},{period}-16T08:00\n"),
        )
        .unwrap();
    };
    write(
        "2026-01",
        &[
            (InputColumn::ThucHien, 1523.76),
            (InputColumn::LuyKe, 1523.76),
        ],
    );
    let history = tmp.path().join("history");
    let run = |period: &str, out: &str| {
        let (code, _, err) = baocao(&[
            "--root",
            s(&root),
            "run",
            "--regime",
            "ktxh",
            "--period",
            period,
            "--inbox",
            s(&tmp.path().join("inbox")),
            "--out",
            s(&tmp.path().join(out)),
            "--history",
            s(&history),
            "--as-of",
            "2026-03-01",
            "-q",
        ]);
        assert!(code <= 1, "{err}");
    };
    run("2026-01", "o1");
    // February's form: January's actual beside February's estimate; the year-to-date is
    // built on the actual (1527,30 + 500).
    write(
        "2026-02",
        &[
            (InputColumn::KyTruoc, 1527.30),
            (InputColumn::ThucHien, 500.0),
            (InputColumn::LuyKe, 2027.30),
        ],
    );
    run("2026-02", "o2");
    let diags = diagnostics(&tmp.path().join("o2/ktxh/2026-02/tong-hop.xlsx"));
    assert!(
        !diags
            .iter()
            .any(|d| d.0 == "BC0801" && d.2.contains("NN05")),
        "{diags:?}"
    );

    let store = baocao::store::Store::new(&history);
    let jan: baocao::period::Period = "2026-01".parse().unwrap();
    let key = (
        baocao::diag::Shared::from("99009"),
        baocao::diag::Shared::from("NN05"),
        InputColumn::ThucHien,
    );
    let rows: Vec<_> = store
        .read("ktxh", jan)
        .unwrap()
        .into_iter()
        .filter(|r| r.unit_code == key.0 && r.indicator_code == key.1 && r.column == key.2)
        .collect();
    assert_eq!(rows.len(), 2, "the estimate and the actual are both kept");
    assert_eq!(
        store.latest("ktxh", jan, None).unwrap()[&key].value,
        1527.30
    );
    assert_eq!(
        store
            .latest("ktxh", jan, Some(baocao::store::ValueStatus::Uoc))
            .unwrap()[&key]
            .value,
        1523.76
    );

    // A February form whose year-to-date does not add up is flagged.
    write(
        "2026-02",
        &[
            (InputColumn::KyTruoc, 1527.30),
            (InputColumn::ThucHien, 500.0),
            (InputColumn::LuyKe, 1900.0),
        ],
    );
    run("2026-02", "o3");
    let diags = diagnostics(&tmp.path().join("o3/ktxh/2026-02/tong-hop.xlsx"));
    assert!(
        diags
            .iter()
            .any(|d| d.0 == "BC0801" && d.2.contains("NN05")),
        "{diags:?}"
    );
}

/// `import-history` of a `du-lieu.csv` into `history`, with the config `root`.
fn import_history(root: &Path, history: &Path, csv: &Path) {
    let (code, _, err) = baocao(&[
        "--root",
        s(root),
        "import-history",
        "--history",
        s(history),
        s(csv),
    ]);
    assert_eq!(code, 0, "{err}");
}

/// ktxh October 2026 run on the samples' inbox with the config `root` and the store
/// `history`, into `out`; the period's output folder.
fn run_october(root: &Path, history: &Path, out: &Path) -> PathBuf {
    let (code, _, err) = baocao(&[
        "--root",
        s(root),
        "run",
        "--regime",
        "ktxh",
        "--period",
        "2026-10",
        "--inbox",
        s(&samples().join("inbox/ktxh")),
        "--out",
        s(out),
        "--history",
        s(history),
        "--as-of",
        "2026-11-22",
        "-q",
    ]);
    assert!(code <= 1, "{err}");
    out.join("ktxh/2026-10")
}

/// The province's "Cùng kỳ năm trước" figure of `code` on the list form of the output folder
/// `dir`'s workbook.
fn last_year_in_workbook(dir: &Path, code: &str) -> Option<f64> {
    let rows = sheet(&dir.join("tong-hop.xlsx"), "Biểu số liệu");
    let header = rows
        .iter()
        .position(|r| r.iter().any(|c| text(c) == "Mã số"))
        .unwrap();
    let col = rows[header]
        .iter()
        .position(|c| text(c).starts_with("Cùng kỳ năm trước"))
        .expect("column");
    rows[header + 1..]
        .iter()
        .find(|r| text(&r[1]) == code)
        .and_then(|r| r.get(col).and_then(num))
}

/// The samples' config root in `tmp` with `succession` as its succession.toml, and a store
/// holding last October's `rows` (of an exchange CSV, without its header): (root, store).
fn merger(tmp: &Path, succession: &str, rows: &str) -> (PathBuf, PathBuf) {
    let root = tmp.join("root");
    copy_samples_root(&root);
    std::fs::write(root.join("succession.toml"), succession).unwrap();
    let old = tmp.join("du-lieu-2025-10.csv");
    std::fs::write(
        &old,
        format!("regime,period,unit_code,indicator_code,value,unit_of_measure,column\n{rows}"),
    )
    .unwrap();
    let history = tmp.join("history");
    import_history(&root, &history, &old);
    (root, history)
}

#[test]
fn a_merged_units_same_period_last_year_is_the_sum_of_its_predecessors() {
    let tmp = tempfile::tempdir().unwrap();
    let (root, history) = merger(
        tmp.path(),
        "[[succession]]\nnew = \"99001\"\nold = [\"98001\", \"98002\"]\ndate = 2025-07-01\nnote = \"Nghị quyết sắp xếp đơn vị hành chính cấp xã\"\n",
        "ktxh,2025-10,98001,NN05,100,tấn,thuc_hien\n\
         ktxh,2025-10,98002,NN05,50.5,tấn,thuc_hien\n\
         ktxh,2025-10,98001,HC05,90,%,thuc_hien\n",
    );
    let dir = run_october(&root, &history, &tmp.path().join("out"));
    let value = |code: &str| last_year_in_workbook(&dir, code);
    assert_eq!(
        value("NN05"),
        Some(150.5),
        "100 + 50,5 from the two predecessors"
    );
    assert_eq!(
        value("HC05"),
        None,
        "an average cannot be carried over by adding"
    );
    let md = std::fs::read_to_string(dir.join("bao-cao.md")).unwrap();
    assert!(
        md.contains("Số liệu cùng kỳ năm trước của Phường An Lạc (99001) gồm cả số liệu của các đơn vị đã sắp xếp vào đơn vị này từ ngày 01/07/2025: 98001, 98002 (các chỉ tiêu cộng được). Ghi chú: Nghị quyết sắp xếp đơn vị hành chính cấp xã."),
        "{md}"
    );
    // Old units not in units.toml: check-config says what is lost.
    let (code, out, err) = baocao(&["--root", s(&root), "check-config"]);
    assert_eq!(code, 0, "{err}");
    assert!(
        out.contains("succession.toml › [[succession]] thứ 1, old: đơn vị cũ \"98002\" không có trong units.toml")
            && out.contains("Giữ đơn vị cũ trong units.toml với valid_to = 2025-06-30"),
        "{out}"
    );
    // A unit merged into itself is a config error.
    std::fs::write(
        root.join("succession.toml"),
        "[[succession]]\nnew = \"99001\"\nold = [\"98001\", \"99001\"]\ndate = 2025-07-01\n",
    )
    .unwrap();
    let (code, _, err) = baocao(&["--root", s(&root), "check-config"]);
    assert_eq!(code, 2);
    assert!(
        err.contains(
            "succession.toml › [[succession]] thứ 1, old: đơn vị mới \"99001\" cũng có trong old"
        ),
        "{err}"
    );
    // A succession naming a unit that does not exist is a config error.
    std::fs::write(
        root.join("succession.toml"),
        "[[succession]]\nnew = \"77777\"\nold = [\"98001\"]\ndate = 2025-07-01\n",
    )
    .unwrap();
    let (code, _, err) = baocao(&["--root", s(&root), "check-config"]);
    assert_eq!(code, 2);
    assert!(
        err.contains("succession.toml › [[succession]] thứ 1, new"),
        "{err}"
    );
}

#[test]
fn a_merged_units_average_still_counts_for_the_province_of_its_year() {
    // Last October the province had 98001 and 99002 reporting the SIPAS index (an average):
    // 90 and 70, so the province's figure was (90 + 70) / 2 = 80. 98001 has since merged into
    // 99001; the province's last-year figure is still 80, not 70 (98001 left out), and its
    // rice output (a sum) is 100 + 50,5 + 20 + 1.000 = 1.170,5: 99001 reported itself last
    // year, and the old communes' figures add to its own (they were once dropped).
    let tmp = tempfile::tempdir().unwrap();
    let (root, history) = merger(
        tmp.path(),
        "[[succession]]\nnew = \"99001\"\nold = [\"98001\", \"98002\"]\ndate = 2026-01-01\n",
        "ktxh,2025-10,98001,NN05,100,tấn,thuc_hien\n\
         ktxh,2025-10,98002,NN05,50.5,tấn,thuc_hien\n\
         ktxh,2025-10,99002,NN05,20,tấn,thuc_hien\n\
         ktxh,2025-10,99001,NN05,1000,tấn,thuc_hien\n\
         ktxh,2025-10,98001,HC05,90,%,thuc_hien\n\
         ktxh,2025-10,99002,HC05,70,%,thuc_hien\n",
    );
    let mut units = std::fs::read_to_string(root.join("units.toml")).unwrap();
    for code in ["98001", "98002"] {
        units.push_str(&format!(
            "\n[[unit]]\ncode = \"{code}\"\nname = \"Xã cũ {code}\"\nlevel = \"xa\"\nparent = \"99\"\nvalid_to = 2025-12-31\n"
        ));
    }
    std::fs::write(root.join("units.toml"), units).unwrap();
    let dir = run_october(&root, &history, &tmp.path().join("out"));
    assert_eq!(last_year_in_workbook(&dir, "NN05"), Some(1170.5));
    assert_eq!(last_year_in_workbook(&dir, "HC05"), Some(80.0));
    // Only October was loaded of last year: its year-to-date is left out, and the run says
    // which periods to load.
    let said: Vec<String> = diagnostics(&dir.join("tong-hop.xlsx"))
        .into_iter()
        .filter(|(code, ..)| code == "BC0804")
        .map(|(.., message)| message)
        .collect();
    assert!(
        said.iter().any(|m| m.starts_with(
            "Kho lịch sử có số liệu của tháng 10/2025 nhưng chưa có của tháng 1/2025, "
        ) && m
            .contains("tháng 9/2025 (chế độ ktxh): cột \"Lũy kế cùng kỳ năm trước\" để trống")),
        "{said:?}"
    );
    // check-config is quiet about this succession, and speaks when an old unit outlives it.
    let (code, out, err) = baocao(&["--root", s(&root), "check-config"]);
    assert_eq!(code, 0, "{err}");
    assert!(
        !out.contains("succession") && !out.contains("98001"),
        "{out}"
    );
    let units = std::fs::read_to_string(root.join("units.toml")).unwrap();
    std::fs::write(
        root.join("units.toml"),
        units.replacen("valid_to = 2025-12-31", "valid_to = 2026-03-31", 1),
    )
    .unwrap();
    let (code, out, err) = baocao(&["--root", s(&root), "check-config"]);
    assert_eq!(code, 0, "{err}");
    assert!(
        out.contains("units.toml › [[unit]] 98001, valid_to: đơn vị Xã cũ 98001 (98001) sáp nhập vào Phường An Lạc (99001) từ ngày 01/01/2026 (succession.toml) nhưng vẫn hoạt động từ ngày ấy trở đi (valid_to = 2026-03-31)")
            && out.contains("Đặt valid_to = 2025-12-31 cho đơn vị 98001"),
        "{out}"
    );
}

#[test]
fn last_year_kept_beside_the_store_is_used_on_a_rerun_and_rebuilt_when_the_store_changes() {
    let tmp = tempfile::tempdir().unwrap();
    let history = tmp.path().join("history");
    let import = |name: &str, rows: &str| {
        let csv = tmp.path().join(name);
        std::fs::write(
            &csv,
            format!("regime,period,unit_code,indicator_code,value,unit_of_measure,column\n{rows}"),
        )
        .unwrap();
        import_history(&samples(), &history, &csv);
    };
    let run = |out: &str| run_october(&samples(), &history, &tmp.path().join(out));
    // NN05 "Sản lượng lương thực" of the province in October last year, from the workbook.
    let last_year = |dir: &Path| last_year_in_workbook(dir, "NN05");
    import(
        "a.csv",
        "ktxh,2025-10,99001,NN05,100,tấn,thuc_hien\nktxh,2025-10,99002,NN05,50.5,tấn,thuc_hien\n",
    );
    let first = run("o1");
    assert_eq!(last_year(&first), Some(150.5), "100 + 50,5");
    let kept = history.join(".bo-nho-dem/ktxh/cung-ky-nam-truoc-2025-10.json");
    assert!(kept.is_file());
    // A rerun takes it: the same workbook, to the byte.
    let again = run("o2");
    assert!(
        std::fs::read(first.join("tong-hop.xlsx")).unwrap()
            == std::fs::read(again.join("tong-hop.xlsx")).unwrap()
    );
    // A kept figure the store no longer gives is never shown: October last year is imported
    // again (an import replaces the period's figures), with another unit's alone, and the
    // rerun rebuilds it.
    import("b.csv", "ktxh,2025-10,99003,NN05,9.5,tấn,thuc_hien\n");
    let changed = run("o3");
    assert_eq!(last_year(&changed), Some(9.5));
    // The same outputs as a run with nothing kept.
    std::fs::remove_dir_all(history.join(".bo-nho-dem")).unwrap();
    let fresh = run("o4");
    for name in ["tong-hop.xlsx", "bao-cao.md", "bang-tin.html"] {
        assert!(
            std::fs::read(changed.join(name)).unwrap() == std::fs::read(fresh.join(name)).unwrap(),
            "{name}"
        );
    }
    // Parquet readers see the store's partitions only.
    assert!(kept.is_file());
}

#[test]
fn a_mistyped_file_to_import_is_the_officers_to_fix_not_the_machines() {
    let tmp = tempfile::tempdir().unwrap();
    let missing = tmp.path().join("du-lieu-2025-10.csv");
    let (code, _, err) = baocao(&[
        "--root",
        s(&samples()),
        "import-history",
        "--history",
        s(&tmp.path().join("history")),
        s(&missing),
    ]);
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains(&format!("không có tệp hoặc thư mục {}", missing.display())),
        "{err}"
    );
    assert!(!tmp.path().join("history").exists(), "nothing made");
}

#[test]
fn figures_of_a_unit_not_yet_in_being_are_loaded_and_said() {
    // The samples' communes came into being on 1/7/2025 (the reorganisation): March 2025's
    // figures for Phường Bình Minh are loaded as sent, with a warning naming unit and period.
    let tmp = tempfile::tempdir().unwrap();
    let csv = tmp.path().join("du-lieu.csv");
    std::fs::write(
        &csv,
        "regime,period,unit_code,indicator_code,value,unit_of_measure,column\n\
         ktxh,2025-03,99002,NN05,20,tấn,thuc_hien\n\
         ktxh,2025-10,99002,NN05,25,tấn,thuc_hien\n",
    )
    .unwrap();
    let (code, out, err) = baocao(&[
        "--root",
        s(&samples()),
        "import-history",
        "--history",
        s(&tmp.path().join("history")),
        s(&csv),
    ]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("Đã nạp 2 số liệu"), "{out}");
    assert!(
        err.contains("đơn vị không hoạt động trong kỳ của số liệu (theo valid_from, valid_to trong units.toml) — Phường Bình Minh (99002): 2025-03."),
        "{err}"
    );
}

//! Matrix forms end to end: the sample `tthc` regime (Biểu II.06a/VPCP/KSTT) and the `cbcc`
//! statistics form — forms written by `baocao form`, filled, read back cell by cell,
//! consolidated per cell, derived rates recomputed from consolidated counts.

mod common;

use std::collections::BTreeMap;
use std::path::Path;

use baocao::catalog::{Config, InputColumn};
use baocao::render::form::CellValue;
use baocao::render::{form_file_name, unit_form, Fill};
use calamine::Data;
use common::*;

fn samples_config() -> Config {
    Config::load(&samples()).unwrap_or_else(|e| panic!("{e}"))
}

/// The row of `rows` whose cells, from `from`, read 1, 2, 3, … up to `n`.
fn numbering_row(rows: &[Vec<Data>], from: usize, n: usize) -> Option<usize> {
    rows.iter().position(|r| {
        (0..n).all(|i| r.get(from + i).and_then(num) == Some((i + 1) as f64))
            && r.get(from + n).and_then(num).is_none()
    })
}

#[test]
fn the_06a_form_has_three_header_rows_and_numbers_its_columns_1_to_13() {
    let tmp = tempfile::tempdir().unwrap();
    let (code, out, err) = baocao(&[
        "--root",
        s(&samples()),
        "form",
        "--regime",
        "tthc",
        "--period",
        "2026-Q3",
        "--unit",
        "99009",
        "--out",
        s(tmp.path()),
    ]);
    assert_eq!(code, 0, "{out}{err}");
    let file = tmp.path().join("99009-xa-phuoc-an-2026-Q3.xlsx");
    let rows = sheet(&file, "Biểu số liệu");
    let n = numbering_row(&rows, 0, 13).expect("a numbering row 1 … 13");
    // Three header rows above the numbering row, as on the real form.
    let h = |r: usize, c: usize| text(&rows[r][c]);
    assert_eq!(h(n - 3, 0), "TT");
    assert_eq!(h(n - 3, 1), "Lĩnh vực");
    assert_eq!(h(n - 3, 2), "Số hồ sơ nhận giải quyết");
    assert_eq!(h(n - 2, 3), "Trong đó");
    // A label under a single group spans the two lower header rows.
    assert_eq!(h(n - 2, 2), "Tổng số");
    assert_eq!(h(n - 1, 3), "Trực tuyến");
    assert_eq!(h(n - 1, 4), "Trực tiếp, dịch vụ bưu chính công ích");
    assert_eq!(h(n - 1, 5), "Từ kỳ trước chuyển qua");
    assert_eq!(h(n - 3, 6), "Số hồ sơ đã giải quyết");
    assert_eq!(h(n - 2, 7), "Trước hạn");
    assert_eq!(h(n - 3, 10), "Số hồ sơ đang giải quyết");
    assert_eq!(h(n - 2, 12), "Quá hạn");
    // One row per lĩnh vực (10 in linh-vuc.csv), then the total row.
    assert_eq!(h(n + 1, 1), "Hộ tịch");
    assert_eq!(h(n + 10, 1), "Tôn giáo Chính phủ");
    assert_eq!(h(n + 11, 1), "Tổng số");
    assert!(text(&rows[n + 12][1]).is_empty());
}

/// A filled 06a form of `unit` with every cell given, plus what was typed.
fn filled_06a(config: &Config, unit: &str, dir: &Path) -> BTreeMap<String, f64> {
    let regime = config.regime("tthc").unwrap();
    let period = "2026-Q3".parse().unwrap();
    let u = config.units.get(unit).unwrap();
    let values = baocao::synth::matrix_values(config, u, period);
    let mut fill = Fill::default();
    for (k, v) in &values {
        fill.values.insert(k.clone(), CellValue::Number(*v));
    }
    std::fs::create_dir_all(dir).unwrap();
    let name = form_file_name(u, period);
    std::fs::write(
        dir.join(&name),
        unit_form(config, regime, period, u, Some(&fill)).unwrap(),
    )
    .unwrap();
    received(dir, &name);
    values
        .into_iter()
        .filter(|((_, c), _)| *c == InputColumn::ThucHien)
        .map(|((k, _), v)| (k, v))
        .collect()
}

/// A receipt log saying `name` came in on 15/09/2026, before the communes' deadline.
fn received(dir: &Path, name: &str) {
    std::fs::write(
        dir.join("nhan.csv"),
        format!("file,received_at\n{name},2026-09-15T08:00\n"),
    )
    .unwrap();
}

/// `check --format json` of the 06a regime, as of 15/09/2026 (no unit is missing yet).
fn check_json(paths: &[&Path]) -> serde_json::Value {
    let mut args = vec![
        "--root",
        s(&samples()).to_owned().leak(),
        "check",
        "--regime",
        "tthc",
        "--period",
        "2026-Q3",
        "--as-of",
        "2026-09-15",
        "--format",
        "json",
    ];
    for p in paths {
        args.push(s(p).to_owned().leak());
    }
    let (_, out, err) = baocao(&args);
    serde_json::from_str(&out).unwrap_or_else(|e| panic!("{e}: {out}{err}"))
}

#[test]
fn a_filled_06a_form_is_read_back_exactly_cell_by_cell() {
    let config = samples_config();
    let tmp = tempfile::tempdir().unwrap();
    let typed = filled_06a(&config, "99011", tmp.path());
    let v = check_json(&[tmp.path()]);
    assert!(
        v["diagnostics"].as_array().unwrap().is_empty(),
        "{}",
        v["diagnostics"]
    );
    let read: BTreeMap<String, f64> = v["submissions"][0]["values"]
        .as_object()
        .unwrap()
        .iter()
        .map(|(k, x)| (k.clone(), x.as_f64().unwrap()))
        .collect();
    // Every printed cell: 10 lĩnh vực rows and the total row × 11 columns.
    assert_eq!(read.len(), 11 * 11);
    for (k, x) in &read {
        assert_eq!(typed.get(k), Some(x), "{k}");
    }
    assert!(read.contains_key("TT01[linh_vuc=ho_tich;nguon=truc_tuyen]"));
    assert!(read.contains_key("TT03[han=qua_han]"));
}

#[test]
fn a_total_that_disagrees_with_its_parts_is_diagnosed_with_its_cells() {
    let config = samples_config();
    let regime = config.regime("tthc").unwrap();
    let period = "2026-Q3".parse().unwrap();
    let u = config.units.get("99011").unwrap();
    let mut fill = Fill::default();
    for (k, v) in baocao::synth::matrix_values(&config, u, period) {
        fill.values.insert(k, CellValue::Number(v));
    }
    // Hộ tịch: 7 = 8 + 9 + 10 broken by typing 5 more in column 7; Đất đai: total left
    // empty, computed from its parts.
    let th = |k: &str| (k.to_string(), InputColumn::ThucHien);
    let CellValue::Number(settled) = fill.values[&th("TT02[linh_vuc=ho_tich]")].clone() else {
        panic!()
    };
    fill.values.insert(
        th("TT02[linh_vuc=ho_tich]"),
        CellValue::Number(settled + 5.0),
    );
    fill.values.remove(&th("TT01[linh_vuc=dat_dai]"));
    let tmp = tempfile::tempdir().unwrap();
    std::fs::write(
        tmp.path().join("f.xlsx"),
        unit_form(&config, regime, period, u, Some(&fill)).unwrap(),
    )
    .unwrap();
    received(tmp.path(), "f.xlsx");
    let v = check_json(&[tmp.path()]);
    let diags = v["diagnostics"].as_array().unwrap();
    let codes: Vec<&str> = diags.iter().map(|d| d["code"].as_str().unwrap()).collect();
    // The typo breaks two identities: the row (7 = 8 + 9 + 10) and column 7's total row
    // (the total of column 7 = the sum of the lĩnh vực rows).
    // In row order: Hộ tịch (row 14), Đất đai (row 16, the computed total), the total row.
    assert_eq!(codes, ["BC0407", "BC0409", "BC0407"], "{diags:#?}");
    let row = diags
        .iter()
        .find(|d| d["message"].as_str().unwrap().contains("Hộ tịch"))
        .unwrap();
    // Header block rows 1–9, headers 10–12, numbering 13: Hộ tịch is row 14; column 7 is G.
    assert_eq!(row["cell"], "G14");
    let msg = row["message"].as_str().unwrap();
    assert!(msg.contains("Trước hạn H"), "{msg}");
    assert!(msg.contains("(lệch 5)"), "{msg}");
    assert_eq!(row["severity"], "warning");
    // A warning does not reject the form; the computed total is in the values.
    assert_eq!(v["submissions"][0]["status"], "accepted");
    assert!(v["submissions"][0]["values"]["TT01[linh_vuc=dat_dai]"].is_number());
}

fn run_tthc(root: &Path, inbox: &Path, out: &Path) -> (i32, String) {
    let (code, stdout, stderr) = baocao(&[
        "--root",
        s(root),
        "run",
        "--regime",
        "tthc",
        "--period",
        "2026-Q3",
        "--inbox",
        s(inbox),
        "--out",
        s(out),
        "--as-of",
        "2026-09-30",
        "--no-history",
        "-q",
    ]);
    (code, format!("{stdout}{stderr}"))
}

/// (unit, indicator, disagg) → value of the `thuc_hien` rows of a `du-lieu.csv`.
fn cells_of(csv: &Path) -> BTreeMap<(String, String, String), f64> {
    csv_rows(csv)
        .into_iter()
        .filter(|r| r["column"] == "thuc_hien")
        .map(|r| {
            (
                (
                    r["unit_code"].clone(),
                    r["indicator_code"].clone(),
                    r["disagg"].clone(),
                ),
                r["value"].parse().unwrap(),
            )
        })
        .collect()
}

#[test]
fn the_sample_06a_run_sums_every_cell_and_recomputes_the_rate_from_the_sums() {
    let tmp = tempfile::tempdir().unwrap();
    let (code, log) = run_tthc(
        &samples(),
        &samples().join("inbox/tthc/2026-Q3"),
        tmp.path(),
    );
    // The deliberate faults are warnings: every unit is accepted.
    assert_eq!(code, 0, "{log}");
    let dir = tmp.path().join("tthc/2026-Q3");
    let cells = cells_of(&dir.join("du-lieu.csv"));
    let config = samples_config();
    let reporters: Vec<String> = config
        .reporting_units(
            config.regime("tthc").unwrap(),
            "2026-09-14".parse().unwrap(),
        )
        .iter()
        .map(|u| u.code.clone())
        .collect();
    assert_eq!(reporters.len(), 40);
    let mut checked = 0;
    for ((unit, ind, disagg), v) in &cells {
        if unit != "99" || ind == "TT04" {
            continue;
        }
        let sum: f64 = reporters
            .iter()
            .filter_map(|u| cells.get(&(u.clone(), ind.clone(), disagg.clone())))
            .sum();
        assert_eq!(*v, sum, "{ind}[{disagg}]");
        checked += 1;
    }
    // 3 indicators × (total + 10 lĩnh vực + their 2–3 options × 11).
    assert_eq!(checked, 3 * 11 + 11 * (3 + 3 + 2));
    let at = |ind: &str, d: &str| cells[&("99".to_string(), ind.to_string(), d.to_string())];
    // TT04 at the province from the consolidated counts, not an average of the units' rates.
    let rate =
        (at("TT02", "tien_do=truoc_han") + at("TT02", "tien_do=dung_han")) / at("TT02", "") * 100.0;
    assert!((at("TT04", "") - rate).abs() < 1e-6, "{rate}");
    let field = (at("TT02", "linh_vuc=dat_dai;tien_do=truoc_han")
        + at("TT02", "linh_vuc=dat_dai;tien_do=dung_han"))
        / at("TT02", "linh_vuc=dat_dai")
        * 100.0;
    assert!((at("TT04", "linh_vuc=dat_dai") - field).abs() < 1e-6);
    // The consolidated 06a form: the numbering row goes on to 14 (the rate), and the
    // province's total row reads the consolidated totals.
    let rows = sheet(&dir.join("tong-hop.xlsx"), "Biểu số liệu");
    let n = numbering_row(&rows, 0, 14).expect("numbering 1 … 14");
    let total = rows
        .iter()
        .skip(n)
        .find(|r| text(&r[1]) == "Tổng số")
        .unwrap();
    assert_eq!(num(&total[2]), Some(at("TT01", "")));
    assert_eq!(num(&total[8]), Some(at("TT02", "tien_do=dung_han")));
}

#[test]
fn the_sample_06a_inbox_shows_its_deliberate_faults() {
    let v = check_json(&[&samples().join("inbox/tthc/2026-Q3")]);
    let mut found: Vec<(String, String)> = file_codes(&v);
    found.sort();
    assert_eq!(
        found,
        [
            (
                "99003-phuong-tan-tien-2026-Q3.xlsx".to_string(),
                "BC0407".to_string()
            ),
            (
                "99003-phuong-tan-tien-2026-Q3.xlsx".to_string(),
                "BC0407".to_string()
            ),
            // The three of the overdue dossiers' list (tests/lists.rs).
            (
                "99009-xa-phuoc-an-2026-Q3.xlsx".to_string(),
                "BC0213".to_string()
            ),
            (
                "99010-xa-phuoc-son-2026-Q3.xlsx".to_string(),
                "BC0211".to_string()
            ),
            (
                "99011-xa-tan-phu-2026-Q3.xlsx".to_string(),
                "BC0212".to_string()
            ),
            (
                "99017-xa-dong-hung-2026-Q3.xlsx".to_string(),
                "BC0205".to_string()
            ),
            (
                "SXD-so-xay-dung-2026-Q3.xlsx".to_string(),
                "BC0202".to_string()
            ),
        ]
    );
    let unknown = v["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["code"] == "BC0205")
        .unwrap();
    assert!(unknown["message"]
        .as_str()
        .unwrap()
        .starts_with("Dòng \"Lâm nghiệp\" không khớp dòng nào của biểu (Lĩnh vực)"));
}

#[test]
fn consolidating_06a_through_two_intermediate_units_gives_the_same_top_cells() {
    let communes_a = ["10001", "10002", "10003"];
    let communes_b = ["20001", "20002"];
    let tmp = tempfile::tempdir().unwrap();
    let t = tmp.path();
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
    let every: Vec<&str> = communes_a.iter().chain(&communes_b).copied().collect();
    fill_inbox_of(&direct, "tthc", "2026-Q3", &every, &t.join("in-direct"));
    let (code, log) = run_tthc(&t.join("direct"), &t.join("in-direct"), &t.join("o-direct"));
    assert_eq!(code, 0, "{log}");

    for (name, communes) in [("A", &communes_a[..]), ("B", &communes_b[..])] {
        let mut tree = unit(name, &format!("Huyện {name}"), "huyen", None);
        for c in communes {
            tree += &unit(c, &format!("Xã {c}"), "xa", Some(name));
        }
        let root = t.join(name);
        let config = make_root(&root, &tree, name, "[\"xa\"]");
        let inbox = t.join(format!("in-{name}"));
        fill_inbox_of(&config, "tthc", "2026-Q3", communes, &inbox);
        let (code, log) = run_tthc(&root, &inbox, &t.join(format!("o-{name}")));
        assert_eq!(code, 0, "{log}");
    }
    let top = unit("T", "Tỉnh T", "tinh", None)
        + &unit("A", "Huyện A", "huyen", Some("T"))
        + &unit("B", "Huyện B", "huyen", Some("T"));
    make_root(&t.join("top"), &top, "T", "[\"huyen\"]");
    let inbox = t.join("in-top");
    std::fs::create_dir_all(&inbox).unwrap();
    // A sends its exchange CSV and its list of overdue dossiers, B its consolidated 06a
    // workbook (the list a sheet of it).
    std::fs::copy(
        t.join("o-A/tthc/2026-Q3/du-lieu.csv"),
        inbox.join("huyen-a-du-lieu.csv"),
    )
    .unwrap();
    std::fs::copy(
        t.join("o-A/tthc/2026-Q3/danh-sach-ho_so_qua_han.csv"),
        inbox.join("huyen-a-danh-sach-ho_so_qua_han.csv"),
    )
    .unwrap();
    std::fs::copy(
        t.join("o-B/tthc/2026-Q3/tong-hop.xlsx"),
        inbox.join("huyen-b-tong-hop.xlsx"),
    )
    .unwrap();
    std::fs::write(
        inbox.join("nhan.csv"),
        "file,received_at\nhuyen-a-du-lieu.csv,2026-09-16T09:00\nhuyen-b-tong-hop.xlsx,2026-09-16T09:00\n",
    )
    .unwrap();
    let (code, log) = run_tthc(&t.join("top"), &inbox, &t.join("o-top"));
    assert_eq!(code, 0, "{log}");
    let top_of = |p: &Path| -> BTreeMap<(String, String), f64> {
        cells_of(p)
            .into_iter()
            .filter(|((u, _, _), _)| u == "T")
            .map(|((_, i, d), v)| ((i, d), v))
            .collect()
    };
    let d = top_of(&t.join("o-direct/tthc/2026-Q3/du-lieu.csv"));
    let two = top_of(&t.join("o-top/tthc/2026-Q3/du-lieu.csv"));
    assert!(d.len() > 100, "{}", d.len());
    assert_eq!(d, two);
    // The province, which knows no commune, lists every overdue dossier under the commune
    // that listed it, numbered within it, exactly as when it consolidates the communes itself.
    let list = |p: &str| {
        std::fs::read_to_string(t.join(p).join("tthc/2026-Q3/danh-sach-ho_so_qua_han.csv")).unwrap()
    };
    let (direct, top) = (list("o-direct"), list("o-top"));
    assert!(direct.lines().count() > 5, "{direct}");
    assert!(
        direct.lines().any(|l| l.starts_with("20002,Xã 20002,")),
        "{direct}"
    );
    assert_eq!(direct, top);
    // The lists agree with the figures they feed: no BC0412 and nothing else at the top.
    assert!(!log.contains("BC0412") && !log.contains("BC0214"), "{log}");

    // A's list with its columns named as printed ("Mã đơn vị", "Lý do quá hạn", …) and a
    // commune's reason left empty (told to A when it consolidated): read the same, the empty
    // reason not told again to the province.
    let path = inbox.join("huyen-a-danh-sach-ho_so_qua_han.csv");
    let mut rows: Vec<Vec<String>> = csv::Reader::from_path(&path)
        .unwrap()
        .records()
        .map(|r| r.unwrap().iter().map(str::to_string).collect())
        .collect();
    *rows[0].last_mut().unwrap() = String::new();
    let mut w = csv::Writer::from_path(&path).unwrap();
    w.write_record([
        "Mã đơn vị",
        "Đơn vị",
        "STT",
        "Mã hồ sơ",
        "Lĩnh vực",
        "Ngày tiếp nhận",
        "Ngày trả kết quả",
        "Số ngày quá hạn",
        "Lý do quá hạn",
    ])
    .unwrap();
    for r in &rows {
        w.write_record(r).unwrap();
    }
    w.flush().unwrap();
    let (code, log) = run_tthc(&t.join("top"), &inbox, &t.join("o-top2"));
    assert_eq!(code, 0, "{log}");
    let again = list("o-top2");
    let differ: Vec<(&str, &str)> = direct
        .lines()
        .zip(again.lines())
        .filter(|(a, b)| a != b)
        .collect();
    assert_eq!(differ.len(), 1, "{again}");
    assert!(differ[0].1.ends_with(','), "{differ:?}");
    assert!(!log.contains("BC0212") && !log.contains("BC0215"), "{log}");
}

#[test]
fn carry_over_is_checked_against_last_quarters_pending_files() {
    let tmp = tempfile::tempdir().unwrap();
    let t = tmp.path();
    copy_samples_root(t);
    let config = Config::load(t).unwrap();
    let units = ["99009", "99011"];
    fill_inbox_of(&config, "tthc", "2026-Q2", &units, &t.join("in/2026-Q2"));
    fill_inbox_of(&config, "tthc", "2026-Q3", &units, &t.join("in/2026-Q3"));
    let run = |p: &str| {
        baocao(&[
            "--root",
            s(t),
            "run",
            "--regime",
            "tthc",
            "--period",
            p,
            "--inbox",
            s(&t.join("in")),
            "--out",
            s(&t.join("out")),
            "--as-of",
            "2026-06-10",
            "-q",
        ])
    };
    let (code, out, err) = run("2026-Q2");
    assert!(code <= 1, "{out}{err}");
    let (code, out, err) = run("2026-Q3");
    assert!(code <= 1, "{out}{err}");
    // What the generator typed: last quarter's pending files of Hộ tịch and this quarter's
    // carried-over files, which it draws independently.
    let u = config.units.get("99009").unwrap();
    let q2 = baocao::synth::matrix_values(&config, u, "2026-Q2".parse().unwrap());
    let q3 = baocao::synth::matrix_values(&config, u, "2026-Q3".parse().unwrap());
    let th = |k: &str| (k.to_string(), InputColumn::ThucHien);
    let pending = q2[&th("TT03[linh_vuc=ho_tich]")];
    let carried = q3[&th("TT01[linh_vuc=ho_tich;nguon=ky_truoc]")];
    let rows = sheet(&t.join("out/tthc/2026-Q3/tong-hop.xlsx"), "Chẩn đoán");
    let found = rows.iter().any(|r| {
        r.iter().any(|c| {
            let m = text(c);
            m.contains("99009")
                && m.contains("TT01[linh_vuc=ho_tich;nguon=ky_truoc]")
                && m.contains("TT03 \"Số hồ sơ đang giải quyết\" (Lĩnh vực: Hộ tịch)")
        })
    });
    assert_eq!(
        found,
        (pending - carried).abs() > 0.5,
        "{pending} {carried}"
    );
    let any = rows.iter().any(|r| r.iter().any(|c| text(c) == "BC0803"));
    assert!(any, "the generator's draws differ somewhere");
}

#[test]
fn the_civil_servant_form_reads_back_and_checks_each_breakdown_block() {
    let config = samples_config();
    let regime = config.regime("cbcc").unwrap();
    let period = "2026".parse().unwrap();
    let u = config.units.get("SNV").unwrap();
    let th = |k: &str| (k.to_string(), InputColumn::ThucHien);
    let mut fill = Fill::default();
    let mut put = |k: &str, v: f64| {
        fill.values.insert(th(k), CellValue::Number(v));
    };
    // Totals: 1 = 2 + 4 + 6 (40 + 60 + 150 = 250), women per level.
    put("CC01", 250.0);
    put("CC01[cap=trung_uong]", 40.0);
    put("CC01[cap=tinh]", 60.0);
    put("CC01[cap=xa]", 150.0);
    put("CC01[cap=xa;gioi_tinh=nu]", 70.0);
    // Trong đó: Đảng viên, more than the total: BC0408.
    put("CC01[dang_vien=dang_vien]", 260.0);
    // Chia theo dân tộc: 200 + 40 ≠ 250, and the regime makes it blocking: BC0407 chặn.
    put("CC01[dan_toc=kinh]", 200.0);
    put("CC01[dan_toc=dtts]", 40.0);
    // Chia theo nhóm tuổi: adds up.
    for (o, v) in [
        ("duoi_30", 30.0),
        ("tu_30_den_40", 80.0),
        ("tu_41_den_50", 70.0),
        ("tu_51_den_60", 60.0),
        ("tren_60", 10.0),
    ] {
        put(&format!("CC01[nhom_tuoi={o}]"), v);
    }
    let tmp = tempfile::tempdir().unwrap();
    let file = tmp.path().join("snv.xlsx");
    std::fs::write(
        &file,
        unit_form(&config, regime, period, u, Some(&fill)).unwrap(),
    )
    .unwrap();
    std::fs::write(
        tmp.path().join("nhan.csv"),
        "file,received_at\nsnv.xlsx,2027-01-04T08:00\n",
    )
    .unwrap();
    // Letters A and B, then 1 … 7 under the headers.
    let rows = sheet(&file, "Biểu số liệu");
    let n = numbering_row(&rows, 2, 7).expect("numbering 1 … 7");
    assert_eq!(text(&rows[n][0]), "A");
    assert_eq!(text(&rows[n][1]), "B");
    assert_eq!(text(&rows[n - 3][2]), "Tổng số");
    assert_eq!(text(&rows[n - 3][3]), "Chia theo cấp");
    assert_eq!(text(&rows[n - 2][3]), "Trung ương");
    assert_eq!(text(&rows[n - 1][4]), "Trong đó: Nữ");

    let (_, out, err) = baocao(&[
        "--root",
        s(&samples()),
        "check",
        "--regime",
        "cbcc",
        "--period",
        "2026",
        "--as-of",
        "2027-01-05",
        "--format",
        "json",
        s(tmp.path()),
    ]);
    let v: serde_json::Value = serde_json::from_str(&out).unwrap_or_else(|e| panic!("{e}{err}"));
    let diags: Vec<(String, String)> = v["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            (
                d["code"].as_str().unwrap().to_string(),
                d["severity"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert_eq!(
        diags,
        [
            ("BC0407".to_string(), "blocking".to_string()),
            ("BC0408".to_string(), "warning".to_string()),
        ],
        "{:#}",
        v["diagnostics"]
    );
    let values = &v["submissions"][0]["values"];
    assert_eq!(values["CC01[cap=xa;gioi_tinh=nu]"], 70.0);
    assert_eq!(values["CC01[nhom_tuoi=tren_60]"], 10.0);
    assert_eq!(v["submissions"][0]["status"], "rejected");
}

#[test]
fn check_config_names_cells_that_select_no_key_or_two() {
    let tmp = tempfile::tempdir().unwrap();
    let t = tmp.path();
    copy_samples_root(t);
    let p = t.join("report-templates/tthc/regime.toml");
    let text = std::fs::read_to_string(&p)
        .unwrap()
        .replace(
            "cell = \"TT01[nguon=truc_tuyen]\"",
            "cell = \"TT01[nguon=qua_mang]\"",
        )
        .replace(
            "cell = \"TT02[tien_do=truoc_han]\"",
            "cell = \"TT02[linh_vuc=ho_tich]\"",
        )
        .replace("cell = \"TT03\"", "cell = \"[han=trong_han]\"");
    std::fs::write(&p, text).unwrap();
    let (code, out, err) = baocao(&["--root", s(t), "check-config"]);
    assert_eq!(code, 2, "{out}");
    let all = format!("{out}{err}");
    assert!(
        all.contains("phân tổ \"nguon\" (Nguồn tiếp nhận) không có phương án \"qua_mang\""),
        "{all}"
    );
    assert!(
        all.contains("dòng và cột chọn hai phương án khác nhau của phân tổ linh_vuc"),
        "{all}"
    );
    assert!(all.contains("ô không ứng với chỉ tiêu nào"), "{all}");
}

#[test]
fn a_by_unit_sheet_too_large_to_hold_is_streamed_with_every_figure_and_its_format() {
    // 1,000 communes of the synthetic province, 132 cells of the form each: past the size
    // from which "Theo đơn vị" is written row by row to a temporary file.
    let t = tempfile::tempdir().unwrap();
    let gen = t.path().join("tinh");
    synth_bench("tthc", 1000, "2026-Q3", &gen);
    let out = t.path().join("out");
    let (code, log) = run_tthc(&gen.join("root"), &gen.join("inbox"), &out);
    assert_eq!(code, 0, "{log}");
    let dir = out.join("tthc/2026-Q3");
    let book = dir.join("tong-hop.xlsx");
    // Streamed: its rows carry no `spans` hint, which a sheet held whole writes on each row
    // (the consolidated form's sheet, held, has them).
    let xml = |n: usize| zip_part(&book, &format!("xl/worksheets/sheet{n}.xml"));
    assert!(xml(1).contains(" spans=\""));
    assert!(!xml(2).contains(" spans=\""));
    // Every figure of the exchange file, and no other, is in its unit's column and its
    // cell's row, with the number format of its indicator's type.
    let config = Config::load(&gen.join("root")).unwrap();
    let expected = cells_of(&dir.join("du-lieu.csv"));
    let rows = sheet(&book, "Theo đơn vị");
    let styles = cell_styles(&book, 2);
    let units: Vec<String> = rows[2][3..]
        .iter()
        .map(|c| {
            let t = text(c);
            t[t.rfind('(').unwrap() + 1..t.len() - 1].to_string()
        })
        .collect();
    // The province, its 11 areas, its 10 departments and the 1,000 communes.
    assert_eq!(units.len(), 1 + 11 + 10 + 1000);
    let mut found = 0;
    for (i, row) in rows.iter().enumerate().skip(3) {
        let key = text(&row[0]);
        let (indicator, disagg) = match key.split_once('[') {
            Some((i, d)) => (i.to_string(), d.trim_end_matches(']').to_string()),
            None => (key.clone(), String::new()),
        };
        let format = match config.indicator(&indicator).unwrap().value_type {
            baocao::catalog::ValueType::Integer => "#,##0",
            _ => "#,##0.00",
        };
        for (j, unit) in units.iter().enumerate() {
            let want = expected.get(&(unit.clone(), indicator.clone(), disagg.clone()));
            assert_eq!(num(&row[3 + j]), want.copied(), "{unit} {key}");
            found += usize::from(want.is_some());
            let at = format!("{}{}", column_name(3 + j), i + 1);
            assert_eq!(styles[&at].number_format, format, "{at} {unit} {key}");
        }
    }
    assert_eq!(found, expected.len());
}

/// A column's letters (0 is A).
fn column_name(mut c: usize) -> String {
    let mut name = Vec::new();
    loop {
        name.push(b'A' + (c % 26) as u8);
        if c < 26 {
            break;
        }
        c = c / 26 - 1;
    }
    name.reverse();
    String::from_utf8(name).unwrap()
}

/// A monthly communicable-disease form (cases and deaths of each disease, a partial list: no
/// total cell, no total computed), as an officer configures it: no rule written.
const DISEASES: &str = r#"
[[dimension]]
code = "benh"
name = "Bệnh truyền nhiễm"
exhaustive = false
options = [
  { code = "soi", name = "Sởi" },
  { code = "dai", name = "Dại" },
  { code = "cum", name = "Cúm" },
]

[[indicator]]
code = "BTN01"
name = "Số ca mắc"
unit = "ca"
type = "integer"
aggregation = "sum"
required = false
disaggregations = [["benh"]]

[[indicator]]
code = "BTN02"
name = "Số ca tử vong"
unit = "ca"
type = "integer"
aggregation = "sum"
required = false
part_of = "BTN01"
disaggregations = [["benh"]]
"#;

const DISEASE_REGIME: &str = r#"
id = "btn"
name = "Báo cáo tình hình bệnh truyền nhiễm"
legal_basis = "Thông tư số 54/2015/TT-BYT"
content = "Số ca mắc, tử vong do bệnh truyền nhiễm"
method = "Tệp Excel qua thư điện tử"
instructions = "Số chết không lớn hơn số mắc."
upward = "Bộ Y tế"
frequencies = ["monthly"]
cutoff = { rule = "calendar" }
receiver = "99"
reporters = { levels = ["xa"], kinds = ["xa"] }
outline = "de-cuong.md.tera"

[[deadline]]
levels = ["xa"]
rule = "working-days"
days = 3

[form]
number = "Biểu số 01/BTN"
title = "TÌNH HÌNH BỆNH TRUYỀN NHIỄM"

[form.matrix]
stub = "Tên bệnh"

[[form.matrix.row]]
dimension = "benh"

[[form.matrix.column]]
label = "Mắc"
cell = "BTN01"

[[form.matrix.column]]
label = "Chết"
cell = "BTN02"
"#;

#[test]
fn deaths_above_cases_of_one_disease_are_refused_and_no_empty_total_row_is_printed() {
    let t = tempfile::tempdir().unwrap();
    let root = t.path().join("root");
    copy_samples_root(&root);
    std::fs::write(root.join("indicators/benh-truyen-nhiem.toml"), DISEASES).unwrap();
    let dir = root.join("report-templates/btn");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("regime.toml"), DISEASE_REGIME).unwrap();
    std::fs::write(
        dir.join("de-cuong.md.tera"),
        "# Báo cáo tình hình bệnh truyền nhiễm\n",
    )
    .unwrap();
    let config = Config::load(&root).unwrap_or_else(|e| panic!("{e}"));
    let regime = config.regime("btn").unwrap();
    let period = "2026-10".parse().unwrap();
    let inbox = t.path().join("inbox");
    std::fs::create_dir_all(&inbox).unwrap();
    // Phước An: 4 cases of measles, 1 death; Phước Sơn: 1 case of rabies and 2 deaths.
    let mut log = String::from("file,received_at\n");
    for (unit, figures) in [
        (
            "99009",
            [("BTN01[benh=soi]", 4.0), ("BTN02[benh=soi]", 1.0)],
        ),
        (
            "99010",
            [("BTN01[benh=dai]", 1.0), ("BTN02[benh=dai]", 2.0)],
        ),
    ] {
        let u = config.units.get(unit).unwrap();
        let mut fill = Fill::default();
        for (k, v) in figures {
            fill.values
                .insert((k.to_string(), InputColumn::ThucHien), CellValue::Number(v));
        }
        let name = form_file_name(u, period);
        std::fs::write(
            inbox.join(&name),
            unit_form(&config, regime, period, u, Some(&fill)).unwrap(),
        )
        .unwrap();
        log.push_str(&format!("{name},2026-10-01T08:00\n"));
    }
    std::fs::write(inbox.join("nhan.csv"), log).unwrap();
    let out = t.path().join("out");
    let (code, _, err) = baocao(&[
        "--root",
        s(&root),
        "run",
        "--regime",
        "btn",
        "--period",
        "2026-10",
        "--inbox",
        s(&inbox),
        "--out",
        s(&out),
        "--as-of",
        "2026-10-02",
        "--no-history",
        "-q",
    ]);
    assert_eq!(code, 1, "{err}");
    let book = out.join("btn/2026-10/tong-hop.xlsx");
    let refused: Vec<(String, String, String)> = diagnostics(&book)
        .into_iter()
        .filter(|(code, ..)| code == "BC0405")
        .collect();
    assert_eq!(refused.len(), 1, "{refused:?}");
    assert!(refused[0].1.starts_with("99010-"), "{refused:?}");
    assert!(
        refused[0].2.starts_with("BTN02[benh=dai] \"Số ca tử vong (Bệnh truyền nhiễm: Dại)\" = 2 lớn hơn tổng BTN01[benh=dai] \"Số ca mắc (Bệnh truyền nhiễm: Dại)\" = 1"),
        "{refused:?}"
    );
    // By unit: the diseases' rows, not the two totals nobody has.
    let rows = sheet(&book, "Theo đơn vị");
    let codes: Vec<String> = rows.iter().skip(3).map(|r| text(&r[0])).collect();
    assert_eq!(
        codes,
        [
            "BTN01[benh=soi]",
            "BTN01[benh=dai]",
            "BTN01[benh=cum]",
            "BTN02[benh=soi]",
            "BTN02[benh=dai]",
            "BTN02[benh=cum]"
        ]
    );
    assert_eq!(
        num(&rows[3][3]),
        Some(4.0),
        "the province's measles: Phước An's 4"
    );
}

//! End-to-end: blank forms, filled forms read back, bad files, the samples' deliberate faults.

mod common;
use std::collections::BTreeMap;
use std::path::Path;

use baocao::catalog::{Config, InputColumn};
use baocao::render::form::CellValue;
use baocao::render::{form_file_name, unit_form, Fill};
use common::*;

fn check_json(dir: &Path, period: &str, as_of: &str) -> (i32, serde_json::Value) {
    check_json_at(&samples(), dir, period, as_of)
}

fn check_json_at(root: &Path, dir: &Path, period: &str, as_of: &str) -> (i32, serde_json::Value) {
    let (code, out, err) = baocao(&[
        "--root",
        s(root),
        "check",
        "--regime",
        "ktxh",
        "--period",
        period,
        "--as-of",
        as_of,
        "--format",
        "json",
        s(dir),
    ]);
    let v = serde_json::from_str(&out).unwrap_or_else(|e| panic!("{e}: {out}\n{err}"));
    (code, v)
}

fn codes(v: &serde_json::Value) -> Vec<String> {
    v["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["code"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn form_command_writes_one_protected_form_per_reporting_unit() {
    let dir = tempfile::tempdir().unwrap();
    let (code, out, err) = baocao(&[
        "--root",
        s(&samples()),
        "form",
        "--regime",
        "ktxh",
        "--period",
        "2026-10",
        "--out",
        s(dir.path()),
    ]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("Đã tạo 40 biểu mẫu"), "{out}");
    let names: Vec<String> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().to_string())
        .collect();
    assert_eq!(names.len(), 40);
    assert!(names.contains(&"99009-xa-phuoc-an-2026-10.xlsx".to_string()));
    let rows = sheet(
        &dir.path().join("99009-xa-phuoc-an-2026-10.xlsx"),
        "Biểu số liệu",
    );
    let all: Vec<String> = rows.iter().flatten().map(text).collect();
    for needle in [
        "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM",
        "Độc lập - Tự do - Hạnh phúc",
        "Biểu số 01/KTXH",
        "Tháng 10 năm 2026",
        "Đơn vị báo cáo: Xã Phước An",
        "Đơn vị nhận báo cáo: Ủy ban nhân dân tỉnh An Lạc",
        "STT",
        "Chỉ tiêu",
        "Đơn vị tính",
        "Thực hiện kỳ báo cáo (tháng 10/2026)",
        "NGƯỜI LẬP BIỂU",
        "THỦ TRƯỞNG ĐƠN VỊ",
    ] {
        assert!(all.iter().any(|t| t == needle), "missing {needle}");
    }
    let meta = sheet(
        &dir.path().join("99009-xa-phuoc-an-2026-10.xlsx"),
        "_baocao",
    );
    assert_eq!(text(&meta[0][1]), "ktxh");
    assert_eq!(text(&meta[1][1]), "2026-10");
    assert_eq!(text(&meta[2][1]), "99009");
    // Only the unit's own rows: a commune's form has no department-only indicator.
    assert!(!all.iter().any(|t| t == "TM01"));
    // A single unit.
    let one = tempfile::tempdir().unwrap();
    let (code, _, _) = baocao(&[
        "--root",
        s(&samples()),
        "form",
        "--regime",
        "ktxh",
        "--period",
        "2026-10",
        "--unit",
        "STC",
        "--out",
        s(one.path()),
    ]);
    assert_eq!(code, 0);
    assert_eq!(std::fs::read_dir(one.path()).unwrap().count(), 1);
}

#[test]
fn a_filled_form_reads_back_exactly_for_every_indicator() {
    let config = Config::load(&samples()).unwrap();
    let regime = config.regime("ktxh").unwrap();
    let period = "2026-10".parse().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let mut expected: BTreeMap<String, BTreeMap<String, f64>> = BTreeMap::new();
    for code in ["99009", "STC", "SCT"] {
        let unit = config.units.get(code).unwrap();
        let mut fill = Fill::default();
        for (i, ind) in config.rows_for_unit(regime, unit).iter().enumerate() {
            for (j, col) in [
                InputColumn::KeHoach,
                InputColumn::ThucHien,
                InputColumn::LuyKe,
            ]
            .into_iter()
            .enumerate()
            {
                // Distinct values, integers where the indicator wants them, parts below totals.
                let mut v =
                    1000.0 + (i * 10 + j) as f64 + if ind.part_of.is_some() { -900.0 } else { 0.0 };
                if let Some(hi) = ind.upper_bound() {
                    v = hi / 2.0 + j as f64 + i as f64 * 0.25;
                } else if ind.value_type == baocao::catalog::ValueType::Decimal {
                    v += 0.25;
                }
                if ind.code == "NN01" {
                    v = 1000.0 + (10 + j) as f64 + 0.25 - 900.0 + 1000.0 + (20 + j) as f64 + 0.25
                        - 900.0;
                }
                fill.values
                    .insert((ind.code.clone(), col), CellValue::Number(v));
                expected
                    .entry(format!("{code}/{}", col.key()))
                    .or_default()
                    .insert(ind.code.clone(), v);
            }
        }
        fill.signed_on = chrono::NaiveDate::from_ymd_opt(2026, 10, 15);
        let bytes = unit_form(&config, regime, period, unit, Some(&fill)).unwrap();
        std::fs::write(dir.path().join(form_file_name(unit, period)), bytes).unwrap();
    }
    let (code, v) = check_json(dir.path(), "2026-10", "2026-10-15");
    assert_eq!(code, 0, "{v}");
    assert!(codes(&v).is_empty(), "{:?}", v["diagnostics"]);
    let subs = v["submissions"].as_array().unwrap();
    assert_eq!(subs.len(), 3);
    for sub in subs {
        let unit = sub["unit_code"].as_str().unwrap();
        assert_eq!(
            sub["received_at"], "2026-10-15T00:00:00",
            "the footer's signing date"
        );
        assert_eq!(sub["timeliness"], "on_time");
        for (key, json_key) in [
            ("thuc_hien", "values"),
            ("ke_hoach", "ke_hoach"),
            ("luy_ke", "luy_ke"),
        ] {
            let got: BTreeMap<String, f64> = serde_json::from_value(sub[json_key].clone()).unwrap();
            assert_eq!(got, expected[&format!("{unit}/{key}")], "{unit} {key}");
        }
    }
}

#[test]
fn bad_files_get_coded_diagnostics_and_never_stop_the_others() {
    let config = Config::load(&samples()).unwrap();
    let regime = config.regime("ktxh").unwrap();
    let period = "2026-10".parse().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::write(
        d.join("99011-xa-tan-phu-2026-10.xlsx"),
        b"this is not a zip file",
    )
    .unwrap();
    std::fs::write(d.join("rong.xlsx"), b"").unwrap();
    std::fs::write(d.join("sai-tieu-de.csv"), "ma,gia_tri\nNN01,5\n").unwrap();
    std::fs::write(d.join("cong-van.pdf"), b"%PDF-1.4").unwrap();
    // A workbook with no recognisable table.
    let mut wb = rust_xlsxwriter::Workbook::new();
    wb.add_worksheet()
        .write_string(0, 0, "Danh sách cán bộ")
        .unwrap();
    std::fs::write(d.join("khong-bang.xlsx"), wb.save_to_buffer().unwrap()).unwrap();
    // One good file among them.
    let unit = config.units.get("99009").unwrap();
    let mut fill = Fill::default();
    for ind in config.rows_for_unit(regime, unit) {
        fill.values.insert(
            (ind.code.clone(), InputColumn::ThucHien),
            CellValue::Number(if ind.part_of.is_some() { 1.0 } else { 2.0 }),
        );
    }
    std::fs::write(
        d.join(form_file_name(unit, period)),
        unit_form(&config, regime, period, unit, Some(&fill)).unwrap(),
    )
    .unwrap();
    let (code, v) = check_json(d, "2026-10", "2026-10-15");
    assert_eq!(code, 1);
    let by_file: BTreeMap<String, String> = file_codes(&v).into_iter().collect();
    assert_eq!(by_file["99011-xa-tan-phu-2026-10.xlsx"], "BC0101");
    assert_eq!(by_file["rong.xlsx"], "BC0102");
    assert_eq!(by_file["khong-bang.xlsx"], "BC0103");
    assert_eq!(by_file["cong-van.pdf"], "BC0104");
    assert_eq!(by_file["sai-tieu-de.csv"], "BC0105");
    let subs = v["submissions"].as_array().unwrap();
    assert_eq!(subs.len(), 1, "the good file is still read");
    assert_eq!(subs[0]["unit_code"], "99009");
    assert_eq!(subs[0]["status"], "accepted");
    assert_eq!(subs[0]["values"]["NN01"], 2.0);
}

/// BC0405 of the samples' October inbox, as (file, cell, message).
fn parts_over_totals(v: &serde_json::Value) -> Vec<(String, String, String)> {
    v["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|d| d["code"] == "BC0405")
        .map(|d| {
            let field = |k: &str| d[k].as_str().unwrap_or_default().to_string();
            (field("file"), field("cell"), field("message"))
        })
        .collect()
}

#[test]
fn a_trong_do_part_over_its_summed_total_is_refused_without_a_written_rule() {
    // 99004's October form: DL02 "Khách du lịch quốc tế" 15.770 > DL01 11.264. The regime
    // writes the rule; without it, DL02's `part_of = "DL01"` (both summed) says the same.
    let october = samples().join("inbox/ktxh/2026-10");
    let (_, with_rule) = check_json(&october, "2026-10", "2026-11-22");
    let want = parts_over_totals(&with_rule);
    assert_eq!(want.len(), 1, "{want:?}");
    assert_eq!(want[0].0, "99004-phuong-hoa-binh-2026-10.xlsx");
    assert_eq!(want[0].1, "F21");
    assert!(
        want[0]
            .2
            .starts_with("DL02 \"Khách du lịch quốc tế\" = 15.770 lớn hơn tổng DL01"),
        "{want:?}"
    );

    let dir = tempfile::tempdir().unwrap();
    let root = sample_root(dir.path());
    let regime = root.join("report-templates/ktxh/regime.toml");
    let text = std::fs::read_to_string(&regime).unwrap();
    let rule = "[[rule]]\nkind = \"part-le-total\"\npart = \"DL02\"\ntotal = \"DL01\"\n";
    assert!(text.contains(rule));
    std::fs::write(&regime, text.replacen(rule, "", 1)).unwrap();
    let (code, without_rule) = check_json_at(&root, &october, "2026-10", "2026-11-22");
    assert_eq!(code, 1);
    assert_eq!(parts_over_totals(&without_rule), want);
}

#[test]
fn the_samples_october_inbox_shows_its_deliberate_faults_and_nothing_else() {
    let (code, v) = check_json(
        &samples().join("inbox/ktxh/2026-10"),
        "2026-10",
        "2026-11-22",
    );
    assert_eq!(code, 1);
    let mut got: Vec<(String, String, String)> = v["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            (
                d["code"].as_str().unwrap().into(),
                d["severity"].as_str().unwrap().into(),
                d["file"].as_str().unwrap().into(),
            )
        })
        .collect();
    got.sort();
    let want: Vec<(String, String, String)> = [
        ("BC0202", "warning", "99012-xa-tan-lap-2026-10.xlsx"),
        ("BC0303", "blocking", "99010-xa-phuoc-son-2026-10.xlsx"),
        ("BC0405", "blocking", "99004-phuong-hoa-binh-2026-10.xlsx"),
        ("BC0501", "warning", "99021-xa-nam-phong-2026-10.xlsx"),
        ("BC0504", "blocking", ""),
    ]
    .iter()
    .map(|(a, b, c)| (a.to_string(), b.to_string(), c.to_string()))
    .collect();
    assert_eq!(got, want);
    let subs = v["submissions"].as_array().unwrap();
    let tan_lap = subs.iter().find(|s| s["unit_code"] == "99012").unwrap();
    // The ambiguous "2.345" is read the vi-VN way; "1.912,35"-style text numbers silently.
    assert_eq!(tan_lap["values"]["DL01"], 2345.0);
    assert!(tan_lap["values"]["NN05"].as_f64().unwrap() > 1000.0);
    let my_loc = subs.iter().find(|s| s["unit_code"] == "99015").unwrap();
    assert_eq!(
        my_loc["status"], "accepted",
        "inserted title rows do not matter"
    );
    for period in ["2026-08", "2026-09", "2026-Q3"] {
        let (code, v) = check_json(
            &samples().join("inbox/ktxh").join(period),
            period,
            "2026-11-22",
        );
        assert_eq!(code, 0, "{period}: {}", v["diagnostics"]);
        assert!(codes(&v).is_empty());
        assert_eq!(v["submissions"].as_array().unwrap().len(), 40);
    }
}

#[test]
fn text_numbers_in_a_filled_form_are_read_with_the_right_tolerance() {
    let config = Config::load(&samples()).unwrap();
    let regime = config.regime("ktxh").unwrap();
    let period = "2026-10".parse().unwrap();
    let unit = config.units.get("99009").unwrap();
    let mut fill = Fill::default();
    for ind in config.rows_for_unit(regime, unit) {
        fill.values.insert(
            (ind.code.clone(), InputColumn::ThucHien),
            CellValue::Number(1.0),
        );
    }
    let t = |s: &str| CellValue::Text(s.to_string());
    fill.values
        .insert(("NN01".into(), InputColumn::ThucHien), t("2,4"));
    fill.values
        .insert(("NN02".into(), InputColumn::ThucHien), t("1,2"));
    fill.values
        .insert(("NN03".into(), InputColumn::ThucHien), t("1.2"));
    fill.values
        .insert(("YT02".into(), InputColumn::ThucHien), t("1.234,5"));
    fill.values
        .insert(("GN02".into(), InputColumn::ThucHien), t("1.234.5"));
    fill.values
        .insert(("HC05".into(), InputColumn::ThucHien), t("98,5%"));
    fill.values
        .insert(("AN01".into(), InputColumn::ThucHien), t("-"));
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join(form_file_name(unit, period)),
        unit_form(&config, regime, period, unit, Some(&fill)).unwrap(),
    )
    .unwrap();
    let (_, v) = check_json(dir.path(), "2026-10", "2026-10-15");
    let sub = &v["submissions"][0];
    assert_eq!(sub["values"]["NN01"], 2.4);
    assert_eq!(sub["values"]["NN03"], 1.2);
    assert_eq!(sub["values"]["HC05"], 98.5);
    assert!(
        sub["values"].get("AN01").is_none(),
        "a dash is not reported, not zero"
    );
    assert!(sub["values"].get("GN02").is_none());
    let c = codes(&v);
    assert!(
        c.contains(&"BC0203".to_string()),
        "1.234.5 is not a number: {c:?}"
    );
    assert!(
        c.contains(&"BC0401".to_string()),
        "1.234,5 people is not an integer: {c:?}"
    );
    assert!(c.contains(&"BC0404".to_string()), "AN01 is required: {c:?}");
    assert!(!c.contains(&"BC0406".to_string()), "2,4 = 1,2 + 1.2: {c:?}");
}

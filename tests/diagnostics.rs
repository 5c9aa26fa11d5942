//! End-to-end: every diagnostic code that a file can earn, each on a small hand-made file.
//! (Codes of the table reader alone are unit-tested in `src/ingest/grid.rs`; BC07xx in
//! `tests/tasks.rs`.)

mod common;
use std::collections::BTreeSet;
use std::path::Path;

use baocao::catalog::{Config, InputColumn};
use baocao::render::form::CellValue;
use baocao::render::{form_file_name, unit_form, Fill};
use common::*;
use rust_xlsxwriter::{Formula, Workbook};

/// A hand-typed form without baocao's metadata: header lines, then a table.
fn plain_form(
    path: &Path,
    header_lines: &[&str],
    rows: &[(&str, &str, Option<f64>)],
    formula_in: Option<&str>,
    meta: Option<(&str, &str, &str)>,
) {
    let mut wb = Workbook::new();
    let ws = wb.add_worksheet();
    let mut r = 0;
    for line in header_lines {
        ws.write_string(r, 0, *line).unwrap();
        r += 1;
    }
    for (c, h) in ["STT", "Mã số", "Chỉ tiêu", "Thực hiện kỳ báo cáo"]
        .iter()
        .enumerate()
    {
        ws.write_string(r, c as u16, *h).unwrap();
    }
    r += 1;
    for (i, (code, name, v)) in rows.iter().enumerate() {
        ws.write_number(r, 0, (i + 1) as f64).unwrap();
        ws.write_string(r, 1, *code).unwrap();
        ws.write_string(r, 2, *name).unwrap();
        if Some(*code) == formula_in {
            ws.write_formula(r, 3, Formula::new("=SUM(D1:D2)").set_result(""))
                .unwrap();
        } else if let Some(v) = v {
            ws.write_number(r, 3, *v).unwrap();
        }
        r += 1;
    }
    if let Some((regime, period, unit)) = meta {
        let m = wb.add_worksheet();
        m.set_name("_baocao").unwrap();
        for (i, (k, v)) in [("regime", regime), ("period", period), ("unit", unit)]
            .iter()
            .enumerate()
        {
            m.write_string(i as u32, 0, *k).unwrap();
            m.write_string(i as u32, 1, *v).unwrap();
        }
    }
    let bytes = wb.save_to_buffer().unwrap();
    std::fs::write(
        path,
        if formula_in.is_some() {
            drop_cached_values(&bytes)
        } else {
            bytes
        },
    )
    .unwrap();
}

/// Removes the cached results of formulas, as files saved by tools that do not compute them.
fn drop_cached_values(xlsx: &[u8]) -> Vec<u8> {
    use std::io::{Read, Write};
    let mut input = zip::ZipArchive::new(std::io::Cursor::new(xlsx)).unwrap();
    let mut out = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    for i in 0..input.len() {
        let mut f = input.by_index(i).unwrap();
        let name = f.name().unwrap().to_string();
        let mut data = Vec::new();
        f.read_to_end(&mut data).unwrap();
        if name.starts_with("xl/worksheets/") {
            let text = String::from_utf8(data).unwrap();
            data = text.replace("</f><v>0</v>", "</f>").into_bytes();
        }
        out.start_file(name, zip::write::SimpleFileOptions::default())
            .unwrap();
        out.write_all(&data).unwrap();
    }
    out.finish().unwrap().into_inner()
}

/// `check` of the files of `dir` (period 2026-10, as of 2026-10-15) printed as `format`:
/// (exit code, stdout, stderr).
fn check_as(dir: &Path, format: &str) -> (i32, String, String) {
    baocao(&[
        "--root",
        s(&samples()),
        "check",
        "--regime",
        "ktxh",
        "--period",
        "2026-10",
        "--as-of",
        "2026-10-15",
        "--format",
        format,
        s(dir),
    ])
}

/// Codes reported for each file of `dir` (period 2026-10, as of 2026-10-15).
fn check(dir: &Path) -> (Vec<(String, String)>, serde_json::Value) {
    let (_, out, err) = check_as(dir, "json");
    let v: serde_json::Value =
        serde_json::from_str(&out).unwrap_or_else(|e| panic!("{e}: {out}\n{err}"));
    (file_codes(&v), v)
}

fn has(codes: &[(String, String)], file: &str, code: &str) -> bool {
    codes.iter().any(|(f, c)| f == file && c == code)
}

#[test]
fn identification_problems_of_hand_typed_forms() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let rows = [
        ("NN05", "Sản lượng lương thực có hạt", Some(10.0)),
        ("NN01", "Diện tích gieo trồng cây hằng năm", None),
    ];
    // Unit and period from the header lines; a formula without a cached value.
    plain_form(
        &d.join("bao-cao-a.xlsx"),
        &["Đơn vị báo cáo: Xã Phước An", "Tháng 10 năm 2026"],
        &rows,
        Some("NN01"),
        None,
    );
    // No unit anywhere.
    plain_form(
        &d.join("bao-cao-b.xlsx"),
        &["Tháng 10 năm 2026"],
        &rows,
        None,
        None,
    );
    // No period anywhere.
    plain_form(
        &d.join("bao-cao-c.xlsx"),
        &["Đơn vị báo cáo: Xã Tân Phú"],
        &rows,
        None,
        None,
    );
    // Another regime's form.
    plain_form(
        &d.join("bao-cao-d.xlsx"),
        &[],
        &rows,
        None,
        Some(("yte", "2026-10", "99012")),
    );
    // A unit that is not in units.toml.
    plain_form(
        &d.join("bao-cao-e.xlsx"),
        &["Tháng 10 năm 2026"],
        &rows,
        None,
        Some(("ktxh", "2026-10", "99077")),
    );
    let (codes, v) = check(d);
    assert!(has(&codes, "bao-cao-a.xlsx", "BC0305"), "{codes:?}");
    assert!(has(&codes, "bao-cao-a.xlsx", "BC0201"), "{codes:?}");
    assert!(has(&codes, "bao-cao-b.xlsx", "BC0302"), "{codes:?}");
    assert!(has(&codes, "bao-cao-c.xlsx", "BC0307"), "{codes:?}");
    assert!(has(&codes, "bao-cao-d.xlsx", "BC0304"), "{codes:?}");
    assert!(has(&codes, "bao-cao-e.xlsx", "BC0301"), "{codes:?}");
    let a = v["submissions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["file"] == "bao-cao-a.xlsx")
        .unwrap();
    assert_eq!(a["unit_code"], "99009");
    assert_eq!(a["values"]["NN05"], 10.0);
    assert!(
        a["values"].get("NN01").is_none(),
        "a formula without a value is not a zero"
    );
}

#[test]
fn a_unit_not_in_being_in_the_period_is_refused_with_its_dates_and_successor() {
    let tmp = tempfile::tempdir().unwrap();
    let root = sample_root(tmp.path());
    let mut units = std::fs::read_to_string(root.join("units.toml")).unwrap();
    units.push_str("\n[[unit]]\ncode = \"98001\"\nname = \"Xã Cũ\"\nlevel = \"xa\"\nparent = \"99\"\nvalid_to = 2025-12-31\n");
    units.push_str("\n[[unit]]\ncode = \"98003\"\nname = \"Xã Mới\"\nlevel = \"xa\"\nparent = \"99\"\nvalid_from = 2027-01-01\n");
    std::fs::write(root.join("units.toml"), units).unwrap();
    std::fs::write(
        root.join("succession.toml"),
        "[[succession]]\nnew = \"99001\"\nold = [\"98001\"]\ndate = 2026-01-01\n",
    )
    .unwrap();
    let inbox = tmp.path().join("inbox");
    std::fs::create_dir_all(&inbox).unwrap();
    plain_form(
        &inbox.join("xa-cu.xlsx"),
        &["Tháng 10 năm 2026"],
        &[("NN05", "Sản lượng lương thực có hạt", Some(10.0))],
        None,
        Some(("ktxh", "2026-10", "98001")),
    );
    std::fs::write(
        inbox.join("xa-moi.csv"),
        "regime,period,unit_code,indicator_code,value,unit_of_measure\nktxh,2026-10,98003,NN05,10,tấn\n",
    )
    .unwrap();
    let v = check_october(&root, &inbox);
    let message = |file: &str| {
        v["diagnostics"]
            .as_array()
            .unwrap()
            .iter()
            .find(|d| d["file"] == file && d["code"] == "BC0310")
            .and_then(|d| d["message"].as_str())
            .unwrap_or_else(|| panic!("no BC0310 on {file}: {v}"))
            .to_string()
    };
    let old = message("xa-cu.xlsx");
    assert!(
        old.contains("Xã Cũ (98001) chỉ hoạt động đến hết ngày 31/12/2025")
            && old.contains("đã sáp nhập vào Phường An Lạc (99001) từ ngày 01/01/2026")
            && old.contains("số liệu đến ngày 14/10/2026"),
        "{old}"
    );
    let new = message("xa-moi.csv");
    assert!(
        new.contains("Xã Mới (98003) hoạt động từ ngày 01/01/2027"),
        "{new}"
    );
    assert!(
        v["submissions"].as_array().unwrap().is_empty(),
        "neither file counts: {v}"
    );
}

#[test]
fn check_prints_each_finding_whole_as_a_table_and_as_csv() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("khong-ro.csv"),
        "regime,period,unit_code,indicator_code,value,unit_of_measure\nktxh,2026-10,99077,NN05,10,tấn\n",
    )
    .unwrap();
    let check = |format: &str| check_as(dir.path(), format);
    let (code, out, err) = check("table");
    assert_eq!(code, 1, "{err}");
    assert!(
        out.contains("BC0301 chặn  khong-ro.csv › dòng 2\n  Mã đơn vị \"99077\" không có trong danh mục đơn vị (units.toml).\n  Kiểm tra cột unit_code.\n"),
        "the line of what to do is printed too: {out}"
    );
    let (code, out, err) = check("csv");
    assert_eq!(code, 1, "{err}");
    let mut rows = csv::Reader::from_reader(out.as_bytes());
    assert_eq!(
        rows.headers().unwrap(),
        vec!["code", "severity", "file", "sheet", "cell", "message"]
    );
    let row = rows.records().next().unwrap().unwrap();
    assert_eq!(&row[0], "BC0301");
    assert_eq!(&row[2], "khong-ro.csv");
    assert_eq!(&row[4], "dòng 2");
    assert!(row[5].ends_with("\nKiểm tra cột unit_code."), "{out}");
}

#[test]
fn exchange_csv_problems() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let head = "regime,period,unit_code,indicator_code,value,unit_of_measure\n";
    std::fs::write(
        d.join("khong-ro.csv"),
        format!("{head}ktxh,2026-10,99077,NN05,10,tấn\n"),
    )
    .unwrap();
    std::fs::write(
        d.join("tinh.csv"),
        format!("{head}ktxh,2026-10,99,NN05,10,tấn\n"),
    )
    .unwrap();
    std::fs::write(
        d.join("le-cot.csv"),
        format!("{head}ktxh,2026-10,99009,NN05,10,tấn\nktxh,2026-10,99009,NN06\n"),
    )
    .unwrap();
    std::fs::write(
        d.join("sai-ky.csv"),
        format!("{head}ktxh,2026-09,99011,NN05,10,tấn\nktxh,2026-10,99011,NN05,11,tấn\n"),
    )
    .unwrap();
    let (codes, v) = check(d);
    assert!(has(&codes, "khong-ro.csv", "BC0301"), "{codes:?}");
    assert!(has(&codes, "tinh.csv", "BC0306"), "{codes:?}");
    assert!(has(&codes, "le-cot.csv", "BC0106"), "{codes:?}");
    assert!(has(&codes, "sai-ky.csv", "BC0303"), "{codes:?}");
    let tan_phu = v["submissions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["unit_code"] == "99011")
        .unwrap();
    assert_eq!(
        tan_phu["values"]["NN05"], 11.0,
        "only the rows of the period are read"
    );
}

#[test]
fn constraint_receipt_and_duplicate_problems() {
    let config = Config::load(&samples()).unwrap();
    let regime = config.regime("ktxh").unwrap();
    let period = "2026-10".parse().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let filled = |code: &str, tweak: &dyn Fn(&mut Fill)| {
        let unit = config.units.get(code).unwrap();
        let mut fill = generated_fill(&config, regime, unit, period);
        tweak(&mut fill);
        unit_form(&config, regime, period, unit, Some(&fill)).unwrap()
    };
    let set = |f: &mut Fill, code: &str, v: f64| {
        f.values.insert(
            (code.to_string(), InputColumn::ThucHien),
            CellValue::Number(v),
        );
    };
    let phuoc_an = form_file_name(config.units.get("99009").unwrap(), period);
    std::fs::write(
        d.join(&phuoc_an),
        filled("99009", &|f| {
            set(f, "NN06", -5.0);
            set(f, "HC05", 120.0);
            set(f, "NN01", 999_999.0);
        }),
    )
    .unwrap();
    // Tân Phú sends twice; the later receipt wins.
    std::fs::write(d.join("tan-phu-ban-dau.xlsx"), filled("99011", &|_| {})).unwrap();
    std::fs::write(d.join("tan-phu-ban-sua.xlsx"), filled("99011", &|_| {})).unwrap();
    // Mỹ Lộc is not in the receipt log and signed nothing: the file's time is used.
    std::fs::write(d.join("my-loc.xlsx"), filled("99015", &|_| {})).unwrap();
    std::fs::write(
        d.join("nhan.csv"),
        format!("file,received_at\n{phuoc_an},2026-10-15T08:00\ntan-phu-ban-dau.xlsx,2026-10-14T08:00\ntan-phu-ban-sua.xlsx,2026-10-15T09:00\nkhac.xlsx,15/10\n"),
    )
    .unwrap();
    let (codes, v) = check(d);
    for code in ["BC0402", "BC0403", "BC0406"] {
        assert!(has(&codes, &phuoc_an, code), "{code}: {codes:?}");
    }
    assert!(has(&codes, "tan-phu-ban-dau.xlsx", "BC0601"), "{codes:?}");
    assert!(!has(&codes, "tan-phu-ban-sua.xlsx", "BC0601"));
    assert!(has(&codes, "my-loc.xlsx", "BC0502"), "{codes:?}");
    assert!(
        codes
            .iter()
            .any(|(f, c)| f.ends_with("nhan.csv") && c == "BC0503"),
        "{codes:?}"
    );
    let statuses: BTreeSet<(String, String)> = v["submissions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            (
                s["file"].as_str().unwrap().to_string(),
                s["status"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert!(statuses.contains(&("tan-phu-ban-sua.xlsx".into(), "accepted".into())));
    assert!(statuses.contains(&("tan-phu-ban-dau.xlsx".into(), "superseded".into())));
    assert!(statuses.contains(&(phuoc_an.clone(), "rejected".into())));
}

#[test]
fn the_committed_samples_are_what_the_generator_writes() {
    let dir = tempfile::tempdir().unwrap();
    let (code, _, err) = baocao(&[
        "--root",
        s(&samples()),
        "synth",
        "samples",
        "--regime",
        "ktxh",
        "--out",
        s(&dir.path().join("inbox/ktxh")),
    ]);
    assert_eq!(code, 0, "{err}");
    let (code, _, err) = baocao(&[
        "--root",
        s(&samples()),
        "synth",
        "samples",
        "--regime",
        "tthc",
        "--out",
        s(&dir.path().join("inbox/tthc")),
    ]);
    assert_eq!(code, 0, "{err}");
    let (code, _, err) = baocao(&[
        "--root",
        s(&samples()),
        "synth",
        "samples",
        "--regime",
        "tcd",
        "--out",
        s(&dir.path().join("inbox/tcd")),
    ]);
    assert_eq!(code, 0, "{err}");
    let (code, _, err) = baocao(&[
        "--root",
        s(&samples()),
        "synth",
        "tasks",
        "--out",
        s(&dir.path().join("nhiem-vu")),
    ]);
    assert_eq!(code, 0, "{err}");
    for sub in [
        "inbox/ktxh/2026-08",
        "inbox/ktxh/2026-09",
        "inbox/ktxh/2026-10",
        "inbox/ktxh/2026-Q3",
        "inbox/tthc/2026-Q3",
        "inbox/tcd/2026-Q3",
        "nhiem-vu",
    ] {
        let mine = dir.path().join(sub);
        let committed = samples().join(sub);
        let names: BTreeSet<_> = std::fs::read_dir(&committed)
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        let fresh: BTreeSet<_> = std::fs::read_dir(&mine)
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names, fresh, "{sub}");
        for n in names {
            assert!(
                std::fs::read(committed.join(&n)).unwrap() == std::fs::read(mine.join(&n)).unwrap(),
                "{sub}/{n:?} differs: rerun the generator"
            );
        }
    }
}

#[test]
fn the_committed_history_store_is_what_its_commands_write() {
    let dir = tempfile::tempdir().unwrap();
    let history = dir.path().join("history");
    let root = samples();
    let mut args = vec![
        "--root",
        s(&root),
        "synth",
        "history",
        "--regime",
        "ktxh",
        "--out",
        s(&history),
        "--periods",
    ];
    let periods: Vec<String> = (7..=12)
        .map(|m| format!("2025-{m:02}"))
        .chain((1..=7).map(|m| format!("2026-{m:02}")))
        .collect();
    args.extend(periods.iter().map(String::as_str));
    let (code, _, err) = baocao(&args);
    assert_eq!(code, 0, "{err}");
    for p in ["2026-08", "2026-09"] {
        let (code, _, err) = baocao(&[
            "--root",
            s(&root),
            "run",
            "--regime",
            "ktxh",
            "--period",
            p,
            "--inbox",
            s(&root.join("inbox/ktxh")),
            "--out",
            s(&dir.path().join("out")),
            "--history",
            s(&history),
            "--as-of",
            "2026-11-22",
            "-q",
        ]);
        assert!(code <= 1, "{err}");
    }
    let committed = root.join("history/regime=ktxh");
    let fresh = history.join("regime=ktxh");
    let names: Vec<_> = {
        let mut v: Vec<_> = std::fs::read_dir(&fresh)
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        v.sort();
        v
    };
    assert_eq!(names.len(), 15);
    for n in names {
        let a = std::fs::read(committed.join(&n).join("data.parquet")).unwrap();
        let b = std::fs::read(fresh.join(&n).join("data.parquet")).unwrap();
        assert!(
            a == b,
            "{n:?} differs: regenerate samples/history (samples/README.md)"
        );
    }
    assert!(
        !history.join("audit.csv").exists(),
        "no revisions in the samples' history"
    );
}

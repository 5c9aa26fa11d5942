//! End-to-end: `tasks` on the sample registers; the workbook read back with its fills.

mod common;
use std::collections::BTreeMap;

use calamine::{open_workbook_auto, Reader};
use common::*;

fn tasks_json(register: &str, as_of: &str, out: &std::path::Path) -> (i32, serde_json::Value) {
    let (code, stdout, err) = baocao(&[
        "--root",
        s(&samples()),
        "tasks",
        "--register",
        s(&samples().join("nhiem-vu").join(register)),
        "--as-of",
        as_of,
        "--out",
        s(out),
        "--format",
        "json",
    ]);
    (
        code,
        serde_json::from_str(&stdout).unwrap_or_else(|e| panic!("{e}: {stdout}\n{err}")),
    )
}

#[test]
fn the_lam_dong_2020_fixture_gives_77_30_3_44() {
    let out = tempfile::tempdir().unwrap();
    let (code, v) = tasks_json("lam-dong-2020.csv", "2020-12-31", out.path());
    assert_eq!(code, 0);
    assert_eq!(v["as_of"], "2020-12-31");
    assert_eq!(v["total"], 77);
    let by: BTreeMap<String, u64> = serde_json::from_value(v["by_status"].clone()).unwrap();
    let want: BTreeMap<String, u64> = [
        ("hoàn thành đúng hạn", 30),
        ("hoàn thành quá hạn", 3),
        ("đang thực hiện trong hạn", 44),
        ("đang thực hiện quá hạn", 0),
        ("không có thời hạn", 0),
    ]
    .iter()
    .map(|(k, n)| (k.to_string(), *n))
    .collect();
    assert_eq!(by, want);
    assert_eq!(
        v["late_without_explanation"], 0,
        "the 3 late ones are explained"
    );
    let units: u64 = v["by_unit"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["total"].as_u64().unwrap())
        .sum();
    assert_eq!(units, 77);
}

#[test]
fn the_sample_register_has_every_status_and_its_workbook_agrees_with_the_json() {
    let out = tempfile::tempdir().unwrap();
    let (code, v) = tasks_json("so-theo-doi-2026.xlsx", "2026-11-20", out.path());
    assert_eq!(code, 0, "{}", v["diagnostics"]);
    let by: BTreeMap<String, u64> = serde_json::from_value(v["by_status"].clone()).unwrap();
    for (status, n) in [
        ("hoàn thành đúng hạn", 4),
        ("hoàn thành quá hạn", 2),
        ("đang thực hiện trong hạn", 5),
        ("đang thực hiện quá hạn", 2),
        ("không có thời hạn", 1),
    ] {
        assert_eq!(by[status], n, "{status}");
    }
    assert_eq!(v["nearly_due"], 3);
    assert_eq!(v["late_without_explanation"], 1);
    assert_eq!(v["diagnostics"][0]["code"], "BC0705");
    let reminders: Vec<&str> = v["reminders"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["code"].as_str().unwrap())
        .collect();
    assert_eq!(
        reminders.len(),
        5,
        "2 overdue and 3 nearly due: {reminders:?}"
    );

    let path = out.path().join("nhiem-vu.xlsx");
    let rows = sheet(&path, "Sổ nhiệm vụ");
    let status_col = rows[2]
        .iter()
        .position(|c| text(c) == "Tình trạng")
        .unwrap();
    let mut counted: BTreeMap<String, u64> = BTreeMap::new();
    for r in &rows[3..] {
        *counted.entry(text(&r[status_col])).or_default() += 1;
    }
    counted.retain(|_, n| *n > 0);
    let mut nonzero = by.clone();
    nonzero.retain(|_, n| *n > 0);
    assert_eq!(counted, nonzero);
    // Fills: done green, nearly due yellow, late red.
    let mut wb = open_workbook_auto(&path).unwrap();
    let styles = wb.worksheet_style("Sổ nhiệm vụ").unwrap();
    let mut fills: BTreeMap<String, (u8, u8, u8)> = BTreeMap::new();
    for (i, r) in rows.iter().enumerate().skip(3) {
        let code = text(&r[0]);
        if let Some(color) = styles
            .get((i as u32, 0))
            .and_then(|s| s.fill.clone())
            .and_then(|f| f.foreground_color)
        {
            fills.insert(code, (color.red, color.green, color.blue));
        }
    }
    let green = (0xC6, 0xEF, 0xCE);
    let red = (0xFF, 0xC7, 0xCE);
    let yellow = (0xFF, 0xEB, 0x9C);
    assert_eq!(fills["NV-2026-001"], green, "completed on its deadline day");
    assert_eq!(fills["NV-2026-003"], red, "completed late");
    assert_eq!(fills["NV-2026-009"], red, "overdue");
    assert_eq!(fills["NV-2026-006"], yellow, "due within 7 days");
    assert_eq!(fills["NV-2026-014"], yellow, "due today");
    assert!(!fills.contains_key("NV-2026-008"), "due later: no fill");
    // The summary sheet's totals row equals the JSON.
    let summary = sheet(&path, "Tổng hợp");
    let total = summary.iter().find(|r| text(&r[1]) == "Tổng cộng").unwrap();
    assert_eq!(num(&total[2]), Some(14.0));
    assert_eq!(num(&total[3]), Some(4.0));
    assert_eq!(num(&total[6]), Some(2.0));
}

#[test]
fn register_rows_with_problems_get_coded_diagnostics_and_the_rest_go_on() {
    let dir = tempfile::tempdir().unwrap();
    let reg = dir.path().join("so.csv");
    std::fs::write(
        &reg,
        "Mã nhiệm vụ,Nội dung nhiệm vụ,Ngày giao,Đơn vị chủ trì,Thời hạn,Thời hạn điều chỉnh,Ngày hoàn thành,Giải trình\n\
         A1,Việc một,05/01/2026,STC,30/06/2026,,30/06/2026,\n\
         A2,Việc hai,10/01/2026,Sở Tài chính,30/06/2026,,02/01/2026,\n\
         A3,Việc ba,10/01/2026,Sở Kế hoạch và Đầu tư,30/06/2026,,,\n\
         A4,Việc bốn,10/01/2026,so cong thuong,31/02/2026,,,\n\
         A1,Việc trùng mã,10/01/2026,STC,30/06/2026,,,\n\
         A5,Việc năm,10/01/2026,SCT,Thường xuyên,,,\n\
         A6,Việc sáu,10/01/2026,SCT,30/06/2026,31/07/2026,20/07/2026,\n",
    )
    .unwrap();
    let out = tempfile::tempdir().unwrap();
    let (code, stdout, _) = baocao(&[
        "--root",
        s(&samples()),
        "tasks",
        "--register",
        s(&reg),
        "--as-of",
        "2026-08-01",
        "--out",
        s(out.path()),
        "--format",
        "json",
    ]);
    assert_eq!(code, 1);
    let v: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    let mut codes: Vec<String> = v["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["code"].as_str().unwrap().to_string())
        .collect();
    codes.sort();
    assert_eq!(codes, ["BC0702", "BC0703", "BC0704", "BC0706", "BC0708"]);
    // A1 (on its deadline day), A5 (no deadline), A6 (within its extension) remain.
    assert_eq!(v["total"], 3);
    assert_eq!(v["by_status"]["hoàn thành đúng hạn"], 2);
    assert_eq!(v["by_status"]["không có thời hạn"], 1);
    let (code, _, _) = baocao(&[
        "--root",
        s(&samples()),
        "tasks",
        "--register",
        s(&dir.path().join("khong-co.xlsx")),
        "--as-of",
        "2026-08-01",
        "--out",
        s(out.path()),
    ]);
    assert_eq!(code, 2);
}

#[test]
fn run_puts_the_task_summary_in_the_report_and_the_workbook() {
    let out = tempfile::tempdir().unwrap();
    let (_, _, err) = baocao(&[
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
        s(out.path()),
        "--as-of",
        "2026-11-20",
        "--tasks",
        s(&samples().join("nhiem-vu/so-theo-doi-2026.xlsx")),
        "-q",
        "--no-history",
    ]);
    let dir = out.path().join("ktxh/2026-10");
    let md = std::fs::read_to_string(dir.join("bao-cao.md")).unwrap_or_else(|_| panic!("{err}"));
    assert!(md.contains("KẾT QUẢ THỰC HIỆN NHIỆM VỤ UBND TỈNH GIAO"));
    assert!(
        md.contains("14 nhiệm vụ được giao: hoàn thành 6 (4 đúng hạn, 2 quá hạn)"),
        "{md}"
    );
    let rows = sheet(&dir.join("tong-hop.xlsx"), "Nhiệm vụ");
    assert!(rows
        .iter()
        .any(|r| r.len() > 2 && text(&r[1]) == "Tổng cộng" && num(&r[2]) == Some(14.0)));
}

//! End-to-end: the result sheet (phiếu kết quả tiếp nhận) each unit that sent a report gets
//! back from `run` and `check --feedback`, read back with calamine and from the docx's XML.
//! Expectations from the samples' October inbox, worked out by hand.

mod common;

use std::path::Path;

use common::*;

/// The facts (label → value) and the findings' rows of a result sheet.
fn read_sheet(path: &Path) -> (Vec<(String, String)>, Vec<Vec<String>>) {
    let rows: Vec<Vec<String>> = sheet(path, "Phiếu kết quả")
        .iter()
        .map(|r| r.iter().map(text).collect())
        .collect();
    assert_eq!(rows[1][0], "PHIẾU KẾT QUẢ TIẾP NHẬN BÁO CÁO");
    assert_eq!(
        rows[2][0],
        "Báo cáo tình hình kinh tế - xã hội — Tháng 10 năm 2026"
    );
    let facts = rows[4..10]
        .iter()
        .map(|r| (r[0].clone(), r[3].clone()))
        .collect();
    let findings = match rows.iter().position(|r| r[0] == "STT") {
        Some(h) => rows[h + 1..].to_vec(),
        None => Vec::new(),
    };
    (facts, findings)
}

fn fact<'a>(facts: &'a [(String, String)], label: &str) -> &'a str {
    &facts.iter().find(|f| f.0 == label).unwrap().1
}

#[test]
fn each_unit_that_sent_gets_its_result_sheet_with_its_findings() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let (code, stdout, err) = baocao(&[
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
        s(&out),
        "--no-history",
        "--as-of",
        "2026-11-22",
        "--feedback",
    ]);
    assert_eq!(code, 1, "{err}");
    // 39 units sent (37 accepted, 2 returned); Xã Vĩnh Hưng (99024) sent nothing: no sheet.
    let folder = out.join("phieu-ket-qua");
    assert!(
        stdout.contains("Phiếu kết quả gửi lại 39 đơn vị"),
        "{stdout}"
    );
    let mut names: Vec<String> = std::fs::read_dir(&folder)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert_eq!(names.len(), 78, "{names:?}");
    assert!(names.contains(&"99001-ktxh-2026-10.docx".to_string()));
    assert!(!names.iter().any(|n| n.starts_with("99024-")), "{names:?}");

    // Phường Hòa Bình: returned for DL02 15.770 > DL01 11.264, at F21.
    let (facts, findings) = read_sheet(&folder.join("99004-ktxh-2026-10.xlsx"));
    assert_eq!(fact(&facts, "Đơn vị gửi"), "Phường Hòa Bình (99004)");
    assert_eq!(
        fact(&facts, "Tệp nhận được"),
        "99004-phuong-hoa-binh-2026-10.xlsx"
    );
    assert_eq!(fact(&facts, "Thời hạn gửi"), "16/10/2026");
    assert!(fact(&facts, "Kết quả").starts_with("Bị trả lại: báo cáo có 1 lỗi chặn"));
    assert_eq!(findings.len(), 1, "{findings:?}");
    let f = &findings[0];
    assert_eq!(
        [&f[1], &f[2], &f[3], &f[4], &f[5]],
        ["BC0405", "chặn", "Biểu số liệu", "F21", "15.770"]
    );
    assert!(f[6].starts_with("DL02 \"Khách du lịch quốc tế\" = 15.770 lớn hơn tổng DL01"));
    assert_eq!(f[7], "Kiểm tra lại hai số rồi gửi lại.");

    // Xã Nam Phong: received Tuesday 20/10 09:30 (sổ nhận), deadline Friday 16/10: late by
    // Monday and Tuesday, 2 working days; accepted.
    let (facts, findings) = read_sheet(&folder.join("99021-ktxh-2026-10.xlsx"));
    assert_eq!(fact(&facts, "Thời điểm nhận"), "20/10/2026 09:30 (sổ nhận)");
    assert_eq!(
        fact(&facts, "Thời gian gửi"),
        "Muộn 2 ngày làm việc so với thời hạn 16/10/2026"
    );
    assert!(fact(&facts, "Kết quả").starts_with("Được chấp nhận"));
    assert_eq!(findings.len(), 1, "{findings:?}");
    assert_eq!(findings[0][1], "BC0501");

    // Xã Tân Lập: accepted, one warning at F20 where it typed "2.345" as text.
    let (facts, findings) = read_sheet(&folder.join("99012-ktxh-2026-10.xlsx"));
    assert_eq!(fact(&facts, "Thời gian gửi"), "Đúng hạn");
    assert!(fact(&facts, "Kết quả").contains("Có 1 cảnh báo"));
    assert_eq!(
        [&findings[0][1], &findings[0][4], &findings[0][5]],
        ["BC0202", "F20", "2.345"]
    );

    // A unit with nothing to say is told so.
    let (facts, findings) = read_sheet(&folder.join("99001-ktxh-2026-10.xlsx"));
    assert_eq!(
        fact(&facts, "Kết quả"),
        "Được chấp nhận: số liệu đã được đưa vào tổng hợp."
    );
    assert!(findings.is_empty());

    // The docx says the same, in the administrative layout, addressed to the unit.
    let xml = docx_text(&folder.join("99004-ktxh-2026-10.docx"));
    for words in [
        "ỦY BAN NHÂN DÂN",
        "PHIẾU KẾT QUẢ TIẾP NHẬN BÁO CÁO",
        "Bị trả lại",
        "BC0405",
        "15.770",
        "Nơi nhận:",
        "TM. ỦY BAN NHÂN DÂN",
        "Nguyễn Minh Khoa",
        "Phường Hòa Bình",
    ] {
        assert!(xml.contains(words), "{words} not in the docx");
    }

    // check --feedback writes the same sheets where it is told, and nothing else.
    let fb = dir.path().join("phieu");
    let (code, stdout, err) = baocao(&[
        "--root",
        s(&samples()),
        "check",
        "--regime",
        "ktxh",
        "--period",
        "2026-10",
        "--as-of",
        "2026-11-22",
        "--feedback",
        s(&fb),
        s(&samples().join("inbox/ktxh/2026-10")),
    ]);
    assert_eq!(code, 1, "{err}");
    assert!(
        stdout.contains("Phiếu kết quả gửi lại 39 đơn vị"),
        "{stdout}"
    );
    let (_, findings) = read_sheet(&fb.join("99004-ktxh-2026-10.xlsx"));
    assert_eq!(findings[0][1], "BC0405");
    assert_eq!(std::fs::read_dir(&fb).unwrap().count(), 78);
}

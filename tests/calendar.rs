//! End-to-end: `calendar`, `due` and `check-config` on the samples and on a broken config.

mod common;
use common::*;

#[test]
fn sample_calendar_csv_has_every_period_and_level_correct_to_the_day() {
    let (code, out, err) = baocao(&[
        "--root",
        s(&samples()),
        "calendar",
        "--year",
        "2026",
        "--regime",
        "ktxh",
        "--format",
        "csv",
    ]);
    assert_eq!(code, 0, "{err}");
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(
        lines[0],
        "regime,period,label,level,cutoff_from,cutoff_to,deadline"
    );
    // 11 months (the yearly report replaces December's) + 4 quarters + 2 halves + 9 months +
    // the year = 19 periods, 3 levels each.
    assert_eq!(lines.len(), 1 + 19 * 3);
    // Hand-computed (Tết 2026: 14/02–22/02; 20/06, 20/09 and 20/12/2026 fall on weekends;
    // the province's February deadline is moved to Thursday 26/02 by a [[deadline]] of that
    // period, after the communes' 24/02).
    for row in [
        "ktxh,2026-01,Tháng 1 năm 2026,xa,2025-12-15,2026-01-14,2026-01-16",
        "ktxh,2026-01,Tháng 1 năm 2026,tinh,2025-12-15,2026-01-14,2026-01-20",
        "ktxh,2026-02,Tháng 2 năm 2026,so,2026-01-15,2026-02-14,2026-02-24",
        "ktxh,2026-02,Tháng 2 năm 2026,tinh,2026-01-15,2026-02-14,2026-02-26",
        "ktxh,2026-05,Tháng 5 năm 2026,xa,2026-04-15,2026-05-14,2026-05-18",
        "ktxh,2026-10,Tháng 10 năm 2026,xa,2026-09-15,2026-10-14,2026-10-16",
        "ktxh,2026-10,Tháng 10 năm 2026,tinh,2026-09-15,2026-10-14,2026-10-20",
        "ktxh,2026-Q3,Quý III năm 2026,xa,2026-06-15,2026-09-14,2026-09-16",
        "ktxh,2026-Q3,Quý III năm 2026,tinh,2026-06-15,2026-09-14,2026-09-21",
        "ktxh,2026-H1,6 tháng đầu năm 2026,xa,2025-12-15,2026-06-14,2026-06-16",
        "ktxh,2026-H1,6 tháng đầu năm 2026,tinh,2025-12-15,2026-06-14,2026-06-22",
        "ktxh,2026-H2,6 tháng cuối năm 2026,so,2026-06-15,2026-12-14,2026-12-16",
        "ktxh,2026-9M,9 tháng năm 2026,xa,2025-12-15,2026-09-14,2026-09-16",
        "ktxh,2026-9M,9 tháng năm 2026,tinh,2025-12-15,2026-09-14,2026-09-21",
        "ktxh,2026,Năm 2026,xa,2025-12-15,2026-12-14,2026-12-16",
        "ktxh,2026,Năm 2026,tinh,2025-12-15,2026-12-14,2026-12-21",
    ] {
        assert!(lines.contains(&row), "missing {row}");
    }
    let levels = |p: &str| {
        lines
            .iter()
            .filter(|l| l.starts_with(&format!("ktxh,{p},")))
            .count()
    };
    for p in [
        "2026-01", "2026-11", "2026-Q4", "2026-H2", "2026-9M", "2026",
    ] {
        assert_eq!(levels(p), 3, "{p}");
    }
    assert_eq!(levels("2026-12"), 0, "replaced by the yearly report");
}

#[test]
fn calendar_json_and_table_forms() {
    let (code, out, _) = baocao(&[
        "--root",
        s(&samples()),
        "calendar",
        "--regime",
        "ktxh",
        "--year",
        "2026",
        "--format",
        "json",
    ]);
    assert_eq!(code, 0);
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v.as_array().unwrap().len(), 57);
    assert_eq!(v[0]["deadline"], "2026-01-16");
    let (code, out, _) = baocao(&[
        "--root",
        s(&samples()),
        "calendar",
        "--regime",
        "ktxh",
        "--year",
        "2026",
    ]);
    assert_eq!(code, 0);
    assert!(out.contains("16/10/2026"));
}

#[test]
fn bad_arguments_exit_with_two_and_say_why() {
    let (code, _, err) = baocao(&[
        "--root",
        s(&samples()),
        "form",
        "--period",
        "2026-13",
        "--out",
        "/tmp/x",
    ]);
    assert_eq!(code, 2);
    assert!(err.contains("tháng phải từ 1 đến 12"), "{err}");
    let (code, _, err) = baocao(&[
        "--root",
        s(&samples()),
        "calendar",
        "--year",
        "2026",
        "--regime",
        "khong-co",
    ]);
    assert_eq!(code, 2);
    assert!(
        err.contains("không có chế độ báo cáo \"khong-co\""),
        "{err}"
    );
}

#[test]
fn due_given_one_period_folder_as_its_inbox_says_to_give_the_root() {
    // A period's folder holds the forms themselves: due would find no period folder in it
    // and call every unit missing. It says which folder to give instead (exit 2).
    let october = samples().join("inbox/ktxh/2026-10");
    let due = |inbox: &std::path::Path| {
        baocao(&[
            "--root",
            s(&samples()),
            "due",
            "--regime",
            "ktxh",
            "--today",
            "2026-10-19",
            "--inbox",
            s(inbox),
        ])
    };
    let (code, out, err) = due(&october);
    assert_eq!(code, 2, "{out}");
    assert!(err.contains("không phải thư mục gốc nhận báo cáo"), "{err}");
    assert!(
        err.contains(&format!(
            "--inbox {}",
            samples().join("inbox/ktxh").display()
        )),
        "{err}"
    );
    // A folder of loose forms, not named as a period, is the same mistake.
    let dir = tempfile::tempdir().unwrap();
    let loose = dir.path().join("thang-10");
    std::fs::create_dir(&loose).unwrap();
    std::fs::copy(
        october.join("99004-phuong-hoa-binh-2026-10.xlsx"),
        loose.join("99004-phuong-hoa-binh-2026-10.xlsx"),
    )
    .unwrap();
    let (code, _, err) = due(&loose);
    assert_eq!(code, 2, "{err}");
    // A new, empty inbox root is not: nobody has sent yet, and October is overdue (exit 1).
    let empty = dir.path().join("nhan");
    std::fs::create_dir(&empty).unwrap();
    let (code, _, err) = due(&empty);
    assert_eq!(code, 1, "{err}");
}

#[test]
fn due_writes_a_reminder_before_the_deadline_and_an_urging_letter_after_it() {
    let dir = tempfile::tempdir().unwrap();
    let letters = |today: &str, into: &std::path::Path| {
        baocao(&[
            "--root",
            s(&samples()),
            "due",
            "--regime",
            "ktxh",
            "--today",
            today,
            "--inbox",
            s(&samples().join("inbox/ktxh")),
            "--letters",
            s(into),
        ])
    };
    // 19/10: the communes' October deadline (16/10) has passed; Vĩnh Hưng never sent, Hòa
    // Bình's and Phước Sơn's reports were returned. One urging letter, to those three.
    let after = dir.path().join("after");
    let (code, out, err) = letters("2026-10-19", &after);
    assert_eq!(code, 1, "overdue reports not in: {err}");
    assert!(
        out.contains(
            "ktxh-2026-10-xa-don-doc.docx (đôn đốc): Xã Vĩnh Hưng, Phường Hòa Bình, Xã Phước Sơn"
        ),
        "{out}"
    );
    let names: Vec<String> = std::fs::read_dir(&after)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(names, ["ktxh-2026-10-xa-don-doc.docx"]);
    let text = docx_text(&after.join("ktxh-2026-10-xa-don-doc.docx"));
    for words in [
        "V/v đôn đốc gửi Báo cáo tình hình kinh tế - xã hội tháng 10 năm 2026",
        "Kính gửi:",
        "chậm nhất ngày 16/10/2026",
        "Đến ngày 19/10/2026, 3 đơn vị sau chưa gửi báo cáo hoặc chưa gửi lại báo cáo đã sửa:",
        "Xã Phước Sơn.",
        "Xã Vĩnh Hưng (99024)",
        "Phường Hòa Bình (99004): đã gửi nhưng báo cáo bị trả lại",
        "Thời hạn gửi đã qua.",
        "Nơi nhận:",
        "Nguyễn Minh Khoa",
    ] {
        assert!(text.contains(words), "{words} not in the letter: {text}");
    }
    // A commune that sent is not named.
    assert!(!text.contains("Phường An Lạc"), "{text}");
    // 15/10: the deadline is tomorrow, within the default 3 days: a reminder to the same three.
    let before = dir.path().join("before");
    let (code, out, err) = letters("2026-10-15", &before);
    // The nine months' reports (due 16/9) are overdue and none is in the samples' inbox.
    assert_eq!(code, 1, "{err}");
    assert!(
        out.contains(
            "ktxh-2026-10-xa-nhac.docx (nhắc): Xã Vĩnh Hưng, Phường Hòa Bình, Xã Phước Sơn"
        ),
        "{out}"
    );
    let text = docx_text(&before.join("ktxh-2026-10-xa-nhac.docx"));
    assert!(text.contains("V/v nhắc gửi Báo cáo"), "{text}");
    assert!(text.contains("đúng thời hạn"), "{text}");
    // Without an inbox nobody is known to be missing: a usage error.
    let (code, _, err) = baocao(&[
        "--root",
        s(&samples()),
        "due",
        "--letters",
        s(&dir.path().join("x")),
    ]);
    assert_eq!(code, 2, "{err}");
}

#[test]
fn due_lists_overdue_periods_and_the_units_that_have_not_sent() {
    let inbox = samples().join("inbox/ktxh");
    let (code, out, err) = baocao(&[
        "--root",
        s(&samples()),
        "due",
        "--regime",
        "ktxh",
        "--today",
        "2026-10-19",
        "--inbox",
        s(&inbox),
        "--format",
        "json",
    ]);
    assert_eq!(code, 1, "overdue reports not in: {err}");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    let rows = v.as_array().unwrap();
    let oct_xa = rows
        .iter()
        .find(|r| r["period"] == "2026-10" && r["level"] == "xa")
        .expect("2026-10 is overdue for communes on 19/10");
    assert_eq!(oct_xa["status"], "overdue");
    assert_eq!(oct_xa["deadline"], "2026-10-16");
    // Vĩnh Hưng never sent; Hòa Bình and Phước Sơn sent files that were rejected: listed
    // apart, as "bị từ chối".
    let list = |key: &str| -> Vec<String> {
        oct_xa[key]
            .as_array()
            .unwrap()
            .iter()
            .map(|x| x.as_str().unwrap().to_string())
            .collect()
    };
    assert_eq!(list("missing"), vec!["99024"]);
    assert_eq!(list("rejected"), vec!["99004", "99010"]);
    let oct_tinh = rows
        .iter()
        .find(|r| r["period"] == "2026-10" && r["level"] == "tinh")
        .unwrap();
    assert_eq!(oct_tinh["status"], "upcoming");
    // The province's own deadline (sending upward) has no list of units that have not sent.
    assert!(oct_tinh.get("missing").is_none(), "{oct_tinh}");
}

#[test]
fn a_config_with_mistakes_lists_every_mistake_in_one_run() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    copy_dir(
        &samples().join("report-templates"),
        &root.join("report-templates"),
    );
    std::fs::copy(samples().join("library.toml"), root.join("library.toml")).unwrap();
    own_regimes(root);
    let units = std::fs::read_to_string(samples().join("units.toml")).unwrap();
    // A duplicate code, an unknown parent and a cycle.
    let units = units
        .replacen("code = \"99002\"", "code = \"99001\"", 1)
        .replacen("parent = \"99\"\nvalid_from = 2025-07-01\n\n[[unit]]\ncode = \"99003\"", "parent = \"77\"\nvalid_from = 2025-07-01\n\n[[unit]]\ncode = \"99003\"", 1)
        + "\n[[unit]]\ncode = \"C1\"\nname = \"Vòng 1\"\nlevel = \"xa\"\nkind = \"xa\"\nparent = \"C2\"\n\n[[unit]]\ncode = \"C2\"\nname = \"Vòng 2\"\nlevel = \"xa\"\nkind = \"xa\"\nparent = \"C1\"\n";
    std::fs::write(root.join("units.toml"), units).unwrap();
    let regime_path = root.join("report-templates/ktxh/regime.toml");
    let regime = std::fs::read_to_string(&regime_path)
        .unwrap()
        .replace("\"AN04\"]", "\"AN04\", \"XX99\"]")
        .replace("day = 20\n", "day = 10\n");
    std::fs::write(&regime_path, regime).unwrap();
    std::fs::write(
        root.join("calendar.toml"),
        "[[holiday]]\nfrom = 2026-11-24\nto = 2026-11-20\nname = \"Ngược\"\n",
    )
    .unwrap();
    let (code, _, err) = baocao(&["--root", s(root), "check-config"]);
    assert_eq!(code, 2, "{err}");
    for needle in [
        "units.toml › [[unit]] thứ 3 (99001).code: mã đơn vị \"99001\" trùng với [[unit]] thứ 2",
        "đơn vị cấp trên \"77\" không có trong danh mục",
        "vòng lặp trong cây đơn vị",
        "chỉ tiêu \"XX99\" không có trong danh mục",
        "Điều 8 khoản 5",
        "calendar.toml › [[holiday]] thứ 1",
    ] {
        assert!(err.contains(needle), "missing «{needle}» in:\n{err}");
    }
    // Every other command refuses to run on a broken config, with the same list.
    let (code, _, err2) = baocao(&["--root", s(root), "calendar", "--year", "2026"]);
    assert_eq!(code, 2);
    assert!(err2.contains("vòng lặp"));
}

#[test]
fn a_mistyped_value_is_one_vietnamese_error_without_a_cascade() {
    let dir = tempfile::tempdir().unwrap();
    let root = sample_root(dir.path());
    let path = root.join("indicators/kinh-te.toml");
    let text = std::fs::read_to_string(&path).unwrap();
    // One indicator's `stock` typed as a string.
    let text = text.replacen(
        "aggregation = \"sum\"\n",
        "aggregation = \"sum\"\nstock = \"true\"\n",
        1,
    );
    std::fs::write(&path, text).unwrap();
    let (code, _, err) = baocao(&["--root", s(&root), "check-config"]);
    assert_eq!(code, 2);
    assert!(err.contains("Cấu hình có 2 lỗi"), "{err}");
    assert!(
        err.contains("sai kiểu giá trị: ghi chuỗi \"true\" nhưng cần true hoặc false"),
        "{err}"
    );
    assert!(err.contains("chưa kiểm tra các chế độ báo cáo"), "{err}");
    assert!(!err.contains("invalid type"), "English: {err}");
}

#[test]
fn a_part_in_another_unit_of_measure_than_its_total_is_a_config_error() {
    let dir = tempfile::tempdir().unwrap();
    let root = sample_root(dir.path());
    let path = root.join("indicators/kinh-te.toml");
    let text = std::fs::read_to_string(&path).unwrap();
    // NN02 (diện tích lúa, ha) is part of NN01 (ha): measured in tấn, it cannot be.
    let at = text.find("code = \"NN02\"").expect("NN02 in the catalog");
    let unit = at + text[at..].find("unit = \"ha\"").expect("its unit");
    let text = format!(
        "{}unit = \"tấn\"{}",
        &text[..unit],
        &text[unit + "unit = \"ha\"".len()..]
    );
    std::fs::write(&path, text).unwrap();
    let (code, _, err) = baocao(&["--root", s(&root), "check-config"]);
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("đo bằng tấn nhưng chỉ tiêu tổng \"NN01\" đo bằng ha"),
        "{err}"
    );
}

#[test]
fn a_deadline_two_days_after_the_cutoff_is_upcoming_before_the_cutoff_ends() {
    // tthc 2026-Q3: data to 14/09, communes and departments by 16/09, the province by 21/09
    // (the calendar above). On 12/09 the quarter is still collecting, and the 16/09 deadlines
    // come within the default 7 days; the province's (21/09) does not. On 08/09, 16/09 is
    // 8 days away: nothing.
    let rows = |today: &str| -> Vec<(String, String, String, String)> {
        let (code, out, err) = baocao(&[
            "--root",
            s(&samples()),
            "due",
            "--regime",
            "tthc",
            "--today",
            today,
            "--format",
            "json",
        ]);
        assert_eq!(code, 0, "{err}");
        let v: serde_json::Value = serde_json::from_str(&out).unwrap();
        v.as_array()
            .unwrap()
            .iter()
            .map(|r| {
                let f = |k: &str| r[k].as_str().unwrap().to_string();
                (f("period"), f("level"), f("deadline"), f("status"))
            })
            .collect()
    };
    let row = |level: &str| {
        (
            "2026-Q3".to_string(),
            level.to_string(),
            "2026-09-16".to_string(),
            "upcoming".to_string(),
        )
    };
    assert_eq!(rows("2026-09-12"), [row("xa"), row("so")]);
    assert_eq!(rows("2026-09-08"), []);
}

//! The sample regime `ntm` (answers: Đạt/Chưa đạt, Có/Không, năm công nhận, mức đạt chuẩn)
//! end to end on `samples/inbox/ntm/2026-H1`: the counts, shares and averages the province
//! gets, worked out by hand from the communes' answers (the table in `src/synth/answers.rs`);
//! the "if" rules' diagnostics; answers typed in other spellings; the table of units read back
//! with calamine; the narrative's list.

mod common;

use std::path::Path;

use common::*;

const PERIOD: &str = "2026-H1";

fn run(out: &Path) -> String {
    let (code, stdout, err) = baocao(&[
        "--root",
        s(&samples()),
        "run",
        "--regime",
        "ntm",
        "--period",
        PERIOD,
        "--inbox",
        s(&samples().join("inbox/ntm")),
        "--out",
        s(out),
        "--as-of",
        "2026-07-15",
        "--no-history",
    ]);
    // A commune has not sent (a blocking BC0504): exit 1, outputs written.
    assert_eq!(code, 1, "{stdout}{err}");
    stdout
}

/// Accepted: 17 of the 21 communes (99011 and 99013 contradict an "if" rule, 99019 answers
/// "Đạt một phần", 99021 does not send). Among them "Có" (đạt chuẩn): 99016, 99017, 99018,
/// 99020, 99023, 99024, 99026, 99028 = 8; nâng cao: 99018, 99020, 99028 = 3 (99024 is kiểu
/// mẫu); tiêu chí Thu nhập "Đạt" (19 criteria or income ≥ 60): 99016, 99017, 99018, 99020,
/// 99022, 99023, 99024, 99025, 99026, 99027, 99028, 99029 = 12.
/// Criteria: 14+15+16+18+18+19+19+19+19+13+19+19+17+19+16+19+12 = 291; 291 / 17 = 17,1176.
/// Income: 48 + 1,5 × (0+1+3+5+6+7+8+9+11+13+14+15+16+17+18+19+20 = 182) / 17 = 64,0588.
/// Poverty: 59,7 / 17 = 3,5118.
#[test]
fn the_province_counts_and_shares_the_communes_answers() {
    let t = tempfile::tempdir().unwrap();
    let stdout = run(t.path());
    assert!(stdout.contains("Báo cáo được chấp nhận: 17"), "{stdout}");
    let dir = t.path().join("ntm").join(PERIOD);
    let csv = std::fs::read_to_string(dir.join("du-lieu.csv")).unwrap();
    let at = |unit: &str, code: &str| -> f64 {
        csv.lines()
            .map(|l| l.split(',').collect::<Vec<_>>())
            .find(|f| f[2] == unit && f[3] == code && f[6] == "thuc_hien")
            .unwrap_or_else(|| panic!("{unit} {code}"))[4]
            .parse()
            .unwrap()
    };
    let close = |a: f64, b: f64| (a - b).abs() < 1e-6;
    assert_eq!(at("99", "DON_VI_BAO_CAO"), 17.0);
    assert_eq!(at("99", "NTM20"), 8.0);
    assert!(
        close(at("99", "NTM21"), 8.0 / 17.0 * 100.0),
        "{}",
        at("99", "NTM21")
    );
    assert_eq!(at("99", "NTM22"), 12.0);
    assert!(close(at("99", "NTM24"), 12.0 / 17.0 * 100.0));
    assert_eq!(at("99", "NTM23"), 3.0);
    assert!(close(at("99", "NTM01"), 291.0 / 17.0));
    assert!(close(at("99", "NTM08"), 48.0 + 1.5 * 182.0 / 17.0));
    assert!(close(at("99", "NTM09"), 59.7 / 17.0));
    // A commune's own level: its count is 1 or 0, its share 100 or 0.
    assert_eq!(at("99016", "NTM20"), 1.0);
    assert_eq!(at("99016", "NTM21"), 100.0);
    assert_eq!(at("99009", "NTM20"), 0.0);
    assert_eq!(at("99009", "NTM21"), 0.0);
    // The consolidated form prints the counts, the average with its decimals, no 1/0.
    let form = sheet(&dir.join("tong-hop.xlsx"), "Biểu số liệu");
    let row = |code: &str| -> Vec<String> {
        form.iter()
            .find(|r| r.iter().any(|c| text(c) == code))
            .unwrap_or_else(|| panic!("row {code}"))
            .iter()
            .map(text)
            .collect()
    };
    assert!(
        row("NTM20").contains(&"8".to_string()),
        "{:?}",
        row("NTM20")
    );
    // The narrative says the same figures, as a person writes them.
    let md = std::fs::read_to_string(dir.join("bao-cao.md")).unwrap();
    for said in [
        "Toàn tỉnh có 8 xã đạt chuẩn nông thôn mới, chiếm 47,1% số xã báo cáo; 3 xã đạt chuẩn nâng cao.",
        "Bình quân mỗi xã đạt 17,12 tiêu chí.",
        "Có 12 xã đạt tiêu chí Thu nhập (70,6%)",
        "thu nhập bình quân đầu người 64,1 triệu đồng/người/năm, tỷ lệ hộ nghèo bình quân 3,51%",
        "Số liệu được tổng hợp từ báo cáo của 17/21 xã",
    ] {
        assert!(md.contains(said), "{said}\n{md}");
    }
}

#[test]
fn if_rules_and_answers_in_other_spellings_are_diagnosed_at_their_cells() {
    let t = tempfile::tempdir().unwrap();
    run(t.path());
    let diags = diagnostics_with_cells(&t.path().join("ntm").join(PERIOD).join("tong-hop.xlsx"));
    let of = |code: &str, file: &str| -> Vec<&[String; 6]> {
        diags
            .iter()
            .filter(|d| d[0] == code && d[2].starts_with(file))
            .collect()
    };
    // "Có" with 17 criteria: blocking, at the criteria's cell, both cells named.
    let tan_phu = of("BC0411", "99011");
    assert_eq!(tan_phu.len(), 1, "{diags:?}");
    assert_eq!(tan_phu[0][1], "chặn");
    assert!(
        tan_phu[0][5].contains("NTM05 \"Xã đạt chuẩn nông thôn mới\" là \"Có\" (ô E16)"),
        "{:?}",
        tan_phu[0]
    );
    assert!(tan_phu[0][5].contains("NTM01 \"Số tiêu chí nông thôn mới đạt\" là 17 (ô E12)"));
    assert_eq!(tan_phu[0][4], "E12");
    // "Có" without a year: blocking, at the answer (the year's cell is empty).
    let hoa_thuan = of("BC0411", "99013");
    assert_eq!(hoa_thuan.len(), 1);
    assert_eq!(hoa_thuan[0][1], "chặn");
    assert!(hoa_thuan[0][5].contains("NTM06 \"Năm được công nhận đạt chuẩn\" để trống"));
    // At the empty year's cell, the one to fill.
    assert_eq!(hoa_thuan[0][4], "E17");
    // "Không" with a year: a warning, the year printed as a year.
    let my_loc = of("BC0411", "99015");
    assert_eq!(my_loc.len(), 1);
    assert_eq!(my_loc[0][1], "cảnh báo");
    assert!(my_loc[0][5].contains("là 2024 (ô E17)"), "{:?}", my_loc[0]);
    // A commune short of the standard that leaves its difficulties blank: a warning.
    let cam_thanh = of("BC0411", "99029");
    assert_eq!(cam_thanh.len(), 1);
    assert_eq!(cam_thanh[0][1], "cảnh báo");
    assert!(
        cam_thanh[0][5].starts_with(
            "Xã chưa đạt chuẩn cần nêu khó khăn, kiến nghị. Nếu NTM05 = Không thì NTM10 không trống"
        ),
        "{:?}",
        cam_thanh[0]
    );
    assert!(cam_thanh[0][5].contains("NTM10 \"Khó khăn, kiến nghị\" để trống"));
    // Other spellings: read, each with a note at its cell; the form is accepted.
    let variants: Vec<(&str, &str)> = of("BC0208", "99017")
        .iter()
        .map(|d| (d[4].as_str(), d[5].as_str()))
        .collect();
    let expected = [
        ("E13", "\"đạt\" được hiểu là \"Đạt\""),
        ("E14", "\"DAT\" được hiểu là \"Đạt\""),
        ("E15", "\"ĐẠT\" được hiểu là \"Đạt\""),
        ("E16", "\"co\" được hiểu là \"Có\""),
        ("E18", "\"dat chuan\" được hiểu là \"Đạt chuẩn\""),
    ];
    assert_eq!(variants.len(), expected.len(), "{variants:?}");
    for ((cell, said), (want_cell, want)) in variants.iter().zip(expected) {
        assert_eq!(*cell, want_cell);
        assert!(said.contains(want), "{said}");
    }
    // An answer not in the list: blocking, at its cell, and not also "left empty" (BC0404).
    let tay_giang = of("BC0209", "99019");
    assert_eq!(tay_giang.len(), 1);
    assert_eq!(tay_giang[0][4], "E15");
    assert!(tay_giang[0][5].contains("\"Đạt một phần\""));
    assert!(of("BC0404", "99019").is_empty(), "{diags:?}");
}

#[test]
fn the_table_of_units_lists_every_commune_with_its_status_and_labels() {
    let t = tempfile::tempdir().unwrap();
    run(t.path());
    let dir = t.path().join("ntm").join(PERIOD);
    let rows = sheet(&dir.join("tong-hop.xlsx"), "Danh sách đơn vị");
    assert_eq!(
        text(&rows[0][0]),
        "Kết quả xây dựng nông thôn mới của các xã"
    );
    let head: Vec<String> = rows[2].iter().map(text).collect();
    assert_eq!(
        head,
        [
            "STT",
            "Đơn vị",
            "Số tiêu chí đạt (tiêu chí)",
            "Tiêu chí Thu nhập",
            "Đạt chuẩn NTM",
            "Năm công nhận",
            "Mức đạt chuẩn",
            "Thu nhập bình quân (triệu đồng/người/năm)",
            "Khó khăn, kiến nghị",
            "Tình trạng"
        ]
    );
    let body = &rows[3..];
    // The 21 communes in the tree's order, the rejected and the missing among them.
    assert_eq!(body.len(), 21);
    let line = |i: usize| -> Vec<String> { body[i].iter().map(text).collect() };
    assert_eq!(line(0)[1], "Xã Phước An");
    assert_eq!(
        line(2)[1..].to_vec(),
        ["Xã Tân Phú", "", "", "", "", "", "", "", "bị từ chối"]
    );
    assert_eq!(
        line(12)[1..].to_vec(),
        ["Xã Nam Phong", "", "", "", "", "", "", "", "chưa gửi"]
    );
    assert_eq!(line(6)[9], "đúng hạn");
    // A note as the commune wrote it; none where it wrote none.
    assert_eq!(
        line(0)[8],
        "Thiếu vốn làm đường giao thông nông thôn và trường học đạt chuẩn."
    );
    assert_eq!(line(9)[8], "");
    // Answers as their labels, the year a number without separators, the level's label.
    assert_eq!(line(9)[3..7].to_vec(), ["Đạt", "Có", "2019", "Nâng cao"]);
    assert_eq!(num(&body[9][5]), Some(2019.0));
    assert_eq!(num(&body[9][2]), Some(19.0));
    assert_eq!(
        line(0)[3..7].to_vec(),
        ["Chưa đạt", "Không", "", "Chưa đạt chuẩn"]
    );
    // The narrative lists the communes that meet the standard, and those with no figures.
    let md = std::fs::read_to_string(dir.join("bao-cao.md")).unwrap();
    assert!(
        md.contains(
            "- Xã Đông Sơn: đạt chuẩn nông thôn mới năm 2019, mức nâng cao, đạt 19 tiêu chí."
        ),
        "{md}"
    );
    assert!(md.contains("- Xã Tây Giang: bị từ chối, chưa có số liệu."));
    assert!(md.contains("- Xã Nam Phong: chưa gửi, chưa có số liệu."));
    assert!(
        md.contains("| 10 | Xã Đông Sơn | 19 | Đạt | Có | 2019 | Nâng cao | 61,5 |  | đúng hạn |"),
        "{md}"
    );
    let listed = md
        .lines()
        .filter(|l| l.starts_with("- Xã") && l.contains(": đạt chuẩn nông thôn mới năm"))
        .count();
    assert_eq!(listed, 8, "{md}");
}

/// An "if" rule without `when` checks its expression in every report: incomes below 50 million
/// are 99009 (48,0) and 99010 (49,5).
#[test]
fn a_rule_without_when_checks_an_expression_everywhere() {
    let t = tempfile::tempdir().unwrap();
    let root = t.path().join("root");
    copy_dir(&samples(), &root);
    common::own_regimes(&root);
    let regime = root.join("report-templates/ntm/regime.toml");
    let mut text = std::fs::read_to_string(&regime).unwrap();
    text = text.replace(
        "\n[form]\n",
        "\n[[rule]]\nkind = \"if\"\nthen = \"NTM08 * 1000 / 12 >= 4000 + 1000 / 6\"\n\n[form]\n",
    );
    std::fs::write(&regime, text).unwrap();
    let (code, out, err) = baocao(&[
        "--root",
        s(&root),
        "check",
        "--regime",
        "ntm",
        "--period",
        PERIOD,
        "--as-of",
        "2026-07-15",
        "--format",
        "csv",
        s(&root.join("inbox/ntm/2026-H1")),
    ]);
    assert!(code == 0 || code == 1, "{out}{err}");
    // 48,0 × 1000 / 12 = 4000 < 4166,67 and 49,5 × 1000 / 12 = 4125 < 4166,67; 51,0 → 4250.
    let hits: Vec<&str> = out
        .lines()
        .filter(|l| l.contains("Phải có NTM08 * 1000 / 12 >= 4000 + 1000 / 6"))
        .collect();
    assert_eq!(hits.len(), 2, "{out}");
    assert!(
        hits[0].contains("99009") && hits[0].contains("là 48 ("),
        "{}",
        hits[0]
    );
    assert!(
        hits[1].contains("99010") && hits[1].contains("là 49,5 ("),
        "{}",
        hits[1]
    );
}

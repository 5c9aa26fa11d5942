//! `baocao regime draft` end to end: official forms written here with rust_xlsxwriter (merged
//! headers of depth 1, 2 and 3; numbering 1, 2, 3, … and A, B, 1, 2, …; Roman sections,
//! "Chia theo" and "Trong đó" rows), drafted into a fresh config root, accepted by
//! `check-config` with exactly the draft's TODOs listed, and printed again by `form`: the
//! blank form's header block, merges, numbering row and rows match the source cell by cell.

mod common;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use calamine::{open_workbook_auto, Data};
use common::*;
use rust_xlsxwriter::{Format, Workbook};

/// A merged region: first row, first column, last row, last column.
type Merge = (u32, u32, u32, u32);

/// A header cell of a source form: rows and columns relative to the header's first row.
type Region = (u32, u16, u32, u16, &'static str);

/// An official form to write.
struct Spec {
    /// Lines above the table: (row, column, text).
    above: Vec<(u32, u16, &'static str)>,
    /// The header's first row.
    top: u32,
    header: Vec<Region>,
    /// The numbering row, `None` for an empty cell.
    numbering: Vec<&'static str>,
    rows: Vec<(&'static str, &'static str)>,
}

impl Spec {
    fn depth(&self) -> u32 {
        self.header.iter().map(|h| h.2).max().unwrap() + 1
    }

    fn width(&self) -> u16 {
        self.header.iter().map(|h| h.3).max().unwrap() + 1
    }

    fn write(&self, path: &Path) {
        let mut wb = Workbook::new();
        let ws = wb.add_worksheet();
        ws.set_name("Biểu 01").unwrap();
        let f = Format::new().set_text_wrap();
        ws.set_column_width(1, 40).unwrap();
        for (r, c, t) in &self.above {
            ws.write_string(*r, *c, *t).unwrap();
        }
        for (r1, c1, r2, c2, t) in &self.header {
            if (r1, c1) == (r2, c2) {
                ws.write_string(self.top + r1, *c1, *t).unwrap();
            } else {
                ws.merge_range(self.top + r1, *c1, self.top + r2, *c2, t, &f)
                    .unwrap();
            }
        }
        let n = self.top + self.depth();
        for (c, t) in self.numbering.iter().enumerate() {
            match t.parse::<f64>() {
                Ok(x) => ws.write_number(n, c as u16, x).unwrap(),
                Err(_) => ws.write_string(n, c as u16, *t).unwrap(),
            };
        }
        for (i, (stt, label)) in self.rows.iter().enumerate() {
            let r = n + 1 + i as u32;
            ws.write_string(r, 0, *stt).unwrap();
            ws.write_string(r, 1, *label).unwrap();
        }
        let foot = n + self.rows.len() as u32 + 2;
        ws.write_string(foot, 1, "Người lập biểu").unwrap();
        ws.write_string(foot, 5, "Thủ trưởng đơn vị").unwrap();
        ws.write_string(foot - 1, 5, "An Lạc, ngày … tháng … năm …")
            .unwrap();
        wb.save(path).unwrap();
    }
}

/// Biểu số 01/TCD: three header levels, A, B, 1 … 14.
fn tcd() -> Spec {
    let mut header: Vec<Region> = vec![(0, 0, 2, 0, "STT"), (0, 1, 2, 1, "Đơn vị")];
    for (c, group, first) in [
        (2, "Tiếp thường xuyên", "Lượt"),
        (6, "Tiếp định kỳ và đột xuất", "Lượt"),
        (10, "Đoàn đông người", "Số đoàn"),
    ] {
        header.extend([
            (0, c, 0, c + 3, group),
            (1, c, 2, c, first),
            (1, c + 1, 2, c + 1, "Người"),
            (1, c + 2, 1, c + 3, "Vụ việc"),
            (2, c + 2, 2, c + 2, "Cũ"),
            (2, c + 3, 2, c + 3, "Mới phát sinh"),
        ]);
    }
    header.extend([
        (0, 14, 0, 15, "Nội dung"),
        (1, 14, 2, 14, "Khiếu nại"),
        (1, 15, 2, 15, "Tố cáo"),
    ]);
    let numbering = [
        "A", "B", "1", "2", "3", "4", "5", "6", "7", "8", "9", "10", "11", "12", "13", "14",
    ];
    Spec {
        above: vec![
            (0, 0, "Biểu số 01/TCD"),
            (1, 0, "TỔNG HỢP KẾT QUẢ TIẾP CÔNG DÂN"),
            (2, 0, "(Số liệu tính từ ngày … đến ngày …)"),
            (3, 0, "Đơn vị báo cáo: Thanh tra tỉnh An Lạc"),
            (3, 10, "Đơn vị nhận báo cáo: Thanh tra Chính phủ"),
        ],
        top: 5,
        header,
        numbering: numbering.to_vec(),
        rows: vec![
            ("1", "Ban Tiếp công dân"),
            ("2", "Lãnh đạo"),
            ("3", "Cơ quan, đơn vị"),
            ("", "Tổng cộng"),
        ],
    }
}

/// One header level, numbered 1, 2, 3, …; "Trong đó" and "Chia theo" rows, a quoted label.
fn flat() -> Spec {
    Spec {
        above: vec![
            (0, 0, "Biểu số 02/LĐ"),
            (1, 0, "KẾT QUẢ ĐÀO TẠO NGHỀ"),
            (2, 4, "Đơn vị tính: người"),
        ],
        top: 4,
        header: vec![
            (0, 0, 0, 0, "TT"),
            (0, 1, 0, 1, "Chỉ tiêu"),
            (0, 2, 0, 2, "Kế hoạch năm"),
            (0, 3, 0, 3, "Thực hiện kỳ báo cáo"),
            (0, 4, 0, 4, "Lũy kế từ đầu năm"),
        ],
        numbering: vec!["1", "2", "3", "4", "5"],
        rows: vec![
            ("", "Tổng số"),
            ("", "Trong đó: Nữ"),
            ("", "Chia theo khu vực"),
            ("1", "Thành thị"),
            ("2", "Nông thôn"),
            ("3", "Xã \"điểm\" về nông thôn mới"),
        ],
    }
}

/// Two header levels, A, B, 1, 2, 3; Roman sections with a "Trong đó" list inside.
fn sections() -> Spec {
    Spec {
        above: vec![
            (0, 0, "Biểu số 03/DS"),
            (1, 0, "DÂN SỐ TRUNG BÌNH"),
            (2, 0, "Kỳ báo cáo: Năm"),
        ],
        top: 4,
        header: vec![
            (0, 0, 1, 0, "STT"),
            (0, 1, 1, 1, "Đơn vị hành chính"),
            (0, 2, 1, 2, "Tổng số"),
            (0, 3, 0, 4, "Chia ra"),
            (1, 3, 1, 3, "Nam"),
            (1, 4, 1, 4, "Nữ"),
        ],
        numbering: vec!["A", "B", "1", "2", "3"],
        rows: vec![
            ("", "Tổng số"),
            ("I", "Khu vực thành thị"),
            ("1", "Phường An Lạc"),
            ("2", "Phường Bình Minh"),
            ("", "Trong đó:"),
            ("-", "Khu phố loại 1"),
            ("II", "Khu vực nông thôn"),
            ("1", "Xã Phước An"),
            ("2", "Xã Đông Hòa"),
        ],
    }
}

/// Drafts `spec` as regime `id` into a fresh root; returns the root and the draft's stdout.
fn draft(spec: &Spec, id: &str, dir: &Path) -> (PathBuf, String) {
    let form = dir.join(format!("{id}.xlsx"));
    spec.write(&form);
    let root = dir.join("cau-hinh");
    let (code, out, err) = baocao(&["regime", "draft", s(&form), "--id", id, "--out", s(&root)]);
    assert_eq!(code, 0, "{out}{err}");
    (root, out)
}

/// Every "TODO" in the files under `root`.
fn todos_in_files(root: &Path) -> usize {
    let mut n = 0;
    let mut stack = vec![root.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap().flatten() {
            if e.path().is_dir() {
                stack.push(e.path());
            } else {
                n += std::fs::read_to_string(e.path())
                    .unwrap()
                    .matches("TODO")
                    .count();
            }
        }
    }
    n
}

/// The blank form `form` prints for the drafted regime: its rows and merged regions.
fn printed_form(root: &Path, id: &str, period: &str, out: &Path) -> (Vec<Vec<Data>>, Vec<Merge>) {
    let (code, o, e) = baocao(&[
        "--root",
        s(root),
        "form",
        "--regime",
        id,
        "--period",
        period,
        "--out",
        s(out),
    ]);
    assert_eq!(code, 0, "{o}{e}");
    let mut files: Vec<PathBuf> = std::fs::read_dir(out)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "xlsx"))
        .collect();
    files.sort();
    assert!(!files.is_empty(), "form wrote no workbook: {o}");
    let rows = sheet(&files[0], "Biểu số liệu");
    let mut wb = open_workbook_auto(&files[0]).unwrap();
    let merges = match &mut wb {
        calamine::Sheets::Xlsx(x) => x.merge_cells_by_sheet_name("Biểu số liệu").unwrap(),
        _ => unreachable!(),
    };
    let merges = merges
        .iter()
        .map(|m| (m.start.0, m.start.1, m.end.0, m.end.1))
        .collect();
    (rows, merges)
}

/// Drafts, checks the config and its TODOs, prints the form and compares it with the source
/// cell by cell: header block (texts and merges), numbering row, STT and labels of the rows.
fn round_trip(spec: Spec, id: &str, period: &str) -> (PathBuf, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let (root, out) = draft(&spec, id, dir.path());
    let listed = todos_in_files(&root);
    assert!(
        out.contains(&format!("{listed} việc cần quyết định (TODO)")),
        "{out}"
    );
    let (code, o, e) = baocao(&["--root", s(&root), "check-config"]);
    assert_eq!(code, 0, "{o}{e}");
    assert!(
        o.contains(&format!("Còn {listed} việc cần quyết định (TODO):")),
        "{o}"
    );
    assert_eq!(
        o.lines().filter(|l| l.contains(" › dòng ")).count(),
        listed,
        "{o}"
    );

    let (rows, merges) = printed_form(&root, id, period, &dir.path().join("bieu"));
    let cell = |r: u32, c: u16| {
        rows.get(r as usize)
            .and_then(|row| row.get(c as usize))
            .map(text)
            .unwrap_or_default()
    };
    let top = (0..rows.len() as u32)
        .find(|&r| cell(r, 0) == spec.header[0].4 && cell(r, 1) == spec.header[1].4)
        .expect("the header's first row");
    let mut expected = vec![vec![String::new(); spec.width() as usize]; spec.depth() as usize];
    for (r1, c1, ..) in &spec.header {
        expected[*r1 as usize][*c1 as usize] = spec
            .header
            .iter()
            .find(|h| (h.0, h.1) == (*r1, *c1))
            .unwrap()
            .4
            .to_string();
    }
    for r in 0..spec.depth() {
        for c in 0..spec.width() {
            assert_eq!(
                cell(top + r, c),
                expected[r as usize][c as usize],
                "header row {r}, column {c}"
            );
        }
    }
    let want: BTreeSet<Merge> = spec
        .header
        .iter()
        .filter(|h| (h.0, h.1) != (h.2, h.3))
        .map(|h| (top + h.0, u32::from(h.1), top + h.2, u32::from(h.3)))
        .collect();
    let got: BTreeSet<Merge> = merges
        .into_iter()
        .filter(|m| m.0 >= top && m.2 < top + spec.depth())
        .collect();
    assert_eq!(got, want, "merged header regions");
    let n = top + spec.depth();
    for (c, t) in spec.numbering.iter().enumerate() {
        assert_eq!(cell(n, c as u16), *t, "numbering, column {c}");
    }
    assert_eq!(
        cell(n, spec.width()),
        "",
        "no numbering past the last column"
    );
    for (i, (stt, label)) in spec.rows.iter().enumerate() {
        let r = n + 1 + i as u32;
        assert_eq!(
            (cell(r, 0), cell(r, 1)),
            (stt.to_string(), label.to_string()),
            "body row {i}"
        );
    }
    assert_eq!(
        cell(n + 1 + spec.rows.len() as u32, 1),
        "",
        "no row after the last"
    );
    (root, dir)
}

#[test]
fn the_citizen_reception_form_with_three_header_levels_is_drafted_and_printed_back() {
    let (root, _dir) = round_trip(tcd(), "tcd", "2026-Q1");
    let regime = std::fs::read_to_string(root.join("report-templates/tcd/regime.toml")).unwrap();
    assert!(regime.contains("number = \"Biểu số 01/TCD\""), "{regime}");
    assert!(regime.contains("title = \"TỔNG HỢP KẾT QUẢ TIẾP CÔNG DÂN\""));
    assert!(regime.contains("numbering = \"letters\""));
    assert!(regime.contains("cell = \"[tcd_don_vi=ban_tiep_cong_dan]\""));
    let units = std::fs::read_to_string(root.join("units.toml")).unwrap();
    assert!(units.contains("name = \"Thanh tra Chính phủ\""), "{units}");
    let inds = std::fs::read_to_string(root.join("indicators/tcd.toml")).unwrap();
    assert_eq!(inds.matches("[[indicator]]").count(), 14);
    assert!(
        inds.contains("name = \"Đoàn đông người - Vụ việc - Mới phát sinh\""),
        "{inds}"
    );
    assert!(inds.contains("code = \"TCD14\""));
}

#[test]
fn a_one_level_form_numbered_1_2_3_with_partial_and_breakdown_rows() {
    let (root, _dir) = round_trip(flat(), "ld", "2026-Q2");
    let inds = std::fs::read_to_string(root.join("indicators/ld.toml")).unwrap();
    assert!(inds.contains("exhaustive = false"), "{inds}");
    assert!(inds.contains("code = \"ld_khu_vuc\""), "{inds}");
    assert!(inds.contains("unit = \"người\""), "{inds}");
    let regime = std::fs::read_to_string(root.join("report-templates/ld/regime.toml")).unwrap();
    assert!(regime.contains("numbering = \"numbers\""));
    // The label column's width is the sheet's.
    assert!(regime.contains("stub_width = 40\n"), "{regime}");
}

#[test]
fn a_two_level_form_with_roman_sections() {
    let (root, _dir) = round_trip(sections(), "ds", "2026");
    let regime = std::fs::read_to_string(root.join("report-templates/ds/regime.toml")).unwrap();
    assert!(regime.contains("frequencies = [\"yearly\"]"), "{regime}");
    assert!(regime.contains("group = [\"Chia ra\"]"));
}

#[test]
fn drafting_is_deterministic_and_never_overwrites_without_force() {
    let dir = tempfile::tempdir().unwrap();
    let (root, _) = draft(&tcd(), "tcd", dir.path());
    let form = dir.path().join("tcd.xlsx");
    let regime = root.join("report-templates/tcd/regime.toml");
    let before = std::fs::read(&regime).unwrap();
    let (code, _, err) = baocao(&[
        "regime",
        "draft",
        s(&form),
        "--id",
        "tcd",
        "--out",
        s(&root),
    ]);
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("regime.toml") && err.contains("--force"),
        "{err}"
    );
    let other = dir.path().join("khac");
    let (code, ..) = baocao(&[
        "regime",
        "draft",
        s(&form),
        "--id",
        "tcd",
        "--out",
        s(&other),
    ]);
    assert_eq!(code, 0);
    for rel in [
        "report-templates/tcd/regime.toml",
        "indicators/tcd.toml",
        "units.toml",
        "report-templates/tcd/de-cuong.md.tera",
    ] {
        assert_eq!(
            std::fs::read(root.join(rel)).unwrap(),
            std::fs::read(other.join(rel)).unwrap(),
            "{rel}"
        );
    }
    let (code, o, e) = baocao(&[
        "regime",
        "draft",
        s(&form),
        "--id",
        "tcd",
        "--out",
        s(&root),
        "--force",
    ]);
    assert_eq!(code, 0, "{o}{e}");
    assert_eq!(std::fs::read(&regime).unwrap(), before);
}

#[test]
fn a_numbering_unlike_the_engines_is_a_todo_and_the_unit_column_is_left_out() {
    let spec = Spec {
        above: vec![(0, 0, "Biểu số 04/NN"), (1, 0, "DIỆN TÍCH GIEO TRỒNG")],
        top: 3,
        header: vec![
            (0, 0, 0, 0, "STT"),
            (0, 1, 0, 1, "Cây trồng"),
            (0, 2, 0, 2, "Đơn vị tính"),
            (0, 3, 0, 3, "Kỳ này"),
            (0, 4, 0, 4, "Cùng kỳ"),
        ],
        numbering: vec!["A", "B", "C", "1", "2"],
        rows: vec![("", "Tổng số"), ("1", "Lúa"), ("2", "Ngô")],
    };
    let dir = tempfile::tempdir().unwrap();
    let (root, _) = draft(&spec, "nn", dir.path());
    let regime = std::fs::read_to_string(root.join("report-templates/nn/regime.toml")).unwrap();
    assert!(
        regime.contains("# TODO: dòng đánh số cột của biểu gốc là \"A, B, C, 1, 2\""),
        "{regime}"
    );
    assert!(
        regime.contains("# TODO: bỏ cột chữ \"Đơn vị tính\" (cột C)"),
        "{regime}"
    );
    let (code, o, e) = baocao(&["--root", s(&root), "check-config"]);
    assert_eq!(code, 0, "{o}{e}");
}

#[test]
fn hostile_inputs_are_usage_errors_and_write_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("cau-hinh");
    let text = dir.path().join("bieu.xlsx");
    std::fs::write(&text, "đây không phải bảng tính").unwrap();
    let empty = dir.path().join("trong.xlsx");
    let mut wb = Workbook::new();
    wb.add_worksheet();
    wb.save(&empty).unwrap();
    let no_table = dir.path().join("chu.xlsx");
    let mut wb = Workbook::new();
    wb.add_worksheet()
        .write_string(0, 0, "Chỉ có một dòng chữ")
        .unwrap();
    wb.save(&no_table).unwrap();
    let missing = dir.path().join("khong-co.xlsx");
    for (file, says) in [
        (&text, "bieu.xlsx"),
        (&empty, "không có trang tính nào có dữ liệu"),
        (&no_table, "không nhận ra bảng"),
        (&missing, "khong-co.xlsx"),
    ] {
        let (code, o, e) = baocao(&["regime", "draft", s(file), "--id", "x", "--out", s(&out)]);
        assert_eq!(code, 2, "{}: {o}{e}", file.display());
        assert!(e.starts_with("Lỗi: ") && e.contains(says), "{e}");
        assert!(!out.exists(), "nothing written for {}", file.display());
    }
    let (code, _, e) = baocao(&[
        "regime",
        "draft",
        s(&no_table),
        "--id",
        "x y",
        "--out",
        s(&out),
    ]);
    assert_eq!(code, 2);
    assert!(e.contains("mã chế độ"), "{e}");
}

//! The body of an official form: its rows read (STT and label, up to the footer), classified
//! (total, "Chia theo" heading, "Trong đó" list, Roman section, plain item) and turned into
//! dimensions, each row a selector of the draft's `[form.matrix]`.

use super::{Row, Sheet};
use crate::text::{fold, upper_first};

/// At most this many body rows are read.
const MAX_BODY_ROWS: usize = 1000;

/// What a row of the draft selects.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Selector {
    /// The total row: every column's indicator without disaggregation.
    Total,
    /// A heading without cells.
    Heading,
    /// An option of a dimension (indexes into the dimensions and their options).
    Option { dim: usize, option: usize },
}

/// How a row reads.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RowKind {
    Total,
    /// "Chia theo giới tính": what follows is a breakdown by the rest of the label.
    ChiaTheo(String),
    /// "Trong đó" (empty) or "Trong đó: Nữ" (the item): a partial list starts.
    TrongDo(String),
    /// A Roman-numbered row (I, II, …).
    Roman,
    Item,
}

/// A row of the draft.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlannedRow {
    pub stt: String,
    pub label: String,
    pub selector: Selector,
    pub sub: bool,
    /// What a person must check about this row.
    pub note: Option<String>,
}

/// A dimension of the draft: code, name, exhaustive, options (code, name).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Dim {
    pub code: String,
    pub name: String,
    pub exhaustive: bool,
    pub options: Vec<(String, String)>,
}

/// An ASCII snake_case code from a Vietnamese label: "Dân tộc thiểu số" → `dan_toc_thieu_so`,
/// "Đ" → `d`; at most 40 characters, cut between words.
pub fn ascii_code(label: &str) -> String {
    let mut out = String::new();
    for c in fold(label).chars() {
        if c.is_ascii_alphanumeric() {
            out.push(c);
        } else if !out.is_empty() && !out.ends_with('_') {
            out.push('_');
        }
    }
    let mut out = out.trim_end_matches('_').to_string();
    if out.len() > 40 {
        let cut = out[..40].rfind('_').filter(|&i| i >= 10).unwrap_or(40);
        out.truncate(cut);
    }
    out
}

/// A Roman numeral STT ("I", "IV.", "XII").
fn roman(stt: &str) -> bool {
    let s = stt.trim().trim_end_matches('.');
    !s.is_empty() && s.chars().all(|c| "IVXLC".contains(c))
}

/// An Arabic-numbered STT ("1", "2.", "1.1").
fn arabic(stt: &str) -> bool {
    let s = stt.trim().trim_end_matches('.');
    !s.is_empty() && s.chars().all(|c| c.is_ascii_digit() || c == '.')
}

/// The label after its first `n` characters, without ':' and dashes around it.
fn rest_after(label: &str, n: usize) -> String {
    let rest: String = label.chars().skip(n).collect();
    rest.trim()
        .trim_matches([':', '-', '–', ' '])
        .trim()
        .to_string()
}

/// How a row reads, from its STT and label.
pub fn classify(stt: &str, label: &str) -> RowKind {
    let f = fold(label);
    let f = f.trim_end_matches(':').trim();
    if f == "cong" || f.starts_with("tong so") || f.starts_with("tong cong") {
        RowKind::Total
    } else if f.starts_with("chia theo") {
        RowKind::ChiaTheo(upper_first(&rest_after(label, 9)))
    } else if f.starts_with("trong do") {
        RowKind::TrongDo(upper_first(&rest_after(label, 8)))
    } else if roman(stt) {
        RowKind::Roman
    } else {
        RowKind::Item
    }
}

/// Whether a text starts the footer under the table (signatures, date, notes).
fn footer(text: &str) -> bool {
    let f = fold(text);
    [
        "nguoi lap",
        "thu truong",
        "lap bieu",
        "ghi chu",
        "xac nhan",
        "kiem tra",
    ]
    .iter()
    .any(|p| f.starts_with(p))
        || (f.contains("ngay") && f.contains("thang") && f.contains("nam") && f.contains(".."))
}

/// The body rows from `first` down to the first blank row or the footer; what was left out
/// comes back as notes.
pub(super) fn read_rows(
    sheet: &Sheet<'_>,
    first: u32,
    stt_col: Option<u32>,
    stub_col: u32,
) -> (Vec<Row>, Vec<String>) {
    let mut rows = Vec::new();
    let mut notes = Vec::new();
    for r in first..sheet.height() {
        let mut stt = stt_col.map(|c| sheet.text(r, c)).unwrap_or_default();
        let mut label = sheet.text(r, stub_col);
        // A heading merged over the STT and label cells.
        if let Some(c) = stt_col.filter(|&c| sheet.region(r, c).1 .1 >= stub_col) {
            label = sheet.text(r, c);
            stt = String::new();
        }
        if footer(&stt) || footer(&label) {
            break;
        }
        if stt.is_empty() && label.is_empty() {
            if rows.is_empty() {
                continue;
            }
            break;
        }
        if label
            .chars()
            .all(|c| c == '.' || c == '…' || c.is_whitespace())
        {
            notes.push(format!(
                "dòng {} của biểu gốc (STT \"{stt}\", \"{label}\") không có tên: bỏ qua; nếu đơn vị được tự thêm dòng, khai báo thành phương án của phân tổ",
                r + 1
            ));
            continue;
        }
        if rows.len() == MAX_BODY_ROWS {
            notes.push(format!(
                "biểu gốc có hơn {MAX_BODY_ROWS} dòng: chỉ đọc {MAX_BODY_ROWS} dòng đầu"
            ));
            break;
        }
        rows.push(Row { stt, label });
    }
    (rows, notes)
}

/// The dimensions being built and the rows placed in them.
struct Planner {
    prefix: String,
    dims: Vec<Dim>,
    rows: Vec<PlannedRow>,
}

impl Planner {
    /// A new dimension named `name`; its code from the name, unique among the draft's.
    fn dim(&mut self, name: &str, exhaustive: bool) -> usize {
        let base = match ascii_code(name) {
            c if c.is_empty() => format!("{}_phan_to", self.prefix),
            c => format!("{}_{c}", self.prefix),
        };
        let mut code = base.clone();
        let mut n = 1;
        while self.dims.iter().any(|d| d.code == code) {
            n += 1;
            code = format!("{base}_{n}");
        }
        self.dims.push(Dim {
            code,
            name: name.to_string(),
            exhaustive,
            options: Vec::new(),
        });
        self.dims.len() - 1
    }

    /// Adds an option named `name` to dimension `d`; its code unique in the dimension.
    fn option(&mut self, d: usize, name: &str) -> Selector {
        let dim = &mut self.dims[d];
        let base = match ascii_code(name) {
            c if c.is_empty() => format!("muc_{}", dim.options.len() + 1),
            c => c,
        };
        let mut code = base.clone();
        let mut n = 1;
        while dim.options.iter().any(|o| o.0 == code) {
            n += 1;
            code = format!("{base}_{n}");
        }
        dim.options.push((code, name.to_string()));
        Selector::Option {
            dim: d,
            option: dim.options.len() - 1,
        }
    }

    fn push(&mut self, row: &Row, selector: Selector, sub: bool, note: Option<String>) {
        self.rows.push(PlannedRow {
            stt: row.stt.clone(),
            label: row.label.clone(),
            selector,
            sub,
            note,
        });
    }
}

/// Turns the rows into selectors and dimensions: the first total row is the total; each
/// "Chia theo" heading and each Roman section with rows under it starts an exhaustive
/// dimension; a "Trong đó" row starts a partial one (until the next numbered item); other
/// items are options of the current dimension, or of one named after the stub header.
/// Dimension codes start with `prefix`.
pub fn plan(rows: &[Row], stub: &str, prefix: &str) -> (Vec<PlannedRow>, Vec<Dim>) {
    let mut p = Planner {
        prefix: prefix.to_string(),
        dims: Vec::new(),
        rows: Vec::new(),
    };
    let (mut section, mut partial, mut plain) = (None, None, None);
    let mut total_seen = false;
    let mut parent = String::new();
    for (i, row) in rows.iter().enumerate() {
        let mut note = None;
        match classify(&row.stt, &row.label) {
            RowKind::Total if !total_seen => {
                total_seen = true;
                partial = None;
                parent = row.label.clone();
                p.push(row, Selector::Total, false, None);
                continue;
            }
            RowKind::Total => {
                note = Some(format!("dòng \"{}\" là dòng cộng thứ hai: bản nháp coi là một phương án; sửa thành dòng tổng của phân tổ hoặc bỏ", row.label));
            }
            RowKind::ChiaTheo(name) => {
                let name = if name.is_empty() {
                    row.label.clone()
                } else {
                    name
                };
                section = Some(p.dim(&name, true));
                partial = None;
                p.push(row, Selector::Heading, false, None);
                continue;
            }
            RowKind::TrongDo(item) => {
                let name = match parent.as_str() {
                    "" => "Trong đó".to_string(),
                    x => format!("Trong đó ({x})"),
                };
                let d = p.dim(&name, false);
                partial = Some(d);
                let selector = match item.as_str() {
                    "" => Selector::Heading,
                    _ => p.option(d, &item),
                };
                p.push(row, selector, true, None);
                continue;
            }
            RowKind::Roman => {
                section = None;
                partial = None;
                let next = rows.get(i + 1).map(|n| classify(&n.stt, &n.label));
                if next.is_some_and(|k| !matches!(k, RowKind::Roman | RowKind::Total)) {
                    section = Some(p.dim(&row.label, true));
                    p.push(row, Selector::Heading, false, None);
                    continue;
                }
            }
            RowKind::Item => {}
        }
        if partial.is_some() && (arabic(&row.stt) || roman(&row.stt)) {
            partial = None;
        }
        let d = match (partial, section, plain) {
            (Some(d), ..) | (None, Some(d), _) | (None, None, Some(d)) => d,
            (None, None, None) => *plain.insert(p.dim(stub, true)),
        };
        let name = row.label.trim_start_matches(['-', '–', '+', '*', ' ']);
        let name = if name.is_empty() { &row.label } else { name };
        let selector = p.option(d, name);
        p.push(row, selector, partial.is_some(), note);
        if partial.is_none() {
            parent = row.label.clone();
        }
    }
    (p.rows, p.dims)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(stt: &str, label: &str) -> Row {
        Row {
            stt: stt.into(),
            label: label.into(),
        }
    }

    #[test]
    fn codes_are_ascii_snake_case_without_diacritics() {
        assert_eq!(ascii_code("Dân tộc thiểu số"), "dan_toc_thieu_so");
        assert_eq!(ascii_code("Đ"), "d");
        assert_eq!(ascii_code("Cơ quan, đơn vị"), "co_quan_don_vi");
        assert_eq!(ascii_code("  \"Khác\" (ghi rõ)…"), "khac_ghi_ro");
        assert_eq!(ascii_code("…"), "");
        let long = ascii_code("Số người được tiếp tại trụ sở tiếp công dân của tỉnh trong kỳ");
        assert!(long.len() <= 40 && !long.ends_with('_'), "{long}");
    }

    #[test]
    fn rows_are_classified_from_stt_and_label() {
        assert_eq!(classify("", "Tổng số"), RowKind::Total);
        assert_eq!(classify("", "TỔNG CỘNG"), RowKind::Total);
        assert_eq!(classify("", "Cộng:"), RowKind::Total);
        assert_eq!(
            classify("", "Chia theo giới tính:"),
            RowKind::ChiaTheo("Giới tính".into())
        );
        assert_eq!(
            classify("-", "Trong đó: dân tộc thiểu số"),
            RowKind::TrongDo("Dân tộc thiểu số".into())
        );
        assert_eq!(classify("", "Trong đó"), RowKind::TrongDo(String::new()));
        assert_eq!(classify("II", "Khu vực nông thôn"), RowKind::Roman);
        assert_eq!(classify("1", "Ban Tiếp công dân"), RowKind::Item);
        assert_eq!(classify("a", "Cộng đồng"), RowKind::Item);
    }

    #[test]
    fn sections_partial_lists_and_plain_items_become_dimensions() {
        let rows = [
            row("", "Tổng số"),
            row("", "Trong đó: Nữ"),
            row("I", "Chia theo khu vực"),
            row("1", "Thành thị"),
            row("2", "Nông thôn"),
            row("", "Trong đó:"),
            row("-", "Xã đặc biệt khó khăn"),
            row("3", "Khác"),
            row("II", "Dân tộc"),
            row("1", "Kinh"),
            row("2", "Khác"),
        ];
        let (planned, dims) = plan(&rows, "Chỉ tiêu", "bm");
        let codes: Vec<&str> = dims.iter().map(|d| d.code.as_str()).collect();
        assert_eq!(
            codes,
            [
                "bm_trong_do_tong_so",
                "bm_khu_vuc",
                "bm_trong_do_nong_thon",
                "bm_dan_toc"
            ]
        );
        assert!(!dims[0].exhaustive && dims[1].exhaustive && !dims[2].exhaustive);
        assert_eq!(dims[1].options.len(), 3, "Khác closes the partial list");
        assert_eq!(planned[0].selector, Selector::Total);
        assert_eq!(planned[2].selector, Selector::Heading);
        assert_eq!(planned[5].selector, Selector::Heading);
        assert!(planned[6].sub && !planned[7].sub);
        assert_eq!(dims[3].options[1], ("khac".to_string(), "Khác".to_string()));
    }

    #[test]
    fn plain_items_share_one_dimension_and_duplicate_names_get_numbered_codes() {
        let rows = [
            row("1", "Ban Tiếp công dân"),
            row("2", "Khác"),
            row("3", "Khác"),
            row("", "Tổng cộng"),
            row("", "Cộng"),
        ];
        let (planned, dims) = plan(&rows, "Đơn vị", "tcd");
        assert_eq!(dims.len(), 1);
        assert_eq!(dims[0].code, "tcd_don_vi");
        let codes: Vec<&str> = dims[0].options.iter().map(|o| o.0.as_str()).collect();
        assert_eq!(codes, ["ban_tiep_cong_dan", "khac", "khac_2", "cong"]);
        assert_eq!(planned[3].selector, Selector::Total);
        assert!(planned[4].note.is_some());
    }
}

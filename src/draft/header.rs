//! The table of an official form: the title lines above it, where its header starts (the STT
//! cell or the numbering row), the header tree of the value columns read from merged regions,
//! and the numbering row's kind. Body rows are read by `body`.

use super::{Column, FormDraft, Sheet};
use crate::catalog::Numbering;
use crate::text::fold;

/// Rows searched for the table's first header row.
const SEARCH_ROWS: u32 = 100;

/// Whether a header cell names the numbering column ("STT", "TT", "Số TT").
fn stt_like(text: &str) -> bool {
    let f = fold(text).replace('.', "");
    matches!(
        f.trim(),
        "stt" | "tt" | "so tt" | "so thu tu" | "thu tu" | "s tt"
    )
}

/// A numbering-row token without brackets, upper-cased: "(1)" → "1", "a" → "A".
fn token(text: &str) -> String {
    text.trim()
        .trim_matches(['(', ')', '[', ']'])
        .trim()
        .to_uppercase()
}

/// Whether a row's texts read as a numbering row: at least three short codes (1, 2, A, (3),
/// 3=4+5), two of them numbers.
pub(crate) fn is_numbering_row(texts: &[String]) -> bool {
    let tokens: Vec<String> = texts
        .iter()
        .filter(|t| !t.trim().is_empty())
        .map(|t| token(t))
        .collect();
    let code = |t: &String| {
        t.chars().count() <= 8
            && (t
                .chars()
                .all(|c| c.is_ascii_digit() || "+=-*/ ".contains(c))
                || (t.len() == 1 && t.chars().all(|c| c.is_ascii_uppercase())))
    };
    tokens.len() >= 3
        && tokens.iter().all(code)
        && tokens.iter().filter(|t| t.parse::<u32>().is_ok()).count() >= 2
}

/// The engine's numbering closest to a form's numbering row, and what differs from it.
/// `tokens` reads STT, the row labels, any text columns left out, then the value columns;
/// the value columns start at `figures_from`.
pub fn detect_numbering(tokens: &[String], figures_from: usize) -> (Numbering, Option<String>) {
    let t: Vec<String> = tokens.iter().map(|x| token(x)).collect();
    let figs = t.get(figures_from..).unwrap_or_default();
    let runs_from = |first: usize| {
        figs.iter()
            .enumerate()
            .all(|(i, x)| *x == (first + i).to_string())
    };
    let raw_same = tokens.iter().zip(&t).all(|(a, b)| a.trim() == b);
    let get = |i: usize| t.get(i).map(String::as_str).unwrap_or("");
    let (stt, stub) = (get(0), get(1));
    let exact_numbers = figures_from == 2 && stt == "1" && stub == "2" && runs_from(3);
    let exact_letters = figures_from == 2 && stt == "A" && stub == "B" && runs_from(1);
    if raw_same && (exact_numbers || exact_letters) {
        let kind = if exact_numbers {
            Numbering::Numbers
        } else {
            Numbering::Letters
        };
        return (kind, None);
    }
    let kind = if stt == "1" || (stt.is_empty() && figs.first().is_some_and(|f| f == "3")) {
        Numbering::Numbers
    } else {
        Numbering::Letters
    };
    if t.iter().all(String::is_empty) {
        return (
            Numbering::Numbers,
            Some("biểu gốc không có dòng đánh số cột dưới tiêu đề; bản nháp in 1, 2, 3, … (numbering = \"numbers\"): chọn numbers hoặc letters".to_string()),
        );
    }
    let shown: Vec<&str> = tokens
        .iter()
        .take(10)
        .map(|x| {
            if x.trim().is_empty() {
                "(trống)"
            } else {
                x.trim()
            }
        })
        .collect();
    let more = if tokens.len() > 10 { ", …" } else { "" };
    let engine = match kind {
        Numbering::Numbers => "1, 2, 3, … (numbering = \"numbers\")",
        Numbering::Letters => "A, B, 1, 2, … (numbering = \"letters\")",
    };
    (
        kind,
        Some(format!(
            "dòng đánh số cột của biểu gốc là \"{}{more}\", baocao sẽ in {engine}: kiểm tra lại numbering",
            shown.join(", ")
        )),
    )
}

/// Where the table's header starts: its first row, its first column, and whether that column
/// is the STT column. Found by the STT cell, else above the first numbering row.
fn find_top(sheet: &Sheet<'_>) -> Option<(u32, u32, bool)> {
    let (h, w) = (sheet.height().min(SEARCH_ROWS), sheet.width());
    for r in 0..h {
        for c in 0..w {
            if stt_like(&sheet.text(r, c)) {
                return Some((r, c, true));
            }
        }
    }
    let row_texts = |r: u32| -> Vec<String> { (0..w).map(|c| sheet.text(r, c)).collect() };
    let n = (1..h).find(|&r| is_numbering_row(&row_texts(r)))?;
    let first = (0..w).find(|&c| !sheet.text(n, c).is_empty())?;
    // Header rows above it: rows with at least two texts in the table's columns.
    let mut top = n;
    while top > 0 && n - top < 4 {
        let texts = (first..w).filter(|&c| !sheet.text(top - 1, c).is_empty());
        if texts.count() < 2 {
            break;
        }
        top -= 1;
    }
    (top < n).then_some((top, first, false))
}

/// The last header row and the numbering row, if any.
fn header_bottom(sheet: &Sheet<'_>, top: u32, first: u32) -> (u32, Option<u32>) {
    let w = sheet.width();
    for r in top + 1..(top + 6).min(sheet.height()) {
        let texts: Vec<String> = (first..w).map(|c| sheet.text(r, c)).collect();
        if is_numbering_row(&texts) {
            return (r - 1, Some(r));
        }
    }
    let bottom = (first..w)
        .map(|c| sheet.region(top, c).1 .0)
        .max()
        .unwrap_or(top)
        .max(top);
    (bottom, None)
}

/// What a value column's header reads: its group path and label, or why it is not a value
/// column.
enum Header {
    Value(Vec<String>, String),
    /// The continuation of a label merged over several columns.
    Continuation,
}

/// The header path of column `c` over rows `top..=bottom`.
fn column_header(sheet: &Sheet<'_>, c: u32, top: u32, bottom: u32) -> Header {
    let mut group = Vec::new();
    let mut r = top;
    while r <= bottom {
        let ((ar, ac), (er, _)) = sheet.region(r, c);
        let text = sheet.text(ar, ac);
        if ar < top {
            r = er.max(r) + 1;
            continue;
        }
        if er >= bottom {
            if ac != c {
                return Header::Continuation;
            }
            return Header::Value(group, text);
        }
        if !text.is_empty() {
            group.push(text);
        }
        r = er + 1;
    }
    let label = group.pop().unwrap_or_default();
    Header::Value(group, label)
}

/// Whether a header names a text column the matrix has no place for (đơn vị tính, mã số).
fn text_column(label: &str) -> bool {
    let f = fold(label).replace('.', "");
    f.starts_with("don vi tinh")
        || f == "dvt"
        || f.starts_with("ma so")
        || f == "ma"
        || f.starts_with("ghi chu")
}

/// A column's letter ("C").
fn letter(c: u32) -> String {
    crate::diag::cell_ref(0, c)
        .trim_end_matches('1')
        .to_string()
}

/// A width for a column from its label: about three lines of the label row.
fn width_of(label: &str) -> f64 {
    let n = label.chars().count() as f64;
    (n / 2.6 + 2.0).round().clamp(8.0, 24.0)
}

/// Reads the table of a sheet.
pub(super) fn read_table(sheet: &Sheet<'_>) -> Result<FormDraft, String> {
    let (top, first, has_stt) = find_top(sheet).ok_or(
        "không nhận ra bảng: không có ô \"STT\" (hoặc \"TT\") ở đầu bảng, cũng không có dòng đánh số cột 1, 2, 3, … hay A, B, 1, 2, … trong 100 dòng đầu",
    )?;
    let (bottom, numbering_row) = header_bottom(sheet, top, first);
    let mut notes = Vec::new();
    let stub_col = if has_stt {
        sheet.region(top, first).1 .1 + 1
    } else {
        notes.push(
            "biểu gốc không có cột STT ở đầu bảng; baocao luôn in cột STT: kiểm tra lại stt"
                .to_string(),
        );
        first
    };
    let w = sheet.width();
    let last = (stub_col..w)
        .filter(|&c| {
            (top..=bottom).any(|r| !sheet.text(r, c).is_empty())
                || numbering_row.is_some_and(|n| !sheet.text(n, c).is_empty())
        })
        .max()
        .unwrap_or(stub_col);
    let num = |c: u32| numbering_row.map(|n| sheet.text(n, c)).unwrap_or_default();
    let mut tokens = vec![
        if has_stt { num(first) } else { String::new() },
        num(stub_col),
    ];
    let block = Block {
        top,
        bottom,
        numbering_row,
    };
    let (columns, extras, figures) = value_columns(sheet, &block, stub_col + 1..=last, &mut notes);
    if columns.is_empty() {
        return Err(format!(
            "không nhận ra cột số liệu nào trong tiêu đề bảng (dòng {} đến {})",
            top + 1,
            bottom + 1
        ));
    }
    let figures_from = 2 + extras.len();
    tokens.extend(extras);
    tokens.extend(figures);
    let (numbering, note) = detect_numbering(&tokens, figures_from);
    notes.extend(note);
    let first_body = numbering_row.unwrap_or(bottom) + 1;
    let stt_col = has_stt.then_some(first);
    let (rows, row_notes) = super::body::read_rows(sheet, first_body, stt_col, stub_col);
    notes.extend(row_notes);
    let mut form = title_block(sheet, top);
    form.stt = if has_stt {
        sheet.text(top, first)
    } else {
        "STT".to_string()
    };
    form.stub = match sheet.text(top, stub_col) {
        s if s.is_empty() => "Chỉ tiêu".to_string(),
        s => s,
    };
    let longest = rows
        .iter()
        .map(|r| r.label.chars().count())
        .max()
        .unwrap_or(0);
    form.stub_width = match sheet.widths.get(&stub_col) {
        Some(w) => *w,
        None => (longest as f64 * 0.8).round().clamp(30.0, 60.0),
    };
    form.numbering = numbering;
    form.columns = columns;
    form.rows = rows;
    form.notes.extend(notes);
    Ok(form)
}

/// The rows of a table's header block, and its numbering row.
struct Block {
    top: u32,
    bottom: u32,
    numbering_row: Option<u32>,
}

/// The value columns of the header block over `cols`, with the numbering row's texts over the
/// text columns before them (left out of the draft) and over them.
fn value_columns(
    sheet: &Sheet<'_>,
    block: &Block,
    cols: std::ops::RangeInclusive<u32>,
    notes: &mut Vec<String>,
) -> (Vec<Column>, Vec<String>, Vec<String>) {
    let (top, bottom) = (block.top, block.bottom);
    let num = |c: u32| {
        block
            .numbering_row
            .map(|n| sheet.text(n, c))
            .unwrap_or_default()
    };
    let mut extras = Vec::new();
    let mut figures = Vec::new();
    let mut columns = Vec::new();
    for c in cols {
        let (group, mut label) = match column_header(sheet, c, top, bottom) {
            Header::Continuation => {
                notes.push(format!("tiêu đề cột {} gộp với cột bên trái: bản nháp coi là một cột, kiểm tra lại các cột", letter(c)));
                continue;
            }
            Header::Value(g, l) => (g, l),
        };
        if label.is_empty() && group.is_empty() && num(c).is_empty() {
            continue; // a blank spacer column
        }
        if text_column(&label) {
            notes.push(format!("bỏ cột chữ \"{label}\" (cột {}): biểu ma trận của baocao chỉ có cột STT, cột tên dòng và các cột số", letter(c)));
            if columns.is_empty() {
                extras.push(num(c));
            }
            continue;
        }
        if label.is_empty() {
            label = format!("Cột {}", letter(c));
            notes.push(format!(
                "cột {} không có tiêu đề: bản nháp đặt tên \"{label}\"",
                letter(c)
            ));
        }
        let width = sheet
            .widths
            .get(&c)
            .copied()
            .unwrap_or_else(|| width_of(&label));
        figures.push(num(c));
        columns.push(Column {
            group,
            label,
            width,
        });
    }
    (columns, extras, figures)
}

/// The lines above the table: form number, title (capitals, perhaps over two lines), unit of
/// measure, the rest as hints.
fn title_block(sheet: &Sheet<'_>, top: u32) -> FormDraft {
    let mut form = FormDraft {
        source: String::new(),
        sheet: String::new(),
        number: None,
        title: None,
        hints: Vec::new(),
        unit_hint: None,
        stt: String::new(),
        stub: String::new(),
        stub_width: 30.0,
        numbering: Numbering::Numbers,
        columns: Vec::new(),
        rows: Vec::new(),
        notes: Vec::new(),
    };
    let mut title_row = None;
    for r in 0..top {
        for c in 0..sheet.width() {
            if sheet.region(r, c).0 != (r, c) {
                continue;
            }
            let text = sheet.text(r, c);
            let f = fold(&text);
            if text.is_empty() || f.starts_with("cong hoa xa hoi") || f.starts_with("doc lap") {
                continue;
            }
            if (f.starts_with("bieu so") || f.starts_with("mau so")) && form.number.is_none() {
                form.number = Some(text);
            } else if let Some(rest) = f.strip_prefix("don vi tinh") {
                let unit = text.split_once(':').map(|x| x.1).unwrap_or(rest);
                let unit = unit.trim().trim_end_matches(')').trim();
                if !unit.is_empty() {
                    form.unit_hint = Some(unit.to_string());
                }
            } else if is_capitals(&text) && (form.title.is_none() || title_row == Some(r - 1)) {
                form.title = Some(match form.title.take() {
                    Some(t) => format!("{t} {text}"),
                    None => text,
                });
                title_row = Some(r);
            } else {
                form.hints.push(text);
            }
        }
    }
    form
}

/// A title line: at least two words, every letter a capital.
fn is_capitals(text: &str) -> bool {
    let letters: Vec<char> = text.chars().filter(|c| c.is_alphabetic()).collect();
    letters.len() >= 6
        && text.split_whitespace().count() >= 2
        && letters.iter().all(|c| !c.is_lowercase())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(xs: &[&str]) -> Vec<String> {
        xs.iter().map(|x| x.to_string()).collect()
    }

    #[test]
    fn numbers_and_letters_are_told_apart() {
        assert_eq!(
            detect_numbering(&v(&["1", "2", "3", "4", "5"]), 2),
            (Numbering::Numbers, None)
        );
        assert_eq!(
            detect_numbering(&v(&["A", "B", "1", "2", "3"]), 2),
            (Numbering::Letters, None)
        );
    }

    #[test]
    fn other_numberings_pick_the_closest_and_say_what_differs() {
        let (k, note) = detect_numbering(&v(&["A", "B", "C", "1", "2"]), 3);
        assert_eq!(k, Numbering::Letters);
        assert!(note.unwrap().contains("A, B, C, 1, 2"));
        let (k, note) = detect_numbering(&v(&["", "", "1", "2", "3"]), 2);
        assert_eq!(k, Numbering::Letters);
        assert!(note.unwrap().contains("(trống), (trống), 1"));
        let (k, note) = detect_numbering(&v(&["(1)", "(2)", "(3)", "(4)"]), 2);
        assert_eq!(k, Numbering::Numbers);
        assert!(note.is_some());
        let (k, note) = detect_numbering(&v(&["", "", "", ""]), 2);
        assert_eq!(k, Numbering::Numbers);
        assert!(note.unwrap().contains("không có dòng đánh số"));
    }

    #[test]
    fn numbering_rows_are_short_codes() {
        assert!(is_numbering_row(&v(&["A", "B", "1", "2", "3"])));
        assert!(is_numbering_row(&v(&["1", "2", "3=4+5", "4", ""])));
        assert!(is_numbering_row(&v(&["(1)", "(2)", "(3)"])));
        assert!(!is_numbering_row(&v(&["1", "Ban Tiếp công dân", "5", "6"])));
        assert!(!is_numbering_row(&v(&["A", "B", "C"])));
        assert!(!is_numbering_row(&v(&["1", "2"])));
    }

    #[test]
    fn stt_headers_and_text_columns_are_recognised() {
        for s in ["STT", "TT", "Số TT", "S.TT", "Số thứ tự"] {
            assert!(stt_like(s), "{s}");
        }
        assert!(!stt_like("Tên đơn vị"));
        assert!(text_column("Đơn vị tính"));
        assert!(text_column("ĐVT"));
        assert!(text_column("Mã số"));
        assert!(!text_column("Tổng số"));
        assert!(is_capitals("TỔNG HỢP KẾT QUẢ TIẾP CÔNG DÂN"));
        assert!(!is_capitals("Đơn vị báo cáo: Thanh tra tỉnh"));
    }
}

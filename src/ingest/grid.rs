//! A sheet as a grid of cells, and the table inside it: found by its header labels (not by
//! position), rows matched to indicators by code, else by name.
//!
//! Tolerates what officers do to forms: inserted title rows, deleted blank columns, merged
//! two-row headers, added total rows, blank rows.

use std::collections::BTreeMap;

use super::number::{read_number, Reading};
use super::Value;
use crate::catalog::{AnswerReading, Indicator, InputColumn};
use crate::diag::{cell_ref, Code, Diagnostic, Location};
use crate::model::CellKey;
use crate::text::{fold, nfc};

/// One cell's content, as read (formulas by their cached value).
#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    Empty,
    Number(f64),
    Text(String),
    Bool(bool),
    /// A date-formatted cell.
    Date(f64),
    Error(String),
}

impl Cell {
    pub fn text(&self) -> Option<&str> {
        match self {
            Cell::Text(s) if !s.trim().is_empty() => Some(s),
            _ => None,
        }
    }

    pub(super) fn is_empty(&self) -> bool {
        match self {
            Cell::Empty => true,
            Cell::Text(s) => s.trim().is_empty(),
            _ => false,
        }
    }

    /// Text of any non-empty cell, for label matching.
    pub(super) fn as_label(&self) -> String {
        match self {
            Cell::Text(s) => s.clone(),
            Cell::Number(n) => n.to_string(),
            _ => String::new(),
        }
    }
}

/// A sheet, with absolute positions (row 0 is the sheet's first row).
#[derive(Debug, Clone, Default)]
pub struct Grid {
    pub sheet: String,
    pub rows: Vec<Vec<Cell>>,
}

impl Grid {
    pub fn get(&self, r: u32, c: u32) -> &Cell {
        self.rows
            .get(r as usize)
            .and_then(|row| row.get(c as usize))
            .unwrap_or(&Cell::Empty)
    }

    pub fn height(&self) -> u32 {
        self.rows.len() as u32
    }

    pub(super) fn width(&self) -> u32 {
        self.rows.iter().map(Vec::len).max().unwrap_or(0) as u32
    }

    /// All non-empty texts of a row range, with their positions.
    pub fn texts(&self, from: u32, to: u32) -> impl Iterator<Item = (u32, u32, &str)> {
        (from..to.min(self.height())).flat_map(move |r| {
            self.rows[r as usize]
                .iter()
                .enumerate()
                .filter_map(move |(c, cell)| cell.text().map(|t| (r, c as u32, t)))
        })
    }
}

/// Roles of table columns.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Layout {
    /// Last header row; data starts after it.
    pub header_row: u32,
    pub first_header_row: u32,
    pub code_col: Option<u32>,
    pub name_col: u32,
    pub value_cols: Vec<(InputColumn, u32)>,
}

/// Finds the table: the first row (among the first 60) that has a "Chỉ tiêu" label and, on
/// it or the row below (a merged two-row header), a "Thực hiện" label.
pub fn find_table(grid: &Grid) -> Option<Layout> {
    let width = grid.width();
    for r in 0..grid.height().min(60) {
        let top: Vec<String> = (0..width)
            .map(|c| fold(&grid.get(r, c).as_label()))
            .collect();
        let Some(name_col) = top.iter().position(|l| is_name_label(l)) else {
            continue;
        };
        // A second header row: no numbers, an empty name cell, some text.
        let next_is_header = r + 1 < grid.height()
            && grid.get(r + 1, name_col as u32).is_empty()
            && (0..width).any(|c| grid.get(r + 1, c).text().is_some())
            && !(0..width).any(|c| matches!(grid.get(r + 1, c), Cell::Number(_)));
        let labels: Vec<String> = if next_is_header {
            two_row_labels(grid, r, &top, width)
        } else {
            top.clone()
        };
        let mut layout = Layout {
            header_row: if next_is_header { r + 1 } else { r },
            first_header_row: r,
            code_col: None,
            name_col: name_col as u32,
            value_cols: Vec::new(),
        };
        layout.place_columns(&labels);
        if layout
            .value_cols
            .iter()
            .any(|(k, _)| *k == InputColumn::ThucHien)
        {
            return Some(layout);
        }
    }
    None
}

/// The labels of a merged two-row header (row `r`, folded as `top`, and the row below): each
/// column's label below after the label above it, carried right across a merged cell.
fn two_row_labels(grid: &Grid, r: u32, top: &[String], width: u32) -> Vec<String> {
    let mut carried = String::new();
    (0..width)
        .map(|c| {
            let t = &top[c as usize];
            let below = fold(&grid.get(r + 1, c).as_label());
            if !t.is_empty() {
                carried = t.clone();
            } else if below.is_empty() {
                carried.clear();
            }
            let head = if t.is_empty() && !below.is_empty() {
                carried.clone()
            } else {
                t.clone()
            };
            format!("{head} {below}").trim().to_string()
        })
        .collect()
}

impl Layout {
    /// The code column and the value columns, by the header's (folded) labels: the first of
    /// each kind; an estimate beside an actual makes the estimate this period's figure.
    fn place_columns(&mut self, labels: &[String]) {
        for (c, l) in labels.iter().enumerate() {
            let c = c as u32;
            if c == self.name_col || l.is_empty() {
                continue;
            }
            if self.code_col.is_none() && is_code_label(l) {
                self.code_col = Some(c);
                continue;
            }
            if let Some(col) = value_column(l) {
                if !self.value_cols.iter().any(|(k, _)| *k == col) {
                    self.value_cols.push((col, c));
                }
            }
        }
        if let Some(e) = labels.iter().position(|l| l.starts_with("uoc")) {
            // "Thực hiện tháng 9 | Ước tính tháng 10": the estimate is this period's figure,
            // the actual beside it the previous period's.
            let actual = labels.iter().enumerate().position(|(i, l)| {
                i != e
                    && l.starts_with("thuc hien")
                    && value_column(l) == Some(InputColumn::ThucHien)
            });
            if let Some(a) = actual {
                self.value_cols
                    .retain(|(k, _)| *k != InputColumn::ThucHien && *k != InputColumn::KyTruoc);
                self.value_cols.push((InputColumn::ThucHien, e as u32));
                self.value_cols.push((InputColumn::KyTruoc, a as u32));
            }
        }
    }
}

fn is_name_label(l: &str) -> bool {
    (l.starts_with("chi tieu") || l.starts_with("ten chi tieu") || l == "noi dung")
        && !l.contains("ma ")
}

fn is_code_label(l: &str) -> bool {
    l == "ma" || l.starts_with("ma so") || l.starts_with("ma chi tieu")
}

fn value_column(l: &str) -> Option<InputColumn> {
    if l.contains("so voi") || l.contains('%') || l.contains("ty le") || l.contains("ghi chu") {
        return None;
    }
    if l.contains("luy ke") {
        Some(InputColumn::LuyKe)
    } else if l.contains("ky truoc") || l.contains("thang truoc") || l.contains("quy truoc") {
        Some(InputColumn::KyTruoc)
    } else if l.contains("ke hoach") {
        Some(InputColumn::KeHoach)
    } else if l.contains("thuc hien") || l.starts_with("uoc") || l.contains(" uoc") {
        Some(InputColumn::ThucHien)
    } else {
        None
    }
}

/// What reading a table's rows gave.
#[derive(Debug, Default)]
pub struct TableValues {
    pub values: BTreeMap<(CellKey, InputColumn), Value>,
    /// Text answers (`type = "text"`), by (indicator code, column).
    pub texts: BTreeMap<(String, InputColumn), crate::model::Text>,
    /// Where each empty input cell of a matched row is, by (cell key, column).
    pub empty: BTreeMap<(String, InputColumn), Location>,
    /// Indicators with a value cell that could not be read (with its diagnostic).
    pub unread: std::collections::BTreeSet<String>,
    pub diagnostics: Vec<Diagnostic>,
    /// First row after the table (the footer starts here).
    pub end_row: u32,
    /// Empty value cells of matched rows, with the indicator's description: where a formula
    /// without a cached value would hide.
    pub empty_cells: Vec<(u32, u32, String)>,
}

/// Reads the table's rows against `indicators` (the regime's form rows). A derived indicator's
/// row (a lower level's consolidated form prints it) is known and left unread: it is
/// recomputed from the figures.
pub fn read_rows(
    grid: &Grid,
    layout: &Layout,
    indicators: &[&Indicator],
    file: &str,
) -> TableValues {
    let mut out = TableValues {
        end_row: grid.height(),
        ..TableValues::default()
    };
    let rows = TableRows::new(grid, layout, indicators, file);
    let mut seen_rows: BTreeMap<&str, u32> = BTreeMap::new();
    for r in layout.header_row + 1..grid.height() {
        if grid.rows[r as usize].iter().any(is_signature_label) {
            out.end_row = r;
            break;
        }
        let Some(ind) = rows.indicator_of(r, &mut out.diagnostics) else {
            continue;
        };
        if ind.is_derived() {
            continue;
        }
        if let Some(first) = seen_rows.get(ind.code.as_str()) {
            out.diagnostics.push(Diagnostic::new(
                Code::DuplicateRow,
                rows.loc(r, layout.name_col),
                format!(
                    "Chỉ tiêu {} \"{}\" xuất hiện hai lần (dòng {} và dòng {}).\nXóa dòng thừa rồi gửi lại.",
                    ind.code, ind.name, first + 1, r + 1
                ),
            ));
            continue;
        }
        seen_rows.insert(&ind.code, r);
        rows.read_cells(r, ind, &mut out);
    }
    out
}

/// A list form's table being read: its sheet and layout, the indicators its rows may be.
struct TableRows<'a> {
    grid: &'a Grid,
    layout: &'a Layout,
    indicators: &'a [&'a Indicator],
    /// The indicators by code, upper case.
    by_code: BTreeMap<std::borrow::Cow<'a, str>, &'a Indicator>,
    file: &'a str,
    // One allocation of the file's and the sheet's names for all the figures read.
    sheet: std::sync::Arc<Location>,
}

impl<'a> TableRows<'a> {
    fn new(
        grid: &'a Grid,
        layout: &'a Layout,
        indicators: &'a [&'a Indicator],
        file: &'a str,
    ) -> TableRows<'a> {
        // Codes are upper case in the catalogs: copied only where one is not.
        let by_code = indicators
            .iter()
            .map(|i| {
                let code = if i.code.is_ascii() && !i.code.bytes().any(|b| b.is_ascii_lowercase()) {
                    std::borrow::Cow::Borrowed(i.code.as_str())
                } else {
                    std::borrow::Cow::Owned(i.code.to_uppercase())
                };
                (code, *i)
            })
            .collect();
        TableRows {
            grid,
            layout,
            indicators,
            by_code,
            file,
            sheet: crate::diag::At::sheet(file, &grid.sheet),
        }
    }

    /// A cell of the sheet, its file and sheet names shared.
    fn loc(&self, r: u32, c: u32) -> Location {
        Location::cell(&self.sheet.file, &self.sheet.sheet, cell_ref(r, c))
    }

    /// A figure's cell of the sheet.
    fn at(&self, r: u32, c: u32) -> crate::diag::At {
        crate::diag::At::cell(&self.sheet, r, c)
    }

    // Rows are matched by name only where the code does not match (section rows, forms
    // without a code column), against the names normalized when the catalog was loaded.

    /// The last indicator of that name (NFC).
    fn by_name(&self, name: &str) -> Option<&'a Indicator> {
        self.indicators
            .iter()
            .rev()
            .find(|i| i.name_nfc == name)
            .copied()
    }

    /// The last indicator of that name without accents and case.
    fn by_fold(&self, folded: &str) -> Option<&'a Indicator> {
        self.indicators
            .iter()
            .rev()
            .find(|i| i.name_fold == folded)
            .copied()
    }

    /// The indicator of row `r`: by its code, else by its name (without accents and case: a
    /// warning). `None` for a row that is no indicator's: blank, a heading that reads like
    /// one, or a row with figures that matches none (said, unless a total row).
    fn indicator_of(&self, r: u32, diags: &mut Vec<Diagnostic>) -> Option<&'a Indicator> {
        let (grid, layout) = (self.grid, self.layout);
        let code = layout
            .code_col
            .and_then(|c| grid.get(r, c).text().map(|t| t.trim().to_uppercase()))
            .unwrap_or_default();
        let mut matched = self.by_code.get(code.as_str()).copied();
        // The name is read only where the code does not say which row this is.
        let name = if matched.is_some() {
            String::new()
        } else {
            strip_item_prefix(&nfc(&grid.get(r, layout.name_col).as_label()))
        };
        let has_values = layout
            .value_cols
            .iter()
            .any(|(_, c)| !grid.get(r, *c).is_empty());
        if matched.is_none() && code.is_empty() && name.is_empty() {
            return None;
        }
        // The name without accents and case, folded once.
        let mut folded = None;
        if matched.is_none() && !name.is_empty() {
            matched = self.by_name_or_fold(r, &name, has_values, &mut folded, diags);
        }
        // A row matched by its name alone, with nothing typed in it, is a heading that reads
        // like an indicator (a section "KHÓ KHĂN, KIẾN NGHỊ" above the row "Khó khăn, kiến
        // nghị"): not the indicator's row.
        if !has_values && !name.is_empty() && matched.is_some_and(|i| i.code.to_uppercase() != code)
        {
            return None;
        }
        if !has_values
            && matched.is_none()
            && self
                .by_fold(folded.get_or_insert_with(|| fold(&name)))
                .is_some()
        {
            return None;
        }
        if matched.is_none() {
            self.say_unknown(r, &code, &name, folded, has_values, diags);
        }
        matched
    }

    /// The indicator of a row's `name` (NFC), else of its folded name (`folded`, kept) where
    /// the row has figures: a warning that it matched without accents and case.
    fn by_name_or_fold(
        &self,
        r: u32,
        name: &str,
        has_values: bool,
        folded: &mut Option<String>,
        diags: &mut Vec<Diagnostic>,
    ) -> Option<&'a Indicator> {
        let matched = self.by_name(name);
        if matched.is_some() {
            return matched;
        }
        let ind = self
            .by_fold(folded.insert(fold(name)))
            .filter(|_| has_values)?;
        diags.push(Diagnostic::new(
            Code::FuzzyNameMatch,
            self.loc(r, self.layout.name_col),
            format!(
                "Dòng \"{name}\" được hiểu là chỉ tiêu {} \"{}\" (khớp khi bỏ dấu và chữ hoa/thường).\nGiữ nguyên tên và mã chỉ tiêu của biểu mẫu.",
                ind.code, ind.name
            ),
        ));
        Some(ind)
    }

    /// Says a row with figures that matches no indicator (a total row, or a name of three
    /// letters or fewer, aside).
    fn say_unknown(
        &self,
        r: u32,
        code: &str,
        name: &str,
        folded: Option<String>,
        has_values: bool,
        diags: &mut Vec<Diagnostic>,
    ) {
        let folded = folded.unwrap_or_else(|| fold(name));
        let is_total =
            folded.starts_with("tong cong") || folded == "cong" || folded.starts_with("tong so");
        if has_values && !is_total && folded.chars().count() > 3 {
            diags.push(Diagnostic::new(
                Code::UnknownRow,
                self.loc(r, self.layout.name_col),
                format!(
                    "Dòng \"{}\" không khớp chỉ tiêu nào của biểu; số liệu dòng này không được tổng hợp.\nGiữ nguyên mã và tên chỉ tiêu như biểu mẫu; nếu là chỉ tiêu mới, đề nghị bổ sung vào danh mục.",
                    if name.is_empty() { code.to_string() } else { name.to_string() }
                ),
            ));
        }
    }

    /// The value cells of row `r`, the indicator `ind`'s: figures, texts, and where each empty
    /// one is.
    fn read_cells(&self, r: u32, ind: &Indicator, out: &mut TableValues) {
        let grid = self.grid;
        let what = || format!("Chỉ tiêu {} \"{}\"", ind.code, ind.name);
        for (col, c) in &self.layout.value_cols {
            if grid.get(r, *c).is_empty() {
                out.empty_cells.push((r, *c, what()));
                out.empty.insert((ind.code.clone(), *col), self.loc(r, *c));
                continue;
            }
            if ind.is_text() {
                self.read_text_cell(r, *c, *col, ind, &what, out);
                continue;
            }
            let said = out.diagnostics.len();
            match read_value(grid, r, *c, ind, &what, self.file, &mut out.diagnostics) {
                Some(v) => {
                    out.values.insert(
                        (CellKey::from(ind.code.as_str()), *col),
                        Value {
                            value: v,
                            location: self.at(r, *c),
                        },
                    );
                }
                // Unreadable, said at its cell ("-" is no figure and says nothing).
                None if out.diagnostics.len() > said => {
                    out.unread.insert(ind.code.clone());
                }
                None => {}
            }
        }
    }

    /// A text answer's cell; the indicator is unread where the cell said a problem and gave
    /// no text.
    fn read_text_cell(
        &self,
        r: u32,
        c: u32,
        col: InputColumn,
        ind: &Indicator,
        what: &dyn Fn() -> String,
        out: &mut TableValues,
    ) {
        let said = out.diagnostics.len();
        if let Some(text) = read_text(
            self.grid.get(r, c),
            ind,
            what,
            &|| self.loc(r, c),
            &mut out.diagnostics,
        ) {
            out.texts.insert(
                (ind.code.clone(), col),
                crate::model::Text {
                    text,
                    location: self.loc(r, c),
                },
            );
        }
        if out.diagnostics.len() > said && !out.texts.contains_key(&(ind.code.clone(), col)) {
            out.unread.insert(ind.code.clone());
        }
    }
}

/// A cell of the signature block under the table ("Người lập biểu", "Thủ trưởng đơn vị"): the
/// table ends above it. Only text cells can say so, and only those with both letter pairs of
/// one of the labels ("ng" and "bi", or "th" and "tr", in any case) are folded to be sure:
/// most cells of a table, indicator names among them, have neither both.
pub(super) fn is_signature_label(cell: &Cell) -> bool {
    let Cell::Text(t) = cell else {
        return false;
    };
    let (mut ng, mut bi, mut th, mut tr) = (false, false, false, false);
    for w in t.as_bytes().windows(2) {
        match [w[0].to_ascii_lowercase(), w[1].to_ascii_lowercase()] {
            [b'n', b'g'] => ng = true,
            [b'b', b'i'] => bi = true,
            [b't', b'h'] => th = true,
            [b't', b'r'] => tr = true,
            _ => {}
        }
    }
    if !(ng && bi || th && tr) {
        return false;
    }
    let f = fold(t);
    f.contains("nguoi lap bieu") || f.contains("thu truong don vi")
}

/// Drops "Trong đó:" (in any case, with or without accents and colon) and "- ", "– ", "+ ",
/// "* " before an indicator's name: a form prints a "trong đó" part as "Trong đó: Nữ" or
/// "- Thanh niên", an officer may type either or the bare name. `name` is NFC.
pub(super) fn strip_item_prefix(name: &str) -> String {
    let mut s = name.trim();
    let head_len: usize = s.chars().take(8).map(char::len_utf8).sum();
    let word_ends = s[head_len..]
        .chars()
        .next()
        .is_none_or(|c| !c.is_alphanumeric());
    if word_ends && fold(&s[..head_len]) == "trong do" {
        s = s[head_len..].trim_start();
        s = s.strip_prefix(':').unwrap_or(s).trim_start();
    }
    for p in ['-', '–', '+', '*'] {
        if let Some(rest) = s.strip_prefix(p) {
            s = rest.trim_start();
        }
    }
    s.trim_end().to_string()
}

/// One cell's number; `None` when empty (not reported) or unreadable (with a diagnostic).
pub(super) fn read_value(
    grid: &Grid,
    r: u32,
    c: u32,
    ind: &Indicator,
    what: &dyn Fn() -> String,
    file: &str,
    diags: &mut Vec<Diagnostic>,
) -> Option<f64> {
    // Nothing is allocated for a figure that reads cleanly.
    let loc = || Location::cell(file, &grid.sheet, cell_ref(r, c));
    if ind.is_answer() {
        return read_answer(grid.get(r, c), ind, what, &loc, diags);
    }
    match grid.get(r, c) {
        Cell::Number(v) if v.is_finite() => Some(*v),
        Cell::Number(_) => {
            diags.push(Diagnostic::new(
                Code::InvalidNumber,
                loc(),
                format!(
                    "{}: giá trị không phải là số hữu hạn.\nNhập lại số rồi gửi lại.",
                    what()
                ),
            ));
            None
        }
        Cell::Empty => None,
        Cell::Text(t) => text_number(t, what, &loc, diags),
        Cell::Error(e) => {
            diags.push(Diagnostic::new(
                Code::ErrorCell,
                loc(),
                format!(
                    "{}: ô có lỗi {e}.\nSửa công thức hoặc nhập số trực tiếp rồi gửi lại.",
                    what()
                ),
            ));
            None
        }
        Cell::Bool(b) => {
            diags.push(Diagnostic::new(
                Code::InvalidNumber,
                loc(),
                format!(
                    "{}: ô chứa giá trị logic {b}, không phải số.\nNhập số rồi gửi lại.",
                    what()
                ),
            ));
            None
        }
        Cell::Date(_) => {
            diags.push(Diagnostic::new(Code::InvalidNumber, loc(), format!("{}: ô được định dạng ngày tháng, không phải số.\nĐổi định dạng ô sang Số và nhập lại.", what())));
            None
        }
    }
}

/// A number typed as text, read the vi-VN way (one that reads two ways: with a warning);
/// `None` for "-" (no figure) or blank, or text that is no number (said).
fn text_number(
    t: &str,
    what: &dyn Fn() -> String,
    loc: &dyn Fn() -> Location,
    diags: &mut Vec<Diagnostic>,
) -> Option<f64> {
    let t = t.trim();
    if t.is_empty() || t == "-" || t == "–" {
        return None;
    }
    match read_number(t) {
        Reading::Value(v) => Some(v),
        Reading::Ambiguous { value, other } => {
            diags.push(Diagnostic::new(
                Code::AmbiguousNumber,
                loc(),
                format!(
                    "{}: \"{t}\" được đọc là {} theo cách viết Việt Nam (cách viết tiếng Anh sẽ là {}).\nNếu ý khác, sửa lại; tốt nhất nhập ô dạng số thay vì dạng chữ.", what(),
                    crate::text::fmt_vn(value, 3).replace('.', ""), crate::text::fmt_vn(other, 3).replace('.', "")
                ),
            ));
            Some(value)
        }
        Reading::Invalid => {
            diags.push(Diagnostic::new(
                Code::InvalidNumber,
                loc(),
                format!("{}: \"{t}\" không phải là số hợp lệ.\nGõ số theo dạng 1.234,5 (dấu chấm ngăn nghìn, dấu phẩy thập phân) rồi gửi lại.", what()),
            ));
            None
        }
    }
}

/// A short text (`type = "text"`): as typed, trimmed, its spaces and line breaks kept; a
/// number or a date as it reads. Longer than its `max_length`: kept whole, with a warning.
fn read_text(
    cell: &Cell,
    ind: &Indicator,
    what: &dyn Fn() -> String,
    loc: &dyn Fn() -> Location,
    diags: &mut Vec<Diagnostic>,
) -> Option<String> {
    let text = match cell {
        Cell::Empty => return None,
        Cell::Text(t) => nfc(t.trim()),
        Cell::Number(v) => crate::text::fmt_vn(*v, 6),
        Cell::Bool(b) => if *b { "TRUE" } else { "FALSE" }.to_string(),
        Cell::Date(d) => serial_date(*d)
            .map(|d| d.format("%d/%m/%Y").to_string())
            .unwrap_or_default(),
        Cell::Error(e) => {
            diags.push(Diagnostic::new(
                Code::ErrorCell,
                loc(),
                format!("{}: ô có lỗi {e}.\nGhi chữ trực tiếp rồi gửi lại.", what()),
            ));
            return None;
        }
    };
    if text.is_empty() {
        return None;
    }
    let n = text.chars().count();
    if n > ind.text_limit() {
        diags.push(Diagnostic::new(
            Code::TextTooLong,
            loc(),
            format!(
                "{}: {n} ký tự, dài hơn {} ký tự cho phép; vẫn giữ nguyên.\nLần sau ghi ngắn gọn hơn.",
                what(),
                ind.text_limit()
            ),
        ));
    }
    Some(text)
}

/// The date of an Excel date serial (the 1900 system; serials after 28/02/1900).
pub(super) fn serial_date(serial: f64) -> Option<chrono::NaiveDate> {
    chrono::NaiveDate::from_ymd_opt(1899, 12, 30)
        .and_then(|d| d.checked_add_days(chrono::Days::new(serial.max(0.0) as u64)))
}

/// A yes/no or category answer: one of its labels, or one once case, diacritics and spaces
/// are set aside (with a note saying how it was read); anything else is no answer (blocking).
fn read_answer(
    cell: &Cell,
    ind: &Indicator,
    what: &dyn Fn() -> String,
    loc: &dyn Fn() -> Location,
    diags: &mut Vec<Diagnostic>,
) -> Option<f64> {
    let typed = match cell {
        Cell::Empty => return None,
        Cell::Text(t) if t.trim().is_empty() => return None,
        Cell::Text(t) => t.trim().to_string(),
        Cell::Number(v) => crate::text::fmt_vn(*v, 6).replace('.', ""),
        Cell::Bool(b) => if *b { "true" } else { "false" }.to_string(),
        Cell::Error(e) => e.to_string(),
        Cell::Date(_) => "(ngày tháng)".to_string(),
    };
    let listed = || {
        ind.answers
            .iter()
            .map(|o| format!("\"{}\"", o.name))
            .collect::<Vec<_>>()
            .join(", ")
    };
    match ind.read_answer(&typed) {
        AnswerReading::Exact(v) => Some(v),
        AnswerReading::Normalized(v) => {
            diags.push(Diagnostic::new(
                Code::AnswerNormalized,
                loc(),
                format!(
                    "{}: \"{typed}\" được hiểu là \"{}\".\nLần sau chọn câu trả lời trong danh sách của ô ({}).",
                    what(),
                    ind.answer_label(v).unwrap_or_default(),
                    listed()
                ),
            ));
            Some(v)
        }
        AnswerReading::Unknown => {
            diags.push(Diagnostic::new(
                Code::UnknownAnswer,
                loc(),
                format!(
                    "{}: \"{typed}\" không phải câu trả lời trong danh sách.\nChọn một trong: {} rồi gửi lại.",
                    what(),
                    listed()
                ),
            ));
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: &str) -> Cell {
        Cell::Text(s.to_string())
    }

    #[test]
    fn item_prefixes_of_trong_do_rows_are_dropped() {
        for (printed, name) in [
            ("Trong đó: Nữ", "Nữ"),
            ("Trong đó:Nữ", "Nữ"),
            ("TRONG ĐÓ: Nữ", "Nữ"),
            ("Trong do: Nữ", "Nữ"),
            ("trong đó Nữ", "Nữ"),
            ("Trong đó: - Nữ", "Nữ"),
            ("- Thanh niên", "Thanh niên"),
            ("– Thanh niên ", "Thanh niên"),
            ("+ Thanh niên", "Thanh niên"),
            ("Thanh niên", "Thanh niên"),
            ("Trong đóng góp", "Trong đóng góp"),
            ("Trong đó", ""),
        ] {
            assert_eq!(strip_item_prefix(printed), name, "{printed}");
        }
    }

    #[test]
    fn signature_labels_end_the_table_whatever_their_case_accents_or_composition() {
        for label in [
            "Người lập biểu",
            "NGƯỜI LẬP BIỂU",
            "Nguoi lap bieu",
            "  Người   lập biểu (Ký, ghi rõ họ tên)",
            "Thủ trưởng đơn vị",
            "THỦ TRƯỞNG ĐƠN VỊ",
            "Thu truong don vi",
            // Decomposed (NFD), as some editors save it.
            "Ngu\u{31b}\u{300}o\u{31b}i la\u{323}\u{302}p bie\u{302}\u{309}u",
            "Thu\u{309} tru\u{31b}o\u{31b}\u{309}ng \u{111}o\u{31b}n vi\u{323}",
        ] {
            assert!(is_signature_label(&t(label)), "{label}");
        }
        for other in [
            "Tổng thu ngân sách nhà nước trên địa bàn",
            "Số người được tiếp nhận",
            "Người lập",
            "Thủ trưởng",
            "Ghi chú",
        ] {
            assert!(!is_signature_label(&t(other)), "{other}");
        }
        assert!(!is_signature_label(&Cell::Number(1.0)));
    }

    fn grid(rows: Vec<Vec<Cell>>) -> Grid {
        Grid {
            sheet: "Biểu".into(),
            rows,
        }
    }

    #[test]
    fn finds_a_table_below_inserted_title_rows() {
        let g = grid(vec![
            vec![t("UBND TỈNH AN LẠC")],
            vec![t("Báo cáo thêm dòng tiêu đề")],
            vec![Cell::Empty],
            vec![
                t("STT"),
                t("Mã số"),
                t("Chỉ tiêu"),
                t("Đơn vị tính"),
                t("Kế hoạch năm 2026"),
                t("Thực hiện kỳ báo cáo"),
                t("Lũy kế từ đầu năm"),
                t("So với kế hoạch (%)"),
            ],
        ]);
        let l = find_table(&g).unwrap();
        assert_eq!(l.header_row, 3);
        assert_eq!(l.code_col, Some(1));
        assert_eq!(l.name_col, 2);
        assert_eq!(
            l.value_cols,
            vec![
                (InputColumn::KeHoach, 4),
                (InputColumn::ThucHien, 5),
                (InputColumn::LuyKe, 6)
            ]
        );
    }

    #[test]
    fn reads_a_merged_two_row_header() {
        let g = grid(vec![
            vec![
                t("STT"),
                t("Chỉ tiêu"),
                t("ĐVT"),
                t("Thực hiện"),
                Cell::Empty,
                t("Ghi chú"),
            ],
            vec![
                Cell::Empty,
                Cell::Empty,
                Cell::Empty,
                t("Kỳ báo cáo"),
                t("Lũy kế"),
                Cell::Empty,
            ],
            vec![
                t("1"),
                t("Tổng lượt khách du lịch"),
                t("lượt"),
                Cell::Number(5.0),
                Cell::Number(50.0),
            ],
        ]);
        let l = find_table(&g).unwrap();
        assert_eq!(l.header_row, 1);
        assert_eq!(l.code_col, None);
        assert_eq!(
            l.value_cols,
            vec![(InputColumn::ThucHien, 3), (InputColumn::LuyKe, 4)]
        );
    }

    fn ind(code: &str, name: &str) -> Indicator {
        toml::from_str(&format!(
            "code = \"{code}\"\nname = \"{name}\"\nunit = \"người\"\ntype = \"integer\"\naggregation = \"sum\"\n"
        ))
        .map(Indicator::with_normalized_names)
        .unwrap()
    }

    fn codes_of(t: &TableValues) -> Vec<&str> {
        t.diagnostics.iter().map(|d| d.code.as_str()).collect()
    }

    #[test]
    fn rows_match_by_code_then_name_then_folded_name() {
        let inds = [
            ind("A1", "Số hộ nghèo"),
            ind("A2", "Dân số trung bình"),
            ind("A3", "Số lao động"),
        ];
        let refs: Vec<&Indicator> = inds.iter().collect();
        let g = grid(vec![
            vec![t("Mã số"), t("Chỉ tiêu"), t("Thực hiện")],
            vec![t("A1"), t("Tên đã sửa"), Cell::Number(5.0)],
            vec![
                Cell::Empty,
                t("Trong đó: Dân số trung bình"),
                Cell::Number(7.0),
            ],
            vec![Cell::Empty, t("so LAO dong"), Cell::Number(9.0)],
            vec![Cell::Empty, t("Chỉ tiêu lạ không có"), Cell::Number(1.0)],
            vec![Cell::Empty, t("Tổng cộng"), Cell::Number(21.0)],
            vec![Cell::Empty, t("II"), Cell::Empty],
        ]);
        let l = find_table(&g).unwrap();
        let out = read_rows(&g, &l, &refs, "f.xlsx");
        let v = |c: &str| {
            out.values
                .get(&(c.into(), InputColumn::ThucHien))
                .map(|v| v.value)
        };
        assert_eq!(v("A1"), Some(5.0));
        assert_eq!(v("A2"), Some(7.0));
        assert_eq!(v("A3"), Some(9.0));
        assert_eq!(codes_of(&out), vec!["BC0206", "BC0205"]);
        assert_eq!(out.diagnostics[1].location.cell, "B5");
    }

    #[test]
    fn duplicate_rows_error_cells_and_non_numbers_are_diagnosed() {
        let inds = [
            ind("A1", "Số hộ nghèo"),
            ind("A2", "Dân số"),
            ind("A3", "Số lao động"),
        ];
        let refs: Vec<&Indicator> = inds.iter().collect();
        let g = grid(vec![
            vec![t("Mã số"), t("Chỉ tiêu"), t("Thực hiện")],
            vec![t("A1"), t("Số hộ nghèo"), Cell::Number(5.0)],
            vec![t("A1"), t("Số hộ nghèo"), Cell::Number(6.0)],
            vec![t("A2"), t("Dân số"), Cell::Error("#DIV/0!".into())],
            vec![t("A3"), t("Số lao động"), Cell::Bool(true)],
        ]);
        let l = find_table(&g).unwrap();
        let out = read_rows(&g, &l, &refs, "f.xlsx");
        assert_eq!(codes_of(&out), vec!["BC0207", "BC0204", "BC0203"]);
        assert_eq!(out.values.len(), 1, "only the first A1 row is read");
    }

    #[test]
    fn a_heading_named_like_an_indicator_is_not_its_row() {
        let inds = [ind("K1", "Khó khăn, kiến nghị"), ind("A2", "Dân số")];
        let refs: Vec<&Indicator> = inds.iter().collect();
        let g = grid(vec![
            vec![t("Mã số"), t("Chỉ tiêu"), t("Thực hiện")],
            vec![t(""), t("KHÓ KHĂN, KIẾN NGHỊ"), Cell::Empty],
            vec![t("K1"), t("Khó khăn, kiến nghị"), Cell::Number(3.0)],
            vec![t(""), t("Dân số"), Cell::Empty],
            vec![t("A2"), t("Dân số"), Cell::Number(7.0)],
        ]);
        let l = find_table(&g).unwrap();
        let out = read_rows(&g, &l, &refs, "f.xlsx");
        assert!(out.diagnostics.is_empty(), "{:?}", out.diagnostics);
        assert_eq!(out.values.len(), 2);
    }

    #[test]
    fn a_text_is_kept_as_typed_and_a_long_one_whole_with_a_warning() {
        let mut note = ind("GC", "Ghi chú");
        note.value_type = crate::catalog::ValueType::Text;
        note.max_length = Some(10);
        let what = || "Chỉ tiêu GC".to_string();
        let loc = || Location::cell("f.xlsx", "Biểu", "D5");
        let mut diags = Vec::new();
        let short = read_text(&t("  Thiếu vốn "), &note, &what, &loc, &mut diags);
        assert_eq!(short.as_deref(), Some("Thiếu vốn"));
        assert!(diags.is_empty());
        let long = read_text(&t("Thiếu vốn làm đường"), &note, &what, &loc, &mut diags);
        assert_eq!(long.as_deref(), Some("Thiếu vốn làm đường"));
        assert_eq!(diags.len(), 1);
        assert_eq!(diags[0].code, Code::TextTooLong);
        assert!(
            diags[0].message.contains("19 ký tự, dài hơn 10"),
            "{}",
            diags[0].message
        );
        // A date cell reads as the date: serial 46203 is 30/06/2026.
        let date = read_text(&Cell::Date(46203.0), &note, &what, &loc, &mut diags);
        assert_eq!(date.as_deref(), Some("30/06/2026"));
    }

    #[test]
    fn empty_value_cells_are_listed_for_the_formula_check() {
        let inds = [ind("A1", "Số hộ nghèo")];
        let refs: Vec<&Indicator> = inds.iter().collect();
        let g = grid(vec![
            vec![t("Mã số"), t("Chỉ tiêu"), t("Thực hiện")],
            vec![t("A1"), t("Số hộ nghèo"), t("")],
        ]);
        let out = read_rows(&g, &find_table(&g).unwrap(), &refs, "f.xlsx");
        assert!(out.values.is_empty(), "empty is not reported, not zero");
        assert_eq!(out.empty_cells.len(), 1);
        assert_eq!((out.empty_cells[0].0, out.empty_cells[0].1), (1, 2));
    }

    #[test]
    fn an_estimate_beside_the_previous_months_actual() {
        let g = grid(vec![vec![
            t("Chỉ tiêu"),
            t("Thực hiện tháng 9"),
            t("Ước tính tháng 10"),
            t("Lũy kế 10 tháng"),
            t("Tháng 10 so với cùng kỳ (%)"),
        ]]);
        let l = find_table(&g).unwrap();
        let mut cols = l.value_cols.clone();
        cols.sort();
        assert_eq!(
            cols,
            vec![
                (InputColumn::ThucHien, 2),
                (InputColumn::LuyKe, 3),
                (InputColumn::KyTruoc, 1)
            ]
        );
        // baocao's own header for it.
        let g = grid(vec![vec![
            t("Chỉ tiêu"),
            t("Thực hiện kỳ trước (tháng 9/2026)"),
            t("Thực hiện kỳ báo cáo (tháng 10/2026)"),
        ]]);
        let mut cols = find_table(&g).unwrap().value_cols;
        cols.sort();
        assert_eq!(
            cols,
            vec![(InputColumn::ThucHien, 2), (InputColumn::KyTruoc, 1)]
        );
    }

    #[test]
    fn no_table_without_a_thuc_hien_column() {
        let g = grid(vec![vec![t("Chỉ tiêu"), t("Ghi chú")]]);
        assert_eq!(find_table(&g), None);
    }
}

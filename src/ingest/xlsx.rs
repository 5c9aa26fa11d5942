//! The plain xlsx a form is, read in one pass: every part inflated once, through the limits'
//! counter and entity scan (`limits::inflate_checked`), then parsed from memory with quick-xml.
//!
//! calamine reads every workbook the same in the end; this reader exists for speed (a batch
//! reads ten thousand forms, and calamine inflates each part again and parses the whole style
//! sheet). It knows the SpreadsheetML that Excel, LibreOffice and rust_xlsxwriter write for
//! forms: shared and inline strings (rich text, phonetic runs left out), numbers, booleans,
//! formulas with their cached values, date formats. Anything else (another workbook path,
//! `_xHHHH_` escapes, CDATA, error or date cells, a reference it cannot place, XML it cannot
//! parse) makes it step aside (`None`), and the caller reads the file with calamine: both give
//! the same grid (the fuzz tests compare them on damaged files too). Owns no diagnostics.

use std::collections::HashMap;

use quick_xml::events::{BytesStart, Event};
use quick_xml::Reader;

use super::grid::{Cell, Grid};
use super::workbook::{LoadError, Loaded, Placer};
use super::META_SHEET;
use crate::model::Limits;

mod scan;

/// The parts this reader parses (all of them are among those the limits scan inflates).
pub(crate) fn wanted(name: &str) -> bool {
    name == "_rels/.rels"
        || name == "xl/workbook.xml"
        || name == "xl/_rels/workbook.xml.rels"
        || name == "xl/sharedStrings.xml"
        || name == "xl/styles.xml"
        || (name.starts_with("xl/worksheets/") && name.ends_with(".xml"))
}

/// Why the fast reader steps aside: the file is read with calamine instead.
struct StepAside;

type Step<T> = Result<T, StepAside>;

impl From<quick_xml::Error> for StepAside {
    fn from(_: quick_xml::Error) -> StepAside {
        StepAside
    }
}

impl From<quick_xml::events::attributes::AttrError> for StepAside {
    fn from(_: quick_xml::events::attributes::AttrError) -> StepAside {
        StepAside
    }
}

/// The sheets of a workbook from its inflated parts, or `Ok(None)` where calamine must read
/// it. A sheet with more value cells than the limits allow refuses the file, as with calamine.
pub(crate) fn read(
    parts: &HashMap<String, Vec<u8>>,
    limits: &Limits,
) -> Result<Option<Loaded>, LoadError> {
    match read_parts(parts, limits) {
        Ok(result) => result.map(Some),
        Err(StepAside) => Ok(None),
    }
}

fn read_parts(
    parts: &HashMap<String, Vec<u8>>,
    limits: &Limits,
) -> Step<Result<Loaded, LoadError>> {
    let part = |name: &str| parts.get(name).map(Vec::as_slice).ok_or(StepAside);
    if office_document(part("_rels/.rels")?)? != "xl/workbook.xml" {
        return Err(StepAside);
    }
    let targets = relationships(part("xl/_rels/workbook.xml.rels")?)?;
    let sheets = workbook_sheets(part("xl/workbook.xml")?)?;
    let strings = match parts.get("xl/sharedStrings.xml") {
        Some(x) => scan::shared_strings(x).or_else(|StepAside| shared_strings(x))?,
        None => Vec::new(),
    };
    let dates = match parts.get("xl/styles.xml") {
        Some(x) => date_styles_memo(x)?,
        None => Vec::new(),
    };
    let mut out = Loaded::default();
    for (name, visible, rid) in sheets {
        if !visible && name != META_SHEET {
            continue;
        }
        let target = targets.get(&rid).ok_or(StepAside)?;
        let path = match target.strip_prefix('/') {
            Some(absolute) => absolute.to_string(),
            None => format!("xl/{target}"),
        };
        let xml = part(&path)?;
        let mut placer = Placer::new(&name, limits);
        let placed = match scan::sheet_cells(xml, &strings, &dates, &mut placer) {
            Ok(placed) => placed,
            Err(StepAside) => {
                placer = Placer::new(&name, limits);
                sheet_cells(xml, &strings, &dates, &mut placer)?
            }
        };
        if let Err(refused) = placed {
            return Ok(Err(refused));
        }
        let (grid, outside): (Grid, _) = placer.finish();
        if let Some((r, c)) = outside {
            out.outside.push((name.clone(), r, c));
        }
        out.sheets.push(grid);
    }
    Ok(Ok(out))
}

fn reader(xml: &[u8]) -> Reader<&[u8]> {
    let mut r = Reader::from_reader(xml);
    let config = r.config_mut();
    config.expand_empty_elements = true;
    config.check_end_names = false;
    config.trim_text(false);
    r
}

/// An attribute's value by local name (`r:id` is found as `id`), entities decoded.
fn attr(e: &BytesStart<'_>, local: &str) -> Step<Option<String>> {
    for a in e.attributes() {
        let a = a?;
        if a.key.local_name().as_ref() == local {
            return Ok(Some(
                quick_xml::escape::unescape(&a.value)
                    .map_err(|_| StepAside)?
                    .into_owned(),
            ));
        }
    }
    Ok(None)
}

/// The package's main document (`_rels/.rels`).
fn office_document(xml: &[u8]) -> Step<String> {
    let mut r = reader(xml);
    loop {
        match r.read_event()? {
            Event::Start(e) if e.local_name().as_ref() == "Relationship" => {
                let kind = attr(&e, "Type")?.unwrap_or_default();
                if kind.ends_with("/officeDocument") {
                    let t = attr(&e, "Target")?.ok_or(StepAside)?;
                    return Ok(t.trim_start_matches('/').to_string());
                }
            }
            Event::Eof => return Err(StepAside),
            _ => {}
        }
    }
}

/// The workbook's relationships: id → target.
fn relationships(xml: &[u8]) -> Step<HashMap<String, String>> {
    let mut r = reader(xml);
    let mut out = HashMap::new();
    loop {
        match r.read_event()? {
            Event::Start(e) if e.local_name().as_ref() == "Relationship" => {
                if let (Some(id), Some(t)) = (attr(&e, "Id")?, attr(&e, "Target")?) {
                    out.insert(id, t);
                }
            }
            Event::Eof => return Ok(out),
            _ => {}
        }
    }
}

/// The sheets in workbook order: (name, visible, relationship id).
fn workbook_sheets(xml: &[u8]) -> Step<Vec<(String, bool, String)>> {
    let mut r = reader(xml);
    let mut out: Vec<(String, bool, String)> = Vec::new();
    loop {
        match r.read_event()? {
            Event::Start(e) if e.local_name().as_ref() == "sheet" => {
                let name = attr(&e, "name")?.ok_or(StepAside)?;
                let visible = match attr(&e, "state")?.as_deref() {
                    None | Some("visible") => true,
                    Some("hidden") | Some("veryHidden") => false,
                    Some(_) => return Err(StepAside),
                };
                let id = attr(&e, "id")?.ok_or(StepAside)?;
                if out.iter().any(|(n, ..)| *n == name) {
                    return Err(StepAside);
                }
                out.push((name, visible, id));
            }
            Event::Eof => return Ok(out),
            _ => {}
        }
    }
}

/// The shared strings table.
fn shared_strings(xml: &[u8]) -> Step<Vec<String>> {
    let mut r = reader(xml);
    let mut out = Vec::new();
    loop {
        match r.read_event()? {
            Event::Start(e) if e.local_name().as_ref() == "si" => {
                out.push(rich_text(&mut r, "si")?);
            }
            Event::End(e) if e.local_name().as_ref() == "sst" => return Ok(out),
            Event::Eof => return Err(StepAside),
            _ => {}
        }
    }
}

/// The text of a string item (`<si>`, `<is>`): its `<t>` runs joined, phonetic runs left out,
/// each run trimmed of ASCII whitespace unless `xml:space="preserve"` (as calamine does).
fn rich_text(r: &mut Reader<&[u8]>, closing: &str) -> Step<String> {
    let mut out = String::new();
    let mut phonetic = false;
    loop {
        match r.read_event()? {
            Event::Start(e) if e.local_name().as_ref() == "rPh" => phonetic = true,
            Event::End(e) if e.local_name().as_ref() == "rPh" => phonetic = false,
            Event::End(e) if e.local_name().as_ref() == closing => return Ok(out),
            Event::Start(e) if e.local_name().as_ref() == "t" && !phonetic => {
                let preserve = e
                    .attributes()
                    .flatten()
                    .any(|a| a.key.as_ref() == "xml:space" && a.value.as_ref() == "preserve");
                let text = element_text(r, "t")?;
                let text = if preserve {
                    text.as_str()
                } else {
                    text.trim_matches([' ', '\t', '\r', '\n'])
                };
                if text.contains("_x") || text.contains("_X") {
                    return Err(StepAside);
                }
                out.push_str(text);
            }
            Event::CData(_) | Event::Eof => return Err(StepAside),
            _ => {}
        }
    }
}

/// The text up to the element's end: XML 1.0 line ends, the five predefined entities and
/// character references decoded.
fn element_text(r: &mut Reader<&[u8]>, local: &str) -> Step<String> {
    let mut out = String::new();
    loop {
        match r.read_event()? {
            Event::Text(t) => out.push_str(&t.xml10_content()),
            Event::GeneralRef(g) => match g.resolve_char_ref().map_err(|_| StepAside)? {
                Some(c) => out.push(c),
                None => out.push(match g.as_ref() {
                    "amp" => '&',
                    "lt" => '<',
                    "gt" => '>',
                    "quot" => '"',
                    "apos" => '\'',
                    _ => return Err(StepAside),
                }),
            },
            Event::End(e) if e.local_name().as_ref() == local => return Ok(out),
            Event::Eof | Event::CData(_) | Event::Start(_) => return Err(StepAside),
            _ => {}
        }
    }
}

/// `date_styles`, remembered for the last style sheet this thread read: a batch's forms come
/// from one template, so their style sheets are mostly the same bytes (compared whole).
fn date_styles_memo(xml: &[u8]) -> Step<Vec<bool>> {
    /// A larger style sheet is parsed each time rather than kept.
    const KEEP: usize = 1 << 20;
    thread_local! {
        static LAST: std::cell::RefCell<(Vec<u8>, Vec<bool>)> =
            const { std::cell::RefCell::new((Vec::new(), Vec::new())) };
    }
    LAST.with_borrow_mut(|(bytes, styles)| {
        if !bytes.is_empty() && bytes.as_slice() == xml {
            return Ok(styles.clone());
        }
        let parsed = date_styles(xml)?;
        if xml.len() <= KEEP {
            bytes.clear();
            bytes.extend_from_slice(xml);
            styles.clone_from(&parsed);
        }
        Ok(parsed)
    })
}

/// Which cell styles (`s`, an index into `cellXfs`) format a number as a date or time.
fn date_styles(xml: &[u8]) -> Step<Vec<bool>> {
    let mut r = reader(xml);
    let mut custom: HashMap<String, String> = HashMap::new();
    let mut out = Vec::new();
    let (mut in_formats, mut in_xfs) = (false, false);
    loop {
        match r.read_event()? {
            Event::Start(e) if e.local_name().as_ref() == "numFmts" => in_formats = true,
            Event::End(e) if e.local_name().as_ref() == "numFmts" => in_formats = false,
            Event::Start(e) if in_formats && e.local_name().as_ref() == "numFmt" => {
                if let (Some(id), Some(code)) = (attr(&e, "numFmtId")?, attr(&e, "formatCode")?) {
                    custom.insert(id, code);
                }
            }
            Event::Start(e) if e.local_name().as_ref() == "cellXfs" => in_xfs = true,
            Event::End(e) if e.local_name().as_ref() == "cellXfs" => in_xfs = false,
            Event::Start(e) if in_xfs && e.local_name().as_ref() == "xf" => {
                out.push(match attr(&e, "numFmtId")? {
                    None => false,
                    Some(id) => match custom.get(&id) {
                        Some(code) => is_date_format(code),
                        None => is_builtin_date(&id),
                    },
                });
            }
            Event::Eof => return Ok(out),
            _ => {}
        }
    }
}

/// Excel's built-in number formats that show a date, a time or a duration (ECMA-376 18.8.30,
/// with the East Asian ones).
fn is_builtin_date(id: &str) -> bool {
    matches!(
        id,
        "14" | "15"
            | "16"
            | "17"
            | "18"
            | "19"
            | "20"
            | "21"
            | "22"
            | "45"
            | "46"
            | "47"
            | "27"
            | "28"
            | "29"
            | "30"
            | "31"
            | "32"
            | "33"
            | "34"
            | "35"
            | "36"
            | "50"
            | "51"
            | "52"
            | "53"
            | "54"
            | "55"
            | "56"
            | "57"
            | "58"
    )
}

/// Whether a custom format code shows a date or time: a d, m, y, h or s outside quotes,
/// brackets and escapes in its first section, an AM/PM marker, or an elapsed `[h]`
/// (the rule calamine takes from openpyxl).
fn is_date_format(format: &str) -> bool {
    let (mut escaped, mut quoted, mut ap, mut hms) = (false, false, false, false);
    let mut brackets = 0u8;
    let mut prev = ' ';
    for s in format.chars() {
        match (s, escaped, quoted, ap, brackets) {
            (_, true, ..) => escaped = false,
            ('_' | '\\' | '*', ..) => escaped = true,
            ('"', _, true, _, _) => quoted = false,
            (_, _, true, _, _) => (),
            ('"', ..) => quoted = true,
            (';', ..) => return false,
            ('[', ..) => brackets += 1,
            (']', .., 1) if hms => return true,
            (']', ..) => brackets = brackets.saturating_sub(1),
            ('a' | 'A', _, _, false, 0) => ap = true,
            ('p' | 'm' | '/' | 'P' | 'M', _, _, true, 0) => return true,
            ('d' | 'm' | 'h' | 'y' | 's' | 'D' | 'M' | 'H' | 'Y' | 'S', _, _, false, 0) => {
                return true
            }
            _ => {
                if !(hms && s.eq_ignore_ascii_case(&prev)) {
                    hms = prev == '[' && matches!(s, 'm' | 'h' | 's' | 'M' | 'H' | 'S');
                }
            }
        }
        prev = s;
    }
    false
}

/// A cell reference ("B12") as a 0-based (row, column); only the plain upper-case form.
fn position(reference: &str) -> Step<(u32, u32)> {
    let b = reference.as_bytes();
    let letters = b.iter().take_while(|c| c.is_ascii_uppercase()).count();
    let digits = &b[letters..];
    if letters == 0 || letters > 3 || digits.is_empty() || digits.len() > 7 {
        return Err(StepAside);
    }
    let col = b[..letters]
        .iter()
        .fold(0u32, |acc, c| acc * 26 + u32::from(c - b'A') + 1);
    let row = row_number(digits)?;
    Ok((row, col - 1))
}

/// A 1-based row number as 0-based.
fn row_number(digits: &[u8]) -> Step<u32> {
    if digits.is_empty() || digits.len() > 7 || !digits.iter().all(u8::is_ascii_digit) {
        return Err(StepAside);
    }
    let n = digits
        .iter()
        .fold(0u32, |acc, d| acc * 10 + u32::from(d - b'0'));
    n.checked_sub(1).ok_or(StepAside)
}

/// A cell's place: by its reference (`r`), which sets the column counted on, else the next
/// column of the row.
fn cell_position(reference: Option<&str>, row: u32, col: &mut u32) -> Step<(u32, u32)> {
    Ok(match reference {
        Some(reference) => {
            let p = position(reference)?;
            *col = p.1;
            p
        }
        None => (row, *col),
    })
}

/// Whether a cell's style (`s`, an index into `dates`) formats it as a date.
fn is_date(style: Option<&str>, dates: &[bool]) -> Step<bool> {
    Ok(match style {
        Some(s) => {
            let id: usize = s.parse().map_err(|_| StepAside)?;
            dates.get(id).copied().unwrap_or(false)
        }
        None => false,
    })
}

/// Places every cell of a sheet's `sheetData`.
fn sheet_cells(
    xml: &[u8],
    strings: &[String],
    dates: &[bool],
    placer: &mut Placer<'_>,
) -> Step<Result<(), LoadError>> {
    let mut r = reader(xml);
    let (mut row, mut col) = (0u32, 0u32);
    let mut in_data = false;
    loop {
        match r.read_event()? {
            Event::Start(e) if e.local_name().as_ref() == "sheetData" => in_data = true,
            Event::End(e) if e.local_name().as_ref() == "sheetData" => return Ok(Ok(())),
            Event::Start(e) if in_data && e.local_name().as_ref() == "row" => {
                // Read in place (digits only: anything else, an entity too, steps aside).
                for a in e.attributes() {
                    let a = a?;
                    if a.key.local_name().as_ref() == "r" {
                        row = row_number(a.value.as_bytes())?;
                    }
                }
            }
            Event::End(e) if in_data && e.local_name().as_ref() == "row" => {
                row += 1;
                col = 0;
            }
            Event::Start(e) if in_data && e.local_name().as_ref() == "c" => {
                let (mut r_attr, mut s_attr, mut t_attr) = (None, None, None);
                for a in e.attributes().with_checks(false) {
                    let a = a?;
                    let slot = match a.key.as_ref() {
                        "r" => &mut r_attr,
                        "s" => &mut s_attr,
                        "t" => &mut t_attr,
                        _ => continue,
                    };
                    // References, style indexes and types are plain ASCII: an entity in one
                    // is left to calamine.
                    if a.value.contains('&') {
                        return Err(StepAside);
                    }
                    *slot = Some(a.value);
                }
                let pos = cell_position(r_attr.as_deref(), row, &mut col)?;
                let date = is_date(s_attr.as_deref(), dates)?;
                let cell = cell_value(&mut r, t_attr.as_deref(), strings, date)?;
                col += 1;
                if let Err(refused) = placer.place(pos.0, pos.1, cell) {
                    return Ok(Err(refused));
                }
            }
            Event::Eof => return Err(StepAside),
            _ => {}
        }
    }
}

/// A cell's content up to `</c>`: the last of its `<v>`, `<is>` or `<f>` children wins, as in
/// calamine (a formula alone is an empty cell).
fn cell_value(
    r: &mut Reader<&[u8]>,
    kind: Option<&str>,
    strings: &[String],
    date: bool,
) -> Step<Cell> {
    let mut value = Cell::Empty;
    loop {
        match r.read_event()? {
            Event::Start(e) => {
                value = match (e.local_name().as_ref(), kind) {
                    ("is", _) => {
                        let t = rich_text(r, "is")?;
                        Cell::Text(t)
                    }
                    ("v", Some("inlineStr")) | ("f", _) => {
                        skip(r, e.local_name().as_ref())?;
                        Cell::Empty
                    }
                    ("v", Some("str")) => {
                        let t = element_text(r, "v")?;
                        if t.contains("_x") || t.contains("_X") {
                            return Err(StepAside);
                        }
                        Cell::Text(t)
                    }
                    ("v", None | Some("n") | Some("s") | Some("b")) => {
                        let raw = raw_text(r)?;
                        typed(&raw, kind, strings, date)?
                    }
                    _ => return Err(StepAside),
                };
            }
            Event::End(e) if e.local_name().as_ref() == "c" => return Ok(value),
            Event::Eof => return Err(StepAside),
            _ => {}
        }
    }
}

/// The raw text of a `<v>` that holds a number, an index or a boolean (inline up to 24
/// bytes: no heap for a figure).
fn raw_text(r: &mut Reader<&[u8]>) -> Step<crate::diag::CellText> {
    let mut out = crate::diag::CellText::default();
    loop {
        match r.read_event()? {
            Event::Text(t) => out.push_str(&t),
            Event::End(e) if e.local_name().as_ref() == "v" => return Ok(out),
            _ => return Err(StepAside),
        }
    }
}

fn typed(raw: &str, kind: Option<&str>, strings: &[String], date: bool) -> Step<Cell> {
    match kind {
        Some("s") => {
            if raw.is_empty() {
                return Ok(Cell::Empty);
            }
            if !raw.bytes().all(|b| b.is_ascii_digit()) {
                return Err(StepAside);
            }
            let i: usize = raw.parse().map_err(|_| StepAside)?;
            strings
                .get(i)
                .map(|s| Cell::Text(s.clone()))
                .ok_or(StepAside)
        }
        Some("b") => match raw.trim() {
            "" => Ok(Cell::Empty),
            "0" | "false" => Ok(Cell::Bool(false)),
            "1" | "true" => Ok(Cell::Bool(true)),
            _ => Err(StepAside),
        },
        _ => {
            if raw.is_empty() {
                return Ok(Cell::Empty);
            }
            let plain = raw
                .bytes()
                .all(|b| b.is_ascii_digit() || matches!(b, b'.' | b'-' | b'+' | b'e' | b'E'));
            let n: f64 = match raw.parse() {
                Ok(n) if plain => n,
                _ => return Err(StepAside),
            };
            Ok(if date { Cell::Date(n) } else { Cell::Number(n) })
        }
    }
}

/// Skips to the end of the element just opened.
fn skip(r: &mut Reader<&[u8]>, local: &str) -> Step<()> {
    let mut depth = 0usize;
    loop {
        match r.read_event()? {
            Event::Start(_) => depth += 1,
            Event::End(e) if depth == 0 && e.local_name().as_ref() == local => return Ok(()),
            Event::End(_) => depth = depth.saturating_sub(1),
            Event::Eof => return Err(StepAside),
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn references_are_placed_zero_based() {
        assert!(matches!(position("A1"), Ok((0, 0))));
        assert!(matches!(position("H45"), Ok((44, 7))));
        assert!(matches!(position("AA10"), Ok((9, 26))));
        assert!(position("a1").is_err());
        assert!(position("A0").is_err());
        assert!(position("12").is_err());
    }

    #[test]
    fn date_formats_are_told_from_number_formats() {
        assert!(is_date_format("dd/mm/yyyy"));
        assert!(is_date_format("[h]:mm:ss"));
        assert!(!is_date_format("#,##0"));
        assert!(!is_date_format("#,##0.00\\ \"đ\""));
        assert!(!is_date_format("0%;[Red]-0%"));
        assert!(is_builtin_date("14"));
        assert!(!is_builtin_date("3"));
    }

    #[test]
    fn a_remembered_style_sheet_is_the_same_bytes_or_parsed_again() {
        let sheet = |fmt: &str| {
            format!(
                r#"<styleSheet><numFmts><numFmt numFmtId="164" formatCode="{fmt}"/></numFmts><cellXfs><xf numFmtId="0"/><xf numFmtId="164"/><xf numFmtId="14"/></cellXfs></styleSheet>"#
            )
        };
        let (dates, numbers) = (sheet("dd/mm/yyyy"), sheet("#,##0"));
        let read = |x: &String| date_styles_memo(x.as_bytes()).ok();
        for _ in 0..2 {
            assert_eq!(read(&dates), Some(vec![false, true, true]));
            assert_eq!(read(&dates), Some(vec![false, true, true]));
            assert_eq!(read(&numbers), Some(vec![false, false, true]));
        }
        assert_eq!(date_styles_memo(b"<styleSheet><cellXfs><xf").ok(), None);
        assert_eq!(read(&numbers), Some(vec![false, false, true]));
    }
}

//! The fast path of `sheet_cells` and `shared_strings`: the plain markup Excel, LibreOffice and
//! rust_xlsxwriter write for a sheet's cells and a workbook's strings, read as bytes.
//!
//! quick-xml reads the part up to `<sheetData>` (or `<sst>`); from there this scanner accepts a
//! strict subset of XML only: elements without a prefix, attributes in quotes with nothing
//! around `=`, whitespace alone between elements, no comment, CDATA, processing instruction or
//! entity (but the five predefined ones in a formula, which is skipped). Anything else steps
//! aside to the quick-xml reader from the part's start, which reads the same cells wherever
//! both accept the markup (the tests below compare them on generated and damaged sheets). A
//! batch's forms spend most of their reading time here: ten thousand sheets of a few hundred
//! cells each.

use memchr::memmem;
use quick_xml::events::Event;

use super::{
    cell_position, is_date, reader, row_number, typed, Cell, LoadError, Placer, Step, StepAside,
};

/// A position in the markup being scanned (`s` ends with the closing tag looked for). Text is
/// cut from `s` next to ASCII bytes only, so it needs no check again.
struct Cursor<'a> {
    s: &'a str,
    p: usize,
}

fn is_space(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\r' | b'\n')
}

fn is_name_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b':' | b'_' | b'.' | b'-')
}

impl<'a> Cursor<'a> {
    fn new(s: &'a str) -> Cursor<'a> {
        Cursor { s, p: 0 }
    }

    fn bytes(&self) -> &'a [u8] {
        self.s.as_bytes()
    }

    fn spaces(&mut self) {
        while self.p < self.bytes().len() && is_space(self.bytes()[self.p]) {
            self.p += 1;
        }
    }

    /// Eats `s` if the markup goes on with it.
    fn eat(&mut self, s: &[u8]) -> bool {
        if self.bytes()[self.p..].starts_with(s) {
            self.p += s.len();
            true
        } else {
            false
        }
    }

    /// Eats `<name` if a tag of that name (not a longer one) opens here.
    fn open(&mut self, name: &[u8]) -> bool {
        let rest = &self.bytes()[self.p..];
        let n = name.len();
        if rest.len() > n + 1
            && rest[0] == b'<'
            && &rest[1..=n] == name
            && (is_space(rest[n + 1]) || matches!(rest[n + 1], b'>' | b'/'))
        {
            self.p += n + 1;
            true
        } else {
            false
        }
    }

    /// The attributes of the tag being read, each given to `each` (key, value), up to its end;
    /// whether the tag closes itself (`/>`).
    fn attributes(&mut self, mut each: impl FnMut(&'a [u8], &'a str) -> Step<()>) -> Step<bool> {
        loop {
            let before = self.p;
            self.spaces();
            match self.bytes().get(self.p) {
                Some(b'>') => {
                    self.p += 1;
                    return Ok(false);
                }
                Some(b'/') if self.bytes().get(self.p + 1) == Some(&b'>') => {
                    self.p += 2;
                    return Ok(true);
                }
                // An attribute follows whitespace.
                Some(_) if self.p > before => {}
                _ => return Err(StepAside),
            }
            let start = self.p;
            while self.p < self.bytes().len() && is_name_byte(self.bytes()[self.p]) {
                self.p += 1;
            }
            let key = &self.bytes()[start..self.p];
            if key.is_empty() || !self.eat(b"=") {
                return Err(StepAside);
            }
            let quote = *self.bytes().get(self.p).ok_or(StepAside)?;
            if quote != b'"' && quote != b'\'' {
                return Err(StepAside);
            }
            self.p += 1;
            let len = memchr::memchr(quote, &self.bytes()[self.p..]).ok_or(StepAside)?;
            let value = self.s.get(self.p..self.p + len).ok_or(StepAside)?;
            if memchr::memchr2(b'<', b'&', value.as_bytes()).is_some() {
                return Err(StepAside);
            }
            self.p += len + 1;
            each(key, value)?;
        }
    }

    /// The text up to the next tag, which must be `close`.
    fn text_until(&mut self, close: &[u8]) -> Step<&'a str> {
        let len = memchr::memchr(b'<', &self.bytes()[self.p..]).ok_or(StepAside)?;
        let text = self.s.get(self.p..self.p + len).ok_or(StepAside)?;
        self.p += len;
        if !self.eat(close) {
            return Err(StepAside);
        }
        Ok(text)
    }
}

/// The markup after the start tag of the element `name` (exactly that name, with content) up to
/// its closing tag included, when quick-xml reads the part up to there and that stretch is
/// UTF-8; else the part is left to the quick-xml reader. So is a part where an element the slow
/// path would read (`watched`, by local name) comes before.
fn content<'a>(xml: &'a [u8], name: &str, watched: &[&str]) -> Step<Cursor<'a>> {
    let mut r = reader(xml);
    r.config_mut().expand_empty_elements = false;
    let start = loop {
        match r.read_event()? {
            Event::Start(e) if e.name().as_ref() == name => break r.buffer_position() as usize,
            Event::Start(e) | Event::Empty(e)
                if e.local_name().as_ref() == name
                    || watched.contains(&e.local_name().as_ref()) =>
            {
                return Err(StepAside)
            }
            Event::End(e) if e.local_name().as_ref() == name => return Err(StepAside),
            Event::Eof => return Err(StepAside),
            _ => {}
        }
    };
    let rest = xml.get(start..).ok_or(StepAside)?;
    let close = format!("</{name}>");
    let end = memmem::find(rest, close.as_bytes()).ok_or(StepAside)? + close.len();
    let s = std::str::from_utf8(&rest[..end]).map_err(|_| StepAside)?;
    Ok(Cursor::new(s))
}

/// `sheet_cells`, scanned: `Err(StepAside)` where the quick-xml reader must read the sheet
/// (from a new `Placer`: this one may hold some of its cells).
pub(super) fn sheet_cells(
    xml: &[u8],
    strings: &[String],
    dates: &[bool],
    placer: &mut Placer<'_>,
) -> Step<Result<(), LoadError>> {
    // The slow path looks for the first `<row>` and `<c>` inside any `sheetData`; a prefixed
    // one is left to it.
    let mut c = content(xml, "sheetData", &[])?;
    let (mut row, mut col) = (0u32, 0u32);
    // Rows are closed in order (quick-xml refuses an end tag nothing opened).
    let mut in_row = false;
    loop {
        c.spaces();
        if !in_row && c.eat(b"</sheetData>") {
            return Ok(Ok(()));
        } else if in_row && c.eat(b"</row>") {
            in_row = false;
            row += 1;
            col = 0;
        } else if !in_row && c.open(b"row") {
            let (number, closed) = row_tag(&mut c)?;
            if let Some(digits) = number {
                row = row_number(digits.as_bytes())?;
            }
            if closed {
                row += 1;
                col = 0;
            } else {
                in_row = true;
            }
        } else if c.open(b"c") {
            let CellTag {
                r: r_attr,
                s: s_attr,
                t: kind,
                closed,
            } = cell_tag(&mut c)?;
            let pos = cell_position(r_attr, row, &mut col)?;
            let date = is_date(s_attr, dates)?;
            let cell = if closed {
                Cell::Empty
            } else {
                cell_value(&mut c, kind, strings, date)?
            };
            col += 1;
            if let Err(refused) = placer.place(pos.0, pos.1, cell) {
                return Ok(Err(refused));
            }
        } else {
            return Err(StepAside);
        }
    }
}

/// A `<row>` tag's attributes, up to its end: its number (`r`), if given, and whether it
/// closes itself.
fn row_tag<'a>(c: &mut Cursor<'a>) -> Step<(Option<&'a str>, bool)> {
    // quick-xml refuses a tag with the same attribute twice.
    let mut keys: [&[u8]; 16] = [b""; 16];
    let (mut n, mut number) = (0, None);
    let closed = c.attributes(|key, value| {
        if n == keys.len() || keys[..n].contains(&key) {
            return Err(StepAside);
        }
        keys[n] = key;
        n += 1;
        match key {
            b"r" => number = Some(value),
            // The slow path reads `r` by its local name.
            _ if key.ends_with(b":r") => return Err(StepAside),
            _ => {}
        }
        Ok(())
    })?;
    Ok((number, closed))
}

/// A `<c>` tag's attributes: its reference, style and type, and whether it closes itself.
struct CellTag<'a> {
    r: Option<&'a str>,
    s: Option<&'a str>,
    t: Option<&'a str>,
    closed: bool,
}

/// A `<c>` tag's attributes, up to its end.
fn cell_tag<'a>(c: &mut Cursor<'a>) -> Step<CellTag<'a>> {
    let (mut r_attr, mut s_attr, mut t_attr) = (None, None, None);
    let closed = c.attributes(|key, value| {
        match key {
            b"r" => r_attr = Some(value),
            b"s" => s_attr = Some(value),
            b"t" => t_attr = Some(value),
            _ => {}
        }
        Ok(())
    })?;
    Ok(CellTag {
        r: r_attr,
        s: s_attr,
        t: t_attr,
        closed,
    })
}

/// A cell's children up to `</c>`: the last `<v>` or `<f>` wins, as in `super::cell_value`.
fn cell_value(
    c: &mut Cursor<'_>,
    kind: Option<&str>,
    strings: &[String],
    date: bool,
) -> Step<Cell> {
    let mut value = Cell::Empty;
    loop {
        c.spaces();
        if c.eat(b"</c>") {
            return Ok(value);
        } else if c.eat(b"<v>") {
            let raw = c.text_until(b"</v>")?;
            value = v_value(raw, kind, strings, date)?;
        } else if c.eat(b"<v/>") {
            value = v_value("", kind, strings, date)?;
        } else if c.open(b"f") {
            if !c.attributes(|_, _| Ok(()))? {
                formula(c.text_until(b"</f>")?)?;
            }
            value = Cell::Empty;
        } else {
            return Err(StepAside);
        }
    }
}

/// A formula is skipped; an entity in it other than the five predefined ones steps aside.
fn formula(raw: &str) -> Step<()> {
    let mut rest = raw.as_bytes();
    while let Some(i) = memchr::memchr(b'&', rest) {
        rest = &rest[i..];
        let known = [&b"&amp;"[..], b"&lt;", b"&gt;", b"&quot;", b"&apos;"]
            .into_iter()
            .find(|e| rest.starts_with(e))
            .ok_or(StepAside)?;
        rest = &rest[known.len()..];
    }
    Ok(())
}

/// What a `<v>` holding `raw` makes of a cell of type `kind`, as in `super::cell_value`.
fn v_value(raw: &str, kind: Option<&str>, strings: &[String], date: bool) -> Step<Cell> {
    match kind {
        Some("inlineStr") => Ok(Cell::Empty),
        // A formula's text: line ends and entities are the slow path's to decode.
        Some("str") => {
            if memchr::memchr2(b'&', b'\r', raw.as_bytes()).is_some()
                || raw.contains("_x")
                || raw.contains("_X")
            {
                return Err(StepAside);
            }
            Ok(Cell::Text(raw.to_string()))
        }
        None | Some("n") | Some("s") | Some("b") => {
            if raw.contains('&') {
                return Err(StepAside);
            }
            typed(raw, kind, strings, date)
        }
        _ => Err(StepAside),
    }
}

/// `shared_strings`, scanned: items of plain `<t>` runs (rich text and phonetic runs step aside).
pub(super) fn shared_strings(xml: &[u8]) -> Step<Vec<String>> {
    let mut c = content(xml, "sst", &["si"])?;
    let mut out = Vec::new();
    loop {
        c.spaces();
        if c.eat(b"</sst>") {
            return Ok(out);
        } else if c.eat(b"<si/>") {
            out.push(String::new());
            continue;
        } else if !c.eat(b"<si>") {
            return Err(StepAside);
        }
        let mut item = String::new();
        loop {
            c.spaces();
            if c.eat(b"</si>") {
                break;
            }
            let preserve = if c.eat(b"<t>") {
                false
            } else if c.eat(br#"<t xml:space="preserve">"#) {
                true
            } else if c.eat(b"<t/>") {
                continue;
            } else {
                return Err(StepAside);
            };
            let raw = c.text_until(b"</t>")?;
            // Entities and line ends are decoded by the slow path.
            if memchr::memchr2(b'&', b'\r', raw.as_bytes()).is_some() {
                return Err(StepAside);
            }
            let t = if preserve {
                raw
            } else {
                raw.trim_matches([' ', '\t', '\r', '\n'])
            };
            if t.contains("_x") || t.contains("_X") {
                return Err(StepAside);
            }
            if item.is_empty() {
                // One run (the usual item): its text, allocated once.
                item = t.to_string();
            } else {
                item.push_str(t);
            }
        }
        out.push(item);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Limits;
    use proptest::prelude::*;

    type Read = (Vec<Vec<Cell>>, Result<(), LoadError>);

    fn strings() -> Vec<String> {
        vec!["Mã số".into(), "Chỉ tiêu".into()]
    }

    /// The cells each path places, or `None` where it steps aside.
    fn both(xml: &str, limits: &Limits) -> (Option<Read>, Option<Read>) {
        let (strings, dates) = (strings(), vec![false, true]);
        let read = |fast: bool| {
            let mut placer = Placer::new("Biểu", limits);
            let placed = if fast {
                sheet_cells(xml.as_bytes(), &strings, &dates, &mut placer)
            } else {
                super::super::sheet_cells(xml.as_bytes(), &strings, &dates, &mut placer)
            };
            placed.ok().map(|p| (placer.finish().0.rows, p))
        };
        (read(true), read(false))
    }

    fn worksheet(data: &str) -> String {
        format!(
            r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:x14ac="x"><dimension ref="A1:C3"/><sheetData>{data}</sheetData><pageMargins left="0.7"/></worksheet>"#
        )
    }

    #[test]
    fn the_markup_excel_libreoffice_and_rust_xlsxwriter_write_is_scanned() {
        let xml = worksheet(concat!(
            r#"<row r="1" spans="1:3" x14ac:dyDescent="0.25"><c r="A1" s="1" t="s"><v>1</v></c>"#,
            r#"<c r="B1" s="1"/><c r="C1" t="str"><f>A1&amp;"x"</f><v>Chỉ tiêu x</v></c></row>"#,
            "\n  <row r=\"3\">\n    <c r=\"A3\"><v>12.5</v></c>\n    <c s=\"1\"><v>-3</v></c>",
            r#"<c t="b"><v>1</v></c><c r="E3" s="0"><f t="shared" ref="E3:E4" si="0"/><v>7</v></c>"#,
            r#"<c r="F3" t="n"><v/></c><c r="G3" t="inlineStr"><v>bỏ</v></c></row><row r="5"/>"#,
            r#"<row><c t='s'><v>0</v></c></row>"#,
        ));
        let (fast, slow) = both(&xml, &Limits::default());
        let (rows, placed) = fast.expect("scanned");
        assert_eq!(placed, Ok(()));
        assert_eq!(
            rows[0],
            vec![
                Cell::Text("Chỉ tiêu".into()),
                Cell::Empty,
                Cell::Text("Chỉ tiêu x".into())
            ]
        );
        assert_eq!(rows[1], vec![]);
        // B3 has no reference: the column after A3's. Style 1 is a date format.
        assert_eq!(
            rows[2],
            vec![
                Cell::Number(12.5),
                Cell::Date(-3.0),
                Cell::Bool(true),
                Cell::Empty,
                Cell::Number(7.0)
            ]
        );
        // `<row r="5"/>` ends row 5: the row after it is the sheet's sixth.
        assert_eq!(rows.len(), 6);
        assert_eq!(rows[5], vec![Cell::Text("Mã số".into())]);
        assert_eq!(slow.expect("read"), (rows, placed));
    }

    #[test]
    fn markup_outside_the_subset_is_left_to_the_quick_xml_reader() {
        for data in [
            r#"<row r="1"><c r="A1"><v>1</v><!-- chú thích --></c></row>"#,
            r#"<row r="1"><c r="A1" t="inlineStr"><is><t>chữ</t></is></c></row>"#,
            r#"<x:row r="1"><x:c r="A1"><x:v>1</x:v></x:c></x:row>"#,
            r#"<row r="1"><c r = "A1"><v>1</v></c></row>"#,
            r#"<row r="1" r="2"><c><v>1</v></c></row>"#,
            r#"<row r="1"><c r="A1"><v>1&#48;</v></c></row>"#,
            r#"<row r="1"><c r="A1" t="str"><v>a&amp;b</v></c></row>"#,
            r#"<row r="1"><c r="A1"><f>A2&nbsp;</f></c></row>"#,
            r#"<row r="1"><c r="A1"><v>1</v></c>x</row>"#,
            r#"<row r="1"><c r="A1" t="e"><v>#N/A</v></c></row>"#,
            r#"<row r="1"><c r="A1"><v><![CDATA[1]]></v></c></row>"#,
        ] {
            let (fast, slow) = both(&worksheet(data), &Limits::default());
            assert!(fast.is_none(), "{data}");
            // The quick-xml reader takes some (and steps aside to calamine on the others).
            let _ = slow;
        }
        let (fast, slow) = both(
            &worksheet(r#"<row r="1"><c r="A1" t="str"><v>a&amp;b</v></c></row>"#),
            &Limits::default(),
        );
        assert!(fast.is_none());
        assert_eq!(slow.expect("read").0[0], vec![Cell::Text("a&b".into())]);
    }

    #[test]
    fn a_sheet_over_the_cell_limit_is_refused_at_the_same_cell() {
        let limits = Limits {
            cells: 2,
            ..Limits::default()
        };
        let xml = worksheet(
            r#"<row r="1"><c r="A1"><v>1</v></c><c r="B1"><v>2</v></c><c r="C1"><v>3</v></c></row>"#,
        );
        let (fast, slow) = both(&xml, &limits);
        let fast = fast.expect("scanned");
        assert!(matches!(fast.1, Err(LoadError::Refused(_))));
        assert_eq!(Some(fast), slow);
    }

    #[test]
    fn shared_strings_are_scanned_as_the_quick_xml_reader_reads_them() {
        let xml = concat!(
            r#"<?xml version="1.0"?><sst xmlns="m" count="4" uniqueCount="4">"#,
            "<si><t>Xã Thử</t></si>\n<si><t xml:space=\"preserve\"> Kế hoạch </t></si>",
            "<si><t> có cách </t></si><si/><si><t/></si><si><t>a</t><t>b</t></si></sst>"
        );
        let fast = shared_strings(xml.as_bytes()).ok().expect("scanned");
        assert_eq!(fast, ["Xã Thử", " Kế hoạch ", "có cách", "", "", "ab"]);
        assert_eq!(
            super::super::shared_strings(xml.as_bytes()).ok(),
            Some(fast)
        );
        for odd in [
            r#"<sst><si><r><t>đậm</t></r></si></sst>"#,
            r#"<sst><si><t>a &amp; b</t></si></sst>"#,
            r#"<sst><si><t>_x000D_</t></si></sst>"#,
            r#"<sst><si><t>chữ</t><rPh sb="0" eb="1"><t>x</t></rPh></si></sst>"#,
            r#"<x:sst><x:si><x:t>a</x:t></x:si></x:sst>"#,
            r#"<sst><si><t>a</t></si>"#,
        ] {
            assert!(shared_strings(odd.as_bytes()).is_err(), "{odd}");
        }
    }

    const ROWS: [&str; 4] = [
        "<row>",
        "<row r=\"2\">",
        "<row r=\"1\" spans=\"1:3\">",
        "<row r=\"4\"/>",
    ];

    /// Cells in the subset and outside it.
    const CELLS: [&str; 16] = [
        "<c><v>1</v></c>",
        "<c r=\"B2\"><v>2.5e3</v></c>",
        "<c r=\"A1\" s=\"1\"><v>0</v></c>",
        "<c t=\"s\"><v>1</v></c>",
        "<c r=\"C3\" t=\"b\"><v>1</v></c>",
        "<c t=\"str\"><f>B1</f><v>Chữ</v></c>",
        "<c t=\"inlineStr\"><v>x</v></c>",
        "<c r=\"D4\"/>",
        "<c/>",
        "<c s=\"9\"><f t=\"shared\" si=\"0\"/></c>",
        "<c><v>1</v><f>\"a\"&amp;\"b\"</f></c>",
        "<c t=\"e\"><f>1/0</f></c>",
        " ",
        "\n",
        "<c r=\"A1\" t=\"e\"><v>#N/A</v></c>",
        "<c r=\"a1\"><v>1</v></c>",
    ];

    /// Fragments put anywhere: damage, or markup the scanner leaves to quick-xml.
    const ODD: [&str; 22] = [
        "<row r=\"x\">",
        "<row r=\"3\" r=\"3\">",
        "<row x:r=\"5\">",
        "<c>",
        "<c t=\"e\">",
        "</c>",
        "</row>",
        "<row>",
        "<v>1</v>",
        "<v> 7</v>",
        "<v/>",
        "<v>&amp;</v>",
        "<is><t>i</t></is>",
        "x",
        "<!-- c -->",
        "<foo/>",
        "<",
        ">",
        "\"",
        "</sheetData>",
        "&lt;",
        "<c><v>1e999</v></c>",
    ];

    /// Rows of cells, with a few odd fragments put in: the markup, as pieces.
    fn sheet() -> impl Strategy<Value = Vec<&'static str>> {
        let row = (0..ROWS.len(), prop::collection::vec(0..CELLS.len(), 0..6));
        (
            prop::collection::vec(row, 0..6),
            prop::collection::vec((any::<prop::sample::Index>(), 0..ODD.len()), 0..3),
        )
            .prop_map(|(rows, odd)| {
                let mut pieces = Vec::new();
                for (open, cells) in rows {
                    pieces.push(ROWS[open]);
                    pieces.extend(cells.into_iter().map(|c| CELLS[c]));
                    if !ROWS[open].ends_with("/>") {
                        pieces.push("</row>");
                    }
                }
                for (at, o) in odd {
                    let at = at.index(pieces.len() + 1);
                    pieces.insert(at, ODD[o]);
                }
                pieces
            })
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2000))]

        /// Where the scanner reads a sheet, the quick-xml reader reads the same cells.
        #[test]
        fn the_scanner_reads_what_the_quick_xml_reader_reads(pieces in sheet()) {
            let xml = worksheet(&pieces.concat());
            let (fast, slow) = both(&xml, &Limits::default());
            if let Some(fast) = fast {
                prop_assert_eq!(Some(fast), slow, "{}", xml);
            }
        }

        /// The same for a well-formed sheet of the subset: the scanner always reads it.
        #[test]
        fn the_scanner_reads_every_sheet_of_the_subset(
            rows in prop::collection::vec(
                (prop::option::of(1u32..30), prop::collection::vec((0u8..6, 0u32..4, -1e6f64..1e6), 0..6)),
                0..8,
            )
        ) {
            let mut data = String::new();
            for (r, cells) in &rows {
                match r {
                    Some(r) => data.push_str(&format!("<row r=\"{r}\">")),
                    None => data.push_str("<row>"),
                }
                for (kind, col, n) in cells {
                    let at = format!(" r=\"{}{}\"", (b'A' + *col as u8) as char, r.unwrap_or(1));
                    let at = if r.is_some() { at.as_str() } else { "" };
                    data.push_str(&match kind {
                        0 => format!("<c{at}><v>{n}</v></c>"),
                        1 => format!("<c{at} t=\"s\"><v>{}</v></c>", *col % 2),
                        2 => format!("<c{at} s=\"1\"><f>A1*2</f><v>{n}</v></c>"),
                        3 => format!("<c{at} s=\"0\"/>"),
                        4 => format!("<c{at} t=\"str\"><f>B1</f><v>chữ {n}</v></c>"),
                        _ => format!("<c{at} t=\"b\"><v>{}</v></c>", *col % 2),
                    });
                }
                data.push_str("</row>\n");
            }
            let xml = worksheet(&data);
            let (fast, slow) = both(&xml, &Limits::default());
            prop_assert!(fast.is_some(), "{}", xml);
            prop_assert_eq!(fast, slow, "{}", xml);
        }
    }
}

#[cfg(test)]
mod samples {
    use super::*;
    use crate::model::Limits;
    use std::io::Read;

    /// The forms of the bundled samples (rust_xlsxwriter's markup, as the batch's forms) are
    /// all read by the scanner: the speed of a batch depends on it.
    #[test]
    fn the_sample_forms_are_scanned_without_stepping_aside() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("samples/inbox");
        let mut stack = vec![root];
        let (mut sheets, mut aside) = (0, Vec::new());
        while let Some(dir) = stack.pop() {
            for e in std::fs::read_dir(&dir).unwrap().flatten() {
                let path = e.path();
                if path.is_dir() {
                    stack.push(path);
                    continue;
                }
                if path.extension().is_none_or(|x| x != "xlsx") {
                    continue;
                }
                let Ok(mut zip) = zip::ZipArchive::new(std::fs::File::open(&path).unwrap()) else {
                    continue;
                };
                let mut part = |name: &str| {
                    let mut out = Vec::new();
                    zip.by_name(name).ok()?.read_to_end(&mut out).ok()?;
                    Some(out)
                };
                let strings = match part("xl/sharedStrings.xml") {
                    Some(x) => match shared_strings(&x) {
                        Ok(s) => s,
                        Err(StepAside) => {
                            aside.push(format!("{} sharedStrings", path.display()));
                            continue;
                        }
                    },
                    None => Vec::new(),
                };
                for i in 1.. {
                    let Some(xml) = part(&format!("xl/worksheets/sheet{i}.xml")) else {
                        break;
                    };
                    sheets += 1;
                    let limits = Limits::default();
                    let mut placer = Placer::new("", &limits);
                    if sheet_cells(&xml, &strings, &[], &mut placer).is_err() {
                        aside.push(format!("{} sheet{i}", path.display()));
                    }
                }
            }
        }
        assert!(sheets > 200, "{sheets}");
        assert_eq!(aside, Vec::<String>::new());
    }
}

//! Limits checked before anything is allocated for a file, so that no input can exhaust memory
//! or abort the batch: the file's size; for zip-based workbooks (xlsx, xlsm, ods) each part's
//! inflated size, XML entity declarations and references, the shared-string count a header
//! declares; for ods the extent of the cells that hold values; for xls the DIMENSIONS each
//! sheet declares. A file over a limit gets a blocking diagnostic and the batch goes on.
//!
//! The defaults are generous for real forms; `limits.toml` in the config root overrides them.

use std::io::{Cursor, Read};

pub use crate::model::{Limits, EXCEL_COLUMNS, EXCEL_ROWS};

/// Why a file is not read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    /// Over a size or count limit: what, in Vietnamese.
    TooLarge(String),
    /// An XML entity declaration or a reference to an undeclared entity.
    Entity(String),
}

/// The zip entries of a workbook that matter, for messages: `xl/worksheets/sheet1.xml` is
/// shown as is, which names the sheet's part.
fn part_label(name: &str) -> String {
    format!("phần \"{name}\" của tệp")
}

/// Checks a zip-based workbook (xlsx, xlsm, ods) before it is opened: each XML part is
/// inflated through a counter (never more than `part_bytes`), scanned for entity declarations
/// (`<!DOCTYPE`, `<!ENTITY`) and references to entities XML does not define, the shared
/// strings' declared `uniqueCount`, and for ods the extent of the value cells.
pub fn check_zip(bytes: &[u8], limits: &Limits) -> Result<(), Refusal> {
    inflate_checked(bytes, limits, &|_| false).map(|_| ())
}

/// Parts of a zip-based workbook inflated by `inflate_checked`: name → bytes.
pub type Parts = std::collections::HashMap<String, Vec<u8>>;

/// `check_zip`, keeping the inflated bytes of the parts `keep` names, so that a reader parses
/// them without inflating them again. `None` when the file is not a zip, or one of the kept
/// parts could not be inflated whole (a broken stream: the reader that opens it says so).
pub fn inflate_checked(
    bytes: &[u8],
    limits: &Limits,
    keep: &dyn Fn(&str) -> bool,
) -> Result<Option<Parts>, Refusal> {
    let Ok(mut zip) = zip::ZipArchive::new(Cursor::new(bytes)) else {
        // Not a zip: the reader says what it is.
        return Ok(None);
    };
    let mut parts = Parts::new();
    let mut whole = true;
    let mut total: u64 = 0;
    // For the parts scanned but not kept (made on the first).
    let mut buf = Vec::new();
    for i in 0..zip.len() {
        let Ok(mut part) = zip.by_index(i) else {
            continue;
        };
        let name = part.name().map(|n| n.to_string()).unwrap_or_default();
        if !is_read_part(&name) {
            continue;
        }
        if part.size() > limits.part_bytes {
            return Err(Refusal::TooLarge(format!(
                "{} khi giải nén lớn {} MB, quá giới hạn {} MB",
                part_label(&name),
                part.size() >> 20,
                limits.part_bytes >> 20
            )));
        }
        let mut scan = Scan::new(&name);
        // The raw bytes of a template part, to tell whether this thread inflated and scanned
        // the same part (same name, compressed bytes, method, CRC, size, limits) before.
        let template = (keep(&name) && TemplatePart::is_one(&name))
            .then(|| TemplatePart::key(bytes, &name, &part))
            .flatten();
        if let Some(data) = template.as_ref().and_then(|t| t.remembered(limits)) {
            total += data.len() as u64;
            over_limits(&name, data.len() as u64, total, limits)?;
            parts.insert(name, data);
            continue;
        }
        if keep(&name) {
            let size = part.size();
            let (data, read) = read_kept(&mut part, size, &name, &mut scan, &mut total, limits)?;
            whole &= read;
            if let Some(t) = template.filter(|_| read) {
                t.remember(limits, &data);
            }
            parts.insert(name, data);
            continue;
        }
        scan_streamed(&mut part, &name, &mut scan, &mut buf, &mut total, limits)?;
    }
    Ok(whole.then_some(parts))
}

/// The parts a reader opens: the workbook, its relations, styles, shared strings and sheets
/// (xlsx), the content (ods). Themes and document properties are never read.
fn is_read_part(name: &str) -> bool {
    name.ends_with(".rels")
        || name == "content.xml"
        || (name.starts_with("xl/") && name.ends_with(".xml") && !name.starts_with("xl/theme/"))
}

/// A kept part read whole into its own buffer (its declared `size` reserved, within the
/// limit), at most one byte past what the limits allow, then scanned; and whether it was read
/// whole (a broken stream: the reader reports the file as damaged). `total` counts the bytes
/// inflated.
fn read_kept(
    part: &mut impl Read,
    size: u64,
    name: &str,
    scan: &mut Scan,
    total: &mut u64,
    limits: &Limits,
) -> Result<(Vec<u8>, bool), Refusal> {
    let room = limits
        .part_bytes
        .min(limits.workbook_bytes.saturating_sub(*total));
    let mut data = Vec::with_capacity(size.min(room) as usize);
    // A broken stream: the reader reports the file as damaged.
    let read = part.take(room + 1).read_to_end(&mut data).is_ok();
    *total += data.len() as u64;
    over_limits(name, data.len() as u64, *total, limits)?;
    scan.feed(&data, limits)?;
    Ok((data, read))
}

/// A part scanned but not kept, inflated through `buf` (made on the first); `total` counts
/// the bytes inflated.
fn scan_streamed(
    part: &mut impl Read,
    name: &str,
    scan: &mut Scan,
    buf: &mut Vec<u8>,
    total: &mut u64,
    limits: &Limits,
) -> Result<(), Refusal> {
    let mut read: u64 = 0;
    buf.resize(64 << 10, 0);
    loop {
        let n = match part.read(buf) {
            Ok(0) | Err(_) => break,
            Ok(n) => n,
        };
        read += n as u64;
        *total += n as u64;
        over_limits(name, read, *total, limits)?;
        scan.feed(&buf[..n], limits)?;
    }
    Ok(())
}

/// A part every form made from one template carries alike (the package's and the workbook's
/// relations, the workbook, the style sheet), by what identifies its content: its compressed
/// bytes as stored, their method, and the size and CRC the archive declares (a CRC that does
/// not match fails when inflated, so it is part of the key). Each thread remembers the last
/// part of each name it inflated whole and scanned without finding anything, under the
/// limits it was scanned with, so that the same part of the next file is neither inflated nor
/// scanned again (a batch is ten thousand forms of one template: four of the seven parts read
/// from each).
struct TemplatePart<'a> {
    name: &'a str,
    declared: Declared,
    compressed: &'a [u8],
}

/// What the archive declares of a part's stored bytes.
#[derive(Clone, Copy, PartialEq)]
struct Declared {
    method: zip::CompressionMethod,
    crc32: u32,
    size: u64,
}

/// A remembered template part: its key, owned, the limits, and the inflated bytes.
struct Remembered {
    name: String,
    declared: Declared,
    compressed: Vec<u8>,
    limits: Limits,
    data: Vec<u8>,
}

thread_local! {
    static TEMPLATE_PARTS: std::cell::RefCell<Vec<Remembered>> =
        const { std::cell::RefCell::new(Vec::new()) };
}

impl<'a> TemplatePart<'a> {
    /// Template parts are small: a larger part is inflated every time.
    const MAX_COMPRESSED: u64 = 64 << 10;
    const MAX_SIZE: u64 = 256 << 10;

    fn is_one(name: &str) -> bool {
        name.ends_with(".rels") || name == "xl/workbook.xml" || name == "xl/styles.xml"
    }

    /// The key of a part of the archive `bytes`; `None` for a large part or one whose bytes
    /// are not where the archive says.
    fn key<R: Read + std::io::Seek>(
        bytes: &'a [u8],
        name: &'a str,
        part: &zip::read::ZipFile<'_, R>,
    ) -> Option<TemplatePart<'a>> {
        if part.compressed_size() > Self::MAX_COMPRESSED || part.size() > Self::MAX_SIZE {
            return None;
        }
        let start = usize::try_from(part.data_start()?).ok()?;
        let end = start.checked_add(usize::try_from(part.compressed_size()).ok()?)?;
        Some(TemplatePart {
            name,
            declared: Declared {
                method: part.compression(),
                crc32: part.crc32(),
                size: part.size(),
            },
            compressed: bytes.get(start..end)?,
        })
    }

    /// The inflated bytes of the same part, when this thread remembers it under these limits.
    fn remembered(&self, limits: &Limits) -> Option<Vec<u8>> {
        TEMPLATE_PARTS.with_borrow(|known| {
            known
                .iter()
                .find(|r| {
                    r.name == self.name
                        && r.declared == self.declared
                        && r.limits == *limits
                        && r.compressed == self.compressed
                })
                .map(|r| r.data.clone())
        })
    }

    /// Remembers the part, inflated whole and scanned clean, in place of the last of its name.
    fn remember(&self, limits: &Limits, data: &[u8]) {
        TEMPLATE_PARTS.with_borrow_mut(|known| {
            known.retain(|r| r.name != self.name);
            known.push(Remembered {
                name: self.name.to_string(),
                declared: self.declared,
                compressed: self.compressed.to_vec(),
                limits: limits.clone(),
                data: data.to_vec(),
            });
        });
    }
}

/// Refuses a part inflated past the part limit, or a workbook past the workbook limit.
fn over_limits(name: &str, read: u64, total: u64, limits: &Limits) -> Result<(), Refusal> {
    if read > limits.part_bytes {
        return Err(Refusal::TooLarge(format!(
            "{} khi giải nén vượt {} MB (tệp nén bất thường)",
            part_label(name),
            limits.part_bytes >> 20
        )));
    }
    if total > limits.workbook_bytes {
        return Err(Refusal::TooLarge(format!(
            "tệp khi giải nén vượt {} MB (tệp nén bất thường)",
            limits.workbook_bytes >> 20
        )));
    }
    Ok(())
}

/// A streaming scan of one XML part.
struct Scan {
    name: String,
    /// The last bytes of the previous chunk, so a token across two chunks is still seen.
    tail: Vec<u8>,
    shared: bool,
    ods: bool,
    /// The start of the part, until the shared strings' count is read.
    head: Vec<u8>,
    ods_cells: OdsExtent,
}

const TAIL: usize = 64;

impl Scan {
    fn new(name: &str) -> Scan {
        Scan {
            name: name.to_string(),
            tail: Vec::new(),
            shared: name.ends_with("sharedStrings.xml"),
            ods: name == "content.xml",
            head: Vec::new(),
            ods_cells: OdsExtent::default(),
        }
    }

    fn feed(&mut self, chunk: &[u8], limits: &Limits) -> Result<(), Refusal> {
        // The chunk itself where nothing is carried over (a part's first chunk: most parts
        // are one), else the carried bytes and the chunk.
        let window: std::borrow::Cow<'_, [u8]> = if self.tail.is_empty() {
            std::borrow::Cow::Borrowed(chunk)
        } else {
            let mut w = std::mem::take(&mut self.tail);
            w.extend_from_slice(chunk);
            std::borrow::Cow::Owned(w)
        };
        // One pass for both declarations.
        let declares = memchr::memmem::find_iter(&window, b"<!").any(|at| {
            let rest = &window[at..];
            rest.starts_with(b"<!DOCTYPE") || rest.starts_with(b"<!ENTITY")
        });
        if declares {
            return Err(Refusal::Entity(format!(
                "{} có khai báo DOCTYPE/ENTITY (tệp Excel thật không có; có thể là \"bom thực thể\")",
                part_label(&self.name)
            )));
        }
        if let Some(entity) = unknown_entity(&window) {
            return Err(Refusal::Entity(format!(
                "{} có tham chiếu thực thể \"&{entity};\" mà XML không định nghĩa, nên ô đó không đọc được",
                part_label(&self.name)
            )));
        }
        if self.shared && self.head.len() < 4096 {
            self.head.extend_from_slice(&chunk[..chunk.len().min(4096)]);
            if let Some(n) = attribute_number(&self.head, b"uniqueCount=\"") {
                if n > limits.shared_strings {
                    return Err(Refusal::TooLarge(format!(
                        "tệp khai báo {n} chuỗi dùng chung (sharedStrings), quá giới hạn {}",
                        limits.shared_strings
                    )));
                }
                self.shared = false;
            }
        }
        if self.ods {
            self.ods_cells.feed(chunk, limits)?;
        }
        let keep = window.len().min(TAIL);
        self.tail = window[window.len() - keep..].to_vec();
        Ok(())
    }
}

fn contains(hay: &[u8], needle: &[u8]) -> bool {
    memchr::memmem::find(hay, needle).is_some()
}

/// The first `&name;` whose name is not one of XML's five entities nor a character reference.
fn unknown_entity(window: &[u8]) -> Option<String> {
    let mut i = 0;
    while let Some(at) = memchr::memchr(b'&', &window[i..]) {
        let start = i + at + 1;
        let rest = &window[start..];
        let end = rest
            .iter()
            .take(40)
            .position(|&b| b == b';' || b.is_ascii_whitespace() || b == b'<' || b == b'&');
        if let Some(e) = end {
            let name = &rest[..e];
            let known = matches!(name, b"amp" | b"lt" | b"gt" | b"quot" | b"apos")
                || name.first() == Some(&b'#');
            if rest.get(e) == Some(&b';') && !known && !name.is_empty() {
                return Some(String::from_utf8_lossy(name).into_owned());
            }
        }
        i = start;
    }
    None
}

/// The number after `key` (`uniqueCount="`), if the closing quote is there and what it
/// closes is a number: a damaged attribute (`"1x"`, `""`) declares nothing, and the reader
/// judges the part by what it holds.
fn attribute_number(head: &[u8], key: &[u8]) -> Option<u64> {
    let at = head.windows(key.len()).position(|w| w == key)? + key.len();
    let rest = &head[at..];
    let end = rest.iter().position(|&b| b == b'"')?;
    let digits = rest[..end].trim_ascii();
    if digits.is_empty() || !digits.iter().all(u8::is_ascii_digit) {
        return None;
    }
    // All digits, but too many for u64: over any limit.
    Some(
        std::str::from_utf8(digits)
            .ok()?
            .parse::<u64>()
            .unwrap_or(u64::MAX),
    )
}

/// The extent of an ods sheet's value cells, counting repeated rows and columns as a reader
/// expands them: empty repeated cells (LibreOffice writes a million of them) cost nothing.
#[derive(Debug)]
struct OdsExtent {
    value_cells: u64,
    /// The enclosing row's `table:number-rows-repeated`.
    row_repeat: u64,
    /// An unfinished tag at the end of the last chunk.
    pending: Vec<u8>,
}

impl Default for OdsExtent {
    fn default() -> OdsExtent {
        OdsExtent {
            value_cells: 0,
            row_repeat: 1,
            pending: Vec::new(),
        }
    }
}

impl OdsExtent {
    /// Counts `office:value-type` cells with their `table:number-columns-repeated` times the
    /// enclosing row's `table:number-rows-repeated`, as a reader expanding repeats would.
    fn feed(&mut self, chunk: &[u8], limits: &Limits) -> Result<(), Refusal> {
        let mut data = std::mem::take(&mut self.pending);
        data.extend_from_slice(chunk);
        let mut i = 0;
        while let Some(at) = data[i..].iter().position(|&b| b == b'<') {
            let start = i + at;
            let Some(len) = data[start..].iter().position(|&b| b == b'>') else {
                // A tag longer than any real one is not kept whole.
                if data.len() - start < 64 << 10 {
                    self.pending = data[start..].to_vec();
                }
                return Ok(());
            };
            let tag = &data[start..start + len];
            if tag.starts_with(b"<table:table-row") {
                self.row_repeat =
                    attribute_number(tag, b"table:number-rows-repeated=\"").unwrap_or(1);
            } else if tag.starts_with(b"<table:table-cell") && contains(tag, b"office:value-type") {
                let cols = attribute_number(tag, b"table:number-columns-repeated=\"").unwrap_or(1);
                self.value_cells = self
                    .value_cells
                    .saturating_add(cols.saturating_mul(self.row_repeat));
                if self.value_cells > limits.cells {
                    return Err(Refusal::TooLarge(format!(
                        "trang tính có hơn {} ô có giá trị (kể cả ô lặp lại), quá giới hạn",
                        limits.cells
                    )));
                }
            }
            i = start + len;
        }
        Ok(())
    }
}

/// Checks an xls (BIFF8 in an OLE2 compound file) before it is opened: each sheet's
/// DIMENSIONS record, which readers use to reserve the sheet's cells.
pub fn check_xls(bytes: &[u8], limits: &Limits) -> Result<(), Refusal> {
    let Ok(mut cfb) = cfb::CompoundFile::open(Cursor::new(bytes)) else {
        return Ok(());
    };
    let stream = ["/Workbook", "/Book"]
        .iter()
        .find(|p| cfb.is_stream(p))
        .map(|p| p.to_string());
    let Some(stream) = stream else {
        return Ok(());
    };
    let mut data = Vec::new();
    let Ok(s) = cfb.open_stream(&stream) else {
        return Ok(());
    };
    if s.take(limits.file_bytes.saturating_mul(2))
        .read_to_end(&mut data)
        .is_err()
    {
        return Ok(());
    }
    let mut at = 0usize;
    while at + 4 <= data.len() {
        let kind = u16::from_le_bytes([data[at], data[at + 1]]);
        let len = u16::from_le_bytes([data[at + 2], data[at + 3]]) as usize;
        let body = &data[at + 4..(at + 4 + len).min(data.len())];
        // DIMENSIONS (BIFF8): first row, last row + 1 (u32), first column, last column + 1 (u16).
        if kind == 0x0200 && body.len() >= 12 {
            let first_row = u32::from_le_bytes([body[0], body[1], body[2], body[3]]) as u64;
            let last_row = u32::from_le_bytes([body[4], body[5], body[6], body[7]]) as u64;
            let first_col = u16::from_le_bytes([body[8], body[9]]) as u64;
            let last_col = u16::from_le_bytes([body[10], body[11]]) as u64;
            let rows = last_row.saturating_sub(first_row);
            let cols = last_col.saturating_sub(first_col);
            if last_row > 65_536 || last_col > 256 || rows.saturating_mul(cols) > limits.cells {
                return Err(Refusal::TooLarge(format!(
                    "trang tính khai báo vùng {rows} dòng × {cols} cột (bản ghi DIMENSIONS), vượt giới hạn của tệp .xls hoặc của baocao ({} ô)",
                    limits.cells
                )));
            }
        }
        at += 4 + len;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn zip_of(parts: &[(&str, &[u8])]) -> Vec<u8> {
        let mut out = zip::ZipWriter::new(Cursor::new(Vec::new()));
        for (name, data) in parts {
            out.start_file(*name, zip::write::SimpleFileOptions::default())
                .unwrap();
            std::io::Write::write_all(&mut out, data).unwrap();
        }
        out.finish().unwrap().into_inner()
    }

    #[test]
    fn a_template_part_is_taken_from_memory_only_when_its_stored_bytes_are_the_same() {
        // On a thread of its own: the memory is the thread's.
        std::thread::spawn(|| {
            let keep = |name: &str| name == "xl/styles.xml" || name.starts_with("xl/worksheets/");
            let limits = Limits::default();
            let styles_a: &[u8] = b"<styleSheet><numFmts count=\"0\"/></styleSheet>";
            let styles_b: &[u8] = b"<styleSheet><numFmts count=\"1\"/></styleSheet>";
            let sheet: &[u8] = b"<worksheet><sheetData/></worksheet>";
            let a = zip_of(&[
                ("xl/styles.xml", styles_a),
                ("xl/worksheets/sheet1.xml", sheet),
            ]);
            let b = zip_of(&[
                ("xl/styles.xml", styles_b),
                ("xl/worksheets/sheet1.xml", sheet),
            ]);
            let parts = inflate_checked(&a, &limits, &keep).unwrap().unwrap();
            assert_eq!(parts["xl/styles.xml"], styles_a);
            // The style sheet is remembered (a sheet never is); the next file with the same
            // stored bytes gets what is remembered (marked here to tell it from inflating).
            TEMPLATE_PARTS.with_borrow_mut(|known| {
                assert_eq!(known.len(), 1);
                assert_eq!(known[0].name, "xl/styles.xml");
                known[0].data = b"remembered".to_vec();
            });
            let parts = inflate_checked(&a, &limits, &keep).unwrap().unwrap();
            assert_eq!(parts["xl/styles.xml"], b"remembered");
            assert_eq!(parts["xl/worksheets/sheet1.xml"], sheet);
            // Other bytes under the same name are inflated, and remembered instead.
            let parts = inflate_checked(&b, &limits, &keep).unwrap().unwrap();
            assert_eq!(parts["xl/styles.xml"], styles_b);
            TEMPLATE_PARTS.with_borrow(|known| {
                assert_eq!(known.len(), 1);
                assert_eq!(known[0].data, styles_b);
            });
            // The same stored bytes under a CRC they do not match: inflated, and found broken.
            let crc = zip::ZipArchive::new(Cursor::new(&b))
                .unwrap()
                .by_name("xl/styles.xml")
                .unwrap()
                .crc32()
                .to_le_bytes();
            let mut broken = b.clone();
            let mut at = 0;
            while let Some(i) = broken[at..].windows(4).position(|w| w == crc) {
                broken[at + i] ^= 0xFF;
                at += i + 4;
            }
            assert!(at > 0, "the CRC is in the archive");
            assert_eq!(inflate_checked(&broken, &limits, &keep).unwrap(), None);
            // Tighter limits still refuse what is remembered.
            let tight = Limits {
                part_bytes: 10,
                ..Limits::default()
            };
            assert!(matches!(
                inflate_checked(&b, &tight, &keep),
                Err(Refusal::TooLarge(_))
            ));
        })
        .join()
        .unwrap();
    }

    #[test]
    fn unknown_entities_are_found_and_xml_s_own_are_not() {
        assert_eq!(unknown_entity(b"<v>&lol9;</v>"), Some("lol9".to_string()));
        assert_eq!(unknown_entity(b"<t>A &amp; B &lt;3 &#x41; &#65;</t>"), None);
        assert_eq!(unknown_entity(b"<t>R&D</t>"), None);
        assert_eq!(unknown_entity(b"<t>a & b</t>"), None);
    }

    #[test]
    fn a_declared_count_is_read_from_the_header() {
        let head = br#"<sst xmlns="x" count="12" uniqueCount="9">"#;
        assert_eq!(attribute_number(head, b"uniqueCount=\""), Some(9));
        let huge = br#"<sst uniqueCount="99999999999999999999999">"#;
        assert_eq!(attribute_number(huge, b"uniqueCount=\""), Some(u64::MAX));
        // A damaged count declares nothing (it was u64::MAX, refusing the file as too large).
        for damaged in [
            &br#"<sst uniqueCount="1x">"#[..],
            br#"<sst uniqueCount="">"#,
            br#"<sst uniqueCount="-3">"#,
        ] {
            assert_eq!(attribute_number(damaged, b"uniqueCount=\""), None);
        }
    }

    #[test]
    fn ods_repeats_count_only_cells_with_values() {
        let limits = Limits {
            cells: 1_000,
            ..Limits::default()
        };
        let mut e = OdsExtent::default();
        // LibreOffice's trailing empty rows: a million rows of 1,024 empty cells cost nothing.
        let empty = br#"<table:table-row table:number-rows-repeated="1048576"><table:table-cell table:number-columns-repeated="1024"/></table:table-row>"#;
        assert!(e.feed(empty, &limits).is_ok());
        assert_eq!(e.value_cells, 0);
        // 2 rows × 600 repeated value cells = 1,200 > 1,000.
        let full = br#"<table:table-row table:number-rows-repeated="2"><table:table-cell office:value-type="float" office:value="1" table:number-columns-repeated="600"/></table:table-row>"#;
        assert!(matches!(e.feed(full, &limits), Err(Refusal::TooLarge(_))));
    }
}

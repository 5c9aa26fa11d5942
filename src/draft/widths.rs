//! Column widths of an xlsx sheet (`<cols><col min max width>` of its worksheet part), which
//! calamine does not expose. Anything unexpected gives no widths: the draft then derives them
//! from the header texts.

use std::collections::BTreeMap;

use quick_xml::events::{BytesStart, Event};
use quick_xml::Reader;

use crate::model::Limits;

/// An attribute by local name (`r:id` is `id`).
fn attr(e: &BytesStart<'_>, local: &str) -> Option<String> {
    e.attributes()
        .flatten()
        .find(|a| a.key.local_name().as_ref() == local)
        .and_then(|a| {
            quick_xml::escape::unescape(&a.value)
                .ok()
                .map(|v| v.into_owned())
        })
}

/// Calls `f` on each start or empty element of `xml` until it returns false.
fn elements(xml: &[u8], mut f: impl FnMut(&BytesStart<'_>) -> bool) {
    let mut r = Reader::from_reader(xml);
    loop {
        match r.read_event() {
            Ok(Event::Start(e) | Event::Empty(e)) if !f(&e) => return,
            Ok(Event::Eof) | Err(_) => return,
            _ => {}
        }
    }
}

/// The widths (in characters, as Excel shows them) of the columns of sheet `sheet` that set
/// one, by column index from 0.
pub(super) fn column_widths(bytes: &[u8], sheet: &str, limits: &Limits) -> BTreeMap<u32, f64> {
    let mut out = BTreeMap::new();
    let keep = |n: &str| {
        n == "xl/workbook.xml"
            || n == "xl/_rels/workbook.xml.rels"
            || n.starts_with("xl/worksheets/")
    };
    let Ok(Some(parts)) = crate::ingest::limits::inflate_checked(bytes, limits, &keep) else {
        return out;
    };
    let mut id = None;
    if let Some(xml) = parts.get("xl/workbook.xml") {
        elements(xml, |e| {
            if e.local_name().as_ref() == "sheet" && attr(e, "name").as_deref() == Some(sheet) {
                id = attr(e, "id");
            }
            id.is_none()
        });
    }
    let mut target = None;
    if let (Some(id), Some(xml)) = (&id, parts.get("xl/_rels/workbook.xml.rels")) {
        elements(xml, |e| {
            if attr(e, "Id").as_ref() == Some(id) {
                target = attr(e, "Target");
            }
            target.is_none()
        });
    }
    let Some(target) = target else { return out };
    let path = match target.strip_prefix('/') {
        Some(abs) => abs.to_string(),
        None => format!("xl/{target}"),
    };
    let Some(xml) = parts.get(&path) else {
        return out;
    };
    elements(xml, |e| match e.local_name().as_ref() {
        "sheetData" => false,
        "col" => {
            let num = |k: &str| attr(e, k).and_then(|v| v.parse::<f64>().ok());
            if let (Some(min), Some(max), Some(w)) = (num("min"), num("max"), num("width")) {
                // The file's width holds Excel's padding of about 0.71 character.
                let shown = (w - 0.71).round().clamp(4.0, 100.0);
                for c in (min.max(1.0) as u32)..=(max.min(super::MAX_COLUMNS as f64) as u32) {
                    out.insert(c - 1, shown);
                }
            }
            true
        }
        _ => true,
    });
    out
}

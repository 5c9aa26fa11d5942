//! The benchmark's floor: the least any reader of the inbox must do. Reads every `.xlsx` under
//! the given folder, inflates each worksheet and the shared strings, and scans their XML events
//! (quick-xml), on all cores. `bench/run.sh` prints baocao's time as a multiple of this.
//!
//!     cargo run --release --example floor -- INBOX

use std::io::{BufReader, Cursor, Read};
use std::path::{Path, PathBuf};
use std::time::Instant;

use rayon::prelude::*;

fn files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for e in entries.flatten() {
        let p = e.path();
        if p.is_dir() {
            files(&p, out);
        } else if p.extension().is_some_and(|x| x == "xlsx") {
            out.push(p);
        }
    }
}

/// XML events in the sheets and shared strings of one workbook.
fn scan(path: &Path) -> u64 {
    let Ok(bytes) = std::fs::read(path) else {
        return 0;
    };
    let Ok(mut zip) = zip::ZipArchive::new(Cursor::new(bytes)) else {
        return 0;
    };
    let mut events = 0;
    for i in 0..zip.len() {
        let Ok(part) = zip.by_index(i) else { continue };
        let name = part.name().map(|n| n.to_string()).unwrap_or_default();
        if !(name.starts_with("xl/worksheets/") || name == "xl/sharedStrings.xml") {
            continue;
        }
        let mut xml = quick_xml::Reader::from_reader(BufReader::new(part.take(u64::MAX)));
        let mut buf = Vec::new();
        loop {
            match xml.read_event_into(&mut buf) {
                Ok(quick_xml::events::Event::Eof) | Err(_) => break,
                Ok(_) => events += 1,
            }
            buf.clear();
        }
    }
    events
}

fn main() {
    let dir = std::env::args().nth(1).expect("usage: floor INBOX");
    let start = Instant::now();
    let mut list = Vec::new();
    files(Path::new(&dir), &mut list);
    let events: u64 = list.par_iter().map(|p| scan(p)).sum();
    println!(
        "{{\"files\": {}, \"events\": {events}, \"seconds\": {:.3}}}",
        list.len(),
        start.elapsed().as_secs_f64()
    );
}

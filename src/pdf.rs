//! PDF copies for signing (`run --pdf`, `baocao pdf DIR`): `bao-cao.docx` and `tong-hop.xlsx`
//! converted by LibreOffice in headless mode, when `soffice` is on the PATH.
//!
//! Each conversion runs with a throwaway LibreOffice profile in a temporary folder inside the
//! output folder and a time limit; a PDF is moved into place only when it is whole (it starts
//! with `%PDF` and ends with `%%EOF`), so a failed or hung conversion leaves no half-written
//! file, only a diagnostic. The PDFs are renderings of listed outputs and are not themselves
//! listed in the manifest. LibreOffice runs in the vi-VN locale, so that figures print as
//! 1.234,5 whatever the machine's; the PDF of tong-hop.xlsx holds the consolidated form only.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::diag::{Code, Diagnostic, Location};
use crate::output::names;

/// The files converted, in order.
pub const SOURCES: [&str; 2] = [names::NARRATIVE_DOCX, names::WORKBOOK];

/// What to install when LibreOffice is missing.
pub const INSTALL_HINT: &str =
    "cài LibreOffice: apt-get install libreoffice-writer-nogui libreoffice-calc-nogui";

/// `soffice` (or `libreoffice`) on the PATH.
pub fn soffice() -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .flat_map(|d| [d.join("soffice"), d.join("libreoffice")])
        .find(|p| p.is_file())
}

fn is_whole_pdf(bytes: &[u8]) -> bool {
    let tail = &bytes[bytes.len().saturating_sub(1024)..];
    bytes.starts_with(b"%PDF") && tail.windows(5).any(|w| w == b"%%EOF")
}

/// Converts `SOURCES` in `dir` to PDFs beside them; returns the PDFs written and a diagnostic
/// for each file that could not be converted within `limit`.
pub fn convert(soffice: &Path, dir: &Path, limit: Duration) -> (Vec<String>, Vec<Diagnostic>) {
    let mut written = Vec::new();
    let mut diags = Vec::new();
    for name in SOURCES {
        let source = dir.join(name);
        let pdf = Path::new(name).with_extension("pdf");
        let pdf = pdf.to_string_lossy().to_string();
        let fail = |why: String| {
            Diagnostic::new(
                Code::PdfFailed,
                Location::file(name),
                format!("Không chuyển được {name} sang {pdf}: {why}.\nMở tệp bằng LibreOffice hoặc Word để kiểm tra rồi chạy lại `baocao pdf`."),
            )
        };
        if !source.is_file() {
            diags.push(fail("không có tệp".into()));
            continue;
        }
        let converted = if name == names::WORKBOOK {
            // The signed copy is the consolidated form with its annexes (the table of units,
            // the lists): the by-unit, compliance, tasks and diagnostics sheets (working
            // sheets, too wide to print) are left out.
            std::fs::read(&source)
                .map_err(|e| format!("không đọc được: {}", crate::fault::reason(&e)))
                .and_then(|b| form_sheets_only(&b))
                .and_then(|b| {
                    let copy = tempfile::Builder::new()
                        .prefix(".baocao-pdf-")
                        .tempdir_in(dir)
                        .map_err(|e| {
                            format!("không tạo được thư mục tạm: {}", crate::fault::reason(&e))
                        })?;
                    let path = copy.path().join(name);
                    std::fs::write(&path, b).map_err(|e| {
                        format!("không ghi được bản tạm: {}", crate::fault::reason(&e))
                    })?;
                    convert_one(soffice, dir, &path, limit)
                })
        } else {
            convert_one(soffice, dir, &source, limit)
        };
        match converted {
            Ok(bytes) => match crate::output::write_atomic(&dir.join(&pdf), &bytes) {
                Ok(()) => written.push(pdf),
                Err(e) => diags.push(fail(format!(
                    "không ghi được: {}",
                    crate::fault::reason(&e)
                ))),
            },
            Err(why) => diags.push(fail(why)),
        }
    }
    (written, diags)
}

/// Whether a sheet of tong-hop.xlsx is in its signing PDF: the consolidated form and its
/// annexes are; the working sheets (by unit, compliance, tasks, diagnostics) are not.
pub fn printed(sheet: &str) -> bool {
    use crate::render::workbook::{SHEET_COMPLIANCE, SHEET_DIAGNOSTICS, SHEET_TASKS, SHEET_UNITS};
    !(sheet.starts_with(SHEET_UNITS)
        || [SHEET_COMPLIANCE, SHEET_DIAGNOSTICS, SHEET_TASKS].contains(&sheet))
}

/// A copy of a workbook whose sheets not `printed` are hidden (LibreOffice does not print
/// hidden sheets); every other part is copied as it is.
pub fn form_sheets_only(xlsx: &[u8]) -> Result<Vec<u8>, String> {
    use std::io::{Read, Write};
    let bad = |e: zip::result::ZipError| format!("tệp xlsx hỏng: {e}");
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(xlsx)).map_err(bad)?;
    let mut out = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    for i in 0..archive.len() {
        let name = archive
            .by_index_raw(i)
            .map_err(bad)?
            .name()
            .map_err(bad)?
            .to_string();
        if name != "xl/workbook.xml" {
            let file = archive.by_index_raw(i).map_err(bad)?;
            out.raw_copy_file(file).map_err(bad)?;
            continue;
        }
        let mut xml = String::new();
        archive
            .by_index(i)
            .map_err(bad)?
            .read_to_string(&mut xml)
            .map_err(|e| format!("tệp xlsx hỏng: {e}"))?;
        out.start_file(name, zip::write::SimpleFileOptions::default())
            .map_err(bad)?;
        out.write_all(hide_other_sheets(&xml).as_bytes())
            .map_err(|e| e.to_string())?;
    }
    Ok(out.finish().map_err(bad)?.into_inner())
}

/// `xl/workbook.xml` with `state="hidden"` on every `<sheet>` not `printed`.
fn hide_other_sheets(xml: &str) -> String {
    let mut out = String::with_capacity(xml.len() + 64);
    let mut rest = xml;
    while let Some(at) = rest.find("<sheet ") {
        out.push_str(&rest[..at]);
        let end = rest[at..].find("/>").map_or(rest.len(), |e| at + e);
        let tag = &rest[at..end];
        let name = tag
            .split_once("name=\"")
            .and_then(|(_, r)| r.split_once('"'))
            .map_or("", |(n, _)| n);
        out.push_str(tag);
        let name = quick_xml::escape::unescape(name).unwrap_or(name.into());
        if !printed(&name) && !tag.contains("state=") {
            out.push_str(" state=\"hidden\"");
        }
        rest = &rest[end..];
    }
    out.push_str(rest);
    out
}

fn convert_one(
    soffice: &Path,
    dir: &Path,
    source: &Path,
    limit: Duration,
) -> Result<Vec<u8>, String> {
    let work = tempfile::Builder::new()
        .prefix(".baocao-pdf-")
        .tempdir_in(dir)
        .map_err(|e| format!("không tạo được thư mục tạm: {}", crate::fault::reason(&e)))?;
    let profile = work.path().join("profile");
    let out = work.path().join("out");
    let mut child = Command::new(soffice)
        .arg(format!(
            "-env:UserInstallation=file://{}",
            profile.display()
        ))
        .args([
            "--headless",
            "--norestore",
            "--convert-to",
            "pdf",
            "--outdir",
        ])
        .arg(&out)
        .arg(source)
        // Figures as a Vietnamese reader writes them (1.234,5), whatever the machine's locale:
        // LibreOffice formats numbers by the locale it starts in.
        .env("LC_ALL", "vi_VN.UTF-8")
        .env("LANG", "vi_VN.UTF-8")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .map_err(|e| {
            format!(
                "không chạy được {}: {}",
                soffice.display(),
                crate::fault::reason(&e)
            )
        })?;
    let start = Instant::now();
    loop {
        match child.try_wait() {
            Ok(Some(_)) => break,
            Ok(None) if start.elapsed() >= limit => {
                let _ = child.kill();
                let _ = child.wait();
                return Err(format!(
                    "LibreOffice không xong sau {} giây",
                    limit.as_secs()
                ));
            }
            Ok(None) => std::thread::sleep(Duration::from_millis(100)),
            Err(e) => {
                return Err(format!(
                    "LibreOffice dừng bất thường: {}",
                    crate::fault::reason(&e)
                ))
            }
        }
    }
    let stem = source.file_stem().unwrap_or_default();
    let made = out.join(Path::new(stem).with_extension("pdf"));
    let bytes = std::fs::read(&made).map_err(|_| "LibreOffice không tạo ra tệp PDF".to_string())?;
    if is_whole_pdf(&bytes) {
        Ok(bytes)
    } else {
        Err("tệp PDF không trọn vẹn".into())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_form_and_its_annexes_stay_visible() {
        let xml = r#"<workbook><sheets><sheet name="Biểu số liệu" sheetId="1" r:id="rId1"/><sheet name="Theo đơn vị" sheetId="2" r:id="rId2"/><sheet name="Theo đơn vị (2)" sheetId="3" r:id="rId3"/><sheet name="Dự án &amp; công trình" sheetId="4" r:id="rId4"/><sheet name="Tuân thủ" sheetId="5" r:id="rId5"/><sheet name="Chẩn đoán" sheetId="6" r:id="rId6"/><sheet name="_baocao" sheetId="7" state="hidden" r:id="rId7"/></sheets></workbook>"#;
        assert_eq!(
            hide_other_sheets(xml),
            r#"<workbook><sheets><sheet name="Biểu số liệu" sheetId="1" r:id="rId1"/><sheet name="Theo đơn vị" sheetId="2" r:id="rId2" state="hidden"/><sheet name="Theo đơn vị (2)" sheetId="3" r:id="rId3" state="hidden"/><sheet name="Dự án &amp; công trình" sheetId="4" r:id="rId4"/><sheet name="Tuân thủ" sheetId="5" r:id="rId5" state="hidden"/><sheet name="Chẩn đoán" sheetId="6" r:id="rId6" state="hidden"/><sheet name="_baocao" sheetId="7" state="hidden" r:id="rId7"/></sheets></workbook>"#
        );
    }

    #[test]
    fn only_a_whole_pdf_is_taken() {
        assert!(is_whole_pdf(b"%PDF-1.7\n...\n%%EOF\n"));
        assert!(!is_whole_pdf(b"%PDF-1.7\n... cut"));
        assert!(!is_whole_pdf(b"<html>%%EOF"));
        assert!(!is_whole_pdf(b""));
    }

    #[test]
    fn a_converter_that_hangs_is_stopped_and_leaves_nothing() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("bao-cao.docx"), b"x").unwrap();
        std::fs::write(dir.path().join("tong-hop.xlsx"), b"x").unwrap();
        // A stand-in for soffice that never finishes.
        let fake = dir.path().join("soffice");
        std::fs::write(&fake, "#!/bin/sh\nsleep 30\n").unwrap();
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&fake, std::fs::Permissions::from_mode(0o755)).unwrap();
        let (written, diags) = convert(&fake, dir.path(), Duration::from_millis(300));
        assert!(written.is_empty());
        assert_eq!(diags.len(), 2);
        assert!(
            diags[0].message.contains("không xong sau"),
            "{}",
            diags[0].message
        );
        let left: Vec<String> = std::fs::read_dir(dir.path())
            .unwrap()
            .flatten()
            .map(|e| e.file_name().to_string_lossy().to_string())
            .filter(|n| n.ends_with(".pdf") || n.starts_with(".baocao-pdf-"))
            .collect();
        assert!(left.is_empty(), "{left:?}");
    }
}

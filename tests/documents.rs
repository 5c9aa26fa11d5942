//! End-to-end: what officers send — `bao-cao.docx` in the Nghị định 30 layout, the HTML with
//! the same letterhead, and PDF copies made by LibreOffice.
//!
//! The conversions need `soffice`; `.ci/run` installs it. Outside CI, without it, those tests
//! say so and stop; in CI (`CI` set) its absence is a failure.

mod common;
use common::*;

use std::path::{Path, PathBuf};

/// The sample October run (no history) into `dir`; returns its output folder.
fn october(dir: &Path, extra: &[&str]) -> PathBuf {
    let root = sample_root(dir);
    let out = dir.join("out");
    let inbox = samples().join("inbox/ktxh");
    let mut args = vec![
        "--root",
        s(&root),
        "run",
        "--regime",
        "ktxh",
        "--period",
        "2026-10",
        "--inbox",
        s(&inbox),
        "--out",
        s(&out),
        "--as-of",
        "2026-11-22",
        "--no-history",
        "-q",
    ];
    args.extend_from_slice(extra);
    let (code, stdout, err) = baocao(&args);
    assert_eq!(
        code, 1,
        "the sample month has rejected and missing units: {stdout}{err}"
    );
    out.join("ktxh/2026-10")
}

/// A figure the Vietnamese way, two decimals: 20391.85 → "20.391,85".
fn vn2(v: f64) -> String {
    let s = format!("{v:.2}");
    let (int, frac) = s.split_once('.').unwrap();
    let digits: Vec<char> = int.chars().collect();
    let mut out = String::new();
    for (i, c) in digits.iter().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push('.');
        }
        out.push(*c);
    }
    format!("{out},{frac}")
}

#[test]
fn the_docx_has_the_letterhead_the_period_and_the_figures_and_a_rerun_the_same_bytes() {
    let dir = tempfile::tempdir().unwrap();
    let target = october(dir.path(), &[]);
    let docx = target.join("bao-cao.docx");
    let xml = zip_part(&docx, "word/document.xml");
    // The letterhead is the first table: agency and number left, Quốc hiệu and Tiêu ngữ right.
    let first_table = &xml[xml.find("<w:tbl>").expect("a table")..xml.find("</w:tbl>").unwrap()];
    for text in [
        "ỦY BAN NHÂN DÂN TỈNH AN LẠC",
        "/BC-UBND",
        "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM",
        "Độc lập - Tự do - Hạnh phúc",
        "ngày 22 tháng 11 năm 2026",
    ] {
        assert!(first_table.contains(text), "{text} not in the letterhead");
    }
    assert!(xml.contains("tháng 10 năm 2026"));
    assert!(xml.contains("Nơi nhận:") && xml.contains("CHỦ TỊCH"));
    // Key figures of the province from du-lieu.csv, in the vi-VN format.
    let rows = csv_rows(&target.join("du-lieu.csv"));
    for code in ["NN01", "NS01", "TM01"] {
        let v: f64 = rows
            .iter()
            .find(|r| {
                r["unit_code"] == "99" && r["indicator_code"] == code && r["column"] == "thuc_hien"
            })
            .unwrap()["value"]
            .parse()
            .unwrap();
        assert!(xml.contains(&vn2(v)), "{code} {} not in the docx", vn2(v));
    }
    // Listed in the manifest with its hash.
    let manifest: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(target.join("manifest.json")).unwrap())
            .unwrap();
    let listed = manifest["outputs"]
        .as_array()
        .unwrap()
        .iter()
        .find(|o| o["file"] == "bao-cao.docx")
        .expect("bao-cao.docx in the manifest");
    let bytes = std::fs::read(&docx).unwrap();
    assert_eq!(listed["sha256"], baocao::hash::sha256_hex(&bytes));
    // The HTML carries the same letterhead and prints on A4.
    let html = std::fs::read_to_string(target.join("bao-cao.html")).unwrap();
    assert!(html.contains("<table class=\"thethuc\">"));
    assert!(html.contains("@page { size: A4 portrait; margin: 20mm 15mm 20mm 30mm; }"));
    // Rerun: the same bytes.
    let again = tempfile::tempdir().unwrap();
    let target2 = october(again.path(), &[]);
    assert_eq!(std::fs::read(target2.join("bao-cao.docx")).unwrap(), bytes);
}

/// `soffice` when it is there; `None` (and a word) outside CI when it is not.
fn soffice_or_skip() -> Option<PathBuf> {
    match baocao::pdf::soffice() {
        Some(p) => Some(p),
        None if std::env::var_os("CI").is_some() => {
            panic!("CI must install LibreOffice (.ci/run)")
        }
        None => {
            eprintln!("soffice không có trên máy này: bỏ qua kiểm tra chuyển PDF");
            None
        }
    }
}

fn pages(pdf: &[u8]) -> usize {
    let text = String::from_utf8_lossy(pdf);
    text.matches("/Type /Page").count() + text.matches("/Type/Page").count()
        - text.matches("/Type /Pages").count()
        - text.matches("/Type/Pages").count()
}

#[test]
fn every_xlsx_and_docx_output_converts_to_pdf_and_run_pdf_writes_the_copies() {
    let Some(soffice) = soffice_or_skip() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let target = october(dir.path(), &["--pdf"]);
    for name in ["bao-cao.pdf", "tong-hop.pdf"] {
        let pdf = std::fs::read(target.join(name)).unwrap_or_else(|_| panic!("{name}"));
        assert!(pdf.starts_with(b"%PDF"), "{name}");
        assert!(pages(&pdf) >= 1, "{name} has pages");
    }
    // Every xlsx and docx the engine writes: a run's, a blank form, a task workbook.
    let forms = dir.path().join("forms");
    let (code, _, err) = baocao(&[
        "--root",
        s(&samples()),
        "form",
        "--regime",
        "tthc",
        "--period",
        "2026-Q3",
        "--unit",
        "99009",
        "--out",
        s(&forms),
    ]);
    assert_eq!(code, 0, "{err}");
    let tasks = dir.path().join("tasks");
    let (code, _, err) = baocao(&[
        "--root",
        s(&samples()),
        "tasks",
        "--register",
        s(&samples().join("nhiem-vu/so-theo-doi-2026.xlsx")),
        "--as-of",
        "2026-11-20",
        "--out",
        s(&tasks),
    ]);
    assert_eq!(code, 0, "{err}");
    // The task cycle's workbooks: update forms, the merged register, the review.
    let cycle = dir.path().join("cycle");
    let register = samples().join("nhiem-vu/so-theo-doi-2026.xlsx");
    let government = samples().join("trao-doi/nhiem-vu-chinh-phu.csv");
    let root = samples();
    for args in [
        vec![
            "tasks",
            "forms",
            "--register",
            s(&register),
            "--as-of",
            "2026-11-20",
            "--out",
            s(&cycle),
        ],
        vec![
            "tasks",
            "import",
            "--register",
            s(&register),
            "--out",
            s(&cycle),
            "--as-of",
            "2026-11-20",
            s(&government),
        ],
        vec![
            "tasks",
            "review",
            "--register",
            s(&register),
            "--since",
            "2026-11-06",
            "--as-of",
            "2026-11-20",
            "--out",
            s(&cycle),
        ],
    ] {
        let mut all = vec!["--root", s(&root)];
        all.extend(args);
        let (code, _, err) = baocao(&all);
        assert!(code == 0 || code == 1, "{err}");
    }
    let mut files: Vec<PathBuf> = vec![target.join("tong-hop.xlsx"), target.join("bao-cao.docx")];
    for d in [&forms, &tasks, &cycle] {
        files.extend(
            std::fs::read_dir(d)
                .unwrap()
                .flatten()
                .map(|e| e.path())
                .filter(|p| p.extension().is_some_and(|x| x == "xlsx" || x == "docx")),
        );
    }
    let out = dir.path().join("pdf");
    for f in files {
        let status = std::process::Command::new(&soffice)
            .arg(format!(
                "-env:UserInstallation=file://{}",
                dir.path().join("profile").display()
            ))
            .args(["--headless", "--convert-to", "pdf", "--outdir"])
            .arg(&out)
            .arg(&f)
            .output()
            .unwrap();
        assert!(status.status.success(), "{}", f.display());
        let pdf = out.join(Path::new(f.file_name().unwrap()).with_extension("pdf"));
        let bytes = std::fs::read(&pdf).unwrap_or_else(|_| panic!("{}", pdf.display()));
        assert!(pages(&bytes) >= 1, "{}", pdf.display());
    }
}

#[test]
fn pdf_without_a_folder_or_without_libreoffice_says_what_to_do() {
    let (code, _, err) = baocao(&["--root", s(&samples()), "pdf", "/khong/co/thu-muc"]);
    assert_eq!(code, 2);
    assert!(err.contains("không có thư mục"), "{err}");
    // An empty PATH: no soffice.
    let dir = tempfile::tempdir().unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_baocao"))
        .args(["--root", s(&samples()), "pdf", s(dir.path())])
        .env("PATH", "")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("apt-get install libreoffice-writer-nogui"),
        "{err}"
    );
}

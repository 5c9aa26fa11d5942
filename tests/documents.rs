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
        "ỦY BAN NHÂN DÂN",
        "TỈNH AN LẠC",
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
    // A folder that is not a period's outputs says so.
    let dir = tempfile::tempdir().unwrap();
    let (code, _, err) = baocao(&["pdf", s(dir.path())]);
    assert_eq!(code, 2);
    assert!(
        err.contains("không phải thư mục kết quả của một kỳ"),
        "{err}"
    );
    // An empty PATH: no soffice.
    std::fs::write(dir.path().join("tong-hop.xlsx"), b"x").unwrap();
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

/// The text of a PDF as `pdftotext -layout` lays it out, or `None` (test skipped outside CI)
/// without poppler-utils.
fn pdf_text(pdf: &Path) -> Option<String> {
    if !tool_or_skip(&["pdftotext", "-v"], "pdftotext (poppler-utils)") {
        return None;
    }
    let out = std::process::Command::new("pdftotext")
        .args(["-layout", "-enc", "UTF-8"])
        .arg(pdf)
        .arg("-")
        .output()
        .unwrap();
    assert!(out.status.success(), "pdftotext {}", pdf.display());
    Some(String::from_utf8_lossy(&out.stdout).to_string())
}

/// The cells of the Markdown tables of `md`, row by row (emphasis marks taken off).
fn md_tables(md: &str) -> Vec<Vec<String>> {
    md.lines()
        .filter(|l| l.trim_start().starts_with('|'))
        .filter(|l| !l.chars().all(|c| matches!(c, '|' | '-' | ':' | ' ')))
        .map(|l| {
            l.trim()
                .trim_matches('|')
                .split('|')
                .map(|c| c.replace("**", "").trim().to_string())
                .collect()
        })
        .collect()
}

/// Whether `label` reads in `lines` with no word broken: a label of up to three words on one
/// line, a longer one with its first three words on one line and the others whole on it or
/// the next two (a cell's lines sit around the row's figures).
fn reads(label: &str, lines: &[&str]) -> bool {
    let words: Vec<&str> = label.split_whitespace().collect();
    let head = words[..words.len().min(3)].join(" ");
    lines.iter().enumerate().any(|(i, l)| {
        let squeezed = l.split_whitespace().collect::<Vec<_>>().join(" ");
        squeezed.contains(&head) && {
            let near: Vec<&str> = lines[i..(i + 3).min(lines.len())]
                .iter()
                .flat_map(|l| l.split_whitespace())
                .map(|w| w.trim_end_matches([';', ',', '.']))
                .collect();
            words
                .iter()
                .all(|w| near.contains(&w.trim_end_matches([';', ',', '.'])))
        }
    })
}

/// Every table of the run's bao-cao.md reads in bao-cao.pdf: each row's label (its first cell
/// that is not a number) with no broken word, each figure whole; and each recipient appears.
fn assert_readable(target: &Path, recipients: &[&str]) {
    let Some(text) = pdf_text(&target.join("bao-cao.pdf")) else {
        return;
    };
    let lines: Vec<&str> = text.lines().collect();
    let tokens: std::collections::BTreeSet<&str> = text.split_whitespace().collect();
    let md = std::fs::read_to_string(target.join("bao-cao.md")).unwrap();
    let rows = md_tables(&md);
    assert!(!rows.is_empty(), "no table in {}", target.display());
    for row in &rows {
        let figure = |c: &str| {
            c.chars().any(|x| x.is_ascii_digit())
                && c.chars()
                    .all(|x| x.is_ascii_digit() || matches!(x, '.' | ',' | '-' | '%'))
        };
        if let Some(label) = row.iter().find(|c| !c.is_empty() && !figure(c)) {
            assert!(
                reads(label, &lines),
                "\"{label}\" is broken in {}:\n{text}",
                target.display()
            );
        }
        for c in row.iter().filter(|c| figure(c)) {
            assert!(
                tokens.contains(c.as_str()),
                "figure {c} wrapped in {}:\n{text}",
                target.display()
            );
        }
    }
    for r in recipients {
        assert!(
            reads(r, &lines),
            "recipient \"{r}\" missing in {}:\n{text}",
            target.display()
        );
    }
}

/// tong-hop.pdf holds the consolidated form only, its row labels readable.
fn assert_form_pdf(target: &Path, labels: &[String]) {
    let Some(text) = pdf_text(&target.join("tong-hop.pdf")) else {
        return;
    };
    let lines: Vec<&str> = text.lines().collect();
    for label in labels {
        assert!(
            reads(label, &lines),
            "\"{label}\" not readable in tong-hop.pdf:\n{text}"
        );
    }
    for sheet_only in ["Mức độ", "Ai gửi", "Chẩn đoán số liệu"] {
        assert!(
            !text.contains(sheet_only),
            "tong-hop.pdf prints a working sheet ({sheet_only})"
        );
    }
}

/// Runs `regime` for `period` on `inbox` into `dir/out` with PDF copies; returns the folder.
fn run_with_pdf(root: &Path, regime: &str, period: &str, inbox: &Path, dir: &Path) -> PathBuf {
    let out = dir.join("out");
    let (code, stdout, err) = baocao(&[
        "--root",
        s(root),
        "run",
        "--regime",
        regime,
        "--period",
        period,
        "--inbox",
        s(inbox),
        "--out",
        s(&out),
        "--as-of",
        "2027-02-01",
        "--no-history",
        "--pdf",
        "-q",
    ]);
    assert!(code <= 1, "{stdout}{err}");
    out.join(regime).join(period)
}

#[test]
fn every_sample_regimes_report_and_form_read_with_no_broken_word() {
    if soffice_or_skip().is_none() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let root = sample_root(dir.path());
    let config = baocao::catalog::Config::load(&root).unwrap();
    let cbcc_inbox = dir.path().join("inbox-cbcc");
    let (code, _, err) = baocao(&[
        "--root",
        s(&root),
        "synth",
        "samples",
        "--regime",
        "cbcc",
        "--periods",
        "2026",
        "--out",
        s(&cbcc_inbox),
    ]);
    assert_eq!(code, 0, "{err}");
    for (regime, period, inbox) in [
        ("ktxh", "2026-10", samples().join("inbox/ktxh")),
        ("tthc", "2026-Q3", samples().join("inbox/tthc")),
        ("cbcc", "2026", cbcc_inbox.clone()),
    ] {
        let target = run_with_pdf(&root, regime, period, &inbox, &dir.path().join(regime));
        let md = std::fs::read_to_string(target.join("bao-cao.md")).unwrap();
        assert!(!md.contains("Chưa có số liệu"), "{regime} has figures");
        if regime == "tthc" {
            // The appendix is the form itself: header groups merged across and down, the
            // numbering row 1 … 14.
            let xml = zip_part(&target.join("bao-cao.docx"), "word/document.xml");
            assert!(
                xml.contains("<w:gridSpan w:val=\"4\" />"),
                "Số hồ sơ nhận giải quyết over 4 columns"
            );
            assert!(
                xml.contains("<w:vMerge w:val=\"restart\" />")
                    && xml.contains("<w:vMerge w:val=\"continue\" />")
            );
            let text = pdf_text(&target.join("bao-cao.pdf")).unwrap_or_default();
            assert!(
                text.is_empty() || text.contains("Số hồ sơ nhận giải quyết"),
                "{text}"
            );
        }
        let r = config.regime(regime).unwrap();
        let upward = r.upward.clone().unwrap_or_default();
        assert_readable(&target, &[upward.as_str()]);
        // The form's row labels: the list form's indicator names, a matrix form's row labels.
        let labels: Vec<String> = match config.layout(regime) {
            Some(layout) => layout
                .rows
                .iter()
                .map(|row| row.label.clone())
                .filter(|l| !l.is_empty())
                .collect(),
            None => r
                .form_codes()
                .filter_map(|c| config.indicator(c))
                .map(|i| i.name.clone())
                .collect(),
        };
        assert_form_pdf(&target, &labels);
    }
}

#[test]
fn a_fifteen_column_table_and_a_seventeen_row_annex_read_with_no_wrapped_number() {
    if soffice_or_skip().is_none() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let root = sample_root(dir.path());
    // tthc: the whole Biểu II.06a by lĩnh vực in the report, 15 columns.
    let tthc = root.join("report-templates/tthc/de-cuong.md.tera");
    let wide = r#"
### PHỤ LỤC: KẾT QUẢ THEO LĨNH VỰC

| STT | Lĩnh vực | Tổng số nhận | Trực tuyến | Trực tiếp, bưu chính | Từ kỳ trước | Đã giải quyết | Trước hạn | Đúng hạn | Quá hạn | Đang giải quyết | Trong hạn | Quá hạn | Tỷ lệ đúng hạn (%) | Ghi chú |
|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|
{% for o in dimensions.linh_vuc.options -%}
{%- set k = "linh_vuc=" ~ o.code -%}
{%- set n1 = k ~ ";nguon=truc_tuyen" -%}{%- set n2 = k ~ ";nguon=truc_tiep" -%}{%- set n3 = k ~ ";nguon=ky_truoc" -%}
{%- set t1 = k ~ ";tien_do=truoc_han" -%}{%- set t2 = k ~ ";tien_do=dung_han" -%}{%- set t3 = k ~ ";tien_do=qua_han" -%}
{%- set h1 = "han=trong_han;" ~ k -%}{%- set h2 = "han=qua_han;" ~ k -%}
| {{ loop.index }} | {{ o.name }} | {{ cells.TT01[k].value }} | {{ cells.TT01[n1].value }} | {{ cells.TT01[n2].value }} | {{ cells.TT01[n3].value }} | {{ cells.TT02[k].value }} | {{ cells.TT02[t1].value }} | {{ cells.TT02[t2].value }} | {{ cells.TT02[t3].value }} | {{ cells.TT03[k].value }} | {{ cells.TT03[h1].value }} | {{ cells.TT03[h2].value }} | {{ cells.TT04[k].value }} | |
{% endfor -%}
| | **Tổng số** | **{{ indicators.TT01.value }}** | | | | **{{ indicators.TT02.value }}** | | | | **{{ indicators.TT03.value }}** | | | **{{ indicators.TT04.value }}** | |

**Nơi nhận:**"#;
    let text = std::fs::read_to_string(&tthc)
        .unwrap()
        .replacen("\n**Nơi nhận:**", wide, 1);
    std::fs::write(&tthc, text).unwrap();
    // ktxh: an annex of the first 17 indicators with plan, month, year-to-date and % of plan.
    let ktxh = root.join("report-templates/ktxh/de-cuong.md.tera");
    let annex = r#"
## PHỤ LỤC: CHỈ TIÊU CHỦ YẾU

| STT | Chỉ tiêu | Đơn vị tính | Kế hoạch năm | Thực hiện tháng | Lũy kế từ đầu năm | So với kế hoạch (%) |
|---:|---|---|---:|---:|---:|---:|
{% for code in ["NN01", "NN02", "NN03", "NN04", "NN05", "NN06", "NN07", "CN01", "CN02", "CN03", "TM01", "TM02", "TM03", "DL01", "DL02", "DL03", "NS01"] -%}
{%- set c = indicators[code] -%}
| {{ loop.index }} | {{ c.name }} | {{ c.unit }} | {{ c.plan }} | {{ c.value }} | {{ c.ytd }} | {{ c.pct_plan }} |
{% endfor %}
*Nơi nhận:*"#;
    let text = std::fs::read_to_string(&ktxh)
        .unwrap()
        .replacen("\n*Nơi nhận:*", annex, 1);
    std::fs::write(&ktxh, text).unwrap();
    let t = run_with_pdf(
        &root,
        "tthc",
        "2026-Q3",
        &samples().join("inbox/tthc"),
        &dir.path().join("tthc"),
    );
    let md = std::fs::read_to_string(t.join("bao-cao.md")).unwrap();
    assert!(
        md_tables(&md).iter().any(|r| r.len() == 15),
        "a 15-column table"
    );
    assert_readable(&t, &[]);
    let k = run_with_pdf(
        &root,
        "ktxh",
        "2026-10",
        &samples().join("inbox/ktxh"),
        &dir.path().join("ktxh"),
    );
    let md = std::fs::read_to_string(k.join("bao-cao.md")).unwrap();
    let annex_rows = md_tables(&md).iter().filter(|r| r.len() == 7).count();
    assert_eq!(annex_rows, 18, "the header and 17 rows");
    assert_readable(&k, &[]);
}

//! The hostile-input corpus, generated here from the sample forms: empty, truncated and random
//! files, zip and entity bombs, encrypted OLE2, xls/xlsm/ods, UTF-16/BOM/CRLF CSV, NFD and
//! TCVN3 text, malformed numbers, wrong and future periods, unknown and path-like unit codes,
//! conflicting submissions, a million-row CSV, formulas without cached values, error cells,
//! far-away cells, symlink loops, FIFOs, devices. All of them go beside the sample month's
//! good forms through `check` and `run` under a memory cap and a time limit, and:
//! no panic, no abort, no hang; every bad file is diagnosed with a code naming it; the good
//! files are consolidated to exactly the figures of the clean inbox; nothing partial is written.

mod common;
use common::*;

use std::os::unix::fs::symlink;
use std::path::Path;
use std::time::Duration;

const HEADER: &str =
    "regime,period,unit_code,indicator_code,value,unit_of_measure,column,level,disagg";

/// One bad file: its name, its bytes, and the codes any one of which must name it.
struct Case {
    name: String,
    bytes: Vec<u8>,
    codes: &'static [&'static str],
}

fn case(name: &str, bytes: impl Into<Vec<u8>>, codes: &'static [&'static str]) -> Case {
    Case {
        name: name.to_string(),
        bytes: bytes.into(),
        codes,
    }
}

/// The form with the cell `at` of its data sheet replaced by `cell` (a whole `<c>` element).
fn with_cell(form: &[u8], at: &str, cell: &str) -> Vec<u8> {
    let cell = cell.to_string();
    let at = format!("<c r=\"{at}\"");
    rezip(
        form,
        &sheet_edit(move |x| {
            let start = x.find(&at).expect("cell in the form");
            let end = start + x[start..].find("</c>").expect("closed cell") + 4;
            format!("{}{}{}", &x[..start], cell, &x[end..])
        }),
    )
}

/// The F12 cell (a figure of the first indicator) as inline text.
fn text_figure(form: &[u8], text: &str) -> Vec<u8> {
    with_cell(
        form,
        "F12",
        &format!("<c r=\"F12\" s=\"11\" t=\"inlineStr\"><is><t>{text}</t></is></c>"),
    )
}

/// An exchange CSV of one row for `unit` with `value`.
fn csv_row(unit: &str, code: &str, value: &str) -> Vec<u8> {
    format!("{HEADER}\nktxh,2026-10,{unit},{code},{value},tấn,thuc_hien,xa,\n").into_bytes()
}

fn corpus(inbox: &Path, clean_csv: &Path) -> Vec<Case> {
    let form = std::fs::read(inbox.join("99005-phuong-thong-nhat-2026-10.xlsx")).unwrap();
    let september =
        std::fs::read(samples().join("inbox/ktxh/2026-09/99005-phuong-thong-nhat-2026-09.xlsx"))
            .unwrap();
    let mut rng = fastrand::Rng::with_seed(909);
    let random =
        |rng: &mut fastrand::Rng, n: usize| -> Vec<u8> { (0..n).map(|_| rng.u8(..)).collect() };
    let mut encrypted = cfb::CompoundFile::create(std::io::Cursor::new(Vec::new())).unwrap();
    for stream in ["/EncryptionInfo", "/EncryptedPackage"] {
        let mut s = encrypted.create_stream(stream).unwrap();
        std::io::Write::write_all(&mut s, &[7u8; 4096]).unwrap();
    }
    let encrypted = encrypted.into_inner().into_inner();
    let tthc_form = std::fs::read(
        std::fs::read_dir(samples().join("inbox/tthc/2026-Q3"))
            .unwrap()
            .map(|e| e.unwrap().path())
            .find(|p| p.extension().is_some_and(|e| e == "xlsx"))
            .unwrap(),
    )
    .unwrap();
    let config = baocao::catalog::Config::load(&samples()).unwrap();
    let regime = config.regime("ktxh").unwrap();
    let province_form = baocao::render::unit_form(
        &config,
        regime,
        "2026-10".parse().unwrap(),
        config.units.get("99").unwrap(),
        None,
    )
    .unwrap();
    let future = rezip(&form, &|_, data| {
        let t = String::from_utf8(data).unwrap_or_default();
        t.replace("2026-10", "2027-01")
            .replace("Tháng 10 năm 2026", "Tháng 1 năm 2027")
            .into_bytes()
    });
    let mut utf16 = vec![0xFF, 0xFE];
    for u in format!("{HEADER}\nktxh,2026-10,99005,NN05,1,tấn,thuc_hien,xa,\n").encode_utf16() {
        utf16.extend_from_slice(&u.to_le_bytes());
    }
    // "tấn" in TCVN3 is the bytes 74 CA 6E: not UTF-8; the unit code is unknown too.
    let mut tcvn3 = format!("{HEADER}\nktxh,2026-10,77777,NN05,1,").into_bytes();
    tcvn3.extend_from_slice(&[0x74, 0xCA, 0x6E]);
    tcvn3.extend_from_slice(b",thuc_hien,xa,\n");
    let nfd = format!(
        "{HEADER}\nktxh,2026-10,99005,{},1,tấn,thuc_hien,xa,\n",
        "Chỉ tiêu lạ"
            .chars()
            .flat_map(unicode_nfd)
            .collect::<String>()
    );
    let mut million = String::from(HEADER);
    million.push('\n');
    for i in 0..1_000_000 {
        million.push_str(&format!("ktxh,2026-10,99005,NN05,{i},tấn,thuc_hien,xa,\n"));
    }
    let long_field = csv_row("99005", &"X".repeat(40_000), "1");
    let mut cases = vec![
        case("rong.xlsx", Vec::new(), &["BC0102"]),
        case("cut-doi.xlsx", form[..form.len() / 2].to_vec(), &["BC0101"]),
        case("ngau-nhien.xlsx", random(&mut rng, 5_000), &["BC0101"]),
        case("ngau-nhien.xls", random(&mut rng, 5_000), &["BC0101"]),
        case("ngau-nhien.ods", random(&mut rng, 5_000), &["BC0101"]),
        case("ngau-nhien.xlsm", random(&mut rng, 5_000), &["BC0101"]),
        case("van-ban.xlsx", "đây không phải bảng tính", &["BC0101"]),
        case("zip-khac.xlsx", zip_of(&[("ghi-chu.txt", "xin chào")]), &["BC0101"]),
        case("ma-hoa-ole2.xlsx", encrypted, &["BC0101"]),
        case(
            "chuoi-nghin-ty.xlsx",
            rezip(&form, &|name, data| {
                if name == "xl/sharedStrings.xml" {
                    let t = String::from_utf8(data).unwrap();
                    let at = t.find("uniqueCount=\"").unwrap() + 13;
                    let end = at + t[at..].find('"').unwrap();
                    format!("{}9000000000000{}", &t[..at], &t[end..]).into_bytes()
                } else {
                    data
                }
            }),
            &["BC0108"],
        ),
        case(
            "thuc-the.xlsx",
            with_cell(&form, "F12", "<c r=\"F12\" s=\"11\"><v>&lol9;</v></c>"),
            &["BC0109"],
        ),
        case(
            "bom-thuc-the.xlsx",
            rezip(
                &form,
                &sheet_edit(|x| {
                    x.replacen(
                        "<worksheet",
                        "<!DOCTYPE z [<!ENTITY a \"aaaaaaaaaa\"><!ENTITY b \"&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;\">]><worksheet",
                        1,
                    )
                }),
            ),
            &["BC0109"],
        ),
        case(
            "bom-nen.xlsx",
            rezip(
                &form,
                &sheet_edit(|x| x.replacen("<sheetData>", &format!("<sheetData>{}", " ".repeat(3 << 20)), 1)),
            ),
            &["BC0108"],
        ),
        case("qua-lon.xlsx", vec![b'P'; 6 << 20], &["BC0108"]),
        case(
            "ngoai-excel.xlsx",
            rezip(
                &form,
                &sheet_edit(|x| {
                    x.replace(
                        "</sheetData>",
                        "<row r=\"1048577\"><c r=\"XFE1048577\"><v>1</v></c></row></sheetData>",
                    )
                }),
            ),
            &["BC0110", "BC0101", "BC0601"],
        ),
        case("so-chu.xlsx", text_figure(&form, "bảy trăm"), &["BC0203"]),
        case("so-1e309.xlsx", text_figure(&form, "1e309"), &["BC0203"]),
        case("so-nan.xlsx", text_figure(&form, "NaN"), &["BC0203"]),
        case("so-inf.xlsx", text_figure(&form, "inf"), &["BC0203"]),
        case("so-toan-khoan.xlsx", text_figure(&form, "７１３"), &["BC0203", "BC0202"]),
        case("so-ngoac.xlsx", text_figure(&form, "(713)"), &["BC0203", "BC0402", "BC0202"]),
        // Read as 7 133,5 (NBSP thousands, decimal comma): the parts then do not add up.
        case("so-nbsp.xlsx", text_figure(&form, "7\u{a0}133,5"), &["BC0203", "BC0202", "BC0406"]),
        case("so-hai-dau.xlsx", text_figure(&form, "1.234,5.6"), &["BC0203"]),
        case("so-dai.xlsx", text_figure(&form, &"9".repeat(400)), &["BC0203"]),
        case("so-am.xlsx", with_cell(&form, "F12", "<c r=\"F12\" s=\"11\"><v>-5</v></c>"), &["BC0402"]),
        case(
            "cong-thuc.xlsx",
            with_cell(&form, "F12", "<c r=\"F12\" s=\"11\"><f>SUM(E12:E13)</f></c>"),
            &["BC0201"],
        ),
        case(
            "o-loi.xlsx",
            with_cell(&form, "F12", "<c r=\"F12\" s=\"11\" t=\"e\"><v>#DIV/0!</v></c>"),
            &["BC0204"],
        ),
        case("ky-truoc.xlsx", september.clone(), &["BC0303"]),
        case("ky-tuong-lai.xlsx", future, &["BC0303"]),
        case("che-do-khac.xlsx", tthc_form, &["BC0304"]),
        case("tinh-tu-bao-cao.xlsx", province_form, &["BC0306"]),
        case("gui-lai-99005.xlsx", form.clone(), &["BC0601"]),
        case(
            "an-trang.xlsx",
            rezip(&form, &|name, data| {
                if name == "xl/workbook.xml" {
                    String::from_utf8(data)
                        .unwrap()
                        .replacen("sheetId=\"1\"", "sheetId=\"1\" state=\"hidden\"", 1)
                        .into_bytes()
                } else {
                    data
                }
            }),
            &["BC0103", "BC0102"],
        ),
        case(
            "khong-bang.xlsx",
            rezip(
                &form,
                &sheet_edit(|x| {
                    let a = x.find("<sheetData>").unwrap();
                    let b = x.find("</sheetData>").unwrap() + 12;
                    format!("{}<sheetData><row r=\"1\"><c r=\"A1\" t=\"inlineStr\"><is><t>Ghi chú</t></is></c></row></sheetData>{}", &x[..a], &x[b..])
                }),
            ),
            &["BC0103"],
        ),
        case("ghi-chu.txt", "không phải báo cáo", &["BC0104"]),
        case("tieu-de-sai.csv", "a,b,c\n1,2,3\n", &["BC0105"]),
        case("utf16.csv", utf16, &["BC0105"]),
        case("nhi-phan.csv", random(&mut rng, 3_000), &["BC0105", "BC0106"]),
        case(
            "dong-lech.csv",
            format!("{HEADER}\nktxh,2026-10,99005,NN05,1\n"),
            &["BC0106"],
        ),
        case("don-vi-la.csv", csv_row("12345", "NN05", "1"), &["BC0301"]),
        case("don-vi-duong-dan.csv", csv_row("../../etc/passwd", "NN05", "1"), &["BC0301"]),
        case("tcvn3.csv", tcvn3, &["BC0301"]),
        case("nfd.csv", nfd, &["BC0205"]),
        case(
            "hai-lan.csv",
            format!("{HEADER}\nktxh,2026-10,99005,NN05,120,tấn,thuc_hien,xa,\nktxh,2026-10,99005,NN05,125,tấn,thuc_hien,xa,\n"),
            &["BC0207"],
        ),
        case("csv-1e309.csv", csv_row("99005", "NN05", "1e309"), &["BC0203"]),
        case("csv-nan.csv", csv_row("99005", "NN05", "NaN"), &["BC0203"]),
        case("csv-inf.csv", csv_row("99005", "NN05", "-inf"), &["BC0203"]),
        case("csv-toan-khoan.csv", csv_row("99005", "NN05", "１２３"), &["BC0203"]),
        case("csv-ngoac.csv", csv_row("99005", "NN05", "(123)"), &["BC0203"]),
        case("csv-nbsp.csv", csv_row("99005", "NN05", "1\u{a0}234"), &["BC0203"]),
        case("csv-ky-khac.csv", format!("{HEADER}\nktxh,2026-09,99005,NN05,1,tấn,thuc_hien,xa,\n"), &["BC0303"]),
        case("csv-che-do-khac.csv", format!("{HEADER}\ntthc,2026-10,99005,NN05,1,tấn,thuc_hien,xa,\n"), &["BC0304"]),
        case("csv-tinh.csv", csv_row("99", "NN05", "1"), &["BC0306"]),
        case("chi-tieu-dai.csv", long_field, &["BC0108"]),
        case("trieu-dong.csv", million, &["BC0108"]),
        case("chi-tieu-de.csv", format!("{HEADER}\n"), &["BC0102"]),
    ];
    // The clean run's own exchange file for one commune, with a byte-order mark and CRLF: a
    // good file in another format (it replaces that commune's form).
    let rows: Vec<String> = std::fs::read_to_string(clean_csv)
        .unwrap()
        .lines()
        .enumerate()
        .filter(|(i, l)| *i == 0 || l.contains(",99006,"))
        .map(|(_, l)| l.to_string())
        .collect();
    let mut bom = b"\xEF\xBB\xBF".to_vec();
    bom.extend_from_slice(rows.join("\r\n").as_bytes());
    bom.extend_from_slice(b"\r\n");
    cases.push(case("99006-du-lieu-bom-crlf.csv", bom, &[]));
    cases
}

fn unicode_nfd(c: char) -> Vec<char> {
    use unicode_normalization::UnicodeNormalization;
    c.to_string().nfd().collect()
}

#[test]
fn the_corpus_beside_good_forms_is_diagnosed_file_by_file_and_the_good_figures_are_exact() {
    let t = tempfile::tempdir().unwrap();
    let root = sample_root(t.path());
    // Lowered so the bombs stay small to build; the million-row CSV is over the file size.
    std::fs::write(
        root.join("limits.toml"),
        "file_bytes = 5242880\npart_bytes = 2097152\n",
    )
    .unwrap();
    let clean = t.path().join("sach/2026-10");
    copy_dir(&samples().join("inbox/ktxh/2026-10"), &clean);
    let clean_out = run_october(&root, &clean, &t.path().join("ra-sach"));

    let inbox = t.path().join("nhan/2026-10");
    copy_dir(&clean, &inbox);
    let cases = corpus(&inbox, &clean_out.join("du-lieu.csv"));
    std::fs::remove_file(inbox.join("99006-phuong-quang-trung-2026-10.xlsx")).unwrap();
    // The bad files were received before the good forms: a variant that is read after all
    // (a legitimate reading, a resend) is an older duplicate, so the good form is the one used
    // whatever the file system's clock resolution.
    let earlier = std::time::SystemTime::now() - Duration::from_secs(30 * 24 * 3600);
    for c in &cases {
        let path = inbox.join(&c.name);
        std::fs::write(&path, &c.bytes).unwrap();
        std::fs::File::options()
            .write(true)
            .open(&path)
            .unwrap()
            .set_modified(earlier)
            .unwrap();
    }
    // Entries that are not files: a pipe, a device, a link to nothing, two links to the
    // folder itself (a naive walk grows exponentially), a link loop between two folders.
    assert!(std::process::Command::new("mkfifo")
        .arg(inbox.join("ong-dan.xlsx"))
        .status()
        .unwrap()
        .success());
    symlink("/dev/zero", inbox.join("thiet-bi.xlsx")).unwrap();
    symlink("/khong/co/tep-nay", inbox.join("lien-ket-hong.xlsx")).unwrap();
    symlink(".", inbox.join("vong-1")).unwrap();
    symlink(".", inbox.join("vong-2")).unwrap();
    std::fs::create_dir_all(inbox.join("a")).unwrap();
    symlink("../b", inbox.join("a/sang-b")).unwrap();
    std::fs::create_dir_all(inbox.join("b")).unwrap();
    symlink("../a", inbox.join("b/sang-a")).unwrap();
    let odd = ["ong-dan.xlsx", "thiet-bi.xlsx", "lien-ket-hong.xlsx"];
    assert!(cases.len() + odd.len() + 3 >= 60, "{} cases", cases.len());

    let v = check_october(&root, &inbox);
    let codes = file_codes(&v);
    let mut wrong = Vec::new();
    for c in cases.iter().filter(|c| !c.codes.is_empty()) {
        let got: Vec<&str> = codes
            .iter()
            .filter(|(f, _)| *f == c.name)
            .map(|(_, code)| code.as_str())
            .collect();
        if !c.codes.iter().any(|want| got.contains(want)) {
            wrong.push(format!(
                "{}: want one of {:?}, got {got:?}",
                c.name, c.codes
            ));
        }
    }
    for name in odd {
        if !codes.contains(&(name.to_string(), "BC0107".to_string())) {
            wrong.push(format!("{name}: want BC0107"));
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));

    // The run: exactly the clean inbox's figures, and a whole output set.
    let hostile_out = run_october(&root, &inbox, &t.path().join("ra"));
    assert_eq!(
        std::fs::read(hostile_out.join("du-lieu.csv")).unwrap(),
        std::fs::read(clean_out.join("du-lieu.csv")).unwrap()
    );
    let verified = baocao::sign::verify_dir(&hostile_out, None);
    assert!(verified.ok(), "{:?}", verified.diagnostics);
    // The diagnostics sheet lists the bad files.
    let rows = sheet(&hostile_out.join("tong-hop.xlsx"), "Chẩn đoán");
    let listed: String = rows
        .iter()
        .flat_map(|r| r.iter().map(text))
        .collect::<Vec<_>>()
        .join(" ");
    for c in cases.iter().filter(|c| !c.codes.is_empty()) {
        assert!(
            listed.contains(&c.name),
            "{} on the diagnostics sheet",
            c.name
        );
    }
}

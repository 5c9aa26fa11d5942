//! End-to-end: workbooks and CSV files built to exhaust memory (far-away cells, huge declared
//! counts, zip bombs, entity bombs, xls DIMENSIONS, ods repeats, oversized files) get a coded
//! diagnostic naming them, are never read into memory, and the good files of the same inbox
//! are consolidated to the same figures as without them.

mod common;
use common::*;

use std::io::{Cursor, Write};
use std::path::Path;

/// An OLE2 compound file whose Workbook stream is a BIFF8 BOF then a DIMENSIONS record
/// claiming 4,000,000,000 rows × 200 columns.
fn xls_claiming_billions() -> Vec<u8> {
    let mut cfb = cfb::CompoundFile::create(Cursor::new(Vec::new())).unwrap();
    {
        let mut s = cfb.create_stream("/Workbook").unwrap();
        let mut biff = Vec::new();
        // BOF (0x0809), BIFF8 worksheet.
        biff.extend_from_slice(&[0x09, 0x08, 16, 0]);
        biff.extend_from_slice(&[0x00, 0x06, 0x10, 0x00]);
        biff.extend_from_slice(&[0; 12]);
        // DIMENSIONS (0x0200): rows 0..4e9, columns 0..200.
        biff.extend_from_slice(&[0x00, 0x02, 14, 0]);
        biff.extend_from_slice(&0u32.to_le_bytes());
        biff.extend_from_slice(&4_000_000_000u32.to_le_bytes());
        biff.extend_from_slice(&0u16.to_le_bytes());
        biff.extend_from_slice(&200u16.to_le_bytes());
        biff.extend_from_slice(&0u16.to_le_bytes());
        s.write_all(&biff).unwrap();
    }
    cfb.into_inner().into_inner()
}

/// The hostile files, each named for what it is, in `inbox`; the forms they are made from are
/// the sample's own (so a file that is read after all would duplicate a unit, not add one).
fn hostile_files(inbox: &Path) {
    let form = std::fs::read(inbox.join("99001-phuong-an-lac-2026-10.xlsx")).unwrap();
    let write = |name: &str, bytes: Vec<u8>| std::fs::write(inbox.join(name), bytes).unwrap();
    write(
        "chuoi-khai-bao-nghin-ty.xlsx",
        rezip(&form, &|name, data| {
            if name == "xl/sharedStrings.xml" {
                String::from_utf8(data)
                    .unwrap()
                    .replace("uniqueCount=\"118\"", "uniqueCount=\"9000000000000\"")
                    .into_bytes()
            } else {
                data
            }
        }),
    );
    write(
        "thuc-the-la.xlsx",
        rezip(
            &form,
            &sheet_edit(|x| x.replacen("<v>0</v>", "<v>&lol9;</v>", 1)),
        ),
    );
    write(
        "bom-thuc-the.xlsx",
        rezip(
            &form,
            &sheet_edit(|x| {
                x.replacen(
                    "<worksheet",
                    "<!DOCTYPE lolz [<!ENTITY lol \"lol\"><!ENTITY lol2 \"&lol;&lol;&lol;&lol;\">]><worksheet",
                    1,
                )
            }),
        ),
    );
    // 3 MB of spaces inside the sheet: over the 2 MiB part limit of this test's limits.toml.
    write(
        "bom-nen.xlsx",
        rezip(
            &form,
            &sheet_edit(|x| {
                x.replacen(
                    "<sheetData>",
                    &format!("<sheetData>{}", " ".repeat(3 << 20)),
                    1,
                )
            }),
        ),
    );
    write(
        "ngoai-gioi-han-excel.xlsx",
        rezip(
            &form,
            &sheet_edit(|x| {
                x.replace(
                    "</sheetData>",
                    "<row r=\"1048577\"><c r=\"XFE1048577\"><v>1</v></c></row></sheetData>",
                )
            }),
        ),
    );
    write("dimensions-ty-dong.xls", xls_claiming_billions());
    let content = format!(
        "<?xml version=\"1.0\"?><office:document-content xmlns:office=\"urn:oasis:names:tc:opendocument:xmlns:office:1.0\" xmlns:table=\"urn:oasis:names:tc:opendocument:xmlns:table:1.0\"><office:body><office:spreadsheet><table:table table:name=\"A\">{}</table:table></office:spreadsheet></office:body></office:document-content>",
        "<table:table-row table:number-rows-repeated=\"1048576\"><table:table-cell office:value-type=\"float\" office:value=\"1\" table:number-columns-repeated=\"16384\"/></table:table-row>"
    );
    write(
        "lap-lai.ods",
        zip_of(&[
            ("mimetype", "application/vnd.oasis.opendocument.spreadsheet"),
            ("content.xml", &content),
        ]),
    );
    // 6 MB: over this test's 5 MiB file limit.
    write("qua-lon.xlsx", vec![b'P'; 6 << 20]);
    let mut csv = String::from(
        "regime,period,unit_code,indicator_code,value,unit_of_measure,column,level,disagg\n",
    );
    for _ in 0..20 {
        csv.push_str("ktxh,2026-10,99001,NN05,1,tấn,thuc_hien,xa,\n");
    }
    write("nhieu-dong.csv", csv.into_bytes());
}

#[test]
fn files_built_to_exhaust_memory_are_refused_by_name_and_the_good_files_are_consolidated() {
    let t = tempfile::tempdir().unwrap();
    let root = sample_root(t.path());
    std::fs::write(
        root.join("limits.toml"),
        "# Lowered so the test's bombs stay small.\nfile_bytes = 5242880\npart_bytes = 2097152\ncsv_rows = 10\n",
    )
    .unwrap();
    let clean = t.path().join("sach/2026-10");
    copy_dir(&samples().join("inbox/ktxh/2026-10"), &clean);
    let inbox = t.path().join("nhan/2026-10");
    copy_dir(&clean, &inbox);
    hostile_files(&inbox);
    // One good form has a stray figure at Excel's very last cell: read, with a warning, and the
    // far cell costs nothing.
    let far = inbox.join("99002-phuong-binh-minh-2026-10.xlsx");
    let bytes = std::fs::read(&far).unwrap();
    std::fs::write(
        &far,
        rezip(
            &bytes,
            &sheet_edit(|x| {
                x.replace(
                    "</sheetData>",
                    "<row r=\"1048576\"><c r=\"XFD1048576\"><v>7</v></c></row></sheetData>",
                )
            }),
        ),
    )
    .unwrap();

    let v = check_october(&root, &inbox);
    let codes = file_codes(&v);
    let has = |file: &str, code: &str| codes.contains(&(file.to_string(), code.to_string()));
    for (file, code) in [
        ("chuoi-khai-bao-nghin-ty.xlsx", "BC0108"),
        ("thuc-the-la.xlsx", "BC0109"),
        ("bom-thuc-the.xlsx", "BC0109"),
        ("bom-nen.xlsx", "BC0108"),
        ("dimensions-ty-dong.xls", "BC0108"),
        ("lap-lai.ods", "BC0108"),
        ("qua-lon.xlsx", "BC0108"),
        ("nhieu-dong.csv", "BC0108"),
        ("99002-phuong-binh-minh-2026-10.xlsx", "BC0110"),
    ] {
        assert!(has(file, code), "{file} {code}: {codes:?}");
    }
    // A reference beyond Excel's grid is left out (or the file called damaged), never allocated.
    assert!(
        has("ngoai-gioi-han-excel.xlsx", "BC0110") || has("ngoai-gioi-han-excel.xlsx", "BC0101"),
        "{codes:?}"
    );
    let far_warning = v["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["code"] == "BC0110" && d["file"] == "99002-phuong-binh-minh-2026-10.xlsx")
        .unwrap();
    assert_eq!(far_warning["cell"], "XFD1048576");

    // The run: the same consolidated figures as from the clean inbox.
    let run = |inbox: &Path, out: &Path| {
        std::fs::read(run_october(&root, inbox, out).join("du-lieu.csv")).unwrap()
    };
    let from_clean = run(&clean, &t.path().join("ra-sach"));
    let from_hostile = run(&inbox, &t.path().join("ra"));
    assert!(!from_clean.is_empty());
    assert_eq!(from_hostile, from_clean);
}

//! End-to-end: hostile entries in an inbox never stop the batch — named pipes, links to
//! devices or to nothing, links that loop, and text longer than a spreadsheet cell.

mod common;
use common::*;

use std::os::unix::fs::symlink;
use std::path::Path;
use std::time::Duration;

fn hostile_inbox(dir: &Path) -> std::path::PathBuf {
    let inbox = dir.join("nhan/2026-10");
    copy_dir(&samples().join("inbox/ktxh/2026-10"), &inbox);
    // Vĩnh Hưng (which never sent) has a named pipe with its form's name.
    let fifo = inbox.join("99024-xa-vinh-hung-2026-10.xlsx");
    let made = std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .unwrap();
    assert!(made.success());
    symlink("/dev/zero", inbox.join("zero.xlsx")).unwrap();
    symlink("/khong/co/tep-nay", inbox.join("mat.xlsx")).unwrap();
    // Two links to the folder itself: a walk that follows them naively grows exponentially.
    symlink(".", inbox.join("vong-1")).unwrap();
    symlink(".", inbox.join("vong-2")).unwrap();
    // An exchange file whose indicator code is longer than a spreadsheet cell.
    let long = "X".repeat(40_000);
    std::fs::write(
        inbox.join("dai.csv"),
        format!("regime,period,unit_code,indicator_code,value,unit_of_measure,column,level,disagg\nktxh,2026-10,99024,{long},1,ha,thuc_hien,xa,\n"),
    )
    .unwrap();
    inbox
}

#[test]
fn pipes_device_links_loops_and_long_text_are_diagnosed_and_the_good_files_go_on() {
    let dir = tempfile::tempdir().unwrap();
    let inbox = hostile_inbox(dir.path());
    let v = check_october(&samples(), &inbox);
    let mut odd: Vec<String> = file_codes(&v)
        .into_iter()
        .filter(|(_, c)| c == "BC0107")
        .map(|(f, _)| f)
        .collect();
    odd.sort();
    assert_eq!(
        odd,
        ["99024-xa-vinh-hung-2026-10.xlsx", "mat.xlsx", "zero.xlsx"]
    );
    // The loops were walked once: each form is read once.
    let files: Vec<&str> = v["submissions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x["file"].as_str().unwrap())
        .collect();
    assert!(files.iter().all(|f| !f.starts_with("vong-")), "{files:?}");
    // Every message quoting the long code is cut, with an ellipsis.
    for d in v["diagnostics"].as_array().unwrap() {
        assert!(d["message"].as_str().unwrap().chars().count() <= 2001);
    }

    let root = sample_root(dir.path());
    let target = dir.path().join("out");
    let (code, out, err) = bounded(
        &[
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
            s(&target),
            "--as-of",
            "2026-11-22",
            "--no-history",
            "--format",
            "json",
            "-q",
        ],
        Duration::from_secs(60),
    );
    assert_eq!(code, 1, "finished, with findings: {out}{err}");
    let r: serde_json::Value = serde_json::from_str(&out).unwrap();
    // The sample month's 37 good forms are all consolidated (the long exchange file, whose only
    // row names no indicator, may be counted too).
    assert!(r["accepted"].as_u64().unwrap() >= 37, "{r}");
    let xlsx = target.join("ktxh/2026-10/tong-hop.xlsx");
    let rows = sheet(&xlsx, "Chẩn đoán");
    assert!(rows.len() > 3);
}

#[test]
fn a_cell_given_twice_in_an_exchange_file_and_a_form_naming_the_province_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let twice = dir.path().join("huyen-du-lieu.csv");
    std::fs::write(
        &twice,
        "regime,period,unit_code,indicator_code,value,unit_of_measure,column,level,disagg\n\
         ktxh,2026-10,99009,NN05,120,tấn,thuc_hien,xa,\n\
         ktxh,2026-10,99009,NN05,125,tấn,thuc_hien,xa,\n",
    )
    .unwrap();
    let config = baocao::catalog::Config::load(&samples()).unwrap();
    let regime = config.regime("ktxh").unwrap();
    let province = config.units.get("99").unwrap();
    let form = dir.path().join("99-tinh-an-lac-2026-10.xlsx");
    std::fs::write(
        &form,
        baocao::render::unit_form(&config, regime, "2026-10".parse().unwrap(), province, None)
            .unwrap(),
    )
    .unwrap();
    let (_, out, err) = baocao(&[
        "--root",
        s(&samples()),
        "check",
        "--regime",
        "ktxh",
        "--period",
        "2026-10",
        "--format",
        "json",
        s(&twice),
        s(&form),
    ]);
    let v: serde_json::Value = serde_json::from_str(&out).unwrap_or_else(|e| panic!("{e}: {err}"));
    let codes = file_codes(&v);
    assert!(
        codes.contains(&("huyen-du-lieu.csv".into(), "BC0207".into())),
        "{codes:?}"
    );
    assert!(
        codes.contains(&("99-tinh-an-lac-2026-10.xlsx".into(), "BC0306".into())),
        "{codes:?}"
    );
}

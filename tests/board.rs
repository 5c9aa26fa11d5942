//! End-to-end: the public display board `bang-tin.html`, read as text and rendered by headless
//! Chromium (installed by `.ci/run`; outside CI, without it, the rendering test says so and
//! stops).

mod common;
use common::*;

use baocao::catalog::Config;

fn board(dir: &std::path::Path) -> String {
    let (code, stdout, err) = baocao(&[
        "--root",
        s(&samples()),
        "board",
        "--out",
        s(dir),
        "--today",
        "2026-10-19",
        "--inbox",
        s(&samples().join("inbox")),
        "--tasks",
        s(&samples().join("nhiem-vu/so-theo-doi-2026.xlsx")),
        "--refresh",
        "300",
    ]);
    assert_eq!(code, 0, "{stdout}{err}");
    std::fs::read_to_string(dir.join("bang-tin.html")).unwrap()
}

#[test]
fn the_board_names_every_reporting_unit_and_fetches_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let html = board(dir.path());
    assert!(
        !html.contains("http://") && !html.contains("https://"),
        "no network reference"
    );
    assert!(!html.contains("<script") && !html.contains("<link") && !html.contains("<img"));
    assert!(html.contains("<meta http-equiv=\"refresh\" content=\"300\">"));
    let config = Config::load(&samples()).unwrap();
    let regime = config.regime("ktxh").unwrap();
    let units = config.reporting_units(regime, "2026-10-14".parse().unwrap());
    assert_eq!(units.len(), 40);
    for u in units {
        assert!(html.contains(&u.name), "{} missing", u.name);
    }
    // October on 19/10: 36 on time and 1 late of 40 units (the inbox's deliberate faults).
    assert!(html.contains("Tỷ lệ báo cáo: <b>92,5%</b>"), "37 / 40");
    assert!(
        html.contains("Tỷ lệ báo cáo đúng hạn: <b>90,0%</b>"),
        "36 / 40"
    );
    // Worst first, with the status in words: Vĩnh Hưng sent nothing.
    let first = html.find("<li class=").unwrap();
    assert!(html[first..].starts_with("<li class=\"do\"><span class=\"ten\">Xã Vĩnh Hưng</span> <span class=\"nhan\">Chưa gửi</span>"));
    // Key indicators with a trend line from the sample history store, and the tasks.
    assert!(html.contains("Thu ngân sách nhà nước trên địa bàn"));
    assert!(html.matches("<svg class=\"xu-huong\"").count() >= 4);
    assert!(html.contains("Thực hiện nhiệm vụ được giao"));
    assert!(html.contains("quá hạn"));
}

#[test]
fn chromium_renders_the_board() {
    let chromium = ["chromium", "chromium-browser"]
        .iter()
        .find(|c| {
            std::process::Command::new(c)
                .arg("--version")
                .output()
                .is_ok_and(|o| o.status.success())
        })
        .copied();
    let Some(chromium) = chromium else {
        assert!(
            std::env::var_os("CI").is_none(),
            "CI must install Chromium (.ci/run)"
        );
        eprintln!("chromium không có trên máy này: bỏ qua kiểm tra hiển thị bảng tin");
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    board(dir.path());
    let png = dir.path().join("bang-tin.png");
    let out = std::process::Command::new(chromium)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--hide-scrollbars",
            "--window-size=1600,2400",
        ])
        .arg(format!(
            "--user-data-dir={}",
            dir.path().join("profile").display()
        ))
        .arg(format!("--screenshot={}", png.display()))
        .arg(format!(
            "file://{}",
            dir.path().join("bang-tin.html").display()
        ))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let bytes = std::fs::read(&png).unwrap();
    assert!(bytes.starts_with(b"\x89PNG"), "a PNG");
    assert!(
        bytes.len() > 20_000,
        "not a blank page: {} bytes",
        bytes.len()
    );
}

#[test]
fn run_writes_the_regimes_board_beside_its_outputs() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("root");
    copy_samples_root(&root);
    let out = dir.path().join("out");
    let inbox = samples().join("inbox/tthc");
    let (code, _, err) = baocao(&[
        "--root",
        s(&root),
        "run",
        "--regime",
        "tthc",
        "--period",
        "2026-Q3",
        "--inbox",
        s(&inbox),
        "--out",
        s(&out),
        "--as-of",
        "2026-10-01",
        "--no-history",
        "-q",
    ]);
    assert!(code == 0 || code == 1, "{err}");
    let target = out.join("tthc/2026-Q3");
    let html = std::fs::read_to_string(target.join("bang-tin.html")).unwrap();
    assert!(html.contains("Quý III năm 2026"));
    assert!(html.contains("Tỷ lệ hồ sơ giải quyết đúng hạn"));
    let manifest = std::fs::read_to_string(target.join("manifest.json")).unwrap();
    assert!(manifest.contains("\"file\": \"bang-tin.html\""));
}

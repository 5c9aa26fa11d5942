//! The library of regimes (`report-templates/`, `indicators/` at the repository's top, built
//! into the binary): `regime list`, and a config root that reads it (`library.toml`) with its
//! own settings laid over each regime it uses — the settings still to make listed by
//! `check-config`, none once made (as in `samples/`).

mod common;

use common::*;

#[test]
fn regime_list_shows_every_library_regime_with_its_form_and_legal_basis() {
    let (code, out, err) = baocao(&["regime", "list"]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("(5):"), "{out}");
    for (id, form) in [
        ("cbcc", "Biểu số 01/CBCC"),
        ("ktxh", "Biểu số 01/KTXH"),
        ("ntm", "Biểu số 01/NTM"),
        ("tcd", "Biểu số 01/TCD"),
        ("tthc", "Biểu II.06a/VPCP/KSTT, phiên bản 2026.1; hằng quý"),
    ] {
        assert!(
            out.lines()
                .any(|l| l.trim_start().starts_with(id) && l.contains(form)),
            "{id}: {out}"
        );
    }
    assert!(out.contains("Thông tư số 01/2020/TT-VPCP"), "{out}");
    // A folder that is not a library is said to be one.
    let t = tempfile::tempdir().unwrap();
    let (code, _, err) = baocao(&["regime", "list", "--library", s(t.path())]);
    assert_eq!(code, 2);
    assert!(err.contains("không có thư mục report-templates/"), "{err}");
    // A library on disk: the repository's own.
    let (code, out2, _) = baocao(&["regime", "list", "--library", s(&library())]);
    assert_eq!(code, 0);
    assert_eq!(out2.lines().count(), out.lines().count());
}

#[test]
fn a_root_reading_the_library_is_told_each_setting_to_make_until_it_is_made() {
    let t = tempfile::tempdir().unwrap();
    let root = t.path();
    std::fs::copy(samples().join("units.toml"), root.join("units.toml")).unwrap();
    std::fs::write(root.join("library.toml"), "# thư viện có sẵn\n").unwrap();
    std::fs::create_dir_all(root.join("report-templates/tthc")).unwrap();
    std::fs::write(
        root.join("report-templates/tthc/regime.toml"),
        "# cài đặt\n",
    )
    .unwrap();
    let (code, out, err) = baocao(&["--root", s(root), "check-config"]);
    assert_eq!(code, 2, "{out}{err}");
    assert!(
        err.contains("receiver: cơ quan nhận \"\" không có trong units.toml"),
        "{err}"
    );
    let todos: Vec<&str> = err
        .lines()
        .filter(|l| l.contains("report-templates/tthc/regime.toml (thư viện) › dòng"))
        .collect();
    // The receiver, the body above, who reports, their deadline, the receiver's level.
    assert_eq!(todos.len(), 5, "{err}");
    for what in [
        "mã đơn vị nhận báo cáo",
        "cơ quan cấp trên",
        "các cấp (level trong units.toml) phải báo cáo",
        "hạn gửi của các cấp báo cáo",
        "cấp của cơ quan tổng hợp",
    ] {
        assert!(todos.iter().any(|l| l.contains(what)), "{what}: {err}");
    }
    assert!(err.contains("Còn 5 việc cần quyết định (TODO):"), "{err}");

    // Two settings made: those two are no longer asked.
    std::fs::write(
        root.join("report-templates/tthc/regime.toml"),
        "receiver = \"99\"\nupward = \"Văn phòng Chính phủ\"\n",
    )
    .unwrap();
    let (_, out, err) = baocao(&["--root", s(root), "check-config"]);
    let all = format!("{out}{err}");
    assert!(all.contains("Còn 3 việc cần quyết định (TODO):"), "{all}");
    assert!(!all.contains("mã đơn vị nhận báo cáo"), "{all}");

    // The samples' settings: a clean config, nothing left to decide, the regime as the
    // library's with the province's receiver and deadlines.
    std::fs::copy(
        samples().join("report-templates/tthc/regime.toml"),
        root.join("report-templates/tthc/regime.toml"),
    )
    .unwrap();
    let (code, out, err) = baocao(&["--root", s(root), "check-config"]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(!out.contains("TODO"), "{out}");
    let config = baocao::catalog::Config::load(root).unwrap();
    let tthc = config.regime("tthc").unwrap();
    assert_eq!(tthc.receiver, "99");
    assert_eq!(tthc.form.number, "Biểu II.06a/VPCP/KSTT");
    assert_eq!(tthc.deadline.len(), 2);
    assert_eq!(config.regimes.len(), 1);
}

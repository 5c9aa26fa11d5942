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
    // The receiver, the body above, who reports, the signer, their deadline, the receiver's
    // level.
    assert_eq!(todos.len(), 6, "{err}");
    for what in [
        "mã đơn vị nhận báo cáo",
        "cơ quan cấp trên",
        "các cấp (level trong units.toml) phải báo cáo",
        "hạn gửi của các cấp báo cáo",
        "cấp của cơ quan tổng hợp",
        "người ký",
    ] {
        assert!(todos.iter().any(|l| l.contains(what)), "{what}: {err}");
    }
    assert!(err.contains("Còn 6 việc cần quyết định (TODO):"), "{err}");

    // Two settings made: those two are no longer asked.
    std::fs::write(
        root.join("report-templates/tthc/regime.toml"),
        "receiver = \"99\"\nupward = \"Văn phòng Chính phủ\"\n",
    )
    .unwrap();
    let (_, out, err) = baocao(&["--root", s(root), "check-config"]);
    let all = format!("{out}{err}");
    assert!(all.contains("Còn 4 việc cần quyết định (TODO):"), "{all}");
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

/// `regime add` into an empty office root copies the regime and exactly the catalogs it needs,
/// and says what the office must set; added again after the office changed a file, that file
/// is kept; `regime diff` shows the office's change and, after the library changed, the
/// library's change since.
#[test]
fn regime_add_copies_what_the_regime_needs_keeps_the_offices_changes_and_diff_shows_both() {
    let t = tempfile::tempdir().unwrap();
    let root = t.path().join("office");
    let (code, out, err) = baocao(&["regime", "add", "tthc", "--root", s(&root)]);
    assert_eq!(code, 0, "{out}{err}");
    for f in [
        "report-templates/tthc/regime.toml: đã chép",
        "report-templates/tthc/de-cuong.md.tera: đã chép",
        "indicators/thu-tuc-hanh-chinh.toml: đã chép",
        "indicators/linh-vuc.csv: đã chép",
    ] {
        assert!(out.contains(f), "{f}: {out}");
    }
    // Only what tthc needs: not the socio-economic catalogs.
    assert!(!root.join("indicators/kinh-te.toml").exists(), "{out}");
    let lib = |rel: &str| std::fs::read(library().join(rel)).unwrap();
    assert_eq!(
        std::fs::read(root.join("report-templates/tthc/regime.toml")).unwrap(),
        lib("report-templates/tthc/regime.toml")
    );
    // What the office must do: units, the receiver, the body above, who reports, deadlines.
    assert!(out.contains("tạo units.toml"), "{out}");
    let todo_lines = out
        .lines()
        .filter(|l| l.contains("regime.toml › dòng") && l.contains("TODO"))
        .count();
    assert_eq!(todo_lines, 6, "{out}");

    // With units, check-config says the same settings (the receiver as an error too).
    std::fs::copy(samples().join("units.toml"), root.join("units.toml")).unwrap();
    let (code, _, err) = baocao(&["--root", s(&root), "check-config"]);
    assert_eq!(code, 2);
    assert!(err.contains("Còn 6 việc cần quyết định (TODO):"), "{err}");

    // The office makes its settings; added again, its file is kept, the others are the same.
    let regime = root.join("report-templates/tthc/regime.toml");
    let text = std::fs::read_to_string(&regime).unwrap().replace(
        "receiver = \"\"  # TODO: mã đơn vị nhận báo cáo (cơ quan tổng hợp) trong units.toml",
        "receiver = \"99\"",
    );
    std::fs::write(&regime, &text).unwrap();
    let (code, out, _) = baocao(&["regime", "add", "tthc", "--root", s(&root)]);
    assert_eq!(code, 0);
    assert!(
        out.contains("report-templates/tthc/regime.toml: đã có và văn phòng đã sửa: giữ nguyên"),
        "{out}"
    );
    assert!(
        out.contains("indicators/thu-tuc-hanh-chinh.toml: đã có, giống thư viện"),
        "{out}"
    );
    assert_eq!(std::fs::read_to_string(&regime).unwrap(), text);

    // diff: the office's change, nothing from the library.
    let (code, out, err) = baocao(&["regime", "diff", "tthc", "--root", s(&root)]);
    assert_eq!(code, 0, "{err}");
    assert!(
        out.contains("== report-templates/tthc/regime.toml"),
        "{out}"
    );
    assert!(out.contains("-receiver = \"\"  # TODO"), "{out}");
    assert!(out.contains("+receiver = \"99\""), "{out}");
    assert!(!out.contains("Thư viện đã đổi"), "{out}");

    // A newer library (on disk) changed the outline: diff shows it as the library's change.
    let newer = t.path().join("newer");
    copy_dir(
        &library().join("report-templates"),
        &newer.join("report-templates"),
    );
    copy_dir(&library().join("indicators"), &newer.join("indicators"));
    let outline = newer.join("report-templates/tthc/de-cuong.md.tera");
    let mut o = std::fs::read_to_string(&outline).unwrap();
    o.push_str("\nMột đoạn mới của thư viện.\n");
    std::fs::write(&outline, o).unwrap();
    let (_, out, _) = baocao(&[
        "regime",
        "diff",
        "tthc",
        "--root",
        s(&root),
        "--library",
        s(&newer),
    ]);
    assert!(out.contains("-- Thư viện đã đổi từ khi thêm:"), "{out}");
    assert!(out.contains("+Một đoạn mới của thư viện."), "{out}");
    // Added from the newer library (--root before the subcommand, as for every command): the
    // outline the office never changed follows the library, its settings stay.
    let (code, out, _) = baocao(&[
        "--root",
        s(&root),
        "regime",
        "add",
        "tthc",
        "--library",
        s(&newer),
    ]);
    assert_eq!(code, 0, "{out}");
    assert!(
        out.contains(
            "report-templates/tthc/de-cuong.md.tera: văn phòng chưa sửa: đã cập nhật theo thư viện"
        ),
        "{out}"
    );
    assert!(
        out.contains("report-templates/tthc/regime.toml: đã có và văn phòng đã sửa: giữ nguyên"),
        "{out}"
    );
    let outline = std::fs::read_to_string(root.join("report-templates/tthc/de-cuong.md.tera"));
    assert!(outline.unwrap().contains("Một đoạn mới"));
    assert_eq!(std::fs::read_to_string(&regime).unwrap(), text);
    let (_, out, _) = baocao(&[
        "regime",
        "diff",
        "tthc",
        "--root",
        s(&root),
        "--library",
        s(&newer),
    ]);
    assert!(!out.contains("-- Thư viện đã đổi"), "{out}");
    assert!(out.contains("+receiver = \"99\""), "{out}");
    // An unknown regime is a usage error naming those there are.
    let (code, _, err) = baocao(&["regime", "add", "khong-co", "--root", s(&root)]);
    assert_eq!(code, 2);
    assert!(err.contains("tthc"), "{err}");
}

/// The samples' regimes are the library's under the province's settings: `regime diff` shows
/// the settings file alone as the office's.
#[test]
fn the_samples_change_the_library_only_by_their_settings() {
    for id in ["cbcc", "ktxh", "ntm", "tcd", "tthc"] {
        let (code, out, err) = baocao(&["regime", "diff", id, "--root", s(&samples())]);
        assert_eq!(code, 0, "{err}");
        let files: Vec<&str> = out.lines().filter_map(|l| l.strip_prefix("== ")).collect();
        let settings = format!("report-templates/{id}/regime.toml");
        assert!(files.contains(&settings.as_str()), "{id}: {out}");
        assert!(
            files
                .iter()
                .all(|f| *f == settings || f.contains("/ke-hoach-")),
            "{id}: {out}"
        );
    }
}

/// Every library regime, under the samples' settings, gives its blank forms for a period of
/// each of its frequencies: one per reporting unit, each with its table of figures and each
/// list's sheet, read back by calamine.
#[test]
fn every_library_regime_gives_its_forms_for_each_of_its_frequencies() {
    use baocao::period::Frequency;
    use calamine::Reader;
    let config = baocao::catalog::Config::load(&samples()).unwrap();
    assert_eq!(config.regimes.len(), 5);
    let t = tempfile::tempdir().unwrap();
    for r in config.regimes.values() {
        for f in &r.frequencies {
            let period = match f {
                Frequency::Monthly => "2026-10",
                Frequency::Quarterly => "2026-Q3",
                Frequency::HalfYearly => "2026-H1",
                Frequency::NineMonths => "2026-9M",
                Frequency::Yearly => "2026",
            };
            let out = t.path().join(&r.id).join(period);
            let (code, o, err) = baocao(&[
                "--root",
                s(&samples()),
                "form",
                "--regime",
                &r.id,
                "--period",
                period,
                "--out",
                s(&out),
            ]);
            assert_eq!(code, 0, "{} {period}: {o}{err}", r.id);
            let forms: Vec<_> = std::fs::read_dir(&out)
                .unwrap()
                .flatten()
                .filter(|e| e.file_name().to_string_lossy().ends_with(".xlsx"))
                .collect();
            let reporters = config
                .reporting_units(r, r.window(period.parse().unwrap()).to)
                .len();
            assert_eq!(forms.len(), reporters, "{} {period}", r.id);
            let mut wb = calamine::open_workbook_auto(forms[0].path()).unwrap();
            let names = wb.sheet_names();
            assert!(
                names.iter().any(|n| n == "Biểu số liệu"),
                "{} {period}: {names:?}",
                r.id
            );
            for l in &r.lists {
                assert!(
                    names.contains(&l.sheet_name()),
                    "{} {period}: {names:?}",
                    r.id
                );
            }
            assert!(wb.worksheet_range("Biểu số liệu").unwrap().get_size().0 > 10);
        }
    }
}

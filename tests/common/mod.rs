//! Shared helpers of the end-to-end tests: run the binary, read workbooks back.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::Command;

use calamine::{open_workbook_auto, Data, Reader};

pub fn samples() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("samples")
}

/// The library of regimes: `report-templates/` and `indicators/` at the repository's top.
pub fn library() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).to_path_buf()
}

/// Runs `baocao` with `args`; returns (exit code, stdout, stderr).
pub fn baocao(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_baocao"))
        .args(args)
        .output()
        .expect("run baocao");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).to_string(),
        String::from_utf8_lossy(&out.stderr).to_string(),
    )
}

pub fn s(p: &Path) -> &str {
    p.to_str().expect("utf-8 path")
}

/// A sheet as rows of cells.
pub fn sheet(path: &Path, name: &str) -> Vec<Vec<Data>> {
    let mut wb = open_workbook_auto(path).expect("open workbook");
    let range = wb.worksheet_range(name).expect("sheet");
    let (r0, c0) = range.start().unwrap_or((0, 0));
    let mut rows = vec![Vec::new(); r0 as usize];
    for row in range.rows() {
        let mut cells = vec![Data::Empty; c0 as usize];
        cells.extend(row.iter().cloned());
        rows.push(cells);
    }
    rows
}

pub fn text(d: &Data) -> String {
    match d {
        Data::String(s) => s.clone(),
        Data::Float(f) => f.to_string(),
        Data::Int(i) => i.to_string(),
        _ => String::new(),
    }
}

pub fn num(d: &Data) -> Option<f64> {
    match d {
        Data::Float(f) => Some(*f),
        Data::Int(i) => Some(*i as f64),
        _ => None,
    }
}

/// Copies a folder tree.
pub fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap().flatten() {
        let p = e.path();
        if p.is_dir() {
            copy_dir(&p, &to.join(e.file_name()));
        } else {
            std::fs::copy(&p, to.join(e.file_name())).unwrap();
        }
    }
}

/// Rows of a CSV file as maps from header to value.
pub fn csv_rows(path: &Path) -> Vec<std::collections::BTreeMap<String, String>> {
    let mut rdr = csv::Reader::from_path(path).unwrap();
    let headers: Vec<String> = rdr.headers().unwrap().iter().map(String::from).collect();
    rdr.records()
        .map(|r| {
            let r = r.unwrap();
            headers
                .iter()
                .cloned()
                .zip(r.iter().map(String::from))
                .collect()
        })
        .collect()
}

/// A copy of the samples' config root (catalog, regimes, units) in `dir`, to be modified: the
/// library's regimes with the samples' settings as the root's own files (`own_regimes`).
pub fn copy_samples_root(dir: &Path) {
    copy_dir(
        &samples().join("report-templates"),
        &dir.join("report-templates"),
    );
    std::fs::copy(samples().join("library.toml"), dir.join("library.toml")).unwrap();
    std::fs::copy(samples().join("units.toml"), dir.join("units.toml")).unwrap();
    own_regimes(dir);
}

/// Turns a root that reads the library (`library.toml`, each regime's settings in its
/// `regime.toml`) into one that holds everything itself, as `regime add` leaves it with the
/// settings made: the library's catalogs copied, each regime's files copied, its
/// `regime.toml` the library's text with the settings' lines in place of the library's (the
/// same config, checked against the loader's own laying over; a test edits it as text).
pub fn own_regimes(root: &Path) {
    copy_dir(&library().join("indicators"), &root.join("indicators"));
    for e in std::fs::read_dir(root.join("report-templates"))
        .unwrap()
        .flatten()
    {
        let id = e.file_name().to_string_lossy().to_string();
        let lib = library().join("report-templates").join(&id);
        if !lib.is_dir() {
            continue;
        }
        for f in std::fs::read_dir(&lib).unwrap().flatten() {
            let to = e.path().join(f.file_name());
            if f.file_name() != "regime.toml" && !to.exists() {
                std::fs::copy(f.path(), to).unwrap();
            }
        }
        let base = std::fs::read_to_string(lib.join("regime.toml")).unwrap();
        let settings = std::fs::read_to_string(e.path().join("regime.toml")).unwrap();
        let text = with_settings(&base, &settings);
        let mut want: toml::Table = toml::from_str(&base).unwrap();
        baocao::catalog::library::merge(&mut want, toml::from_str(&settings).unwrap());
        let got: toml::Table = toml::from_str(&text).unwrap_or_else(|e| panic!("{e}\n{text}"));
        assert_eq!(got, want, "{id}: {text}");
        std::fs::write(e.path().join("regime.toml"), text).unwrap();
    }
    std::fs::remove_file(root.join("library.toml")).unwrap();
}

/// A library regime's text with a root's settings in it: each top-level `key = value` of the
/// settings in place of the library's line (or after the library's last top-level key), the
/// settings' `[[deadline]]` blocks in place of the library's.
fn with_settings(base: &str, settings: &str) -> String {
    let key = |l: &str| {
        l.split_once(" = ")
            .map(|(k, _)| k.trim().to_string())
            .filter(|k| !k.starts_with('#') && !k.starts_with('[') && !k.contains(' '))
    };
    let first_header = |t: &str| {
        t.lines()
            .position(|l| l.starts_with('['))
            .unwrap_or(usize::MAX)
    };
    let mut set: Vec<(String, &str)> = settings
        .lines()
        .take(first_header(settings))
        .filter_map(|l| key(l).map(|k| (k, l)))
        .collect();
    let blocks = |t: &str| -> Vec<String> { t.split("\n\n").map(str::to_string).collect() };
    let deadlines: Vec<String> = blocks(settings)
        .into_iter()
        .filter(|b| b.contains("[[deadline]]"))
        .collect();
    let mut out: Vec<String> = Vec::new();
    let mut placed = false;
    for b in blocks(base) {
        if b.contains("[[deadline]]") {
            if !placed && !deadlines.is_empty() {
                out.extend(deadlines.iter().cloned());
                placed = true;
            }
            continue;
        }
        if b.lines().any(|l| l.starts_with('[')) {
            out.push(b);
            continue;
        }
        let mut lines: Vec<String> = Vec::new();
        for l in b.lines() {
            match key(l).and_then(|k| set.iter().position(|(s, _)| *s == k)) {
                Some(i) => lines.push(set.remove(i).1.to_string()),
                None => lines.push(l.to_string()),
            }
        }
        if b.lines().any(|l| l.starts_with("id = ")) {
            lines.extend(set.drain(..).map(|(_, l)| l.to_string()));
        }
        out.push(lines.join("\n"));
    }
    if !placed {
        out.extend(deadlines);
    }
    out.join("\n\n")
}

/// A copy of the samples' config root with its calendar (the province's own day off) in
/// `dir/root`, without the history store; returns the root.
pub fn sample_root(dir: &Path) -> PathBuf {
    let root = dir.join("root");
    copy_samples_root(&root);
    std::fs::copy(samples().join("calendar.toml"), root.join("calendar.toml")).unwrap();
    root
}

/// The generator's plausible figures of `unit` for `period`, as cells of a form.
pub fn generated_fill(
    config: &baocao::catalog::Config,
    regime: &baocao::catalog::Regime,
    unit: &baocao::catalog::Unit,
    period: baocao::period::Period,
) -> baocao::render::Fill {
    let mut fill = baocao::render::Fill::default();
    for ((code, col), v) in baocao::synth::unit_values(config, regime, unit, period) {
        fill.values
            .insert((code, col), baocao::render::form::CellValue::Number(v));
    }
    fill
}

/// (file, code) of each diagnostic of a `check --format json` document.
pub fn file_codes(v: &serde_json::Value) -> Vec<(String, String)> {
    v["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            (
                d["file"].as_str().unwrap().to_string(),
                d["code"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

/// Writes filled forms of `units` (codes) for `regime` and `period` into `inbox`, all
/// received on 2026-10-15.
pub fn fill_inbox_of(
    config: &baocao::catalog::Config,
    regime: &str,
    period: &str,
    units: &[&str],
    inbox: &Path,
) {
    let regime = config.regime(regime).unwrap();
    let period: baocao::period::Period = period.parse().unwrap();
    std::fs::create_dir_all(inbox).unwrap();
    let mut log = String::from("file,received_at\n");
    for code in units {
        let unit = config.units.get(code).unwrap();
        let fill = if regime.is_matrix() {
            let mut fill = baocao::render::Fill::default();
            for (k, v) in baocao::synth::matrix_values(config, unit, period) {
                fill.values
                    .insert(k, baocao::render::form::CellValue::Number(v));
            }
            fill.lists = baocao::synth::list_rows(config, regime, unit, period);
            fill
        } else {
            generated_fill(config, regime, unit, period)
        };
        let name = baocao::render::form_file_name(unit, period);
        std::fs::write(
            inbox.join(&name),
            baocao::render::unit_form(config, regime, period, unit, Some(&fill)).unwrap(),
        )
        .unwrap();
        log.push_str(&format!("{name},2026-10-15T08:00\n"));
    }
    std::fs::write(inbox.join("nhan.csv"), log).unwrap();
}

/// A config root from the samples' catalog with its own unit tree and reporters (for every
/// regime).
pub fn make_root(
    dir: &Path,
    units: &str,
    receiver: &str,
    reporter_levels: &str,
) -> baocao::catalog::Config {
    copy_dir(
        &samples().join("report-templates"),
        &dir.join("report-templates"),
    );
    std::fs::copy(samples().join("library.toml"), dir.join("library.toml")).unwrap();
    own_regimes(dir);
    // The samples' plan files name the samples' province.
    for plan in [
        "ke-hoach-2026.csv",
        "ke-hoach-tw-2026.csv",
        "ke-hoach-tinh-2026.csv",
    ] {
        let _ = std::fs::remove_file(dir.join("report-templates/ktxh").join(plan));
    }
    // The tcd regime's reporters name the samples' unit kinds (phường, đặc khu), which this
    // tree does not have.
    std::fs::remove_dir_all(dir.join("report-templates/tcd")).unwrap();
    // So do the ntm regime's (communes of kind "xa" under the samples' province).
    std::fs::remove_dir_all(dir.join("report-templates/ntm")).unwrap();
    let mut toml = String::from("[[level]]\nname = \"tinh\"\nlabel = \"Tỉnh\"\n[[level]]\nname = \"huyen\"\nlabel = \"Huyện\"\n[[level]]\nname = \"xa\"\nlabel = \"Xã\"\n[[level]]\nname = \"so\"\nlabel = \"Sở\"\n");
    toml.push_str(units);
    // Owners named by the catalog.
    for code in [
        "STC", "SCT", "SNNMT", "SXD", "SKHCN", "SNV", "SVHTTDL", "SGDDT", "SYT", "CAT",
    ] {
        toml.push_str(&format!("[[unit]]\ncode = \"{code}\"\nname = \"Sở {code}\"\nlevel = \"so\"\nkind = \"so\"\nparent = \"{receiver}\"\n"));
    }
    std::fs::write(dir.join("units.toml"), toml).unwrap();
    for id in ["ktxh", "tthc", "cbcc"] {
        let p = dir.join("report-templates").join(id).join("regime.toml");
        let regime = std::fs::read_to_string(&p)
            .unwrap()
            .replace("receiver = \"99\"", &format!("receiver = \"{receiver}\""))
            .replace(
                "reporters = { levels = [\"xa\", \"so\"] }",
                &format!("reporters = {{ levels = {reporter_levels} }}"),
            )
            .replace(
                "levels = [\"xa\", \"so\"]\nrule",
                "levels = [\"xa\", \"so\", \"huyen\"]\nrule",
            );
        std::fs::write(&p, regime).unwrap();
    }
    baocao::catalog::Config::load(dir).unwrap_or_else(|e| panic!("{e}"))
}

pub fn unit(code: &str, name: &str, level: &str, parent: Option<&str>) -> String {
    let parent = parent
        .map(|p| format!("parent = \"{p}\"\n"))
        .unwrap_or_default();
    format!("[[unit]]\ncode = \"{code}\"\nname = \"{name}\"\nlevel = \"{level}\"\nkind = \"{level}\"\n{parent}")
}

/// Whether the command `probe` runs and succeeds (a tool a test needs is installed). Under CI
/// (`CI` set, where `.ci/run` installs it) a missing tool fails the test; elsewhere the test
/// says so and is skipped.
pub fn tool_or_skip(probe: &[&str], what: &str) -> bool {
    let ok = Command::new(probe[0])
        .args(&probe[1..])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .status()
        .map(|s| s.success())
        .unwrap_or(false);
    if !ok {
        if std::env::var_os("CI").is_some() {
            panic!("CI must install {what} (.ci/run)");
        }
        eprintln!("{what} không có trên máy này: bỏ qua phần kiểm tra cần nó");
    }
    ok
}

/// Runs a command; returns (success, stdout and stderr together).
pub fn command(program: &str, args: &[&str]) -> (bool, String) {
    let out = Command::new(program)
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("run {program}: {e}"));
    (
        out.status.success(),
        format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ),
    )
}

/// The xlsx `bytes` with each part passed through `edit(name, part)`.
pub fn rezip(bytes: &[u8], edit: &dyn Fn(&str, Vec<u8>) -> Vec<u8>) -> Vec<u8> {
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(bytes)).unwrap();
    let mut out = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    for i in 0..zip.len() {
        let mut part = zip.by_index(i).unwrap();
        let name = part.name().unwrap().to_string();
        let mut data = Vec::new();
        std::io::Read::read_to_end(&mut part, &mut data).unwrap();
        out.start_file(&name, zip::write::SimpleFileOptions::default())
            .unwrap();
        std::io::Write::write_all(&mut out, &edit(&name, data)).unwrap();
    }
    out.finish().unwrap().into_inner()
}

pub fn sheet_edit(f: impl Fn(String) -> String) -> impl Fn(&str, Vec<u8>) -> Vec<u8> {
    move |name, data| {
        if name == "xl/worksheets/sheet1.xml" {
            f(String::from_utf8(data).unwrap()).into_bytes()
        } else {
            data
        }
    }
}

/// A zip of the given (name, text) parts.
pub fn zip_of(parts: &[(&str, &str)]) -> Vec<u8> {
    let mut out = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    for (name, text) in parts {
        out.start_file(*name, zip::write::SimpleFileOptions::default())
            .unwrap();
        std::io::Write::write_all(&mut out, text.as_bytes()).unwrap();
    }
    out.finish().unwrap().into_inner()
}

/// Runs `baocao` under a 4 GiB address-space cap (an input that made it allocate more would
/// abort it, which this reports), killed after `limit` (a hang fails the test); output goes
/// to files, as a pipe nobody reads would block a talkative child. Returns (exit code,
/// stdout, stderr); a panic or a death by signal fails the test.
pub fn bounded(args: &[&str], limit: std::time::Duration) -> (i32, String, String) {
    let dir = tempfile::tempdir().unwrap();
    let (out, err) = (dir.path().join("out"), dir.path().join("err"));
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_baocao"));
    cmd.args(args)
        .stdout(std::fs::File::create(&out).unwrap())
        .stderr(std::fs::File::create(&err).unwrap());
    // SAFETY: setrlimit is async-signal-safe; nothing else runs between fork and exec.
    unsafe {
        std::os::unix::process::CommandExt::pre_exec(&mut cmd, || {
            let cap = rustix::process::Rlimit {
                current: Some(4 << 30),
                maximum: Some(4 << 30),
            };
            rustix::process::setrlimit(rustix::process::Resource::As, cap)
                .map_err(std::io::Error::from)
        });
    }
    let mut child = cmd.spawn().unwrap();
    let start = std::time::Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if start.elapsed() > limit {
            child.kill().unwrap();
            panic!("baocao {args:?} hung for more than {limit:?}");
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    };
    let (out, err) = (
        std::fs::read_to_string(out).unwrap(),
        std::fs::read_to_string(err).unwrap(),
    );
    assert!(!err.contains("panicked"), "a panic: {err}");
    assert!(
        status.code().is_some(),
        "killed by a signal (abort?): {status:?} {err}"
    );
    (status.code().unwrap(), out, err)
}

/// `check --format json` of the sample regime's October (as of 22/11/2026) on `path`, under
/// `bounded`; the parsed report.
pub fn check_october(root: &Path, path: &Path) -> serde_json::Value {
    let (_, out, err) = bounded(
        &[
            "--root",
            s(root),
            "check",
            "--regime",
            "ktxh",
            "--period",
            "2026-10",
            "--as-of",
            "2026-11-22",
            "--format",
            "json",
            s(path),
        ],
        std::time::Duration::from_secs(120),
    );
    serde_json::from_str(&out).unwrap_or_else(|e| panic!("{e}: {err}"))
}

/// `run` of the sample regime's October (as of 22/11/2026, no history) from `inbox` into
/// `out`, under `bounded`; it finishes with findings (exit 1). Returns the period's folder.
pub fn run_october(root: &Path, inbox: &Path, out: &Path) -> PathBuf {
    let (code, said, err) = bounded(
        &[
            "--root",
            s(root),
            "run",
            "--regime",
            "ktxh",
            "--period",
            "2026-10",
            "--inbox",
            s(inbox),
            "--out",
            s(out),
            "--as-of",
            "2026-11-22",
            "--no-history",
            "-q",
        ],
        std::time::Duration::from_secs(120),
    );
    assert_eq!(code, 1, "finished with findings: {said}{err}");
    out.join("ktxh/2026-10")
}

/// A cell's style as a reader sees it: its fill colour (ARGB, empty when none) and its number
/// format's code (empty for the general format).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CellStyle {
    pub fill: String,
    pub number_format: String,
}

/// The style of each cell of a workbook's sheet (1-based, in workbook order), by its
/// reference, from the sheet's XML and the workbook's cell formats.
pub fn cell_styles(path: &Path, sheet: usize) -> std::collections::BTreeMap<String, CellStyle> {
    let styles = zip_part(path, "xl/styles.xml");
    let xml = zip_part(path, &format!("xl/worksheets/sheet{sheet}.xml"));
    // An attribute of the tag whose text after its name is given.
    let attr = |tag: &str, name: &str| -> Option<String> {
        let tag = format!(" {tag}");
        let at = tag.find(&format!(" {name}=\""))? + name.len() + 3;
        Some(tag[at..at + tag[at..].find('"')?].to_string())
    };
    let section = |name: &str| {
        let Some(from) = styles.find(&format!("<{name} ")) else {
            return String::new();
        };
        let to = styles[from..].find(&format!("</{name}>")).unwrap();
        styles[from..from + to].to_string()
    };
    let fills: Vec<String> = section("fills")
        .split("<fill>")
        .skip(1)
        .map(|f| {
            f.split("<fgColor ")
                .nth(1)
                .and_then(|c| attr(c, "rgb"))
                .unwrap_or_default()
        })
        .collect();
    // The workbook's own number formats by id (the built-in ones used here: 0, general).
    let codes: std::collections::BTreeMap<String, String> = section("numFmts")
        .split("<numFmt ")
        .skip(1)
        .map(|n| (attr(n, "numFmtId").unwrap(), attr(n, "formatCode").unwrap()))
        .collect();
    let xfs: Vec<CellStyle> = section("cellXfs")
        .split("<xf ")
        .skip(1)
        .map(|x| CellStyle {
            fill: fills[attr(x, "fillId").map_or(0, |f| f.parse().unwrap())].clone(),
            number_format: attr(x, "numFmtId")
                .and_then(|id| codes.get(&id).cloned())
                .unwrap_or_default(),
        })
        .collect();
    xml.split("<c ")
        .skip(1)
        .map(|c| {
            let tag = &c[..c.find('>').unwrap()];
            let xf = attr(tag, "s").map_or(0, |s| s.parse::<usize>().unwrap());
            (attr(tag, "r").unwrap(), xfs[xf].clone())
        })
        .collect()
}

/// One part of a zip package (xlsx, docx), as text.
pub fn zip_part(path: &Path, name: &str) -> String {
    let mut z = zip::ZipArchive::new(std::fs::File::open(path).unwrap()).unwrap();
    let mut s = String::new();
    std::io::Read::read_to_string(&mut z.by_name(name).unwrap(), &mut s).unwrap();
    s
}

/// A synthetic province of `units` communes with one filled form each for `period`
/// (`baocao synth bench`): `out/root` and `out/inbox`.
pub fn synth_bench(regime: &str, units: usize, period: &str, out: &Path) {
    let (code, _, err) = baocao(&[
        "--root",
        s(&samples()),
        "synth",
        "bench",
        "--regime",
        regime,
        "--units",
        &units.to_string(),
        "--period",
        period,
        "--out",
        s(out),
    ]);
    assert_eq!(code, 0, "{err}");
}

/// The diagnostics listed on the "Chẩn đoán" sheet of a tong-hop.xlsx (after its summary by
/// code): code, file and message of each.
pub fn diagnostics(xlsx: &Path) -> Vec<(String, String, String)> {
    diagnostics_with_cells(xlsx)
        .into_iter()
        .map(|[code, _, file, _, _, message]| (code, file, message))
        .collect()
}

/// The "Chẩn đoán" sheet's list: (code, severity, file, sheet, cell, message).
pub fn diagnostics_with_cells(xlsx: &Path) -> Vec<[String; 6]> {
    let rows = sheet(xlsx, "Chẩn đoán");
    let list = rows
        .iter()
        .position(|r| r.len() > 2 && text(&r[2]) == "Tệp")
        .expect("the list's header");
    rows.iter()
        .skip(list + 1)
        .map(|r| std::array::from_fn(|i| r.get(i).map(text).unwrap_or_default()))
        .collect()
}

/// The text of a docx's document.xml, tags removed.
#[allow(dead_code)]
pub fn docx_text(path: &Path) -> String {
    let file = std::fs::File::open(path).unwrap();
    let mut zip = zip::ZipArchive::new(file).unwrap();
    let mut xml = String::new();
    std::io::Read::read_to_string(&mut zip.by_name("word/document.xml").unwrap(), &mut xml)
        .unwrap();
    let mut out = String::new();
    let mut inside = false;
    for ch in xml.chars() {
        match ch {
            '<' => inside = true,
            '>' => inside = false,
            c if !inside => out.push(c),
            _ => {}
        }
    }
    out
}

/// `run --due` on `today` without history, the samples' inbox layout under `inbox`: the
/// arguments every `run --due` test starts with.
pub fn due_args(root: &Path, inbox: &Path, out: &Path, today: &str) -> Vec<String> {
    [
        "--root",
        s(root),
        "run",
        "--due",
        "--today",
        today,
        "--inbox",
        s(inbox),
        "--out",
        s(out),
        "--no-history",
    ]
    .map(String::from)
    .to_vec()
}

//! The config root: units, indicator catalogs, regimes, calendar and plans.
//!
//! Owns loading and checking. `Config::load` reads everything under a config root and returns
//! either a checked `Config` or every problem found, each with its file and key, so that an
//! officer fixes them all in one pass. Nothing else reads config files.

mod answers;
pub mod condition;
mod dimensions;
pub mod formula;
mod indicators;
pub mod layout;
pub mod library;
pub mod lint;
pub mod lists;
pub mod office;
mod regime;
pub mod todo;
mod units;

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::path::{Path, PathBuf};

pub use condition::{Cmp, Condition};
pub use dimensions::{combinations, identities, DimOption, Dimension};
pub use formula::{Formula, NoValue};
pub use indicators::{
    Aggregation, AnswerOptions, AnswerReading, Derived, DerivedOp, Indicator, ValueType,
    MAX_DECIMALS, REPORTING_UNITS,
};
pub use layout::{is_total_label, item_label, BodyCell, LayoutColumn, LayoutRow, MatrixLayout};
pub use regime::{
    Comparison, CrossRule, Form, InputColumn, LevelDeadline, Matrix, MatrixColumn, MatrixRow,
    Numbering, PlanBaseline, Regime, Reporters, Section, TaskSection, UnitTable, UnitTableColumn,
};
pub use units::{Level, Unit, UnitTree};

use crate::model::Disagg;
use crate::period::Period;
use crate::schedule::{periods_of_year, CalendarFile, WorkCalendar};

/// One problem in the config root.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct ConfigProblem {
    /// Path relative to the config root.
    pub file: String,
    /// The key or entry at fault, e.g. `unit[3] (99003).parent`.
    pub key: String,
    pub message: String,
}

impl fmt::Display for ConfigProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.key.is_empty() {
            write!(f, "{}: {}", self.file, self.message)
        } else {
            write!(f, "{} › {}: {}", self.file, self.key, self.message)
        }
    }
}

/// Every problem found while loading a config root.
#[derive(Debug, Clone)]
pub struct ConfigErrors(pub Vec<ConfigProblem>);

impl fmt::Display for ConfigErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "Cấu hình có {} lỗi:", self.0.len())?;
        for p in &self.0 {
            writeln!(f, "  - {p}")?;
        }
        Ok(())
    }
}

impl std::error::Error for ConfigErrors {}

/// Annual plan figures (kế hoạch năm) of one regime and year: (unit, indicator) → value.
pub type Plan = BTreeMap<(String, String), f64>;

/// A loaded, checked config root.
#[derive(Debug, Clone)]
pub struct Config {
    pub root: PathBuf,
    /// The library of regimes the root reads (`library.toml`), if any.
    pub library: Option<library::Library>,
    pub units: UnitTree,
    /// Indicators by code.
    pub indicators: BTreeMap<String, Indicator>,
    /// Dimensions (phân tổ) by code.
    pub dimensions: BTreeMap<String, Dimension>,
    /// Resolved matrix layouts, by regime id (regimes with a `[form.matrix]`).
    pub layouts: BTreeMap<String, MatrixLayout>,
    pub regimes: BTreeMap<String, Regime>,
    /// Outline template text per regime id.
    pub outlines: BTreeMap<String, String>,
    /// Plans per (regime id, year).
    pub plans: BTreeMap<(String, i32), Plan>,
    /// Further plan baselines per (regime id, baseline key, year) (`ke-hoach-<key>-<year>.csv`).
    pub baselines: BTreeMap<(String, String, i32), Plan>,
    pub calendar: WorkCalendar,
    /// Unit reorganizations: old units → the unit that succeeded them (`succession.toml`).
    pub successions: Vec<Succession>,
    /// The denominator of the tasks' on-time rate (`tasks.toml`: `on_time_rate`).
    pub task_rate: crate::tasks::OnTimeRate,
    /// How large an input may be (`limits.toml`; defaults otherwise).
    pub limits: crate::model::Limits,
    /// Traps found in a config that loads (`check-config` lists them).
    pub warnings: Vec<ConfigProblem>,
}

/// `tasks.toml`: settings of task tracking.
#[derive(Debug, Default, serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct TaskSettingsFile {
    #[serde(default)]
    on_time_rate: crate::tasks::OnTimeRate,
}

/// Units merged into one (the 2025 mergers): the new unit's figures for periods before the
/// merger are the sum of its predecessors' (for summed indicators).
#[derive(Debug, Clone, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Succession {
    pub new: String,
    pub old: Vec<String>,
    #[serde(deserialize_with = "crate::schedule::toml_date::required")]
    pub date: chrono::NaiveDate,
    #[serde(default)]
    pub note: Option<String>,
}

#[derive(Debug, Default, serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct SuccessionFile {
    #[serde(default)]
    succession: Vec<Succession>,
}

struct Loader {
    root: PathBuf,
    /// The library the root reads (its `library.toml`): a file the root lacks is read there.
    library: Option<library::Library>,
    /// The library's catalogs the root's regimes need (`office::regime_files`): only those
    /// are read, not the catalogs of regimes the office does not use.
    needed: BTreeSet<String>,
    problems: Vec<ConfigProblem>,
    warnings: Vec<ConfigProblem>,
    /// units.toml is missing or does not parse.
    units_unread: bool,
}

impl Loader {
    /// A loader of the config root `root`, nothing read yet.
    fn new(root: &Path) -> Loader {
        Loader {
            root: root.to_path_buf(),
            library: None,
            needed: BTreeSet::new(),
            problems: Vec::new(),
            warnings: Vec::new(),
            units_unread: false,
        }
    }

    fn warn(&mut self, file: &str, key: impl Into<String>, message: impl Into<String>) {
        self.warnings.push(ConfigProblem {
            file: file.to_string(),
            key: key.into(),
            message: message.into(),
        });
    }

    /// A trap found by `lint`: an error or a warning.
    fn finding(&mut self, file: &str, f: lint::Finding) {
        if f.error {
            self.problem(file, f.key, f.message);
        } else {
            self.warn(file, f.key, f.message);
        }
    }

    fn problem(&mut self, file: &str, key: impl Into<String>, message: impl Into<String>) {
        self.problems.push(ConfigProblem {
            file: file.to_string(),
            key: key.into(),
            message: message.into(),
        });
    }

    fn read(&mut self, rel: &str) -> Option<String> {
        if let Some(bytes) = self.library_file(rel) {
            return Some(String::from_utf8_lossy(&bytes).into_owned());
        }
        match std::fs::read_to_string(self.root.join(rel)) {
            Ok(text) => Some(text),
            Err(e) => {
                self.problem(
                    rel,
                    "",
                    match e.kind() {
                        std::io::ErrorKind::NotFound => "không có tệp này".to_string(),
                        _ => format!("không đọc được tệp: {}", crate::fault::reason(&e)),
                    },
                );
                None
            }
        }
    }

    /// A file the root has not, read from its library.
    fn library_file(&self, rel: &str) -> Option<Vec<u8>> {
        let lib = self.library.as_ref()?;
        if self.root.join(rel).exists() {
            return None;
        }
        lib.read(rel)
    }

    /// A regime's `regime.toml`: the root's, laid over the library's where the root reads a
    /// library that has the regime (`library::merge`: the root's file holds its settings).
    fn parse_regime(&mut self, rel: &str) -> Option<Regime> {
        let base = self.library.as_ref().and_then(|l| l.read(rel));
        let (Some(base), true) = (base, self.root.join(rel).is_file()) else {
            return self.parse(rel);
        };
        let lib_rel = format!(
            "{rel} ({})",
            self.library
                .as_ref()
                .map(|l| l.describe())
                .unwrap_or_default()
        );
        let base = String::from_utf8_lossy(&base).into_owned();
        let mut table = self.parse_text::<toml::Table>(&lib_rel, &base)?;
        let over = self.parse::<toml::Table>(rel)?;
        library::merge(&mut table, over);
        match toml::Value::Table(table).try_into::<Regime>() {
            Ok(r) => Some(r),
            Err(e) => {
                self.problem(rel, "", vietnamese_toml_error(e.message()));
                None
            }
        }
    }

    fn parse<T: serde::de::DeserializeOwned>(&mut self, rel: &str) -> Option<T> {
        let text = self.read(rel)?;
        self.parse_text(rel, &text)
    }

    fn parse_text<T: serde::de::DeserializeOwned>(&mut self, rel: &str, text: &str) -> Option<T> {
        match toml::from_str(text) {
            Ok(v) => Some(v),
            Err(e) => {
                let msg = e.message().to_string();
                let key = match e.span() {
                    Some(span) => {
                        let line = text[..span.start].matches('\n').count() + 1;
                        format!("dòng {line}")
                    }
                    None => String::new(),
                };
                self.problem(rel, key, vietnamese_toml_error(&msg));
                None
            }
        }
    }

    /// Sorted files with extension `ext` directly in `dir` (relative), as relative paths: the
    /// root's and its library's.
    fn list(&self, dir: &str, ext: &str) -> Vec<String> {
        let mut out: Vec<String> = self
            .library
            .iter()
            .flat_map(|l| l.files(dir))
            .filter(|n| n.ends_with(ext))
            .map(|n| format!("{dir}/{n}"))
            .filter(|rel| dir != "indicators" || self.needed.contains(rel))
            .collect();
        if let Ok(rd) = std::fs::read_dir(self.root.join(dir)) {
            for e in rd.flatten() {
                let name = e.file_name().to_string_lossy().to_string();
                if name.ends_with(ext) && e.path().is_file() {
                    out.push(format!("{dir}/{name}"));
                }
            }
        }
        out.sort();
        out.dedup();
        out
    }
}

impl Config {
    /// Loads and checks the config root; on failure returns every problem found.
    pub fn load(root: &Path) -> Result<Config, ConfigErrors> {
        let mut l = Loader::new(root);
        if !root.is_dir() {
            l.problem(
                &root.display().to_string(),
                "",
                "thư mục cấu hình không tồn tại (chỉ định bằng --root)",
            );
            return Err(ConfigErrors(l.problems));
        }
        l.read_library();
        let calendar = l.calendar();
        let (units, level_names) = l.units();
        // Without the units, every level, kind and unit the other files name would be called
        // unknown (a date typed 31/12/2025 gave 93 such lines under the one that mattered):
        // the rest is checked once units.toml reads.
        if l.units_unread {
            l.problem(
                "units.toml",
                "",
                "các tệp cấu hình khác (chỉ tiêu, chế độ báo cáo) chưa được kiểm tra vì chúng dùng danh mục đơn vị: sửa units.toml rồi chạy lại check-config",
            );
            return Err(ConfigErrors(l.problems));
        }
        let cat = l.catalogs(&units, &level_names);
        let regs = l.regimes(&cat, &units, &level_names, &calendar);
        if l.problems.is_empty() {
            l.lint(&cat, &regs, &units, &calendar);
        }
        if !regs.found {
            l.problem(
                "report-templates",
                "",
                "không có chế độ báo cáo nào (report-templates/<mã>/regime.toml)",
            );
        }
        let successions = l.successions(&units);
        let task_rate = l
            .optional::<TaskSettingsFile>("tasks.toml")
            .map(|f| f.on_time_rate)
            .unwrap_or_default();
        let limits = l
            .optional::<crate::model::Limits>("limits.toml")
            .unwrap_or_default();
        l.mark_library_files();
        if !l.problems.is_empty() {
            return Err(ConfigErrors(l.problems));
        }
        Ok(Config {
            library: l.library,
            warnings: l.warnings,
            task_rate,
            limits,
            root: root.to_path_buf(),
            units,
            indicators: cat.indicators,
            dimensions: cat.dimensions,
            layouts: regs.layouts,
            regimes: regs.regimes,
            outlines: regs.outlines,
            plans: regs.plans,
            baselines: regs.baselines,
            calendar,
            successions,
        })
    }

    /// SHA-256 over every config file a run of `regime` reads: `units.toml`, `calendar.toml`,
    /// `succession.toml`, `tasks.toml`, everything under `indicators/` and under `report-templates/<regime>/`
    /// (relative path, size and bytes of each, in path order). Two runs with the same
    /// fingerprint and the same inputs give the same outputs.
    pub fn fingerprint(&self, regime: &str) -> String {
        let mut files: Vec<(String, PathBuf)> = Vec::new();
        for name in [
            "units.toml",
            "calendar.toml",
            "succession.toml",
            "tasks.toml",
            "limits.toml",
        ] {
            let p = self.root.join(name);
            if p.is_file() {
                files.push((name.to_string(), p));
            }
        }
        for dir in [
            "indicators".to_string(),
            format!("report-templates/{regime}"),
        ] {
            files_under(&self.root, &dir, &mut files);
        }
        // The library's files the root reads (those it has not itself), after the root's.
        let mut from_library: Vec<(String, Vec<u8>)> = Vec::new();
        if let Some(lib) = &self.library {
            for dir in [
                "indicators".to_string(),
                format!("report-templates/{regime}"),
            ] {
                for rel in lib.files_under(&dir) {
                    if !files.iter().any(|(r, _)| *r == rel) {
                        from_library.push((rel.clone(), lib.read(&rel).unwrap_or_default()));
                    }
                }
            }
        }
        files.sort();
        let mut all = Vec::new();
        let own = files
            .into_iter()
            .map(|(rel, path)| (rel, std::fs::read(&path).unwrap_or_default()));
        for (rel, bytes) in own.chain(from_library) {
            all.extend_from_slice(rel.as_bytes());
            all.push(0);
            all.extend_from_slice(bytes.len().to_string().as_bytes());
            all.push(0);
            all.extend_from_slice(&bytes);
        }
        crate::hash::sha256_hex(&all)
    }

    /// The unit that succeeded `old`, if a succession names it.
    pub fn successor(&self, old: &str) -> Option<&Succession> {
        self.successions
            .iter()
            .find(|s| s.old.iter().any(|o| o == old))
    }

    pub fn regime(&self, id: &str) -> Option<&Regime> {
        self.regimes.get(id)
    }

    pub fn indicator(&self, code: &str) -> Option<&Indicator> {
        self.indicators.get(code)
    }

    /// The indicator of a cell key (`TT01` or `TT01[nguon=truc_tuyen]`).
    pub fn indicator_of_key(&self, key: &str) -> Option<&Indicator> {
        self.indicators.get(crate::model::indicator_of(key))
    }

    pub fn dimension(&self, code: &str) -> Option<&Dimension> {
        self.dimensions.get(code)
    }

    /// The cells of an indicator: its total, then every option combination of each declared
    /// disaggregation, in the order declared (no cell twice).
    pub fn cells_of(&self, ind: &Indicator) -> Vec<Disagg> {
        let mut out = vec![Disagg::default()];
        for set in &ind.disaggregations {
            let dims: Vec<&Dimension> = set.iter().filter_map(|d| self.dimension(d)).collect();
            for d in combinations(&dims) {
                if !out.contains(&d) {
                    out.push(d);
                }
            }
        }
        out
    }

    /// A cell's name for tables: "Số hồ sơ nhận giải quyết — Hộ tịch, Trực tuyến".
    pub fn cell_name(&self, ind: &Indicator, disagg: &Disagg) -> String {
        if disagg.is_total() {
            return ind.name.clone();
        }
        let opts: Vec<&str> = disagg
            .0
            .iter()
            .map(|(d, o)| {
                self.dimension(d)
                    .and_then(|x| x.option(o))
                    .map(|x| x.name.as_str())
                    .unwrap_or(o)
            })
            .collect();
        format!("{} — {}", ind.name, opts.join(", "))
    }

    /// A cell for messages: `TT01 "Số hồ sơ nhận" (Lĩnh vực: Hộ tịch; Nguồn: Trực tuyến)`.
    pub fn describe_cell(&self, code: &str, disagg: &Disagg) -> String {
        let name = self.indicator(code).map(|i| i.name.as_str()).unwrap_or("");
        let mut out = format!("{code} \"{name}\"");
        if !disagg.is_total() {
            let parts: Vec<String> = disagg
                .0
                .iter()
                .map(|(d, o)| match self.dimension(d) {
                    Some(dim) => format!(
                        "{}: {}",
                        dim.name,
                        dim.option(o).map(|x| x.name.as_str()).unwrap_or(o)
                    ),
                    None => format!("{d}: {o}"),
                })
                .collect();
            out.push_str(&format!(" ({})", parts.join("; ")));
        }
        out
    }

    /// Whether `disagg` is a cell of indicator `code`: its dimensions are exactly one of the
    /// indicator's disaggregations and every option exists. The error is a Vietnamese sentence.
    pub fn check_cell(&self, code: &str, disagg: &Disagg) -> Result<(), String> {
        check_cell_in(&self.indicators, &self.dimensions, code, disagg)
    }

    /// The units that report under `regime`, in config order: units below the receiver at the
    /// regime's reporting levels (and kinds), valid on `date`.
    pub fn reporting_units(&self, regime: &Regime, date: chrono::NaiveDate) -> Vec<&Unit> {
        let below: BTreeSet<String> = self.units.subtree(&regime.receiver).into_iter().collect();
        self.units
            .iter()
            .filter(|u| u.code != regime.receiver && below.contains(&u.code))
            .filter(|u| regime.reporters.levels.contains(&u.level))
            .filter(|u| {
                regime.reporters.kinds.is_empty() || regime.reporters.kinds.contains(&u.kind)
            })
            .filter(|u| u.is_valid_on(date))
            .filter(|u| {
                regime.reporters.units.contains(&u.code) || self.asks_anything_of(regime, u)
            })
            .collect()
    }

    /// Why `unit` cannot report `regime`'s `period`: it is not in being on the period's last
    /// day of data (`valid_from`, `valid_to` in units.toml, as for `reporting_units`), said
    /// with its successor where it was merged. `None` when it is.
    pub fn out_of_being(&self, regime: &Regime, period: Period, unit: &Unit) -> Option<String> {
        let day = regime.window(period).to;
        if unit.is_valid_on(day) {
            return None;
        }
        let this = self.units.label_of(&unit.code);
        Some(match (unit.valid_from, unit.valid_to) {
            (Some(from), _) if day < from => format!(
                "Đơn vị {this} hoạt động từ ngày {} (valid_from trong units.toml), sau kỳ {} ({}, số liệu đến ngày {}): tệp không được tính.\nGửi báo cáo của kỳ này bằng mã của đơn vị đang hoạt động trong kỳ; nếu ngày bắt đầu sai thì sửa valid_from trong units.toml.",
                crate::schedule::vn_date(from),
                period.code(),
                period.label(),
                crate::schedule::vn_date(day),
            ),
            // Not in being on `day` and not yet started: it ended before.
            (_, to) => {
                let to = to.unwrap_or(day);
                let merged = self
                    .successor(&unit.code)
                    .map(|s| format!(", đã sáp nhập vào {} từ ngày {}", self.units.label_of(&s.new), crate::schedule::vn_date(s.date)))
                    .unwrap_or_default();
                format!(
                    "Đơn vị {this} chỉ hoạt động đến hết ngày {} (valid_to trong units.toml){merged}; kỳ {} ({}, số liệu đến ngày {}) không còn đơn vị này: tệp không được tính.\nĐơn vị đang hoạt động báo cáo thay; nếu đơn vị vẫn hoạt động thì sửa valid_to trong units.toml.",
                    crate::schedule::vn_date(to),
                    period.code(),
                    period.label(),
                    crate::schedule::vn_date(day),
                )
            }
        })
    }

    /// Whether the regime's form has at least one input cell for `unit`: an indicator it
    /// reports (its level in `reported_by`, or `reported_by` empty) that is not derived and not
    /// another unit's alone (`owner_only`). A unit the form asks nothing of is not a reporter.
    pub fn asks_anything_of(&self, regime: &Regime, unit: &Unit) -> bool {
        match self.layout(&regime.id) {
            Some(layout) => layout.cells().any(|(_, _, cell)| {
                self.indicators
                    .get(&cell.indicator)
                    .is_some_and(|i| self.unit_reports(regime, i, unit))
            }),
            None => !self.rows_for_unit(regime, unit).is_empty(),
        }
    }

    /// Whether `unit` reports indicator `i` in `regime`: its level (or, for a unit that
    /// consolidates units below it, the level of one of them) is in `reported_by` — which
    /// restricts only where it names a level that reports in the regime (a province's catalog
    /// reused by the level above, where only the districts report, asks them everything) — and
    /// where `owner_only` the owner is the unit or below it.
    pub fn unit_reports(&self, regime: &Regime, i: &Indicator, unit: &Unit) -> bool {
        if i.is_computed() {
            return false;
        }
        let restricts = i
            .reported_by
            .iter()
            .any(|l| regime.reporters.levels.contains(l));
        // A unit with none below it (most units: the communes) is its own subtree.
        let above_others = || !self.units.children(&unit.code).is_empty();
        let level_ok = !restricts
            || i.reported_by.contains(&unit.level)
            || above_others()
                && self
                    .units
                    .any_in_subtree(&unit.code, |u| i.reported_by.contains(&u.level));
        let owner_ok = !i.owner_only
            || i.owner.as_deref() == Some(unit.code.as_str())
            || above_others()
                && i.owner
                    .as_ref()
                    .is_some_and(|o| self.units.is_within(o, &unit.code));
        level_ok && owner_ok
    }

    /// The form rows a unit fills: the regime's rows, without derived indicators, restricted to
    /// indicators reported at the unit's level (and by their owner, where `owner_only`).
    pub fn rows_for_unit<'a>(&'a self, regime: &'a Regime, unit: &Unit) -> Vec<&'a Indicator> {
        regime
            .form_codes()
            .filter_map(|c| self.indicators.get(c))
            .filter(|i| self.unit_reports(regime, i, unit))
            .collect()
    }

    /// The plan of `regime` for `period`'s year, if the config root has one.
    /// A further plan baseline of `regime` for `period`'s year.
    pub fn baseline(&self, regime: &str, key: &str, period: Period) -> Option<&Plan> {
        self.baselines
            .get(&(regime.to_string(), key.to_string(), period.year()))
    }

    pub fn plan(&self, regime: &str, period: Period) -> Option<&Plan> {
        self.plans.get(&(regime.to_string(), period.year()))
    }
}

/// A TOML or field error in Vietnamese: the common ones of serde and toml said in words an
/// officer can act on, the rest with the original text after a Vietnamese lead.
pub fn vietnamese_toml_error(msg: &str) -> String {
    let msg = msg.trim();
    if let Some(rest) = msg.strip_prefix("invalid type: ") {
        if let Some((got, want)) = rest.split_once(", expected ") {
            return format!(
                "sai kiểu giá trị: ghi {} nhưng cần {}",
                toml_kind(got),
                toml_kind(want)
            );
        }
    }
    // serde names the allowed ones as "one of `a`, `b`, `c`", "`a` or `b`" or "`a`".
    let split_known = |rest: &str| -> (String, String) {
        match rest.split_once(", expected ") {
            Some((name, known)) => {
                let known = known.strip_prefix("one of ").unwrap_or(known);
                (name.to_string(), known.replace("` or `", "`, `"))
            }
            None => (rest.to_string(), String::new()),
        }
    };
    if let Some(rest) = msg.strip_prefix("unknown field ") {
        let (field, known) = split_known(rest);
        let field = field
            .split(", there are no fields")
            .next()
            .unwrap_or(&field);
        return if known.is_empty() {
            format!("khóa {field} không có ở đây; xóa hoặc sửa tên khóa")
        } else {
            format!("khóa {field} không có ở đây; các khóa dùng được: {known}")
        };
    }
    if let Some(rest) = msg.strip_prefix("unknown variant ") {
        let (value, known) = split_known(rest);
        return format!("giá trị {value} không hợp lệ; dùng một trong: {known}");
    }
    if let Some(field) = msg.strip_prefix("missing field ") {
        return format!("thiếu khóa bắt buộc {field}");
    }
    if let Some(key) = msg.strip_prefix("duplicate key ") {
        return format!("khóa {key} được khai báo hai lần");
    }
    if let Some(rest) = msg.strip_prefix("invalid value: ") {
        if let Some((got, want)) = rest.split_once(", expected ") {
            return format!(
                "giá trị không hợp lệ: ghi {} nhưng cần {}",
                toml_kind(got),
                toml_kind(want)
            );
        }
    }
    format!("TOML không hợp lệ (sai cú pháp; thông báo gốc: {msg})")
}

/// A serde type name in Vietnamese (`a boolean`, `string "true"`, …); an unknown one as
/// written.
fn toml_kind(t: &str) -> String {
    let t = t.trim();
    let named = [
        ("a boolean", "true hoặc false (không có dấu ngoặc kép)"),
        ("bool", "true hoặc false (không có dấu ngoặc kép)"),
        ("an integer", "một số nguyên"),
        ("integer", "một số nguyên"),
        ("a string", "một chuỗi trong dấu ngoặc kép"),
        ("string", "một chuỗi"),
        ("a sequence", "một danh sách [ … ]"),
        ("sequence", "một danh sách [ … ]"),
        ("a float", "một số"),
        ("f64", "một số"),
        ("floating point", "một số thực"),
        ("a map", "một bảng { … }"),
        ("map", "một bảng { … }"),
    ];
    if let Some((_, vi)) = named.iter().find(|(en, _)| t == *en) {
        return vi.to_string();
    }
    // A kind with the value written: `string "true"`, `integer 5`.
    let valued = [
        ("string ", "chuỗi"),
        ("integer ", "số nguyên"),
        ("floating point ", "số"),
        ("boolean ", "giá trị"),
    ];
    valued
        .iter()
        .find_map(|(en, vi)| t.strip_prefix(en).map(|rest| format!("{vi} {rest}")))
        .unwrap_or_else(|| t.to_string())
}

/// A tera error with its causes, which carry the useful part.
pub fn error_chain(e: &dyn std::error::Error) -> String {
    let mut s = e.to_string();
    let mut cur = e.source();
    while let Some(c) = cur {
        s.push_str(": ");
        s.push_str(&c.to_string());
        cur = c.source();
    }
    s
}

/// `Config::check_cell` before the config is built.
fn check_cell_in(
    indicators: &BTreeMap<String, Indicator>,
    dimensions: &BTreeMap<String, Dimension>,
    code: &str,
    disagg: &Disagg,
) -> Result<(), String> {
    let Some(ind) = indicators.get(code) else {
        return Err(format!("chỉ tiêu \"{code}\" không có trong danh mục"));
    };
    if disagg.is_total() {
        return Ok(());
    }
    for (d, o) in &disagg.0 {
        let Some(dim) = dimensions.get(d) else {
            return Err(format!("phân tổ \"{d}\" không có trong danh mục"));
        };
        if dim.option(o).is_none() {
            return Err(format!(
                "phân tổ \"{}\" ({}) không có phương án \"{o}\"",
                dim.code, dim.name
            ));
        }
    }
    let dims: BTreeSet<&str> = disagg.dims().collect();
    if ind
        .disaggregations
        .iter()
        .any(|set| set.iter().map(String::as_str).collect::<BTreeSet<_>>() == dims)
    {
        Ok(())
    } else {
        Err(format!(
            "chỉ tiêu {code} không được phân tổ theo {}",
            dims.into_iter().collect::<Vec<_>>().join(" × ")
        ))
    }
}

/// The indicator catalogs, read and checked (`Loader::catalogs`).
struct Catalogs {
    indicators: BTreeMap<String, Indicator>,
    /// Where each indicator is declared ("file › key"), for messages.
    defined_in: BTreeMap<String, String>,
    dimensions: BTreeMap<String, Dimension>,
    /// The file each dimension is declared in.
    dimension_files: BTreeMap<String, String>,
    /// A catalog did not parse, or declared a dimension twice: the regimes are not checked
    /// (each reference would be another error, all of them one mistake).
    broken: bool,
}

/// The regimes, read and checked, with what each brings (`Loader::regimes`).
#[derive(Default)]
struct Regimes {
    regimes: BTreeMap<String, Regime>,
    outlines: BTreeMap<String, String>,
    plans: BTreeMap<(String, i32), Plan>,
    baselines: BTreeMap<(String, String, i32), Plan>,
    layouts: BTreeMap<String, MatrixLayout>,
    /// Whether the root has any regime folder (a regime.toml that does not parse is its own
    /// error, not "no regime at all").
    found: bool,
}

/// The steps of `Config::load`, in order.
impl Loader {
    /// The library of regimes the root reads, if it reads one, and the library files its
    /// regimes need.
    fn read_library(&mut self) {
        let root = self.root.clone();
        if !root.join(library::LIBRARY_FILE).is_file() {
            return;
        }
        let Some(file) = self.parse::<library::LibraryFile>(library::LIBRARY_FILE) else {
            return;
        };
        let lib = library::Library::of_root(&root, &file);
        if let library::Library::Folder(p) = &lib {
            if !p.join("report-templates").is_dir() {
                self.problem(
                    library::LIBRARY_FILE,
                    "path",
                    format!("{} không có thư mục report-templates", p.display()),
                );
            }
        }
        if let Ok(rd) = std::fs::read_dir(root.join("report-templates")) {
            for e in rd.flatten() {
                let id = e.file_name().to_string_lossy().to_string();
                self.needed.extend(office::regime_files(&lib, &id));
            }
        }
        self.library = Some(lib);
    }

    /// The working calendar: the built-in holidays and `calendar.toml`'s.
    fn calendar(&mut self) -> WorkCalendar {
        let mut calendar = WorkCalendar::builtin();
        if let Some(file) = self.optional::<CalendarFile>("calendar.toml") {
            for (key, msg) in calendar.extend(&file) {
                self.problem("calendar.toml", key, msg);
            }
        }
        calendar
    }

    /// The unit tree of `units.toml` and its level names; a unit without a kind is of its
    /// level's kind.
    fn units(&mut self) -> (UnitTree, BTreeSet<String>) {
        let units_file: units::UnitsFile = if self.root.join("units.toml").is_file() {
            let parsed = self.parse("units.toml");
            self.units_unread = parsed.is_none();
            parsed.unwrap_or_default()
        } else {
            self.problem("units.toml", "", "thiếu tệp danh mục đơn vị units.toml");
            self.units_unread = true;
            units::UnitsFile::default()
        };
        if !self.units_unread {
            for (key, msg) in units::check_units(&units_file) {
                self.problem("units.toml", key, msg);
            }
        }
        let level_names: BTreeSet<String> =
            units_file.level.iter().map(|x| x.name.clone()).collect();
        let unit_list: Vec<Unit> = units_file
            .unit
            .iter()
            .cloned()
            .map(|mut u| {
                if u.kind.is_empty() {
                    u.kind = u.level.clone();
                }
                u
            })
            .collect();
        (
            UnitTree::new(units_file.level.clone(), unit_list),
            level_names,
        )
    }

    /// The indicator catalogs (`indicators/*.toml`), with the built-in count of reporting
    /// units, checked against the units.
    fn catalogs(&mut self, units: &UnitTree, level_names: &BTreeSet<String>) -> Catalogs {
        let mut cat = Catalogs {
            indicators: BTreeMap::new(),
            defined_in: BTreeMap::new(),
            dimensions: BTreeMap::new(),
            dimension_files: BTreeMap::new(),
            broken: false,
        };
        let files = self.list("indicators", ".toml");
        if files.is_empty() {
            self.problem(
                "indicators",
                "",
                "không có danh mục chỉ tiêu nào (indicators/*.toml)",
            );
        }
        for rel in files {
            let Some(file) = self.parse::<indicators::IndicatorFile>(&rel) else {
                cat.broken = true;
                continue;
            };
            self.catalog_dimensions(&rel, file.dimension, &mut cat);
            self.catalog_indicators(&rel, file.indicator, &mut cat);
        }
        if let Some(place) = cat.defined_in.get(REPORTING_UNITS) {
            let (file, key) = place.split_once(" › ").unwrap_or((place, ""));
            let (file, key) = (file.to_string(), key.to_string());
            self.problem(
                &file,
                format!("{key}.code"),
                format!("mã \"{REPORTING_UNITS}\" dành cho số đơn vị báo cáo (chỉ tiêu có sẵn): đặt mã khác"),
            );
        }
        cat.indicators
            .insert(REPORTING_UNITS.to_string(), Indicator::reporting_units());
        cat.defined_in.insert(
            REPORTING_UNITS.to_string(),
            "(chỉ tiêu có sẵn) › DON_VI_BAO_CAO".to_string(),
        );
        check_indicators(self, &cat.indicators, &cat.defined_in, units, level_names);
        check_disaggregations(self, &mut cat.indicators, &cat.defined_in, &cat.dimensions);
        answers::check(self, &mut cat.indicators, &cat.defined_in, &cat.dimensions);
        cat
    }

    /// One catalog file's dimensions; a code declared twice breaks the catalogs.
    fn catalog_dimensions(&mut self, rel: &str, dims: Vec<Dimension>, cat: &mut Catalogs) {
        for (i, dim) in dims.into_iter().enumerate() {
            if let Some(first) = cat.dimension_files.get(&dim.code) {
                // One code, two dimensions: every cell naming it would be another error.
                let first = first.clone();
                self.problem(
                    rel,
                    format!("[[dimension]] thứ {} ({}).code", i + 1, dim.code),
                    format!(
                        "mã phân tổ \"{}\" trùng, đã khai báo trong {first}: mã phân tổ dùng chung cho mọi chế độ báo cáo của thư mục cấu hình; đặt mã khác (ví dụ thêm tiền tố của chế độ: \"{}_{}\")",
                        dim.code,
                        rel.trim_start_matches("indicators/").trim_end_matches(".toml").replace('-', "_"),
                        dim.code
                    ),
                );
                cat.broken = true;
                continue;
            }
            cat.dimension_files
                .insert(dim.code.clone(), rel.to_string());
            load_dimension(self, rel, i, dim, &mut cat.dimensions);
        }
    }

    /// One catalog file's indicators; a code declared before is an error.
    fn catalog_indicators(&mut self, rel: &str, inds: Vec<Indicator>, cat: &mut Catalogs) {
        for (i, ind) in inds.into_iter().enumerate() {
            let key = format!("[[indicator]] thứ {} ({})", i + 1, ind.code);
            if let Some(first) = cat.defined_in.get(&ind.code) {
                let first = first.clone();
                self.problem(
                    rel,
                    format!("{key}.code"),
                    format!(
                        "mã chỉ tiêu \"{}\" trùng, đã khai báo trong {first}",
                        ind.code
                    ),
                );
                continue;
            }
            cat.defined_in
                .insert(ind.code.clone(), format!("{rel} › {key}"));
            cat.indicators
                .insert(ind.code.clone(), ind.with_normalized_names());
        }
    }

    /// Every regime of `report-templates/`, checked against the catalogs, with its outline,
    /// layout and plans. None is checked when the catalogs are broken.
    fn regimes(
        &mut self,
        cat: &Catalogs,
        units: &UnitTree,
        level_names: &BTreeSet<String>,
        calendar: &WorkCalendar,
    ) -> Regimes {
        let mut out = Regimes::default();
        let mut dirs: Vec<String> = Vec::new();
        if let Ok(rd) = std::fs::read_dir(self.root.join("report-templates")) {
            for e in rd.flatten() {
                if e.path().join("regime.toml").is_file() {
                    dirs.push(e.file_name().to_string_lossy().to_string());
                }
            }
        }
        dirs.sort();
        out.found = !dirs.is_empty();
        if cat.broken && !dirs.is_empty() {
            self.problem(
                "report-templates",
                "",
                "chưa kiểm tra các chế độ báo cáo vì danh mục chỉ tiêu có lỗi ở trên: sửa lỗi đó rồi chạy lại check-config",
            );
            return out;
        }
        for dir in dirs {
            let rel = format!("report-templates/{dir}/regime.toml");
            let Some(mut regime) = self.parse_regime(&rel) else {
                continue;
            };
            parse_conditions(self, &rel, &mut regime, &cat.indicators);
            if regime.id != dir {
                self.problem(
                    &rel,
                    "id",
                    format!(
                        "mã chế độ \"{}\" phải trùng tên thư mục \"{dir}\"",
                        regime.id
                    ),
                );
            }
            check_regime(
                self,
                &rel,
                &regime,
                &cat.indicators,
                units,
                level_names,
                calendar,
            );
            self.regime_cells(&rel, &regime, cat, &mut out.layouts);
            self.outline(&dir, &regime, &mut out.outlines);
            self.plans(&dir, &regime, &cat.indicators, units, &mut out);
            out.regimes.insert(regime.id.clone(), regime);
        }
        out
    }

    /// The cells a regime names beyond its form (rules, lists, the table of units) and its
    /// matrix layout, checked against the catalogs.
    fn regime_cells(
        &mut self,
        rel: &str,
        regime: &Regime,
        cat: &Catalogs,
        layouts: &mut BTreeMap<String, MatrixLayout>,
    ) {
        let (indicators, dimensions) = (&cat.indicators, &cat.dimensions);
        check_rule_cells(self, rel, regime, indicators, dimensions);
        for (key, message) in lists::problems(&regime.lists, dimensions, indicators) {
            self.problem(rel, key, message);
        }
        if let Some(t) = &regime.unit_table {
            for (i, c) in t.columns.iter().enumerate() {
                let checked = crate::model::parse_key(&c.cell)
                    .and_then(|(code, d)| check_cell_in(indicators, dimensions, &code, &d));
                if let Err(e) = checked {
                    self.problem(rel, format!("unit_table.columns[{i}] ({})", c.cell), e);
                }
            }
        }
        if let Some(m) = &regime.form.matrix {
            let cells = |c: &str, d: &Disagg| check_cell_in(indicators, dimensions, c, d);
            match layout::resolve(m, indicators, dimensions, &cells) {
                Ok(lay) => {
                    layouts.insert(regime.id.clone(), lay);
                }
                Err(problems) => {
                    for (key, msg) in problems {
                        self.problem(rel, key, msg);
                    }
                }
            }
        }
    }

    /// The regime's outline, checked as a template.
    fn outline(&mut self, dir: &str, regime: &Regime, outlines: &mut BTreeMap<String, String>) {
        let outline_rel = format!("report-templates/{dir}/{}", regime.outline);
        if let Some(text) = self.read(&outline_rel) {
            let mut tera = tera::Tera::default();
            if let Err(e) = tera.add_raw_template("outline", &text) {
                self.problem(
                    &outline_rel,
                    "",
                    format!("mẫu đề cương không hợp lệ: {}", error_chain(&e)),
                );
            }
            outlines.insert(regime.id.clone(), text);
        }
    }

    /// The regime's plan files: `ke-hoach-<year>.csv` (the annual plan) and
    /// `ke-hoach-<key>-<year>.csv` (a `[[plan]]` baseline).
    fn plans(
        &mut self,
        dir: &str,
        regime: &Regime,
        indicators: &BTreeMap<String, Indicator>,
        units: &UnitTree,
        out: &mut Regimes,
    ) {
        for plan_rel in self.list(&format!("report-templates/{dir}"), ".csv") {
            let fname = plan_rel.rsplit('/').next().unwrap_or_default();
            let Some(stem) = fname
                .strip_prefix("ke-hoach-")
                .and_then(|s| s.strip_suffix(".csv"))
            else {
                continue;
            };
            let (key, year) = match stem.rsplit_once('-') {
                Some((k, y)) => (Some(k), y),
                None => (None, stem),
            };
            let Ok(year) = year.parse::<i32>() else {
                continue;
            };
            match key {
                None => {
                    let plan = load_plan(self, &plan_rel, indicators, units);
                    out.plans.insert((regime.id.clone(), year), plan);
                }
                Some(k) if regime.plan.iter().any(|b| b.key == k) => {
                    let plan = load_plan(self, &plan_rel, indicators, units);
                    out.baselines
                        .insert((regime.id.clone(), k.to_string(), year), plan);
                }
                Some(k) => self.problem(
                    &plan_rel,
                    "",
                    format!("kế hoạch \"{k}\" không được khai báo trong [[plan]] của regime.toml"),
                ),
            }
        }
    }

    /// Traps of a config that loads, once everything it names is known.
    fn lint(&mut self, cat: &Catalogs, regs: &Regimes, units: &UnitTree, calendar: &WorkCalendar) {
        let lint_cat = lint::Catalog {
            indicators: &cat.indicators,
            dimensions: &cat.dimensions,
            defined_in: &cat.defined_in,
        };
        for r in regs.regimes.values() {
            let rel = format!("report-templates/{}/regime.toml", r.id);
            for f in lint::regime(r, regs.layouts.get(&r.id), &lint_cat, units, calendar) {
                self.finding(&rel, f);
            }
        }
        let with_layouts: Vec<(&Regime, Option<&MatrixLayout>)> = regs
            .regimes
            .values()
            .map(|r| (r, regs.layouts.get(&r.id)))
            .collect();
        for (dim, f) in lint::unused_dimensions(&lint_cat, &with_layouts) {
            let rel = cat.dimension_files.get(&dim).cloned().unwrap_or_default();
            self.finding(&rel, f);
        }
    }

    /// `succession.toml`'s unit successions, checked against the units.
    fn successions(&mut self, units: &UnitTree) -> Vec<Succession> {
        let Some(file) = self.optional::<SuccessionFile>("succession.toml") else {
            return Vec::new();
        };
        let mut seen: BTreeMap<String, usize> = BTreeMap::new();
        for (i, s) in file.succession.iter().enumerate() {
            let key = |what: &str| format!("[[succession]] thứ {}, {what}", i + 1);
            if units.get(&s.new).is_none() {
                self.problem(
                    "succession.toml",
                    key("new"),
                    format!("đơn vị \"{}\" không có trong units.toml", s.new),
                );
            }
            if s.old.is_empty() {
                self.problem("succession.toml", key("old"), "cần ít nhất một đơn vị cũ");
            }
            if s.old.contains(&s.new) {
                self.problem(
                    "succession.toml",
                    key("old"),
                    format!(
                        "đơn vị mới \"{}\" cũng có trong old: old chỉ ghi các đơn vị đã sắp xếp vào nó (đơn vị có sẵn nhận thêm đơn vị khác thì chỉ ghi ở new)",
                        s.new
                    ),
                );
                continue;
            }
            // The old units' last day, for the advice on valid_to.
            let last_day = s.date.pred_opt().unwrap_or(s.date);
            let new = units.label_of(&s.new);
            let date = crate::schedule::vn_date(s.date);
            for o in &s.old {
                if let Some(first) = seen.insert(o.clone(), i) {
                    self.problem(
                        "succession.toml",
                        key("old"),
                        format!("đơn vị cũ \"{o}\" đã có ở [[succession]] thứ {}", first + 1),
                    );
                }
                match units.get(o) {
                    None => self.warn(
                        "succession.toml",
                        key("old"),
                        format!(
                            "đơn vị cũ \"{o}\" không có trong units.toml: số cộng dồn của nó vẫn chuyển sang {new}, nhưng số không cộng được (bình quân, tỷ lệ…) của các kỳ trước ngày {date} không còn chỗ trong cây đơn vị, nên cùng kỳ năm trước của cấp trên tính không có nó. Giữ đơn vị cũ trong units.toml với valid_to = {}",
                            last_day.format("%Y-%m-%d")
                        ),
                    ),
                    Some(u) if u.valid_to.is_none_or(|t| t >= s.date) => self.warn(
                        "units.toml",
                        format!("[[unit]] {o}, valid_to"),
                        format!(
                            "đơn vị {} ({o}) sáp nhập vào {new} từ ngày {date} (succession.toml) nhưng vẫn hoạt động từ ngày ấy trở đi ({}): nó vẫn bị coi là phải báo cáo và tệp của nó được tính cùng đơn vị mới. Đặt valid_to = {} cho đơn vị {o}",
                            u.name,
                            match u.valid_to {
                                Some(t) => format!("valid_to = {}", t.format("%Y-%m-%d")),
                                None => "chưa có valid_to".to_string(),
                            },
                            last_day.format("%Y-%m-%d")
                        ),
                    ),
                    Some(_) => {}
                }
            }
        }
        file.succession
    }

    /// An optional file of the root, parsed; none when the root has not it (or it does not
    /// parse: a problem).
    fn optional<T: serde::de::DeserializeOwned>(&mut self, rel: &str) -> Option<T> {
        if self.root.join(rel).is_file() {
            self.parse::<T>(rel)
        } else {
            None
        }
    }

    /// A file the root has not is the library's: said so in its problems and warnings.
    fn mark_library_files(&mut self) {
        let Some(lib) = &self.library else {
            return;
        };
        for p in self.problems.iter_mut().chain(self.warnings.iter_mut()) {
            if !self.root.join(&p.file).exists() && lib.has(&p.file) {
                p.file = format!("{} (thư viện)", p.file);
            }
        }
    }
}

/// Checks one `[[dimension]]` entry, reads its option file, and keeps it.
fn load_dimension(
    l: &mut Loader,
    rel: &str,
    i: usize,
    mut dim: Dimension,
    dimensions: &mut BTreeMap<String, Dimension>,
) {
    let key = format!("[[dimension]] thứ {} ({})", i + 1, dim.code);
    if let Err(why) = dimensions::check_code(&dim.code) {
        l.problem(rel, format!("{key}.code"), why);
        return;
    }
    if let Some(file) = dim.options_file.clone() {
        read_options_file(l, rel, &key, &file, &mut dim);
    }
    check_options(l, rel, &key, &dim);
    if dimensions.contains_key(&dim.code) {
        l.problem(
            rel,
            format!("{key}.code"),
            format!("mã phân tổ \"{}\" trùng", dim.code),
        );
        return;
    }
    dimensions.insert(dim.code.clone(), dim);
}

/// The dimension's options from its `options_file` (`indicators/<file>`), which excludes
/// `options`.
fn read_options_file(l: &mut Loader, rel: &str, key: &str, file: &str, dim: &mut Dimension) {
    if !dim.options.is_empty() {
        l.problem(
            rel,
            format!("{key}.options_file"),
            "khai báo options hoặc options_file, không cả hai",
        );
    }
    let opt_rel = format!("indicators/{file}");
    if let Some(text) = l.read(&opt_rel) {
        let (opts, problems) = dimensions::read_options(&text);
        for (line, msg) in problems {
            l.problem(&opt_rel, line, msg);
        }
        dim.options = opts;
    }
}

/// The dimension has options, each code usable in a cell key and not used twice.
fn check_options(l: &mut Loader, rel: &str, key: &str, dim: &Dimension) {
    if dim.options.is_empty() {
        l.problem(
            rel,
            format!("{key}.options"),
            "phân tổ chưa có phương án nào",
        );
    }
    let mut seen = BTreeSet::new();
    for (j, o) in dim.options.iter().enumerate() {
        if o.code.contains(['=', ';', '[', ']', '.']) || o.code.trim().is_empty() {
            l.problem(
                rel,
                format!("{key}, options mục thứ {}", j + 1),
                format!(
                    "mã phương án \"{}\" để trống hoặc có ký tự = ; [ ] .",
                    o.code
                ),
            );
        }
        if !seen.insert(o.code.clone()) {
            l.problem(
                rel,
                format!("{key}, options mục thứ {}", j + 1),
                format!("mã phương án \"{}\" trùng", o.code),
            );
        }
    }
}

/// Checks every indicator's disaggregations and parses its formula.
fn check_disaggregations(
    l: &mut Loader,
    indicators: &mut BTreeMap<String, Indicator>,
    defined_in: &BTreeMap<String, String>,
    dimensions: &BTreeMap<String, Dimension>,
) {
    let known: BTreeMap<String, Vec<Vec<String>>> = indicators
        .iter()
        .map(|(c, i)| (c.clone(), i.disaggregations.clone()))
        .collect();
    for (code, ind) in indicators.iter_mut() {
        let place = defined_in[code].clone();
        let (file, key) = place.split_once(" › ").unwrap_or((&place, ""));
        check_disaggregation_sets(l, file, key, ind, dimensions);
        let Some(text) = ind.formula.clone() else {
            continue;
        };
        if ind.aggregation != Aggregation::Derived || ind.derived.is_some() {
            l.problem(
                file,
                format!("{key}.formula"),
                "formula chỉ dùng với aggregation = \"derived\" và không kèm derived",
            );
        }
        let check = FormulaCheck {
            file,
            key,
            code,
            known: &known,
            dimensions,
        };
        if let Some(f) = check.parse(l, &text) {
            ind.parsed_formula = Some(f);
        }
    }
}

/// An indicator's disaggregations (declared at `file`, `key`): no set empty, each dimension
/// declared and once in its set.
fn check_disaggregation_sets(
    l: &mut Loader,
    file: &str,
    key: &str,
    ind: &Indicator,
    dimensions: &BTreeMap<String, Dimension>,
) {
    for (si, set) in ind.disaggregations.iter().enumerate() {
        let mut seen = BTreeSet::new();
        if set.is_empty() {
            l.problem(
                file,
                format!("{key}.disaggregations[{si}]"),
                "bộ phân tổ rỗng",
            );
        }
        for d in set {
            if !dimensions.contains_key(d) {
                l.problem(
                    file,
                    format!("{key}.disaggregations[{si}]"),
                    format!("phân tổ \"{d}\" không có trong danh mục ([[dimension]])"),
                );
            }
            if !seen.insert(d) {
                l.problem(
                    file,
                    format!("{key}.disaggregations[{si}]"),
                    format!("phân tổ \"{d}\" ghi hai lần trong một bộ"),
                );
            }
        }
    }
}

/// The formula of indicator `code` (declared at `file`, `key`), checked against the
/// catalog's indicators (`known`: their disaggregations) and dimensions.
struct FormulaCheck<'a> {
    file: &'a str,
    key: &'a str,
    code: &'a str,
    known: &'a BTreeMap<String, Vec<Vec<String>>>,
    dimensions: &'a BTreeMap<String, Dimension>,
}

impl FormulaCheck<'_> {
    /// The formula parsed, its references checked (`refs`); none when it does not parse.
    fn parse(&self, l: &mut Loader, text: &str) -> Option<Formula> {
        let (file, key) = (self.file, self.key);
        match Formula::parse(text) {
            Err(msg) => {
                l.problem(
                    file,
                    format!("{key}.formula"),
                    format!("công thức không hợp lệ: {msg}"),
                );
                None
            }
            Ok(f) => {
                self.refs(l, &f);
                Some(f)
            }
        }
    }

    /// Every cell the formula names: an indicator of the catalog, not the indicator itself,
    /// and a disaggregation and option it has.
    fn refs(&self, l: &mut Loader, f: &Formula) {
        let (file, key, code) = (self.file, self.key, self.code);
        for (c, d) in f.refs() {
            let Some(sets) = self.known.get(c) else {
                l.problem(
                    file,
                    format!("{key}.formula"),
                    format!("chỉ tiêu \"{c}\" không có trong danh mục"),
                );
                continue;
            };
            if c == code {
                l.problem(
                    file,
                    format!("{key}.formula"),
                    "công thức tham chiếu chính chỉ tiêu này",
                );
            }
            for (dim, opt) in &d.0 {
                let ok_dim = sets.iter().any(|s| s.contains(dim));
                let ok_opt = self
                    .dimensions
                    .get(dim)
                    .is_some_and(|x| x.option(opt).is_some());
                if !ok_dim || !ok_opt {
                    l.problem(
                        file,
                        format!("{key}.formula"),
                        format!(
                            "ô {} không có: chỉ tiêu {c} không được phân tổ theo {dim}={opt}",
                            crate::model::cell_key(c, d)
                        ),
                    );
                }
            }
        }
    }
}

/// Checks every indicator's own fields: its aggregation's companions, `part_of`, owner,
/// levels, bounds, name and decimals.
fn check_indicators(
    l: &mut Loader,
    indicators: &BTreeMap<String, Indicator>,
    defined_in: &BTreeMap<String, String>,
    units: &UnitTree,
    levels: &BTreeSet<String>,
) {
    for (code, ind) in indicators {
        let place = defined_in[code].clone();
        let (file, key) = place.split_once(" › ").unwrap_or((&place, ""));
        let c = IndicatorCheck {
            file,
            key,
            ind,
            indicators,
        };
        c.aggregation(l);
        c.part_of(l);
        c.owner(l, units);
        c.reported_by(l, levels);
        c.figures(l);
    }
}

/// One indicator being checked (`check_indicators`): where it is declared, and the catalog.
struct IndicatorCheck<'a> {
    file: &'a str,
    key: &'a str,
    ind: &'a Indicator,
    indicators: &'a BTreeMap<String, Indicator>,
}

impl IndicatorCheck<'_> {
    /// Whether the catalog has indicator `c`.
    fn known(&self, c: &str) -> bool {
        self.indicators.contains_key(c)
    }

    /// A weighted average's weight, a derived indicator's operands, and `derived` only with
    /// `aggregation = "derived"`.
    fn aggregation(&self, l: &mut Loader) {
        let (file, key, ind) = (self.file, self.key, self.ind);
        let indicators = self.indicators;
        match ind.aggregation {
            Aggregation::WeightedAverage => match &ind.weight {
                None => l.problem(file, format!("{key}.weight"), "aggregation = \"weighted-average\" cần khai báo weight (chỉ tiêu trọng số)"),
                Some(w) if !self.known(w) => l.problem(file, format!("{key}.weight"), format!("chỉ tiêu trọng số \"{w}\" không có trong danh mục")),
                _ => {}
            },
            Aggregation::Derived => match &ind.derived {
                None if ind.formula.is_some() => {}
                None => l.problem(file, format!("{key}.derived"), "aggregation = \"derived\" cần khai báo derived = { op, numerator, denominator } hoặc formula"),
                Some(d) => {
                    for c in [&d.numerator, &d.denominator] {
                        if !self.known(c) {
                            l.problem(file, format!("{key}.derived"), format!("chỉ tiêu thành phần \"{c}\" không có trong danh mục"));
                        } else if indicators[c].is_derived() {
                            l.problem(file, format!("{key}.derived"), format!("chỉ tiêu thành phần \"{c}\" cũng là chỉ tiêu tính toán; hãy dùng chỉ tiêu gốc"));
                        }
                    }
                }
            },
            _ => {}
        }
        if ind.derived.is_some() && !ind.is_derived() {
            l.problem(
                file,
                format!("{key}.aggregation"),
                "có derived nhưng aggregation không phải \"derived\"",
            );
        }
    }

    /// A "trong đó" indicator's total exists and is measured in the same unit.
    fn part_of(&self, l: &mut Loader) {
        let (file, key, ind) = (self.file, self.key, self.ind);
        if let Some(p) = &ind.part_of {
            if !self.known(p) {
                l.problem(
                    file,
                    format!("{key}.part_of"),
                    format!("chỉ tiêu tổng \"{p}\" không có trong danh mục"),
                );
            } else if let Some(total) = self.indicators.get(p).filter(|t| t.unit != ind.unit) {
                // "Trong đó" compares a part with its total: both in one unit of measure.
                l.problem(
                    file,
                    format!("{key}.part_of"),
                    format!(
                        "chỉ tiêu \"trong đó\" đo bằng {} nhưng chỉ tiêu tổng \"{p}\" đo bằng {}: phần và tổng phải cùng đơn vị tính (sửa unit, hoặc bỏ part_of nếu đây không phải \"trong đó\")",
                        ind.unit, total.unit
                    ),
                );
            }
        }
    }

    /// The owner is a unit; `owner_only` needs an owner.
    fn owner(&self, l: &mut Loader, units: &UnitTree) {
        let (file, key, ind) = (self.file, self.key, self.ind);
        if let Some(o) = &ind.owner {
            if units.get(o).is_none() {
                l.problem(
                    file,
                    format!("{key}.owner"),
                    format!("cơ quan chủ trì \"{o}\" không có trong units.toml"),
                );
            }
        } else if ind.owner_only {
            l.problem(
                file,
                format!("{key}.owner_only"),
                "owner_only = true cần khai báo owner",
            );
        }
    }

    /// The levels in `reported_by` exist.
    fn reported_by(&self, l: &mut Loader, levels: &BTreeSet<String>) {
        let (file, key) = (self.file, self.key);
        for lv in &self.ind.reported_by {
            if !levels.contains(lv) {
                l.problem(
                    file,
                    format!("{key}.reported_by"),
                    format!("cấp \"{lv}\" không có trong units.toml"),
                );
            }
        }
    }

    /// Bounds in order, a name, and a number of decimals in range.
    fn figures(&self, l: &mut Loader) {
        let (file, key, ind) = (self.file, self.key, self.ind);
        if let (Some(lo), Some(hi)) = (ind.min, ind.upper_bound()) {
            if lo > hi {
                l.problem(
                    file,
                    format!("{key}.min"),
                    format!("min = {lo} lớn hơn max = {hi}"),
                );
            }
        }
        if ind.name.trim().is_empty() {
            l.problem(file, format!("{key}.name"), "tên chỉ tiêu để trống");
        }
        if let Some(d) = ind
            .decimal_places
            .filter(|d| !(0..=indicators::MAX_DECIMALS).contains(d))
        {
            l.problem(
                file,
                format!("{key}.decimals"),
                format!(
                    "decimals = {d} không hợp lệ: số chữ số thập phân khi in là số nguyên từ 0 đến {}",
                    indicators::MAX_DECIMALS
                ),
            );
        }
    }
}

#[allow(clippy::too_many_arguments)]
fn check_regime(
    l: &mut Loader,
    rel: &str,
    regime: &Regime,
    indicators: &BTreeMap<String, Indicator>,
    units: &UnitTree,
    levels: &BTreeSet<String>,
    cal: &WorkCalendar,
) {
    check_reporters(l, rel, regime, units, levels);
    check_frequencies(l, rel, regime);
    check_board(l, rel, regime, indicators);
    check_replace(l, rel, regime, levels);
    check_deadlines(l, rel, regime, levels, cal);
    let on_form = check_form(l, rel, regime, indicators);
    check_rules(l, rel, regime, indicators, &on_form);
}

/// The receiver and who reports: levels, kinds and units that exist.
fn check_reporters(
    l: &mut Loader,
    rel: &str,
    regime: &Regime,
    units: &UnitTree,
    levels: &BTreeSet<String>,
) {
    if units.get(&regime.receiver).is_none() {
        l.problem(
            rel,
            "receiver",
            format!(
                "cơ quan nhận \"{}\" không có trong units.toml",
                regime.receiver
            ),
        );
    }
    if regime.reporters.levels.is_empty() && regime.reporters.units.is_empty() {
        l.problem(
            rel,
            "reporters",
            "chưa có đơn vị nào phải báo cáo: ghi các cấp trong units.toml, ví dụ reporters = { levels = [\"xa\", \"so\"] }",
        );
    }
    reporter_levels(l, rel, regime, levels);
    if regime
        .upward
        .as_deref()
        .is_some_and(|u| u.trim().is_empty())
    {
        l.warn(
            rel,
            "upward",
            "chưa ghi cơ quan cấp trên nhận báo cáo tổng hợp: báo cáo in \"Nơi nhận\" trống",
        );
    }
    reporter_kinds_and_units(l, rel, regime, units);
    reporters_below_receiver(l, rel, regime, units);
}

/// Some unit the regime names as a reporter lies below the receiver: a receiver at the
/// reporters' own level (a xã receiving from xã) would have nobody report to it, and `due`
/// would call every period sent.
fn reporters_below_receiver(l: &mut Loader, rel: &str, regime: &Regime, units: &UnitTree) {
    let Some(receiver) = units.get(&regime.receiver) else {
        return;
    };
    let r = &regime.reporters;
    let reports = |u: &Unit| {
        r.units.contains(&u.code)
            || (r.levels.contains(&u.level) && (r.kinds.is_empty() || r.kinds.contains(&u.kind)))
    };
    let below = units.subtree(&receiver.code);
    if below
        .iter()
        .filter(|c| **c != receiver.code)
        .filter_map(|c| units.get(c))
        .any(reports)
    {
        return;
    }
    // Where the reporters are: the top of the first one's branch.
    let Some(first) = units.iter().find(|u| reports(u) && u.code != receiver.code) else {
        return; // no unit of those levels at all: said above
    };
    let top = units
        .ancestors(&first.code)
        .pop()
        .unwrap_or_else(|| first.code.clone());
    let top_name = units.get(&top).map(|u| format!(", mã của {}", u.name));
    l.problem(
        rel,
        "receiver",
        format!(
            "cơ quan nhận \"{}\" ({}) không có đơn vị báo cáo nào ở dưới nó trong units.toml, nên không ai gửi báo cáo cho nó: cơ quan nhận là đơn vị tổng hợp, ở trên các đơn vị báo cáo (ví dụ receiver = \"{top}\"{})",
            receiver.code,
            receiver.name,
            top_name.unwrap_or_default()
        ),
    );
}

/// The reporting levels exist, each with a deadline.
fn reporter_levels(l: &mut Loader, rel: &str, regime: &Regime, levels: &BTreeSet<String>) {
    for lv in &regime.reporters.levels {
        if !levels.contains(lv) {
            l.problem(
                rel,
                "reporters.levels",
                format!("cấp \"{lv}\" không có trong units.toml"),
            );
        } else if !regime.deadline.iter().any(|d| d.levels.contains(lv)) {
            l.problem(
                rel,
                "[[deadline]]",
                format!("cấp \"{lv}\" phải báo cáo nhưng chưa có hạn gửi: thêm [[deadline]] với levels có \"{lv}\""),
            );
        }
    }
}

/// The kinds of reporting units have units, and the units named exist.
fn reporter_kinds_and_units(l: &mut Loader, rel: &str, regime: &Regime, units: &UnitTree) {
    for kind in &regime.reporters.kinds {
        if !units.iter().any(|u| u.kind == *kind) {
            let known: BTreeSet<&str> = units.iter().map(|u| u.kind.as_str()).collect();
            l.problem(
                rel,
                "reporters.kinds",
                format!(
                    "loại đơn vị \"{kind}\" không có đơn vị nào trong units.toml (các loại có: {})",
                    known.into_iter().collect::<Vec<_>>().join(", ")
                ),
            );
        }
    }
    for code in &regime.reporters.units {
        if units.get(code).is_none() {
            l.problem(
                rel,
                "reporters.units",
                format!("đơn vị \"{code}\" không có trong units.toml"),
            );
        }
    }
}

/// The frequencies and the data cutoff window.
fn check_frequencies(l: &mut Loader, rel: &str, regime: &Regime) {
    if regime.frequencies.is_empty() {
        l.problem(rel, "frequencies", "chưa khai báo tần suất báo cáo");
    }
    if let Err(msg) = regime.cutoff.check() {
        l.problem(rel, "cutoff", msg);
    }
}

/// The board's key indicators exist.
fn check_board(
    l: &mut Loader,
    rel: &str,
    regime: &Regime,
    indicators: &BTreeMap<String, Indicator>,
) {
    for (i, key) in regime.board.indicators.iter().enumerate() {
        if !indicators.contains_key(crate::model::indicator_of(key)) {
            l.problem(
                rel,
                format!("board.indicators, mục thứ {}", i + 1),
                format!("chỉ tiêu \"{key}\" không có trong danh mục indicators/"),
            );
        }
    }
}

/// Coinciding periods (`[[replace]]`): frequencies the regime has, a longer report replacing a
/// shorter one, levels that exist.
fn check_replace(l: &mut Loader, rel: &str, regime: &Regime, levels: &BTreeSet<String>) {
    for (i, r) in regime.replace.iter().enumerate() {
        let key = format!("[[replace]] thứ {}", i + 1);
        for f in [r.by, r.replaces] {
            if !regime.has_frequency(f) {
                l.problem(
                    rel,
                    &key,
                    format!("chế độ không có tần suất {} (frequencies)", f.label()),
                );
            }
        }
        if r.by <= r.replaces {
            l.problem(
                rel,
                &key,
                format!(
                    "báo cáo {} không thể thay báo cáo {}: báo cáo thay phải có kỳ dài hơn",
                    r.by.label(),
                    r.replaces.label()
                ),
            );
        }
        for lv in &r.levels {
            if !levels.contains(lv) {
                l.problem(
                    rel,
                    format!("{key}.levels"),
                    format!("cấp \"{lv}\" không có trong units.toml"),
                );
            }
        }
    }
}

/// The deadlines: levels that exist, rules that give a date after the cutoff window, and a
/// deadline for every reporting level and frequency.
fn check_deadlines(
    l: &mut Loader,
    rel: &str,
    regime: &Regime,
    levels: &BTreeSet<String>,
    cal: &WorkCalendar,
) {
    for (i, d) in regime.deadline.iter().enumerate() {
        deadline_levels(l, rel, i, d, levels);
        if let Err(msg) = d.rule.check() {
            l.problem(rel, format!("[[deadline]] thứ {}", i + 1), msg);
            continue;
        }
        deadline_periods(l, rel, regime, i, d);
        deadline_after_cutoff(l, rel, regime, i, d, cal);
    }
    every_level_has_deadline(l, rel, regime);
}

/// The levels of the `i`-th `[[deadline]]` exist.
fn deadline_levels(
    l: &mut Loader,
    rel: &str,
    i: usize,
    d: &LevelDeadline,
    levels: &BTreeSet<String>,
) {
    for lv in &d.levels {
        if !levels.contains(lv) {
            l.problem(
                rel,
                format!("[[deadline]] thứ {}, levels", i + 1),
                format!("cấp \"{lv}\" không có trong units.toml"),
            );
        }
    }
}

/// The periods the `i`-th `[[deadline]]` names are of the regime's frequencies.
fn deadline_periods(l: &mut Loader, rel: &str, regime: &Regime, i: usize, d: &LevelDeadline) {
    for p in &d.periods {
        if !regime.frequencies.contains(&p.frequency()) {
            l.problem(
                rel,
                format!("[[deadline]] thứ {}, periods", i + 1),
                format!(
                    "kỳ {} ({}) không phải kỳ của chế độ này (tần suất {})",
                    p.code(),
                    p.label(),
                    p.frequency().label()
                ),
            );
        }
    }
}

/// The `i`-th `[[deadline]]` gives, in every period it applies to (of the calendar's years),
/// a date at least one working day after the cutoff window; the first period it does not is
/// a problem.
fn deadline_after_cutoff(
    l: &mut Loader,
    rel: &str,
    regime: &Regime,
    i: usize,
    d: &LevelDeadline,
    cal: &WorkCalendar,
) {
    // Decree 09 Art. 8 cl. 5: at least one working day between cutoff end and deadline.
    let years: Vec<i32> = cal.covered_years().collect();
    let freqs: Vec<_> = if d.frequencies.is_empty() {
        regime.frequencies.clone()
    } else {
        d.frequencies.clone()
    };
    let periods: Vec<Period> = match d.periods.is_empty() {
        true => years
            .iter()
            .flat_map(|y| periods_of_year(*y, &freqs))
            .collect(),
        false => d.periods.clone(),
    };
    let too_soon = periods.into_iter().find(|p| {
        let w = regime.cutoff.window(*p);
        cal.working_days_between(w.to, d.rule.deadline(*p, w, cal)) < 1
    });
    if let Some(p) = too_soon {
        let w = regime.cutoff.window(p);
        l.problem(
            rel,
            format!("[[deadline]] thứ {}", i + 1),
            format!(
                "thời hạn gửi {} của kỳ {} không cách ngày chốt số liệu {} ít nhất 1 ngày làm việc (Nghị định 09/2019/NĐ-CP, Điều 8 khoản 5)",
                d.rule.deadline(p, w, cal), p.code(), w.to
            ),
        );
    }
}

/// Every reporting level has a deadline for every frequency of the regime.
fn every_level_has_deadline(l: &mut Loader, rel: &str, regime: &Regime) {
    for lv in &regime.reporters.levels {
        for f in &regime.frequencies {
            if regime.deadline_rule(lv, *f).is_none() {
                l.problem(
                    rel,
                    "deadline",
                    format!(
                        "cấp báo cáo \"{lv}\" chưa có thời hạn gửi cho tần suất {}",
                        f.label()
                    ),
                );
            }
        }
    }
}

/// The form's rows (each indicator once, every operand of a computed one on the form) and
/// columns; returns the indicators on the form.
fn check_form(
    l: &mut Loader,
    rel: &str,
    regime: &Regime,
    indicators: &BTreeMap<String, Indicator>,
) -> BTreeSet<String> {
    let mut seen = section_rows(l, rel, regime, indicators);
    if regime.is_matrix() {
        seen.extend(regime.form_codes().map(str::to_string));
    }
    operands_on_form(l, rel, indicators, &seen);
    form_shape(l, rel, regime, indicators);
    seen
}

/// The rows of `form.sections`: indicators of the catalog, each once; returns them.
fn section_rows(
    l: &mut Loader,
    rel: &str,
    regime: &Regime,
    indicators: &BTreeMap<String, Indicator>,
) -> BTreeSet<String> {
    let mut seen = BTreeSet::new();
    for (si, s) in regime.form.sections.iter().enumerate() {
        for (ri, code) in s.rows.iter().enumerate() {
            let key = format!("[[form.sections]] thứ {}, rows mục thứ {}", si + 1, ri + 1);
            if !indicators.contains_key(code) {
                l.problem(
                    rel,
                    key,
                    format!("chỉ tiêu \"{code}\" không có trong danh mục indicators/"),
                );
            } else if !seen.insert(code.clone()) {
                l.problem(
                    rel,
                    key,
                    format!("chỉ tiêu \"{code}\" xuất hiện hai lần trên biểu"),
                );
            }
        }
    }
    seen
}

/// Every operand of a computed indicator on the form (`seen`) is on the form too.
fn operands_on_form(
    l: &mut Loader,
    rel: &str,
    indicators: &BTreeMap<String, Indicator>,
    seen: &BTreeSet<String>,
) {
    for (code, ind) in indicators {
        if !seen.contains(code) {
            continue;
        }
        for n in ind.operands() {
            if indicators.contains_key(n) && !seen.contains(n) {
                l.problem(
                    rel,
                    "form.sections",
                    format!("chỉ tiêu \"{code}\" cần \"{n}\" nhưng \"{n}\" không có trên biểu"),
                );
            }
        }
    }
}

/// A matrix form has no sections and names indicators of the catalog; a form of rows has a
/// column `thuc_hien`.
fn form_shape(
    l: &mut Loader,
    rel: &str,
    regime: &Regime,
    indicators: &BTreeMap<String, Indicator>,
) {
    if regime.is_matrix() {
        if !regime.form.sections.is_empty() {
            l.problem(
                rel,
                "form.sections",
                "biểu dạng ma trận ([form.matrix]) không dùng form.sections",
            );
        }
        for code in regime.form_codes() {
            if !indicators.contains_key(code) {
                l.problem(
                    rel,
                    "form.matrix",
                    format!("chỉ tiêu \"{code}\" không có trong danh mục indicators/"),
                );
            }
        }
    } else if regime.form.columns.is_empty()
        || !regime.form.columns.contains(&InputColumn::ThucHien)
    {
        l.problem(
            rel,
            "form.columns",
            "biểu phải có cột thuc_hien (Thực hiện kỳ báo cáo)",
        );
    }
}

/// The cross rules: every indicator they name is on the form (`seen`), a breakdown's
/// dimension is one its indicator has, a carry-over's cells exist.
fn check_rules(
    l: &mut Loader,
    rel: &str,
    regime: &Regime,
    indicators: &BTreeMap<String, Indicator>,
    seen: &BTreeSet<String>,
) {
    for (i, r) in regime.rule.iter().enumerate() {
        let codes: Vec<&String> = match r {
            CrossRule::PartLeTotal { part, total } => vec![part, total],
            CrossRule::SumEqTotal { parts, total, .. } => parts.iter().chain([total]).collect(),
            CrossRule::Breakdown {
                indicator,
                dimension,
                ..
            } => {
                if let (Some(d), Some(ind)) = (dimension, indicators.get(indicator)) {
                    if !ind.disaggregations.iter().any(|s| s.contains(d)) {
                        l.problem(
                            rel,
                            format!("[[rule]] thứ {}, dimension", i + 1),
                            format!("chỉ tiêu \"{indicator}\" không được phân tổ theo \"{d}\""),
                        );
                    }
                }
                vec![indicator]
            }
            CrossRule::If { parsed, .. } => parsed
                .iter()
                .flat_map(|p| p.0.refs().into_iter().chain(p.1.refs()))
                .filter_map(|(c, _)| indicators.get_key_value(c).map(|(k, _)| k))
                .collect(),
            CrossRule::CarryOver { cell, previous, .. } => {
                for (k, key) in [("cell", cell), ("previous", previous)] {
                    let ok = crate::model::parse_key(key).and_then(|(c, d)| {
                        check_cell_in(indicators, &BTreeMap::new(), &c, &Disagg::default())?;
                        Ok((c, d))
                    });
                    if let Err(e) = ok {
                        l.problem(rel, format!("[[rule]] thứ {}, {k}", i + 1), e);
                    }
                }
                vec![]
            }
        };
        for c in codes {
            // A rule may name a cell of an indicator (`TCD03[noi_dung=khieu_nai]`).
            let code = crate::model::split_key(c).0.trim();
            if !seen.contains(code) {
                l.problem(
                    rel,
                    format!("[[rule]] thứ {}", i + 1),
                    format!("chỉ tiêu \"{code}\" không có trên biểu của chế độ"),
                );
            }
        }
    }
}

/// Parses the conditions of the regime's "if" rules; checks that every cell a rule reads is
/// typed by the units (a computed indicator has no figure when the files are checked: the
/// rule would never be evaluated).
fn parse_conditions(
    l: &mut Loader,
    rel: &str,
    regime: &mut Regime,
    indicators: &BTreeMap<String, Indicator>,
) {
    for (i, r) in regime.rule.iter_mut().enumerate() {
        let at = format!("[[rule]] thứ {}", i + 1);
        let cells: Vec<String> = match r {
            CrossRule::If {
                when, then, parsed, ..
            } => {
                match (
                    when.as_deref()
                        .map_or(Ok(Condition::Always), |w| Condition::parse(w, indicators)),
                    Condition::parse(then, indicators),
                ) {
                    (Ok(w), Ok(t)) => {
                        let cells = w
                            .refs()
                            .into_iter()
                            .chain(t.refs())
                            .map(|(c, _)| c.to_string())
                            .collect();
                        *parsed = Some(Box::new((w, t)));
                        cells
                    }
                    (w, t) => {
                        for (k, e) in [("when", w.err()), ("then", t.err())] {
                            if let Some(e) = e {
                                l.problem(rel, format!("{at}, {k}"), e);
                            }
                        }
                        continue;
                    }
                }
            }
            CrossRule::PartLeTotal { part, total } => vec![part.clone(), total.clone()],
            CrossRule::SumEqTotal { parts, total, .. } => {
                parts.iter().chain([&*total]).cloned().collect()
            }
            _ => continue,
        };
        for c in cells {
            let code = crate::model::split_key(&c).0.trim();
            if let Some(ind) = indicators.get(code).filter(|x| x.is_computed()) {
                l.problem(
                    rel,
                    &at,
                    format!(
                        "chỉ tiêu \"{code}\" \"{}\" được tính khi tổng hợp, đơn vị không nhập nên quy tắc này không bao giờ được kiểm tra trên biểu: dùng các chỉ tiêu đơn vị nhập",
                        ind.name
                    ),
                );
            }
        }
    }
}

/// The cells a part-le-total or sum-eq-total rule names exist: an indicator's total, or one
/// of its cells (`TCD03[noi_dung=khieu_nai]`) by a disaggregation it declares.
fn check_rule_cells(
    l: &mut Loader,
    rel: &str,
    regime: &Regime,
    indicators: &BTreeMap<String, Indicator>,
    dimensions: &BTreeMap<String, Dimension>,
) {
    for (i, r) in regime.rule.iter().enumerate() {
        let keys: Vec<&String> = match r {
            CrossRule::PartLeTotal { part, total } => vec![part, total],
            CrossRule::SumEqTotal { parts, total, .. } => parts.iter().chain([total]).collect(),
            _ => continue,
        };
        for key in keys.into_iter().filter(|k| k.contains('[')) {
            let checked = crate::model::parse_key(key)
                .and_then(|(c, d)| check_cell_in(indicators, dimensions, &c, &d));
            if let Err(e) = checked {
                l.problem(rel, format!("[[rule]] thứ {}", i + 1), e);
            }
        }
    }
}

fn load_plan(
    l: &mut Loader,
    rel: &str,
    indicators: &BTreeMap<String, Indicator>,
    units: &UnitTree,
) -> Plan {
    let mut plan = Plan::new();
    let Some(text) = l.read(rel) else {
        return plan;
    };
    let mut rdr = csv::Reader::from_reader(text.as_bytes());
    let header_ok = rdr
        .headers()
        .map(|h| h.iter().collect::<Vec<_>>() == ["unit_code", "indicator_code", "value"])
        .unwrap_or(false);
    if !header_ok {
        l.problem(
            rel,
            "dòng 1",
            "tiêu đề phải là unit_code,indicator_code,value",
        );
        return plan;
    }
    for (i, rec) in rdr.records().enumerate() {
        let line = format!("dòng {}", i + 2);
        let Ok(rec) = rec else {
            l.problem(rel, line, "dòng không đọc được");
            continue;
        };
        let (u, ind, v) = (&rec[0], &rec[1], rec[2].trim());
        if units.get(u).is_none() {
            l.problem(
                rel,
                &line,
                format!("đơn vị \"{u}\" không có trong units.toml"),
            );
        }
        if !indicators.contains_key(ind) {
            l.problem(
                rel,
                &line,
                format!("chỉ tiêu \"{ind}\" không có trong danh mục"),
            );
        }
        match v.parse::<f64>() {
            Ok(x) => {
                plan.insert((u.to_string(), ind.to_string()), x);
            }
            Err(_) => l.problem(
                rel,
                &line,
                format!("giá trị \"{v}\" không phải là số (dùng dấu chấm thập phân)"),
            ),
        }
    }
    plan
}

/// Regular files under `root/dir`, recursively (no symlinked folders), as (relative path, path).
fn files_under(root: &Path, dir: &str, out: &mut Vec<(String, PathBuf)>) {
    let Ok(rd) = std::fs::read_dir(root.join(dir)) else {
        return;
    };
    for e in rd.flatten() {
        let name = e.file_name().to_string_lossy().to_string();
        let rel = format!("{dir}/{name}");
        match e.file_type() {
            Ok(t) if t.is_dir() => files_under(root, &rel, out),
            Ok(t) if t.is_file() => out.push((rel, e.path())),
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::vietnamese_toml_error;

    #[test]
    fn toml_and_field_errors_are_said_in_vietnamese() {
        assert_eq!(
            vietnamese_toml_error("invalid type: string \"true\", expected a boolean"),
            "sai kiểu giá trị: ghi chuỗi \"true\" nhưng cần true hoặc false (không có dấu ngoặc kép)"
        );
        assert_eq!(
            vietnamese_toml_error("unknown field `stok`, expected one of `code`, `stock`"),
            "khóa `stok` không có ở đây; các khóa dùng được: `code`, `stock`"
        );
        assert_eq!(
            vietnamese_toml_error("unknown variant `tong`, expected one of `sum`, `average`"),
            "giá trị `tong` không hợp lệ; dùng một trong: `sum`, `average`"
        );
        // serde's other two ways of naming what is allowed: no English left in the message.
        assert_eq!(
            vietnamese_toml_error("unknown field `reported_by`, expected `code` or `name`"),
            "khóa `reported_by` không có ở đây; các khóa dùng được: `code`, `name`"
        );
        assert_eq!(
            vietnamese_toml_error("unknown field `x`, expected `code`"),
            "khóa `x` không có ở đây; các khóa dùng được: `code`"
        );
        assert_eq!(
            vietnamese_toml_error("unknown field `x`, there are no fields"),
            "khóa `x` không có ở đây; xóa hoặc sửa tên khóa"
        );
        assert_eq!(
            vietnamese_toml_error("unknown variant `tong`, expected `sum` or `average`"),
            "giá trị `tong` không hợp lệ; dùng một trong: `sum`, `average`"
        );
        assert_eq!(
            vietnamese_toml_error("missing field `kind`"),
            "thiếu khóa bắt buộc `kind`"
        );
        assert!(vietnamese_toml_error("expected `=`").starts_with("TOML không hợp lệ (sai cú pháp"));
    }
}

//! Report regimes (chế độ báo cáo) from `report-templates/<id>/regime.toml`.
//!
//! Owns every element Nghị định 09/2019 Art. 7 requires of a regime, plus the rules baocao
//! needs to run it: cutoff, per-level deadlines, the form's rows and columns, cross-indicator
//! checks and the outline template. Date arithmetic lives in `schedule`.

use serde::Deserialize;

use crate::period::{Frequency, Period};
use crate::schedule::{CutoffRule, DeadlineRule, Window, WorkCalendar};

pub use crate::model::InputColumn;

/// A deadline for some reporting levels, optionally only for some frequencies.
#[derive(Debug, Clone, Deserialize)]
pub struct LevelDeadline {
    pub levels: Vec<String>,
    #[serde(default)]
    pub frequencies: Vec<Frequency>,
    /// Only these periods (`["2026-02"]`): a deadline moved for one period (Tết), before
    /// any rule of the level's frequency or general rule.
    #[serde(default)]
    pub periods: Vec<Period>,
    #[serde(flatten)]
    pub rule: DeadlineRule,
}

/// A section of the form (I. Kinh tế, II. Văn hóa – xã hội, ...).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Section {
    pub title: String,
    /// Indicator codes, in order.
    pub rows: Vec<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Form {
    /// Form number, e.g. "Biểu số 01/KTXH".
    pub number: String,
    /// Title in capitals.
    pub title: String,
    /// Form version, stored in every blank form.
    #[serde(default = "one")]
    pub version: String,
    /// Value columns of the list layout (a matrix form sets them per column).
    #[serde(default)]
    pub columns: Vec<InputColumn>,
    /// Indicator rows by section (the list layout); empty for a matrix form.
    #[serde(default)]
    pub sections: Vec<Section>,
    /// A matrix layout: rows and columns of selectors, each body cell the key they select
    /// together (`[form.matrix]`).
    #[serde(default)]
    pub matrix: Option<Matrix>,
    /// Whether the list form prints the "Mã số" column (indicator codes; default true). Without
    /// it, rows of a filled form are matched by name.
    #[serde(default = "yes")]
    pub show_codes: bool,
}

/// A matrix form: every body cell is the key its row and its column select together.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Matrix {
    /// Header of the row-label column ("Lĩnh vực", "Chỉ tiêu").
    #[serde(default = "indicator_heading")]
    pub stub: String,
    /// Header of the numbering column.
    #[serde(default = "stt")]
    pub stt: String,
    /// Width of the row-label column (default 30).
    #[serde(default)]
    pub stub_width: Option<f64>,
    /// How the numbering row under the headers reads: `numbers` (1 for STT, 2 for the
    /// row labels, 3, 4, … for the figures, as Biểu II.06a) or `letters` (A, B, then 1, 2, …,
    /// as statistics forms).
    #[serde(default)]
    pub numbering: Numbering,
    #[serde(rename = "row")]
    pub rows: Vec<MatrixRow>,
    #[serde(rename = "column")]
    pub columns: Vec<MatrixColumn>,
}

/// A row of a matrix form, or a block of rows generated from a dimension's options.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MatrixRow {
    /// The row's label (for a generated block: a heading row above it, optional).
    #[serde(default)]
    pub label: Option<String>,
    /// Selector: `TT01`, `TT01[nguon=truc_tuyen]`, `[linh_vuc=ho_tich]`, or empty (the total).
    #[serde(default)]
    pub cell: Option<String>,
    /// One row per option of this dimension, merged over `cell`.
    #[serde(default)]
    pub dimension: Option<String>,
    /// A heading row without cells ("Chia theo dân tộc").
    #[serde(default)]
    pub heading: bool,
    /// Printed in the numbering column ("I", "1", "–"); generated rows are numbered 1, 2, …
    #[serde(default)]
    pub stt: Option<String>,
    /// A row printed as a sub-item (italic, indented): "Trong đó".
    #[serde(default)]
    pub sub: bool,
}

/// A column of a matrix form.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MatrixColumn {
    /// Header groups above the label, outermost first; equal neighbours are merged.
    #[serde(default)]
    pub group: Vec<String>,
    pub label: String,
    /// Selector, as for rows.
    #[serde(default)]
    pub cell: Option<String>,
    /// Value kind of the column's cells (default `thuc_hien`).
    #[serde(default)]
    pub value: Option<InputColumn>,
    #[serde(default)]
    pub width: Option<f64>,
}

/// The numbering row of a matrix form.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Numbering {
    #[default]
    Numbers,
    Letters,
}

fn indicator_heading() -> String {
    "Chỉ tiêu".to_string()
}

fn stt() -> String {
    "STT".to_string()
}

fn one() -> String {
    "1".to_string()
}

/// A cross-indicator check declared by the regime.
#[derive(Debug, Clone, Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case", deny_unknown_fields)]
pub enum CrossRule {
    /// A "trong đó" part must not exceed its total.
    PartLeTotal { part: String, total: String },
    /// The parts must add up to the total within `tolerance` (absolute).
    SumEqTotal {
        parts: Vec<String>,
        total: String,
        #[serde(default = "half")]
        tolerance: f64,
    },
    /// A carry-over cell (từ kỳ trước chuyển qua) equals the previous period's closing stock
    /// (đang giải quyết) of the same unit, in every row of the form: `cell =
    /// "TT01[nguon=ky_truoc]"`, `previous = "TT03"`. Checked from the history store, as a
    /// warning, with `tolerance` (absolute).
    CarryOver {
        cell: String,
        previous: String,
        #[serde(default = "half")]
        tolerance: f64,
    },
    /// "If … then …": where `when` holds (`NTM01 = Có`, `NTM02 > 10`), `then` must hold
    /// (`NTM03 >= 19`, `NTM04 không trống`). Blocking with `blocking = true`, else a warning;
    /// `message` is said first where it fails.
    If {
        /// Without `when`, `then` must always hold: a check of any expression
        /// (`then = "NTM22 <= DON_VI_BAO_CAO"`, `then = "A + B <= C * 2"`).
        #[serde(default)]
        when: Option<String>,
        then: String,
        #[serde(default)]
        blocking: bool,
        #[serde(default)]
        message: Option<String>,
        /// `when` and `then`, parsed when the catalog is loaded.
        #[serde(skip)]
        parsed: Option<Box<(super::Condition, super::Condition)>>,
    },
    /// How the identities of an indicator's disaggregations are checked (total = sum of an
    /// exhaustive breakdown's options; a partial list ≤ its total). Every breakdown is checked
    /// as a warning without a rule; a rule names the indicator (and optionally one dimension)
    /// and makes it blocking, or changes the tolerance.
    Breakdown {
        indicator: String,
        #[serde(default)]
        dimension: Option<String>,
        #[serde(default)]
        blocking: bool,
        #[serde(default = "half")]
        tolerance: f64,
    },
}

fn half() -> f64 {
    0.5
}

/// Who reports: units at these levels (optionally only these kinds) under the receiver that
/// have at least one input cell on the form, plus the units named in `units`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Reporters {
    pub levels: Vec<String>,
    #[serde(default)]
    pub kinds: Vec<String>,
    /// Units that report even where the form asks nothing of them (by code).
    #[serde(default)]
    pub units: Vec<String>,
}

/// A report regime.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Regime {
    pub id: String,
    /// 1. tên báo cáo
    pub name: String,
    /// Căn cứ: the legal basis it was issued under.
    pub legal_basis: String,
    /// 2. nội dung yêu cầu báo cáo
    pub content: String,
    /// 3. đối tượng thực hiện
    pub reporters: Reporters,
    /// 4. cơ quan nhận (unit code)
    pub receiver: String,
    /// Where the receiver sends its consolidated report (e.g. "Văn phòng Chính phủ").
    #[serde(default)]
    pub upward: Option<String>,
    /// 5. phương thức gửi, nhận
    pub method: String,
    /// 6. thời gian chốt số liệu
    pub cutoff: CutoffRule,
    /// 7. thời hạn gửi, per level
    pub deadline: Vec<LevelDeadline>,
    /// 8. tần suất
    pub frequencies: Vec<Frequency>,
    /// 9. mẫu đề cương: a tera template next to regime.toml
    pub outline: String,
    /// 10. biểu mẫu số liệu
    pub form: Form,
    /// 11. hướng dẫn quy trình
    pub instructions: String,
    /// Cross-indicator checks.
    #[serde(default)]
    pub rule: Vec<CrossRule>,
    /// Whether a parent's own figures are added to its children's consolidation.
    #[serde(default)]
    pub include_own_figures: bool,
    /// Report number written on the narrative ("Số: …/BC-UBND").
    #[serde(default)]
    pub report_symbol: Option<String>,
    /// The symbol of the reminder letters' number ("Số: …/UBND-VP"; default "VP").
    #[serde(default)]
    pub letter_symbol: Option<String>,
    /// Days before the units' deadline from which `due --letters` writes a reminder ("nhắc")
    /// to the units that have not sent (default 3); after it, an urging letter ("đôn đốc").
    #[serde(default = "three_days")]
    pub remind_days: u32,
    /// How comparisons are written: "growth" ("tăng 13,0%") or "index" ("bằng 113,0%").
    #[serde(default)]
    pub comparison: Comparison,
    /// What the period's own figures are when stored: "thuc_hien" (default), "uoc" or
    /// "chinh_thuc".
    #[serde(default)]
    pub value_status: OwnStatus,
    /// Threshold of the modified z-score above which a figure is an outlier.
    #[serde(default = "three_and_a_half")]
    pub outlier_threshold: f64,
    /// Whether figures are checked against their history at all (BC0802; default true).
    #[serde(default = "yes")]
    pub outliers: bool,
    /// Relative tolerance between a form's year-to-date and the one from the store.
    #[serde(default = "half_percent")]
    pub ytd_tolerance: f64,
    /// Further plan baselines (dự toán Trung ương giao, dự toán tỉnh giao): each compared with
    /// in the form and the narrative, from `ke-hoach-<key>-<year>.csv`.
    #[serde(default)]
    pub plan: Vec<PlanBaseline>,
    /// A section on assigned tasks (Quyết định 42/2014), filled when `run` gets `--tasks`.
    #[serde(default)]
    pub tasks: Option<TaskSection>,
    /// Coinciding periods (kỳ trùng): which report replaces which (ARCHITECTURE.md, "Coinciding periods").
    #[serde(default)]
    pub replace: Vec<Replacement>,
    /// The signing block of the narrative (thẩm quyền ký).
    #[serde(default)]
    pub signing: Signing,
    /// The public display board's part of this regime.
    #[serde(default)]
    pub board: BoardSettings,
    /// The table of units (one row per reporting unit, with its status and chosen cells), in
    /// the workbook and the outline.
    #[serde(default)]
    pub unit_table: Option<UnitTable>,
    /// List annexes (`[[list]]`): any number of rows of typed columns, each on its own sheet.
    #[serde(default, rename = "list")]
    pub lists: Vec<super::lists::ListSpec>,
}

/// The table of units a leader reads: the reporting units in the tree's order, each with its
/// status (đúng hạn, muộn, bị từ chối, chưa gửi) and the cells chosen here.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UnitTable {
    /// The sheet's and the section's title (default "Danh sách đơn vị báo cáo").
    #[serde(default)]
    pub title: Option<String>,
    pub columns: Vec<UnitTableColumn>,
}

/// One column of the table of units: a cell (`NTM01`, `TT01[nguon=truc_tuyen]`) of one input
/// column (default the period's own), under a header (default the indicator's name).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UnitTableColumn {
    pub cell: String,
    #[serde(default)]
    pub label: Option<String>,
    #[serde(default = "thuc_hien_column")]
    pub column: super::InputColumn,
}

fn thuc_hien_column() -> super::InputColumn {
    super::InputColumn::ThucHien
}

impl UnitTable {
    pub fn title(&self) -> &str {
        self.title.as_deref().unwrap_or("Danh sách đơn vị báo cáo")
    }
}

/// Who signs the narrative: the lines of the signing title ("TM. ỦY BAN NHÂN DÂN", "KT. CHỦ
/// TỊCH", "PHÓ CHỦ TỊCH") and the signer's name. Default: "TM. <agency>", "CHỦ TỊCH".
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Signing {
    #[serde(default)]
    pub title: Vec<String>,
    #[serde(default)]
    pub name: Option<String>,
}

/// The display board: key indicators shown with their trend (cell keys).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BoardSettings {
    #[serde(default)]
    pub indicators: Vec<String>,
}

/// A report that replaces another frequency's report of the period it ends with: the
/// quarterly report replaces March's monthly one, the yearly report December's.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Replacement {
    /// The replacing report's frequency ("yearly").
    pub by: Frequency,
    /// The frequency whose period ending in the same month is replaced ("monthly").
    pub replaces: Frequency,
    /// Reporting levels it holds for; empty: every level.
    #[serde(default)]
    pub levels: Vec<String>,
    /// A submission for the replaced period is accepted as the replacing report (a warning).
    #[serde(default)]
    pub accept: bool,
}

impl Replacement {
    fn holds_for(&self, level: &str) -> bool {
        self.levels.is_empty() || self.levels.iter().any(|l| l == level)
    }
}

/// A plan baseline.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PlanBaseline {
    pub key: String,
    /// As written in sentences: "dự toán Trung ương giao".
    pub label: String,
}

/// How a comparison with another period is written.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Comparison {
    /// "tăng 13,0% so với cùng kỳ"
    #[default]
    Growth,
    /// "bằng 113,0% so với cùng kỳ"
    Index,
}

/// What a period's own figures are when stored: a plan (`ke_hoach`) never is one.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OwnStatus {
    #[default]
    ThucHien,
    Uoc,
    ChinhThuc,
}

impl OwnStatus {
    /// The stored figure's status.
    pub fn status(self) -> crate::model::ValueStatus {
        use crate::model::ValueStatus;
        match self {
            OwnStatus::ThucHien => ValueStatus::ThucHien,
            OwnStatus::Uoc => ValueStatus::Uoc,
            OwnStatus::ChinhThuc => ValueStatus::ChinhThuc,
        }
    }
}

fn three_days() -> u32 {
    3
}

fn three_and_a_half() -> f64 {
    3.5
}

fn half_percent() -> f64 {
    0.005
}

/// The regime's task section.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TaskSection {
    /// Heading in the narrative, e.g. "Kết quả thực hiện nhiệm vụ UBND tỉnh giao".
    pub title: String,
    /// Days ahead that count as nearly due (sắp đến hạn).
    #[serde(default = "seven")]
    pub within: u32,
}

fn seven() -> u32 {
    7
}

impl Regime {
    /// Indicator codes of the form, in order.
    pub fn form_codes(&self) -> impl Iterator<Item = &str> {
        let matrix = self
            .form
            .matrix
            .as_ref()
            .map(super::layout::codes)
            .unwrap_or_default();
        self.form
            .sections
            .iter()
            .flat_map(|s| s.rows.iter().map(String::as_str))
            .chain(matrix)
    }

    /// Whether the regime shows an indicator outside its form (its table of units).
    pub fn uses_indicator(&self, code: &str) -> bool {
        self.unit_table.as_ref().is_some_and(|t| {
            t.columns
                .iter()
                .any(|c| crate::model::indicator_of(&c.cell) == code)
        })
    }

    pub fn is_matrix(&self) -> bool {
        self.form.matrix.is_some()
    }

    /// The deadline rule for `level` and `frequency`: an entry naming the frequency wins over
    /// one that names none.
    pub fn deadline_rule(&self, level: &str, frequency: Frequency) -> Option<DeadlineRule> {
        let mut general = None;
        for d in &self.deadline {
            if !d.levels.iter().any(|l| l == level) || !d.periods.is_empty() {
                continue;
            }
            if d.frequencies.contains(&frequency) {
                return Some(d.rule);
            }
            if d.frequencies.is_empty() && general.is_none() {
                general = Some(d.rule);
            }
        }
        general
    }

    /// Levels that have a deadline, in the order the regime lists them.
    pub fn deadline_levels(&self) -> Vec<&str> {
        let mut out: Vec<&str> = Vec::new();
        for d in &self.deadline {
            for l in &d.levels {
                if !out.contains(&l.as_str()) {
                    out.push(l);
                }
            }
        }
        out
    }

    pub fn window(&self, period: Period) -> Window {
        self.cutoff.window(period)
    }

    /// Deadline of `period` for units at `level`, if the regime sets one.
    pub fn deadline(
        &self,
        period: Period,
        level: &str,
        cal: &WorkCalendar,
    ) -> Option<chrono::NaiveDate> {
        let moved = self
            .deadline
            .iter()
            .find(|d| d.periods.contains(&period) && d.levels.iter().any(|l| l == level))
            .map(|d| d.rule);
        let rule = moved.or_else(|| self.deadline_rule(level, period.frequency()))?;
        Some(rule.deadline(period, self.window(period), cal))
    }

    /// The report that replaces `period` for units at `level`, following replacements of
    /// replacements (December → the year), or `None` when `period` is reported itself.
    pub fn replaced_by(&self, period: Period, level: &str) -> Option<Period> {
        let mut current = period;
        let mut replaced = None;
        // Each step moves to a longer period, so at most four steps.
        for _ in 0..Frequency::ALL.len() {
            let Some(next) = self
                .replace
                .iter()
                .filter(|r| r.replaces == current.frequency() && r.holds_for(level))
                .filter(|r| self.has_frequency(r.by))
                .find_map(|r| current.coinciding(r.by))
            else {
                break;
            };
            replaced = Some(next);
            current = next;
        }
        replaced
    }

    /// Whether a submission for `submitted` is taken as the report of `expected` (its
    /// replacing report, for a regime rule with `accept = true`), for units at `level`.
    pub fn accepts_as(&self, submitted: Period, expected: Period, level: &str) -> bool {
        self.replaced_by(submitted, level) == Some(expected)
            && self
                .replace
                .iter()
                .any(|r| r.accept && r.replaces == submitted.frequency() && r.holds_for(level))
    }

    /// The periods whose reports `period`'s report replaces and takes in (`accept = true`):
    /// December's for the year. Their inbox folders are read with `period`'s.
    pub fn taken_in(&self, period: Period) -> Vec<Period> {
        let mut out: Vec<Period> = self
            .frequencies
            .iter()
            .flat_map(|f| f.periods_of_year(period.year()))
            .filter(|p| *p != period)
            .filter(|p| {
                self.reporters
                    .levels
                    .iter()
                    .any(|l| self.accepts_as(*p, period, l))
            })
            .collect();
        out.sort();
        out
    }

    /// Whether `period`'s inbox folder is read by some run: its own, or the run of the report
    /// that replaces and takes it in.
    pub fn reads_folder_of(&self, period: Period) -> bool {
        self.has_frequency(period.frequency())
            && (self.replaced_everywhere(period).is_none()
                || self
                    .replaced_everywhere(period)
                    .is_some_and(|by| self.taken_in(by).contains(&period)))
    }

    /// Whether `period` is replaced for every level that reports in it.
    pub fn replaced_everywhere(&self, period: Period) -> Option<Period> {
        let levels = self.deadline_levels();
        let first = self.replaced_by(period, levels.first()?)?;
        levels
            .iter()
            .all(|l| self.replaced_by(period, l).is_some())
            .then_some(first)
    }

    pub fn has_frequency(&self, f: Frequency) -> bool {
        self.frequencies.contains(&f)
    }
}

fn yes() -> bool {
    true
}

//! Submissions and values: what a reporting unit sent, as every stage after ingest sees it.
//!
//! Plain data only: ingest fills it, validate judges it, consolidate sums it, the store keeps
//! it. Knows nothing about files or config.

use std::collections::BTreeMap;
use std::path::PathBuf;

use chrono::NaiveDateTime;
use serde::{Deserialize, Serialize};

use crate::diag::{Diagnostic, Location};
use crate::model::CellKey;
use crate::period::Period;

/// The columns a reporting unit may fill on a form.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum InputColumn {
    /// Kế hoạch năm
    KeHoach,
    /// Thực hiện kỳ báo cáo
    ThucHien,
    /// Lũy kế từ đầu năm
    LuyKe,
    /// Thực hiện kỳ trước: the previous period's actual, revising its estimate
    KyTruoc,
}

impl InputColumn {
    pub const ALL: [InputColumn; 4] = [
        InputColumn::KeHoach,
        InputColumn::ThucHien,
        InputColumn::LuyKe,
        InputColumn::KyTruoc,
    ];

    /// Key used in the exchange CSV and in JSON.
    pub fn key(self) -> &'static str {
        match self {
            InputColumn::KeHoach => "ke_hoach",
            InputColumn::ThucHien => "thuc_hien",
            InputColumn::LuyKe => "luy_ke",
            InputColumn::KyTruoc => "ky_truoc",
        }
    }

    pub fn from_key(key: &str) -> Option<InputColumn> {
        InputColumn::ALL.into_iter().find(|c| c.key() == key)
    }

    /// Column header on forms.
    pub fn header(self, period: Period) -> String {
        match self {
            InputColumn::KeHoach => format!("Kế hoạch năm {}", period.year()),
            InputColumn::ThucHien => format!("Thực hiện kỳ báo cáo ({})", period.short_label()),
            InputColumn::LuyKe => "Lũy kế từ đầu năm".to_string(),
            InputColumn::KyTruoc => {
                format!("Thực hiện kỳ trước ({})", period.previous().short_label())
            }
        }
    }
}

/// What a stored figure is (ARCHITECTURE.md, "Value status and vintages").
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ValueStatus {
    /// kế hoạch
    KeHoach,
    /// ước tính
    Uoc,
    /// thực hiện
    ThucHien,
    /// chính thức
    ChinhThuc,
}

impl ValueStatus {
    pub fn key(self) -> &'static str {
        match self {
            ValueStatus::KeHoach => "ke_hoach",
            ValueStatus::Uoc => "uoc",
            ValueStatus::ThucHien => "thuc_hien",
            ValueStatus::ChinhThuc => "chinh_thuc",
        }
    }

    /// Every status, in declaration order (`ALL[s as usize] == s`).
    pub const ALL: [ValueStatus; 4] = [
        ValueStatus::KeHoach,
        ValueStatus::Uoc,
        ValueStatus::ThucHien,
        ValueStatus::ChinhThuc,
    ];

    pub fn from_key(k: &str) -> Option<ValueStatus> {
        ValueStatus::ALL.into_iter().find(|s| s.key() == k)
    }
}

/// Where a receipt time came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ReceiptSource {
    /// The inbox's receipt log.
    Log,
    /// The mail server's receipt time, logged by `baocao nhan` (source `imap` in the log).
    Mail,
    /// The date written in the form's footer ("…, ngày 15 tháng 10 năm 2026").
    Footer,
    /// The file's modification time.
    FileModified,
    /// Not known.
    Unknown,
}

impl ReceiptSource {
    pub fn label(self) -> &'static str {
        match self {
            ReceiptSource::Log => "sổ nhận",
            ReceiptSource::Mail => "máy chủ thư",
            ReceiptSource::Footer => "ngày ký trên biểu",
            ReceiptSource::FileModified => "ngày sửa tệp",
            ReceiptSource::Unknown => "không rõ",
        }
    }
}

/// The name of the hidden sheet where baocao stores a form's identity.
pub const META_SHEET: &str = "_baocao";

/// One figure read from a file, with where it came from.
#[derive(Debug, Clone, PartialEq)]
pub struct Value {
    pub value: f64,
    pub location: crate::diag::At,
}

/// A short text answer read from a file (a note, a reason), with where it came from.
#[derive(Debug, Clone, PartialEq)]
pub struct Text {
    pub text: String,
    pub location: Location,
}

/// One row of a list annex as read: each column's canonical text (`catalog::lists`), `None`
/// where the cell is empty; where the row starts.
#[derive(Debug, Clone, PartialEq)]
pub struct ListRow {
    pub cells: Vec<Option<String>>,
    pub location: Location,
    /// The unit that listed the row, where a lower level's consolidated list (its
    /// `danh-sach-<code>.csv` or its `tong-hop.xlsx`) names one below the unit whose report
    /// this is: (code, name). `None`: the reporting unit listed it itself.
    pub listed_by: Option<(String, String)>,
}

/// A list annex as a file gives it: where its header is (the figures it feeds are read
/// there) and its rows.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ListTable {
    pub at: Location,
    pub rows: Vec<ListRow>,
}

/// Where a submission came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Origin {
    /// A filled form (xlsx and the like).
    Form,
    /// The long exchange CSV (`du-lieu.csv` of a lower level, or another system's export).
    Exchange,
}

/// A map rebuilt from its own entries, in order. A `BTreeMap` whose entries were inserted in
/// order keeps the nodes it split about half full; one collected from sorted entries has
/// them full: a submission's figures (a million in a nation's month) in ~40% less memory.
pub fn packed<K: Ord, V>(map: BTreeMap<K, V>) -> BTreeMap<K, V> {
    map.into_iter().collect()
}

/// What one file says for one unit and period.
#[derive(Debug, Clone)]
pub struct Submission {
    /// Path relative to the inbox (or as given), used in every diagnostic.
    pub file: String,
    pub path: PathBuf,
    pub regime: String,
    pub period: Period,
    pub unit_code: String,
    pub received_at: Option<NaiveDateTime>,
    pub received_source: ReceiptSource,
    pub origin: Origin,
    /// Figures by (cell key, column): `TT01` for a total, `TT01[nguon=truc_tuyen]` for a cell
    /// of a disaggregation (`crate::model`).
    pub values: BTreeMap<(CellKey, InputColumn), Value>,
    /// Short text answers (`type = "text"`) by (indicator code, column): shown in the table of
    /// units, never consolidated.
    pub texts: BTreeMap<(String, InputColumn), Text>,
    /// The rows of each list annex (`[[list]]`) by the list's code; a list the file has, with
    /// no rows, is there and empty.
    /// (Boxed: the map's first node has room for eleven entries, and most forms have one list
    /// or none: a nation's month of submissions holds ~6 MB less.)
    pub lists: BTreeMap<String, Box<ListTable>>,
    /// Where the form's empty input cells are, by (cell key, column): a rule that wants one
    /// filled points at it.
    pub empty: BTreeMap<(String, InputColumn), Location>,
    /// Indicators with a cell typed but not readable (not a number, not one of the answers):
    /// each has its own blocking diagnostic at its cell, so it is not also "left empty".
    pub unread: std::collections::BTreeSet<String>,
}

impl Submission {
    /// Figures of `unit` that come from no file (the store, a computation): no receipt, no
    /// texts or lists.
    pub fn of_figures(
        regime: &str,
        period: crate::period::Period,
        unit: String,
        values: BTreeMap<(CellKey, InputColumn), Value>,
    ) -> Submission {
        Submission {
            file: String::new(),
            path: PathBuf::new(),
            regime: regime.to_string(),
            period,
            unit_code: unit,
            received_at: None,
            received_source: ReceiptSource::Unknown,
            origin: Origin::Exchange,
            values,
            texts: Default::default(),
            lists: Default::default(),
            empty: Default::default(),
            unread: Default::default(),
        }
    }

    /// The figure of a cell key (`TT01`, `TT01[nguon=truc_tuyen]`) in a column, with where it
    /// was read.
    pub fn figure(&self, key: &str, column: InputColumn) -> Option<&Value> {
        self.values.get(&(CellKey::from(key), column))
    }

    pub fn value(&self, key: &str, column: InputColumn) -> Option<f64> {
        self.figure(key, column).map(|v| v.value)
    }

    /// A text answer of an indicator in a column.
    pub fn text(&self, code: &str, column: InputColumn) -> Option<&Text> {
        self.texts.get(&(code.to_string(), column))
    }
}

/// What reading one file gave.
#[derive(Debug, Clone, Default)]
pub struct FileReport {
    pub file: String,
    /// The unit the file name points to, when the file itself could not be read: so that a
    /// corrupt file still shows against its unit on the compliance sheet.
    pub unit_hint: Option<String>,
    pub submissions: Vec<Submission>,
    pub diagnostics: Vec<Diagnostic>,
    /// The SHA-256 (lowercase hex) and size of the bytes read, hashed from the same read that
    /// parsed them; empty when the file could not be read.
    pub sha256: String,
    pub size: u64,
    /// The file's modification time (local, to the second).
    pub modified: Option<String>,
}

impl FileReport {
    pub fn has_blocking(&self) -> bool {
        self.diagnostics.iter().any(Diagnostic::is_blocking)
    }
}

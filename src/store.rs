//! History store (kho lịch sử): accepted values per regime, period, unit and indicator, as
//! Parquet files partitioned Hive-style (`regime=…/period=…/data.parquet`), plus the audit
//! log of revisions (`audit.csv`). No server: DuckDB, Spark or Trino read the folder as it is.
//!
//! Owns the files under the history folder and nothing else. Writes are atomic (temp file,
//! then rename). A rerun of a period replaces the values that period's runs put there; a rerun
//! on the same inputs leaves every file as it was. Only this module touches polars.

use std::collections::BTreeMap;
use std::fs::File;
use std::path::{Path, PathBuf};

use polars::prelude::*;
use polars_arrow::array::{Array as _, DictionaryArray, PrimitiveArray, Utf8ViewArray};
use serde::Serialize;

use crate::diag::{Shared, SharedPool};
use crate::model::split_key;
use crate::model::InputColumn;
use crate::output::write_atomic;
use crate::period::Period;

pub const AUDIT: &str = "audit.csv";

/// The store's lock file (see `Store::record`).
const LOCK: &str = ".baocao.lock";

/// Removes the temporary files (`.baocao-*`, from `write_atomic`) a killed writer left in
/// `dir`. Called only under the store's lock.
fn remove_temporaries(dir: &Path) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for e in entries.flatten() {
        let name = e.file_name();
        if name.to_string_lossy().starts_with(".baocao-") && e.path().is_file() {
            let _ = std::fs::remove_file(e.path());
        }
    }
}
const AUDIT_HEADER: &str =
    "regime,period,unit_code,indicator_code,column,status,old_value,new_value,file,received_at\n";

pub use crate::model::ValueStatus;

/// One stored figure and its vintage (the run and submission it came from).
///
/// Its texts are shared (`Shared`): a run records a million figures from ten thousand files,
/// and the unit, file, receipt time and cell key of each are one allocation per file or key.
#[derive(Debug, Clone, PartialEq, PartialOrd)]
pub struct StoredValue {
    pub unit_code: Shared,
    /// The cell key (`TT01` or `TT01[nguon=truc_tuyen]`); stored as `indicator_code` and
    /// `disagg` columns.
    pub indicator_code: Shared,
    pub column: InputColumn,
    pub value: f64,
    pub status: ValueStatus,
    /// The period whose run wrote it (a later period's form may revise this one).
    pub source_period: Shared,
    pub file: Shared,
    /// ISO time the submission was received; vintages are ordered by it.
    pub received_at: Shared,
}

/// The latest vintage of each stored figure of a period (`Store::latest_rows`), 32 bytes a
/// figure: its texts are indexes into one list of the period's distinct texts, ranked in text
/// order, so that the rows sort, group and compare as the texts would, without a string.
#[derive(Debug)]
pub struct LatestRows {
    /// The distinct texts, in text order (an index is a rank).
    texts: Vec<Shared>,
    /// In (unit, cell key, column) order, one per cell.
    rows: Vec<Compact>,
}

/// A stored row with its texts as ranks in `LatestRows::texts`.
#[derive(Debug, Clone, Copy)]
struct Compact {
    value: f64,
    unit: u32,
    key: u32,
    source_period: u32,
    file: u32,
    received_at: u32,
    column: InputColumn,
    status: ValueStatus,
}

impl Compact {
    /// The figure's cell: rows of one cell are one figure's vintages.
    fn cell(&self) -> (u32, u32, InputColumn) {
        (self.unit, self.key, self.column)
    }
}

/// One figure of `LatestRows`, its texts borrowed (nothing counted or copied per figure).
#[derive(Debug, Clone, Copy)]
pub struct LatestRow<'a> {
    pub unit_code: &'a Shared,
    pub indicator_code: &'a Shared,
    pub column: InputColumn,
    pub value: f64,
    pub status: ValueStatus,
    pub source_period: &'a Shared,
    pub file: &'a Shared,
    pub received_at: &'a Shared,
}

impl LatestRow<'_> {
    pub fn to_stored(&self) -> StoredValue {
        StoredValue {
            unit_code: self.unit_code.clone(),
            indicator_code: self.indicator_code.clone(),
            column: self.column,
            value: self.value,
            status: self.status,
            source_period: self.source_period.clone(),
            file: self.file.clone(),
            received_at: self.received_at.clone(),
        }
    }
}

impl LatestRows {
    fn row(&self, r: &Compact) -> LatestRow<'_> {
        let text = |i: u32| &self.texts[i as usize];
        LatestRow {
            unit_code: text(r.unit),
            indicator_code: text(r.key),
            column: r.column,
            value: r.value,
            status: r.status,
            source_period: text(r.source_period),
            file: text(r.file),
            received_at: text(r.received_at),
        }
    }

    /// Every figure, in (unit, cell key, column) order.
    pub fn iter(&self) -> impl Iterator<Item = LatestRow<'_>> + '_ {
        self.rows.iter().map(|r| self.row(r))
    }

    /// Every figure as (unit, cell key, column, value) with the unit and the key as ranks
    /// among the rows' texts (`text`): a caller that meets the same texts row after row maps
    /// each rank once instead of hashing a text per row.
    pub fn ranked(&self) -> impl Iterator<Item = (u32, u32, InputColumn, f64)> + '_ {
        self.rows.iter().map(|r| (r.unit, r.key, r.column, r.value))
    }

    /// The text of a rank `ranked` gives, and the number of ranks.
    pub fn text(&self, rank: u32) -> &Shared {
        &self.texts[rank as usize]
    }

    pub fn text_count(&self) -> usize {
        self.texts.len()
    }

    /// The figures of each unit together, units in code order, each unit's in (cell key,
    /// column) order.
    pub fn by_unit(&self) -> impl Iterator<Item = impl Iterator<Item = LatestRow<'_>> + '_> + '_ {
        self.rows
            .chunk_by(|a, b| a.unit == b.unit)
            .map(|unit| unit.iter().map(|r| self.row(r)))
    }
}

/// Texts numbered in first-seen order, one allocation each.
#[derive(Default)]
struct Numbering {
    ids: foldhash::HashMap<Box<str>, u32>,
    texts: Vec<Shared>,
}

impl Numbering {
    fn id(&mut self, text: &str) -> u32 {
        if let Some(&i) = self.ids.get(text) {
            return i;
        }
        let i = self.texts.len() as u32;
        self.texts.push(Shared::from(text));
        self.ids.insert(text.into(), i);
        i
    }
}

/// Who sent figures to record (`NewFigures`): the unit, its file and the receipt time (ISO,
/// empty when unknown).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Sender<'a> {
    pub unit_code: &'a str,
    pub file: &'a str,
    pub received_at: &'a str,
}

/// One figure to record, borrowed from the run's submissions (32 bytes, where a
/// `StoredValue` holds five shared texts).
#[derive(Debug, Clone, Copy)]
pub struct NewFigure<'a> {
    /// The cell key, as `StoredValue::indicator_code`.
    pub key: &'a str,
    pub value: f64,
    /// Its sender's index in `NewFigures::senders`.
    pub sender: u32,
    pub column: InputColumn,
    pub status: ValueStatus,
}

/// A run's figures to record (`Store::record_figures`): sorted and hashed as they are, so that
/// a rerun whose figures are those stored (the common case, a nation's month of them) is told
/// without a `StoredValue` per figure.
#[derive(Debug, Default)]
pub struct NewFigures<'a> {
    pub senders: Vec<Sender<'a>>,
    pub figures: Vec<NewFigure<'a>>,
}

impl<'a> NewFigures<'a> {
    /// The figures of stored rows (their `source_period` aside), a sender for each run of rows
    /// with the same unit, file and receipt time.
    pub fn of(rows: &'a [StoredValue]) -> NewFigures<'a> {
        let mut new = NewFigures::default();
        for r in rows {
            let sender = Sender {
                unit_code: &r.unit_code,
                file: &r.file,
                received_at: &r.received_at,
            };
            if new.senders.last() != Some(&sender) {
                new.senders.push(sender);
            }
            new.figures.push(NewFigure {
                key: &r.indicator_code,
                value: r.value,
                sender: new.senders.len() as u32 - 1,
                column: r.column,
                status: r.status,
            });
        }
        new
    }

    /// Sorted as `sort` sorts the `StoredValue`s they become (every figure has the same
    /// source): by unit, key, column, value, status, file and receipt time; a pair with a NaN
    /// value is a tie, as `StoredValue`'s `partial_cmp` is `None` for it.
    fn sort(&mut self) {
        use std::cmp::Ordering::{Equal, Greater};
        let senders = &self.senders;
        let order = |a: &NewFigure<'_>, b: &NewFigure<'_>| {
            let (x, y) = (&senders[a.sender as usize], &senders[b.sender as usize]);
            x.unit_code
                .cmp(y.unit_code)
                .then_with(|| a.key.cmp(b.key))
                .then_with(|| a.column.cmp(&b.column))
                .then_with(|| match a.value.partial_cmp(&b.value) {
                    Some(o) => o
                        .then_with(|| a.status.cmp(&b.status))
                        .then_with(|| x.file.cmp(y.file))
                        .then_with(|| x.received_at.cmp(y.received_at)),
                    None => Equal,
                })
        };
        // A run's figures come unit by unit, each unit's in key order: most often already
        // sorted. A stable sort would still take a scratch list of half their size (a
        // nation's quarter on a matrix form: 19 MB at the run's peak).
        if self.figures.is_sorted_by(|a, b| order(a, b) != Greater) {
            return;
        }
        self.figures.sort_by(order);
    }

    /// `rows_digest` of the `StoredValue`s they become with `source` as their source period.
    fn digest(&self, source: &str) -> String {
        digest_of(&self.figures, |f, block| {
            let s = &self.senders[f.sender as usize];
            let texts = row_texts(
                s.unit_code,
                f.key,
                f.column,
                f.status,
                source,
                s.file,
                s.received_at,
            );
            push_row(block, texts.into_iter(), f.value)
        })
    }

    /// The `StoredValue`s they become with `source` as their source period, in their order;
    /// each text one allocation.
    fn stored(&self, source: &str) -> Vec<StoredValue> {
        let source = Shared::from(source);
        let senders: Vec<[Shared; 3]> = self
            .senders
            .iter()
            .map(|s| [s.unit_code, s.file, s.received_at].map(Shared::from))
            .collect();
        let mut keys = SharedPool::default();
        self.figures
            .iter()
            .map(|f| {
                let [unit, file, received_at] = &senders[f.sender as usize];
                StoredValue {
                    unit_code: unit.clone(),
                    indicator_code: keys.share(f.key),
                    column: f.column,
                    value: f.value,
                    status: f.status,
                    source_period: source.clone(),
                    file: file.clone(),
                    received_at: received_at.clone(),
                }
            })
            .collect()
    }
}

/// One change recorded in the audit log.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Revision {
    pub regime: String,
    pub period: String,
    pub unit_code: String,
    pub indicator_code: String,
    pub column: String,
    pub status: String,
    pub old_value: Option<f64>,
    pub new_value: Option<f64>,
    pub file: String,
    pub received_at: String,
}

/// Why the store could not be read or written.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("kho lịch sử: {0}")]
    Polars(#[from] PolarsError),
    #[error("kho lịch sử: {0}")]
    Io(#[from] std::io::Error),
    #[error("kho lịch sử: {0}")]
    Csv(#[from] csv::Error),
}

impl StoreError {
    /// The machine's fault `said` of the I/O error when the disk failed, else this error
    /// (a bug).
    pub fn fault(
        self,
        said: impl FnOnce(&std::io::Error) -> crate::fault::Fault,
    ) -> Result<crate::fault::Fault, StoreError> {
        let fault = self.io().map(said);
        fault.ok_or(self)
    }

    /// The I/O error under this one, if the disk failed (full, read-only, gone).
    pub fn io(&self) -> Option<&std::io::Error> {
        match self {
            StoreError::Io(e) => Some(e),
            StoreError::Polars(PolarsError::IO { error, .. }) => Some(error.as_ref()),
            StoreError::Polars(_) => None,
            StoreError::Csv(e) => match e.kind() {
                csv::ErrorKind::Io(e) => Some(e),
                _ => None,
            },
        }
    }
}

/// The history folder.
#[derive(Debug, Clone)]
pub struct Store {
    pub dir: PathBuf,
}

type Key = (Shared, Shared, InputColumn, ValueStatus);

impl Store {
    pub fn new(dir: impl Into<PathBuf>) -> Store {
        Store { dir: dir.into() }
    }

    fn partition(&self, regime: &str, period: &str) -> PathBuf {
        self.dir
            .join(format!("regime={regime}"))
            .join(format!("period={period}"))
            .join("data.parquet")
    }

    /// The BLAKE3 of a period's partition file as it is on disk, or `None` when there is none
    /// (or it cannot be read): what a result rebuilt from the period is told apart by
    /// (`history::cache`).
    pub fn partition_digest(&self, regime: &str, period: Period) -> Option<[u8; 32]> {
        let bytes = std::fs::read(self.partition(regime, &period.code())).ok()?;
        Some(*blake3::hash(&bytes).as_bytes())
    }

    /// Periods stored for `regime`, sorted.
    pub fn periods(&self, regime: &str) -> Vec<Period> {
        let mut out: Vec<Period> = std::fs::read_dir(self.dir.join(format!("regime={regime}")))
            .into_iter()
            .flatten()
            .flatten()
            .filter_map(|e| {
                e.file_name()
                    .to_string_lossy()
                    .strip_prefix("period=")
                    .and_then(|p| p.parse().ok())
            })
            .collect();
        out.sort();
        out
    }

    /// Every stored vintage of one period.
    pub fn read(&self, regime: &str, period: Period) -> Result<Vec<StoredValue>, StoreError> {
        self.read_where(regime, period, Keep::ALL)
    }

    /// Whether a period has any stored figure (from the Parquet metadata alone).
    pub fn has_figures(&self, regime: &str, period: Period) -> bool {
        let path = self.partition(regime, &period.code());
        File::open(path)
            .ok()
            .and_then(|f| ParquetReader::new(f).num_rows().ok())
            .is_some_and(|n| n > 0)
    }

    /// The stored vintages of one period that `keep` accepts: nothing is allocated for a
    /// figure left out, so a check that needs a few cells of a large period costs little
    /// memory.
    pub fn read_where(
        &self,
        regime: &str,
        period: Period,
        keep: Keep<'_>,
    ) -> Result<Vec<StoredValue>, StoreError> {
        let mut out = Vec::new();
        // One allocation per distinct text (unit, file, receipt time, key), not per figure.
        let mut numbering = Numbering::default();
        let mut memo = KeepMemo::new(keep);
        self.scan(regime, period, &COLUMNS, &mut numbering, &mut |n, row| {
            let (Some(c), Some(st), Some(v)) = (row.column, row.status, row.value) else {
                return;
            };
            if !memo.keeps(n, row.unit, row.key, c) {
                return;
            }
            let text = |id: u32| n.texts[id as usize].clone();
            out.push(StoredValue {
                unit_code: text(row.unit),
                indicator_code: text(row.key),
                column: c,
                value: v,
                status: st,
                source_period: text(row.source_period),
                file: text(row.file),
                received_at: text(row.received_at),
            });
        })?;
        out.shrink_to_fit();
        Ok(out)
    }

    /// The latest vintage of each (unit, cell key, column) that `keep` accepts (of kind
    /// `status` if given), as `latest` picks it: the latest receipt, then the later status,
    /// then the later row. Nothing is allocated per figure but its 32-byte row (a nation's
    /// month is ~800,000 figures).
    pub fn latest_rows(
        &self,
        regime: &str,
        period: Period,
        status: Option<ValueStatus>,
        keep: Keep<'_>,
    ) -> Result<LatestRows, StoreError> {
        self.latest_rows_of(regime, period, status, keep, &COLUMNS)
    }

    /// `latest_rows` without the rows' file and source period (empty texts): what a caller
    /// that sums figures needs, decoded in about two thirds of the time.
    pub fn latest_figures(
        &self,
        regime: &str,
        period: Period,
        keep: Keep<'_>,
    ) -> Result<LatestRows, StoreError> {
        const FIGURES: [&str; 7] = [
            "unit_code",
            "indicator_code",
            "column",
            "value",
            "status",
            "received_at",
            "disagg",
        ];
        self.latest_rows_of(regime, period, None, keep, &FIGURES)
    }

    fn latest_rows_of(
        &self,
        regime: &str,
        period: Period,
        status: Option<ValueStatus>,
        keep: Keep<'_>,
        columns: &[&str],
    ) -> Result<LatestRows, StoreError> {
        let mut numbering = Numbering::default();
        let mut memo = KeepMemo::new(keep);
        let mut rows: Vec<Compact> = Vec::new();
        self.scan(regime, period, columns, &mut numbering, &mut |n, row| {
            let (Some(c), Some(st), Some(v)) = (row.column, row.status, row.value) else {
                return;
            };
            if status.is_some_and(|s| s != st) || !memo.keeps(n, row.unit, row.key, c) {
                return;
            }
            rows.push(Compact {
                value: v,
                unit: row.unit,
                key: row.key,
                source_period: row.source_period,
                file: row.file,
                received_at: row.received_at,
                column: c,
                status: st,
            });
        })?;
        drop(numbering.ids);
        // Ids renumbered as ranks in text order: rows then sort as their texts would.
        let mut order: Vec<u32> = (0..numbering.texts.len() as u32).collect();
        order.sort_unstable_by(|a, b| {
            numbering.texts[*a as usize].cmp(&numbering.texts[*b as usize])
        });
        let mut rank = vec![0u32; order.len()];
        for (r, id) in order.iter().enumerate() {
            rank[*id as usize] = r as u32;
        }
        let texts: Vec<Shared> = order
            .iter()
            .map(|id| numbering.texts[*id as usize].clone())
            .collect();
        for r in &mut rows {
            for id in [
                &mut r.unit,
                &mut r.key,
                &mut r.source_period,
                &mut r.file,
                &mut r.received_at,
            ] {
                *id = rank[*id as usize];
            }
        }
        // A cell's vintages together, the latest last (a stable sort: of equal receipt and
        // status, the later row); the store's own order is nearly this one already.
        rows.sort_by_key(|r| (r.cell(), r.received_at, r.status));
        let mut kept = 0;
        for i in 0..rows.len() {
            if rows
                .get(i + 1)
                .is_some_and(|next| next.cell() == rows[i].cell())
            {
                continue;
            }
            rows[kept] = rows[i];
            kept += 1;
        }
        rows.truncate(kept);
        rows.shrink_to_fit();
        Ok(LatestRows { texts, rows })
    }

    /// The value of the latest vintage (as `latest` picks it: the latest receipt, then the
    /// later status) of `column` in each of `cells` (unit, cell key; sorted, unique), as
    /// (the cell's position in `cells`, value) in that order. The history checks' read of a
    /// past period: only the columns it needs are decoded, nothing is kept per stored row,
    /// and a row finds its cell by numbers (its unit's cells, then its key among them), in
    /// whatever order the partition holds the rows.
    pub fn latest_values(
        &self,
        regime: &str,
        period: Period,
        column: InputColumn,
        cells: &Cells<'_>,
    ) -> Result<Vec<(usize, f64)>, StoreError> {
        const NEEDED: [&str; 7] = [
            "unit_code",
            "indicator_code",
            "disagg",
            "column",
            "value",
            "status",
            "received_at",
        ];
        // The scan's ids of the cells' keys and units, numbered first.
        let mut numbering = Numbering::default();
        let mut key_rank: Vec<u32> = Vec::new();
        for (r, k) in cells.keys.iter().enumerate() {
            let id = numbering.id(k) as usize;
            key_rank.resize(key_rank.len().max(id + 1), u32::MAX);
            key_rank[id] = r as u32;
        }
        let mut unit_cells: Vec<(u32, u32)> = Vec::new();
        for (unit, range) in &cells.units {
            let id = numbering.id(unit) as usize;
            unit_cells.resize(unit_cells.len().max(id + 1), (0, 0));
            unit_cells[id] = *range;
        }
        let cell_of = |row: &IdRow| -> Option<usize> {
            let &(from, to) = unit_cells.get(row.unit as usize)?;
            let rank = *key_rank.get(row.key as usize)?;
            let own = &cells.key_ranks[from as usize..to as usize];
            own.binary_search(&rank).ok().map(|i| from as usize + i)
        };
        // Each cell's latest vintage so far: receipt (id), status, value.
        let mut best: Vec<Option<(u32, ValueStatus, f64)>> = vec![None; cells.key_ranks.len()];
        self.scan(regime, period, &NEEDED, &mut numbering, &mut |n, row| {
            let (Some(c), Some(st), Some(v)) = (row.column, row.status, row.value) else {
                return;
            };
            if c != column {
                return;
            }
            let Some(i) = cell_of(row) else {
                return;
            };
            let later = match best[i] {
                None => true,
                Some((received, status, _)) => {
                    let (this, that) = (
                        &n.texts[row.received_at as usize],
                        &n.texts[received as usize],
                    );
                    (this, st) >= (that, status)
                }
            };
            if later {
                best[i] = Some((row.received_at, st, v));
            }
        })?;
        Ok(best
            .into_iter()
            .enumerate()
            .filter_map(|(i, b)| b.map(|(_, _, v)| (i, v)))
            .collect())
    }

    /// Calls `f` with every row of a period's partition (none where it has no partition), its
    /// texts numbered in `numbering`, a row group at a time: a nation's month (a million
    /// figures) is never decoded whole. Only `columns` are decoded; another column, or one an
    /// older partition lacks (`disagg`), reads as empty.
    fn scan(
        &self,
        regime: &str,
        period: Period,
        columns: &[&str],
        numbering: &mut Numbering,
        f: &mut dyn FnMut(&Numbering, &IdRow),
    ) -> Result<(), StoreError> {
        let path = self.partition(regime, &period.code());
        if !path.is_file() {
            return Ok(());
        }
        let bytes = polars_buffer::Buffer::from(std::fs::read(&path)?);
        let mut reader = ParquetReader::new(std::io::Cursor::new(bytes.as_slice()));
        let schema = reader.schema()?;
        let metadata = reader.get_metadata()?.clone();
        let present: Vec<String> = columns
            .iter()
            .filter(|c| schema.contains(c))
            .map(|c| c.to_string())
            .collect();
        // A row group's text columns as Parquet's dictionaries and indexes (`Part::group`); a
        // group whose pages are not all dictionary-encoded (a file another tool wrote) through
        // polars' reader, `SCAN_ROWS` rows at a time.
        let decode = |group: usize, offset: usize| -> Result<Vec<Part>, StoreError> {
            let rg = &metadata.row_groups[group];
            if let Some(part) = Part::group(&bytes, rg, &present) {
                return Ok(vec![part]);
            }
            let mut parts = Vec::new();
            let mut at = offset;
            while at < offset + rg.num_rows() {
                let mut reader = ParquetReader::new(std::io::Cursor::new(bytes.as_slice()));
                reader.set_metadata(metadata.clone());
                let rows = SCAN_ROWS.min(offset + rg.num_rows() - at);
                let df = reader
                    .with_columns(Some(present.clone()))
                    .with_slice(Some((at, rows)))
                    .finish()?;
                parts.push(Part::of(&df)?);
                at += rows;
            }
            Ok(parts)
        };
        // One group is decoded (on a thread of its own) while `f` walks the one before: the
        // two alternated on one core before (a 22-month store's past periods are read in ~5 s).
        // At most two groups are held at once.
        std::thread::scope(|scope| -> Result<(), StoreError> {
            let (parts, received) = std::sync::mpsc::sync_channel::<Result<Part, StoreError>>(0);
            let decode = &decode;
            let groups = metadata.row_groups.len();
            let starts: Vec<usize> = metadata
                .row_groups
                .iter()
                .scan(0, |at, rg| {
                    let start = *at;
                    *at += rg.num_rows();
                    Some(start)
                })
                .collect();
            scope.spawn(move || {
                for (group, offset) in (0..groups).zip(starts) {
                    match decode(group, offset) {
                        Ok(decoded) => {
                            for part in decoded {
                                // The walk ending early (an error of its own) ends the sending.
                                if parts.send(Ok(part)).is_err() {
                                    return;
                                }
                            }
                        }
                        // A failed group is the last one sent.
                        Err(e) => {
                            let _ = parts.send(Err(e));
                            return;
                        }
                    }
                }
            });
            let mut ids = IdPart::default();
            for part in received {
                part?.ids(numbering, &mut ids);
                for i in 0..ids.unit.len() {
                    f(numbering, &ids.row(i));
                }
            }
            Ok(())
        })
    }

    /// An exclusive OS lock on the store, held until the file is dropped (released however
    /// the process ends).
    fn lock(&self) -> Result<File, StoreError> {
        std::fs::create_dir_all(&self.dir)?;
        let f = std::fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(self.dir.join(LOCK))?;
        f.lock()?;
        Ok(f)
    }

    /// The partition of `rows`, staged to replace the period's (`output::Staged`).
    fn stage(
        &self,
        regime: &str,
        period: &str,
        mut rows: Vec<StoredValue>,
    ) -> Result<crate::output::Staged, StoreError> {
        sort(&mut rows);
        // A row group at a time: the frame of a nation's month (a million figures, eight text
        // columns) is never built whole. A partition within one group is written as before.
        let mut groups = rows.chunks(ROW_GROUP);
        let first = frame(groups.next().unwrap_or(&[]))?;
        let mut bytes = Vec::new();
        let digest = vec![(DIGEST_KEY.to_string(), rows_digest(&rows))];
        let mut writer = ParquetWriter::new(&mut bytes)
            .with_compression(ParquetCompression::Zstd(None))
            .with_key_value_metadata(Some(KeyValueMetadata::from_static(digest)))
            .batched(first.schema())?;
        writer.write_batch(&first)?;
        drop(first);
        for group in groups {
            writer.write_batch(&frame(group)?)?;
        }
        writer.finish()?;
        Ok(crate::output::stage(
            &self.partition(regime, period),
            &bytes,
        )?)
    }

    /// The digest of its rows a partition carries (`rows_digest`, in its footer's key-value
    /// metadata), if it was written by a baocao that records it.
    fn stored_digest(&self, regime: &str, period: Period) -> Option<String> {
        let file = File::open(self.partition(regime, &period.code())).ok()?;
        let mut reader = ParquetReader::new(file);
        let metadata = reader.get_metadata().ok()?;
        metadata
            .key_value_metadata()
            .as_ref()?
            .iter()
            .find(|kv| kv.key == DIGEST_KEY)?
            .value
            .clone()
    }

    /// Whether a period's partition has a row recorded by the run of `source` (its
    /// `source_period` column alone read).
    fn has_source(&self, regime: &str, period: Period, source: &str) -> Result<bool, StoreError> {
        let mut numbering = Numbering::default();
        let wanted = numbering.id(source);
        let mut found = false;
        self.scan(
            regime,
            period,
            &["source_period"],
            &mut numbering,
            &mut |_, row| found |= row.source_period == wanted,
        )?;
        Ok(found)
    }

    /// Whether a period's partition holds exactly `rows` (sorted) and nothing else: a rerun
    /// on the same inputs, told by comparing one column at a time (Parquet reads a column
    /// alone), without a value per stored figure.
    fn holds_exactly(&self, regime: &str, period: Period, rows: &[StoredValue]) -> bool {
        let path = self.partition(regime, &period.code());
        COLUMNS.iter().all(|name| {
            let stored = File::open(&path).ok().and_then(|f| {
                ParquetReader::new(f)
                    .with_columns(Some(vec![name.to_string()]))
                    .finish()
                    .ok()
            });
            stored.is_some_and(|s| {
                s.width() == 1
                    && s.height() == rows.len()
                    && s.column(name).is_ok_and(|c| holds_column(c, rows, name))
            })
        })
    }
}

/// A decoded part of a partition (`Store::scan`): its columns, each one chunk, missing where
/// the partition lacks the column or it was not asked for.
struct Part {
    height: usize,
    texts: [Text; 8],
    value: Option<PrimitiveArray<f64>>,
}

/// A text column of a decoded part.
#[derive(Default)]
enum Text {
    /// Not read, or not in the partition: every row's text is empty.
    #[default]
    Missing,
    /// Decoded by polars' reader.
    Strings(StringChunked),
    /// As Parquet stores it: the row group's distinct texts and each row's index among them.
    Dict(DictionaryArray<u32>),
}

impl Part {
    /// Text columns in `Part::texts` order.
    const TEXTS: [&'static str; 8] = [
        "unit_code",
        "indicator_code",
        "disagg",
        "column",
        "status",
        "source_period",
        "file",
        "received_at",
    ];

    fn of(df: &DataFrame) -> Result<Part, StoreError> {
        let text = |name: &str| -> Result<Text, StoreError> {
            match df.column(name) {
                Ok(c) => Ok(Text::Strings(c.str()?.rechunk().into_owned())),
                Err(_) => Ok(Text::Missing),
            }
        };
        let mut texts: [Text; 8] = Default::default();
        for (slot, name) in texts.iter_mut().zip(Self::TEXTS) {
            *slot = text(name)?;
        }
        let value = match df.column("value") {
            Ok(c) => Some(c.f64()?.rechunk().downcast_as_array().clone()),
            Err(_) => None,
        };
        Ok(Part {
            height: df.height(),
            texts,
            value,
        })
    }

    /// A whole row group of the partition in `bytes`, its `present` columns decoded, each text
    /// column as its dictionary and indexes (a nation's month is ~800,000 rows of a few
    /// thousand distinct texts: each text is numbered once, not once per row); `None` where a
    /// column is not stored as this version writes it (text pages not all dictionary-encoded,
    /// another type), to be read by polars' reader.
    fn group(
        bytes: &polars_buffer::Buffer<u8>,
        rg: &polars_parquet::read::RowGroupMetadata,
        present: &[String],
    ) -> Option<Part> {
        use polars_arrow::datatypes::{ArrowDataType, Field, IntegerType};
        use polars_parquet::read::PhysicalType;
        let chunks = |name: &str| -> Option<Vec<_>> {
            let chunks: Vec<_> = rg
                .columns_under_root_iter(name)?
                .map(|meta| {
                    let range = meta.byte_range();
                    let chunk = bytes
                        .clone()
                        .sliced(range.start as usize..range.end as usize);
                    (meta, chunk)
                })
                .collect();
            // A column of one leaf (no nesting), as the store writes them.
            (chunks.len() == 1).then_some(chunks)
        };
        let physical = |name: &str, t: PhysicalType| {
            rg.columns_under_root_iter(name)
                .is_some_and(|mut c| c.all(|m| m.physical_type() == t))
        };
        let decode = |name: &str, dtype: ArrowDataType, metadata| {
            let mut field = Field::new(name.into(), dtype, true);
            field.metadata = metadata;
            let (arrays, _) =
                polars_io::parquet::read::_internal::to_deserializer(chunks(name)?, field, None)
                    .ok()?;
            let [array]: [Box<dyn polars_arrow::array::Array>; 1] = arrays.try_into().ok()?;
            (array.len() == rg.num_rows()).then_some(array)
        };
        // polars decodes a dictionary as such for its own categorical columns only: the mark
        // asks for it (it reads the indexes and the dictionary page, nothing else).
        let categorical = Some(std::sync::Arc::new(
            [(
                polars_arrow::datatypes::DTYPE_CATEGORICAL_NEW.into(),
                PlSmallStr::EMPTY,
            )]
            .into_iter()
            .collect(),
        ));
        let mut texts: [Text; 8] = Default::default();
        for (slot, name) in texts.iter_mut().zip(Self::TEXTS) {
            if !present.iter().any(|p| p == name) {
                continue;
            }
            if !physical(name, PhysicalType::ByteArray) {
                return None;
            }
            let dtype = ArrowDataType::Dictionary(
                IntegerType::UInt32,
                Box::new(ArrowDataType::Utf8View),
                false,
            );
            let array = decode(name, dtype, categorical.clone())?;
            let dict = array.as_any().downcast_ref::<DictionaryArray<u32>>()?;
            dict.values().as_any().downcast_ref::<Utf8ViewArray>()?;
            *slot = Text::Dict(dict.clone());
        }
        let value = if present.iter().any(|p| p == "value") {
            if !physical("value", PhysicalType::Double) {
                return None;
            }
            let array = decode("value", ArrowDataType::Float64, None)?;
            Some(
                array
                    .as_any()
                    .downcast_ref::<PrimitiveArray<f64>>()?
                    .clone(),
            )
        } else {
            None
        };
        Some(Part {
            height: rg.num_rows(),
            texts,
            value,
        })
    }

    /// Its rows as numbers (`IdRow`): each text as its id in `n`, found once per distinct
    /// Arrow view of the part rather than once per row (the store's columns repeat a few
    /// texts each, and Parquet's dictionary decoding gives equal texts equal views); the
    /// column and status parsed once per view too.
    /// The buffers of `out` are those of the part before, refilled: a period's parts take
    /// no fresh memory for their numbers.
    fn ids(&self, n: &mut Numbering, out: &mut IdPart) {
        let h = self.height;
        let [unit, ind, disagg, col, status, src, file, recv] = self.texts.each_ref();
        text_ids(unit, h, n, &mut out.unit);
        text_ids(src, h, n, &mut out.source_period);
        text_ids(file, h, n, &mut out.file);
        text_ids(recv, h, n, &mut out.received_at);
        // A cell key is its indicator's code, with its options in brackets if it has any.
        text_ids(ind, h, n, &mut out.key);
        text_ids(disagg, h, n, &mut out.scratch);
        let empty = n.id("");
        let mut keys: foldhash::HashMap<(u32, u32), u32> = Default::default();
        for (k, &d) in out.key.iter_mut().zip(&out.scratch) {
            if d != empty {
                let i = *k;
                *k = *keys.entry((i, d)).or_insert_with(|| {
                    let text = format!("{}[{}]", n.texts[i as usize], n.texts[d as usize]);
                    n.id(&text)
                });
            }
        }
        text_ids(col, h, n, &mut out.scratch);
        parse_ids(
            &out.scratch,
            &n.texts,
            InputColumn::from_key,
            &mut out.column,
        );
        text_ids(status, h, n, &mut out.scratch);
        parse_ids(
            &out.scratch,
            &n.texts,
            ValueStatus::from_key,
            &mut out.status,
        );
        out.value.clear();
        match &self.value {
            Some(a) if a.null_count() == 0 => out
                .value
                .extend(a.values().iter().take(h).map(|x| Some(*x))),
            Some(a) => out.value.extend(a.iter().take(h).map(|x| x.copied())),
            None => {}
        }
        out.value.resize(h, None);
    }
}

/// The texts of `ids` parsed, into `out`: each distinct text once.
fn parse_ids<T: Copy>(
    ids: &[u32],
    texts: &[Shared],
    parse: fn(&str) -> Option<T>,
    out: &mut Vec<Option<T>>,
) {
    let mut memo: Vec<Option<Option<T>>> = vec![None; texts.len()];
    out.clear();
    out.extend(
        ids.iter()
            .map(|&id| *memo[id as usize].get_or_insert_with(|| parse(&texts[id as usize]))),
    );
}

/// The ids in `n` of a text column's rows, into `out` (`""`'s where the column is missing or
/// a row is empty). A row whose view is one met before in the part costs a comparison of 16
/// bytes in a small table; only a view not in the table is looked up by its text.
fn text_ids(c: &Text, height: usize, n: &mut Numbering, out: &mut Vec<u32>) {
    let empty = n.id("");
    out.clear();
    let c = match c {
        Text::Missing => {
            out.resize(height, empty);
            return;
        }
        Text::Dict(d) => {
            dict_ids(d, height, n, out);
            return;
        }
        Text::Strings(c) => c,
    };
    let a = c.downcast_as_array();
    if c.null_count() > 0 {
        out.extend((0..height).map(|i| a.get(i).map_or(empty, |t| n.id(t))));
        return;
    }
    // The views met, in a table of `SLOTS` by a hash of the view (a column's few distinct
    // views each keep their slot); a view whose slot another holds is looked up by its text.
    const SLOTS: usize = 256;
    let mut slots = [(u128::MAX, 0u32); SLOTS];
    let slot = |v: u128| {
        let h =
            ((v as u64) ^ ((v >> 64) as u64).rotate_left(29)).wrapping_mul(0x9E37_79B9_7F4A_7C15);
        (h >> 56) as usize
    };
    out.extend(a.views().iter().take(height).enumerate().map(|(i, view)| {
        let v = view.as_u128();
        let s = &mut slots[slot(v)];
        if s.0 == v {
            return s.1;
        }
        let id = n.id(a.value(i));
        *s = (v, id);
        id
    }));
}

/// The ids in `n` of a dictionary-encoded text column's rows, into `out`: each distinct text
/// numbered once (`""`'s where a row is null or its index is out of the dictionary).
fn dict_ids(d: &DictionaryArray<u32>, height: usize, n: &mut Numbering, out: &mut Vec<u32>) {
    let empty = n.id("");
    let ids: Vec<u32> = match d.values().as_any().downcast_ref::<Utf8ViewArray>() {
        Some(texts) => texts.iter().map(|t| t.map_or(empty, |t| n.id(t))).collect(),
        None => Vec::new(),
    };
    let id = |k: u32| ids.get(k as usize).copied().unwrap_or(empty);
    let keys = d.keys();
    if keys.null_count() == 0 {
        out.extend(keys.values().iter().take(height).map(|k| id(*k)));
    } else {
        out.extend(
            keys.iter()
                .take(height)
                .map(|k| k.map_or(empty, |k| id(*k))),
        );
    }
    out.resize(height, empty);
}

/// Cells (unit, cell key) looked up in past periods (`Store::latest_values`), indexed once
/// for every period read: each unit's cells a range, each cell's key a rank among the keys.
pub struct Cells<'a> {
    /// The distinct keys, in text order.
    keys: Vec<&'a str>,
    /// Each unit and the range of its cells.
    units: Vec<(&'a str, (u32, u32))>,
    /// Each cell's key, as its rank in `keys` (rising within a unit's range).
    key_ranks: Vec<u32>,
}

impl<'a> Cells<'a> {
    /// The index of `cells` (sorted, unique).
    pub fn new(cells: &[(&'a str, &'a str)]) -> Cells<'a> {
        debug_assert!(cells.windows(2).all(|w| w[0] < w[1]), "sorted, unique");
        // The few hundred distinct keys of a nation's million cells, then sorted: not a sort of
        // the million (~50 ms on one core).
        let mut keys: Vec<&str> = cells
            .iter()
            .map(|c| c.1)
            .collect::<foldhash::HashSet<_>>()
            .into_iter()
            .collect();
        keys.sort_unstable();
        let rank: foldhash::HashMap<&str, u32> = keys
            .iter()
            .enumerate()
            .map(|(r, k)| (*k, r as u32))
            .collect();
        let mut units = Vec::new();
        let mut at = 0u32;
        for run in cells.chunk_by(|a, b| a.0 == b.0) {
            let end = at + run.len() as u32;
            units.push((run[0].0, (at, end)));
            at = end;
        }
        Cells {
            keys,
            units,
            key_ranks: cells.iter().map(|c| rank[c.1]).collect(),
        }
    }
}

/// A decoded part's rows as numbers (`Part::ids`), a vector per column.
#[derive(Default)]
struct IdPart {
    unit: Vec<u32>,
    key: Vec<u32>,
    column: Vec<Option<InputColumn>>,
    status: Vec<Option<ValueStatus>>,
    value: Vec<Option<f64>>,
    source_period: Vec<u32>,
    file: Vec<u32>,
    received_at: Vec<u32>,
    /// Another text column's ids on their way (options, column, status).
    scratch: Vec<u32>,
}

impl IdPart {
    fn row(&self, i: usize) -> IdRow {
        IdRow {
            unit: self.unit[i],
            key: self.key[i],
            column: self.column[i],
            status: self.status[i],
            value: self.value[i],
            source_period: self.source_period[i],
            file: self.file[i],
            received_at: self.received_at[i],
        }
    }
}

/// One stored row as decoded: its texts (the unit, the cell key `TT01` or
/// `TT01[nguon=truc_tuyen]`, …) as ids of the scan's `Numbering`, `""`'s where missing.
#[derive(Debug, Clone, Copy)]
struct IdRow {
    unit: u32,
    key: u32,
    column: Option<InputColumn>,
    status: Option<ValueStatus>,
    value: Option<f64>,
    source_period: u32,
    file: u32,
    received_at: u32,
}

/// Which stored figures a read keeps: by unit, and by cell key and column. Each is asked once
/// per distinct unit or (cell key, column) of the period read, not once per figure.
#[derive(Clone, Copy)]
pub struct Keep<'a> {
    pub unit: &'a dyn Fn(&str) -> bool,
    pub cell: &'a dyn Fn(&str, InputColumn) -> bool,
}

fn any_unit(_: &str) -> bool {
    true
}

fn any_cell(_: &str, _: InputColumn) -> bool {
    true
}

impl<'a> Keep<'a> {
    /// Every figure.
    pub const ALL: Keep<'static> = Keep {
        unit: &any_unit,
        cell: &any_cell,
    };

    /// The figures of the cells `cell` accepts, of every unit.
    pub fn cells(cell: &'a dyn Fn(&str, InputColumn) -> bool) -> Keep<'a> {
        Keep {
            unit: &any_unit,
            cell,
        }
    }
}

/// `Keep`'s answers by id of a scan's `Numbering`: 0 not asked yet, 1 no, 2 yes.
struct KeepMemo<'a> {
    keep: Keep<'a>,
    units: Vec<u8>,
    cells: Vec<[u8; 4]>,
}

impl<'a> KeepMemo<'a> {
    fn new(keep: Keep<'a>) -> KeepMemo<'a> {
        KeepMemo {
            keep,
            units: Vec::new(),
            cells: Vec::new(),
        }
    }

    fn keeps(&mut self, n: &Numbering, unit: u32, key: u32, column: InputColumn) -> bool {
        let (u, k) = (unit as usize, key as usize);
        if self.cells.len() <= k {
            self.cells.resize(n.texts.len().max(k + 1), [0; 4]);
        }
        let cell = &mut self.cells[k][column as usize];
        if *cell == 0 {
            *cell = 1 + u8::from((self.keep.cell)(&n.texts[k], column));
        }
        if *cell == 1 {
            return false;
        }
        if self.units.len() <= u {
            self.units.resize(n.texts.len().max(u + 1), 0);
        }
        let known = &mut self.units[u];
        if *known == 0 {
            *known = 1 + u8::from((self.keep.unit)(&n.texts[u]));
        }
        *known == 2
    }
}

/// The changes from a source's earlier rows of a period to its new ones: a changed or
/// withdrawn figure (a first recording is not a revision).
fn revisions(
    regime: &str,
    period: Period,
    old: &[StoredValue],
    new: &[StoredValue],
) -> Vec<Revision> {
    let index = |v: &[StoredValue]| -> BTreeMap<Key, StoredValue> {
        v.iter()
            .map(|r| {
                (
                    (
                        r.unit_code.clone(),
                        r.indicator_code.clone(),
                        r.column,
                        r.status,
                    ),
                    r.clone(),
                )
            })
            .collect()
    };
    let (before, after) = (index(old), index(new));
    let mut revisions = Vec::new();
    let keys: std::collections::BTreeSet<&Key> = before.keys().chain(after.keys()).collect();
    for k in keys {
        let (b, a) = (before.get(k), after.get(k));
        if b.is_none() || b.map(|x| x.value) == a.map(|x| x.value) {
            continue;
        }
        let latest = a.or(b).expect("in one of them");
        revisions.push(Revision {
            regime: regime.to_string(),
            period: period.code(),
            unit_code: k.0.to_string(),
            indicator_code: k.1.to_string(),
            column: k.2.key().to_string(),
            status: k.3.key().to_string(),
            old_value: b.map(|x| x.value),
            new_value: a.map(|x| x.value),
            file: latest.file.to_string(),
            received_at: latest.received_at.to_string(),
        });
    }
    revisions
}

/// Rows in the order the store keeps them.
fn sort(rows: &mut [StoredValue]) {
    rows.sort_by(|a, b| a.partial_cmp(b).unwrap_or(std::cmp::Ordering::Equal));
}

/// Rows in one row group of a partition written by this version: the rows decoded at once
/// when it is read (`SCAN_ROWS`), so that no page is decompressed twice. Until 6/12/2026 a
/// group had 262,144 rows (polars' default), read a quarter at a time: each quarter
/// decompressed again the pages it shared with the one before (a 22-month store's run: ~0,4 s).
const ROW_GROUP: usize = 256 * 256;

/// Rows decoded at once by polars' reader, for a row group not stored as dictionaries
/// (`Part::group`): it holds ~380 bytes a row while it decodes (a part of 65,536, ~25 MiB).
const SCAN_ROWS: usize = ROW_GROUP;

/// The partition's columns, in order.
const COLUMNS: [&str; 9] = [
    "unit_code",
    "indicator_code",
    "column",
    "value",
    "status",
    "source_period",
    "file",
    "received_at",
    "disagg",
];

/// A row's text fields in `COLUMNS` order (`value` aside), as `rows_digest` hashes them.
fn row_texts<'t>(
    unit: &'t str,
    key: &'t str,
    column: InputColumn,
    status: ValueStatus,
    source: &'t str,
    file: &'t str,
    received_at: &'t str,
) -> [&'t str; 8] {
    let (indicator, disagg) = split_key(key);
    [
        unit,
        indicator,
        column.key(),
        status.key(),
        source,
        file,
        received_at,
        disagg,
    ]
}

/// A text column's field of a stored row (`value` is the one number column).
fn text_field(name: &str) -> fn(&StoredValue) -> &str {
    match name {
        "unit_code" => |r| &r.unit_code,
        "indicator_code" => |r| split_key(&r.indicator_code).0,
        "column" => |r| r.column.key(),
        "status" => |r| r.status.key(),
        "source_period" => |r| &r.source_period,
        "file" => |r| &r.file,
        "received_at" => |r| &r.received_at,
        _ => |r| split_key(&r.indicator_code).1,
    }
}

/// One column of the partition, from rows in the store's order.
fn column(rows: &[StoredValue], name: &str) -> Column {
    if name == "value" {
        return Series::new(
            name.into(),
            rows.iter().map(|r| r.value).collect::<Vec<f64>>(),
        )
        .into();
    }
    let field = text_field(name);
    Series::new(name.into(), rows.iter().map(field).collect::<Vec<&str>>()).into()
}

/// Whether a stored column is exactly `column(rows, name)` (same length, no missing value),
/// compared in place: a rerun's check builds no second copy of a million figures.
fn holds_column(stored: &Column, rows: &[StoredValue], name: &str) -> bool {
    if stored.len() != rows.len() {
        return false;
    }
    if name == "value" {
        let same = |v: Option<f64>, r: &StoredValue| {
            v.is_some_and(|v| v == r.value || (v.is_nan() && r.value.is_nan()))
        };
        return stored
            .f64()
            .is_ok_and(|c| c.iter().zip(rows).all(|(v, r)| same(v, r)));
    }
    let field = text_field(name);
    stored
        .str()
        .is_ok_and(|c| c.iter().zip(rows).all(|(v, r)| v == Some(field(r))))
}

/// The key of a partition's digest in its Parquet footer.
const DIGEST_KEY: &str = "baocao_rows_blake3";

/// BLAKE3 (hex) of rows as the partition's columns hold them, in order: every text field as
/// its length and bytes, the value as its bits (one NaN for all, -0 as 0). Two row lists have
/// the same digest exactly when `holds_exactly` would find one stored as the other. (BLAKE3,
/// already in polars' tree, hashes a nation's month of rows, ~120 MB, in a fraction of
/// SHA-256's time.) Rows are hashed in fixed runs of `DIGEST_RUN` on every core, and the digest
/// is that of the row count and the runs' digests: the same on any number of cores.
fn rows_digest(rows: &[StoredValue]) -> String {
    digest_of(rows, |r, block| {
        let texts = row_texts(
            &r.unit_code,
            &r.indicator_code,
            r.column,
            r.status,
            &r.source_period,
            &r.file,
            &r.received_at,
        );
        push_row(block, texts.into_iter(), r.value)
    })
}

/// `rows_digest` of the rows `row` appends to a block, each as `push_row` does.
fn digest_of<R: Sync>(rows: &[R], row: impl Fn(&R, &mut Vec<u8>) + Sync) -> String {
    use rayon::prelude::*;
    let run_digest = |run: &[R]| {
        let mut hasher = blake3::Hasher::new();
        // Hashed a block at a time, not a field at a time.
        let mut block = Vec::with_capacity(1 << 16);
        for r in run {
            row(r, &mut block);
            if block.len() >= 1 << 16 {
                hasher.update(&block);
                block.clear();
            }
        }
        hasher.update(&block);
        *hasher.finalize().as_bytes()
    };
    let runs: Vec<[u8; 32]> = rows.par_chunks(DIGEST_RUN).map(run_digest).collect();
    let mut hasher = blake3::Hasher::new();
    hasher.update(&(rows.len() as u64).to_le_bytes());
    for run in &runs {
        hasher.update(run);
    }
    hasher.finalize().to_hex().to_string()
}

/// A row as `rows_digest` hashes it: its text fields (`COLUMNS` but `value`, in order) as
/// length and bytes, then the value's bits.
fn push_row<'t>(block: &mut Vec<u8>, texts: impl Iterator<Item = &'t str>, value: f64) {
    for text in texts {
        block.extend((text.len() as u32).to_le_bytes());
        block.extend(text.as_bytes());
    }
    // As `holds_column` compares them: any NaN is NaN, and -0 is 0.
    let value = match value {
        v if v.is_nan() => f64::NAN,
        0.0 => 0.0,
        v => v,
    };
    block.extend(value.to_bits().to_le_bytes());
}

/// Rows hashed together in `rows_digest`.
const DIGEST_RUN: usize = 1 << 16;

/// The partition's columns, from rows in the store's order.
fn frame(rows: &[StoredValue]) -> Result<DataFrame, StoreError> {
    Ok(DataFrame::new_infer_height(
        COLUMNS.iter().map(|name| column(rows, name)).collect(),
    )?)
}

impl Store {
    /// Records what the run of `source` says about `period` (its own period, or an earlier one
    /// it revises): the rows that runs of `source` wrote before are replaced by `rows`; every
    /// change is appended to the audit log. Returns the changes (none on a rerun with the same
    /// inputs, which leaves every file untouched).
    pub fn record(
        &self,
        regime: &str,
        period: Period,
        source: Period,
        rows: Vec<StoredValue>,
    ) -> Result<Vec<Revision>, StoreError> {
        self.record_figures(regime, period, source, NewFigures::of(&rows))
    }

    /// `record`, of figures borrowed from the run (a nation's month is a million): a rerun
    /// whose figures are those stored makes no `StoredValue`.
    pub fn record_figures(
        &self,
        regime: &str,
        period: Period,
        source: Period,
        mut figures: NewFigures<'_>,
    ) -> Result<Vec<Revision>, StoreError> {
        // One writer at a time (runs with different output folders may share a store), and
        // what a killed writer left is removed under the lock.
        let _lock = self.lock()?;
        remove_temporaries(&self.dir);
        if let Some(dir) = self.partition(regime, &period.code()).parent() {
            remove_temporaries(dir);
        }
        let src = source.code();
        figures.sort();
        // The common rerun: the partition is this run's own figures, unchanged. Told by the
        // digest the partition carries, or, in a partition written without one, by its columns.
        let stored = self.stored_digest(regime, period);
        if stored.as_ref().is_some_and(|d| *d == figures.digest(&src)) {
            return Ok(Vec::new());
        }
        let new = figures.stored(&src);
        drop(figures);
        if stored.is_none() && self.holds_exactly(regime, period, &new) {
            return Ok(Vec::new());
        }
        // Nothing to record where nothing was recorded before: the usual case of the previous
        // period, which a run revises only where its forms carry that period's actuals (a
        // nation's month would otherwise be read whole, ~0,2 s, to find none of this source).
        if new.is_empty() && !self.has_source(regime, period, &src)? {
            return Ok(Vec::new());
        }
        let existing = self.read(regime, period)?;
        let (mut old, keep): (Vec<StoredValue>, Vec<StoredValue>) =
            existing.into_iter().partition(|r| r.source_period == src);
        sort(&mut old);
        if old == new {
            return Ok(Vec::new());
        }
        // A first recording has no revision: nothing to compare (a nation's month is a
        // million rows, cloned twice into the indexes).
        let revisions = if old.is_empty() {
            Vec::new()
        } else {
            revisions(regime, period, &old, &new)
        };
        let mut all = keep;
        all.extend(new);
        // Both files written in full before either replaces its own: a disk that fills up
        // leaves the partition and the audit as they were, and no revision is lost.
        let partition = self.stage(regime, &period.code(), all)?;
        let audit = self.stage_audit(&revisions)?;
        partition.commit()?;
        if let Some(audit) = audit {
            audit.commit()?;
        }
        Ok(revisions)
    }

    /// The audit log with `revisions` appended, staged (none when there are none).
    fn stage_audit(
        &self,
        revisions: &[Revision],
    ) -> Result<Option<crate::output::Staged>, StoreError> {
        if revisions.is_empty() {
            return Ok(None);
        }
        let path = self.dir.join(AUDIT);
        let mut text = std::fs::read_to_string(&path).unwrap_or_else(|_| AUDIT_HEADER.to_string());
        let mut w = csv::WriterBuilder::new()
            .has_headers(false)
            .from_writer(Vec::new());
        let num = |v: Option<f64>| v.map(|x| x.to_string()).unwrap_or_default();
        for r in revisions {
            w.write_record([
                r.regime.as_str(),
                &r.period,
                &r.unit_code,
                &r.indicator_code,
                &r.column,
                &r.status,
                &num(r.old_value),
                &num(r.new_value),
                &r.file,
                &r.received_at,
            ])?;
        }
        text.push_str(&String::from_utf8_lossy(
            &w.into_inner()
                .map_err(|e| std::io::Error::other(e.to_string()))?,
        ));
        Ok(Some(crate::output::stage(&path, text.as_bytes())?))
    }

    /// The audit log, optionally for one unit and indicator.
    pub fn audit(
        &self,
        unit: Option<&str>,
        indicator: Option<&str>,
    ) -> Result<Vec<Revision>, StoreError> {
        let path = self.dir.join(AUDIT);
        if !path.is_file() {
            return Ok(Vec::new());
        }
        let mut rdr = csv::Reader::from_path(path)?;
        let mut out = Vec::new();
        for rec in rdr.records() {
            let r = rec?;
            let f = |i: usize| r.get(i).unwrap_or("").to_string();
            let n = |i: usize| r.get(i).and_then(|s| s.parse::<f64>().ok());
            let rev = Revision {
                regime: f(0),
                period: f(1),
                unit_code: f(2),
                indicator_code: f(3),
                column: f(4),
                status: f(5),
                old_value: n(6),
                new_value: n(7),
                file: f(8),
                received_at: f(9),
            };
            if unit.is_none_or(|u| u == rev.unit_code)
                && indicator.is_none_or(|i| i == rev.indicator_code)
            {
                out.push(rev);
            }
        }
        Ok(out)
    }

    /// The latest vintage of each (unit, indicator, column) of a period; `status` picks one
    /// kind of figure (e.g. only actuals), otherwise any.
    pub fn latest(
        &self,
        regime: &str,
        period: Period,
        status: Option<ValueStatus>,
    ) -> Result<BTreeMap<(Shared, Shared, InputColumn), StoredValue>, StoreError> {
        self.latest_where(regime, period, status, Keep::ALL)
    }

    /// `latest` over the figures `keep` accepts (see `read_where`).
    pub fn latest_where(
        &self,
        regime: &str,
        period: Period,
        status: Option<ValueStatus>,
        keep: Keep<'_>,
    ) -> Result<BTreeMap<(Shared, Shared, InputColumn), StoredValue>, StoreError> {
        // Built from rows in key order: full nodes, texts shared with the rows.
        Ok(self
            .latest_rows(regime, period, status, keep)?
            .iter()
            .map(|r| {
                let key = (r.unit_code.clone(), r.indicator_code.clone(), r.column);
                (key, r.to_stored())
            })
            .collect())
    }
}

/// The default history folder of a config root.
pub fn default_dir(root: &Path) -> PathBuf {
    root.join("history")
}

/// A consolidated list as the store keeps it: its columns (code and type) and its rows (the
/// reporting unit, its row number, each cell's canonical text: `catalog::lists`).
pub struct ListTable<'a> {
    pub columns: Vec<(&'a str, crate::catalog::lists::ListType)>,
    pub rows: Vec<ListRecord<'a>>,
}

/// One row of a stored list.
pub struct ListRecord<'a> {
    pub unit_code: &'a str,
    pub unit_name: &'a str,
    pub stt: usize,
    pub cells: &'a [Option<String>],
}

impl Store {
    fn list_partition(&self, regime: &str, period: &str, list: &str) -> PathBuf {
        self.dir
            .join(format!("regime={regime}"))
            .join(format!("period={period}"))
            .join(format!("list={list}"))
            .join("data.parquet")
    }

    /// Writes a period's consolidated list (`regime=…/period=…/list=<code>/data.parquet`),
    /// replacing the one a previous run wrote: `unit_code`, `unit_name`, `stt`, then a column
    /// per list column — dates as dates, integers and decimals as doubles, the rest as text.
    pub fn record_list(
        &self,
        regime: &str,
        period: Period,
        list: &str,
        table: &ListTable<'_>,
    ) -> Result<(), StoreError> {
        use crate::catalog::lists::ListType;
        let _lock = self.lock()?;
        let rows = &table.rows;
        let mut columns: Vec<Column> = vec![
            Column::new(
                "unit_code".into(),
                rows.iter().map(|r| r.unit_code).collect::<Vec<_>>(),
            ),
            Column::new(
                "unit_name".into(),
                rows.iter().map(|r| r.unit_name).collect::<Vec<_>>(),
            ),
            Column::new(
                "stt".into(),
                rows.iter().map(|r| r.stt as i64).collect::<Vec<_>>(),
            ),
        ];
        for (j, (code, kind)) in table.columns.iter().enumerate() {
            let cell = |r: &ListRecord<'_>| r.cells.get(j).cloned().flatten();
            let col = match kind {
                ListType::Integer | ListType::Decimal => Column::new(
                    (*code).into(),
                    rows.iter()
                        .map(|r| cell(r).and_then(|v| v.parse::<f64>().ok()))
                        .collect::<Vec<Option<f64>>>(),
                ),
                ListType::Date => {
                    let epoch = chrono::NaiveDate::from_ymd_opt(1970, 1, 1).expect("a date");
                    let days: Vec<Option<i32>> = rows
                        .iter()
                        .map(|r| {
                            cell(r)
                                .and_then(|v| {
                                    chrono::NaiveDate::parse_from_str(&v, "%Y-%m-%d").ok()
                                })
                                .map(|d| (d - epoch).num_days() as i32)
                        })
                        .collect();
                    Column::new((*code).into(), days).cast(&DataType::Date)?
                }
                _ => Column::new(
                    (*code).into(),
                    rows.iter().map(cell).collect::<Vec<Option<String>>>(),
                ),
            };
            columns.push(col);
        }
        let mut df = DataFrame::new_infer_height(columns)?;
        let mut bytes = Vec::new();
        ParquetWriter::new(&mut bytes)
            .with_compression(ParquetCompression::Zstd(None))
            .finish(&mut df)?;
        write_atomic(&self.list_partition(regime, &period.code(), list), &bytes)?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(unit: &str, value: f64, received: &str) -> StoredValue {
        StoredValue {
            unit_code: unit.into(),
            indicator_code: "NN05".into(),
            column: InputColumn::ThucHien,
            value,
            status: ValueStatus::ThucHien,
            source_period: "".into(),
            file: format!("{unit}.xlsx").into(),
            received_at: received.into(),
        }
    }

    #[test]
    fn borrowed_figures_sort_and_hash_as_the_stored_values_they_become() {
        // Rows that tie on every field but one, in every field, in a shuffled order; equal
        // values of either sign keep their order (a stable sort's tie).
        let mut rng = fastrand::Rng::with_seed(13);
        let pick = |rng: &mut fastrand::Rng, xs: &[&'static str]| xs[rng.usize(..xs.len())];
        let columns = [
            InputColumn::ThucHien,
            InputColumn::KeHoach,
            InputColumn::LuyKe,
        ];
        let statuses = [
            ValueStatus::ThucHien,
            ValueStatus::Uoc,
            ValueStatus::ChinhThuc,
        ];
        let rows: Vec<StoredValue> = (0..600)
            .map(|_| StoredValue {
                unit_code: pick(&mut rng, &["02", "01", "10"]).into(),
                indicator_code: pick(&mut rng, &["NN05", "NN05[gioi=nam]", "NN01"]).into(),
                column: columns[rng.usize(..3)],
                value: [1.0, 2.0, -0.0, 0.0, 1e300][rng.usize(..5)],
                status: statuses[rng.usize(..3)],
                source_period: "2026-09".into(),
                file: pick(&mut rng, &["b.xlsx", "a.xlsx"]).into(),
                received_at: pick(
                    &mut rng,
                    &["", "2026-10-15T08:00:00", "2026-10-14T08:00:00"],
                )
                .into(),
            })
            .collect();
        let mut want = rows.clone();
        for r in &mut want {
            r.source_period = "2026-10".into();
        }
        sort(&mut want);
        let mut figures = NewFigures::of(&rows);
        figures.sort();
        // Every field, the value to its bits.
        let fields = |rows: &[StoredValue]| -> Vec<String> {
            rows.iter()
                .map(|r| {
                    format!(
                        "{} {} {:?} {:x} {:?} {} {} {}",
                        r.unit_code,
                        r.indicator_code,
                        r.column,
                        r.value.to_bits(),
                        r.status,
                        r.source_period,
                        r.file,
                        r.received_at
                    )
                })
                .collect()
        };
        assert_eq!(fields(&figures.stored("2026-10")), fields(&want));
        assert_eq!(figures.digest("2026-10"), rows_digest(&want));
        assert_ne!(figures.digest("2026-09"), rows_digest(&want));
    }

    #[test]
    fn a_stored_column_is_compared_in_place_value_by_value() {
        let rows = vec![v("01", 12.5, "2026-11-02T08:00:00"), v("02", 7.0, "")];
        let frame = frame(&rows).unwrap();
        let col = |name: &str| frame.column(name).unwrap().clone();
        for name in COLUMNS {
            assert!(holds_column(&col(name), &rows, name), "{name}");
        }
        // One figure changed, one text changed, one row fewer: not the same partition.
        let mut changed = rows.clone();
        changed[1].value = 7.000001;
        assert!(!holds_column(&col("value"), &changed, "value"));
        assert!(holds_column(&col("file"), &changed, "file"));
        changed[0].file = "01-sua.xlsx".into();
        assert!(!holds_column(&col("file"), &changed, "file"));
        assert!(!holds_column(&col("unit_code"), &rows[..1], "unit_code"));
        // A missing value is never a figure, and a text column is not a number column.
        let nulls = Column::new("value".into(), [None::<f64>, Some(7.0)]);
        assert!(!holds_column(&nulls, &rows, "value"));
        assert!(!holds_column(&col("unit_code"), &rows, "value"));
    }

    fn files(dir: &Path) -> Vec<(String, Vec<u8>)> {
        let mut out = Vec::new();
        let mut stack = vec![dir.to_path_buf()];
        while let Some(d) = stack.pop() {
            for e in std::fs::read_dir(&d).unwrap().flatten() {
                if e.path().is_dir() {
                    stack.push(e.path());
                } else {
                    out.push((
                        e.path().display().to_string(),
                        std::fs::read(e.path()).unwrap(),
                    ));
                }
            }
        }
        out.sort();
        out
    }

    #[test]
    fn a_rerun_on_the_same_inputs_leaves_the_store_identical() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::new(dir.path());
        let p: Period = "2026-10".parse().unwrap();
        let rows = vec![
            v("A", 10.0, "2026-10-15T08:00"),
            v("B", 20.0, "2026-10-15T09:00"),
        ];
        assert!(
            store.record("ktxh", p, p, rows.clone()).unwrap().is_empty(),
            "first recordings are not revisions"
        );
        let before = files(dir.path());
        assert!(store.record("ktxh", p, p, rows.clone()).unwrap().is_empty());
        assert_eq!(files(dir.path()), before);
        assert_eq!(
            store.read("ktxh", p).unwrap().len(),
            2,
            "replaced, not duplicated"
        );
        assert!(dir
            .path()
            .join("regime=ktxh/period=2026-10/data.parquet")
            .is_file());
    }

    #[test]
    fn a_partition_carries_the_digest_of_its_rows_and_a_rerun_is_told_by_it() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::new(dir.path());
        let p: Period = "2026-10".parse().unwrap();
        let rows = vec![v("A", 10.0, "2026-10-15T08:00"), v("B", f64::NAN, "")];
        store.record("ktxh", p, p, rows.clone()).unwrap();
        let mut stored = rows.clone();
        for r in &mut stored {
            r.source_period = "2026-10".into();
        }
        assert_eq!(store.stored_digest("ktxh", p), Some(rows_digest(&stored)));
        // Any field, a value's bits, a row more or fewer: another digest. A NaN is any NaN and
        // -0 is 0, as the columns compare them.
        let digest = rows_digest(&stored);
        let with = |f: fn(&mut StoredValue)| {
            let mut changed = stored.clone();
            f(&mut changed[0]);
            rows_digest(&changed)
        };
        assert_ne!(with(|r| r.value = 10.000000000000002), digest);
        assert_ne!(with(|r| r.file = "A2.xlsx".into()), digest);
        assert_ne!(
            with(|r| r.indicator_code = "NN05[gioi_tinh=nu]".into()),
            digest
        );
        assert_ne!(with(|r| r.status = ValueStatus::Uoc), digest);
        assert_ne!(rows_digest(&stored[..1]), digest);
        // Texts are delimited by their lengths: a source period and file "2026-10" + "A.xlsx"
        // are not "2026-10A" + ".xlsx".
        assert_ne!(
            with(|r| {
                r.source_period = "2026-10A".into();
                r.file = ".xlsx".into();
            }),
            digest
        );
        let mut nan = stored.clone();
        nan[1].value = -f64::NAN;
        assert_eq!(rows_digest(&nan), digest);
        let mut zero = stored.clone();
        zero[0].value = 0.0;
        let mut negative_zero = stored.clone();
        negative_zero[0].value = -0.0;
        assert_eq!(rows_digest(&zero), rows_digest(&negative_zero));
        // Told by the digest: the rerun leaves the partition as it was.
        let before = files(dir.path());
        assert!(store.record("ktxh", p, p, rows.clone()).unwrap().is_empty());
        assert_eq!(files(dir.path()), before);
    }

    #[test]
    fn a_partition_written_without_a_digest_is_compared_by_its_columns() {
        // As an older baocao (or another tool) wrote it: the same rows, no digest in the footer.
        let dir = tempfile::tempdir().unwrap();
        let store = Store::new(dir.path());
        let p: Period = "2026-10".parse().unwrap();
        let mut rows = vec![v("A", 10.0, "2026-10-15T08:00"), v("B", 20.0, "")];
        for r in &mut rows {
            r.source_period = "2026-10".into();
        }
        let path = store.partition("ktxh", "2026-10");
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        let mut frame = frame(&rows).unwrap();
        ParquetWriter::new(File::create(&path).unwrap())
            .finish(&mut frame)
            .unwrap();
        assert_eq!(store.stored_digest("ktxh", p), None);
        let before = std::fs::read(&path).unwrap();
        assert!(store.record("ktxh", p, p, rows.clone()).unwrap().is_empty());
        assert_eq!(
            std::fs::read(&path).unwrap(),
            before,
            "unchanged, not rewritten"
        );
        // A changed figure is still found, and the partition rewritten with its digest.
        rows[1].value = 21.0;
        let revisions = store.record("ktxh", p, p, rows.clone()).unwrap();
        assert_eq!(revisions.len(), 1);
        assert_eq!(store.stored_digest("ktxh", p), Some(rows_digest(&rows)));
    }

    #[test]
    fn a_later_submission_replaces_the_earlier_and_the_change_is_audited() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::new(dir.path());
        let p: Period = "2026-10".parse().unwrap();
        store
            .record("ktxh", p, p, vec![v("A", 10.0, "2026-10-15T08:00")])
            .unwrap();
        let revs = store
            .record("ktxh", p, p, vec![v("A", 12.5, "2026-10-16T08:00")])
            .unwrap();
        assert_eq!(revs.len(), 1);
        assert_eq!(
            (revs[0].old_value, revs[0].new_value),
            (Some(10.0), Some(12.5))
        );
        let latest = store.latest("ktxh", p, None).unwrap();
        assert_eq!(
            latest[&("A".into(), "NN05".into(), InputColumn::ThucHien)].value,
            12.5
        );
        let audit = store.audit(Some("A"), Some("NN05")).unwrap();
        assert_eq!(audit.len(), 1);
        assert_eq!(audit[0].old_value, Some(10.0));
        assert_eq!(audit[0].new_value, Some(12.5));
        assert_eq!(audit[0].file, "A.xlsx");
        assert!(store.audit(Some("B"), None).unwrap().is_empty());
    }

    #[test]
    fn an_estimate_revised_by_next_months_actual_keeps_both_vintages() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::new(dir.path());
        let oct: Period = "2026-10".parse().unwrap();
        let nov: Period = "2026-11".parse().unwrap();
        let mut estimate = v("A", 1523.76, "2026-10-15T08:00");
        estimate.status = ValueStatus::Uoc;
        store.record("ktxh", oct, oct, vec![estimate]).unwrap();
        // November's form carries October's actual.
        store
            .record("ktxh", oct, nov, vec![v("A", 1527.30, "2026-11-16T08:00")])
            .unwrap();
        let all = store.read("ktxh", oct).unwrap();
        assert_eq!(all.len(), 2, "both vintages kept");
        let latest = store.latest("ktxh", oct, None).unwrap();
        assert_eq!(
            latest[&("A".into(), "NN05".into(), InputColumn::ThucHien)].value,
            1527.30
        );
        let est = store.latest("ktxh", oct, Some(ValueStatus::Uoc)).unwrap();
        assert_eq!(
            est[&("A".into(), "NN05".into(), InputColumn::ThucHien)].value,
            1523.76
        );
        // Rerunning October does not remove November's revision.
        let mut estimate = v("A", 1523.76, "2026-10-15T08:00");
        estimate.status = ValueStatus::Uoc;
        assert!(store
            .record("ktxh", oct, oct, vec![estimate])
            .unwrap()
            .is_empty());
        assert_eq!(store.read("ktxh", oct).unwrap().len(), 2);
        assert_eq!(store.periods("ktxh"), vec![oct]);
    }

    #[test]
    fn a_partition_of_several_row_groups_is_read_back_whole_a_group_at_a_time() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::new(dir.path());
        let p: Period = "2026-10".parse().unwrap();
        // 2 × 65,536 + 10 figures: three row groups, the last of 10 rows.
        let n = 2 * ROW_GROUP + 10;
        let rows: Vec<StoredValue> = (0..n)
            .map(|i| v(&format!("{i:07}"), i as f64, "2026-10-15T08:00"))
            .collect();
        store.record("ktxh", p, p, rows.clone()).unwrap();
        let back = store.read("ktxh", p).unwrap();
        assert_eq!(back.len(), n);
        assert_eq!(back, {
            let mut r = rows;
            for x in &mut r {
                x.source_period = "2026-10".into();
            }
            r
        });
        // A filter across the boundaries of the groups (one decoded part each): the last row
        // of the first, the first of the second, the last of the second, the first and last
        // of the third.
        let kept = ["0065535", "0065536", "0131071", "0131072", "0131081"];
        let unit = |u: &str| kept.contains(&u);
        let keep = Keep {
            unit: &unit,
            cell: &any_cell,
        };
        let expected = vec![65_535.0, 65_536.0, 131_071.0, 131_072.0, 131_081.0];
        let values = |store: &Store| -> Vec<f64> {
            let some = store.read_where("ktxh", p, keep).unwrap();
            some.iter().map(|r| r.value).collect()
        };
        assert_eq!(values(&store), expected);
        // A partition of an earlier version, one group of 262,144 rows (and one of 10): read a
        // part at a time, the same rows.
        let mut older = store.read("ktxh", p).unwrap();
        older.extend((n..4 * ROW_GROUP + 10).map(|i| {
            let mut r = v(&format!("{i:07}"), i as f64, "2026-10-15T08:00");
            r.source_period = "2026-10".into();
            r
        }));
        let mut bytes = Vec::new();
        ParquetWriter::new(&mut bytes)
            .with_row_group_size(Some(4 * ROW_GROUP))
            .finish(&mut frame(&older).unwrap())
            .unwrap();
        std::fs::write(store.partition("ktxh", "2026-10"), bytes).unwrap();
        assert_eq!(store.read("ktxh", p).unwrap(), older);
        let kept = ["0065535", "0065536", "0262143", "0262144", "0262153"];
        let unit = |u: &str| kept.contains(&u);
        let keep_older = Keep {
            unit: &unit,
            cell: &any_cell,
        };
        let some = store.read_where("ktxh", p, keep_older).unwrap();
        assert_eq!(
            some.iter().map(|r| r.value).collect::<Vec<_>>(),
            vec![65_535.0, 65_536.0, 262_143.0, 262_144.0, 262_153.0]
        );
        // Damage in the middle of the file: the read fails, from the thread that decodes the
        // parts; it neither hangs nor panics.
        let path = store.partition("ktxh", "2026-10");
        let mut bytes = std::fs::read(&path).unwrap();
        let (from, to) = (bytes.len() / 3, bytes.len() * 2 / 3);
        for b in &mut bytes[from..to] {
            *b = !*b;
        }
        std::fs::write(&path, bytes).unwrap();
        assert!(store.read_where("ktxh", p, keep).is_err());
        let cells = [("0000001", "NN05")];
        assert!(store
            .latest_values("ktxh", p, InputColumn::ThucHien, &Cells::new(&cells))
            .is_err());
    }

    #[test]
    fn a_later_periods_revision_is_withdrawn_by_its_rerun_and_nothing_is_written_without_one() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::new(dir.path());
        let (sep, oct): (Period, Period) = ("2026-09".parse().unwrap(), "2026-10".parse().unwrap());
        store
            .record("ktxh", sep, sep, vec![v("A", 1.0, "2026-09-15T08:00")])
            .unwrap();
        let path = store.partition("ktxh", "2026-09");
        let written = || std::fs::read(&path).unwrap();
        let before = written();
        // October's run with no September actuals: September's partition is not touched.
        assert!(store
            .record("ktxh", sep, oct, Vec::new())
            .unwrap()
            .is_empty());
        assert_eq!(written(), before);
        assert!(!store.has_source("ktxh", sep, "2026-10").unwrap());
        assert!(store.has_source("ktxh", sep, "2026-09").unwrap());
        // October's forms carry September's actual: a vintage of source 2026-10 beside it.
        let revised = store
            .record("ktxh", sep, oct, vec![v("A", 2.0, "2026-10-15T08:00")])
            .unwrap();
        assert_eq!(
            revised.len(),
            0,
            "a first recording of this source revises nothing"
        );
        assert_eq!(store.read("ktxh", sep).unwrap().len(), 2);
        assert!(store.has_source("ktxh", sep, "2026-10").unwrap());
        // October rerun without it: the vintage is withdrawn, September's own figure stays.
        store.record("ktxh", sep, oct, Vec::new()).unwrap();
        let left = store.read("ktxh", sep).unwrap();
        assert_eq!(left.len(), 1);
        assert_eq!(
            (left[0].value, left[0].source_period.as_str()),
            (1.0, "2026-09")
        );
        assert!(!store.has_source("ktxh", sep, "2026-10").unwrap());
    }

    /// For each row group of a partition: whether it is read as dictionaries and indexes
    /// (`Part::group`) rather than by polars' reader.
    fn read_as_dictionaries(path: &Path, columns: &[&str]) -> Vec<bool> {
        let bytes = polars_buffer::Buffer::from(std::fs::read(path).unwrap());
        let mut reader = ParquetReader::new(std::io::Cursor::new(bytes.as_slice()));
        let metadata = reader.get_metadata().unwrap().clone();
        let present: Vec<String> = columns.iter().map(|c| c.to_string()).collect();
        metadata
            .row_groups
            .iter()
            .map(|rg| Part::group(&bytes, rg, &present).is_some())
            .collect()
    }

    #[test]
    fn a_partition_is_read_as_its_dictionaries_or_else_by_polars_reader_the_same_rows() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::new(dir.path());
        let p: Period = "2026-10".parse().unwrap();
        // 300 units of 3 cells, as the store writes them: every text column of the group
        // dictionary-encoded, read as such.
        let rows: Vec<StoredValue> = (0..900)
            .map(|i| {
                let mut r = v(&format!("U{:03}", i / 3), i as f64, "2026-10-15T08:00");
                r.indicator_code = ["NN05", "NN06", "NN07[nguon=ngan_sach]"][i % 3].into();
                r.source_period = "2026-10".into();
                r
            })
            .collect();
        store.record("ktxh", p, p, rows.clone()).unwrap();
        let path = store.partition("ktxh", "2026-10");
        assert_eq!(read_as_dictionaries(&path, &COLUMNS), vec![true]);
        let mut expected = rows.clone();
        sort(&mut expected);
        assert_eq!(store.read("ktxh", p).unwrap(), expected);
        // The cell keys come out with their options; a figure found by its cell.
        let cells = [("U001", "NN07[nguon=ngan_sach]")];
        assert_eq!(
            store
                .latest_values("ktxh", p, InputColumn::ThucHien, &Cells::new(&cells))
                .unwrap(),
            vec![(0, 5.0)]
        );
        // Another tool's partition: a text column in plain pages (the same rows with every
        // file name its own, too many for a dictionary): read by polars' reader, the same
        // rows; a read without that column, as dictionaries.
        let mut plain = expected.clone();
        for (i, r) in plain.iter_mut().enumerate() {
            r.file = format!("{i:05}-{}", "x".repeat(200)).into();
        }
        let mut bytes = Vec::new();
        ParquetWriter::new(&mut bytes)
            .finish(&mut frame(&plain).unwrap())
            .unwrap();
        std::fs::write(&path, bytes).unwrap();
        assert_eq!(read_as_dictionaries(&path, &COLUMNS), vec![false]);
        assert_eq!(
            read_as_dictionaries(&path, &["unit_code", "indicator_code", "value"]),
            vec![true]
        );
        assert_eq!(store.read("ktxh", p).unwrap(), plain);
    }

    #[test]
    fn latest_rows_keep_each_cells_latest_vintage_by_unit_in_any_stored_order() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::new(dir.path());
        let p: Period = "2026-10".parse().unwrap();
        let with = |unit: &str, value: f64, received: &str, status: ValueStatus| {
            let mut r = v(unit, value, received);
            r.status = status;
            r
        };
        let mut plan = v("B", 99.0, "2026-10-01T08:00");
        plan.column = InputColumn::KeHoach;
        let rows = vec![
            // C: two rows of one receipt and status: the later row.
            v("C", 1.0, "2026-10-15T08:00"),
            v("C", 2.0, "2026-10-15T08:00"),
            // A: the latest receipt, whatever its value or place.
            v("A", 10.0, "2026-10-15T08:00"),
            v("A", 12.0, "2026-10-16T08:00"),
            v("A", 11.0, "2026-10-14T08:00"),
            // B: one receipt, the later status (an actual after an estimate); its plan is a
            // cell of its own.
            with("B", 6.0, "2026-10-15T08:00", ValueStatus::ThucHien),
            with("B", 5.0, "2026-10-15T08:00", ValueStatus::Uoc),
            plan,
        ];
        let figures = |store: &Store, status, keep: Keep<'_>| {
            let latest = store.latest_rows("ktxh", p, status, keep).unwrap();
            latest
                .by_unit()
                .map(|unit| {
                    unit.map(|r| (r.unit_code.to_string(), r.column, r.value))
                        .collect::<Vec<_>>()
                })
                .collect::<Vec<_>>()
        };
        let all = Keep::ALL;
        let (th, kh) = (InputColumn::ThucHien, InputColumn::KeHoach);
        let a = ("A".to_string(), th, 12.0);
        let b = [("B".to_string(), th, 6.0), ("B".to_string(), kh, 99.0)];
        let mut b_in_key_order = b.to_vec();
        b_in_key_order.sort_by_key(|f| f.1);
        // Recorded (the store sorts the rows: C's 2.0 is its later row).
        store.record("ktxh", p, p, rows.clone()).unwrap();
        let c = |value| vec![("C".to_string(), th, value)];
        assert_eq!(
            figures(&store, None, all),
            vec![vec![a.clone()], b_in_key_order.clone(), c(2.0)]
        );
        // Written unsorted by another tool, C's 2.0 before its 1.0: the row written later wins.
        let mut bytes = Vec::new();
        let mut written = rows.clone();
        written.swap(0, 1);
        ParquetWriter::new(&mut bytes)
            .finish(&mut frame(&written).unwrap())
            .unwrap();
        std::fs::write(store.partition("ktxh", "2026-10"), bytes).unwrap();
        assert_eq!(
            figures(&store, None, all),
            vec![vec![a.clone()], b_in_key_order, c(1.0)]
        );
        // One kind of figure, and only the figures `keep` accepts.
        assert_eq!(
            figures(&store, Some(ValueStatus::Uoc), all),
            vec![vec![("B".to_string(), th, 5.0)]]
        );
        let not_c = |u: &str| u != "C";
        let keep = Keep {
            unit: &not_c,
            cell: &any_cell,
        };
        assert_eq!(figures(&store, None, keep).len(), 2);
        // By unit and by cell at once: B's plan alone.
        let b = |u: &str| u == "B";
        let plans = |_: &str, c: InputColumn| c == InputColumn::KeHoach;
        let keep = Keep {
            unit: &b,
            cell: &plans,
        };
        assert_eq!(
            figures(&store, None, keep),
            vec![vec![("B".to_string(), kh, 99.0)]]
        );
        // `latest` is the same rows.
        let latest: Vec<f64> = store
            .latest("ktxh", p, None)
            .unwrap()
            .values()
            .map(|r| r.value)
            .collect();
        let rows: Vec<f64> = store
            .latest_rows("ktxh", p, None, all)
            .unwrap()
            .iter()
            .map(|r| r.value)
            .collect();
        assert_eq!(latest, rows);
    }

    #[test]
    fn a_partition_with_empty_texts_and_unknown_keys_reads_as_the_rows_it_holds() {
        // Written by another tool: nulls among the texts (no options, no file), a column and
        // a status this version does not know (skipped), a null value (skipped).
        let dir = tempfile::tempdir().unwrap();
        let store = Store::new(dir.path());
        let p: Period = "2026-10".parse().unwrap();
        let text = |name: &str, v: [Option<&str>; 4]| Column::new(name.into(), v.to_vec());
        let mut df = DataFrame::new_infer_height(vec![
            text("unit_code", [Some("A"), Some("A"), Some("B"), Some("B")]),
            text(
                "indicator_code",
                [Some("NN05"), Some("NN05"), Some("NN05"), Some("NN06")],
            ),
            text("disagg", [None, Some("gioi_tinh=nu"), None, None]),
            text(
                "column",
                [
                    Some("thuc_hien"),
                    Some("thuc_hien"),
                    Some("dong_moi"),
                    Some("thuc_hien"),
                ],
            ),
            Column::new("value".into(), vec![Some(1.0), Some(2.0), Some(3.0), None]),
            text(
                "status",
                [
                    Some("thuc_hien"),
                    Some("uoc"),
                    Some("thuc_hien"),
                    Some("thuc_hien"),
                ],
            ),
            text("source_period", [Some("2026-10"); 4]),
            text(
                "file",
                [Some("a.xlsx"), None, Some("b.xlsx"), Some("b.xlsx")],
            ),
            text("received_at", [Some("2026-10-15T08:00:00"); 4]),
        ])
        .unwrap();
        std::fs::create_dir_all(store.partition("ktxh", "2026-10").parent().unwrap()).unwrap();
        ParquetWriter::new(File::create(store.partition("ktxh", "2026-10")).unwrap())
            .finish(&mut df)
            .unwrap();
        let rows = store.read("ktxh", p).unwrap();
        let got: Vec<(String, String, f64, ValueStatus, String)> = rows
            .iter()
            .map(|r| {
                let (u, k, f) = (&r.unit_code, &r.indicator_code, &r.file);
                (
                    u.to_string(),
                    k.to_string(),
                    r.value,
                    r.status,
                    f.to_string(),
                )
            })
            .collect();
        let row =
            |k: &str, v: f64, s, f: &str| ("A".to_string(), k.to_string(), v, s, f.to_string());
        assert_eq!(
            got,
            vec![
                row("NN05", 1.0, ValueStatus::ThucHien, "a.xlsx"),
                row("NN05[gioi_tinh=nu]", 2.0, ValueStatus::Uoc, ""),
            ]
        );
        let cells = [("A", "NN05[gioi_tinh=nu]"), ("B", "NN05")];
        let values = store
            .latest_values("ktxh", p, InputColumn::ThucHien, &Cells::new(&cells))
            .unwrap();
        assert_eq!(values, vec![(0, 2.0)]);
    }

    #[test]
    fn every_status_and_column_sits_at_its_own_index() {
        for (i, s) in ValueStatus::ALL.into_iter().enumerate() {
            assert_eq!(s as usize, i);
        }
        for (i, c) in InputColumn::ALL.into_iter().enumerate() {
            assert_eq!(c as usize, i);
        }
    }

    #[test]
    fn latest_values_match_the_cells_in_one_pass_and_in_any_order() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::new(dir.path());
        let p: Period = "2026-10".parse().unwrap();
        let mut rows = vec![
            v("A", 10.0, "2026-10-15T08:00"),
            v("A", 12.0, "2026-10-16T08:00"), // A's later vintage
            v("A", 11.0, "2026-10-14T08:00"),
            v("B", 7.0, "2026-10-15T08:00"),
            v("C", 3.0, "2026-10-15T08:00"),
        ];
        rows[3].indicator_code = "NN05[gioi_tinh=nu]".into();
        let mut plan = v("B", 99.0, "2026-10-15T08:00");
        plan.column = InputColumn::KeHoach;
        rows.push(plan);
        // Sorted and unique, as the history checks ask; Z has no figure.
        let cells = [("A", "NN05"), ("B", "NN05[gioi_tinh=nu]"), ("Z", "NN05")];
        let expected = vec![(0, 12.0), (1, 7.0)];
        store.record("ktxh", p, p, rows.clone()).unwrap();
        let got = store
            .latest_values("ktxh", p, InputColumn::ThucHien, &Cells::new(&cells))
            .unwrap();
        assert_eq!(got, expected);
        // A partition another tool wrote out of order: the same answer.
        rows.reverse();
        let mut bytes = Vec::new();
        ParquetWriter::new(&mut bytes)
            .finish(&mut frame(&rows).unwrap())
            .unwrap();
        std::fs::write(store.partition("ktxh", "2026-10"), bytes).unwrap();
        let got = store
            .latest_values("ktxh", p, InputColumn::ThucHien, &Cells::new(&cells))
            .unwrap();
        assert_eq!(got, expected);
        // The same as `latest` picks.
        let latest = store.latest("ktxh", p, None).unwrap();
        assert_eq!(
            latest[&("A".into(), "NN05".into(), InputColumn::ThucHien)].value,
            12.0
        );
        // No partition: nothing.
        let none = store
            .latest_values(
                "ktxh",
                "2026-09".parse().unwrap(),
                InputColumn::ThucHien,
                &Cells::new(&cells),
            )
            .unwrap();
        assert!(none.is_empty());
    }
}

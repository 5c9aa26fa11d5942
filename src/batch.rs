//! The office's daily batch (`run --due`): every regime and period that is due on a day, each
//! run through `pipeline::run_period` unless its outputs already match its inputs.
//!
//! Owns which periods are due, the up-to-date test against the previous manifest, the lock
//! that keeps two runs from writing one output folder at once, and the run log a cron job
//! appends to. The stages themselves are the pipeline's.

use std::fs::File;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use chrono::{Datelike, Days, NaiveDate};
use serde::Serialize;

use crate::catalog::Config;
pub use crate::due::{regime_inbox, units_deadline};
use crate::ingest::collect_files;
use crate::period::Period;
use crate::pipeline::{input_entries, run_period, Inbox, Job, Outcome, Progress, RunError};
use crate::render::exchange::{sha256_hex, FileEntry};
use crate::schedule::periods_of_year;
use crate::validate::Timeliness;

/// The lock file in an output root.
pub const LOCK_FILE: &str = ".baocao.lock";
/// The run log's default name in an output root.
pub const DEFAULT_LOG: &str = "nhat-ky-chay.log";

/// A period of a regime that is due on a day.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DuePeriod {
    pub regime: String,
    pub period: Period,
    /// The reporting units' deadline (the latest of their levels').
    pub units_deadline: NaiveDate,
    /// The office's own deadline upward (its level's), if the regime sets one.
    pub own_deadline: Option<NaiveDate>,
}

/// The periods the office consolidates on `today`: the cutoff has ended, the reporting units'
/// deadline has come or passed, and the office's own deadline (or, without one, the units')
/// is not more than `lookback` days past. Replaced periods are not due. In regime, then
/// period order.
pub fn due_periods(config: &Config, today: NaiveDate, lookback: u32) -> Vec<DuePeriod> {
    let mut out = Vec::new();
    for regime in config.regimes.values() {
        let own_level = config
            .units
            .get(&regime.receiver)
            .map(|u| u.level.clone())
            .unwrap_or_default();
        let mut periods: Vec<Period> = [today.year() - 1, today.year()]
            .into_iter()
            .flat_map(|y| periods_of_year(y, &regime.frequencies))
            .collect();
        periods.sort();
        for p in periods {
            if regime.window(p).to >= today {
                continue;
            }
            let Some(units_deadline) = units_deadline(config, regime, p) else {
                continue;
            };
            let own_deadline = regime.deadline(p, &own_level, &config.calendar);
            let last_day = own_deadline.unwrap_or(units_deadline).max(units_deadline)
                + Days::new(u64::from(lookback));
            if units_deadline <= today && today <= last_day {
                out.push(DuePeriod {
                    regime: regime.id.clone(),
                    period: p,
                    units_deadline,
                    own_deadline,
                });
            }
        }
    }
    out
}

/// What became of one due period.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// Run through the pipeline; outputs written.
    Ran,
    /// Its outputs already matched its inputs and the config: nothing written.
    UpToDate,
    /// Due, but its inbox folder holds no file.
    NoFiles,
    /// The run failed; the previous outputs are as they were.
    Failed,
}

impl Status {
    pub fn label(self) -> &'static str {
        match self {
            Status::Ran => "đã tổng hợp",
            Status::UpToDate => "không đổi, bỏ qua",
            Status::NoFiles => "chưa có tệp",
            Status::Failed => "lỗi",
        }
    }
}

/// One row of the batch's summary.
#[derive(Debug, Clone, Serialize)]
pub struct PeriodResult {
    pub regime: String,
    pub period: String,
    pub status: Status,
    pub accepted: usize,
    pub late: usize,
    pub missing: usize,
    pub rejected: usize,
    /// The period's output folder.
    pub outputs: String,
    pub exit_code: i32,
    /// Why it failed, or why it was skipped.
    pub message: String,
}

impl PeriodResult {
    fn new(job: &Job, status: Status) -> PeriodResult {
        PeriodResult {
            regime: job.regime.clone(),
            period: job.period.code(),
            status,
            accepted: 0,
            late: 0,
            missing: 0,
            rejected: 0,
            outputs: job.target().display().to_string(),
            exit_code: crate::exit::OK,
            message: String::new(),
        }
    }

    /// The result of a run that went through.
    pub fn of(job: &Job, outcome: &Outcome) -> PeriodResult {
        let b = &outcome.batch;
        PeriodResult {
            accepted: b.accepted.len(),
            late: b.count(Timeliness::Late),
            missing: b.count(Timeliness::Missing),
            rejected: b.rejections_standing(),
            exit_code: crate::exit::of_findings(outcome.has_findings()),
            message: outcome
                .pdf_diagnostics
                .iter()
                .map(|d| format!("{} {}", d.code, d.message.replace('\n', " ")))
                .collect::<Vec<_>>()
                .join("; "),
            ..PeriodResult::new(job, Status::Ran)
        }
    }

    /// The result of a run that failed.
    pub fn failed(job: &Job, e: &RunError) -> PeriodResult {
        PeriodResult {
            exit_code: e.exit_code(),
            message: e.to_string(),
            ..PeriodResult::new(job, Status::Failed)
        }
    }

    /// Whether `run --due --sign` signs this period's outputs: those just written, and those
    /// left as they were but not yet signed.
    pub fn wants_signature(&self) -> bool {
        let unsigned = || {
            !Path::new(&self.outputs)
                .join(crate::output::names::SIGNATURE)
                .exists()
        };
        self.status == Status::Ran || (self.status == Status::UpToDate && unsigned())
    }

    /// The line this result adds to the run log.
    /// A run that stopped counted nothing it could stand by: its counts say so rather than 0.
    pub fn log_line(&self, at: chrono::NaiveDateTime) -> String {
        let counts = match self.status {
            Status::Failed => "chưa tính (lần chạy dừng)".to_string(),
            _ => format!(
                "chấp nhận {}, muộn {}, chưa gửi {}, từ chối {}",
                self.accepted, self.late, self.missing, self.rejected
            ),
        };
        let mut line = format!(
            "{}\t{}\t{}\t{}\t{counts}\tmã thoát {}",
            at.format("%Y-%m-%d %H:%M:%S"),
            self.regime,
            self.period,
            self.status.label(),
            self.exit_code
        );
        if !self.message.is_empty() {
            line.push('\t');
            line.push_str(&self.message.replace(['\n', '\t'], " "));
        }
        line
    }
}

/// What the previous run of a period recorded in its manifest.
#[derive(Debug, Clone, serde::Deserialize)]
struct PreviousRun {
    engine_version: String,
    #[serde(default)]
    config_sha256: String,
    as_of: String,
    counts: PreviousCounts,
    inputs: Vec<FileEntry>,
    outputs: Vec<FileEntry>,
}

#[derive(Debug, Clone, serde::Deserialize)]
struct PreviousCounts {
    submissions_accepted: usize,
    files_rejected: usize,
    /// Absent from the manifests of versions before it: then the files rejected.
    rejections_standing: Option<usize>,
    late: usize,
    missing: usize,
}

/// The previous run's record when its outputs still match this job's inputs: the same
/// engine version, config fingerprint and input files (names, sizes, SHA-256), every output
/// as the manifest lists it, and a deadline judged on or after the units' deadline (so no
/// unit's status can have changed since).
fn up_to_date(
    config: &Config,
    job: &Job,
    inputs: &[FileEntry],
    units_deadline: NaiveDate,
) -> Option<PreviousRun> {
    let target = job.target();
    let text = std::fs::read_to_string(target.join(crate::output::names::MANIFEST)).ok()?;
    let prev: PreviousRun = serde_json::from_str(&text).ok()?;
    let as_of = NaiveDate::parse_from_str(&prev.as_of, "%Y-%m-%d").ok()?;
    let same = prev.engine_version == env!("CARGO_PKG_VERSION")
        && prev.config_sha256 == config.fingerprint(&job.regime)
        && same_files(&prev.inputs, inputs)
        && (as_of == job.as_of || as_of >= units_deadline)
        // An engine that writes other files (a new exchange format) runs the period again.
        && config.regime(&job.regime).is_some_and(|r| {
            prev.outputs
                .iter()
                .map(|o| o.file.as_str())
                .eq(crate::pipeline::output_names(r).iter().map(String::as_str))
        })
        && prev.outputs.iter().all(|o| {
            std::fs::read(target.join(&o.file))
                .is_ok_and(|b| b.len() as u64 == o.size && sha256_hex(&b) == o.sha256)
        });
    same.then_some(prev)
}

fn same_files(a: &[FileEntry], b: &[FileEntry]) -> bool {
    a.len() == b.len() && a.iter().zip(b).all(|(x, y)| x == y)
}

/// The options of a batch.
#[derive(Debug, Clone)]
pub struct DueBatch {
    pub today: NaiveDate,
    /// The inbox root: `<regime>/<period>/` folders, or `<period>/` for a single regime.
    pub inbox: PathBuf,
    pub out: PathBuf,
    /// The history store's folder; `None` runs without history.
    pub history: Option<PathBuf>,
    pub lookback: u32,
    /// Make PDF copies of the periods run.
    pub pdf: bool,
    /// Write the units' result sheets of the periods run.
    pub feedback: bool,
    /// The result sheets are mailed (`--send` with a server): a period whose sheets are not
    /// all in the sent log runs again, for them.
    pub mailing: bool,
}

/// With result sheets asked, whether a period otherwise up to date runs again for them: none
/// was written (the last run was without `--feedback`) though units sent reports, or, when
/// they are mailed, one was never sent (the mail server failed that morning).
fn feedback_pending(batch: &DueBatch, job: &Job, prev: &PreviousRun) -> bool {
    use crate::render::feedback::{ResultSheet, FOLDER};
    if !batch.feedback {
        return false;
    }
    let folder = job.out.join(FOLDER);
    let suffix = format!("-{}-{}.xlsx", job.regime, job.period.code());
    let stems: Vec<String> = std::fs::read_dir(&folder)
        .map(|d| {
            d.flatten()
                .filter_map(|e| e.file_name().into_string().ok())
                .filter_map(|n| {
                    n.strip_suffix(".xlsx")
                        .filter(|_| n.ends_with(&suffix))
                        .map(str::to_string)
                })
                .collect()
        })
        .unwrap_or_default();
    if stems.is_empty() {
        return prev.counts.submissions_accepted + prev.counts.files_rejected > 0;
    }
    if !batch.mailing {
        return false;
    }
    let Ok(log) = crate::mail::send::SentLog::open(&folder) else {
        return true;
    };
    stems
        .iter()
        .any(|s| !log.any_sent(&ResultSheet::key_prefix(s)))
}

/// Runs every due period (see `due_periods`) whose inbox folder holds files and whose outputs
/// do not already match its inputs. `on_period` is called before each run, `on_outcome` after
/// each run that succeeded.
pub fn run_due(
    config: &Config,
    batch: &DueBatch,
    progress: &dyn Progress,
    on_period: &dyn Fn(&DuePeriod),
    on_outcome: &mut dyn FnMut(&Job, &Outcome),
) -> Vec<PeriodResult> {
    let mut results = Vec::new();
    for due in due_periods(config, batch.today, batch.lookback) {
        let job = Job {
            regime: due.regime.clone(),
            period: due.period,
            inbox: regime_inbox(&batch.inbox, &due.regime),
            out: batch.out.clone(),
            as_of: batch.today,
            tasks: None,
            history: batch.history.clone(),
            pdf: batch.pdf,
            feedback: batch.feedback,
        };
        let dir = job.inbox.join(due.period.code());
        let Some(regime) = config.regime(&due.regime) else {
            continue;
        };
        // The period's folder, and those of the periods its report takes in (December's).
        let folders: Vec<PathBuf> = std::iter::once(dir.clone())
            .chain(
                regime
                    .taken_in(due.period)
                    .iter()
                    .map(|p| job.inbox.join(p.code())),
            )
            .filter(|d| d.is_dir())
            .collect();
        if collect_files(&folders).is_empty() {
            // Where the officer should put them: `ROOT/<regime>/<period>/` (a root that
            // holds one regime's periods directly is read too).
            let expected = batch.inbox.join(&due.regime).join(due.period.code());
            let message = if expected == dir {
                format!("không có tệp trong {}", dir.display())
            } else {
                format!(
                    "không có tệp trong {} (hoặc {})",
                    expected.display(),
                    dir.display()
                )
            };
            results.push(PeriodResult {
                message,
                ..PeriodResult::new(&job, Status::NoFiles)
            });
            continue;
        }
        let inputs = match Inbox::of(&job.inbox, regime, job.period) {
            Ok(inbox) => input_entries(&inbox, &config.limits),
            Err(e) => {
                results.push(PeriodResult::failed(&job, &e));
                continue;
            }
        };
        let prev = up_to_date(config, &job, &inputs, due.units_deadline)
            .filter(|prev| !feedback_pending(batch, &job, prev));
        if let Some(prev) = prev {
            let c = &prev.counts;
            results.push(PeriodResult {
                accepted: c.submissions_accepted,
                late: c.late,
                missing: c.missing,
                rejected: c.rejections_standing.unwrap_or(c.files_rejected),
                exit_code: crate::exit::of_findings(
                    c.rejections_standing.unwrap_or(c.files_rejected) > 0 || c.missing > 0,
                ),
                message: format!(
                    "đầu vào và cấu hình không đổi từ lần chạy ngày {}",
                    prev.as_of
                ),
                ..PeriodResult::new(&job, Status::UpToDate)
            });
            continue;
        }
        on_period(&due);
        results.push(match run_period(config, &job, progress) {
            Ok(outcome) => {
                on_outcome(&job, &outcome);
                PeriodResult::of(&job, &outcome)
            }
            Err(e) => PeriodResult::failed(&job, &e),
        });
    }
    results
}

pub use crate::output::append_log;

/// An exclusive lock on an output root, held until dropped: a second run that wants the
/// same root waits for it. The lock is the operating system's (released when the process
/// ends, however it ends), on the file `.baocao.lock` in the root.
#[derive(Debug)]
pub struct OutLock {
    _file: File,
}

impl OutLock {
    /// Takes the lock on `out`, waiting up to `wait` for another run to release it;
    /// `on_wait` is called once if it has to wait.
    pub fn acquire(out: &Path, wait: Duration, on_wait: &dyn Fn()) -> Result<OutLock, RunError> {
        let path = out.join(LOCK_FILE);
        let cannot = |e: std::io::Error| {
            RunError::Machine(
                crate::fault::Fault::writing(&e, "không tạo được tệp khóa", &path)
                    .kept("Lần chạy dừng trước khi đọc hay ghi gì."),
            )
        };
        std::fs::create_dir_all(out).map_err(cannot)?;
        let file = std::fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&path)
            .map_err(cannot)?;
        let start = Instant::now();
        let mut told = false;
        loop {
            match file.try_lock() {
                Ok(()) => return Ok(OutLock { _file: file }),
                Err(std::fs::TryLockError::WouldBlock) => {}
                Err(std::fs::TryLockError::Error(e)) => return Err(cannot(e)),
            }
            if start.elapsed() >= wait {
                return Err(RunError::Busy(format!(
                    "một lần chạy khác đang ghi vào {} (khóa {}) đã quá {} giây; lần này dừng, không ghi gì. Chạy lại sau khi lần kia xong",
                    out.display(),
                    path.display(),
                    wait.as_secs()
                )));
            }
            if !told {
                on_wait();
                told = true;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_second_lock_on_the_same_folder_waits_then_gives_up() {
        let dir = tempfile::tempdir().unwrap();
        let first = OutLock::acquire(dir.path(), Duration::ZERO, &|| {}).unwrap();
        let waited = std::cell::Cell::new(false);
        let second = OutLock::acquire(dir.path(), Duration::from_millis(300), &|| waited.set(true));
        assert!(matches!(second, Err(RunError::Busy(_))));
        assert!(waited.get());
        drop(first);
        // Another test of this binary may fork a child (soffice) at that moment: until the
        // child execs, it holds a copy of the descriptor and so the lock. A run waits it out.
        assert!(OutLock::acquire(dir.path(), Duration::from_secs(10), &|| {}).is_ok());
    }
}

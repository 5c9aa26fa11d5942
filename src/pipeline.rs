//! The run of one regime and period, stage after stage: ingest → validate → consolidate →
//! compare with history → render → write.
//!
//! Called by `run`, by `run --due` (see `batch`) and by tests. Knows nothing of the terminal:
//! progress goes to a `Progress` the caller passes, and the result is an `Outcome` the caller
//! prints. The history store is recorded while every output is written (the large ones
//! streamed as they are rendered) into a new period folder beside the old one, which is swapped
//! in whole once the store has the period (`output::stage_folder`, `StagedFolder::swap`): a
//! failed or killed run leaves the previous outputs in place, and a reader never sees a mix of
//! old and new. A full disk or a vanished folder is a
//! machine fault (`fault`), said as one.

use std::path::{Path, PathBuf};

use chrono::NaiveDate;

use crate::catalog::{Config, Regime};
use crate::consolidate::{consolidate, Consolidated};
use crate::fault::Fault;
use crate::ingest::{collect_files, read_all, read_all_with, Expect, FileReport};
use crate::model::{InputColumn, Submission, ValueStatus};
use crate::output::names;
use crate::period::Period;
use crate::render::exchange::{manifest, write_exchange_csv, FileEntry};
use crate::render::{narrative, standards, workbook, Report};
use crate::store::Store;
use crate::tasks::Summary;
use crate::validate::{validate, Batch, Timeliness};

/// The files `run` writes into `OUT/<regime>/<period>/`, the manifest last.
pub const OUTPUTS: [&str; 11] = [
    names::WORKBOOK,
    names::NARRATIVE_MD,
    names::NARRATIVE_HTML,
    names::NARRATIVE_DOCX,
    names::EXCHANGE_CSV,
    names::SDMX_CSV,
    names::DHIS2_JSON,
    names::ADX_XML,
    names::DATA_PACKAGE,
    names::BOARD,
    names::MANIFEST,
];

/// The files a run of `regime` writes, in the manifest's order (the manifest itself not
/// among them): `OUTPUTS`, with `danh-sach-<code>.csv` for each list after `tong-hop.xlsx`.
pub fn output_names(regime: &Regime) -> Vec<String> {
    let mut out = vec![names::WORKBOOK.to_string()];
    out.extend(regime.lists.iter().map(|l| list_file(&l.code)));
    out.extend(
        OUTPUTS[1..]
            .iter()
            .filter(|n| **n != names::MANIFEST)
            .map(|n| n.to_string()),
    );
    out
}

/// A list's CSV among the outputs.
pub fn list_file(code: &str) -> String {
    crate::catalog::lists::file_name(code)
}

/// One regime and period to run.
#[derive(Debug, Clone)]
pub struct Job {
    pub regime: String,
    pub period: Period,
    /// The period's folder, or an inbox root holding `<period>/` folders.
    pub inbox: PathBuf,
    /// The output root; the outputs go to `out/<regime>/<period>/`.
    pub out: PathBuf,
    /// The day deadlines are judged on.
    pub as_of: NaiveDate,
    /// A task register to summarize in the regime's task section.
    pub tasks: Option<PathBuf>,
    /// The history store's folder; `None` runs without history.
    pub history: Option<PathBuf>,
    /// Also make PDF copies for signing (LibreOffice), after the outputs are written.
    pub pdf: bool,
    /// Also write each sending unit's result sheet into `out/phieu-ket-qua/`.
    pub feedback: bool,
}

impl Job {
    /// Where this job's outputs go.
    pub fn target(&self) -> PathBuf {
        self.out.join(&self.regime).join(self.period.code())
    }
}

/// What the caller is told while a run goes on. Every method does nothing by default.
pub trait Progress: Sync {
    /// Reading starts: `n` files.
    fn files(&self, _n: usize) {}
    /// One more file read.
    fn file_read(&self) {}
    /// A stage has ended (for `BAOCAO_TIMING`).
    fn stage(&self, _name: &str) {}
}

/// No progress shown.
pub struct Quiet;

impl Progress for Quiet {}

/// What a run did.
#[derive(Debug)]
pub struct Outcome {
    pub regime: String,
    pub period: Period,
    /// The folder the outputs were written to.
    pub target: PathBuf,
    pub batch: Batch,
    pub inputs: Vec<FileEntry>,
    /// The outputs written, the manifest last.
    pub outputs: Vec<FileEntry>,
    /// Changes recorded in the history store's audit log.
    pub revisions: usize,
    /// PDF copies written (`Job::pdf`), and why some could not be.
    pub pdfs: Vec<String>,
    pub pdf_diagnostics: Vec<crate::diag::Diagnostic>,
    /// The folder of the units' result sheets, and how many units have one there (none
    /// without `Job::feedback`).
    pub feedback: (PathBuf, usize),
}

impl Outcome {
    /// Submissions were rejected, or units are missing past their deadline.
    pub fn has_findings(&self) -> bool {
        self.batch.rejections_standing() > 0 || self.batch.count(Timeliness::Missing) > 0
    }
}

/// Why a run could not do its job.
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    /// The job or the config cannot be run as asked (a usage or config problem).
    #[error("{0}")]
    Job(String),
    /// A bug: something failed that neither the caller nor the machine explains.
    #[error("{0}")]
    Internal(String),
    /// The machine failed the run: a full disk, a read-only or vanished folder (see `fault`).
    #[error("{0}")]
    Machine(crate::fault::Fault),
    /// Another run holds the output folder's lock.
    #[error("{0}")]
    Busy(String),
}

impl RunError {
    /// The process exit code for this error (see `cli`): 2 usage or config, 3 internal,
    /// 4 another run holds the output folder, 5 a machine fault.
    pub fn exit_code(&self) -> i32 {
        match self {
            RunError::Job(_) => crate::exit::USAGE,
            RunError::Internal(_) => crate::exit::INTERNAL,
            RunError::Busy(_) => crate::exit::BUSY,
            RunError::Machine(_) => crate::exit::MACHINE,
        }
    }
}

/// Runs one regime and period: reads, checks, consolidates, compares, renders and writes.
pub fn run_period(
    config: &Config,
    job: &Job,
    progress: &dyn Progress,
) -> Result<Outcome, RunError> {
    let regime = regime_of(config, job)?;
    let inbox = Inbox::of(&job.inbox, regime, job.period)?;
    let (reports, inputs) = read_files(config, regime, job.period, &inbox, progress)?;
    let mut batch = validate(config, regime, job.period, job.as_of, reports);
    batch.diagnostics.extend(unread_folders(regime, &inbox));
    progress.stage("kiểm tra");
    let store = job.history.clone().map(Store::new);
    // The period's figures consolidated while the year-to-date and the year's plan are rebuilt
    // (from the store where it has earlier periods): none of the three needs another.
    let (mut consolidated, (ytd, plan)) = {
        let (period, accepted, store) = (job.period, &batch.accepted, store.as_ref());
        rayon::join(
            || consolidate(config, regime, period, accepted),
            || {
                rayon::join(
                    || year_to_date(config, regime, period, store, accepted),
                    || crate::history::plan::year_plan(config, regime, period, store, accepted),
                )
            },
        )
    };
    progress.stage("tổng hợp");
    let ytd_note = ytd.and_then(|y| {
        consolidated.replace_column(config, InputColumn::LuyKe, &y.consolidated);
        let note = crate::history::ytd::note(&y);
        batch.diagnostics.extend(y.diagnostics);
        note
    });
    if let Some(plan) = plan {
        consolidated.replace_column(config, InputColumn::KeHoach, &plan);
    }
    batch
        .diagnostics
        .extend(overflow_diagnostics(&consolidated));
    progress.stage("lũy kế");
    let previous = inbox
        .root
        .as_deref()
        .and_then(|root| previous_period(config, regime, job.period, root, job.as_of));
    progress.stage("kỳ trước");
    let (task_list, tasks) = task_summary(config, regime, job, &mut batch)?.unzip();
    let past = compare(config, regime, job.period, store.as_ref(), &mut batch);
    // The past periods' decoded row groups.
    crate::memory::release_freed();
    progress.stage("lịch sử");
    let report = Report {
        config,
        regime,
        period: job.period,
        as_of: job.as_of,
        consolidated: &consolidated,
        previous: previous.as_ref(),
        batch: &batch,
        tasks: tasks.as_ref(),
        last_year: past.last_year.as_ref(),
        successors: past.successors,
        ytd_note,
    };
    let board = board_of(&report, store.as_ref(), task_list.as_deref());
    // The board's past periods, decoded and consolidated.
    crate::memory::release_freed();
    // The store step while the outputs are written beside the period's folder, then the
    // outputs swapped in once the store has the period: a run the store step fails publishes
    // nothing, so the next run (its inputs unchanged) is not taken as up to date and records
    // the period. A run whose outputs fail after the store step records the same figures again
    // next time. (The board has read the store before: what this run records does not change
    // it.)
    let target = job.target();
    let (staged, recorded) = rayon::join(
        || write_outputs(&target, &report, &board, inputs.clone()),
        || match &store {
            Some(s) => record(s, config, regime, job.period, &batch),
            None => Ok(0),
        },
    );
    let revisions = recorded?;
    let (outputs, staged) = staged?;
    let retiring = publish(&target, staged)?;
    progress.stage("kho lịch sử, tong-hop.xlsx, bao-cao");
    retire(
        &target,
        retiring,
        (board, consolidated, previous, past.last_year),
    )?;
    progress.stage("ghi kết quả");
    let folder = job.out.join(crate::render::feedback::FOLDER);
    let sheets = match job.feedback {
        true => write_feedback(config, regime, (job.period, job.as_of), &batch, &folder)?,
        false => 0,
    };
    progress.stage("phiếu kết quả");
    let (pdfs, pdf_diagnostics) = if job.pdf {
        pdf_copies(&target)
    } else {
        Default::default()
    };
    Ok(Outcome {
        regime: regime.id.clone(),
        period: job.period,
        target,
        batch,
        inputs,
        outputs,
        revisions,
        pdfs,
        pdf_diagnostics,
        feedback: (folder, sheets),
    })
}

/// The result sheet of each unit that sent a report (`render::feedback`), `.xlsx` and `.docx`,
/// each written whole into `folder`; how many units have one.
pub fn write_feedback(
    config: &Config,
    regime: &Regime,
    (period, as_of): (Period, NaiveDate),
    batch: &Batch,
    folder: &Path,
) -> Result<usize, RunError> {
    use crate::render::feedback;
    use rayon::prelude::*;
    let sheets = feedback::sheets(config, regime, period, batch);
    let kept = "Các tệp kết quả khác đã ghi xong; phiếu này được ghi lại ở lần chạy sau.";
    sheets.par_iter().try_for_each(|s| {
        let xlsx = feedback::xlsx(s).map_err(|e| match e {
            rust_xlsxwriter::XlsxError::IoError(e) => {
                RunError::Machine(Fault::writing(&e, "không ghi được phiếu kết quả", folder))
            }
            e => RunError::Internal(format!("không tạo được phiếu kết quả {}: {e}", s.stem())),
        })?;
        let docx = feedback::docx(s, as_of).map_err(RunError::Internal)?;
        for (ext, bytes) in [("xlsx", &xlsx), ("docx", &docx)] {
            let path = folder.join(format!("{}.{ext}", s.stem()));
            crate::fault::write_file(&path, bytes, kept).map_err(RunError::Machine)?;
        }
        Ok::<(), RunError>(())
    })?;
    Ok(sheets.len())
}

/// Reads the inbox's files of the period (the folders checked readable before and after) and
/// lists them as the run's inputs.
fn read_files(
    config: &Config,
    regime: &Regime,
    period: Period,
    inbox: &Inbox,
    progress: &dyn Progress,
) -> Result<(Vec<FileReport>, Vec<FileEntry>), RunError> {
    let folders = inbox.folders();
    Inbox::still_readable(&folders)?;
    let reports = {
        let _pause = crate::memory::PurgeAfterPause::start(crate::memory::PurgeAfterPause::READING);
        read_inbox(config, regime, period, inbox, progress)
    };
    Inbox::still_readable(&folders)?;
    let inputs = entries_of(&reports, inbox, &config.limits);
    // The files' grids, freed by the reading threads (see `memory`).
    crate::memory::release_freed();
    progress.stage("đọc tệp");
    Ok((reports, inputs))
}

/// Removes the outputs the new ones replaced. What only the outputs needed (a nation's
/// consolidated figures, ~0.1 s to free) is freed on a thread of its own meanwhile.
fn retire<T: Send>(
    target: &Path,
    retiring: crate::output::Retiring,
    outputs_only: T,
) -> Result<(), RunError> {
    std::thread::scope(|scope| {
        scope.spawn(move || drop(outputs_only));
        retiring.wait()
    })
    .map_err(|e| {
        RunError::Machine(
            Fault::writing(&e, "không xoá được bản kết quả cũ bên cạnh", target).kept(
                "Bộ kết quả mới đã ghi xong; bản cũ còn lại bên cạnh sẽ được xoá ở lần chạy sau.",
            ),
        )
    })
}

/// PDF copies of the narrative and the workbook for signing, or why not.
fn pdf_copies(target: &Path) -> (Vec<String>, Vec<crate::diag::Diagnostic>) {
    use crate::diag::{Code, Diagnostic, Location};
    match crate::pdf::soffice() {
        Some(soffice) => crate::pdf::convert(&soffice, target, std::time::Duration::from_secs(120)),
        None => (
            Vec::new(),
            vec![Diagnostic::new(
                Code::PdfUnavailable,
                Location::file(crate::pdf::SOURCES[0]),
                format!(
                    "Không tạo được bản PDF để ký: máy này không có soffice. {}.",
                    crate::text::upper_first(crate::pdf::INSTALL_HINT)
                ),
            )],
        ),
    }
}

/// A warning for each consolidated cell left empty because its aggregate overflowed.
fn overflow_diagnostics(c: &Consolidated) -> Vec<crate::diag::Diagnostic> {
    use crate::diag::{Code, Diagnostic, Location};
    c.overflowed
        .iter()
        .map(|(unit, key, column)| {
            Diagnostic::new(
                Code::Overflow,
                Location::cell(names::WORKBOOK, "", format!("{unit} · {key} · {}", column.key())),
                format!("Tổng của {key} ({}) ở đơn vị {unit} vượt quá số lớn nhất máy tính biểu diễn được; ô để trống.\nKiểm tra các báo cáo có số quá lớn (gõ thừa chữ số) rồi chạy lại.", column.key()),
            )
        })
        .collect()
}

/// The year-to-date computed from the store replaces the one the units typed (their typed
/// figures are checked against it); its diagnostics join the batch's. Returns the note saying
/// which periods it lacks, if any.
fn year_to_date(
    config: &Config,
    regime: &Regime,
    period: Period,
    store: Option<&Store>,
    accepted: &[Submission],
) -> Option<crate::history::ytd::YearToDate> {
    use crate::history::ytd;
    ytd::applies(config, regime)
        .then(|| ytd::year_to_date(config, regime, period, store, accepted, true))
}

fn regime_of<'a>(config: &'a Config, job: &Job) -> Result<&'a Regime, RunError> {
    let regime = config
        .regime(&job.regime)
        .ok_or_else(|| RunError::Job(format!("không có chế độ báo cáo \"{}\"", job.regime)))?;
    if !regime.has_frequency(job.period.frequency()) {
        return Err(RunError::Job(format!(
            "chế độ \"{}\" không có kỳ {} (tần suất {})",
            regime.id,
            job.period.code(),
            job.period.frequency().label()
        )));
    }
    Ok(regime)
}

/// The inbox of one period: its folder, the root it sits in when there is one, and the
/// folders of the periods its report takes in (December's for the year: `Regime::taken_in`).
#[derive(Debug, Clone)]
pub struct Inbox {
    pub dir: PathBuf,
    pub root: Option<PathBuf>,
    /// (period code, folder) of each period taken in whose folder exists under the root.
    pub taken_in: Vec<(String, PathBuf)>,
}

impl Inbox {
    /// `inbox/<period>/` when it exists, or when `inbox` holds other periods' folders (then
    /// `inbox` is a root), else `inbox` itself.
    pub fn locate(inbox: &Path, period: Period) -> Result<Inbox, RunError> {
        inbox_folder(inbox)?;
        let sub = inbox.join(period.code());
        Ok(if sub.is_dir() || !period_folders(inbox).is_empty() {
            Inbox {
                dir: sub,
                root: Some(inbox.to_path_buf()),
                taken_in: Vec::new(),
            }
        } else {
            Inbox {
                dir: inbox.to_path_buf(),
                root: None,
                taken_in: Vec::new(),
            }
        })
    }

    /// `locate`, with the folders of the periods `regime`'s report of `period` takes in.
    pub fn of(inbox: &Path, regime: &Regime, period: Period) -> Result<Inbox, RunError> {
        let mut found = Inbox::locate(inbox, period)?;
        if let Some(root) = &found.root {
            found.taken_in = regime
                .taken_in(period)
                .into_iter()
                .map(|p| (p.code(), root.join(p.code())))
                .filter(|(_, d)| d.is_dir())
                .collect();
        }
        Ok(found)
    }

    /// Each of `folders` can be listed: before the files are read (a folder the run may not
    /// read would make every unit "missing"), and after (a share cut off while its files were
    /// read would make them all unreadable): either way nothing is published.
    fn still_readable(folders: &[PathBuf]) -> Result<(), RunError> {
        for dir in folders {
            if let Err(e) = std::fs::read_dir(dir) {
                return Err(unreadable_inbox(&e, dir));
            }
        }
        Ok(())
    }

    /// The folders read: the period's own (when it exists) and those of the periods taken in.
    pub fn folders(&self) -> Vec<PathBuf> {
        self.dir
            .is_dir()
            .then(|| self.dir.clone())
            .into_iter()
            .chain(self.taken_in.iter().map(|(_, d)| d.clone()))
            .collect()
    }
}

/// `inbox` is a folder. One that is not there is most often mistyped (the caller's); a share cut
/// off or a folder the run may not read is the machine's.
pub fn inbox_folder(inbox: &Path) -> Result<(), RunError> {
    match std::fs::metadata(inbox) {
        Ok(m) if m.is_dir() => Ok(()),
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(unreadable_inbox(&e, inbox)),
        _ => Err(RunError::Job(format!(
            "không có thư mục nhận báo cáo {}: kiểm tra đường dẫn --inbox (ổ mạng chưa gắn thì gắn lại), rồi chạy lại",
            inbox.display()
        ))),
    }
}

fn unreadable_inbox(e: &std::io::Error, dir: &Path) -> RunError {
    RunError::Machine(
        Fault::reading(e, "không đọc được thư mục nhận báo cáo", dir)
            .kept("Chưa ghi gì: bộ kết quả trước (nếu có) và kho lịch sử vẫn như cũ."),
    )
}

/// Reads and validates `paths` for one regime and period.
pub fn check_files(
    config: &Config,
    regime: &Regime,
    period: Period,
    as_of: NaiveDate,
    paths: &[PathBuf],
) -> (Vec<Submission>, Batch) {
    let expect = Expect {
        config,
        regime,
        period,
    };
    let reports = read_all(paths, expect);
    let all: Vec<Submission> = reports.iter().flat_map(|r| r.submissions.clone()).collect();
    let batch = validate(config, regime, period, as_of, reports);
    (all, batch)
}

/// Units of `level` that have not submitted for `period` in `inbox/<period>/` (or in the
/// folders of the periods its report takes in), and those whose files were all rejected: the
/// reminder lists.
pub fn missing_units(
    config: &Config,
    regime: &Regime,
    period: crate::period::Period,
    level: &str,
    inbox: &std::path::Path,
    as_of: chrono::NaiveDate,
) -> (Vec<String>, Vec<String>) {
    // The period's folder and those of the periods its report takes in (December's).
    let folders: Vec<std::path::PathBuf> = std::iter::once(period)
        .chain(regime.taken_in(period))
        .map(|p| inbox.join(p.code()))
        .filter(|d| d.is_dir())
        .collect();
    let batch = if !folders.is_empty() {
        check_files(config, regime, period, as_of, &folders).1
    } else {
        crate::validate::validate(config, regime, period, as_of, Vec::new())
    };
    let of = |status: crate::validate::Timeliness| -> Vec<String> {
        batch
            .compliance
            .iter()
            .filter(|c| c.level == level && c.status == status)
            .map(|c| c.unit_code.clone())
            .collect()
    };
    let mut missing = of(crate::validate::Timeliness::Missing);
    missing.extend(of(crate::validate::Timeliness::NotYetDue));
    (missing, of(crate::validate::Timeliness::Rejected))
}

/// The periods due, nearly due or just overdue on `today` (`due::due_rows`), by deadline; with
/// an inbox root, each reporting level's units that have not sent or were rejected.
pub fn due_with_units(
    config: &Config,
    regimes: &[&Regime],
    today: NaiveDate,
    within: u32,
    lookback: u32,
    inbox: Option<&Path>,
) -> Vec<crate::due::DueRow> {
    let mut rows: Vec<(Period, crate::due::DueRow)> = regimes
        .iter()
        .flat_map(|r| crate::due::due_rows(config, r, today, within, lookback))
        .collect();
    rows.sort_by(|a, b| a.1.deadline.cmp(&b.1.deadline).then(a.0.cmp(&b.0)));
    if let Some(inbox) = inbox {
        for (period, row) in rows.iter_mut() {
            let regime = config.regime(&row.regime).expect("a regime of the config");
            // The receiver's own deadline (sending upward): no units of its level report to it.
            if !regime.reporters.levels.contains(&row.level) {
                continue;
            }
            let inbox = crate::due::regime_inbox(inbox, &regime.id);
            let (missing, rejected) =
                missing_units(config, regime, *period, &row.level, &inbox, today);
            row.missing = Some(missing);
            row.rejected = Some(rejected);
        }
    }
    rows.into_iter().map(|(_, r)| r).collect()
}

/// Each unit's result sheet (written by `write_feedback` into `folder`) as a mail to its
/// addresses, a reply to the message its file came in (the receipt logs of `inbox_dirs`).
pub fn feedback_mails(
    config: &Config,
    regime: &Regime,
    period: Period,
    batch: &Batch,
    folder: &Path,
    inbox_dirs: &[PathBuf],
) -> Result<Vec<crate::mail::send::Outgoing>, RunError> {
    let replies: std::collections::HashMap<String, String> = inbox_dirs
        .iter()
        .flat_map(|d| crate::mail::send::reply_ids(d))
        .collect();
    let agency = config
        .units
        .get(&regime.receiver)
        .map_or(regime.receiver.as_str(), |u| u.agency_name());
    let mut out = Vec::new();
    for s in crate::render::feedback::sheets(config, regime, period, batch) {
        let mut attachments = Vec::new();
        for ext in ["xlsx", "docx"] {
            let name = format!("{}.{ext}", s.stem());
            let bytes = std::fs::read(folder.join(&name)).map_err(|e| {
                RunError::Machine(Fault::reading(&e, "không đọc được phiếu kết quả", folder))
            })?;
            attachments.push((name, bytes));
        }
        let unit = config.units.get(&s.unit_code);
        out.push(crate::mail::send::Outgoing {
            unit: format!("{} ({})", s.unit_name, s.unit_code),
            to: unit.map(|u| u.email.clone()).unwrap_or_default(),
            subject: format!(
                "Phiếu kết quả tiếp nhận báo cáo: {} — {} — {}: {}",
                regime.name,
                period.label(),
                s.unit_name,
                if s.accepted() {
                    "được chấp nhận"
                } else {
                    "bị trả lại"
                }
            ),
            body: feedback_body(&s, regime, period, agency),
            in_reply_to: s.files.iter().find_map(|f| replies.get(f).cloned()),
            attachments,
            key: s.verdict_key(),
        });
    }
    Ok(out)
}

/// The text of a result sheet's mail: the verdict and, where there are any, the findings.
fn feedback_body(
    s: &crate::render::feedback::ResultSheet,
    regime: &Regime,
    period: Period,
    agency: &str,
) -> String {
    let mut body = format!(
        "Kính gửi {}.\n\n{agency} gửi phiếu kết quả tiếp nhận {} {} của đơn vị (tệp đính kèm: phiếu dạng Excel và Word).\n\nTệp nhận được: {}\nThời điểm nhận: {}\nThời gian gửi: {}\n\n{}\n",
        s.unit_name,
        regime.name,
        crate::text::lower_first(&period.label()),
        s.files.join("; "),
        s.received_text(),
        s.timeliness_text(),
        s.outcome_text().replace("dưới đây", "sau (chi tiết trong phiếu đính kèm)")
    );
    if !s.findings.is_empty() {
        body.push('\n');
        body.push_str(&s.finding_lines(MAIL_FINDINGS));
        body.push('\n');
    }
    body
}

/// The findings a result sheet's mail lists (all are in the attached sheet).
const MAIL_FINDINGS: usize = 30;

/// Each letter (`write_letters`) as a mail to each unit it names.
pub fn letter_mails(
    config: &Config,
    letters: &[crate::render::letters::Letter],
) -> Result<Vec<crate::mail::send::Outgoing>, RunError> {
    let mut out = Vec::new();
    for l in letters {
        let bytes = l.docx().map_err(RunError::Internal)?;
        for u in &l.units {
            out.push(crate::mail::send::Outgoing {
                unit: format!("{} ({})", u.name, u.code),
                to: config
                    .units
                    .get(&u.code)
                    .map(|x| x.email.clone())
                    .unwrap_or_default(),
                subject: l.subject().to_string(),
                body: l.body().replace('\\', ""),
                in_reply_to: None,
                attachments: vec![(l.file_name(), bytes.clone())],
                key: l.key(&u.code),
            });
        }
    }
    Ok(out)
}

/// The reminder and urging letters of the due rows (`render::letters`), each written whole
/// into `dir`.
pub fn write_letters(
    config: &Config,
    rows: &[crate::due::DueRow],
    today: NaiveDate,
    dir: &Path,
) -> Result<Vec<crate::render::letters::Letter>, RunError> {
    let letters = crate::render::letters::letters(config, rows, today);
    for l in &letters {
        let bytes = l.docx().map_err(RunError::Internal)?;
        let kept = "Các công văn đã ghi trước đó vẫn nguyên vẹn; chạy lại để ghi nốt.";
        crate::fault::write_file(&dir.join(l.file_name()), &bytes, kept)
            .map_err(RunError::Machine)?;
    }
    Ok(letters)
}

/// The folder given to `due --inbox`: an inbox root (`<regime>/<period>/` or `<period>/`
/// folders), not one period's folder, whose files `due` would never find.
pub fn due_inbox(inbox: &Path, regimes: &[&Regime]) -> Result<(), RunError> {
    inbox_folder(inbox)?;
    let own_period = inbox
        .file_name()
        .and_then(|n| n.to_str())
        .and_then(|n| n.parse::<Period>().ok());
    let holds_files = || {
        std::fs::read_dir(inbox)
            .map(|d| {
                d.flatten().any(|e| {
                    let p = e.path();
                    p.is_file()
                        && (crate::ingest::is_spreadsheet(&p)
                            || p.extension().is_some_and(|x| x.eq_ignore_ascii_case("csv")))
                })
            })
            .unwrap_or(false)
    };
    let has_periods = || {
        regimes
            .iter()
            .any(|r| !period_folders(&crate::due::regime_inbox(inbox, &r.id)).is_empty())
    };
    let loose_forms = holds_files() && !has_periods();
    if own_period.is_none() && !loose_forms {
        return Ok(());
    }
    let root = inbox.parent().filter(|p| !p.as_os_str().is_empty());
    Err(RunError::Job(format!(
        "{} là thư mục chứa tệp của một kỳ, không phải thư mục gốc nhận báo cáo: --inbox cần thư mục có các thư mục <chế độ>/<kỳ>/ (ví dụ nhan/ktxh/2026-10/) hoặc <kỳ>/; chạy lại với --inbox {}",
        inbox.display(),
        root.map_or_else(|| "<thư mục gốc>".to_string(), |p| p.display().to_string())
    )))
}

/// The subfolders of `dir` named as periods (`2026-10`, `2026-Q3`, …), sorted by name.
pub fn period_folders(dir: &Path) -> Vec<(Period, PathBuf)> {
    let Ok(rd) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut out: Vec<(Period, PathBuf)> = rd
        .flatten()
        .filter(|e| e.path().is_dir())
        .filter_map(|e| {
            let name = e.file_name().to_string_lossy().to_string();
            Some((name.parse().ok()?, e.path()))
        })
        .collect();
    out.sort_by(|a, b| a.1.cmp(&b.1));
    out
}

/// A warning for each period folder of the inbox root that holds files no run of `regime`
/// reads (a replaced period whose report is not taken in, a frequency the regime does not
/// have).
fn unread_folders(regime: &Regime, inbox: &Inbox) -> Vec<crate::diag::Diagnostic> {
    use crate::diag::{Code, Diagnostic, Location};
    let Some(root) = &inbox.root else {
        return Vec::new();
    };
    period_folders(root)
        .into_iter()
        .filter(|(p, _)| !regime.reads_folder_of(*p))
        .filter(|(_, d)| !collect_files(std::slice::from_ref(d)).is_empty())
        .map(|(p, d)| {
            let why = match regime.replaced_everywhere(p) {
                Some(by) if regime.has_frequency(p.frequency()) => format!(
                    "báo cáo {} được thay bằng báo cáo {} (mục [[replace]] của chế độ, không có accept = true)",
                    p.short_label(),
                    by.short_label()
                ),
                _ => format!(
                    "chế độ {} không có kỳ {} (tần suất {})",
                    regime.id,
                    p.short_label(),
                    p.frequency().label()
                ),
            };
            Diagnostic::new(
                Code::FolderNotRead,
                Location::file(d.display().to_string()),
                format!(
                    "Thư mục {} có tệp nhưng không lần chạy nào đọc: {why}.\nChuyển các tệp sang thư mục của kỳ đúng (hoặc đặt accept = true trong [[replace]] để báo cáo thay nhận chúng).",
                    d.display()
                ),
            )
        })
        .collect()
}

/// Reads the period's folders; a file of a period taken in is shown under its folder
/// (`2026-12/99009-xa-phuoc-an-2026-12.xlsx`).
fn read_inbox(
    config: &Config,
    regime: &Regime,
    period: Period,
    inbox: &Inbox,
    progress: &dyn Progress,
) -> Vec<FileReport> {
    let expect = Expect {
        config,
        regime,
        period,
    };
    let own: Vec<PathBuf> = inbox
        .dir
        .is_dir()
        .then(|| inbox.dir.clone())
        .into_iter()
        .collect();
    let mut reports = read_all_with(&own, expect, &|n| progress.files(n), &|| {
        progress.file_read()
    });
    for (code, dir) in &inbox.taken_in {
        for mut r in read_all(std::slice::from_ref(dir), expect) {
            crate::ingest::shown_under(&mut r, code);
            reports.push(r);
        }
    }
    reports
}

/// The previous period consolidated from the inbox root, quietly, if it is there.
fn previous_period(
    config: &Config,
    regime: &Regime,
    period: Period,
    root: &Path,
    as_of: NaiveDate,
) -> Option<Consolidated> {
    let prev = period.previous();
    let dir = root.join(prev.code());
    if !dir.is_dir() {
        return None;
    }
    let expect = Expect {
        config,
        regime,
        period: prev,
    };
    let reports = read_all(&[dir], expect);
    let batch = validate(config, regime, prev, as_of, reports);
    Some(consolidate(config, regime, prev, &batch.accepted))
}

/// The task register and its summary, when the job names one; its diagnostics join the
/// batch's.
fn task_summary(
    config: &Config,
    regime: &Regime,
    job: &Job,
    batch: &mut Batch,
) -> Result<Option<(Vec<crate::tasks::Task>, Summary)>, RunError> {
    let Some(path) = &job.tasks else {
        return Ok(None);
    };
    let Some(section) = &regime.tasks else {
        return Err(RunError::Job(format!(
            "chế độ \"{}\" không có phần nhiệm vụ ([tasks] trong regime.toml) nên không dùng --tasks",
            regime.id
        )));
    };
    if !path.is_file() {
        return Err(RunError::Job(format!(
            "không có tệp sổ nhiệm vụ {}",
            path.display()
        )));
    }
    let (tasks, summary, diags) =
        crate::ingest::register::load(config, path, job.as_of, section.within);
    batch.diagnostics.extend(diags);
    Ok(Some((tasks, summary)))
}

/// What the history store adds: the same period last year and the checks against the past.
struct Past {
    last_year: Option<Consolidated>,
    successors: Vec<String>,
}

/// The same period last year, and the year-to-date, outlier and carry-over checks (their
/// warnings join the batch's diagnostics).
fn compare(
    config: &Config,
    regime: &Regime,
    period: Period,
    store: Option<&Store>,
    batch: &mut Batch,
) -> Past {
    let Some(s) = store else {
        return Past {
            last_year: None,
            successors: Vec::new(),
        };
    };
    // Shown for the receiver alone (the list form's and the report's column).
    let (last_year, successors) =
        crate::history::same_period_last_year(config, regime, s, period.same_period_last_year())
            .map_or((None, Vec::new()), |(c, succ)| (Some(c), succ));
    // The rest of last year's figures, and the store rows they were consolidated from.
    crate::memory::release_freed();
    let accepted = &batch.accepted;
    let mut found = crate::history::past_warnings(config, regime, s, period, accepted);
    if last_year.is_some() {
        found.extend(crate::history::ytd::last_year_gaps(
            config,
            regime,
            s,
            period.same_period_last_year(),
        ));
    }
    found.extend(crate::history::carry_over_warnings(
        config, regime, s, period, accepted,
    ));
    batch.diagnostics.extend(found);
    Past {
        last_year,
        successors,
    }
}

/// The files of the period's inbox folders with their SHA-256 and modification time, the
/// receipt logs included (for `run --due`'s up-to-date test, before anything is run). A file
/// that cannot be read, or is over the size limit, is not listed, as in `entries_of`.
pub fn input_entries(inbox: &Inbox, limits: &crate::model::Limits) -> Vec<FileEntry> {
    let mut entries: Vec<FileEntry> = Vec::new();
    if inbox.dir.is_dir() {
        entries.extend(
            collect_files(std::slice::from_ref(&inbox.dir))
                .into_iter()
                .filter_map(|(path, shown)| file_entry(&path, shown, limits)),
        );
    }
    for (code, dir) in &inbox.taken_in {
        entries.extend(
            collect_files(std::slice::from_ref(dir))
                .into_iter()
                .filter_map(|(path, shown)| file_entry(&path, format!("{code}/{shown}"), limits)),
        );
    }
    entries.extend(receipt_log_entries(inbox, limits));
    entries
}

/// The inputs as the run read them: each file hashed from the bytes it was parsed from, in the
/// order read, then the receipt logs.
fn entries_of(
    reports: &[FileReport],
    inbox: &Inbox,
    limits: &crate::model::Limits,
) -> Vec<FileEntry> {
    let mut entries: Vec<FileEntry> = reports
        .iter()
        .filter(|r| !r.sha256.is_empty())
        .map(|r| FileEntry {
            file: r.file.clone(),
            sha256: r.sha256.clone(),
            size: r.size,
            modified: r.modified.clone(),
        })
        .collect();
    entries.extend(receipt_log_entries(inbox, limits));
    entries
}

/// The receipt logs of the inbox's folders (`nhan.csv`, `2026-12/nhan.csv`).
fn receipt_log_entries(inbox: &Inbox, limits: &crate::model::Limits) -> Vec<FileEntry> {
    let own = std::iter::once((String::new(), inbox.dir.clone()));
    let taken = inbox
        .taken_in
        .iter()
        .map(|(code, d)| (format!("{code}/"), d.clone()));
    own.chain(taken)
        .filter_map(|(prefix, dir)| {
            let log = dir.join("nhan.csv");
            log.is_file()
                .then(|| file_entry(&log, format!("{prefix}nhan.csv"), limits))
                .flatten()
        })
        .collect()
}

fn file_entry(path: &Path, shown: String, limits: &crate::model::Limits) -> Option<FileEntry> {
    let bytes = crate::ingest::read_bounded(path, limits.file_bytes)
        .ok()?
        .ok()?;
    let modified = std::fs::metadata(path)
        .and_then(|m| m.modified())
        .ok()
        .map(crate::ingest::modified_stamp);
    Some(FileEntry {
        modified,
        ..FileEntry::of(shown, &bytes)
    })
}

/// Files a run does not render but keeps when its manifest is the same as before: the
/// signature over that manifest, and the PDF copies of the same documents.
const KEPT_IF_UNCHANGED: [&str; 3] = [names::SIGNATURE, names::NARRATIVE_PDF, names::WORKBOOK_PDF];

/// Renders every output straight into the new period folder, each file written and synced as
/// soon as it is made (so a large output is never held beside the others), the manifest over
/// them last; the folder is left staged for `publish` to swap in whole, so a reader sees the
/// complete old set or the complete new one, and a failed render leaves the old one. When the
/// manifest is unchanged, the signature and PDF copies beside it are carried over. Returns the
/// outputs in `OUTPUTS` order, the manifest last, and the staged folder.
fn write_outputs(
    target: &Path,
    report: &Report<'_>,
    board: &crate::board::Board,
    inputs: Vec<FileEntry>,
) -> Result<(Vec<FileEntry>, crate::output::StagedFolder), RunError> {
    let old_manifest = std::fs::read(target.join(names::MANIFEST)).ok();
    let existed = target.is_dir();
    let mut written = Vec::new();
    let staged = crate::output::stage_folder(target, |dir| {
        let entries = render_into(dir, report, board)?;
        let config_sha256 = report.config.fingerprint(&report.regime.id);
        let manifest = manifest(report, &config_sha256, inputs, entries.clone()).into_bytes();
        put(dir, names::MANIFEST, &manifest)?;
        if old_manifest.as_deref() == Some(manifest.as_slice()) {
            for name in KEPT_IF_UNCHANGED {
                let old = target.join(name);
                if old.is_file() {
                    std::fs::copy(&old, dir.join(name)).map_err(|e| write_fault(name, &e))?;
                }
            }
        }
        written = entries;
        written.push(FileEntry::of(names::MANIFEST, &manifest));
        Ok::<(), RunError>(())
    })
    .map_err(|e| at_output(e, target, existed))?;
    Ok((written, staged))
}

/// The outputs `write_outputs` staged, swapped in for the period's folder.
fn publish(
    target: &Path,
    staged: crate::output::StagedFolder,
) -> Result<crate::output::Retiring, RunError> {
    let existed = target.is_dir();
    staged
        .swap()
        .map_err(|e| at_output(write_fault("", &e), target, existed))
}

/// A machine fault while writing the output `name` (or the output folder itself when `name` is
/// empty). Its path is filled in by `at_output`: the folder being made is hidden, the officer
/// knows the period's folder.
fn write_fault(name: &str, e: &std::io::Error) -> RunError {
    let doing = if name.is_empty() {
        "không ghi được thư mục kết quả".to_string()
    } else {
        format!("không ghi được tệp {name} vào thư mục kết quả")
    };
    RunError::Machine(Fault::writing(e, doing, PathBuf::new()))
}

impl From<std::io::Error> for RunError {
    fn from(e: std::io::Error) -> RunError {
        write_fault("", &e)
    }
}

/// A fault from writing the outputs of `target`, named by it, saying what stayed whole.
fn at_output(e: RunError, target: &Path, existed: bool) -> RunError {
    match e {
        RunError::Machine(mut f) => {
            if f.path.as_os_str().is_empty() {
                f.path = target.to_path_buf();
            }
            RunError::Machine(f.kept(if existed {
                "Bộ kết quả trước của kỳ này vẫn nguyên vẹn; không tệp nào bị ghi dở."
            } else {
                "Chưa có kết quả nào của kỳ này được ghi; không tệp nào bị ghi dở."
            }))
        }
        other => other,
    }
}

/// Writes one output into the folder being made as `render` produces it; its manifest entry
/// and its sync under way (`synced` waits for it).
fn stream(
    dir: &Path,
    name: &str,
    render: impl FnOnce(&mut dyn std::io::Write) -> std::io::Result<()>,
) -> Result<(FileEntry, crate::output::Syncing), RunError> {
    let (sha256, size, syncing) =
        crate::output::write_streamed(dir, name, render).map_err(|e| write_fault(name, &e))?;
    let entry = FileEntry {
        file: name.to_string(),
        sha256,
        size,
        modified: None,
    };
    Ok((entry, syncing))
}

/// A streamed output's entry once its sync has ended.
fn synced(
    streamed: Result<(FileEntry, crate::output::Syncing), RunError>,
) -> Result<FileEntry, RunError> {
    let (entry, syncing) = streamed?;
    syncing.wait().map_err(|e| write_fault(&entry.file, &e))?;
    Ok(entry)
}

/// Writes one output into the folder being made; its manifest entry.
fn put(dir: &Path, name: &str, bytes: &[u8]) -> Result<FileEntry, RunError> {
    crate::output::write_synced(dir, name, bytes).map_err(|e| write_fault(name, &e))?;
    Ok(FileEntry::of(name, bytes))
}

/// Every output but the manifest, rendered and written into `dir`: the workbook on one core,
/// the documents and the exchange files on the other. Entries in `OUTPUTS` order.
fn render_into(
    dir: &Path,
    report: &Report<'_>,
    board: &crate::board::Board,
) -> Result<Vec<FileEntry>, RunError> {
    let (xlsx, rest) = rayon::join(
        || write_workbook(dir, report),
        || {
            let (documents, exchange) = rayon::join(
                || write_documents(dir, report),
                || write_exchange(dir, report, board),
            );
            let mut all = documents?;
            all.extend(exchange?);
            Ok::<_, RunError>(all)
        },
    );
    let mut entries = xlsx?;
    entries.extend(rest?);
    Ok(entries)
}

/// `tong-hop.xlsx` and the consolidated lists' CSV files.
fn write_workbook(dir: &Path, report: &Report<'_>) -> Result<Vec<FileEntry>, RunError> {
    let xlsx = workbook::consolidated_workbook(report, dir).map_err(|e| match e {
        rust_xlsxwriter::XlsxError::IoError(e) => write_fault(names::WORKBOOK, &e),
        e => RunError::Internal(format!("không tạo được {}: {e}", names::WORKBOOK)),
    })?;
    let mut entries = vec![put(dir, names::WORKBOOK, &xlsx)?];
    let lists =
        crate::consolidate::gather_lists(report.config, report.regime, &report.batch.accepted);
    for spec in &report.regime.lists {
        let lines = lists.get(&spec.code).map_or(&[][..], Vec::as_slice);
        let bytes = crate::render::lists::csv(spec, lines);
        entries.push(put(dir, &list_file(&spec.code), &bytes)?);
    }
    Ok(entries)
}

/// The narrative: `bao-cao.md`, `.html` and `.docx`.
fn write_documents(dir: &Path, report: &Report<'_>) -> Result<Vec<FileEntry>, RunError> {
    let narrative = narrative::render(report).map_err(|e| {
        RunError::Job(format!(
            "mẫu đề cương của chế độ \"{}\" lỗi: {e}",
            report.regime.id
        ))
    })?;
    let docx = crate::render::docx::narrative_docx(&narrative, report.as_of)
        .map_err(RunError::Internal)?;
    Ok(vec![
        put(dir, names::NARRATIVE_MD, narrative.md.as_bytes())?,
        put(dir, names::NARRATIVE_HTML, narrative.html.as_bytes())?,
        put(dir, names::NARRATIVE_DOCX, &docx)?,
    ])
}

/// The exchange files, written as they are rendered (a nation's month is hundreds of
/// megabytes), two at a time; then the data package and the board.
fn write_exchange(
    dir: &Path,
    report: &Report<'_>,
    board: &crate::board::Board,
) -> Result<Vec<FileEntry>, RunError> {
    let cells = crate::render::exchange::FormCells::of(report);
    let rows = crate::render::exchange::exchange_rows(report, &cells);
    let rows = &rows;
    let ((csv, sdmx), (dhis2, adx)) = rayon::join(
        || {
            rayon::join(
                || {
                    stream(dir, names::EXCHANGE_CSV, |w| {
                        write_exchange_csv(report, rows, w)
                    })
                },
                || {
                    stream(dir, names::SDMX_CSV, |w| {
                        standards::write_sdmx_csv(report, rows, w)
                    })
                },
            )
        },
        || {
            rayon::join(
                || {
                    stream(dir, names::DHIS2_JSON, |w| {
                        standards::write_dhis2_json(report, rows, w)
                    })
                },
                || {
                    stream(dir, names::ADX_XML, |w| {
                        standards::write_adx_xml(report, rows, w)
                    })
                },
            )
        },
    );
    // Each file was synced on a thread of its own while the next was rendered; every sync is
    // waited for, whichever failed.
    let [csv, sdmx, dhis2, adx] = [csv, sdmx, dhis2, adx].map(synced);
    let csv = csv?;
    let package = put(
        dir,
        names::DATA_PACKAGE,
        standards::datapackage(report, &csv).as_bytes(),
    )?;
    let board = put(
        dir,
        names::BOARD,
        crate::render::board::html(board, None).as_bytes(),
    )?;
    Ok(vec![csv, sdmx?, dhis2?, adx?, package, board])
}

/// Records the period's consolidated lists in the store, one Parquet file each.
fn record_lists(
    store: &Store,
    config: &Config,
    regime: &Regime,
    period: Period,
    batch: &Batch,
) -> Result<(), RunError> {
    let gathered = crate::consolidate::gather_lists(config, regime, &batch.accepted);
    for spec in &regime.lists {
        let lines = gathered.get(&spec.code).map_or(&[][..], Vec::as_slice);
        let table = crate::store::ListTable {
            columns: spec
                .columns
                .iter()
                .map(|c| (c.code.as_str(), c.kind))
                .collect(),
            rows: lines
                .iter()
                .map(|l| crate::store::ListRecord {
                    unit_code: l.unit_code,
                    unit_name: l.unit_name,
                    stt: l.stt,
                    cells: &l.row.cells,
                })
                .collect(),
        };
        store
            .record_list(&regime.id, period, &spec.code, &table)
            .map_err(|e| store_error(store, period, e))?;
    }
    Ok(())
}

/// The period's display board: its compliance, its key indicators with their trend, and the
/// tasks by lead unit.
fn board_of(
    report: &Report<'_>,
    store: Option<&Store>,
    tasks: Option<&[crate::tasks::Task]>,
) -> crate::board::Board {
    let (config, regime, period) = (report.config, report.regime, report.period);
    crate::board::Board {
        office: config.units.name_of(&regime.receiver),
        today: report.as_of,
        periods: vec![crate::board::period_panel(
            regime,
            period,
            crate::due::units_deadline(config, regime, period),
            report.batch,
        )],
        indicators: crate::board::indicator_panels(
            config,
            regime,
            store,
            period,
            Some(report.consolidated),
        ),
        tasks: tasks.map(|t| crate::board::task_panel(config, t, report.as_of, 7)),
    }
}

/// The store step: the accepted figures, then the lists; the number of revisions audited.
fn record(
    store: &Store,
    config: &Config,
    regime: &Regime,
    period: Period,
    batch: &Batch,
) -> Result<usize, RunError> {
    let n = record_history(store, regime, period, batch)?;
    record_lists(store, config, regime, period, batch)?;
    Ok(n)
}

/// A store step that failed: the machine's fault when it was the disk's, else a bug.
fn store_error(store: &Store, period: Period, e: crate::store::StoreError) -> RunError {
    let doing = format!("không lưu được kỳ {} vào kho lịch sử", period.code());
    let said = |io: &std::io::Error| {
        Fault::writing(io, doing, &store.dir).kept(
            "Các kỳ đã lưu trong kho vẫn nguyên vẹn. Kỳ này chưa được lưu và chưa ghi kết quả mới: bộ kết quả trước (nếu có) vẫn như cũ.",
        )
    };
    match e.fault(said) {
        Ok(f) => RunError::Machine(f),
        Err(e) => RunError::Internal(e.to_string()),
    }
}

/// Records the accepted figures in the store; returns the number of revisions audited.
fn record_history(
    store: &Store,
    regime: &Regime,
    period: Period,
    batch: &Batch,
) -> Result<usize, RunError> {
    use crate::store::{NewFigure, NewFigures, Sender};
    let failed = |e| store_error(store, period, e);
    let status = regime.value_status.status();
    // Each submission is a sender: its unit, file and receipt time.
    let receipts: Vec<String> = batch
        .accepted
        .iter()
        .map(|sub| {
            sub.received_at
                .map(|t| t.format("%Y-%m-%dT%H:%M:%S").to_string())
                .unwrap_or_default()
        })
        .collect();
    let senders: Vec<Sender<'_>> = batch
        .accepted
        .iter()
        .zip(&receipts)
        .map(|(sub, received_at)| Sender {
            unit_code: &sub.unit_code,
            file: &sub.file,
            received_at,
        })
        .collect();
    // The previous period's actuals a form carries revise that period: a new vintage beside
    // its estimate, recorded as written by this period's run. Both lists are borrowed from the
    // submissions, filled in one pass into lists of their final size (a nation's quarter on a
    // matrix form is 1.2 million figures, 38 MB: lists grown as they fill, or gathered per
    // core and joined, would hold up to twice that at the run's peak).
    let total: usize = batch.accepted.iter().map(|sub| sub.values.len()).sum();
    let carried = batch
        .accepted
        .iter()
        .flat_map(|sub| sub.values.keys())
        .filter(|(_, col)| *col == InputColumn::KyTruoc)
        .count();
    let mut own: Vec<NewFigure<'_>> = Vec::with_capacity(total - carried);
    let mut revising: Vec<NewFigure<'_>> = Vec::with_capacity(carried);
    for (i, sub) in batch.accepted.iter().enumerate() {
        for ((key, col), v) in &sub.values {
            let (list, column, status) = match col {
                InputColumn::KyTruoc => {
                    (&mut revising, InputColumn::ThucHien, ValueStatus::ThucHien)
                }
                InputColumn::KeHoach => (&mut own, *col, ValueStatus::KeHoach),
                _ => (&mut own, *col, status),
            };
            list.push(NewFigure {
                key,
                value: v.value,
                sender: i as u32,
                column,
                status,
            });
        }
    }
    let revising = NewFigures {
        senders: senders.clone(),
        figures: revising,
    };
    let own = NewFigures {
        senders,
        figures: own,
    };
    let mut revisions = store
        .record_figures(&regime.id, period, period, own)
        .map_err(failed)?;
    let previous_stored = store.has_figures(&regime.id, period.previous());
    if !revising.figures.is_empty() || previous_stored {
        revisions.extend(
            store
                .record_figures(&regime.id, period.previous(), period, revising)
                .map_err(failed)?,
        );
    }
    Ok(revisions.len())
}

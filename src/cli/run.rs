//! `baocao run --regime ID --period P --inbox DIR --out DIR [--as-of D]`
//! `baocao run --due [--today D] --inbox ROOT --out DIR [--lookback N]`
//!
//! The batch, into `OUT/<regime>/<period>/`: the files of `pipeline::OUTPUTS`, the manifest
//! last; with `--sign`, then `manifest.json.p7s` (`sign`). With `--due`, every regime and period that is
//! due today, skipping those whose outputs already match their inputs (`batch`), and one
//! summary table. `--inbox` is the period's folder or an inbox root holding `<period>/`
//! folders (with `--due`: `<regime>/<period>/`, or `<period>/` for a single regime).
//! Each period processed appends a line to the run log (`--log`, default
//! `OUT/nhat-ky-chay.log`). A lock in `OUT` keeps two runs from writing it at once.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use chrono::NaiveDate;
use indicatif::{ProgressBar, ProgressStyle};

use super::{
    ensure_frequency, ensure_not_replaced, parse_date, parse_period, pick_regime, today, CliError,
    CliResult, Format, EXIT_OK,
};
use crate::batch::{append_log, run_due, DueBatch, OutLock, PeriodResult, Status, DEFAULT_LOG};
use crate::catalog::Config;
use crate::output;
use crate::period::Period;
use crate::pipeline::{run_period, Job, Outcome, Progress};
use crate::validate::Timeliness;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Mã chế độ báo cáo (mặc định: chế độ duy nhất trong cấu hình).
    #[arg(long, conflicts_with = "due")]
    pub regime: Option<String>,
    /// Kỳ báo cáo: 2026-10, 2026-Q3, 2026-H1, 2026-9M, 2026.
    #[arg(long, value_parser = parse_period, required_unless_present = "due", conflicts_with = "due")]
    pub period: Option<Period>,
    /// Chạy mọi chế độ và kỳ đến hạn hôm nay (dùng cho cron), bỏ qua kỳ không có gì thay đổi.
    #[arg(long)]
    pub due: bool,
    /// Với --due: ngày xét (mặc định hôm nay).
    #[arg(long, value_parser = parse_date, requires = "due")]
    pub today: Option<NaiveDate>,
    /// Với --due: số ngày sau thời hạn gửi của cấp mình mà kỳ vẫn được chạy lại khi có tệp mới.
    #[arg(long, default_value_t = 31)]
    pub lookback: u32,
    /// Thư mục nhận báo cáo: thư mục của kỳ, hoặc thư mục gốc chứa các thư mục <kỳ>/
    /// (với --due: <chế độ>/<kỳ>/).
    #[arg(long)]
    pub inbox: PathBuf,
    /// Thư mục ghi kết quả; kết quả nằm trong <out>/<chế độ>/<kỳ>/.
    #[arg(long)]
    pub out: PathBuf,
    /// Ngày xét hạn (mặc định: hôm nay), để chạy lại một kỳ đã qua.
    #[arg(long, value_parser = parse_date, conflicts_with = "due")]
    pub as_of: Option<NaiveDate>,
    /// Sổ theo dõi nhiệm vụ (.xlsx hoặc .csv): tổng hợp vào báo cáo nếu chế độ có phần nhiệm vụ.
    #[arg(long, conflicts_with = "due")]
    pub tasks: Option<PathBuf>,
    /// Thư mục kho lịch sử (mặc định: <root>/history).
    #[arg(long)]
    pub history: Option<PathBuf>,
    /// Không đọc, không ghi kho lịch sử.
    #[arg(long, conflicts_with = "history")]
    pub no_history: bool,
    /// Tạo thêm bao-cao.pdf và tong-hop.pdf để ký số (cần LibreOffice).
    #[arg(long)]
    pub pdf: bool,
    /// Ghi phiếu kết quả tiếp nhận cho từng đơn vị đã gửi vào OUT/phieu-ket-qua/.
    #[arg(long)]
    pub feedback: bool,
    #[command(flatten)]
    pub mail: super::SendArgs,
    /// Ký bộ kết quả của mỗi kỳ sau khi ghi xong (manifest.json.p7s), bằng --key và --cert
    /// hoặc bằng token (--pkcs11-module, --token, --key-label).
    #[arg(long)]
    pub sign: bool,
    #[command(flatten)]
    pub signing: super::sign::KeyArgs,
    /// Nhật ký chạy: mỗi kỳ đã xử lý thêm một dòng (mặc định: <out>/nhat-ky-chay.log).
    #[arg(long)]
    pub log: Option<PathBuf>,
    /// Số giây chờ khi một lần chạy khác đang ghi vào thư mục kết quả.
    #[arg(long, default_value_t = 600)]
    pub wait: u64,
    /// Dạng bảng tóm tắt: table hoặc json.
    #[arg(long, value_enum, default_value = "table")]
    pub format: Format,
    /// Không in tiến trình.
    #[arg(long, short)]
    pub quiet: bool,
}

/// Progress on the terminal: a bar while a period's files are read (hidden when not on a
/// terminal or with `-q`), stage times on stderr with `BAOCAO_TIMING=1` (for the benchmark).
struct Bar {
    quiet: bool,
    bar: std::sync::Mutex<ProgressBar>,
    timing: bool,
    clock: Instant,
}

impl Bar {
    fn new(quiet: bool) -> Bar {
        Bar {
            quiet,
            bar: std::sync::Mutex::new(ProgressBar::hidden()),
            timing: std::env::var_os("BAOCAO_TIMING").is_some(),
            clock: Instant::now(),
        }
    }

    fn with(&self, f: impl FnOnce(&mut ProgressBar)) {
        if let Ok(mut bar) = self.bar.lock() {
            f(&mut bar);
        }
    }
}

impl Progress for Bar {
    fn files(&self, n: usize) {
        if self.quiet {
            return;
        }
        let bar = ProgressBar::new(n as u64);
        bar.set_style(
            ProgressStyle::with_template("{spinner} Đọc báo cáo {pos}/{len} [{bar:30}] {elapsed}")
                .expect("valid template")
                .progress_chars("=> "),
        );
        self.with(|b| *b = bar);
    }

    fn file_read(&self) {
        self.with(|b| b.inc(1));
    }

    fn stage(&self, name: &str) {
        if name == "đọc tệp" {
            self.with(|b| b.finish_and_clear());
        }
        if self.timing {
            eprintln!(
                "[thời gian] {name}: {:.3} s{}",
                self.clock.elapsed().as_secs_f64(),
                peak_so_far().map_or(String::new(), |m| format!(", đỉnh {m} MiB"))
            );
        }
    }
}

/// The process's peak resident memory so far in MiB (Linux's `VmHWM`), for the stage times.
fn peak_so_far() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib / 1024)
}

pub fn run(config: &Config, args: Args) -> CliResult {
    crate::pipeline::inbox_folder(&args.inbox)?;
    let signing = &args.signing;
    let key_given =
        signing.key.is_some() || signing.pkcs11_module.is_some() || signing.cert.is_some();
    if key_given && !args.sign {
        return Err(CliError::Usage(
            "--key/--cert/--pkcs11-module chỉ dùng cùng --sign".to_string(),
        ));
    }
    // The key is opened (and its passphrase or PIN asked) before the run, not after it.
    let signer = if args.sign {
        Some(signing.signer()?)
    } else {
        None
    };
    let history =
        (!args.no_history).then(|| super::history::store_of(config, args.history.as_ref()).dir);
    let log = args
        .log
        .clone()
        .unwrap_or_else(|| args.out.join(DEFAULT_LOG));
    let wait = Duration::from_secs(args.wait);
    let out = args.out.clone();
    let on_wait = || {
        eprintln!(
            "Một lần chạy khác đang ghi vào {}; chờ tối đa {} giây…",
            out.display(),
            wait.as_secs()
        )
    };
    if args.mail.send && !args.feedback {
        return Err(CliError::Usage(
            "--send gửi phiếu kết quả: cần --feedback".to_string(),
        ));
    }
    if args.due {
        let batch = DueBatch {
            today: args.today.unwrap_or_else(today),
            inbox: args.inbox.clone(),
            out: args.out.clone(),
            history,
            lookback: args.lookback,
            pdf: args.pdf,
            feedback: args.feedback,
            mailing: args.mail.send && args.mail.smtp.is_some(),
        };
        let _lock = OutLock::acquire(&args.out, wait, &on_wait)?;
        return run_due_periods(config, &batch, &args, &log, signer.as_ref());
    }
    let regime = pick_regime(config, args.regime.as_deref())?;
    let period = args.period.expect("clap requires --period without --due");
    ensure_frequency(regime, period)?;
    ensure_not_replaced(regime, period)?;
    let job = Job {
        regime: regime.id.clone(),
        period,
        inbox: args.inbox.clone(),
        out: args.out.clone(),
        as_of: args.as_of.unwrap_or_else(today),
        tasks: args.tasks.clone(),
        history,
        pdf: args.pdf,
        feedback: args.feedback,
    };
    let _lock = OutLock::acquire(&args.out, wait, &on_wait)?;
    let outcome = run_period(config, &job, &Bar::new(args.quiet));
    let result = match &outcome {
        Ok(o) => PeriodResult::of(&job, o),
        Err(e) => PeriodResult::failed(&job, e),
    };
    let log_failed = write_log(&log, std::slice::from_ref(&result));
    let outcome = outcome?;
    if let Some(signer) = &signer {
        super::sign::sign_and_say(signer, &outcome.target, args.format == Format::Json)?;
    }
    if outcome.revisions > 0 && !args.quiet {
        if let Some(dir) = &job.history {
            eprintln!(
                "Kho lịch sử {}: ghi {} thay đổi (xem audit.csv).",
                dir.display(),
                outcome.revisions
            );
        }
    }
    match args.format {
        Format::Json => println!("{}", crate::output::json(&result)),
        _ => print_summary(config, &outcome),
    }
    if args.mail.send {
        let dirs = [args.inbox.join(period.code()), args.inbox.clone()];
        let mails = crate::pipeline::feedback_mails(
            config,
            regime,
            period,
            &outcome.batch,
            &outcome.feedback.0,
            &dirs,
        )?;
        args.mail
            .deliver(&mails, &outcome.feedback.0, args.format)?;
    }
    // The process ends with this command: the operating system takes its memory back whole,
    // without a walk over every figure read (a nation's month is a million of them, a tenth
    // of a second to free one by one).
    std::mem::forget(outcome);
    Ok(result.exit_code.max(log_failed.unwrap_or(0)))
}

fn run_due_periods(
    config: &Config,
    batch: &DueBatch,
    args: &Args,
    log: &std::path::Path,
    signer: Option<&crate::sign::Signer>,
) -> CliResult {
    let bar = Bar::new(args.quiet);
    // With --send, each period run gives its units' result sheets as mails, sent after all.
    let mut mails = Vec::new();
    let mut mail_error = None;
    let mut collect = |job: &Job, outcome: &Outcome| {
        if !args.mail.send || mail_error.is_some() {
            return;
        }
        let Some(regime) = config.regime(&job.regime) else {
            return;
        };
        let inbox = [job.inbox.join(job.period.code())];
        match crate::pipeline::feedback_mails(
            config,
            regime,
            job.period,
            &outcome.batch,
            &outcome.feedback.0,
            &inbox,
        ) {
            Ok(m) => mails.extend(m),
            Err(e) => mail_error = Some(e),
        }
    };
    let results = run_due(
        config,
        batch,
        &bar,
        &|due| {
            if !args.quiet && args.format != Format::Json {
                eprintln!("Tổng hợp {} kỳ {}…", due.regime, due.period.code());
            }
        },
        &mut collect,
    );
    let log_failed = write_log(log, &results);
    if let Some(signer) = signer {
        for r in results.iter().filter(|r| r.wants_signature()) {
            let dir = std::path::Path::new(&r.outputs);
            super::sign::sign_and_say(signer, dir, args.format == Format::Json)?;
        }
    }
    let worst = results
        .iter()
        .map(|r| r.exit_code)
        .chain(log_failed)
        .max()
        .unwrap_or(EXIT_OK);
    match args.format {
        Format::Json => println!(
            "{}",
            crate::output::json(&serde_json::json!({
                "today": batch.today.to_string(),
                "periods": results,
                "exit_code": worst,
            }))
        ),
        _ => print_due_summary(batch, &results),
    }
    if let Some(e) = mail_error {
        return Err(e.into());
    }
    if args.mail.send {
        let folder = batch.out.join(crate::render::feedback::FOLDER);
        args.mail.deliver(&mails, &folder, args.format)?;
    }
    Ok(worst)
}

/// Appends the results to the run log. A log that cannot be written is said and makes the
/// exit code a machine fault's (5), but undoes nothing: the outputs are as the results say.
fn write_log(log: &std::path::Path, results: &[PeriodResult]) -> Option<i32> {
    let now = chrono::Local::now().naive_local();
    let lines: Vec<String> = results.iter().map(|r| r.log_line(now)).collect();
    let e = append_log(log, &lines).err()?;
    let fault = crate::fault::Fault::writing(&e, "không ghi được nhật ký chạy", log).kept(
        "Kết quả của lần chạy vẫn như đã báo; nhật ký chỉ thiếu dòng của lần này, các dòng cũ vẫn nguyên.",
    );
    eprintln!("Lỗi máy: {fault}");
    Some(super::EXIT_MACHINE)
}

fn print_due_summary(batch: &DueBatch, results: &[PeriodResult]) {
    println!(
        "Các kỳ đến hạn tổng hợp ngày {}",
        crate::schedule::vn_date(batch.today)
    );
    if results.is_empty() {
        println!("Không có kỳ nào đến hạn tổng hợp.");
        return;
    }
    let rows: Vec<Vec<String>> = results
        .iter()
        .map(|r| {
            let counted = r.status != Status::NoFiles && r.status != Status::Failed;
            let n = |v: usize| {
                if counted {
                    v.to_string()
                } else {
                    String::new()
                }
            };
            vec![
                r.regime.clone(),
                r.period.clone(),
                r.status.label().to_string(),
                n(r.accepted),
                n(r.late),
                n(r.missing),
                n(r.rejected),
                r.outputs.clone(),
            ]
        })
        .collect();
    print!(
        "{}",
        output::table(
            &[
                "Chế độ",
                "Kỳ",
                "Tình trạng",
                "Chấp nhận",
                "Muộn",
                "Chưa gửi",
                "Từ chối",
                "Kết quả"
            ],
            &rows
        )
    );
    for r in results.iter().filter(|r| r.status == Status::Failed) {
        println!(
            "  ✗ {} {}: {}",
            r.regime,
            r.period,
            r.message.replace('\n', "\n    ")
        );
    }
}

/// The sources a terminal line of the grouped diagnostics names.
const SOURCES_SHOWN: usize = 3;

/// The diagnostics grouped by code, one line each: code, severity, title, count and the units
/// with most of them (the full list is in the "Chẩn đoán" sheet).
pub fn print_groups(groups: &[crate::diag::CodeGroup], indent: &str) {
    for g in groups {
        let sources = match g.sources.as_slice() {
            [(only, _)] => only.clone(),
            all => format!("ở {} nơi: {}", all.len(), g.sources_text(SOURCES_SHOWN)),
        };
        println!(
            "{indent}{} {:<8} {}: {} lần ({sources})",
            g.code,
            g.severity.label(),
            g.code.title(),
            g.count,
        );
    }
}

/// Outliers the terminal summary lists (the strongest; the workbook has them all).
const MAX_OUTLIERS_SHOWN: usize = 20;

fn print_summary(config: &Config, outcome: &Outcome) {
    let b = &outcome.batch;
    let regime = config.regime(&outcome.regime).expect("the job's regime");
    let period = outcome.period;
    println!("{} — {} ({})", regime.name, period.label(), period.code());
    println!("  Tệp đã đọc:            {}", b.files_read);
    println!(
        "  Báo cáo được chấp nhận: {} (đúng hạn {}, muộn {})",
        b.accepted.len(),
        b.count(Timeliness::OnTime),
        b.count(Timeliness::Late)
    );
    println!("  Tệp bị từ chối:        {}", b.rejected.len());
    println!(
        "  Đơn vị chưa gửi:       {} quá hạn, {} chưa đến hạn",
        b.count(Timeliness::Missing),
        b.count(Timeliness::NotYetDue)
    );
    println!(
        "  Chẩn đoán:             {} lỗi chặn, {} cảnh báo",
        b.blocking_count(),
        b.diagnostics.len() - b.blocking_count()
    );
    print_groups(&b.diagnostic_groups(config), "    ");
    for r in &b.rejected {
        let who = r
            .unit_code
            .as_deref()
            .and_then(|c| config.units.get(c))
            .map(|u| format!(" ({})", u.name))
            .unwrap_or_default();
        println!("  ✗ Từ chối {}{who}: {}", r.file, r.codes.join(", "));
    }
    for c in b
        .compliance
        .iter()
        .filter(|c| c.status == Timeliness::Missing)
    {
        println!("  ✗ Chưa gửi: {} ({})", c.unit_name, c.unit_code);
    }
    // The strongest outliers (the check lists them strongest first); all are in the workbook.
    let outliers: Vec<&crate::diag::Diagnostic> = b
        .diagnostics
        .iter()
        .filter(|d| d.code == crate::diag::Code::Outlier)
        .collect();
    if !outliers.is_empty() {
        println!(
            "  Số liệu khác thường (BC0802), {} mạnh nhất{}:",
            outliers.len().min(MAX_OUTLIERS_SHOWN),
            if outliers.len() > MAX_OUTLIERS_SHOWN {
                format!(" trong {} (đủ trong trang \"Chẩn đoán\")", outliers.len())
            } else {
                String::new()
            }
        );
        for d in outliers.iter().take(MAX_OUTLIERS_SHOWN) {
            println!("    {}", d.line());
        }
    }
    println!("  Đã ghi vào {}:", outcome.target.display());
    let names = crate::pipeline::output_names(regime);
    for o in names
        .iter()
        .map(String::as_str)
        .chain([crate::output::names::MANIFEST])
        .chain(outcome.pdfs.iter().map(String::as_str))
    {
        println!("    {o}");
    }
    for d in &outcome.pdf_diagnostics {
        println!("  {}", d.line());
    }
    let (folder, sheets) = &outcome.feedback;
    if *sheets > 0 {
        println!(
            "  Phiếu kết quả gửi lại {sheets} đơn vị: {}",
            folder.display()
        );
    }
}

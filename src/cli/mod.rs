//! Command-line interface: clap definitions and dispatch, one file per command.
//!
//! Every command loads and checks the config root first; config problems exit with 2.
//! Exit codes: 0 success; 1 finished, but submissions were rejected or are missing past their
//! deadline; 2 usage or config error; 3 internal failure (e.g. an output could not be written);
//! 4 another run held the output folder and did not release it in time.

mod board;
mod calendar;
mod check;
mod check_config;
mod due;
mod form;
mod history;
mod nhan;
mod pdf;
mod regime;
mod run;
pub(crate) mod sign;
mod synth;
mod task_cycle;
pub(crate) mod tasks;
mod usage;

use std::path::PathBuf;

use clap::{Parser, Subcommand, ValueEnum};

use crate::catalog::{Config, Regime};
pub use crate::exit::{
    BUSY as EXIT_BUSY, CLOSED_PIPE as EXIT_CLOSED_PIPE, FINDINGS as EXIT_FINDINGS,
    INTERNAL as EXIT_INTERNAL, MACHINE as EXIT_MACHINE, NETWORK as EXIT_NETWORK, OK as EXIT_OK,
    USAGE as EXIT_USAGE,
};
use crate::fault::Fault;

#[derive(Debug, Parser)]
#[command(
    name = "baocao",
    version,
    about = "Tổng hợp báo cáo định kỳ theo Nghị định 09/2019/NĐ-CP: lịch báo cáo, biểu mẫu, kiểm tra, tổng hợp.",
    after_help = "Mã thoát: 0 thành công; 1 có báo cáo bị từ chối hoặc quá hạn chưa gửi; 2 lỗi cú pháp lệnh hoặc cấu hình; 3 lỗi nội bộ; 4 một lần chạy khác đang ghi vào thư mục kết quả; 5 lỗi của máy (ổ đĩa đầy, không có quyền, thư mục chỉ đọc hoặc không còn); 6 không kết nối được hoặc bị máy chủ thư ngắt (nhan, --send): việc đã làm được giữ, chạy lại sau."
)]
pub struct Cli {
    /// Thư mục cấu hình (đơn vị, chỉ tiêu, chế độ báo cáo, lịch).
    #[arg(long, global = true, default_value = ".")]
    pub root: PathBuf,
    #[command(subcommand)]
    pub command: Command,
}

/// Output format of commands that print a table.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    Table,
    Csv,
    Json,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Mọi kỳ báo cáo của một năm: thời gian chốt số liệu và thời hạn gửi của từng cấp.
    Calendar(calendar::Args),
    /// Các kỳ đã chốt số liệu: đến hạn hôm nay, sắp đến hạn, quá hạn; đơn vị chưa gửi.
    Due(due::Args),
    /// Tạo biểu mẫu Excel trống cho các đơn vị báo cáo.
    Form(form::Args),
    /// Đọc và kiểm tra các báo cáo nhận được (không ghi gì).
    Check(check::Args),
    /// Chạy đợt tổng hợp: đọc, kiểm tra, tổng hợp, xuất biểu tổng hợp và báo cáo.
    Run(Box<run::Args>),
    /// Theo dõi nhiệm vụ được giao (Quyết định 42/2014): tình trạng, tổng hợp, đôn đốc.
    Tasks(tasks::Args),
    /// Lịch sử một số liệu trong kho và các lần điều chỉnh.
    History(history::Args),
    /// Nạp kết quả tổng hợp cũ (du-lieu.csv) vào kho lịch sử.
    ImportHistory(history::ImportArgs),
    /// Bảng thông tin công khai bang-tin.html: tình hình gửi báo cáo, chỉ tiêu, nhiệm vụ.
    Board(board::Args),
    /// Nhận báo cáo qua hộp thư IMAP: tệp đính kèm vào nhan/<chế độ>/<kỳ>/ với thời điểm máy chủ nhận.
    Nhan(nhan::Args),
    /// Tạo bản PDF để ký (bao-cao.pdf, tong-hop.pdf) cho thư mục kết quả của một kỳ.
    Pdf(pdf::Args),
    /// Ký bộ kết quả của một kỳ: chữ ký CMS manifest.json.p7s trên bảng kê manifest.json.
    Sign(sign::SignArgs),
    /// Kiểm tra bộ kết quả của một kỳ: chữ ký, chuỗi chứng thư, mã băm từng tệp.
    Verify(sign::VerifyArgs),
    /// Đọc và kiểm tra thư mục cấu hình, liệt kê mọi lỗi và các việc còn đánh dấu TODO.
    CheckConfig,
    /// Chế độ báo cáo: thư viện (regime list, add, diff) và bản nháp từ biểu mẫu Excel (regime draft).
    Regime(regime::Args),
    /// Sinh dữ liệu mẫu và dữ liệu đo hiệu năng (dành cho người phát triển).
    #[command(hide = true)]
    Synth(synth::Args),
}

/// A closed pipe on standard output or error ends the command quietly: Rust's printing
/// panics on it (its runtime ignores SIGPIPE, so that a closed socket is an error, not a
/// death), and that panic is no bug to report.
fn quiet_on_closed_pipe() {
    let default = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        let text = info
            .payload()
            .downcast_ref::<String>()
            .map(String::as_str)
            .or_else(|| info.payload().downcast_ref::<&str>().copied())
            .unwrap_or("");
        if text.starts_with("failed printing to std") && text.contains("os error 32") {
            std::process::exit(EXIT_CLOSED_PIPE);
        }
        default(info);
    }));
}

/// Parses the process arguments and runs the command; returns the exit code.
pub fn main() -> i32 {
    quiet_on_closed_pipe();
    use clap::{CommandFactory, FromArgMatches};
    let args = usage::help_as_flag(std::env::args_os().collect());
    let command = usage::command_named(&Cli::command(), &args);
    let parsed = usage::vietnamese(Cli::command())
        .try_get_matches_from(args)
        .and_then(|m| Cli::from_arg_matches(&m));
    match parsed {
        Ok(cli) => run(cli),
        Err(e) => {
            let (text, to_stderr) = usage::said(&e, &command);
            if to_stderr {
                eprint!("{text}");
                EXIT_USAGE
            } else {
                print!("{text}");
                EXIT_OK
            }
        }
    }
}

/// Each path given on the command line is there: a mistyped one is the officer's to fix
/// (exit 2), said before anything is read.
fn paths_exist(paths: &[PathBuf]) -> Result<(), CliError> {
    match paths.iter().find(|p| !p.exists()) {
        Some(p) => Err(CliError::Usage(format!(
            "không có tệp hoặc thư mục {}: kiểm tra đường dẫn (ổ mạng chưa gắn thì gắn lại)",
            p.display()
        ))),
        None => Ok(()),
    }
}

pub fn run(cli: Cli) -> i32 {
    // Signing, checking and printing an output folder need no config: the receiver may have
    // none, and the folder holds all they read. Drafting a regime writes a config.
    let command = match cli.command {
        Command::Sign(args) => return exit_code(sign::sign(args)),
        Command::Verify(args) => return exit_code(sign::verify(args)),
        Command::Pdf(args) => return exit_code(pdf::run(args)),
        Command::Regime(args) => return exit_code(regime::run(args, &cli.root)),
        other => other,
    };
    let config = match Config::load(&cli.root) {
        Ok(c) => c,
        Err(errors) => {
            eprint!("{errors}");
            if matches!(command, Command::CheckConfig) {
                check_config::print_todos(&cli.root, &mut std::io::stderr());
            }
            eprintln!(
                "Sửa các lỗi trên trong thư mục cấu hình {} rồi chạy lại.",
                cli.root.display()
            );
            return EXIT_USAGE;
        }
    };
    let result = match command {
        Command::Calendar(args) => calendar::run(&config, args),
        Command::Due(args) => due::run(&config, args),
        Command::Form(args) => form::run(&config, args),
        Command::Check(args) => check::run(&config, args),
        Command::Run(args) => run::run(&config, *args),
        Command::Tasks(args) => tasks::run(&config, args),
        Command::History(args) => history::run(&config, args),
        Command::ImportHistory(args) => history::import(&config, args),
        Command::Board(args) => board::run(&config, args),
        Command::Nhan(args) => nhan::run(&config, args),
        Command::CheckConfig => check_config::run(&config),
        Command::Synth(args) => synth::run(&config, args),
        Command::Sign(_) | Command::Verify(_) | Command::Pdf(_) | Command::Regime(_) => {
            unreachable!("handled before the config")
        }
    };
    exit_code(result)
}

/// The exit code of a command's result, its error said on stderr.
fn exit_code(result: CliResult) -> i32 {
    match result {
        Ok(code) => code,
        Err(CliError::Usage(msg)) => {
            eprintln!("Lỗi: {msg}");
            EXIT_USAGE
        }
        Err(CliError::Internal(msg)) => {
            eprintln!("Lỗi nội bộ: {msg}");
            EXIT_INTERNAL
        }
        Err(CliError::Busy(msg)) => {
            eprintln!("Lỗi: {msg}");
            EXIT_BUSY
        }
        Err(CliError::Machine(fault)) => {
            eprintln!("Lỗi máy: {fault}");
            EXIT_MACHINE
        }
        Err(CliError::Network(msg)) => {
            eprintln!("Lỗi mạng: {msg}");
            EXIT_NETWORK
        }
    }
}

/// Why a command could not do its job.
#[derive(Debug, thiserror::Error)]
pub enum CliError {
    #[error("{0}")]
    Usage(String),
    #[error("{0}")]
    Internal(String),
    #[error("{0}")]
    Busy(String),
    /// The machine failed the command (see `fault`).
    #[error("{0}")]
    Machine(Fault),
    /// The mail server could not be reached or failed mid-way.
    #[error("{0}")]
    Network(String),
}

impl From<crate::mail::MailError> for CliError {
    fn from(e: crate::mail::MailError) -> CliError {
        use crate::mail::MailError;
        match e {
            MailError::Said(m) => CliError::Usage(m),
            MailError::Server(m) => CliError::Network(m),
            MailError::Machine(f) => CliError::Machine(f),
        }
    }
}

impl From<crate::fault::Failed> for CliError {
    fn from(e: crate::fault::Failed) -> CliError {
        match e {
            crate::fault::Failed::Said(m) => CliError::Usage(m),
            crate::fault::Failed::Machine(f) => CliError::Machine(f),
        }
    }
}

impl From<Fault> for CliError {
    fn from(f: Fault) -> CliError {
        CliError::Machine(f)
    }
}

impl From<crate::pipeline::RunError> for CliError {
    fn from(e: crate::pipeline::RunError) -> CliError {
        use crate::pipeline::RunError;
        match e {
            RunError::Job(m) => CliError::Usage(m),
            RunError::Internal(m) => CliError::Internal(m),
            RunError::Busy(m) => CliError::Busy(m),
            RunError::Machine(f) => CliError::Machine(f),
        }
    }
}

pub type CliResult = Result<i32, CliError>;

/// Writes a command's output file whole (`output::write_atomic`); a machine fault said as one.
pub(crate) fn write_file(path: &std::path::Path, bytes: &[u8]) -> Result<(), CliError> {
    let kept = "Tệp cũ cùng tên (nếu có) vẫn nguyên vẹn; không tệp nào bị ghi dở.";
    crate::fault::write_file(path, bytes, kept).map_err(CliError::Machine)
}

/// The regime named by `--regime`, or the only one in the config root.
pub fn pick_regime<'a>(config: &'a Config, id: Option<&str>) -> Result<&'a Regime, CliError> {
    let known = || {
        config
            .regimes
            .keys()
            .cloned()
            .collect::<Vec<_>>()
            .join(", ")
    };
    match id {
        Some(id) => config.regime(id).ok_or_else(|| {
            CliError::Usage(format!(
                "không có chế độ báo cáo \"{id}\"; các chế độ có: {}",
                known()
            ))
        }),
        None if config.regimes.len() == 1 => {
            Ok(config.regimes.values().next().expect("one regime"))
        }
        None => Err(CliError::Usage(format!(
            "có nhiều chế độ báo cáo, hãy chọn bằng --regime ({})",
            known()
        ))),
    }
}

/// The regime named by `--regime`, or every regime of the config root.
pub fn pick_regimes<'a>(config: &'a Config, id: Option<&str>) -> Result<Vec<&'a Regime>, CliError> {
    match id {
        Some(_) => Ok(vec![pick_regime(config, id)?]),
        None => Ok(config.regimes.values().collect()),
    }
}

/// A usage error unless `regime` has periods of `period`'s kind.
pub fn ensure_frequency(regime: &Regime, period: crate::period::Period) -> Result<(), CliError> {
    if regime.has_frequency(period.frequency()) {
        Ok(())
    } else {
        Err(CliError::Usage(format!(
            "chế độ \"{}\" không có kỳ {} (tần suất {})",
            regime.id,
            period.code(),
            period.frequency().label()
        )))
    }
}

/// The refusal of a period whose report `by` replaces (coinciding periods, `[[replace]]`).
pub fn replaced_error(
    regime: &Regime,
    period: crate::period::Period,
    by: crate::period::Period,
) -> CliError {
    CliError::Usage(format!(
        "kỳ {} ({}) không có báo cáo riêng: theo chế độ \"{}\", báo cáo {} ({}) thay báo cáo này (mục [[replace]] trong regime.toml). Dùng kỳ đó: --regime {} --period {}",
        period.code(),
        period.label(),
        regime.id,
        crate::text::lower_first(&by.label()),
        by.code(),
        regime.id,
        by.code()
    ))
}

/// A usage error when every level's report of `period` is replaced by another report.
pub fn ensure_not_replaced(regime: &Regime, period: crate::period::Period) -> Result<(), CliError> {
    match regime.replaced_everywhere(period) {
        Some(by) => Err(replaced_error(regime, period, by)),
        None => Ok(()),
    }
}

/// Parses a `YYYY-MM-DD` date argument.
pub fn parse_date(s: &str) -> Result<chrono::NaiveDate, String> {
    chrono::NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d")
        .map_err(|_| format!("ngày \"{s}\" không hợp lệ: viết theo dạng 2026-10-16"))
}

/// Parses a period argument.
pub fn parse_period(s: &str) -> Result<crate::period::Period, String> {
    s.parse()
        .map_err(|e: crate::period::PeriodError| e.to_string())
}

/// Today's date, local time.
pub fn today() -> chrono::NaiveDate {
    chrono::Local::now().date_naive()
}

/// `--send` and its relay: mail the result sheets or the letters to the units.
#[derive(Debug, Clone, clap::Args)]
pub struct SendArgs {
    /// Gửi thư cho từng đơn vị (địa chỉ email trong units.toml); không có --smtp thì chỉ liệt
    /// kê các thư sẽ gửi, không gửi gì.
    #[arg(long)]
    pub send: bool,
    /// Máy chủ gửi thư SMTP, dạng máy[:cổng] (mặc định 587 STARTTLS; 465 TLS; mật khẩu trong
    /// BAOCAO_SMTP_PASSWORD).
    #[arg(long, value_name = "HOST[:PORT]", requires = "send")]
    pub smtp: Option<String>,
    /// Tên đăng nhập máy chủ gửi thư.
    #[arg(long, requires = "smtp")]
    pub smtp_user: Option<String>,
    /// Địa chỉ gửi (hộp thư của cơ quan).
    #[arg(long, value_name = "ADDR", requires = "smtp")]
    pub from: Option<String>,
    /// Không mã hoá: chỉ với máy chủ trên chính máy này.
    #[arg(long, requires = "smtp")]
    pub smtp_insecure: bool,
    /// Gửi lại cả những thư đã có trong sổ thư đã gửi (da-gui.csv).
    #[arg(long, requires = "send")]
    pub resend: bool,
}

impl SendArgs {
    /// The relay, or `None` for a dry run.
    pub fn relay(&self) -> Result<Option<crate::mail::send::Relay>, CliError> {
        let Some(smtp) = &self.smtp else {
            return Ok(None);
        };
        let from = self.from.clone().ok_or_else(|| {
            CliError::Usage("--smtp cần --from: địa chỉ thư của cơ quan gửi".to_string())
        })?;
        let default = if self.smtp_insecure { 25 } else { 587 };
        let (host, port) =
            crate::mail::host_port(smtp, default, "--smtp").map_err(CliError::Usage)?;
        let password = std::env::var("BAOCAO_SMTP_PASSWORD").ok();
        if self.smtp_user.is_some() && password.is_none() {
            return Err(CliError::Usage(
                "--smtp-user cần mật khẩu trong biến môi trường BAOCAO_SMTP_PASSWORD (không ghi mật khẩu trên dòng lệnh); máy chủ không đòi đăng nhập thì bỏ --smtp-user".to_string(),
            ));
        }
        Ok(Some(crate::mail::send::Relay {
            host,
            port,
            user: self.smtp_user.clone(),
            password,
            insecure: self.smtp_insecure,
            from,
        }))
    }

    /// Sends (or lists) the mails not in the sent log of `dir` (`mail::send::SentLog`) and
    /// prints what became of each (on standard error when standard output carries JSON or
    /// CSV); a server that stops the sending is said after what was sent.
    pub fn deliver(
        &self,
        mails: &[crate::mail::send::Outgoing],
        dir: &std::path::Path,
        format: Format,
    ) -> Result<(), CliError> {
        use crate::mail::send::{send_all, Fate, SentLog};
        macro_rules! say {
            ($($t:tt)*) => {
                match format {
                    Format::Table => println!($($t)*),
                    _ => eprintln!($($t)*),
                }
            };
        }
        let relay = self.relay()?;
        let mut log = SentLog::open(dir)?;
        let done = send_all(relay.as_ref(), mails, &mut log, self.resend);
        let sent = done.fates.iter().filter(|r| r.1 == Fate::Sent).count();
        if done.fates.is_empty() && done.stopped.is_none() {
            say!("Không có thư nào phải gửi.");
        } else if relay.is_none() {
            say!("Thư sẽ gửi (chưa gửi: thêm --smtp để gửi):");
        } else {
            say!("Đã gửi {sent} thư:");
        }
        for (what, fate) in &done.fates {
            match fate {
                Fate::NoAddress => say!("  ✗ {what}: đơn vị chưa có email trong units.toml"),
                Fate::AlreadySent(at) => say!(
                    "  = {what}: đã gửi lúc {at} (sổ {}), không gửi lại",
                    crate::mail::send::SENT_LOG
                ),
                Fate::Sent | Fate::DryRun => say!("  → {what}"),
            }
        }
        match done.stopped {
            Some(e) => Err(e.into()),
            None => Ok(()),
        }
    }
}

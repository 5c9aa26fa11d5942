//! The task-update cycle with the units and other task systems:
//!
//! ```text
//! baocao tasks forms  --register R --as-of D [--since D0] --out DIR
//! baocao tasks update --register R --inbox DIR --as-of D --out DIR [--format table|json]
//! baocao tasks review --register R --since D1 --as-of D2 --out DIR [--format table|json]
//! baocao tasks export --register R --as-of D --format csv|json --out FILE
//! baocao tasks import --register R --out DIR [--as-of D] FILE
//! ```
//!
//! `update` and `import` write a new register `DIR/so-theo-doi.xlsx` (never the old one) and
//! append their changes to `DIR/nhat-ky.csv`; `review` writes `ra-soat.xlsx` and `ra-soat.md`.

use std::path::{Path, PathBuf};

use chrono::{Days, NaiveDate};

use super::{parse_date, CliError, CliResult, Format, EXIT_OK};
use crate::catalog::Config;
use crate::diag::{Diagnostic, DiagnosticJson};
use crate::ingest::register::{read_register, Register};
use crate::output::table;
use crate::render::task_cycle;
use crate::schedule::vn_date;
use crate::tasks::exchange::{import, Record, HEADER};
use crate::tasks::review::review;
use crate::tasks::update::{merge, LogEntry};
use crate::tasks::Task;

/// The new register's and the update log's names in the output folder.
pub const REGISTER: &str = "so-theo-doi.xlsx";
pub const LOG: &str = "nhat-ky.csv";

#[derive(Debug, clap::Subcommand)]
pub enum Cycle {
    /// Biểu cập nhật tiến độ cho từng đơn vị chủ trì.
    Forms(FormsArgs),
    /// Gộp các biểu cập nhật đơn vị gửi về vào sổ mới so-theo-doi.xlsx.
    Update(UpdateArgs),
    /// Rà soát những gì thay đổi giữa hai ngày (hai tuần một lần).
    Review(ReviewArgs),
    /// Xuất sổ theo định dạng trao đổi (CSV hoặc JSON).
    Export(ExportArgs),
    /// Nhập tệp trao đổi của hệ thống khác vào sổ mới so-theo-doi.xlsx.
    Import(ImportArgs),
}

#[derive(Debug, clap::Args)]
pub struct FormsArgs {
    /// Sổ theo dõi nhiệm vụ (.xlsx hoặc .csv).
    #[arg(long)]
    pub register: PathBuf,
    /// Ngày xét, dạng 2026-10-31.
    #[arg(long, value_parser = parse_date)]
    pub as_of: NaiveDate,
    /// Từ ngày (lần rà soát trước): nhiệm vụ hoàn thành sau ngày này cũng có trên biểu
    /// (mặc định: 14 ngày trước ngày xét).
    #[arg(long, value_parser = parse_date)]
    pub since: Option<NaiveDate>,
    /// Thư mục ghi các biểu cập nhật.
    #[arg(long)]
    pub out: PathBuf,
}

#[derive(Debug, clap::Args)]
pub struct UpdateArgs {
    /// Sổ theo dõi nhiệm vụ (.xlsx hoặc .csv).
    #[arg(long)]
    pub register: PathBuf,
    /// Thư mục các biểu cập nhật (và sổ nhận nhan.csv) đơn vị gửi về.
    #[arg(long)]
    pub inbox: PathBuf,
    /// Ngày xét, dạng 2026-10-31.
    #[arg(long, value_parser = parse_date)]
    pub as_of: NaiveDate,
    /// Thư mục ghi kết quả.
    #[arg(long)]
    pub out: PathBuf,
    /// Dạng in kết quả.
    #[arg(long, value_enum, default_value = "table")]
    pub format: Format,
}

#[derive(Debug, clap::Args)]
pub struct ReviewArgs {
    /// Sổ theo dõi nhiệm vụ (.xlsx hoặc .csv).
    #[arg(long)]
    pub register: PathBuf,
    /// Ngày rà soát lần trước, dạng 2026-10-17.
    #[arg(long, value_parser = parse_date)]
    pub since: NaiveDate,
    /// Ngày xét, dạng 2026-10-31.
    #[arg(long, value_parser = parse_date)]
    pub as_of: NaiveDate,
    /// Thư mục ghi kết quả.
    #[arg(long)]
    pub out: PathBuf,
    /// Dạng in kết quả.
    #[arg(long, value_enum, default_value = "table")]
    pub format: Format,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ExportFormat {
    Csv,
    Json,
}

#[derive(Debug, clap::Args)]
pub struct ExportArgs {
    /// Sổ theo dõi nhiệm vụ (.xlsx hoặc .csv).
    #[arg(long)]
    pub register: PathBuf,
    /// Ngày xét, dạng 2026-10-31.
    #[arg(long, value_parser = parse_date)]
    pub as_of: NaiveDate,
    /// Định dạng trao đổi của tệp xuất.
    #[arg(long, value_enum)]
    pub format: ExportFormat,
    /// Tệp ghi ra.
    #[arg(long)]
    pub out: PathBuf,
}

#[derive(Debug, clap::Args)]
pub struct ImportArgs {
    /// Sổ theo dõi nhiệm vụ (.xlsx hoặc .csv).
    #[arg(long)]
    pub register: PathBuf,
    /// Thư mục ghi sổ mới so-theo-doi.xlsx và nhật ký nhat-ky.csv.
    #[arg(long)]
    pub out: PathBuf,
    /// Ngày ghi trên sổ mới (mặc định: hôm nay).
    #[arg(long, value_parser = parse_date)]
    pub as_of: Option<NaiveDate>,
    /// Tệp trao đổi (.csv hoặc .json) của hệ thống khác.
    pub file: PathBuf,
}

pub fn run(config: &Config, cycle: Cycle) -> CliResult {
    match cycle {
        Cycle::Forms(a) => forms(config, a),
        Cycle::Update(a) => update(config, a),
        Cycle::Review(a) => review_cmd(config, a),
        Cycle::Export(a) => export(config, a),
        Cycle::Import(a) => import_cmd(config, a),
    }
}

/// A usage error unless `path` is a file.
pub fn ensure_file(path: &Path) -> Result<(), CliError> {
    if path.is_file() {
        Ok(())
    } else {
        Err(CliError::Usage(format!(
            "không có tệp sổ nhiệm vụ {}",
            path.display()
        )))
    }
}

use crate::ingest::tasks::shown;

/// Reads the register; blocking problems in it stop the command (the office fixes its own
/// register first), warnings are printed.
fn load_register(config: &Config, path: &Path) -> Result<Register, CliError> {
    ensure_file(path)?;
    let reg = read_register(config, path, &shown(path));
    let blocking: Vec<String> = reg
        .diagnostics
        .iter()
        .filter(|d| d.is_blocking())
        .map(Diagnostic::line)
        .collect();
    if !blocking.is_empty() {
        return Err(CliError::Usage(format!(
            "sổ nhiệm vụ {} có lỗi, sửa trước rồi chạy lại:\n{}",
            path.display(),
            blocking.join("\n")
        )));
    }
    for d in &reg.diagnostics {
        eprintln!("{}", d.line());
    }
    Ok(reg)
}

use super::write_file as write;

/// The new register's path in `out`, refused if it is the register being read.
fn new_register(out: &Path, old: &Path) -> Result<PathBuf, CliError> {
    let target = out.join(REGISTER);
    let same = match (std::fs::canonicalize(&target), std::fs::canonicalize(old)) {
        (Ok(a), Ok(b)) => a == b,
        _ => false,
    };
    if same {
        return Err(CliError::Usage(format!(
            "--out {} sẽ ghi đè lên chính sổ đang đọc {}; sổ cũ không bao giờ bị sửa: chọn thư mục khác (ví dụ theo ngày)",
            out.display(),
            old.display()
        )));
    }
    Ok(target)
}

/// Appends `entries` to the update log in `out` (with its header when new).
fn append_log(out: &Path, entries: &[LogEntry]) -> Result<(), CliError> {
    let path = out.join(LOG);
    let lines = LogEntry::lines(entries, !path.is_file());
    crate::batch::append_log(&path, &lines).map_err(|e| {
        CliError::Machine(
            crate::fault::Fault::writing(&e, "không ghi được nhật ký cập nhật", &path)
                .kept("Sổ nhiệm vụ mới đã ghi; nhật ký thiếu các dòng của lần này, các dòng cũ vẫn nguyên."),
        )
    })
}

fn forms(config: &Config, a: FormsArgs) -> CliResult {
    let reg = load_register(config, &a.register)?;
    let since = a.since.unwrap_or(a.as_of - Days::new(14));
    let mut written = 0;
    for (unit, mine) in crate::tasks::update_forms(&reg.tasks, a.as_of, since) {
        let mine: Vec<&Task> = mine.iter().collect();
        let bytes = task_cycle::update_form(config, unit, &mine, &shown(&a.register), a.as_of)
            .map_err(|e| CliError::Internal(format!("không tạo được biểu của {unit}: {e}")))?;
        write(&a.out.join(form_name(config, unit, a.as_of)), &bytes)?;
        written += 1;
    }
    println!(
        "Đã tạo {written} biểu cập nhật tiến độ nhiệm vụ đến ngày {} trong {}",
        vn_date(a.as_of),
        a.out.display()
    );
    Ok(EXIT_OK)
}

/// `<code>-<unit name>-cap-nhat-nhiem-vu-<as-of>.xlsx`.
pub fn form_name(config: &Config, unit: &str, as_of: NaiveDate) -> String {
    let slug = config
        .units
        .get(unit)
        .map(|u| crate::text::slug(&u.name))
        .unwrap_or_default();
    format!("{unit}-{slug}-cap-nhat-nhiem-vu-{as_of}.xlsx")
}

fn update(config: &Config, a: UpdateArgs) -> CliResult {
    let reg = load_register(config, &a.register)?;
    let target = new_register(&a.out, &a.register)?;
    if !a.inbox.is_dir() {
        return Err(CliError::Usage(format!(
            "không có thư mục nhận {}",
            a.inbox.display()
        )));
    }
    let (updates, mut diagnostics) = crate::ingest::tasks::read_updates(config, &a.inbox, a.as_of);
    let merged = merge(&reg.tasks, &updates, a.as_of);
    diagnostics.extend(merged.diagnostics.iter().cloned());
    let bytes = task_cycle::register(config, &merged.tasks, Some(&merged), a.as_of)
        .map_err(|e| CliError::Internal(format!("không tạo được {REGISTER}: {e}")))?;
    write(&target, &bytes)?;
    append_log(&a.out, &merged.log)?;
    let name = |c: &str| config.units.name_of(c);
    match a.format {
        Format::Json => {
            let doc = serde_json::json!({
                "as_of": a.as_of.to_string(),
                "register": target.display().to_string(),
                "files": updates.len(),
                "updated_units": merged.updated_units,
                "not_updated": merged.not_updated,
                "extension_requests": merged.extension_requests.iter().map(|(c, d)| serde_json::json!({"task": c, "requested": d.to_string()})).collect::<Vec<_>>(),
                "changes": merged.log,
                "diagnostics": diagnostics.iter().map(DiagnosticJson::from).collect::<Vec<_>>(),
            });
            println!("{}", crate::output::json(&doc));
        }
        _ => {
            println!(
                "Cập nhật tiến độ nhiệm vụ đến ngày {}: {} tệp, {} thay đổi.",
                vn_date(a.as_of),
                updates.len(),
                merged.log.len()
            );
            let units = crate::tasks::lead_units(&merged.tasks);
            let rows: Vec<Vec<String>> = units
                .iter()
                .map(|u| {
                    let open = merged
                        .not_updated
                        .iter()
                        .filter(|c| merged.tasks.iter().any(|t| t.code == **c && t.lead == *u));
                    let open = open.count();
                    vec![
                        name(u),
                        if merged.updated_units.contains(*u) {
                            "đã cập nhật".to_string()
                        } else if open == 0 {
                            "không có nhiệm vụ đang mở".to_string()
                        } else {
                            format!("chưa cập nhật ({open} nhiệm vụ đang mở)")
                        },
                    ]
                })
                .collect();
            print!(
                "{}",
                table(&["Đơn vị chủ trì", "Tình trạng cập nhật"], &rows)
            );
            if !merged.extension_requests.is_empty() {
                println!("\nĐề xuất gia hạn (văn phòng xem xét, ghi vào cột Thời hạn điều chỉnh nếu đồng ý):");
                for (c, d) in &merged.extension_requests {
                    println!("  {c}: đề nghị đến {}", vn_date(*d));
                }
            }
            for d in &diagnostics {
                println!("{}", d.line());
            }
            println!(
                "Đã ghi {} và {}",
                target.display(),
                a.out.join(LOG).display()
            );
        }
    }
    Ok(crate::exit::of_findings(
        diagnostics.iter().any(Diagnostic::is_blocking),
    ))
}

fn review_cmd(config: &Config, a: ReviewArgs) -> CliResult {
    if a.since >= a.as_of {
        return Err(CliError::Usage(format!(
            "--since {} phải trước --as-of {}",
            a.since, a.as_of
        )));
    }
    let reg = load_register(config, &a.register)?;
    let log = crate::ingest::tasks::read_log(&a.register.with_file_name(LOG));
    let r = review(&reg.tasks, &log, a.since, a.as_of);
    let xlsx = task_cycle::review_workbook(config, &r, &reg.tasks)
        .map_err(|e| CliError::Internal(format!("không tạo được ra-soat.xlsx: {e}")))?;
    let md = task_cycle::review_markdown(config, &r, &reg.tasks);
    write(&a.out.join("ra-soat.xlsx"), &xlsx)?;
    write(&a.out.join("ra-soat.md"), md.as_bytes())?;
    match a.format {
        Format::Json => {
            let units: Vec<serde_json::Value> = r
                .units
                .iter()
                .map(|(u, x)| {
                    serde_json::json!({
                        "unit_code": u,
                        "completed_on_time": x.completed_on_time,
                        "completed_late": x.completed_late,
                        "newly_overdue": x.newly_overdue,
                        "still_overdue": x.still_overdue.iter().map(|(c, d)| serde_json::json!({"task": c, "days_overdue": d})).collect::<Vec<_>>(),
                        "extensions": x.extensions.iter().map(|(c, o, n)| serde_json::json!({"task": c, "old": o, "new": n})).collect::<Vec<_>>(),
                        "not_updated": x.not_updated,
                    })
                })
                .collect();
            println!(
                "{}",
                crate::output::json(&serde_json::json!({
                    "since": a.since.to_string(),
                    "as_of": a.as_of.to_string(),
                    "units": units,
                }))
            );
        }
        _ => print!("{md}"),
    }
    Ok(EXIT_OK)
}

fn export(config: &Config, a: ExportArgs) -> CliResult {
    let reg = load_register(config, &a.register)?;
    let records: Vec<Record> = reg.tasks.iter().map(|t| Record::of(t, a.as_of)).collect();
    let bytes = match a.format {
        ExportFormat::Json => crate::output::json(&records).into_bytes(),
        ExportFormat::Csv => {
            let mut w = csv::Writer::from_writer(Vec::new());
            w.write_record(HEADER).expect("write to memory");
            for r in &records {
                w.write_record(r.fields()).expect("write to memory");
            }
            w.into_inner().expect("flush to memory")
        }
    };
    write(&a.out, &bytes)?;
    println!("Đã xuất {} nhiệm vụ vào {}", records.len(), a.out.display());
    Ok(EXIT_OK)
}

fn import_cmd(config: &Config, a: ImportArgs) -> CliResult {
    let reg = load_register(config, &a.register)?;
    let target = new_register(&a.out, &a.register)?;
    let (incoming, mut diags) =
        crate::ingest::tasks::read_exchange(config, &a.file).map_err(CliError::Usage)?;
    let now = chrono::Local::now()
        .naive_local()
        .format("%Y-%m-%dT%H:%M:%S")
        .to_string();
    let out = import(&reg.tasks, &incoming, &shown(&a.file), &now);
    diags.extend(out.conflicts.iter().map(|c| c.diagnostic(&shown(&a.file))));
    let as_of = a.as_of.unwrap_or_else(super::today);
    let bytes = task_cycle::register(config, &out.tasks, None, as_of)
        .map_err(|e| CliError::Internal(format!("không tạo được {REGISTER}: {e}")))?;
    write(&target, &bytes)?;
    append_log(&a.out, &out.log)?;
    println!(
        "Nhập {}: {} nhiệm vụ mới, {} trường bổ sung, {} trường khác nhau (giữ số liệu của sổ).",
        shown(&a.file),
        out.added.len(),
        out.log.len(),
        out.conflicts.len()
    );
    for d in &diags {
        println!("{}", d.line());
    }
    println!("Đã ghi {}", target.display());
    Ok(crate::exit::of_findings(
        diags.iter().any(Diagnostic::is_blocking),
    ))
}

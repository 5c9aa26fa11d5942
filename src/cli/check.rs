//! `baocao check --regime ID --period P [--as-of D] [--format table|json] PATH...`
//!
//! Reads and validates submissions (files or folders); writes nothing but, with `--feedback DIR`,
//! each sending unit's result sheet (`DIR/<unit>-<regime>-<period>.xlsx`, `.docx`). Exit 0 when nothing is
//! blocking, 1 otherwise. JSON: `{"submissions":[{"file","unit_code","period","received_at",
//! "timeliness","values":{...}}],"diagnostics":[{"code","severity","file","sheet","cell","message"}]}`.

use std::collections::BTreeMap;
use std::path::PathBuf;

use chrono::NaiveDate;
use serde::Serialize;

use super::{parse_date, parse_period, pick_regime, today, CliError, CliResult, Format};
use crate::catalog::{Config, InputColumn};
use crate::diag::DiagnosticJson;
use crate::period::Period;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Mã chế độ báo cáo (mặc định: chế độ duy nhất trong cấu hình).
    #[arg(long)]
    pub regime: Option<String>,
    /// Kỳ báo cáo: 2026-10, 2026-Q3, 2026-H1, 2026-9M, 2026.
    #[arg(long, value_parser = parse_period)]
    pub period: Period,
    /// Ngày xét hạn (mặc định: hôm nay): đơn vị chưa gửi sau hạn là thiếu.
    #[arg(long, value_parser = parse_date)]
    pub as_of: Option<NaiveDate>,
    /// Dạng in kết quả.
    #[arg(long, value_enum, default_value = "table")]
    pub format: Format,
    /// Ghi phiếu kết quả tiếp nhận của từng đơn vị đã gửi vào thư mục này
    /// (<mã đơn vị>-<chế độ>-<kỳ>.xlsx và .docx).
    #[arg(long, value_name = "DIR")]
    pub feedback: Option<PathBuf>,
    #[command(flatten)]
    pub mail: super::SendArgs,
    /// Tệp hoặc thư mục báo cáo.
    #[arg(required = true)]
    pub paths: Vec<PathBuf>,
}

#[derive(Serialize)]
struct SubmissionJson<'a> {
    file: &'a str,
    unit_code: &'a str,
    period: String,
    received_at: Option<String>,
    received_from: crate::ingest::ReceiptSource,
    timeliness: &'static str,
    status: &'static str,
    values: BTreeMap<&'a str, f64>,
    ke_hoach: BTreeMap<&'a str, f64>,
    luy_ke: BTreeMap<&'a str, f64>,
}

pub fn run(config: &Config, args: Args) -> CliResult {
    let regime = pick_regime(config, args.regime.as_deref())?;
    super::paths_exist(&args.paths)?;
    super::ensure_frequency(regime, args.period)?;
    super::ensure_not_replaced(regime, args.period)?;
    let as_of = args.as_of.unwrap_or_else(today);
    let (all, batch) =
        crate::pipeline::check_files(config, regime, args.period, as_of, &args.paths);
    let sheets = match &args.feedback {
        Some(dir) => {
            crate::pipeline::write_feedback(config, regime, (args.period, as_of), &batch, dir)?
        }
        None => 0,
    };
    match args.format {
        Format::Json => {
            let subs: Vec<SubmissionJson> = all
                .iter()
                .map(|s| SubmissionJson::of(config, regime, args.period, &batch, s))
                .collect();
            let diags: Vec<DiagnosticJson> =
                batch.diagnostics.iter().map(DiagnosticJson::from).collect();
            let doc = serde_json::json!({ "submissions": subs, "diagnostics": diags });
            println!("{}", crate::output::json(&doc));
        }
        Format::Csv => {
            // One row per diagnostic, the whole message (what is wrong and what to do): to open
            // in a spreadsheet and share out among colleagues.
            let rows: Vec<Vec<String>> = batch
                .diagnostics
                .iter()
                .map(|d| {
                    vec![
                        d.code.to_string(),
                        d.severity.label().to_string(),
                        d.location.file.to_string(),
                        d.location.sheet.to_string(),
                        d.location.cell.to_string(),
                        d.message.clone(),
                    ]
                })
                .collect();
            print!(
                "{}",
                crate::output::csv_text(
                    &["code", "severity", "file", "sheet", "cell", "message"],
                    &rows
                )
            );
        }
        Format::Table => {
            // Each finding whole: where, what is wrong and, on its next line, what to do.
            for d in &batch.diagnostics {
                println!("{d}");
            }
            if !batch.diagnostics.is_empty() {
                println!();
                println!("Theo mã:");
                super::run::print_groups(&batch.diagnostic_groups(config), "  ");
                println!();
            }
            println!(
                "Kỳ {} ({}): đọc {} tệp, {} báo cáo được chấp nhận, {} tệp bị từ chối; {} lỗi chặn, {} cảnh báo.",
                args.period.code(),
                args.period.label(),
                batch.files_read,
                batch.accepted.len(),
                batch.rejected.len(),
                batch.blocking_count(),
                batch.diagnostics.len() - batch.blocking_count()
            );
            if let Some(dir) = &args.feedback {
                println!("Phiếu kết quả gửi lại {sheets} đơn vị: {}", dir.display());
            }
        }
    }
    if args.mail.send {
        let Some(dir) = &args.feedback else {
            return Err(CliError::Usage(
                "--send gửi phiếu kết quả: cần --feedback DIR".to_string(),
            ));
        };
        let folders: Vec<PathBuf> = args.paths.iter().filter(|p| p.is_dir()).cloned().collect();
        let mails =
            crate::pipeline::feedback_mails(config, regime, args.period, &batch, dir, &folders)?;
        args.mail.deliver(&mails, dir, args.format)?;
    }
    Ok(crate::exit::of_findings(batch.blocking_count() > 0))
}

impl<'a> SubmissionJson<'a> {
    /// A submission as `check --format json` shows it: its receipt, whether it is late, its
    /// status, and its figures by column (an accepted one's after validation: totals computed
    /// from complete disaggregations included).
    fn of(
        config: &Config,
        regime: &crate::catalog::Regime,
        period: Period,
        batch: &'a crate::validate::Batch,
        s: &'a crate::model::Submission,
    ) -> SubmissionJson<'a> {
        let deadline = config
            .units
            .get(&s.unit_code)
            .and_then(|u| regime.deadline(period, &u.level, &config.calendar));
        let late = matches!((s.received_at, deadline), (Some(t), Some(d)) if t.date() > d);
        let accepted = batch
            .accepted
            .iter()
            .any(|a| a.file == s.file && a.unit_code == s.unit_code);
        let rejected = batch.rejected.iter().any(|r| r.file == s.file);
        // An accepted submission shows its values after validation (totals
        // computed from complete disaggregations included).
        let validated = batch
            .accepted
            .iter()
            .find(|a| a.file == s.file && a.unit_code == s.unit_code)
            .unwrap_or(s);
        let pick = |col: InputColumn| -> BTreeMap<&str, f64> {
            validated
                .values
                .iter()
                .filter(|((_, c), _)| *c == col)
                .map(|((code, _), v)| (code.as_str(), v.value))
                .collect()
        };
        SubmissionJson {
            file: &s.file,
            unit_code: &s.unit_code,
            period: s.period.code(),
            received_at: s
                .received_at
                .map(|t| t.format("%Y-%m-%dT%H:%M:%S").to_string()),
            received_from: s.received_source,
            timeliness: if late { "late" } else { "on_time" },
            status: if accepted {
                "accepted"
            } else if rejected {
                "rejected"
            } else {
                "superseded"
            },
            values: pick(InputColumn::ThucHien),
            ke_hoach: pick(InputColumn::KeHoach),
            luy_ke: pick(InputColumn::LuyKe),
        }
    }
}

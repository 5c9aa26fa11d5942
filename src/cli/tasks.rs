//! `baocao tasks --register FILE --as-of D --out DIR [--within N] [--format table|json]`
//!
//! Task tracking (Quyết định 42/2014): statuses as of a date, a summary per lead unit and
//! overall, the reminder list, and `DIR/nhiem-vu.xlsx`. JSON:
//! `{"as_of","total","by_status":{<the five status names>},"by_unit":[...]}`.

use std::path::PathBuf;

use chrono::NaiveDate;
use serde::Serialize;

use super::{parse_date, CliError, CliResult, Format};
use crate::catalog::Config;
use crate::diag::{Diagnostic, DiagnosticJson};
use crate::ingest::register::load;
use crate::output::table;
use crate::render::tasks::{reminders, workbook};
use crate::schedule::vn_date;
use crate::tasks::{sentence, tracks_updates, Counts, TaskStatus, UPDATE_CYCLE_DAYS};

#[derive(Debug, clap::Args)]
#[command(args_conflicts_with_subcommands = true, subcommand_negates_reqs = true)]
pub struct Args {
    #[command(subcommand)]
    pub cycle: Option<super::task_cycle::Cycle>,
    /// Sổ theo dõi nhiệm vụ (.xlsx hoặc .csv).
    #[arg(long, required = true)]
    pub register: Option<PathBuf>,
    /// Ngày xét tình trạng, dạng 2026-10-31.
    #[arg(long, value_parser = parse_date, required = true)]
    pub as_of: Option<NaiveDate>,
    /// Thư mục ghi nhiem-vu.xlsx.
    #[arg(long, required = true)]
    pub out: Option<PathBuf>,
    /// Số ngày tới được coi là sắp đến hạn.
    #[arg(long, default_value_t = 7)]
    pub within: u32,
    /// Dạng in kết quả.
    #[arg(long, value_enum, default_value = "table")]
    pub format: Format,
}

#[derive(Serialize)]
struct UnitJson<'a> {
    unit_code: &'a str,
    unit_name: String,
    #[serde(flatten)]
    counts: &'a Counts,
}

#[derive(Serialize)]
struct ReminderJson<'a> {
    unit_code: &'a str,
    code: &'a str,
    content: &'a str,
    due: Option<NaiveDate>,
    status: &'static str,
    /// Chưa cập nhật: its lead unit sent no update in the last fortnight.
    not_updated: bool,
}

pub fn run(config: &Config, args: Args) -> CliResult {
    if let Some(cycle) = args.cycle {
        return super::task_cycle::run(config, cycle);
    }
    let (Some(register), Some(as_of), Some(out)) = (args.register, args.as_of, args.out) else {
        return Err(CliError::Usage(
            "cần --register, --as-of và --out (hoặc một lệnh con: forms, update, review, export, import)".into(),
        ));
    };
    super::task_cycle::ensure_file(&register)?;
    let (tasks, summary, diags) = load(config, &register, as_of, args.within);
    let tracked = tracks_updates(&tasks);
    let bytes = workbook(config, &tasks, &summary)
        .map_err(|e| CliError::Internal(format!("không tạo được nhiem-vu.xlsx: {e}")))?;
    let target = out.join("nhiem-vu.xlsx");
    super::write_file(&target, &bytes)?;
    let shown = Shown {
        config,
        tasks: &tasks,
        summary: &summary,
        diags: &diags,
        as_of,
        tracked,
    };
    match args.format {
        Format::Json => shown.json(),
        Format::Table | Format::Csv => {
            shown.table();
            println!("Đã ghi {}", target.display());
        }
    }
    Ok(crate::exit::of_findings(
        diags.iter().any(Diagnostic::is_blocking),
    ))
}

/// What `tasks` prints: the register's summary on a date, its reminders and diagnostics.
#[derive(Clone, Copy)]
struct Shown<'a> {
    config: &'a Config,
    tasks: &'a [crate::tasks::Task],
    summary: &'a crate::tasks::Summary,
    diags: &'a [Diagnostic],
    as_of: NaiveDate,
    /// Whether the register tracks updates (a task not updated within the cycle is said).
    tracked: bool,
}

impl Shown<'_> {
    fn json(&self) {
        let Shown {
            config,
            tasks,
            summary,
            diags,
            as_of,
            tracked,
        } = *self;
        let name = |c: &str| config.units.name_of(c);

        let doc = serde_json::json!({
            "as_of": as_of.to_string(),
            "total": summary.overall.total,
            "by_status": summary.overall.by_status,
            "nearly_due": summary.overall.nearly_due,
            "late_without_explanation": summary.overall.late_without_explanation,
            "percent_on_time": summary.overall.percent_on_time,
            "on_time_rate": summary.rate,
            "on_time_rate_definition": summary.rate.describe(),
            "by_unit": summary.by_unit.iter().map(|(u, c)| UnitJson { unit_code: u, unit_name: name(u), counts: c }).collect::<Vec<_>>(),
            "reminders": reminders(tasks, summary).iter().map(|(u, t)| ReminderJson {
                unit_code: u, code: &t.code, content: &t.content, due: t.due(), status: t.status(as_of).name(),
                not_updated: t.not_updated(as_of, UPDATE_CYCLE_DAYS, tracked),
            }).collect::<Vec<_>>(),
            "diagnostics": diags.iter().map(DiagnosticJson::from).collect::<Vec<_>>(),
        });
        println!("{}", crate::output::json(&doc));
    }

    fn table(&self) {
        let Shown {
            config,
            tasks,
            summary,
            diags,
            as_of,
            tracked,
        } = *self;
        let name = |c: &str| config.units.name_of(c);

        println!(
            "Tình hình thực hiện nhiệm vụ đến ngày {}: {}.",
            vn_date(as_of),
            sentence(&summary.overall)
        );
        let row = |label: String, c: &Counts| {
            let mut r = vec![label, c.total.to_string()];
            r.extend(TaskStatus::ALL.iter().map(|s| c.get(*s).to_string()));
            r.push(c.nearly_due.to_string());
            r.push(
                c.percent_on_time
                    .map(|p| crate::text::fmt_vn_fixed(p, 1))
                    .unwrap_or_default(),
            );
            r
        };
        let mut rows: Vec<Vec<String>> = summary
            .by_unit
            .iter()
            .map(|(u, c)| row(name(u), c))
            .collect();
        rows.push(row("Tổng cộng".to_string(), &summary.overall));
        print!(
            "{}",
            table(
                &[
                    "Đơn vị chủ trì",
                    "Tổng",
                    "HT đúng hạn",
                    "HT quá hạn",
                    "Đang TH trong hạn",
                    "Đang TH quá hạn",
                    "Không thời hạn",
                    "Sắp đến hạn",
                    "% đúng hạn"
                ],
                &rows
            )
        );
        println!("% đúng hạn = {}.", summary.rate.describe());
        let list = reminders(tasks, summary);
        if !list.is_empty() {
            println!("\nCần đôn đốc:");
            let mut last = "";
            for (u, t) in list {
                if u != last {
                    println!("  {}", name(u));
                    last = u;
                }
                let due = t.due().map(vn_date).unwrap_or_default();
                println!(
                    "    {} (hạn {due}, {}{}): {}",
                    t.code,
                    if t.status(as_of) == TaskStatus::Overdue {
                        "quá hạn"
                    } else {
                        "sắp đến hạn"
                    },
                    if t.not_updated(as_of, UPDATE_CYCLE_DAYS, tracked) {
                        ", chưa cập nhật"
                    } else {
                        ""
                    },
                    t.content
                );
            }
        }
        for d in diags {
            println!("{}", d.line());
        }
    }
}

//! `baocao calendar --year Y [--regime ID] [--format table|csv|json]`
//!
//! Every period of the year for the regime's frequencies (every regime's without `--regime`),
//! one row per regime, period and reporting level: cutoff window and deadline. A period whose
//! report another replaces (`[[replace]]`) has no row for the levels it is replaced for. CSV header:
//! `regime,period,label,level,cutoff_from,cutoff_to,deadline` (ISO dates).

use serde::Serialize;

use super::{pick_regimes, CliResult, Format, EXIT_OK};
use crate::catalog::{Config, Regime};
use crate::output;
use crate::schedule::{periods_of_year, vn_date};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Năm (ví dụ 2026).
    #[arg(long)]
    pub year: i32,
    /// Mã chế độ báo cáo (mặc định: chế độ duy nhất trong cấu hình).
    #[arg(long)]
    pub regime: Option<String>,
    /// Dạng in kết quả.
    #[arg(long, value_enum, default_value = "table")]
    pub format: Format,
}

/// One row of the calendar.
#[derive(Debug, Clone, Serialize)]
pub struct CalendarRow {
    pub regime: String,
    pub period: String,
    pub label: String,
    pub level: String,
    pub cutoff_from: chrono::NaiveDate,
    pub cutoff_to: chrono::NaiveDate,
    pub deadline: chrono::NaiveDate,
}

/// The calendar rows of `regime` for `year`.
pub fn rows(config: &Config, regime: &Regime, year: i32) -> Vec<CalendarRow> {
    let mut out = Vec::new();
    for p in periods_of_year(year, &regime.frequencies) {
        let w = regime.window(p);
        for level in regime.deadline_levels() {
            if regime.replaced_by(p, level).is_some() {
                continue;
            }
            if let Some(deadline) = regime.deadline(p, level, &config.calendar) {
                out.push(CalendarRow {
                    regime: regime.id.clone(),
                    period: p.code(),
                    label: p.label(),
                    level: level.to_string(),
                    cutoff_from: w.from,
                    cutoff_to: w.to,
                    deadline,
                });
            }
        }
    }
    out
}

pub fn run(config: &Config, args: Args) -> CliResult {
    let regimes = pick_regimes(config, args.regime.as_deref())?;
    if !(1900..=2999).contains(&args.year) {
        return Err(super::CliError::Usage(format!(
            "năm {} không hợp lệ",
            args.year
        )));
    }
    let rows: Vec<CalendarRow> = regimes
        .iter()
        .flat_map(|r| rows(config, r, args.year))
        .collect();
    match args.format {
        Format::Json => {
            println!("{}", crate::output::json(&rows));
        }
        Format::Csv => {
            let cells: Vec<Vec<String>> = rows
                .iter()
                .map(|r| {
                    vec![
                        r.regime.clone(),
                        r.period.clone(),
                        r.label.clone(),
                        r.level.clone(),
                        r.cutoff_from.to_string(),
                        r.cutoff_to.to_string(),
                        r.deadline.to_string(),
                    ]
                })
                .collect();
            print!(
                "{}",
                output::csv_text(
                    &[
                        "regime",
                        "period",
                        "label",
                        "level",
                        "cutoff_from",
                        "cutoff_to",
                        "deadline"
                    ],
                    &cells
                )
            );
        }
        Format::Table => {
            let names: Vec<String> = regimes
                .iter()
                .map(|r| format!("{} — {}", r.id, r.name))
                .collect();
            println!("Lịch báo cáo năm {}: {}", args.year, names.join("; "));
            if let Some(src) = config.calendar.source_of(args.year) {
                println!("Ngày nghỉ: {src}");
            } else {
                println!("Chưa có dữ liệu ngày nghỉ chính thức của năm {}: chỉ tính thứ Bảy, Chủ nhật và các ngày lễ dương lịch cố định; bổ sung calendar.toml.", args.year);
            }
            let cells: Vec<Vec<String>> = rows
                .iter()
                .map(|r| {
                    vec![
                        r.regime.clone(),
                        r.period.clone(),
                        r.label.clone(),
                        config.units.level_label(&r.level).to_string(),
                        format!("{} – {}", vn_date(r.cutoff_from), vn_date(r.cutoff_to)),
                        vn_date(r.deadline),
                    ]
                })
                .collect();
            print!(
                "{}",
                output::table(
                    &[
                        "Chế độ",
                        "Kỳ",
                        "Tên kỳ",
                        "Cấp báo cáo",
                        "Chốt số liệu",
                        "Hạn gửi"
                    ],
                    &cells
                )
            );
        }
    }
    Ok(EXIT_OK)
}

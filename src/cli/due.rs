//! `baocao due [--today D] [--regime ID] [--inbox DIR] [--format table|csv|json]`
//!
//! Periods whose deadline is today or comes within 7 days (even while the period is still
//! collecting its data), or whose cutoff has ended and deadline passed (within the look-back
//! window). With `--inbox`, each row also lists the units of its
//! level that have not submitted (the reminder list for đôn đốc).

use chrono::NaiveDate;

use super::{parse_date, pick_regimes, today, CliResult, Format, EXIT_OK};
use crate::catalog::{Config, Regime};
use crate::output;
use crate::schedule::vn_date;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Ngày xét (mặc định: hôm nay), dạng 2026-10-16.
    #[arg(long, value_parser = parse_date)]
    pub today: Option<NaiveDate>,
    /// Chỉ xét một chế độ báo cáo (mã, như ktxh); mặc định mọi chế độ.
    #[arg(long)]
    pub regime: Option<String>,
    /// Thư mục nhận báo cáo (inbox/<kỳ>/...): liệt kê đơn vị chưa gửi.
    #[arg(long)]
    pub inbox: Option<std::path::PathBuf>,
    /// Số ngày nhìn lại cho các kỳ đã quá hạn.
    #[arg(long, default_value_t = 31)]
    pub lookback: u32,
    /// Số ngày tới được coi là sắp đến hạn.
    #[arg(long, default_value_t = 7)]
    pub within: u32,
    /// Dạng in kết quả.
    #[arg(long, value_enum, default_value = "table")]
    pub format: Format,
    /// Viết công văn nhắc (trước hạn `remind_days` ngày) và đôn đốc (sau hạn) gửi các đơn vị
    /// chưa gửi báo cáo vào thư mục này (cần --inbox).
    #[arg(long, value_name = "DIR", requires = "inbox")]
    pub letters: Option<std::path::PathBuf>,
    #[command(flatten)]
    pub mail: super::SendArgs,
}

pub use crate::due::DueRow;

pub fn run(config: &Config, args: Args) -> CliResult {
    let regimes = pick_regimes(config, args.regime.as_deref())?;
    let today = args.today.unwrap_or_else(today);
    if let Some(inbox) = &args.inbox {
        crate::pipeline::due_inbox(inbox, &regimes)?;
    }
    let rows = crate::pipeline::due_with_units(
        config,
        &regimes,
        today,
        args.within,
        args.lookback,
        args.inbox.as_deref(),
    );
    let letters = match &args.letters {
        Some(dir) => crate::pipeline::write_letters(config, &rows, today, dir)?,
        None => Vec::new(),
    };
    match args.format {
        Format::Json => println!("{}", crate::output::json(&rows)),
        Format::Csv => print_csv(&rows),
        Format::Table => print_table(config, &regimes, today, &rows),
    }
    if let Some(dir) = &args.letters {
        // Beside a table on standard output; on standard error beside JSON or CSV.
        let lines = letter_lines(dir, &letters);
        match args.format {
            Format::Table => println!("{lines}"),
            _ => eprintln!("{lines}"),
        }
    }
    if args.mail.send {
        if args.letters.is_none() {
            return Err(super::CliError::Usage(
                "--send gửi công văn: cần --letters DIR".to_string(),
            ));
        }
        let dir = args.letters.as_deref().expect("checked above");
        args.mail.deliver(
            &crate::pipeline::letter_mails(config, &letters)?,
            dir,
            args.format,
        )?;
    }
    // As every command: 1 when a report is overdue and not in (known with --inbox only), so
    // that a cron job can tell.
    let overdue_missing = rows.iter().any(|r| {
        r.status == crate::due::DueStatus::Overdue
            && (r.missing.as_ref().is_some_and(|m| !m.is_empty())
                || r.rejected.as_ref().is_some_and(|m| !m.is_empty()))
    });
    Ok(if overdue_missing {
        super::EXIT_FINDINGS
    } else {
        EXIT_OK
    })
}

/// What `--letters` wrote: each letter and the units it goes to.
fn letter_lines(dir: &std::path::Path, letters: &[crate::render::letters::Letter]) -> String {
    if letters.is_empty() {
        return format!(
            "Không có công văn nhắc hay đôn đốc nào phải viết (thư mục {}).",
            dir.display()
        );
    }
    let mut s = format!("Đã viết {} công văn vào {}:", letters.len(), dir.display());
    for l in letters {
        let units: Vec<&str> = l.units.iter().map(|u| u.name.as_str()).collect();
        s.push_str(&format!(
            "\n  {} ({}): {}",
            l.file_name(),
            l.kind.word(),
            units.join(", ")
        ));
    }
    s
}

fn print_csv(rows: &[DueRow]) {
    let cells: Vec<Vec<String>> = rows
        .iter()
        .map(|r| {
            vec![
                r.regime.clone(),
                r.period.clone(),
                r.level.clone(),
                r.cutoff_to.to_string(),
                r.deadline.to_string(),
                serde_json::to_value(r.status)
                    .expect("enum")
                    .as_str()
                    .unwrap_or("")
                    .to_string(),
                r.missing.as_ref().map(|m| m.join(" ")).unwrap_or_default(),
                r.rejected.as_ref().map(|m| m.join(" ")).unwrap_or_default(),
            ]
        })
        .collect();
    print!(
        "{}",
        output::csv_text(
            &[
                "regime",
                "period",
                "level",
                "cutoff_to",
                "deadline",
                "status",
                "missing",
                "rejected"
            ],
            &cells
        )
    );
}

fn print_table(config: &Config, regimes: &[&Regime], today: NaiveDate, rows: &[DueRow]) {
    let names: Vec<&str> = regimes.iter().map(|r| r.name.as_str()).collect();
    println!(
        "Tình hình đến hạn ngày {} — {}",
        vn_date(today),
        names.join("; ")
    );
    if rows.is_empty() {
        println!("Không có kỳ nào đến hạn, sắp đến hạn hoặc mới quá hạn.");
        return;
    }
    let cells: Vec<Vec<String>> = rows
        .iter()
        .map(|r| {
            vec![
                r.regime.clone(),
                r.period.clone(),
                config.units.level_label(&r.level).to_string(),
                vn_date(r.deadline),
                status_words(r),
                match (&r.missing, &r.rejected) {
                    (None, _) => String::new(),
                    (Some(m), r) => {
                        let rejected = r.as_ref().map_or(0, Vec::len);
                        match (m.len(), rejected) {
                            (0, 0) => "đã đủ".to_string(),
                            (n, 0) => format!("{n} đơn vị chưa gửi"),
                            (0, k) => format!("{k} đơn vị bị từ chối"),
                            (n, k) => format!("{n} chưa gửi, {k} bị từ chối"),
                        }
                    }
                },
            ]
        })
        .collect();
    print!(
        "{}",
        output::table(
            &[
                "Chế độ",
                "Kỳ",
                "Cấp báo cáo",
                "Hạn gửi",
                "Tình trạng",
                "Đơn vị chưa gửi"
            ],
            &cells
        )
    );
    for r in rows {
        for (list, what) in [(&r.missing, "chưa gửi"), (&r.rejected, "bị từ chối")] {
            if let Some(m) = list.as_ref().filter(|m| !m.is_empty()) {
                println!(
                    "\n{} kỳ {} — {} {what}:",
                    r.regime,
                    r.period,
                    config.units.level_label(&r.level)
                );
                for code in m {
                    let name = config
                        .units
                        .get(code)
                        .map(|u| u.name.as_str())
                        .unwrap_or("");
                    println!("  {code}  {name}");
                }
            }
        }
    }
}

/// The row's status in words: a period past its deadline whose reports are all in is "đã hết
/// hạn", not "quá hạn".
fn status_words(r: &DueRow) -> String {
    let complete = r.missing.as_ref().is_some_and(Vec::is_empty)
        && r.rejected.as_ref().is_none_or(Vec::is_empty);
    if r.status == crate::due::DueStatus::Overdue && complete {
        "đã hết hạn".to_string()
    } else {
        r.status.label().to_string()
    }
}

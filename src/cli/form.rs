//! `baocao form --regime ID --period P [--unit CODE] --out DIR`
//!
//! One blank, fillable xlsx form per reporting unit (all of them without `--unit`), in the
//! regime's layout, named `<code>-<name>-<period>.xlsx`.

use std::path::PathBuf;

use super::{parse_period, pick_regime, CliError, CliResult, EXIT_OK};
use crate::catalog::Config;
use crate::period::Period;
use crate::render::{form_file_name, unit_form};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Mã chế độ báo cáo (mặc định: chế độ duy nhất trong cấu hình).
    #[arg(long)]
    pub regime: Option<String>,
    /// Kỳ báo cáo: 2026-10, 2026-Q3, 2026-H1, 2026-9M, 2026.
    #[arg(long, value_parser = parse_period)]
    pub period: Period,
    /// Chỉ tạo biểu cho một đơn vị.
    #[arg(long)]
    pub unit: Option<String>,
    /// Thư mục ghi biểu mẫu.
    #[arg(long)]
    pub out: PathBuf,
}

pub fn run(config: &Config, args: Args) -> CliResult {
    let regime = pick_regime(config, args.regime.as_deref())?;
    super::ensure_frequency(regime, args.period)?;
    let reporters = config.reporting_units(regime, regime.window(args.period).to);
    let units: Vec<_> = match &args.unit {
        Some(code) => {
            let u = reporters.iter().find(|u| u.code == *code).ok_or_else(|| {
                CliError::Usage(format!(
                    "đơn vị \"{code}\" không thuộc đối tượng báo cáo của chế độ \"{}\"",
                    regime.id
                ))
            })?;
            vec![*u]
        }
        None => reporters,
    };
    // Coinciding periods: no form for a level whose report of this period is replaced.
    let (units, replaced): (Vec<_>, Vec<_>) = units
        .into_iter()
        .partition(|u| regime.replaced_by(args.period, &u.level).is_none());
    if let Some(by) = replaced
        .first()
        .filter(|_| units.is_empty())
        .and_then(|u| regime.replaced_by(args.period, &u.level))
    {
        return Err(super::replaced_error(regime, args.period, by));
    }
    if units.is_empty() {
        return Err(CliError::Usage(format!(
            "không có đơn vị nào phải báo cáo chế độ \"{}\" kỳ {} ({}), nên không tạo biểu nào: kiểm tra reporters (levels, kinds, units) trong report-templates/{}/regime.toml và ngày hiệu lực (valid_from, valid_to) của các đơn vị trong units.toml",
            regime.id,
            args.period.code(),
            args.period.label(),
            regime.id
        )));
    }
    for u in &units {
        let bytes = unit_form(config, regime, args.period, u, None)
            .map_err(|e| CliError::Internal(format!("không tạo được biểu của {}: {e}", u.code)))?;
        let path = args.out.join(form_file_name(u, args.period));
        super::write_file(&path, &bytes)?;
    }
    println!(
        "Đã tạo {} biểu mẫu {} kỳ {} trong {}",
        units.len(),
        regime.form.number,
        args.period.label(),
        args.out.display()
    );
    Ok(EXIT_OK)
}

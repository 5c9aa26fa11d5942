//! `baocao check-config`: load the config root and list every problem in it.
//!
//! Loading already happened in `cli::run` (and failed with every problem listed if there were
//! any); here we report what was loaded.

use super::{CliResult, EXIT_OK};
use crate::catalog::Config;

pub fn run(config: &Config) -> CliResult {
    let units = config.units.iter().count();
    println!("Cấu hình hợp lệ: {}", config.root.display());
    println!(
        "  {units} đơn vị, {} chỉ tiêu, {} chế độ báo cáo",
        config.indicators.len() - 1, // not the built-in count of reporting units
        config.regimes.len()
    );
    for r in config.regimes.values() {
        let freqs: Vec<&str> = r.frequencies.iter().map(|f| f.label()).collect();
        println!("  - {} ({}): {}", r.id, r.name, freqs.join(", "));
    }
    let years: Vec<String> = config
        .calendar
        .covered_years()
        .map(|y| y.to_string())
        .collect();
    println!(
        "  Lịch ngày nghỉ chính thức có sẵn cho các năm: {}",
        years.join(", ")
    );
    if !config.warnings.is_empty() {
        println!("Cảnh báo ({}):", config.warnings.len());
        for w in &config.warnings {
            println!("  - {w}");
        }
    }
    print_todos(&config.root, &mut std::io::stdout());
    Ok(EXIT_OK)
}

/// The TODOs left in the config root (`catalog::todo`), the settings still to make.
pub fn print_todos(root: &std::path::Path, out: &mut dyn std::io::Write) {
    let todos = crate::catalog::todo::todos(root);
    if todos.is_empty() {
        return;
    }
    let _ = writeln!(out, "Còn {} việc cần quyết định (TODO):", todos.len());
    for t in todos {
        let _ = writeln!(out, "  {} › dòng {}: {}", t.file, t.line, t.text);
    }
}

//! The sample inbox of a regime of answers (`ntm`: Đạt/Chưa đạt, Có/Không, năm công nhận,
//! mức đạt chuẩn): 21 communes whose answers are fixed here, so that the counts, shares and
//! averages the tests assert can be worked out by hand from this table. Planted: two
//! contradictions an "if" rule rejects, a "Không" with a year (a warning), answers typed in
//! other spellings (read, with a note), an answer not in the list (rejected), a commune short
//! of the standard that leaves its difficulties blank (a warning) and a commune that does not
//! send.

use std::fmt::Write as _;
use std::path::Path;

use super::{form_file_name, hm, unit_form, write_atomic, CellValue, Fill};
use crate::catalog::{Config, InputColumn, Regime};
use crate::period::Period;

/// One commune's answers: (criteria met, đạt chuẩn, year recognised, level code, income,
/// poverty rate %).
type Answers = (u32, bool, Option<u32>, &'static str, f64, f64);

/// By the communes' order in the unit tree (99009 … 99029).
const COMMUNES: [Answers; 21] = [
    (14, false, None, "chua_dat", 48.0, 6.5),
    (15, false, None, "chua_dat", 49.5, 6.0),
    (17, true, Some(2025), "dat_chuan", 51.0, 5.5), // 99011: "Có" with 17 criteria
    (16, false, None, "chua_dat", 52.5, 5.0),
    (19, true, None, "dat_chuan", 54.0, 4.5), // 99013: "Có" without a year
    (18, false, None, "chua_dat", 55.5, 4.0),
    (18, false, Some(2024), "chua_dat", 57.0, 3.5), // 99015: "Không" with a year
    (19, true, Some(2020), "dat_chuan", 58.5, 3.0),
    (19, true, Some(2021), "dat_chuan", 60.0, 2.5), // 99017: other spellings
    (19, true, Some(2019), "nang_cao", 61.5, 2.0),
    (19, true, Some(2022), "dat_chuan", 63.0, 1.5), // 99019: "Đạt một phần"
    (19, true, Some(2018), "nang_cao", 64.5, 1.0),
    (19, true, Some(2020), "dat_chuan", 66.0, 2.0), // 99021: not sent
    (13, false, None, "chua_dat", 67.5, 7.0),
    (19, true, Some(2023), "dat_chuan", 69.0, 2.2),
    (19, true, Some(2017), "kieu_mau", 70.5, 0.8),
    (17, false, None, "chua_dat", 72.0, 3.2),
    (19, true, Some(2024), "dat_chuan", 73.5, 1.8),
    (16, false, None, "chua_dat", 75.0, 4.2),
    (19, true, Some(2016), "nang_cao", 76.5, 1.2),
    (12, false, None, "chua_dat", 78.0, 5.8),
];

/// A commune's answers as a filled form's cells (answers as their labels, read back exactly).
fn fill_of(config: &Config, a: &Answers) -> Fill {
    let (criteria, meets, year, level, income, poor) = *a;
    let mut fill = Fill::default();
    let mut put = |code: &str, v: CellValue| {
        fill.values
            .insert((code.to_string(), InputColumn::ThucHien), v);
    };
    let yes_no = |code: &str, yes: bool| {
        let ind = config.indicator(code).expect("sample catalog");
        CellValue::Text(ind.answers[usize::from(!yes)].name.clone())
    };
    put("NTM01", CellValue::Number(f64::from(criteria)));
    put("NTM02", yes_no("NTM02", criteria >= 14));
    put("NTM03", yes_no("NTM03", criteria >= 16));
    put("NTM04", yes_no("NTM04", criteria == 19 || income >= 60.0));
    put("NTM05", yes_no("NTM05", meets));
    if let Some(y) = year {
        put("NTM06", CellValue::Number(f64::from(y)));
    }
    let level = config
        .dimension("muc_ntm")
        .and_then(|d| d.option(level))
        .map(|o| o.name.clone())
        .unwrap_or_default();
    put("NTM07", CellValue::Text(level));
    put("NTM08", CellValue::Number(income));
    put("NTM09", CellValue::Number(poor));
    if !meets {
        let need = match (criteria >= 16, income >= 60.0) {
            (true, true) => "Còn thiếu tiêu chí Môi trường; đề nghị hỗ trợ vốn xây dựng hệ thống thu gom rác thải.",
            (true, false) => "Thu nhập bình quân chưa đạt; đề nghị hỗ trợ chuyển đổi cơ cấu cây trồng.",
            (false, _) => "Thiếu vốn làm đường giao thông nông thôn và trường học đạt chuẩn.",
        };
        put("NTM10", CellValue::Text(need.into()));
    }
    fill
}

/// Writes the period's inbox of the `ntm` sample regime: a form per commune that sends, and
/// the receipt log `nhan.csv` (every one received on its deadline's morning).
pub fn write_answer_inbox(
    config: &Config,
    regime: &Regime,
    period: Period,
    dir: &Path,
) -> std::io::Result<usize> {
    let mut log = String::from("file,received_at\n");
    let mut written = 0;
    let units = config.reporting_units(regime, regime.window(period).to);
    for (unit, answers) in units.iter().zip(COMMUNES.iter()) {
        let mut fill = fill_of(config, answers);
        let th = |k: &str| (k.to_string(), InputColumn::ThucHien);
        match unit.code.as_str() {
            "99021" => continue,
            "99017" => {
                for (code, typed) in [
                    ("NTM02", "đạt"),
                    ("NTM03", "DAT"),
                    ("NTM04", "ĐẠT"),
                    ("NTM05", "co"),
                    ("NTM07", "dat chuan"),
                ] {
                    fill.values.insert(th(code), CellValue::Text(typed.into()));
                }
            }
            "99029" => {
                // A commune short of the standard that says nothing of its difficulties.
                fill.values.remove(&th("NTM10"));
            }
            "99019" => {
                fill.values
                    .insert(th("NTM04"), CellValue::Text("Đạt một phần".into()));
            }
            _ => {}
        }
        for spec in &regime.lists {
            let rows = super::lists::rows(config, spec, unit, period, regime.window(period), true);
            // The figures the list feeds, typed as the list adds up (99012 types the cost 100
            // million more: BC0412).
            if spec.code == "cong_trinh" {
                let cost: f64 = rows
                    .iter()
                    .filter_map(|r| r[3].replace('.', "").replace(',', ".").parse::<f64>().ok())
                    .sum();
                let extra = if unit.code == "99012" { 100.0 } else { 0.0 };
                fill.values
                    .insert(th("NTM30"), CellValue::Number(rows.len() as f64));
                fill.values.insert(
                    th("NTM31"),
                    CellValue::Number(((cost + extra) * 10.0).round() / 10.0),
                );
            }
            fill.lists.insert(spec.code.clone(), rows);
        }
        let deadline = regime
            .deadline(period, &unit.level, &config.calendar)
            .unwrap_or_else(|| regime.window(period).to);
        let name = form_file_name(unit, period);
        writeln!(
            log,
            "{name},{}",
            deadline.and_time(hm(8, 0)).format("%Y-%m-%dT%H:%M")
        )
        .expect("write to string");
        let bytes =
            unit_form(config, regime, period, unit, Some(&fill)).map_err(std::io::Error::other)?;
        write_atomic(&dir.join(&name), &bytes)?;
        written += 1;
    }
    write_atomic(&dir.join("nhan.csv"), log.as_bytes())?;
    Ok(written)
}

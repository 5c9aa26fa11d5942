//! Rows of the sample list annexes: a few rows per unit (0 to 3, by a seeded generator), each
//! cell plausible for its column's type and inside the period; with `faults`, the planted
//! ones of `samples/README.md` — a date outside the period (99009), an option not in the list
//! (99010), a required reason left empty (99011).

use chrono::Days;

use super::seed_of;
use crate::catalog::lists::{ListSpec, ListType};
use crate::catalog::{Config, Unit};
use crate::period::Period;

/// Reasons and names the text columns are filled from.
const TEXTS: [&str; 5] = [
    "Hồ sơ phải lấy ý kiến cơ quan liên quan, chậm trả lời",
    "Hồ sơ phải bổ sung giấy tờ, người nộp chậm bổ sung",
    "Phần mềm một cửa gián đoạn, chưa cập nhật kịp",
    "Cán bộ tiếp nhận nghỉ phép, chưa bố trí người thay",
    "Phải xác minh thực địa, thời tiết không thuận lợi",
];

/// A unit's rows of one list, each cell as typed on the form.
pub fn rows(
    config: &Config,
    spec: &ListSpec,
    unit: &Unit,
    period: Period,
    window: crate::schedule::Window,
    faults: bool,
) -> Vec<Vec<String>> {
    let mut rng = fastrand::Rng::with_seed(seed_of(&[&unit.code, &period.code(), &spec.code]));
    let n = rng
        .usize(0..=3)
        .max(usize::from(faults && is_faulty(&unit.code)));
    let span = (window.to - window.from).num_days().max(1) as u64;
    let mut out = Vec::new();
    for i in 0..n {
        // A row's dates in the columns' order (tiếp nhận before trả kết quả).
        let mut dates: Vec<chrono::NaiveDate> = (0..spec
            .columns
            .iter()
            .filter(|c| c.kind == ListType::Date)
            .count())
            .map(|_| window.from + Days::new(rng.u64(0..span)))
            .collect();
        dates.sort();
        let mut dates = dates.into_iter();
        let row: Vec<String> = spec
            .columns
            .iter()
            .map(|c| {
                let folded = crate::text::fold(&c.name);
                match c.kind {
                    ListType::Text if folded.starts_with("ten ") => {
                        format!("Công trình số {} – {}", i + 1, unit.name)
                    }
                    ListType::Text if folded.starts_with("ma ") => {
                        format!("{}.{}.H{:03}", unit.code, period.code(), i + 1)
                    }
                    ListType::Text => TEXTS[rng.usize(0..TEXTS.len())].to_string(),
                    ListType::Date => dates
                        .next()
                        .map(|d| d.format("%d/%m/%Y").to_string())
                        .unwrap_or_default(),
                    ListType::Integer => rng.u32(1..15).to_string(),
                    ListType::Decimal => {
                        crate::text::fmt_vn(f64::from(rng.u32(100..50_000)) / 10.0, 1)
                    }
                    ListType::Option => c
                        .dimension
                        .as_deref()
                        .and_then(|d| config.dimension(d))
                        .and_then(|d| rng.choice(d.options.iter()))
                        .map(|o| o.name.clone())
                        .unwrap_or_default(),
                    ListType::Unit => unit.name.clone(),
                    ListType::YesNo => if rng.bool() { "Có" } else { "Không" }.to_string(),
                }
            })
            .collect();
        out.push(row);
    }
    if faults && !out.is_empty() {
        plant(spec, &unit.code, window, &mut out[0]);
    }
    out
}

fn is_faulty(unit: &str) -> bool {
    matches!(unit, "99009" | "99010" | "99011")
}

/// The planted fault of a unit's first row.
fn plant(spec: &ListSpec, unit: &str, window: crate::schedule::Window, row: &mut [String]) {
    let first = |kind: ListType, pick: &dyn Fn(&crate::catalog::lists::ListColumn) -> bool| {
        spec.columns.iter().position(|c| c.kind == kind && pick(c))
    };
    match unit {
        "99009" => {
            if let Some(i) = first(ListType::Date, &|c| c.in_period) {
                row[i] = (window.to + Days::new(20)).format("%d/%m/%Y").to_string();
            }
        }
        "99010" => {
            if let Some(i) = first(ListType::Option, &|_| true) {
                row[i] = "Lâm nghiệp".to_string();
            }
        }
        "99011" => {
            if let Some(i) = first(ListType::Text, &|c| {
                c.required && !crate::text::fold(&c.name).starts_with("ma ")
            }) {
                row[i] = String::new();
            }
        }
        _ => {}
    }
}

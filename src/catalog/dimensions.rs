//! Dimensions (phân tổ), from `[[dimension]]` entries of `indicators/*.toml` (long option lists
//! in a CSV beside them), and the disaggregations an indicator is collected by.
//!
//! Owns what a dimension is (code, Vietnamese name, ordered options, exhaustive or partial)
//! and which cells an indicator has: its total plus every option combination of each of its
//! declared disaggregations. Knows nothing about forms or files other than its option CSV.

use serde::Deserialize;

use crate::model::Disagg;

/// One option of a dimension.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DimOption {
    pub code: String,
    /// Vietnamese name, as printed on forms ("Hộ tịch").
    pub name: String,
}

/// A dimension.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Dimension {
    pub code: String,
    pub name: String,
    /// The options add up to the total (true: "chia theo"), or they are a partial list ("trong
    /// đó", "chủ yếu") whose sum may be less than the total.
    #[serde(default = "yes")]
    pub exhaustive: bool,
    #[serde(default)]
    pub options: Vec<DimOption>,
    /// A CSV `code,name` next to the catalog (relative to `indicators/`), for long lists.
    #[serde(default)]
    pub options_file: Option<String>,
}

fn yes() -> bool {
    true
}

impl Dimension {
    pub fn option(&self, code: &str) -> Option<&DimOption> {
        self.options.iter().find(|o| o.code == code)
    }

    /// Position of an option in the dimension's order.
    pub fn order(&self, code: &str) -> Option<usize> {
        self.options.iter().position(|o| o.code == code)
    }
}

/// Every cell's options (`Disagg`) of one declared disaggregation (a set of dimensions), in the
/// options' order, the first dimension varying slowest.
pub fn combinations(dims: &[&Dimension]) -> Vec<Disagg> {
    let mut out = vec![Disagg::default()];
    for d in dims {
        out = out
            .iter()
            .flat_map(|base| d.options.iter().map(|o| base.with(&d.code, &o.code)))
            .collect();
    }
    out
}

/// The breakdown identities of an indicator whose disaggregations are `sets`: for each breakdown and
/// each dimension `x` in it whose other dimensions form a declared disaggregation too (or none), one
/// identity per option combination `rest` of those others: the cell `rest` is the total of the
/// cells `rest` × each option of `x` (all of them when `x` is exhaustive, at least when not).
/// In the order of the disaggregations, without repeats.
pub fn identities<'a>(
    sets: &[Vec<String>],
    dimension: &dyn Fn(&str) -> Option<&'a Dimension>,
) -> Vec<(&'a Dimension, Disagg)> {
    use std::collections::BTreeSet;
    let mut seen = BTreeSet::new();
    let mut out = Vec::new();
    for set in sets {
        for x in set {
            let Some(dim) = dimension(x) else {
                continue;
            };
            let rest: BTreeSet<&String> = set.iter().filter(|d| *d != x).collect();
            let declared = rest.is_empty()
                || sets
                    .iter()
                    .any(|s| s.iter().collect::<BTreeSet<_>>() == rest);
            if !declared {
                continue;
            }
            let rest_dims: Vec<&Dimension> = rest.iter().filter_map(|d| dimension(d)).collect();
            for r in combinations(&rest_dims) {
                if seen.insert((x.clone(), r.clone())) {
                    out.push((dim, r));
                }
            }
        }
    }
    out
}

/// Names the exchange files use beside the dimensions (ADX attributes, SDMX-CSV columns).
const RESERVED: [&str; 12] = [
    "value",
    "structure",
    "structure_id",
    "action",
    "reporting_unit",
    "indicator",
    "value_kind",
    "time_period",
    "obs_value",
    "unit_measure",
    "obs_status",
    "derived",
];

/// A dimension code becomes a column of `du-lieu.sdmx.csv` and an attribute of
/// `du-lieu.adx.xml`: lower-case ASCII letters, digits and `_`, starting with a letter, and
/// none of the names those files use themselves.
pub fn check_code(code: &str) -> Result<(), String> {
    let mut chars = code.chars();
    let well_formed = chars.next().is_some_and(|c| c.is_ascii_lowercase())
        && chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
    if !well_formed {
        return Err(format!(
            "mã phân tổ \"{code}\" phải gồm chữ thường không dấu, chữ số và dấu _, bắt đầu bằng chữ (ví dụ linh_vuc): mã này là tên cột trong tệp trao đổi"
        ));
    }
    if RESERVED.contains(&code) {
        return Err(format!(
            "mã phân tổ \"{code}\" trùng tên cột của tệp trao đổi; hãy đặt tên khác"
        ));
    }
    Ok(())
}

/// Reads a `code,name` option list; problems as (line, message).
pub fn read_options(text: &str) -> (Vec<DimOption>, Vec<(String, String)>) {
    let mut out = Vec::new();
    let mut problems = Vec::new();
    let mut rdr = csv::ReaderBuilder::new()
        .flexible(true)
        .from_reader(text.trim_start_matches('\u{feff}').as_bytes());
    let header_ok = rdr
        .headers()
        .map(|h| h.iter().take(2).collect::<Vec<_>>() == ["code", "name"])
        .unwrap_or(false);
    if !header_ok {
        problems.push((
            "dòng 1".to_string(),
            "tiêu đề phải là code,name".to_string(),
        ));
        return (out, problems);
    }
    for (i, rec) in rdr.records().enumerate() {
        let line = format!("dòng {}", i + 2);
        match rec {
            Ok(r) if r.len() >= 2 && !r[0].trim().is_empty() && !r[1].trim().is_empty() => {
                out.push(DimOption {
                    code: r[0].trim().to_string(),
                    name: crate::text::nfc(r[1].trim()),
                });
            }
            Ok(_) => problems.push((line, "cần cả mã (code) và tên (name)".to_string())),
            Err(e) => problems.push((line, format!("dòng không đọc được: {e}"))),
        }
    }
    (out, problems)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dim(code: &str, opts: &[&str]) -> Dimension {
        Dimension {
            code: code.into(),
            name: code.into(),
            exhaustive: true,
            options: opts
                .iter()
                .map(|o| DimOption {
                    code: o.to_string(),
                    name: o.to_string(),
                })
                .collect(),
            options_file: None,
        }
    }

    #[test]
    fn a_cross_has_every_pair_of_options_first_dimension_slowest() {
        let lv = dim("linh_vuc", &["ho_tich", "dat_dai"]);
        let ng = dim("nguon", &["truc_tuyen", "truc_tiep"]);
        let keys: Vec<String> = combinations(&[&lv, &ng])
            .iter()
            .map(|d| d.to_string())
            .collect();
        assert_eq!(
            keys,
            [
                "linh_vuc=ho_tich;nguon=truc_tuyen",
                "linh_vuc=ho_tich;nguon=truc_tiep",
                "linh_vuc=dat_dai;nguon=truc_tuyen",
                "linh_vuc=dat_dai;nguon=truc_tiep",
            ]
        );
        assert_eq!(combinations(&[]), vec![Disagg::default()]);
    }

    #[test]
    fn option_lists_are_read_from_csv_with_their_problems() {
        let (opts, problems) =
            read_options("code,name\nho_tich,Hộ tịch\n,Thiếu mã\ndat_dai,Đất đai\n");
        assert_eq!(opts.len(), 2);
        assert_eq!(opts[1].name, "Đất đai");
        assert_eq!(
            problems,
            vec![(
                "dòng 3".to_string(),
                "cần cả mã (code) và tên (name)".to_string()
            )]
        );
        let (_, bad) = read_options("ma,ten\n");
        assert_eq!(bad.len(), 1);
    }

    #[test]
    fn dimension_codes_are_exchange_names() {
        for ok in ["linh_vuc", "nguon", "nhom_tuoi2", "a"] {
            assert_eq!(check_code(ok), Ok(()), "{ok}");
        }
        for bad in [
            "",
            "Linh_vuc",
            "linh vực",
            "_lv",
            "2lv",
            "lv=1",
            "lv;x",
            "lv.x",
            "value",
            "action",
        ] {
            assert!(check_code(bad).is_err(), "{bad:?}");
        }
    }
}

//! The cell key shared by every stage: which figure of a form a value is.
//!
//! A value is keyed by (unit, period, indicator, disaggregation, column). The indicator and its
//! disaggregation travel together as one canonical string, the *cell key*: `TT01` for the
//! total, `TT01[linh_vuc=ho_tich;nguon=truc_tuyen]` for a disaggregated cell, the dimension
//! codes sorted. It is the key `check --format json` prints, the form the exchange CSV splits
//! into `indicator_code` and `disagg`, and what the store splits the same way. Knows nothing
//! about files or config; `catalog` checks that dimensions and options exist.

use std::collections::BTreeMap;
use std::fmt;

/// A disaggregation (phân tổ): dimension code → option code. Empty for the total.
#[derive(Debug, Clone, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Disagg(pub BTreeMap<String, String>);

impl Disagg {
    /// Parses `dim=opt;dim=opt` (any order, spaces around parts ignored). Empty text is the
    /// total. A dimension given twice or a part without `=` is an error.
    pub fn parse(text: &str) -> Result<Disagg, String> {
        let mut map = BTreeMap::new();
        for part in text.split(';').map(str::trim).filter(|p| !p.is_empty()) {
            let Some((d, o)) = part.split_once('=') else {
                return Err(format!("\"{part}\" không có dạng phân_tổ=phương_án"));
            };
            let (d, o) = (d.trim(), o.trim());
            if d.is_empty() || o.is_empty() {
                return Err(format!("\"{part}\" thiếu mã phân tổ hoặc mã phương án"));
            }
            if map.insert(d.to_string(), o.to_string()).is_some() {
                return Err(format!("phân tổ \"{d}\" ghi hai lần"));
            }
        }
        Ok(Disagg(map))
    }

    pub fn is_total(&self) -> bool {
        self.0.is_empty()
    }

    pub fn get(&self, dim: &str) -> Option<&str> {
        self.0.get(dim).map(String::as_str)
    }

    /// This disaggregation with `dim` set to `opt` (replacing any option it had).
    pub fn with(&self, dim: &str, opt: &str) -> Disagg {
        let mut m = self.0.clone();
        m.insert(dim.to_string(), opt.to_string());
        Disagg(m)
    }

    /// This disaggregation without `dim`.
    pub fn without(&self, dim: &str) -> Disagg {
        let mut m = self.0.clone();
        m.remove(dim);
        Disagg(m)
    }

    /// Both sets of options together; where both name a dimension, `other` wins.
    pub fn merged(&self, other: &Disagg) -> Disagg {
        let mut m = self.0.clone();
        m.extend(other.0.iter().map(|(k, v)| (k.clone(), v.clone())));
        Disagg(m)
    }

    /// The dimension codes, sorted.
    pub fn dims(&self) -> impl Iterator<Item = &str> {
        self.0.keys().map(String::as_str)
    }
}

impl fmt::Display for Disagg {
    /// Canonical text: `dim=opt` pairs sorted by dimension code, joined by `;`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, (d, o)) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str(";")?;
            }
            write!(f, "{d}={o}")?;
        }
        Ok(())
    }
}

/// A cell key as a submission holds it: inline up to 24 bytes (`TT01`, `TT01[nguon=buu_chinh]`),
/// since a batch holds one per figure read. A longer key of a form's layout is `interned`.
pub type CellKey = compact_str::CompactString;

/// The most texts `interned` keeps: far more than every cell key of a real catalog (a matrix
/// form has hundreds), so that a bug cannot grow it without bound.
const INTERNED_MAX: usize = 1 << 20;

/// `key` as a `CellKey` whose text is kept once for the whole run: a key longer than 24 bytes
/// (`TT01[linh_vuc=ho_tich;nguon=truc_tuyen]`, three in four of a matrix form's) points at that
/// one text rather than owning a copy, so that the figures of a nation's quarter read from a
/// matrix form (1,2 million, ~35 bytes of key each) hold no key of their own, and a copy of
/// one costs nothing. Only for the keys a config defines (a layout's cells), a bounded set:
/// texts are never freed. A shorter key is inline as ever.
pub fn interned(key: &str) -> CellKey {
    use std::collections::HashSet;
    use std::sync::{Mutex, OnceLock};
    static TEXTS: OnceLock<Mutex<HashSet<&'static str>>> = OnceLock::new();
    if key.len() <= std::mem::size_of::<CellKey>() {
        return CellKey::from(key);
    }
    let mut texts = TEXTS
        .get_or_init(Mutex::default)
        .lock()
        .unwrap_or_else(|e| e.into_inner());
    let text = match texts.get(key) {
        Some(t) => *t,
        None if texts.len() >= INTERNED_MAX => return CellKey::from(key),
        None => {
            let t: &'static str = Box::leak(key.into());
            texts.insert(t);
            t
        }
    };
    CellKey::const_new(text)
}

/// The cell key of an indicator and a disaggregation: `CODE` or `CODE[dim=opt;...]`.
pub fn cell_key(indicator: &str, disagg: &Disagg) -> String {
    if disagg.is_total() {
        indicator.to_string()
    } else {
        format!("{indicator}[{disagg}]")
    }
}

/// The indicator code and the disaggregation text of a cell key (`""` for a total). Does not
/// check the disaggregation; use `parse_key` for that.
pub fn split_key(key: &str) -> (&str, &str) {
    match key.split_once('[') {
        Some((code, rest)) => (code, rest.strip_suffix(']').unwrap_or(rest)),
        None => (key, ""),
    }
}

/// The indicator code of a cell key.
pub fn indicator_of(key: &str) -> &str {
    split_key(key).0
}

/// Parses a cell key into its indicator code and disaggregation.
pub fn parse_key(key: &str) -> Result<(String, Disagg), String> {
    let key = key.trim();
    if key.contains('[') && !key.ends_with(']') {
        return Err(format!("\"{key}\" thiếu dấu \"]\""));
    }
    let (code, d) = split_key(key);
    if code.trim().is_empty() {
        return Err(format!("\"{key}\" thiếu mã chỉ tiêu"));
    }
    Ok((code.trim().to_string(), Disagg::parse(d)?))
}

/// The canonical form of a cell key (dimensions sorted), or why it is not one.
pub fn canonical_key(key: &str) -> Result<String, String> {
    let (code, d) = parse_key(key)?;
    Ok(cell_key(&code, &d))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_long_interned_key_is_one_text_for_the_run_and_a_short_one_is_inline() {
        let long = "TT01[linh_vuc=ho_tich;nguon=truc_tuyen]";
        let owned = String::from(long);
        let (a, b) = (interned(long), interned(&owned));
        assert_eq!(a, long);
        assert!(!a.is_heap_allocated() && !b.is_heap_allocated());
        // Both point at the same text, and so does a copy: nothing allocated per figure.
        assert_eq!(a.as_static_str().unwrap().as_ptr(), b.as_ptr());
        assert_eq!(a.clone().as_ptr(), a.as_ptr());
        // Ordered and compared by text, as any key.
        assert!(interned("TT01[linh_vuc=ho_tich;nguon=buu_chinh]") < a);
        let short = interned("TT01[nguon=buu_chinh]");
        assert_eq!(short, "TT01[nguon=buu_chinh]");
        assert!(short.as_static_str().is_none() && !short.is_heap_allocated());
    }

    #[test]
    fn a_total_is_its_indicator_code_alone() {
        assert_eq!(cell_key("TT01", &Disagg::default()), "TT01");
        assert_eq!(split_key("TT01"), ("TT01", ""));
    }

    #[test]
    fn dimensions_are_sorted_by_code_in_the_key() {
        let d = Disagg::parse("nguon=truc_tuyen; linh_vuc=ho_tich").unwrap();
        assert_eq!(d.to_string(), "linh_vuc=ho_tich;nguon=truc_tuyen");
        assert_eq!(
            cell_key("TT01", &d),
            "TT01[linh_vuc=ho_tich;nguon=truc_tuyen]"
        );
        assert_eq!(
            canonical_key("TT01[nguon=truc_tuyen;linh_vuc=ho_tich]").unwrap(),
            "TT01[linh_vuc=ho_tich;nguon=truc_tuyen]"
        );
        assert_eq!(
            split_key("TT01[linh_vuc=ho_tich;nguon=truc_tuyen]"),
            ("TT01", "linh_vuc=ho_tich;nguon=truc_tuyen")
        );
    }

    #[test]
    fn malformed_disaggregations_are_refused() {
        assert!(Disagg::parse("nguon").is_err());
        assert!(Disagg::parse("nguon=a;nguon=b").is_err());
        assert!(Disagg::parse("=a").is_err());
        assert!(parse_key("TT01[nguon=a").is_err());
        assert!(parse_key("[nguon=a]").is_err());
        assert!(Disagg::parse("").unwrap().is_total());
    }

    #[test]
    fn merging_lets_the_second_disaggregation_win() {
        let a = Disagg::parse("linh_vuc=ho_tich").unwrap();
        let b = Disagg::parse("tien_do=dung_han").unwrap();
        assert_eq!(
            a.merged(&b).to_string(),
            "linh_vuc=ho_tich;tien_do=dung_han"
        );
        assert_eq!(
            a.with("linh_vuc", "dat_dai").to_string(),
            "linh_vuc=dat_dai"
        );
        assert!(a.without("linh_vuc").is_total());
    }
}

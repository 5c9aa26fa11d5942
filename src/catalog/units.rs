//! Administrative units (đơn vị) and their hierarchy, from `units.toml`.
//!
//! Owns the unit tree: levels, parents, validity dates and lookups. The tree is data of any
//! depth (tỉnh → xã today, tỉnh → huyện → xã before July 2025).

use std::collections::BTreeMap;

use chrono::NaiveDate;
use serde::Deserialize;

/// A named level of the hierarchy (cấp), e.g. `tinh`, `xa`, `so`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Level {
    pub name: String,
    pub label: String,
}

/// One reporting or receiving unit.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Unit {
    /// Stable code (mã đơn vị hành chính for local government, QĐ 19/2025/QĐ-TTg).
    pub code: String,
    /// Name as written on forms: "Xã Phước An", "Sở Tài chính".
    pub name: String,
    pub level: String,
    /// Kind of unit: `tinh`, `xa`, `phuong`, `dac-khu`, `so`, ... (default: its level).
    #[serde(default)]
    pub kind: String,
    #[serde(default)]
    pub parent: Option<String>,
    /// Name of the agency that signs the report (cơ quan báo cáo), e.g. "UBND xã Phước An".
    #[serde(default)]
    pub agency: Option<String>,
    /// Place name used in the footer's "…, ngày … tháng … năm …".
    #[serde(default)]
    pub place: Option<String>,
    /// The unit's mail addresses: `nhan` takes a report from these senders only.
    #[serde(default)]
    pub email: Vec<String>,
    #[serde(default, deserialize_with = "crate::schedule::toml_date::optional")]
    pub valid_from: Option<NaiveDate>,
    #[serde(default, deserialize_with = "crate::schedule::toml_date::optional")]
    pub valid_to: Option<NaiveDate>,
}

impl Unit {
    pub fn agency_name(&self) -> &str {
        self.agency.as_deref().unwrap_or(&self.name)
    }

    /// Whether `address` is one of the unit's mail addresses (letter case aside).
    pub fn sends_from(&self, address: &str) -> bool {
        self.email
            .iter()
            .any(|e| e.trim().eq_ignore_ascii_case(address.trim()))
    }

    pub fn is_valid_on(&self, date: NaiveDate) -> bool {
        self.valid_from.is_none_or(|f| f <= date) && self.valid_to.is_none_or(|t| date <= t)
    }
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct UnitsFile {
    #[serde(default)]
    pub level: Vec<Level>,
    #[serde(default)]
    pub unit: Vec<Unit>,
}

/// The unit tree, checked: codes are unique, parents exist, there is no cycle.
#[derive(Debug, Clone, Default)]
pub struct UnitTree {
    pub levels: Vec<Level>,
    units: Vec<Unit>,
    // (Looked up millions of times a run, never walked in order: hash maps.)
    index: foldhash::HashMap<String, usize>,
    children: foldhash::HashMap<String, Vec<String>>,
}

impl UnitTree {
    /// Builds the tree from units already checked for duplicates, unknown parents and cycles.
    pub(crate) fn new(levels: Vec<Level>, units: Vec<Unit>) -> UnitTree {
        let mut index = foldhash::HashMap::default();
        let mut children: foldhash::HashMap<String, Vec<String>> = Default::default();
        for (i, u) in units.iter().enumerate() {
            index.insert(u.code.clone(), i);
            if let Some(p) = &u.parent {
                children.entry(p.clone()).or_default().push(u.code.clone());
            }
        }
        UnitTree {
            levels,
            units,
            index,
            children,
        }
    }

    pub fn get(&self, code: &str) -> Option<&Unit> {
        self.index.get(code).map(|&i| &self.units[i])
    }

    /// The unit's name, or the code itself for a code the tree does not know.
    pub fn name_of(&self, code: &str) -> String {
        self.get(code)
            .map(|u| u.name.clone())
            .unwrap_or_else(|| code.to_string())
    }

    /// "Name (code)" for messages, or the code itself for a code the tree does not know.
    pub fn label_of(&self, code: &str) -> String {
        self.get(code)
            .map(|u| format!("{} ({})", u.name, u.code))
            .unwrap_or_else(|| code.to_string())
    }

    /// Units in the order the config lists them.
    pub fn iter(&self) -> impl Iterator<Item = &Unit> {
        self.units.iter()
    }

    pub fn children(&self, code: &str) -> &[String] {
        self.children.get(code).map(Vec::as_slice).unwrap_or(&[])
    }

    /// Codes of `code` and all units below it, depth first, parents before children, in the
    /// config's order.
    pub fn subtree(&self, code: &str) -> Vec<String> {
        let mut out = Vec::new();
        let mut seen = std::collections::HashSet::new();
        let mut stack = vec![code.to_string()];
        while let Some(c) = stack.pop() {
            if !seen.insert(c.clone()) {
                continue; // a cycle; the loader reports it
            }
            stack.extend(self.children(&c).iter().rev().cloned());
            out.push(c);
        }
        out
    }

    /// Whether `code` or a unit below it satisfies `pred`: `subtree(code).iter().any(..)`
    /// without making the list (asked for every unit and indicator of a nation's form). A
    /// cycle (which the loader reports) stops the walk after as many units as the tree has.
    pub fn any_in_subtree(&self, code: &str, pred: impl Fn(&Unit) -> bool) -> bool {
        let mut stack: Vec<&str> = vec![code];
        let mut visited = 0;
        while let Some(c) = stack.pop() {
            visited += 1;
            if visited > self.units.len() + 1 {
                break;
            }
            if self.get(c).is_some_and(&pred) {
                return true;
            }
            stack.extend(self.children(c).iter().map(String::as_str));
        }
        false
    }

    /// Whether `code` is `top` or a unit below it: `subtree(top).contains(code)` by walking up
    /// from `code`.
    pub fn is_within(&self, code: &str, top: &str) -> bool {
        let mut cur = Some(code);
        for _ in 0..=self.units.len() {
            match cur {
                Some(c) if c == top => return true,
                Some(c) => cur = self.get(c).and_then(|u| u.parent.as_deref()),
                None => return false,
            }
        }
        false
    }

    /// Ancestors of `code`, nearest first (without `code` itself).
    pub fn ancestors(&self, code: &str) -> Vec<String> {
        let mut out = Vec::new();
        let mut cur = self.get(code).and_then(|u| u.parent.clone());
        while let Some(c) = cur {
            if out.contains(&c) {
                break;
            }
            cur = self.get(&c).and_then(|u| u.parent.clone());
            out.push(c);
        }
        out
    }

    pub fn level_label<'a>(&'a self, name: &'a str) -> &'a str {
        self.levels
            .iter()
            .find(|l| l.name == name)
            .map(|l| l.label.as_str())
            .unwrap_or(name)
    }
}

/// Problems of a unit list, as (key, message): duplicate codes, unknown levels or parents,
/// cycles. Keys name the entry as `unit[i]`.
pub(crate) fn check_units(file: &UnitsFile) -> Vec<(String, String)> {
    let mut problems = Vec::new();
    check_entries(file, &mut problems);
    check_parents(file, &mut problems);
    problems
}

/// Each unit's own fields: a code, not used twice, a level of the list, validity dates in
/// order.
fn check_entries(file: &UnitsFile, problems: &mut Vec<(String, String)>) {
    let mut seen: BTreeMap<&str, usize> = BTreeMap::new();
    let levels: Vec<&str> = file.level.iter().map(|l| l.name.as_str()).collect();
    for (i, u) in file.unit.iter().enumerate() {
        let key = format!("[[unit]] thứ {} ({})", i + 1, u.code);
        if u.code.trim().is_empty() {
            problems.push((key.clone(), "mã đơn vị để trống".to_string()));
        }
        if let Some(first) = seen.insert(u.code.as_str(), i) {
            problems.push((
                format!("{key}.code"),
                format!(
                    "mã đơn vị \"{}\" trùng với [[unit]] thứ {}",
                    u.code,
                    first + 1
                ),
            ));
        }
        if !levels.contains(&u.level.as_str()) {
            problems.push((
                format!("{key}.level"),
                format!(
                    "cấp \"{}\" không có trong danh sách [[level]] ({})",
                    u.level,
                    levels.join(", ")
                ),
            ));
        }
        if let (Some(f), Some(t)) = (u.valid_from, u.valid_to) {
            if t < f {
                problems.push((
                    format!("{key}.valid_to"),
                    format!("ngày hết hiệu lực {t} trước ngày có hiệu lực {f}"),
                ));
            }
        }
    }
}

/// Each unit's parent: a unit of the list, and no cycle going up.
fn check_parents(file: &UnitsFile, problems: &mut Vec<(String, String)>) {
    let parent_of: BTreeMap<&str, Option<&str>> = file
        .unit
        .iter()
        .map(|u| (u.code.as_str(), u.parent.as_deref()))
        .collect();
    for (i, u) in file.unit.iter().enumerate() {
        let key = format!("[[unit]] thứ {} ({})", i + 1, u.code);
        if let Some(p) = &u.parent {
            if !parent_of.contains_key(p.as_str()) {
                problems.push((
                    format!("{key}.parent"),
                    format!("đơn vị cấp trên \"{p}\" không có trong danh mục"),
                ));
                continue;
            }
        }
        // Walk up; a walk longer than the number of units is a cycle.
        let mut cur = u.parent.as_deref();
        let mut steps = 0;
        while let Some(c) = cur {
            if c == u.code || steps > file.unit.len() {
                problems.push((
                    format!("{key}.parent"),
                    format!(
                        "vòng lặp trong cây đơn vị: đi theo \"parent\" từ \"{}\" không về tới gốc",
                        u.code
                    ),
                ));
                break;
            }
            cur = parent_of.get(c).copied().flatten();
            steps += 1;
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::catalog::Config;

    #[test]
    fn walks_without_a_list_agree_with_the_subtree() {
        let config =
            Config::load(&std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("samples"))
                .unwrap();
        let tree = &config.units;
        let levels: Vec<String> = tree.levels.iter().map(|l| l.name.clone()).collect();
        let mut some = 0;
        for u in tree.iter() {
            let below = tree.subtree(&u.code);
            for level in &levels {
                let listed = below
                    .iter()
                    .any(|c| tree.get(c).is_some_and(|x| &x.level == level));
                assert_eq!(
                    tree.any_in_subtree(&u.code, |x| &x.level == level),
                    listed,
                    "{} {level}",
                    u.code
                );
            }
            for other in tree.iter() {
                let within = below.contains(&other.code);
                some += usize::from(within && other.code != u.code);
                assert_eq!(tree.is_within(&other.code, &u.code), within);
            }
            assert!(!tree.is_within("không có", &u.code));
            assert!(!tree.any_in_subtree("không có", |_| true));
        }
        // The samples' province has units below units.
        assert!(some > 30, "{some}");
    }
}

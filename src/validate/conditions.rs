//! "If … then …" rules on one unit's report: where `when` holds, `then` must hold. The
//! message names both conditions as written and every cell they read, with its value (an
//! answer's label, a year without separators) and its place on the form.

use crate::catalog::{Condition, Config, InputColumn};
use crate::diag::{Code, Diagnostic, Location, Severity};
use crate::model::{cell_key, Disagg, Submission};

/// A rule with its conditions as written and as parsed.
pub struct IfRule<'a> {
    pub when: (&'a str, &'a Condition),
    pub then: (&'a str, &'a Condition),
    pub blocking: bool,
    pub message: Option<&'a str>,
}

/// The rule's diagnostic on a submission, if `when` holds and `then` does not (a condition
/// whose figures are missing is not judged: an empty required cell has its own diagnostic).
pub fn check(
    config: &Config,
    rule: &IfRule<'_>,
    s: &Submission,
    col: InputColumn,
) -> Option<Diagnostic> {
    // A text cell has no figure: it reads as 0 where it is filled (only `trống`/`không trống`
    // may name one, the catalog makes sure).
    let get = |c: &str, d: &Disagg| {
        s.value(&cell_key(c, d), col)
            .or_else(|| s.text(c, col).filter(|_| d.is_total()).map(|_| 0.0))
    };
    if rule.when.1.holds(&get) != Some(true) || rule.then.1.holds(&get) != Some(false) {
        return None;
    }
    let describe = |cond: &Condition| -> Vec<String> {
        let mut seen = Vec::new();
        let mut out = Vec::new();
        for (c, d) in cond.refs() {
            let key = cell_key(c, d);
            if seen.contains(&key) {
                continue;
            }
            seen.push(key.clone());
            let name = config
                .indicator(c)
                .map(|i| format!("{c} \"{}\"", i.name))
                .unwrap_or_else(|| c.to_string());
            if let Some(t) = s.text(c, col).filter(|_| d.is_total()) {
                out.push(format!(
                    "{name} ghi \"{}\" ({})",
                    t.text,
                    t.location.cited()
                ));
                continue;
            }
            out.push(match (s.figure(&key, col), config.indicator(c)) {
                (Some(v), Some(i)) if i.is_answer() => format!(
                    "{name} là \"{}\" ({})",
                    i.display(v.value),
                    v.location.cited()
                ),
                (Some(v), Some(i)) => {
                    format!("{name} là {} ({})", i.display(v.value), v.location.cited())
                }
                _ => format!("{name} để trống"),
            });
        }
        out
    };
    // The place: the first cell of `then` that has a figure, else the first of `then` left
    // empty on the form (the cell to fill), else the first of `when`.
    let then_refs = rule.then.1.refs();
    let place = then_refs
        .iter()
        .find_map(|(c, d)| {
            s.figure(&cell_key(c, d), col)
                .map(|v| v.location.location())
        })
        .or_else(|| {
            then_refs
                .iter()
                .find_map(|(c, d)| s.empty.get(&(cell_key(c, d), col)).cloned())
        })
        .or_else(|| {
            rule.when
                .1
                .refs()
                .into_iter()
                .find_map(|(c, d)| s.figure(&cell_key(c, d), col))
                .map(|v| v.location.location())
        })
        .unwrap_or_else(|| Location::file(&s.file));
    let said = rule.message.map(as_sentence).unwrap_or_default();
    let message = if rule.when.0.trim().is_empty() {
        format!(
            "{said}Phải có {}: {}.\nKiểm tra lại các ô này rồi gửi lại.",
            rule.then.0.trim(),
            describe(rule.then.1).join(", "),
        )
    } else {
        format!(
            "{said}Nếu {} thì {}: {}, nhưng {}.\nKiểm tra lại các ô này rồi gửi lại.",
            rule.when.0.trim(),
            rule.then.0.trim(),
            describe(rule.when.1).join(", "),
            describe(rule.then.1).join(", "),
        )
    };
    let mut d = Diagnostic::new(Code::IfRule, place, message);
    if !rule.blocking {
        d.severity = Severity::Warning;
    }
    Some(d)
}

/// The officer's own words (a rule's `message`), as a sentence of their own before what the
/// engine says: "Xã không ghi dòng này. Nếu …", not "Xã không ghi dòng này Nếu …".
fn as_sentence(message: &str) -> String {
    match message.trim() {
        "" => String::new(),
        m if m.ends_with(['.', '!', '?', ':', ';', '…']) => format!("{m} "),
        m => format!("{m}. "),
    }
}

#[cfg(test)]
mod tests {
    use super::as_sentence;

    #[test]
    fn a_rules_own_message_ends_as_a_sentence_before_the_engines() {
        assert_eq!(
            as_sentence("Xã không ghi dòng này"),
            "Xã không ghi dòng này. "
        );
        assert_eq!(
            as_sentence(" Xã chưa đạt chuẩn cần nêu khó khăn. "),
            "Xã chưa đạt chuẩn cần nêu khó khăn. "
        );
        assert_eq!(as_sentence("Lưu ý:"), "Lưu ý: ");
        assert_eq!(as_sentence("  "), "");
    }
}

//! The TODOs of a config root: `# TODO` comments of its TOML files and `{# TODO #}` comments
//! of its outlines, as `baocao regime draft` leaves them for a person to decide. Owns finding
//! them (`check-config` lists them); knows nothing else about the files.

use std::path::Path;

/// One TODO: the file (relative to the root, '/'-separated), its line (from 1) and its text
/// from "TODO" on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Todo {
    pub file: String,
    pub line: usize,
    pub text: String,
}

/// Every TODO of the root's `*.toml` files (the root's own, and those under `indicators/` and
/// `report-templates/`) and of the `*.tera` outlines under `report-templates/`, in path order.
pub fn todos(root: &Path) -> Vec<Todo> {
    let mut files: Vec<String> = Vec::new();
    if let Ok(rd) = std::fs::read_dir(root) {
        for e in rd.flatten() {
            let name = e.file_name().to_string_lossy().to_string();
            if name.ends_with(".toml") && e.path().is_file() {
                files.push(name);
            }
        }
    }
    collect(root, "indicators", &mut files);
    collect(root, "report-templates", &mut files);
    files.sort();
    let mut out = Vec::new();
    for rel in files {
        let Ok(text) = std::fs::read_to_string(root.join(&rel)) else {
            continue;
        };
        let found = if rel.ends_with(".tera") {
            tera_todos(&text)
        } else {
            toml_todos(&text)
        };
        out.extend(found.into_iter().map(|(line, text)| Todo {
            file: rel.clone(),
            line,
            text,
        }));
    }
    out.extend(library_todos(root));
    out
}

/// The TODOs of the library's regimes a root reads (`library.toml`) that the root's settings
/// (its `report-templates/<id>/regime.toml`) have not made: each concerns the key of its line,
/// or on a comment line, the next key or `[[table]]` named below it.
fn library_todos(root: &Path) -> Vec<Todo> {
    use super::library::{Library, LibraryFile, LIBRARY_FILE};
    let Some(file) = std::fs::read_to_string(root.join(LIBRARY_FILE))
        .ok()
        .and_then(|t| toml::from_str::<LibraryFile>(&t).ok())
    else {
        return Vec::new();
    };
    let lib = Library::of_root(root, &file);
    let mut ids: Vec<String> = std::fs::read_dir(root.join("report-templates"))
        .map(|rd| {
            rd.flatten()
                .map(|e| e.file_name().to_string_lossy().to_string())
                .collect()
        })
        .unwrap_or_default();
    ids.sort();
    let mut out = Vec::new();
    for id in ids {
        let rel = format!("report-templates/{id}/regime.toml");
        let (Some(base), Ok(own)) = (lib.read(&rel), std::fs::read_to_string(root.join(&rel)))
        else {
            continue;
        };
        let set: toml::Table = toml::from_str(&own).unwrap_or_default();
        let base = String::from_utf8_lossy(&base).into_owned();
        let lines: Vec<&str> = base.lines().collect();
        for (line, text) in toml_todos(&base) {
            // A key inside a table concerns the table (an office's [[deadline]] replace the
            // library's); a comment, what it is above.
            let table = lines[..line]
                .iter()
                .rev()
                .find(|l| l.starts_with('['))
                .and_then(|l| named_key(l));
            let own = named_key(lines[line - 1]);
            let concerns = match (own, table) {
                (Some(_), Some(t)) => Some(t),
                (Some(k), None) => Some(k),
                (None, _) => lines[line - 1..].iter().find_map(|l| named_key(l)),
            };
            if concerns.is_some_and(|k| set.contains_key(&k)) {
                continue;
            }
            out.push(Todo {
                file: format!("{rel} (thư viện)"),
                line,
                text,
            });
        }
    }
    out
}

/// The key a TOML line sets or the table it opens, commented out or not: `receiver = ""` →
/// receiver, `# [[deadline]]` → deadline.
fn named_key(line: &str) -> Option<String> {
    let l = line.trim_start_matches('#').trim();
    if let Some(t) = l.strip_prefix("[[").and_then(|t| t.split_once("]]")) {
        return Some(t.0.trim().to_string());
    }
    if let Some(t) = l.strip_prefix('[').and_then(|t| t.split_once(']')) {
        return Some(t.0.split('.').next().unwrap_or_default().trim().to_string());
    }
    if line.trim_start().starts_with('#') {
        return None;
    }
    let (k, _) = l.split_once('=')?;
    let k = k.trim();
    (!k.is_empty() && k.chars().all(|c| c.is_ascii_alphanumeric() || c == '_'))
        .then(|| k.to_string())
}

/// The `.toml` and `.tera` files under `root/dir`, relative to the root (at most four levels).
fn collect(root: &Path, dir: &str, out: &mut Vec<String>) {
    let mut stack = vec![(dir.to_string(), 0)];
    while let Some((rel, depth)) = stack.pop() {
        let Ok(rd) = std::fs::read_dir(root.join(&rel)) else {
            continue;
        };
        for e in rd.flatten() {
            let child = format!("{rel}/{}", e.file_name().to_string_lossy());
            let Ok(kind) = e.file_type() else { continue };
            if kind.is_dir() && depth < 4 {
                stack.push((child, depth + 1));
            } else if kind.is_file() && (child.ends_with(".toml") || child.ends_with(".tera")) {
                out.push(child);
            }
        }
    }
}

/// The text of a TODO in a comment, from "TODO" to its end.
fn todo_in(comment: &str) -> Option<String> {
    let at = comment.find("TODO")?;
    Some(comment[at..].trim().to_string())
}

/// TODOs in the `#` comments of a TOML text (a `#` inside a string is not a comment):
/// (line, text).
pub fn toml_todos(text: &str) -> Vec<(usize, String)> {
    let mut out = Vec::new();
    // Inside a multi-line string: its closing delimiter.
    let mut open: Option<&str> = None;
    for (n, line) in text.lines().enumerate() {
        let mut rest = line;
        loop {
            if let Some(close) = open {
                match rest.find(close) {
                    Some(i) => {
                        rest = &rest[i + 3..];
                        open = None;
                    }
                    None => break,
                }
            }
            let Some(i) = rest.find(['#', '"', '\'']) else {
                break;
            };
            let (c, after) = (rest.as_bytes()[i], &rest[i + 1..]);
            if c == b'#' {
                out.extend(todo_in(after).map(|t| (n + 1, t)));
                break;
            }
            let quote = if c == b'"' { "\"" } else { "'" };
            if after.starts_with(&quote.repeat(2)) {
                open = Some(if c == b'"' { "\"\"\"" } else { "'''" });
                rest = &after[2..];
                continue;
            }
            rest = skip_string(after, c == b'"');
        }
    }
    out
}

/// The rest of a line after a one-line string that started just before `s`.
fn skip_string(s: &str, basic: bool) -> &str {
    let mut escaped = false;
    for (i, ch) in s.char_indices() {
        match ch {
            '\\' if basic && !escaped => escaped = true,
            '"' if basic && !escaped => return &s[i + 1..],
            '\'' if !basic => return &s[i + 1..],
            _ => escaped = false,
        }
    }
    ""
}

/// TODOs in the `{# … #}` comments of a Tera template: (line, text).
pub fn tera_todos(text: &str) -> Vec<(usize, String)> {
    let mut out = Vec::new();
    let mut in_comment = false;
    for (n, line) in text.lines().enumerate() {
        let mut rest = line;
        loop {
            if in_comment {
                let end = rest.find("#}");
                let body = &rest[..end.unwrap_or(rest.len())];
                if let Some(t) = todo_in(body) {
                    out.push((n + 1, t.trim_end_matches('-').trim().to_string()));
                }
                match end {
                    Some(i) => {
                        rest = &rest[i + 2..];
                        in_comment = false;
                    }
                    None => break,
                }
            } else {
                match rest.find("{#") {
                    Some(i) => {
                        rest = &rest[i + 2..];
                        in_comment = true;
                    }
                    None => break,
                }
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn toml_todos_are_comments_not_strings() {
        let text = "# TODO: tên báo cáo\nname = \"a # TODO không phải\" # TODO: sau giá trị\nx = 'TODO' # ghi chú\ns = \"\"\"\n# TODO trong chuỗi\n\"\"\" # TODO: sau chuỗi\nesc = \"a\\\"#\" # TODO: sau dấu thoát\n";
        assert_eq!(
            toml_todos(text),
            vec![
                (1, "TODO: tên báo cáo".to_string()),
                (2, "TODO: sau giá trị".to_string()),
                (6, "TODO: sau chuỗi".to_string()),
                (7, "TODO: sau dấu thoát".to_string()),
            ]
        );
    }

    #[test]
    fn tera_todos_are_in_comments_even_over_lines() {
        let text = "{#- đầu -#}\n{# TODO: viết đề cương #}\nTODO ngoài\n{#\n  TODO: dòng hai -#}\n";
        assert_eq!(
            tera_todos(text),
            vec![
                (2, "TODO: viết đề cương".to_string()),
                (5, "TODO: dòng hai".to_string()),
            ]
        );
    }

    #[test]
    fn todos_are_listed_by_file_in_path_order() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        std::fs::create_dir_all(root.join("report-templates/x")).unwrap();
        std::fs::create_dir_all(root.join("indicators")).unwrap();
        std::fs::write(root.join("units.toml"), "# TODO: đơn vị\n").unwrap();
        std::fs::write(root.join("indicators/x.toml"), "a = 1 # TODO: mã\n").unwrap();
        std::fs::write(root.join("report-templates/x/regime.toml"), "# không\n").unwrap();
        std::fs::write(
            root.join("report-templates/x/de-cuong.md.tera"),
            "{# TODO: đề cương #}",
        )
        .unwrap();
        std::fs::write(root.join("ghi-chu.txt"), "# TODO: không phải cấu hình\n").unwrap();
        let found: Vec<(String, usize)> =
            todos(root).into_iter().map(|t| (t.file, t.line)).collect();
        assert_eq!(
            found,
            [
                ("indicators/x.toml".to_string(), 1),
                ("report-templates/x/de-cuong.md.tera".to_string(), 1),
                ("units.toml".to_string(), 1),
            ]
        );
    }
}

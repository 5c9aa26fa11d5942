//! The library of regimes: `report-templates/<id>/` and `indicators/` at the top of the
//! repository, built into the binary, or a copy of them on disk (a newer checkout). A config
//! root with a `library.toml` reads the library's catalogs and, for each regime it has a
//! folder for, the library's regime under its own settings (`Loader`); `baocao regime
//! list|add|diff` show, copy and compare the library's regimes.

use std::path::{Path, PathBuf};

use include_dir::{include_dir, Dir};
use serde::Deserialize;

static TEMPLATES: Dir<'static> = include_dir!("$CARGO_MANIFEST_DIR/report-templates");
static INDICATORS: Dir<'static> = include_dir!("$CARGO_MANIFEST_DIR/indicators");

/// The file of a config root that makes it read the library.
pub const LIBRARY_FILE: &str = "library.toml";

/// Where the library is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Library {
    /// The one built into this binary.
    Builtin,
    /// A folder holding `report-templates/` and `indicators/`.
    Folder(PathBuf),
}

/// `library.toml`: `path` to a library on disk (relative to the root), or none for the
/// library built into baocao.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LibraryFile {
    #[serde(default)]
    pub path: Option<PathBuf>,
}

impl Library {
    /// The library of a root's `library.toml`.
    pub fn of_root(root: &Path, file: &LibraryFile) -> Library {
        match &file.path {
            Some(p) => Library::Folder(root.join(p)),
            None => Library::Builtin,
        }
    }

    /// How the library is named in messages.
    pub fn describe(&self) -> String {
        match self {
            Library::Builtin => "thư viện có sẵn trong baocao".to_string(),
            Library::Folder(p) => format!("thư viện {}", p.display()),
        }
    }

    /// The bytes of a file by its path in the library (`indicators/kinh-te.toml`,
    /// `report-templates/tthc/regime.toml`).
    pub fn read(&self, rel: &str) -> Option<Vec<u8>> {
        match self {
            Library::Builtin => {
                let (dir, rest) = builtin(rel)?;
                dir.get_file(rest).map(|f| f.contents().to_vec())
            }
            Library::Folder(p) => std::fs::read(p.join(rel)).ok(),
        }
    }

    pub fn has(&self, rel: &str) -> bool {
        match self {
            Library::Builtin => builtin(rel).is_some_and(|(d, r)| d.get_file(r).is_some()),
            Library::Folder(p) => p.join(rel).is_file(),
        }
    }

    /// The names of the files directly in a folder of the library, sorted.
    pub fn files(&self, dir: &str) -> Vec<String> {
        self.entries(dir, false)
    }

    /// The names of the folders directly in a folder of the library, sorted.
    pub fn dirs(&self, dir: &str) -> Vec<String> {
        self.entries(dir, true)
    }

    fn entries(&self, dir: &str, folders: bool) -> Vec<String> {
        let mut out: Vec<String> = match self {
            Library::Builtin => {
                let Some((root, rest)) = builtin(dir) else {
                    return Vec::new();
                };
                let d = if rest.is_empty() {
                    Some(root)
                } else {
                    root.get_dir(rest)
                };
                d.map(|d| {
                    d.entries()
                        .iter()
                        .filter(|e| e.as_dir().is_some() == folders)
                        .filter_map(|e| e.path().file_name())
                        .map(|n| n.to_string_lossy().to_string())
                        .collect()
                })
                .unwrap_or_default()
            }
            Library::Folder(p) => std::fs::read_dir(p.join(dir))
                .map(|rd| {
                    rd.flatten()
                        .filter(|e| e.path().is_dir() == folders)
                        .map(|e| e.file_name().to_string_lossy().to_string())
                        .collect()
                })
                .unwrap_or_default(),
        };
        out.sort();
        out
    }

    /// Every file under a folder of the library, as paths from the library's top, sorted.
    pub fn files_under(&self, dir: &str) -> Vec<String> {
        let mut out: Vec<String> = self
            .files(dir)
            .into_iter()
            .map(|f| format!("{dir}/{f}"))
            .collect();
        for d in self.dirs(dir) {
            out.extend(self.files_under(&format!("{dir}/{d}")));
        }
        out.sort();
        out
    }
}

/// A regime of the library, as `regime list` shows it.
#[derive(Debug, Clone)]
pub struct Entry {
    pub id: String,
    pub name: String,
    /// The form's number and version ("Biểu II.06a/VPCP/KSTT", "2026.1").
    pub form: String,
    pub version: String,
    pub legal_basis: String,
    pub frequencies: Vec<crate::period::Frequency>,
}

impl Library {
    /// The library's regimes, by id; a regime whose `regime.toml` does not read is an error
    /// naming it.
    pub fn regimes(&self) -> Vec<Result<Entry, String>> {
        self.dirs("report-templates")
            .into_iter()
            .filter(|id| self.has(&format!("report-templates/{id}/regime.toml")))
            .map(|id| {
                let rel = format!("report-templates/{id}/regime.toml");
                let text =
                    String::from_utf8_lossy(&self.read(&rel).unwrap_or_default()).into_owned();
                let r: super::Regime = toml::from_str(&text)
                    .map_err(|e| format!("{rel}: {}", super::vietnamese_toml_error(e.message())))?;
                Ok(Entry {
                    id: r.id,
                    name: r.name,
                    form: r.form.number,
                    version: r.form.version,
                    legal_basis: r.legal_basis,
                    frequencies: r.frequencies,
                })
            })
            .collect()
    }
}

/// The built-in folder a library path is in, and the path within it.
fn builtin(rel: &str) -> Option<(&'static Dir<'static>, &str)> {
    let rel = rel.trim_end_matches('/');
    for (name, dir) in [
        ("report-templates", &TEMPLATES),
        ("indicators", &INDICATORS),
    ] {
        if rel == name {
            return Some((dir, ""));
        }
        if let Some(rest) = rel.strip_prefix(name).and_then(|r| r.strip_prefix('/')) {
            return Some((dir, rest));
        }
    }
    None
}

/// `over` laid over `base`: tables merged key by key, any other value (arrays of tables too:
/// an office's `[[deadline]]` replace the library's) replaced.
pub fn merge(base: &mut toml::Table, over: toml::Table) {
    for (k, v) in over {
        match (base.get_mut(&k), v) {
            (Some(toml::Value::Table(b)), toml::Value::Table(o)) => merge(b, o),
            (_, v) => {
                base.insert(k, v);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_builtin_library_holds_the_regimes_and_their_catalogs() {
        let lib = Library::Builtin;
        assert!(lib.dirs("report-templates").contains(&"tthc".to_string()));
        assert!(lib.has("report-templates/tthc/regime.toml"));
        assert!(lib
            .files("indicators")
            .contains(&"thu-tuc-hanh-chinh.toml".to_string()));
        assert!(lib
            .files_under("report-templates/tthc")
            .contains(&"report-templates/tthc/de-cuong.md.tera".to_string()));
        assert!(!lib.has("report-templates/khong-co/regime.toml"));
        assert!(lib.read("units.toml").is_none());
    }

    #[test]
    fn settings_lay_over_the_library_table_by_table() {
        let mut base: toml::Table =
            toml::from_str("id = \"t\"\nreceiver = \"\"\n[form]\nnumber = \"01\"\ntitle = \"A\"\n[[deadline]]\nday = 20\n[[deadline]]\nday = 5\n")
                .unwrap();
        let over: toml::Table =
            toml::from_str("receiver = \"99\"\n[form]\ntitle = \"B\"\n[[deadline]]\nday = 16\n")
                .unwrap();
        merge(&mut base, over);
        let want: toml::Table =
            toml::from_str("id = \"t\"\nreceiver = \"99\"\n[form]\nnumber = \"01\"\ntitle = \"B\"\n[[deadline]]\nday = 16\n")
                .unwrap();
        assert_eq!(base, want);
    }
}

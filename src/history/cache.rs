//! Results rebuilt from past periods, kept beside the history store (`<kho>/.bo-nho-dem/`) so
//! that a rerun of a period (the daily `run --due` reruns it whenever a file arrives) and next
//! month's run do not read and consolidate again what an earlier run already did: the same
//! period last year (the receiver's figures, with its year-to-date) and the board's figures of
//! each of its periods.
//!
//! An entry is used only when its key matches, and its key is the BLAKE3 of everything the
//! result was computed from: this build of the engine (its version and the executable's size
//! and modification time), the configuration's fingerprint (the one the manifest records), the
//! regime, what the entry is, and every store partition it was rebuilt from (each partition's
//! own BLAKE3, or its absence). A period recorded again, a figure imported or withdrawn, a
//! unit moved in `units.toml`, a new build: the entry no longer matches, so it is computed
//! again and replaced. Figures are kept as their bits, so that a result taken from an entry is
//! the one computed, to the last bit; no output depends on whether an entry was used.
//!
//! An entry that cannot be read or parsed is computed again; one that cannot be written (a
//! read-only store, a full disk) is not kept, and the run goes on: the run itself reports any
//! fault of the store when it records the period. One file per kind and period, replaced
//! atomically: the folder does not grow with reruns. Deleting it is always safe.

use std::path::PathBuf;

use serde::{de::DeserializeOwned, Deserialize, Serialize};

use crate::catalog::{Config, Regime};
use crate::period::Period;
use crate::store::Store;

/// The folder under the store (ignored by Parquet readers, as every folder whose name starts
/// with a dot).
pub const FOLDER: &str = ".bo-nho-dem";

/// Changed whenever what an entry holds, or how a key is made, changes.
const FORMAT: &str = "baocao past-cache 1";

/// The entries of one regime's past periods.
pub struct PastCache<'s> {
    store: &'s Store,
    regime: String,
    dir: PathBuf,
    /// The key's part every entry shares: the build, the configuration and the regime.
    base: [u8; 32],
}

/// One entry's file.
#[derive(Serialize, Deserialize)]
struct Entry<T> {
    key: String,
    value: T,
}

impl<'s> PastCache<'s> {
    /// The regime's entries under `store`, or `None` when this build cannot be told apart from
    /// another (the executable cannot be found): then nothing is kept.
    pub fn open(store: &'s Store, config: &Config, regime: &Regime) -> Option<PastCache<'s>> {
        let build = build_identity()?;
        let mut h = blake3::Hasher::new();
        for part in [
            FORMAT,
            env!("CARGO_PKG_VERSION"),
            &build,
            &config.fingerprint(&regime.id),
            &regime.id,
        ] {
            put_text(&mut h, part);
        }
        Some(PastCache {
            store,
            regime: regime.id.clone(),
            dir: store.dir.join(FOLDER).join(&regime.id),
            base: *h.finalize().as_bytes(),
        })
    }

    /// The key of an entry of `kind` computed from the store's partitions of `periods` and
    /// from `extra` (what else it depends on that the configuration does not say); `None`
    /// when the store has none of those partitions (nothing to rebuild: nothing is kept).
    pub fn key(&self, kind: &str, extra: &str, periods: &[Period]) -> Option<String> {
        let mut h = blake3::Hasher::new();
        h.update(&self.base);
        put_text(&mut h, kind);
        put_text(&mut h, extra);
        let mut any = false;
        for p in periods {
            put_text(&mut h, &p.code());
            match self.store.partition_digest(&self.regime, *p) {
                Some(d) => {
                    any = true;
                    h.update(&[1]);
                    h.update(&d);
                }
                None => {
                    h.update(&[0]);
                }
            }
        }
        any.then(|| h.finalize().to_hex().to_string())
    }

    /// The entry of `kind` for `period` when its key is `key`, else `compute`'s result, kept
    /// for the next run (when there is a key: see `key`).
    pub fn get_or<T: Serialize + DeserializeOwned>(
        &self,
        kind: &str,
        period: Period,
        key: Option<&str>,
        compute: impl FnOnce() -> T,
    ) -> T {
        let Some(key) = key else {
            return compute();
        };
        let path = self.path(kind, period);
        let kept = read_bounded(&path)
            .and_then(|bytes| serde_json::from_slice::<Entry<T>>(&bytes).ok())
            .filter(|e| e.key == key);
        if let Some(e) = kept {
            return e.value;
        }
        let value = compute();
        let entry = Entry {
            key: key.to_string(),
            value,
        };
        if let Ok(bytes) = serde_json::to_vec(&entry) {
            // Not kept when it cannot be written (see the module's note), and the folders made
            // for it are not left empty.
            if let Ok(made) = crate::output::made_dirs(&self.dir) {
                if crate::output::replace_unsynced(&path, &bytes).is_ok() {
                    made.keep();
                }
            }
        }
        entry.value
    }

    fn path(&self, kind: &str, period: Period) -> PathBuf {
        self.dir.join(format!("{kind}-{}.json", period.code()))
    }
}

/// The largest entry read: a receiver's figures are kilobytes (a matrix form's thousands of
/// cells, ~100 KB); a larger file there is not one this engine wrote, and is not read whole.
const MAX_ENTRY: u64 = 16 << 20;

/// An entry's bytes, when it is a file of at most `MAX_ENTRY` bytes.
fn read_bounded(path: &std::path::Path) -> Option<Vec<u8>> {
    use std::io::Read;
    let file = std::fs::File::open(path).ok()?;
    let mut bytes = Vec::new();
    file.take(MAX_ENTRY + 1).read_to_end(&mut bytes).ok()?;
    (bytes.len() as u64 <= MAX_ENTRY).then_some(bytes)
}

/// A text into a key: its length, then its bytes.
fn put_text(h: &mut blake3::Hasher, text: &str) {
    h.update(&(text.len() as u64).to_le_bytes());
    h.update(text.as_bytes());
}

/// This executable's size and modification time: a rebuilt engine (whose rules may differ)
/// does not take an older build's entries.
fn build_identity() -> Option<String> {
    let meta = std::fs::metadata(std::env::current_exe().ok()?).ok()?;
    let modified = meta
        .modified()
        .ok()?
        .duration_since(std::time::UNIX_EPOCH)
        .ok()?;
    Some(format!("{} {}", meta.len(), modified.as_nanos()))
}

/// A figure as an entry keeps it: its bits, so that it comes back exactly (NaN, -0 included).
pub fn bits(v: Option<f64>) -> Option<u64> {
    v.map(f64::to_bits)
}

/// A figure kept by `bits`.
pub fn from_bits(b: Option<u64>) -> Option<f64> {
    b.map(f64::from_bits)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::cell::Cell;

    fn config() -> Config {
        Config::load(&std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("samples")).unwrap()
    }

    /// A partition file with `bytes` (the cache reads its bytes, not its rows).
    fn partition(store: &Store, period: &str, bytes: &[u8]) {
        let dir = store.dir.join(format!("regime=ktxh/period={period}"));
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("data.parquet"), bytes).unwrap();
    }

    #[test]
    fn an_entry_is_used_until_a_partition_it_was_computed_from_changes() {
        let tmp = tempfile::tempdir().unwrap();
        let store = Store::new(tmp.path());
        let config = config();
        let regime = config.regime("ktxh").unwrap();
        let cache = PastCache::open(&store, &config, regime).unwrap();
        let (sep, aug): (Period, Period) = ("2026-09".parse().unwrap(), "2026-08".parse().unwrap());
        let computed = Cell::new(0);
        let get = |value: f64| {
            let key = cache.key("thu", "", &[aug, sep]);
            cache.get_or("thu", sep, key.as_deref(), || {
                computed.set(computed.get() + 1);
                vec![bits(Some(value)), None]
            })
        };
        // No partition: nothing to key on, nothing kept.
        assert_eq!(get(1.0), vec![bits(Some(1.0)), None]);
        assert!(!store.dir.join(FOLDER).exists());
        partition(&store, "2026-09", b"a");
        // Computed once, then read back: the second compute would have given 3.
        assert_eq!(get(2.5), vec![bits(Some(2.5)), None]);
        assert_eq!(get(3.0), vec![bits(Some(2.5)), None]);
        // Readable by the store's other users, as its partitions are.
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let entry = store.dir.join(FOLDER).join("ktxh/thu-2026-09.json");
            let mode = std::fs::metadata(entry).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o644);
        }
        assert_eq!(computed.get(), 2);
        // A partition appears or changes: computed again, and that entry kept.
        partition(&store, "2026-08", b"b");
        assert_eq!(get(4.0), vec![bits(Some(4.0)), None]);
        partition(&store, "2026-09", b"c");
        assert_eq!(get(-0.0), vec![bits(Some(-0.0)), None]);
        assert_eq!(get(5.0), vec![bits(Some(-0.0)), None]);
        assert_eq!(computed.get(), 4);
        // One file per kind and period, replaced.
        let files: Vec<_> = std::fs::read_dir(store.dir.join(FOLDER).join("ktxh"))
            .unwrap()
            .flatten()
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .collect();
        assert_eq!(files, ["thu-2026-09.json"]);
        // Another kind, or the same kind for other cells (`extra`), has its own key.
        let key = |kind: &str, extra: &str| cache.key(kind, extra, &[aug, sep]).unwrap();
        assert_ne!(key("thu", ""), key("khac", ""));
        assert_ne!(key("thu", ""), key("thu", "NS04"));
    }

    #[test]
    fn an_entry_that_cannot_be_read_or_written_is_computed() {
        let tmp = tempfile::tempdir().unwrap();
        let store = Store::new(tmp.path());
        let config = config();
        let regime = config.regime("ktxh").unwrap();
        let cache = PastCache::open(&store, &config, regime).unwrap();
        let sep: Period = "2026-09".parse().unwrap();
        partition(&store, "2026-09", b"a");
        let key = cache.key("thu", "", &[sep]);
        assert_eq!(cache.get_or("thu", sep, key.as_deref(), || 7u32), 7);
        // Damaged (a half-copied store): computed again, and replaced.
        let file = store.dir.join(FOLDER).join("ktxh/thu-2026-09.json");
        std::fs::write(&file, b"{\"key\":").unwrap();
        assert_eq!(cache.get_or("thu", sep, key.as_deref(), || 8u32), 8);
        assert_eq!(cache.get_or("thu", sep, key.as_deref(), || 9u32), 8);
        // Too large to be an entry: not read whole, computed again.
        let mut big = format!("{{\"key\":\"{}\",\"value\":8", key.as_deref().unwrap());
        big.push_str(&" ".repeat(MAX_ENTRY as usize));
        big.push('}');
        std::fs::write(&file, big).unwrap();
        assert_eq!(cache.get_or("thu", sep, key.as_deref(), || 13u32), 13);
        assert!(std::fs::metadata(&file).unwrap().len() < 100);
        // A value of another shape under the right key: computed, not a panic.
        let other = format!(
            "{{\"key\":\"{}\",\"value\":\"tám\"}}",
            key.as_deref().unwrap()
        );
        std::fs::write(&file, other).unwrap();
        assert_eq!(cache.get_or("thu", sep, key.as_deref(), || 10u32), 10);
        // The folder cannot be made (a file is in its way): computed each time, nothing kept.
        std::fs::remove_dir_all(store.dir.join(FOLDER)).unwrap();
        std::fs::write(store.dir.join(FOLDER), b"").unwrap();
        assert_eq!(cache.get_or("thu", sep, key.as_deref(), || 11u32), 11);
        assert_eq!(cache.get_or("thu", sep, key.as_deref(), || 12u32), 12);
    }

    /// `from` copied into `to`, folders and all.
    fn copy_tree(from: &std::path::Path, to: &std::path::Path) {
        std::fs::create_dir_all(to).unwrap();
        for e in std::fs::read_dir(from).unwrap().flatten() {
            let target = to.join(e.file_name());
            if e.path().is_dir() {
                copy_tree(&e.path(), &target);
            } else {
                std::fs::copy(e.path(), target).unwrap();
            }
        }
    }

    #[test]
    fn the_configuration_and_the_period_are_part_of_the_key() {
        let tmp = tempfile::tempdir().unwrap();
        let root = tmp.path().join("root");
        copy_tree(
            &std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("samples"),
            &root,
        );
        let config = Config::load(&root).unwrap();
        let regime = config.regime("ktxh").unwrap();
        let store = Store::new(tmp.path().join("store"));
        partition(&store, "2026-09", b"a");
        partition(&store, "2026-08", b"a");
        let (sep, aug): (Period, Period) = ("2026-09".parse().unwrap(), "2026-08".parse().unwrap());
        let key = || {
            PastCache::open(&store, &config, regime)
                .unwrap()
                .key("thu", "", &[sep])
                .unwrap()
        };
        let before = key();
        // A unit renamed in units.toml: another key; named back: the same key again.
        let units = std::fs::read_to_string(root.join("units.toml")).unwrap();
        assert!(units.contains("Tân Phú"));
        std::fs::write(root.join("units.toml"), units.replace("Tân Phú", "Tấn Phú")).unwrap();
        assert_ne!(key(), before);
        std::fs::write(root.join("units.toml"), &units).unwrap();
        assert_eq!(key(), before);
        // Two periods with the same bytes are still two keys.
        let cache = PastCache::open(&store, &config, regime).unwrap();
        assert_ne!(cache.key("thu", "", &[aug]), cache.key("thu", "", &[sep]));
    }
}

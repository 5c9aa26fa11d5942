//! Reading limits: how large an input may be before a reader allocates for it (`ingest`
//! checks them; `catalog` reads `limits.toml`).

use serde::Deserialize;

/// Reading limits. Every field has a default (`Limits::default`).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Limits {
    /// The largest input file, in bytes (64 MiB).
    pub file_bytes: u64,
    /// The largest inflated part of a zip-based workbook, in bytes (256 MiB).
    pub part_bytes: u64,
    /// All parts of one workbook inflated together, in bytes (512 MiB).
    pub workbook_bytes: u64,
    /// The most shared strings a workbook may declare (1,000,000).
    pub shared_strings: u64,
    /// The most cells holding a value one sheet may have (2,000,000).
    pub cells: u64,
    /// Rows and columns read from a sheet: cells beyond are left out with a warning (the form's
    /// table is near the top left). 10,000 rows, 256 columns.
    pub rows: u32,
    pub columns: u32,
    /// The most data rows of a CSV file (2,000,000), and the longest field, in bytes (32 KiB).
    pub csv_rows: u64,
    pub csv_field_bytes: u64,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            file_bytes: 64 << 20,
            part_bytes: 256 << 20,
            workbook_bytes: 512 << 20,
            shared_strings: 1_000_000,
            cells: 2_000_000,
            rows: 10_000,
            columns: 256,
            csv_rows: 2_000_000,
            csv_field_bytes: 32 << 10,
        }
    }
}

/// Excel's own limits: a reference beyond them is not a cell.
pub const EXCEL_ROWS: u32 = 1_048_576;
pub const EXCEL_COLUMNS: u32 = 16_384;

//! `baocao regime …`: working on a regime's config. `draft` reads an official Excel form and
//! writes a draft config reproducing it (the work is in `crate::draft`); needs no config root.

use std::path::PathBuf;

use clap::Subcommand;

use super::{CliError, CliResult, EXIT_OK};
use crate::catalog::library::Library;
use crate::draft::{draft_config, DraftError};

#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(subcommand)]
    pub command: RegimeCommand,
}

#[derive(Debug, Subcommand)]
pub enum RegimeCommand {
    /// Soạn bản nháp cấu hình chế độ báo cáo từ biểu mẫu Excel ban hành (các việc cần quyết định ghi TODO).
    Draft(DraftArgs),
    /// Các chế độ báo cáo của thư viện: căn cứ pháp lý, biểu mẫu, phiên bản, kỳ báo cáo.
    List(ListArgs),
    /// Chép một chế độ của thư viện và các danh mục chỉ tiêu nó cần vào thư mục cấu hình (không ghi đè tệp văn phòng đã sửa).
    Add(AddArgs),
    /// Văn phòng đã sửa gì so với thư viện, và thư viện đã đổi gì từ khi thêm.
    Diff(AddArgs),
}

#[derive(Debug, clap::Args)]
pub struct AddArgs {
    /// Mã chế độ báo cáo trong thư viện (xem baocao regime list).
    pub id: String,
    /// Thư viện trên đĩa; mặc định: thư viện có sẵn trong baocao.
    #[arg(long)]
    pub library: Option<PathBuf>,
}

#[derive(Debug, clap::Args)]
pub struct ListArgs {
    /// Thư viện trên đĩa (thư mục có report-templates/ và indicators/); mặc định: thư viện có sẵn trong baocao.
    #[arg(long)]
    pub library: Option<PathBuf>,
}

#[derive(Debug, clap::Args)]
pub struct DraftArgs {
    /// Tệp biểu mẫu Excel (.xlsx hoặc .xls) ban hành kèm văn bản.
    pub form: PathBuf,
    /// Mã chế độ báo cáo (tên thư mục report-templates/<mã>), ví dụ tcd.
    #[arg(long)]
    pub id: String,
    /// Thư mục cấu hình ghi bản nháp vào (tạo nếu chưa có).
    #[arg(long)]
    pub out: PathBuf,
    /// Trang tính chứa biểu (mặc định: trang đầu tiên có bảng).
    #[arg(long)]
    pub sheet: Option<String>,
    /// Ghi đè regime.toml, danh mục chỉ tiêu và đề cương đã có của chế độ này.
    #[arg(long)]
    pub force: bool,
}

/// `root`: the office's config root (`--root`, before or after the subcommand).
pub fn run(args: Args, root: &std::path::Path) -> CliResult {
    match args.command {
        RegimeCommand::Draft(a) => draft(a),
        RegimeCommand::List(a) => list(a),
        RegimeCommand::Add(a) => add(a, root),
        RegimeCommand::Diff(a) => diff(a, root),
    }
}

fn add(a: AddArgs, root: &std::path::Path) -> CliResult {
    use crate::catalog::office::{self, Added};
    let lib = library_of(a.library)?;
    let done = office::add(&lib, &a.id, root)?;
    println!(
        "Chế độ \"{}\" ({}) vào thư mục cấu hình {}:",
        a.id,
        lib.describe(),
        root.display()
    );
    for (file, what) in &done {
        let said = match what {
            Added::Written => "đã chép",
            Added::Same => "đã có, giống thư viện",
            Added::Updated => "văn phòng chưa sửa: đã cập nhật theo thư viện",
            Added::Kept => "đã có và văn phòng đã sửa: giữ nguyên (xem baocao regime diff)",
        };
        println!("  {file}: {said}");
    }
    let todos: Vec<_> = crate::catalog::todo::todos(root)
        .into_iter()
        .filter(|t| done.iter().any(|(f, _)| t.file == *f))
        .collect();
    let no_units = !root.join("units.toml").is_file();
    if no_units || !todos.is_empty() {
        println!("Việc văn phòng phải làm:");
    } else {
        println!("Không còn việc cần quyết định (TODO) trong các tệp của chế độ.");
    }
    if no_units {
        println!("  tạo units.toml: các cấp và đơn vị của văn phòng (xem docs/configuration.md)");
    }
    for t in &todos {
        println!("  {} › dòng {}: {}", t.file, t.line, t.text);
    }
    println!("Rồi chạy: baocao --root {} check-config", root.display());
    Ok(EXIT_OK)
}

fn diff(a: AddArgs, root: &std::path::Path) -> CliResult {
    let lib = library_of(a.library)?;
    if !lib.has(&format!("report-templates/{}/regime.toml", a.id)) {
        return Err(CliError::Usage(format!(
            "{} không có chế độ báo cáo \"{}\".",
            lib.describe(),
            a.id
        )));
    }
    if !root.join("report-templates").join(&a.id).is_dir() {
        return Err(CliError::Usage(format!(
            "Thư mục cấu hình {} chưa có chế độ \"{}\" (report-templates/{}/): thêm bằng baocao regime add {} --root {}.",
            root.display(), a.id, a.id, a.id, root.display()
        )));
    }
    let diffs = crate::catalog::office::diff(&lib, &a.id, root);
    if diffs.is_empty() {
        println!(
            "Chế độ \"{}\" trong {} giống hệt {}.",
            a.id,
            root.display(),
            lib.describe()
        );
        return Ok(EXIT_OK);
    }
    if diffs.iter().all(|d| d.library.is_empty()) {
        println!(
            "Thư viện ({}) không đổi từ khi thêm; các tệp văn phòng đã sửa:",
            lib.describe()
        );
    }
    for d in diffs {
        println!("== {}", d.file);
        if d.missing {
            println!("  (văn phòng không có tệp này: dùng bản của thư viện hoặc chưa thêm)");
        }
        if !d.office.is_empty() {
            println!("-- Văn phòng đã sửa:");
            print!("{}", d.office);
        }
        if !d.library.is_empty() {
            println!("-- Thư viện đã đổi từ khi thêm:");
            print!("{}", d.library);
        }
    }
    Ok(EXIT_OK)
}

fn library_of(path: Option<PathBuf>) -> Result<Library, CliError> {
    match path {
        None => Ok(Library::Builtin),
        Some(p) if p.join("report-templates").is_dir() => Ok(Library::Folder(p)),
        Some(p) => Err(CliError::Usage(format!(
            "{} không phải thư viện chế độ báo cáo: không có thư mục report-templates/ trong đó.",
            p.display()
        ))),
    }
}

fn list(a: ListArgs) -> CliResult {
    let lib = library_of(a.library)?;
    let regimes = lib.regimes();
    println!(
        "Các chế độ báo cáo của {} ({}):",
        lib.describe(),
        regimes.len()
    );
    let mut broken = false;
    for r in regimes {
        match r {
            Ok(e) => {
                let every: Vec<&str> = e.frequencies.iter().map(|f| f.label()).collect();
                println!(
                    "  {:<6} {} — {}, phiên bản {}; {}",
                    e.id,
                    e.name,
                    e.form,
                    e.version,
                    every.join(", ")
                );
                println!("         Căn cứ: {}", e.legal_basis);
            }
            Err(why) => {
                broken = true;
                println!("  (lỗi) {why}");
            }
        }
    }
    println!("Thêm một chế độ vào thư mục cấu hình của văn phòng: baocao regime add <mã> --root <thư mục>.");
    Ok(crate::exit::of_findings(broken))
}

fn draft(a: DraftArgs) -> CliResult {
    let written =
        draft_config(&a.form, &a.id, &a.out, a.sheet.as_deref(), a.force).map_err(|e| match e {
            DraftError::Usage(m) => CliError::Usage(m),
            DraftError::Io(f) => CliError::Machine(f),
        })?;
    let (d, f) = (&written.draft, &written.form);
    println!(
        "Đã soạn bản nháp chế độ báo cáo \"{}\" từ {} (trang \"{}\"):",
        a.id, f.source, f.sheet
    );
    for (rel, _) in &d.files {
        println!("  {}", a.out.join(rel).display());
    }
    println!(
        "  {} dòng, {} cột số liệu, {} việc cần quyết định (TODO).",
        d.rows, d.columns, d.todos
    );
    println!(
        "Bước tiếp theo: baocao --root {} check-config, sửa các dòng TODO, rồi baocao --root {} form --regime {} --period <kỳ> --out <thư mục>.",
        a.out.display(),
        a.out.display(),
        a.id
    );
    Ok(EXIT_OK)
}

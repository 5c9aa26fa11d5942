//! `baocao sign DIR --key KEY.pem --cert CERT.pem [--chain CHAIN.pem]`
//! `baocao sign DIR --pkcs11-module LIB --token LABEL --key-label K [--cert CERT.pem]`
//! `baocao verify DIR [--ca CA.pem]`
//!
//! Signs a run's output folder (`manifest.json.p7s`, see `sign`) and checks one. Secrets never
//! come from the command line: the key's passphrase from `BAOCAO_KEY_PASSPHRASE`, the token's
//! PIN from `BAOCAO_TOKEN_PIN`, or else asked on the terminal.

use std::io::IsTerminal;
use std::path::{Path, PathBuf};

use super::{CliError, CliResult, Format, EXIT_FINDINGS, EXIT_OK};
use crate::output::names::SIGNATURE;
use crate::sign::keys::{needs_passphrase, KeySource};
use crate::sign::{read_certificates, verify_dir, Signer};

/// The environment variable holding the key file's passphrase.
pub const PASSPHRASE_VAR: &str = "BAOCAO_KEY_PASSPHRASE";
/// The environment variable holding the token's PIN.
pub const PIN_VAR: &str = "BAOCAO_TOKEN_PIN";

/// Where the signing key is: a PEM file, or a PKCS#11 token.
#[derive(Debug, Clone, clap::Args)]
pub struct KeyArgs {
    /// Khóa riêng PEM (PKCS#8, có thể mã hóa; hoặc PKCS#1 RSA, SEC1 EC). Mật khẩu lấy từ biến
    /// môi trường BAOCAO_KEY_PASSPHRASE hoặc được hỏi trên màn hình, không bao giờ trên dòng lệnh.
    #[arg(long, conflicts_with = "pkcs11_module")]
    pub key: Option<PathBuf>,
    /// Chứng thư số của người ký (PEM). Với token: mặc định là chứng thư trên token cùng nhãn với khóa.
    #[arg(long)]
    pub cert: Option<PathBuf>,
    /// Các chứng thư trung gian (PEM), đưa vào chữ ký.
    #[arg(long)]
    pub chain: Option<PathBuf>,
    /// Thư viện PKCS#11 của thiết bị ký (USB e-Token, SoftHSM), ví dụ /usr/lib/softhsm/libsofthsm2.so.
    #[arg(long, requires_all = ["token", "key_label"])]
    pub pkcs11_module: Option<PathBuf>,
    /// Nhãn của token. Mã PIN lấy từ biến môi trường BAOCAO_TOKEN_PIN hoặc được hỏi trên màn hình.
    #[arg(long, requires = "pkcs11_module")]
    pub token: Option<String>,
    /// Nhãn của khóa trên token.
    #[arg(long, requires = "pkcs11_module")]
    pub key_label: Option<String>,
}

#[derive(Debug, clap::Args)]
pub struct SignArgs {
    /// Thư mục kết quả của một kỳ (out/<chế độ>/<kỳ>).
    pub dir: PathBuf,
    #[command(flatten)]
    pub key: KeyArgs,
}

#[derive(Debug, clap::Args)]
pub struct VerifyArgs {
    /// Thư mục kết quả của một kỳ (out/<chế độ>/<kỳ>).
    pub dir: PathBuf,
    /// Chứng thư gốc tin cậy (PEM, có thể nhiều chứng thư): chuỗi chứng thư của người ký phải dẫn tới đây.
    #[arg(long)]
    pub ca: Option<PathBuf>,
    /// Dạng kết quả: table hoặc json.
    #[arg(long, value_enum, default_value = "table")]
    pub format: Format,
}

/// A secret from `var`, or asked on the terminal; never from the command line.
fn secret(var: &str, prompt: &str) -> Result<String, CliError> {
    if let Ok(v) = std::env::var(var) {
        return Ok(v);
    }
    if std::io::stdin().is_terminal() {
        return rpassword::prompt_password(prompt)
            .map_err(|e| CliError::Usage(format!("không đọc được từ màn hình: {e}")));
    }
    Err(CliError::Usage(format!(
        "cần {prompt_name}: đặt biến môi trường {var} (lệnh chạy không có màn hình để hỏi)",
        prompt_name = prompt.trim_end_matches(": ").to_lowercase()
    )))
}

impl KeyArgs {
    /// Opens the key (asking for the passphrase or PIN as needed) with its certificates.
    pub fn signer(&self) -> Result<Signer, CliError> {
        let source = match (&self.key, &self.pkcs11_module) {
            (Some(path), _) => KeySource::File {
                path: path.clone(),
                passphrase: if needs_passphrase(path) {
                    Some(secret(PASSPHRASE_VAR, "Mật khẩu của khóa: ")?)
                } else {
                    None
                },
            },
            (None, Some(module)) => KeySource::Pkcs11 {
                module: module.clone(),
                token: self.token.clone().unwrap_or_default(),
                key_label: self.key_label.clone().unwrap_or_default(),
                pin: secret(PIN_VAR, "Mã PIN của token: ")?,
            },
            (None, None) => {
                return Err(CliError::Usage(
                    "cần khóa ký: --key KEY.pem --cert CERT.pem, hoặc --pkcs11-module LIB --token NHÃN --key-label NHÃN".to_string(),
                ))
            }
        };
        if self.key.is_some() && self.cert.is_none() {
            return Err(CliError::Usage(
                "cần chứng thư số của người ký: --cert CERT.pem".to_string(),
            ));
        }
        Signer::open(&source, self.cert.as_deref(), self.chain.as_deref()).map_err(CliError::Usage)
    }
}

/// Signs `dir` and says so (on stderr when stdout carries JSON).
pub fn sign_and_say(signer: &Signer, dir: &Path, json: bool) -> Result<(), CliError> {
    let out = signer.sign_dir(dir, chrono::Utc::now())?;
    let line = format!("Đã ký {} ({}).", out.display(), signer.subject());
    if json {
        eprintln!("{line}");
    } else {
        println!("{line}");
    }
    Ok(())
}

pub fn sign(args: SignArgs) -> CliResult {
    if !args.dir.is_dir() {
        return Err(CliError::Usage(format!(
            "không có thư mục {}",
            args.dir.display()
        )));
    }
    let signer = args.key.signer()?;
    sign_and_say(&signer, &args.dir, false)?;
    Ok(EXIT_OK)
}

pub fn verify(args: VerifyArgs) -> CliResult {
    if !args.dir.is_dir() {
        return Err(CliError::Usage(format!(
            "không có thư mục {}",
            args.dir.display()
        )));
    }
    let ca = match &args.ca {
        Some(path) => Some(read_certificates(path).map_err(CliError::Usage)?),
        None => None,
    };
    let v = verify_dir(&args.dir, ca.as_deref());
    let code = if v.ok() { EXIT_OK } else { EXIT_FINDINGS };
    match args.format {
        Format::Json => {
            let diags: Vec<serde_json::Value> = v
                .diagnostics
                .iter()
                .map(|d| {
                    serde_json::json!({
                        "code": d.code,
                        "severity": d.severity,
                        "file": d.location.file,
                        "message": d.message,
                    })
                })
                .collect();
            println!(
                "{}",
                crate::output::json(&serde_json::json!({
                    "dir": args.dir.display().to_string(),
                    "signed": v.signer.is_some(),
                    "signer": v.signer,
                    "signing_time": v.signing_time.map(|t| t.to_rfc3339()),
                    "trusted": v.trusted,
                    "intact": v.intact,
                    "diagnostics": diags,
                    "exit_code": code,
                }))
            );
        }
        _ => {
            println!("Kiểm tra {}", args.dir.display());
            match &v.signer {
                Some(s) => println!(
                    "  Chữ ký {SIGNATURE}: đúng, người ký \"{s}\"{}{}",
                    v.signing_time
                        .map(|t| format!(
                            ", ký lúc {}",
                            t.with_timezone(&chrono::Local)
                                .format("%H:%M ngày %d/%m/%Y")
                        ))
                        .unwrap_or_default(),
                    if v.trusted {
                        ", chuỗi chứng thư dẫn tới CA tin cậy"
                    } else {
                        ""
                    }
                ),
                None => println!("  Chữ ký: không có hoặc không hợp lệ"),
            }
            println!("  Tệp khớp bảng kê: {}", v.intact.len());
            for d in &v.diagnostics {
                println!("{}", d.line());
            }
            println!(
                "{}",
                if v.ok() {
                    "Kết luận: bộ kết quả nguyên vẹn."
                } else {
                    "Kết luận: bộ kết quả KHÔNG nguyên vẹn hoặc không được tin, xem các lỗi trên."
                }
            );
        }
    }
    Ok(code)
}

//! End-to-end: `baocao sign` / `run --sign` and `baocao verify` on a sample run, with a
//! throwaway CA made here by the `openssl` command line; the signature is checked by
//! `openssl cms -verify` as a receiver without baocao would. The token case uses SoftHSM2
//! (`.ci/run` installs `softhsm2`; elsewhere it is skipped when missing).

mod common;
use std::path::{Path, PathBuf};
use std::process::Command;

use common::*;

fn openssl(dir: &Path, args: &[&str]) {
    let out = Command::new("openssl")
        .current_dir(dir)
        .args(args)
        .output()
        .expect("openssl");
    assert!(
        out.status.success(),
        "openssl {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A root CA, an intermediate CA and a signer certificate in `dir`: `ca.pem`, `inter.pem`,
/// `signer.pem`, `signer.key` (PKCS#8, unencrypted). `key` is `rsa:2048` or `ec`.
fn pki(dir: &Path, key: &str) {
    std::fs::create_dir_all(dir).unwrap();
    std::fs::write(
        dir.join("ca.cnf"),
        "basicConstraints=critical,CA:TRUE\nkeyUsage=critical,keyCertSign,cRLSign\n",
    )
    .unwrap();
    std::fs::write(
        dir.join("leaf.cnf"),
        "basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature,nonRepudiation\n",
    )
    .unwrap();
    let newkey: Vec<&str> = if key == "ec" {
        vec!["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256"]
    } else {
        vec!["-newkey", key]
    };
    let req = |name: &str, subj: &str| {
        let mut a = vec!["req"];
        a.extend(&newkey);
        let keyout = format!("{name}.key");
        let csr = format!("{name}.csr");
        a.extend(["-nodes", "-keyout", &keyout, "-out", &csr, "-subj", subj]);
        openssl(dir, &a);
    };
    let mut root = vec!["req", "-x509"];
    root.extend(&newkey);
    root.extend([
        "-nodes",
        "-keyout",
        "ca.key",
        "-out",
        "ca.pem",
        "-days",
        "30",
        "-subj",
        "/CN=CA thu nghiem baocao",
        "-addext",
        "basicConstraints=critical,CA:TRUE",
        "-addext",
        "keyUsage=critical,keyCertSign,cRLSign",
    ]);
    openssl(dir, &root);
    let issue = |name: &str, ca: &str, serial: &str, ext: &str| {
        openssl(
            dir,
            &[
                "x509",
                "-req",
                "-in",
                &format!("{name}.csr"),
                "-CA",
                &format!("{ca}.pem"),
                "-CAkey",
                &format!("{ca}.key"),
                "-set_serial",
                serial,
                "-days",
                "30",
                "-extfile",
                ext,
                "-out",
                &format!("{name}.pem"),
            ],
        )
    };
    req("inter", "/CN=CA trung gian");
    issue("inter", "ca", "2", "ca.cnf");
    req("signer", "/O=UBND tinh An Lac/CN=So Tai chinh");
    issue("signer", "inter", "3", "leaf.cnf");
}

/// The samples' ktxh October run into `out` as of 22/11/2026; returns its folder.
fn october(out: &Path, extra: &[&str], env: &[(&str, &str)]) -> (PathBuf, i32, String) {
    october_as_of(out, "2026-11-22", extra, env)
}

/// The samples' ktxh October run into `out` as of `as_of`; returns its folder.
fn october_as_of(
    out: &Path,
    as_of: &str,
    extra: &[&str],
    env: &[(&str, &str)],
) -> (PathBuf, i32, String) {
    let samples = samples();
    let inbox = samples.join("inbox/ktxh");
    let mut args = vec![
        "--root",
        s(&samples),
        "run",
        "--regime",
        "ktxh",
        "--period",
        "2026-10",
        "--inbox",
        s(&inbox),
        "--out",
        s(out),
        "--as-of",
        as_of,
        "--no-history",
        "-q",
    ];
    args.extend(extra);
    let (code, said) = baocao_env(&args, env);
    (out.join("ktxh/2026-10"), code, said)
}

fn baocao_env(args: &[&str], env: &[(&str, &str)]) -> (i32, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_baocao"))
        .args(args)
        .env_remove("BAOCAO_KEY_PASSPHRASE")
        .env_remove("BAOCAO_TOKEN_PIN")
        .envs(env.iter().copied())
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ),
    )
}

/// `openssl cms -verify` of the detached signature, trusting `ca`.
fn openssl_verifies(dir: &Path, ca: &Path) -> (bool, String) {
    command(
        "openssl",
        &[
            "cms",
            "-verify",
            "-binary",
            "-inform",
            "DER",
            "-in",
            s(&dir.join("manifest.json.p7s")),
            "-content",
            s(&dir.join("manifest.json")),
            "-CAfile",
            s(ca),
            "-purpose",
            "any",
            "-out",
            "/dev/null",
        ],
    )
}

/// `baocao verify DIR [--ca CA] --format json`: (exit code, report).
fn verify(dir: &Path, ca: Option<&Path>) -> (i32, serde_json::Value) {
    let mut args = vec!["verify", s(dir), "--format", "json"];
    if let Some(ca) = ca {
        args.extend(["--ca", s(ca)]);
    }
    let (code, said) = baocao_env(&args, &[]);
    let json = serde_json::from_str(&said).unwrap_or_else(|e| panic!("{e}: {said}"));
    (code, json)
}

/// (code, file) of every diagnostic of a verify report.
fn findings(report: &serde_json::Value) -> Vec<(String, String)> {
    report["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            (
                d["code"].as_str().unwrap().to_string(),
                d["file"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

#[test]
fn a_signed_output_set_verifies_with_openssl_and_baocao_and_each_tampering_is_named() {
    let t = tempfile::tempdir().unwrap();
    let pkis = t.path().join("pki");
    pki(&pkis, "rsa:2048");
    let (dir, code, said) = october(&t.path().join("out"), &[], &[]);
    assert_eq!(code, 1, "{said}");

    // Unsigned: the hashes are checked, the set is said to be unsigned, and that is no error.
    let (code, report) = verify(&dir, None);
    assert_eq!(code, 0, "{report}");
    assert_eq!(
        findings(&report),
        [("BC1006".into(), "manifest.json".into())]
    );
    assert_eq!(report["intact"].as_array().unwrap().len(), 10);

    let (code, said) = baocao_env(
        &[
            "sign",
            s(&dir),
            "--key",
            s(&pkis.join("signer.key")),
            "--cert",
            s(&pkis.join("signer.pem")),
            "--chain",
            s(&pkis.join("inter.pem")),
        ],
        &[],
    );
    assert_eq!(code, 0, "{said}");
    assert!(said.contains("So Tai chinh"), "{said}");
    let (ok, said) = openssl_verifies(&dir, &pkis.join("ca.pem"));
    assert!(ok, "openssl cms -verify: {said}");

    let (code, report) = verify(&dir, Some(&pkis.join("ca.pem")));
    assert_eq!(code, 0, "{report}");
    assert_eq!(report["trusted"], true);
    assert!(findings(&report).is_empty(), "{report}");
    assert!(report["signer"]
        .as_str()
        .unwrap()
        .contains("CN=So Tai chinh"));
    // Without --ca the signature is right but the chain unchecked: a warning.
    let (code, report) = verify(&dir, None);
    assert_eq!(code, 0);
    assert_eq!(
        findings(&report),
        [("BC1008".into(), "manifest.json.p7s".into())]
    );
    // Another CA is not trusted.
    let other = t.path().join("other");
    pki(&other, "rsa:2048");
    let (code, report) = verify(&dir, Some(&other.join("ca.pem")));
    assert_eq!(code, 1);
    assert_eq!(
        findings(&report),
        [("BC1005".into(), "manifest.json.p7s".into())]
    );

    // One byte of one output: that file is named, exit 1.
    let csv = dir.join("du-lieu.csv");
    let original = std::fs::read(&csv).unwrap();
    let mut bytes = original.clone();
    let at = bytes.iter().rposition(|b| b.is_ascii_digit()).unwrap();
    bytes[at] = if bytes[at] == b'9' {
        b'8'
    } else {
        bytes[at] + 1
    };
    std::fs::write(&csv, &bytes).unwrap();
    let (code, report) = verify(&dir, Some(&pkis.join("ca.pem")));
    assert_eq!(code, 1);
    assert_eq!(findings(&report), [("BC1001".into(), "du-lieu.csv".into())]);
    std::fs::write(&csv, &original).unwrap();

    // A missing output and a file added after the run.
    std::fs::rename(dir.join("bao-cao.md"), t.path().join("bao-cao.md")).unwrap();
    std::fs::write(dir.join("ghi-chu.txt"), "thêm vào").unwrap();
    let (code, report) = verify(&dir, Some(&pkis.join("ca.pem")));
    assert_eq!(code, 1);
    assert_eq!(
        findings(&report),
        [
            ("BC1002".into(), "bao-cao.md".into()),
            ("BC1003".into(), "ghi-chu.txt".into())
        ]
    );
    std::fs::rename(t.path().join("bao-cao.md"), dir.join("bao-cao.md")).unwrap();
    std::fs::remove_file(dir.join("ghi-chu.txt")).unwrap();

    // The manifest itself edited (a hash rewritten to match a changed file): the signature
    // no longer matches it, for baocao and for openssl.
    let manifest = dir.join("manifest.json");
    let text = std::fs::read_to_string(&manifest).unwrap();
    std::fs::write(&manifest, text.replace("\"files_read\"", "\"files_read\" ")).unwrap();
    let (code, report) = verify(&dir, Some(&pkis.join("ca.pem")));
    assert_eq!(code, 1);
    assert_eq!(
        findings(&report),
        [("BC1004".into(), "manifest.json.p7s".into())]
    );
    assert!(!openssl_verifies(&dir, &pkis.join("ca.pem")).0);
}

#[test]
fn run_sign_with_an_encrypted_ec_key_signs_and_a_rerun_with_new_outputs_drops_the_stale_signature()
{
    let t = tempfile::tempdir().unwrap();
    let pkis = t.path().join("pki");
    pki(&pkis, "ec");
    openssl(
        &pkis,
        &[
            "pkcs8",
            "-topk8",
            "-v2",
            "aes-256-cbc",
            "-in",
            "signer.key",
            "-out",
            "signer-enc.key",
            "-passout",
            "pass:mat khau 2026",
        ],
    );
    let key = pkis.join("signer-enc.key");
    let cert = pkis.join("signer.pem");
    let chain = pkis.join("inter.pem");
    let sign_args = [
        "--sign",
        "--key",
        s(&key),
        "--cert",
        s(&cert),
        "--chain",
        s(&chain),
    ];
    let out = t.path().join("out");
    // No passphrase and no terminal: refused before anything is run.
    let (dir, code, said) = october(&out, &sign_args, &[]);
    assert_eq!(code, 2, "{said}");
    assert!(said.contains("BAOCAO_KEY_PASSPHRASE"), "{said}");
    assert!(!dir.join("manifest.json").exists());
    // A wrong passphrase: refused, nothing run.
    let (_, code, said) = october(&out, &sign_args, &[("BAOCAO_KEY_PASSPHRASE", "sai")]);
    assert_eq!(code, 2, "{said}");
    assert!(said.contains("sai mật khẩu"), "{said}");
    assert!(!dir.join("manifest.json").exists());

    let pass = [("BAOCAO_KEY_PASSPHRASE", "mat khau 2026")];
    let (dir, code, said) = october(&out, &sign_args, &pass);
    assert_eq!(code, 1, "the samples' findings: {said}");
    assert!(said.contains("Đã ký"), "{said}");
    assert!(openssl_verifies(&dir, &pkis.join("ca.pem")).0);
    let (code, report) = verify(&dir, Some(&pkis.join("ca.pem")));
    assert_eq!(code, 0, "{report}");

    // The same inputs again: the manifest is the same, the signature stays valid.
    let (_, _, said) = october(&out, &[], &[]);
    assert!(dir.join("manifest.json.p7s").exists(), "{said}");
    assert_eq!(verify(&dir, Some(&pkis.join("ca.pem"))).0, 0);
    // Another as-of date makes another manifest: the old signature is removed, not left to
    // fail, and the folder is said to be unsigned.
    let (_, code, said) = october_as_of(&out, "2026-11-25", &[], &[]);
    assert_eq!(code, 1, "{said}");
    assert!(!dir.join("manifest.json.p7s").exists());
    let (code, report) = verify(&dir, None);
    assert_eq!(code, 0);
    assert_eq!(
        findings(&report),
        [("BC1006".into(), "manifest.json".into())]
    );
}

#[test]
fn a_key_that_does_not_match_the_certificate_is_refused() {
    let t = tempfile::tempdir().unwrap();
    let (a, b) = (t.path().join("a"), t.path().join("b"));
    pki(&a, "rsa:2048");
    pki(&b, "rsa:2048");
    let (dir, _, _) = october(&t.path().join("out"), &[], &[]);
    let (code, said) = baocao_env(
        &[
            "sign",
            s(&dir),
            "--key",
            s(&a.join("signer.key")),
            "--cert",
            s(&b.join("signer.pem")),
        ],
        &[],
    );
    assert_eq!(code, 2, "{said}");
    assert!(said.contains("không khớp"), "{said}");
    assert!(!dir.join("manifest.json.p7s").exists());
    // A short RSA key is refused too.
    openssl(
        &a,
        &[
            "genpkey",
            "-algorithm",
            "RSA",
            "-pkeyopt",
            "rsa_keygen_bits:1024",
            "-out",
            "short.key",
        ],
    );
    let (code, said) = baocao_env(
        &[
            "sign",
            s(&dir),
            "--key",
            s(&a.join("short.key")),
            "--cert",
            s(&a.join("signer.pem")),
        ],
        &[],
    );
    assert_eq!(code, 2, "{said}");
    assert!(said.contains("1024 bit"), "{said}");
}

/// SoftHSM2's PKCS#11 module, where Debian puts it.
fn softhsm_module() -> Option<PathBuf> {
    [
        "/usr/lib/softhsm/libsofthsm2.so",
        "/usr/lib/x86_64-linux-gnu/softhsm/libsofthsm2.so",
        "/usr/lib/aarch64-linux-gnu/softhsm/libsofthsm2.so",
    ]
    .iter()
    .map(PathBuf::from)
    .find(|p| p.exists())
}

#[test]
fn a_key_held_in_softhsm_signs_through_pkcs11() {
    if !tool_or_skip(
        &["softhsm2-util", "--version"],
        "SoftHSM2 (apt-get install softhsm2)",
    ) {
        return;
    }
    // An RSA key (the token signs with CKM_SHA256_RSA_PKCS) and a P-256 key (CKM_ECDSA over
    // the digest, r ‖ s turned into DER).
    for kind in ["rsa:2048", "ec"] {
        token_signs(kind);
    }
}

fn token_signs(kind: &str) {
    let module = softhsm_module().expect("libsofthsm2.so beside softhsm2-util");
    let t = tempfile::tempdir().unwrap();
    let pkis = t.path().join("pki");
    pki(&pkis, kind);
    let tokens = t.path().join("tokens");
    std::fs::create_dir_all(&tokens).unwrap();
    let conf = t.path().join("softhsm2.conf");
    std::fs::write(
        &conf,
        format!(
            "directories.tokendir = {}\nobjectstore.backend = file\nlog.level = ERROR\n",
            tokens.display()
        ),
    )
    .unwrap();
    let hsm = |args: &[&str]| {
        let out = Command::new("softhsm2-util")
            .env("SOFTHSM2_CONF", &conf)
            .args(args)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "softhsm2-util {args:?}: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    };
    hsm(&[
        "--init-token",
        "--free",
        "--label",
        "baocao-thu",
        "--pin",
        "246810",
        "--so-pin",
        "13579111",
    ]);
    hsm(&[
        "--import",
        s(&pkis.join("signer.key")),
        "--token",
        "baocao-thu",
        "--label",
        "ky-so",
        "--id",
        "01",
        "--pin",
        "246810",
    ]);
    let conf_s = conf.to_str().unwrap();
    let (cert, chain) = (pkis.join("signer.pem"), pkis.join("inter.pem"));
    let token_args = [
        "--sign",
        "--pkcs11-module",
        s(&module),
        "--token",
        "baocao-thu",
        "--key-label",
        "ky-so",
        "--cert",
        s(&cert),
        "--chain",
        s(&chain),
    ];
    // A wrong PIN: refused before the run.
    let out = t.path().join("out");
    let (dir, code, said) = october(
        &out,
        &token_args,
        &[("SOFTHSM2_CONF", conf_s), ("BAOCAO_TOKEN_PIN", "000000")],
    );
    assert_eq!(code, 2, "{said}");
    assert!(said.contains("PIN"), "{said}");
    assert!(!dir.join("manifest.json").exists());

    let (dir, code, said) = october(
        &out,
        &token_args,
        &[("SOFTHSM2_CONF", conf_s), ("BAOCAO_TOKEN_PIN", "246810")],
    );
    assert_eq!(code, 1, "{said}");
    let (ok, said) = openssl_verifies(&dir, &pkis.join("ca.pem"));
    assert!(ok, "openssl cms -verify: {said}");
    let (code, report) = verify(&dir, Some(&pkis.join("ca.pem")));
    assert_eq!(code, 0, "{report}");
    assert_eq!(report["trusted"], true);

    let xlsx = dir.join("tong-hop.xlsx");
    let mut bytes = std::fs::read(&xlsx).unwrap();
    let last = bytes.len() - 1;
    bytes[last] ^= 1;
    std::fs::write(&xlsx, &bytes).unwrap();
    let (code, report) = verify(&dir, Some(&pkis.join("ca.pem")));
    assert_eq!(code, 1);
    assert_eq!(
        findings(&report),
        [("BC1001".into(), "tong-hop.xlsx".into())]
    );
}

//! The command line in Vietnamese: what clap itself prints (the headings of the help, the help
//! and version flags, default and accepted values, its errors for a mistyped command) is said
//! in Vietnamese, as the rest of the program is. An officer who types `--perod` reads what is
//! wrong and what was meant, not "error: unexpected argument".

use clap::error::{ContextKind, ContextValue, ErrorKind};
use clap::{Arg, ArgAction, Command};

/// The help's layout (clap's own, with its heading in Vietnamese).
const TEMPLATE: &str =
    "{before-help}{about-with-newline}\nCách dùng: {usage}\n\n{all-args}{after-help}";

/// `cmd` and all its subcommands with Vietnamese headings, help and version flags, and default
/// and accepted values written into each option's help.
pub fn vietnamese(cmd: Command) -> Command {
    let cmd = cmd
        .disable_help_subcommand(true)
        .disable_version_flag(true)
        .arg(
            Arg::new("version")
                .short('V')
                .long("version")
                .action(ArgAction::Version)
                .help("In phiên bản"),
        );
    localize(cmd)
}

fn localize(mut cmd: Command) -> Command {
    cmd = cmd
        .help_template(TEMPLATE)
        .subcommand_help_heading("Lệnh")
        .subcommand_value_name("LỆNH")
        .disable_help_flag(true)
        .arg(
            Arg::new("help")
                .short('h')
                .long("help")
                .action(ArgAction::Help)
                .help("In hướng dẫn này"),
        );
    let ids: Vec<clap::Id> = cmd.get_arguments().map(|a| a.get_id().clone()).collect();
    for id in ids {
        cmd = cmd.mut_arg(id, localize_arg);
    }
    let subcommands: Vec<String> = cmd
        .get_subcommands()
        .map(|c| c.get_name().to_string())
        .collect();
    for name in subcommands {
        cmd = cmd.mut_subcommand(name, localize);
    }
    cmd
}

/// An argument under a Vietnamese heading, its default and accepted values in its help.
fn localize_arg(arg: Arg) -> Arg {
    let heading = if arg.is_positional() {
        "Tham số"
    } else {
        "Tùy chọn"
    };
    let mut arg = arg.help_heading(heading);
    let mut extra = String::new();
    if arg.get_action().takes_values() {
        let possible: Vec<String> = arg
            .get_possible_values()
            .iter()
            .filter(|v| !v.is_hide_set())
            .map(|v| v.get_name().to_string())
            .collect();
        if !possible.is_empty() && !arg.is_hide_possible_values_set() {
            extra.push_str(&format!(" [giá trị: {}]", possible.join(", ")));
            arg = arg.hide_possible_values(true);
        }
        let defaults: Vec<String> = arg
            .get_default_values()
            .iter()
            .map(|v| v.to_string_lossy().into_owned())
            .collect();
        if !defaults.is_empty() && !arg.is_hide_default_value_set() {
            extra.push_str(&format!(" [mặc định: {}]", defaults.join(", ")));
            arg = arg.hide_default_value(true);
        }
    }
    if extra.is_empty() {
        return arg;
    }
    let help = arg.get_help().map(ToString::to_string).unwrap_or_default();
    arg.help(format!("{help}{extra}"))
}

/// `baocao help run` as `baocao run --help` (the help subcommand is clap's, in English).
pub fn help_as_flag(mut args: Vec<std::ffi::OsString>) -> Vec<std::ffi::OsString> {
    if args.get(1).is_some_and(|a| a == "help") {
        args.remove(1);
        args.push("--help".into());
    }
    args
}

/// The (sub)command `args` name: `baocao regime draft` of `baocao --root x regime draft …`.
pub fn command_named(cmd: &Command, args: &[std::ffi::OsString]) -> String {
    let mut named = vec![cmd.get_name().to_string()];
    let mut at = cmd;
    for a in args.iter().skip(1) {
        let Some(sub) = a.to_str().and_then(|a| at.find_subcommand(a)) else {
            continue;
        };
        named.push(sub.get_name().to_string());
        at = sub;
    }
    named.join(" ")
}

/// What to print for a parse that did not give a command of `command` (`command_named`), and
/// whether on standard error (a mistake, exit 2) or not (the help, the version).
pub fn said(e: &clap::Error, command: &str) -> (String, bool) {
    match e.kind() {
        ErrorKind::DisplayHelp | ErrorKind::DisplayVersion => {
            (words(&e.render().to_string()), false)
        }
        ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand => {
            (words(&e.render().to_string()), true)
        }
        _ => (mistake(e, command), true),
    }
}

/// clap's few English words in a help or usage line.
fn words(text: &str) -> String {
    text.replace("Usage:", "Cách dùng:")
        .replace("[OPTIONS]", "[TÙY CHỌN]")
        .replace("<COMMAND>", "<LỆNH>")
}

/// A mistyped command line said in Vietnamese: what is wrong, what was likely meant, the
/// usage line and where the full help is.
fn mistake(e: &clap::Error, command: &str) -> String {
    let get = |k: ContextKind| e.get(k).map(ToString::to_string).unwrap_or_default();
    let arg = get(ContextKind::InvalidArg);
    let value = get(ContextKind::InvalidValue);
    let what = match e.kind() {
        ErrorKind::InvalidSubcommand => {
            format!("không có lệnh \"{}\"", get(ContextKind::InvalidSubcommand))
        }
        ErrorKind::UnknownArgument => format!("không có tùy chọn \"{arg}\""),
        ErrorKind::InvalidValue if value.is_empty() => format!("{arg} cần một giá trị"),
        ErrorKind::InvalidValue => format!("giá trị \"{value}\" không hợp lệ cho {arg}"),
        ErrorKind::ValueValidation => {
            let why = std::error::Error::source(e)
                .map(|s| format!(": {s}"))
                .unwrap_or_default();
            format!("giá trị \"{value}\" không hợp lệ cho {arg}{why}")
        }
        ErrorKind::MissingRequiredArgument => format!("thiếu {arg}"),
        ErrorKind::MissingSubcommand => "thiếu lệnh".to_string(),
        ErrorKind::ArgumentConflict => {
            format!("{arg} không dùng cùng {}", get(ContextKind::PriorArg))
        }
        ErrorKind::TooManyValues | ErrorKind::TooFewValues | ErrorKind::WrongNumberOfValues => {
            format!("số giá trị của {arg} không đúng")
        }
        ErrorKind::NoEquals => format!("{arg} cần dấu = trước giá trị"),
        ErrorKind::InvalidUtf8 => "dòng lệnh có ký tự không phải UTF-8".to_string(),
        _ => clap_line(e),
    };
    let mut text = format!("Lỗi cú pháp lệnh: {what}");
    let quoted = |k: ContextKind| match e.get(k) {
        Some(ContextValue::String(s)) => vec![s.clone()],
        Some(ContextValue::Strings(v)) => v.clone(),
        _ => Vec::new(),
    };
    let meant: Vec<String> = [
        ContextKind::SuggestedSubcommand,
        ContextKind::SuggestedArg,
        ContextKind::SuggestedValue,
    ]
    .into_iter()
    .flat_map(quoted)
    .map(|s| format!("\"{s}\""))
    .collect();
    if !meant.is_empty() {
        text.push_str(&format!("; có phải là {}?", meant.join(" hay ")));
    }
    let valid = quoted(ContextKind::ValidValue);
    if !valid.is_empty() {
        text.push_str(&format!("\nCác giá trị được nhận: {}.", valid.join(", ")));
    }
    let usage = words(&get(ContextKind::Usage));
    if !usage.trim().is_empty() {
        text.push_str(&format!("\n\n{}", usage.trim()));
    }
    text.push_str(&format!("\n\nXem hướng dẫn đầy đủ: {command} --help\n"));
    text
}

/// The first line of clap's own message, for a kind not said above.
fn clap_line(e: &clap::Error) -> String {
    let rendered = e.render().to_string();
    rendered
        .lines()
        .next()
        .unwrap_or_default()
        .trim_start_matches("error: ")
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::{CommandFactory, FromArgMatches};

    fn parse(args: &[&str]) -> (Result<crate::cli::Cli, clap::Error>, String) {
        let args = help_as_flag(args.iter().map(Into::into).collect());
        let command = command_named(&crate::cli::Cli::command(), &args);
        let parsed = vietnamese(crate::cli::Cli::command())
            .try_get_matches_from(args)
            .and_then(|m| crate::cli::Cli::from_arg_matches(&m));
        (parsed, command)
    }

    fn said_of(args: &[&str]) -> (String, bool) {
        let (parsed, command) = parse(args);
        said(&parsed.expect_err("no command"), &command)
    }

    fn error(args: &[&str]) -> String {
        let (text, stderr) = said_of(args);
        assert!(stderr, "{text}");
        text
    }

    #[test]
    fn a_mistyped_option_is_said_with_what_was_meant_and_the_usage() {
        let text = error(&["baocao", "run", "--perod", "2026-10"]);
        assert!(
            text.starts_with(
                "Lỗi cú pháp lệnh: không có tùy chọn \"--perod\"; có phải là \"--period\"?"
            ),
            "{text}"
        );
        assert!(text.contains("Cách dùng: baocao run"), "{text}");
        assert!(
            text.contains("Xem hướng dẫn đầy đủ: baocao run --help"),
            "{text}"
        );
        assert!(
            !text.contains("error:") && !text.contains("Usage"),
            "{text}"
        );
    }

    #[test]
    fn a_mistyped_command_a_missing_value_and_a_wrong_one_are_said() {
        let text = error(&[
            "baocao",
            "run",
            "--inbox",
            "x",
            "--out",
            "y",
            "--period",
            "2026-10",
            "--history",
            "h",
            "--no-history",
        ]);
        assert!(
            text.starts_with("Lỗi cú pháp lệnh: --history <HISTORY> không dùng cùng --no-history"),
            "{text}"
        );
        let text = error(&["baocao", "chek"]);
        assert!(
            text.starts_with(
                "Lỗi cú pháp lệnh: không có lệnh \"chek\"; có phải là \"check-config\" hay \"check\"?"
            ),
            "{text}"
        );
        let text = error(&["baocao", "run", "--inbox", "x", "--out", "y", "--period"]);
        assert!(
            text.starts_with("Lỗi cú pháp lệnh: --period <PERIOD> cần một giá trị"),
            "{text}"
        );
        let text = error(&["baocao", "calendar", "--year", "2026", "--format", "xml"]);
        assert!(
            text.contains("giá trị \"xml\" không hợp lệ cho --format <FORMAT>")
                && text.contains("Các giá trị được nhận: table, csv, json.")
                && text.contains("Xem hướng dẫn đầy đủ: baocao calendar --help"),
            "{text}"
        );
        // The value's own reason, from the program's parser.
        let text = error(&[
            "baocao", "run", "--inbox", "x", "--out", "y", "--period", "2026-13",
        ]);
        assert!(
            text.contains("giá trị \"2026-13\" không hợp lệ cho --period <PERIOD>: kỳ báo cáo \"2026-13\" không hợp lệ: tháng phải từ 1 đến 12"),
            "{text}"
        );
    }

    #[test]
    fn the_help_is_in_vietnamese_and_help_run_is_run_help() {
        let (text, stderr) = said_of(&["baocao", "help", "run"]);
        assert!(!stderr);
        assert!(text.contains("Cách dùng: baocao run [TÙY CHỌN]"), "{text}");
        assert!(text.contains("Tùy chọn:"), "{text}");
        assert!(text.contains("-h, --help"), "{text}");
        assert!(text.contains("In hướng dẫn này"), "{text}");
        assert!(text.contains("[mặc định: 31]"), "{text}");
        for english in ["Usage", "Options:", "Print help", "[default", "[possible"] {
            assert!(!text.contains(english), "{english}: {text}");
        }
        let (text, _) = said_of(&["baocao", "--help"]);
        assert!(
            text.contains("Lệnh:") && text.contains("In phiên bản"),
            "{text}"
        );
        assert!(!text.contains("Commands:"), "{text}");
    }
}

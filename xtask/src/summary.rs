//! The engine summary: which cases ran on SQLite and on PostgreSQL, read from libtest's own
//! result lines (an engine case is named `…::sqlite` / `…::postgres`, or `…_on_sqlite` /
//! `…_on_postgres`), and which PostgreSQL cases skipped, from the lines they append to the skip
//! log (`kintai_core::testing`): a skipped case still passes, so libtest alone cannot tell.

use std::fmt::Write as _;

/// The variable naming the skip log (the same name `kintai_core::testing` reads).
pub const SKIP_LOG_VAR: &str = "KINTAI_TEST_SKIP_LOG";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Outcome {
    Passed,
    Failed,
    Ignored,
}

#[derive(Debug, Default, PartialEq, Eq)]
struct EngineCount {
    results: usize,
    failed: usize,
}

/// Counts from libtest's output, fed in whatever chunks it arrives in.
#[derive(Debug, Default)]
pub struct Tally {
    partial: Vec<u8>,
    sqlite: EngineCount,
    postgres: EngineCount,
    passed: usize,
    failed: usize,
    ignored: usize,
}

impl Tally {
    pub fn feed(&mut self, bytes: &[u8]) {
        self.partial.extend_from_slice(bytes);
        while let Some(end) = self.partial.iter().position(|byte| *byte == b'\n') {
            let line: Vec<u8> = self.partial.drain(..=end).collect();
            self.line(&String::from_utf8_lossy(&line));
        }
    }

    fn line(&mut self, line: &str) {
        let Some((name, outcome)) = test_result(&strip_ansi(line)) else {
            return;
        };
        match outcome {
            Outcome::Passed => self.passed += 1,
            Outcome::Failed => self.failed += 1,
            Outcome::Ignored => {
                self.ignored += 1;
                return;
            }
        }
        let count = match engine_of(&name) {
            Some(Engine::Sqlite) => &mut self.sqlite,
            Some(Engine::Postgres) => &mut self.postgres,
            None => return,
        };
        count.results += 1;
        count.failed += usize::from(outcome == Outcome::Failed);
    }

    /// The summary printed after the run. `postgres` says where the cases ran, or why not.
    pub fn report(&self, skip_log: &str, postgres: &str) -> String {
        let mut skipped: Vec<Skip> = skip_log.lines().filter_map(Skip::parse).collect();
        skipped.sort_by_key(|skip| (skip.reason, skip.package, skip.binary, skip.test));
        let mut out = String::from("\n== engine summary\n");
        if self.passed + self.failed + self.ignored == 0 {
            out.push_str("no test reported a result (a build failure, or libtest's --quiet)\n");
        }
        let ran_on_postgres = self.postgres.results.saturating_sub(skipped.len());
        let _ = writeln!(
            out,
            "sqlite:   {}",
            ran(self.sqlite.results, self.sqlite.failed)
        );
        let _ = writeln!(
            out,
            "postgres: {}, {} skipped ({postgres})",
            ran(ran_on_postgres, self.postgres.failed),
            skipped.len()
        );
        let mut reason = None;
        for skip in &skipped {
            if reason != Some(skip.reason) {
                let _ = writeln!(out, "  skipped because {}:", skip.reason);
                reason = Some(skip.reason);
            }
            let _ = writeln!(out, "    {skip}");
        }
        // A plain closing line, in the form CI runners read.
        let _ = writeln!(
            out,
            "tests: {} passed, {} failed, {} skipped",
            self.passed.saturating_sub(skipped.len()),
            self.failed,
            self.ignored + skipped.len()
        );
        out
    }
}

fn ran(results: usize, failed: usize) -> String {
    match failed {
        0 => format!("{results} cases ran"),
        _ => format!("{results} cases ran ({failed} failed)"),
    }
}

/// One line of the skip log: package, test binary, test name, reason, tab-separated.
struct Skip<'a> {
    package: &'a str,
    binary: &'a str,
    test: &'a str,
    reason: &'a str,
}

impl<'a> Skip<'a> {
    fn parse(line: &'a str) -> Option<Self> {
        let mut fields = line.splitn(4, '\t');
        Some(Self {
            package: fields.next()?,
            binary: fields.next()?,
            test: fields.next()?,
            reason: fields.next()?,
        })
    }
}

impl std::fmt::Display for Skip<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {}: {}", self.package, self.binary, self.test)
    }
}

enum Engine {
    Sqlite,
    Postgres,
}

fn engine_of(test: &str) -> Option<Engine> {
    let last = test.rsplit("::").next().unwrap_or(test);
    if last == "sqlite" || last.ends_with("_on_sqlite") {
        Some(Engine::Sqlite)
    } else if last == "postgres" || last.ends_with("_on_postgres") {
        Some(Engine::Postgres)
    } else {
        None
    }
}

/// `test NAME ... ok` (also `FAILED`, `ignored`, `ignored, reason`); the name of a test that
/// expects a panic ends in ` - should panic`.
fn test_result(line: &str) -> Option<(String, Outcome)> {
    let rest = line.trim_end().strip_prefix("test ")?;
    let (name, result) = rest.rsplit_once(" ... ")?;
    let outcome = match result.split(',').next()? {
        "ok" => Outcome::Passed,
        "FAILED" => Outcome::Failed,
        "ignored" => Outcome::Ignored,
        _ => return None,
    };
    let name = name.strip_suffix(" - should panic").unwrap_or(name);
    Some((name.to_owned(), outcome))
}

/// libtest colours its results when asked to; the colour codes are no part of the words.
fn strip_ansi(line: &str) -> String {
    let mut out = String::with_capacity(line.len());
    let mut chars = line.chars();
    while let Some(c) = chars.next() {
        if c == '\u{1b}' {
            // CSI: ESC [ parameters final-byte (a letter)
            for c in chars.by_ref() {
                if c.is_ascii_alphabetic() {
                    break;
                }
            }
        } else {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const OUTPUT: &str = "\nrunning 5 tests\n\
        test users_round_trip::sqlite ... ok\n\
        test users_round_trip::postgres ... \u{1b}[32mok\u{1b}[0m\n\
        test keys_rotate_on_sqlite ... FAILED\n\
        test keys_rotate_on_postgres ... ok\n\
        test replace_database_keeps_the_query ... ok\n\
        test src/testing.rs - both_engines (line 105) ... ignored\n\
        test result: FAILED. 4 passed; 1 failed; 1 ignored; 0 measured; 0 filtered out\n";

    #[test]
    fn engine_cases_are_counted_from_their_names_in_any_chunks() {
        let mut tally = Tally::default();
        for chunk in OUTPUT.as_bytes().chunks(7) {
            tally.feed(chunk);
        }
        assert_eq!(
            tally.sqlite,
            EngineCount {
                results: 2,
                failed: 1
            }
        );
        assert_eq!(
            tally.postgres,
            EngineCount {
                results: 2,
                failed: 0
            }
        );
        assert_eq!((tally.passed, tally.failed, tally.ignored), (4, 1, 1));
        let report = tally.report("", "postgres://postgres@127.0.0.1:5432/test");
        assert!(
            report.contains("sqlite:   2 cases ran (1 failed)"),
            "{report}"
        );
        assert!(
            report.contains("postgres: 2 cases ran, 0 skipped"),
            "{report}"
        );
        assert!(
            report.ends_with("tests: 4 passed, 1 failed, 1 skipped\n"),
            "{report}"
        );
    }

    #[test]
    fn skipped_cases_are_named_and_not_counted_as_run() {
        let mut tally = Tally::default();
        tally.feed(OUTPUT.as_bytes());
        let log = "kintai-core\tstorage\tusers_round_trip::postgres\tKINTAI_TEST_POSTGRES=off\n\
                   kintai-settings\tsecrets\tkeys_rotate_on_postgres\tKINTAI_TEST_POSTGRES=off\n";
        let report = tally.report(log, "KINTAI_TEST_POSTGRES=off");
        assert!(
            report.contains("postgres: 0 cases ran, 2 skipped"),
            "{report}"
        );
        assert!(
            report.contains(
                "because KINTAI_TEST_POSTGRES=off:\n    kintai-core storage: users_round_trip::postgres\n    kintai-settings secrets: keys_rotate_on_postgres\n"
            ),
            "{report}"
        );
        assert!(
            report.ends_with("tests: 2 passed, 1 failed, 3 skipped\n"),
            "{report}"
        );
    }

    #[test]
    fn other_lines_are_not_results() {
        for line in [
            "test result: ok. 3 passed; 0 failed",
            "test users_round_trip::sqlite has been running for over 60 seconds",
            "running 3 tests",
            "     Running tests/storage.rs (target/debug/deps/storage-0123)",
        ] {
            assert_eq!(test_result(line), None, "{line}");
        }
        assert_eq!(
            test_result("test a::b - should panic ... ok"),
            Some(("a::b".to_owned(), Outcome::Passed))
        );
    }
}

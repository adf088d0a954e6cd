//! Four callers with secrets of their own, and a `kintai dev` that admits them, for the
//! caller-authentication tests (`auth.rs`, `auth_flow.rs`).

use super::DevServer;

pub const PLATFORM: &str = "platform-secret-0123456789abcdef0123456789abcdef";
pub const MATCHER: &str = "matcher-secret-0123456789abcdef0123456789abcdef0";
pub const SYNCER: &str = "syncer-secret-0123456789abcdef0123456789abcdef01";
pub const TRIGGER: &str = "trigger-secret-0123456789abcdef0123456789abcdef0";

fn callers() -> String {
    [
        ("cyzen-platform", PLATFORM),
        ("matcher", MATCHER),
        ("syncer", SYNCER),
        ("trigger", TRIGGER),
    ]
    .iter()
    .map(|(name, secret)| format!("{name}:{}", kintai_core::auth::hash_secret(secret)))
    .collect::<Vec<_>>()
    .join(",")
}

/// A `kintai dev` that admits the four callers and presents the matcher's secret on its own
/// internal calls.
pub fn secured_dev() -> DevServer {
    let callers = callers();
    DevServer::start_in(
        tempfile::tempdir().unwrap(),
        &["--start-at", "2024-06-07T21:00:00+09:00"],
        &[
            ("KINTAI__AUTH__CALLERS", callers.as_str()),
            ("KINTAI__AUTH__SECRET", MATCHER),
            // The test triggers the runs itself; automatic ones would only compete for the lease.
            ("KINTAI__MATCHER__DISPATCH", "false"),
            ("KINTAI__SYNCER__DISPATCH", "false"),
        ],
    )
}

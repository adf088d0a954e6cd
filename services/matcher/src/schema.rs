//! The matcher service's tables. Names carry the service's prefix: services may share one
//! database, and settings and syncer have tables of their own.

use kintai_core::migrate::Migration;

// matcher_links: one row per directory user of a company (the 連携状況 table).
//   state 1 有効 / 2 無効; reason and hint_kind are the codes of store.rs (0 = none).
// matcher_companies: what the last run found; last_matched_at 0 = never; rows_digest lets an
//   unchanged company's run skip reading and writing its rows.
// matcher_leases: one row per company while a run holds it (kintai_core::lease).
//
// PostgreSQL compares user ids with the "C" collation so that keyset paging orders them by
// bytes, as SQLite does, whatever the server's locale.
// One DDL text for both engines; only the user id's collation differs.
macro_rules! v1 {
    ($user_id_collation:literal) => {
        concat!(
            "
CREATE TABLE matcher_links (
    company_id TEXT NOT NULL,
    user_id TEXT ",
            $user_id_collation,
            " NOT NULL,
    user_code TEXT NOT NULL,
    user_name TEXT NOT NULL,
    kot_link_enabled BIGINT NOT NULL,
    state BIGINT NOT NULL,
    reason BIGINT NOT NULL,
    employee_code TEXT NOT NULL,
    employee_key TEXT NOT NULL,
    employee_name TEXT NOT NULL,
    hint_kind BIGINT NOT NULL,
    hint_employee_code TEXT NOT NULL,
    hint_employee_name TEXT NOT NULL,
    PRIMARY KEY (company_id, user_id)
);
CREATE INDEX matcher_links_by_state ON matcher_links (company_id, state, user_id);
CREATE TABLE matcher_companies (
    company_id TEXT PRIMARY KEY,
    condition BIGINT NOT NULL,
    last_run_at BIGINT NOT NULL,
    last_matched_at BIGINT NOT NULL,
    last_reason TEXT NOT NULL,
    employees BIGINT NOT NULL,
    rows_digest BIGINT NOT NULL
);
CREATE TABLE matcher_leases (company_id TEXT PRIMARY KEY, holder TEXT NOT NULL, expires_at BIGINT NOT NULL);
"
        )
    };
}

const V1_SQLITE: &str = v1!("");
const V1_POSTGRES: &str = v1!("COLLATE \"C\"");

// V2, prompt re-matching: `matcher_due` is the queue of companies due for a match
// (kintai_core::due); `matcher_seen` is settings' directory revision a company was last matched
// on. A matcher compares it with settings' revisions every few seconds and makes a company whose
// directory changed (a user added, deleted or given another code) due.
const V2: &str = "
CREATE TABLE matcher_due (company_id TEXT PRIMARY KEY, due_at BIGINT NOT NULL, version BIGINT NOT NULL);
CREATE INDEX matcher_due_by_time ON matcher_due (due_at);
CREATE TABLE matcher_seen (company_id TEXT PRIMARY KEY, directory_revision BIGINT NOT NULL);
";

// V3, KING OF TIME's working-day rule: the 日付変更時間 (dayBorderTime) of each 有効 user's
// division, minutes after midnight, kept with the link so that the syncer files a 出勤 under
// the working day KING OF TIME's own recorders would. 0 (00:00) is KING OF TIME's default, and
// what rows matched before this version say until their next match.
const V3: &str = "
ALTER TABLE matcher_links ADD COLUMN day_border_minutes BIGINT NOT NULL DEFAULT 0;
";

// V4, one claimer per due company: `claimed_until` is when the dispatcher's claim of a company
// ends (NULL when nobody holds it). A mark no longer hands a claimed company to a second
// replica (kintai_core::due).
const V4: &str = "
ALTER TABLE matcher_due ADD COLUMN claimed_until BIGINT;
";

// V5, employment and division: each 有効 link keeps its employee's 入社日 / 退職日 (hiredDate,
// resignationDate) as of the last match, `YYYY-MM-DD` or empty when KING OF TIME names none, so
// the syncer holds a punch outside them instead of posting it (KING OF TIME files it as 在職外
// 勤務); and the employee's division, so the day check can read one division's days instead of
// the whole company's. Rows matched before this version say "unknown" until their next match.
const V5: &str = "
ALTER TABLE matcher_links ADD COLUMN hired_on TEXT NOT NULL DEFAULT '';
ALTER TABLE matcher_links ADD COLUMN resigned_on TEXT NOT NULL DEFAULT '';
ALTER TABLE matcher_links ADD COLUMN division_code TEXT NOT NULL DEFAULT '';
";

/// The dispatcher's queue (kintai_core::due).
pub const DUE_TABLE: &str = "matcher_due";

/// The lease table's name, for `kintai_core::lease::Leases`.
pub const LEASE_TABLE: &str = "matcher_leases";

pub const MIGRATIONS: &[Migration] = &[
    Migration {
        version: 1,
        name: "links, companies and leases",
        sqlite: V1_SQLITE,
        postgres: V1_POSTGRES,
    },
    Migration {
        version: 2,
        name: "companies due for a match, directory revisions matched on",
        sqlite: V2,
        postgres: V2,
    },
    Migration {
        version: 3,
        name: "division day border of each link",
        sqlite: V3,
        postgres: V3,
    },
    Migration {
        version: 4,
        name: "one claimer per due company",
        sqlite: V4,
        postgres: V4,
    },
    Migration {
        version: 5,
        name: "employment dates and division of a link",
        sqlite: V5,
        postgres: V5,
    },
];

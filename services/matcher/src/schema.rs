//! The matcher service's tables.

use kintai_core::migrate::Migration;

// One row per company while a run holds it (see kintai_core::lease).
const V1: &str = "CREATE TABLE matcher_leases (company_id TEXT PRIMARY KEY, holder TEXT NOT NULL, expires_at BIGINT NOT NULL);";

pub const MIGRATIONS: &[Migration] = &[Migration {
    version: 1,
    name: "leases",
    sqlite: V1,
    postgres: V1,
}];

//! The settings service's tables.

use kintai_core::migrate::Migration;

const V1: &str = "CREATE TABLE companies (
    company_id TEXT PRIMARY KEY,
    enabled BIGINT NOT NULL,
    vendor TEXT NOT NULL,
    updated_at BIGINT NOT NULL
);";

pub const MIGRATIONS: &[Migration] = &[Migration {
    version: 1,
    name: "companies",
    sqlite: V1,
    postgres: V1,
}];

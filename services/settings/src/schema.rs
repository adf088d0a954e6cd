//! The settings service's tables. Booleans are 0/1 BIGINTs and instants Unix milliseconds, so
//! one SQL text serves SQLite and PostgreSQL.

use kintai_core::migrate::Migration;

const V1: &str = "
CREATE TABLE companies (
    company_id TEXT PRIMARY KEY,
    enabled BIGINT NOT NULL,
    vendor TEXT NOT NULL,
    updated_at BIGINT NOT NULL,
    -- the token: AES-256-GCM ciphertext and the id of the key that sealed it; NULL when none
    token_ciphertext TEXT,
    token_key_id TEXT,
    token_fingerprint TEXT,
    -- 'valid' or 'rejected' while a token is stored
    token_state TEXT,
    token_registered_at BIGINT,
    token_verified_at BIGINT,
    token_rejected_reason TEXT,
    -- the administrator's 承諾する step for the stored token
    accepted_by TEXT,
    accepted_at BIGINT,
    api_terms_accepted BIGINT,
    data_sharing_consented BIGINT
);
CREATE TABLE directory_users (
    company_id TEXT NOT NULL,
    user_id TEXT NOT NULL,
    user_code TEXT NOT NULL,
    name TEXT NOT NULL,
    kot_link_enabled BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    PRIMARY KEY (company_id, user_id)
);
CREATE TABLE statuses (
    company_id TEXT NOT NULL,
    status_id TEXT NOT NULL,
    name TEXT NOT NULL,
    kind BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    PRIMARY KEY (company_id, status_id)
);
";

/// Why KING OF TIME refused a token gets its own column. Reasons stored before the server
/// redacted them may hold a token (callers sent free text): they are forgotten; the token stays
/// rejected.
const V2: &str = "
ALTER TABLE companies ADD COLUMN token_rejection TEXT;
UPDATE companies SET token_rejected_reason = NULL WHERE token_rejected_reason IS NOT NULL;
";

/// Each company's revisions (revisions.rs). Companies that only have users pushed have no row in
/// `companies`, so the counters live apart.
const V3: &str = "
CREATE TABLE company_revisions (
    company_id TEXT PRIMARY KEY,
    revision BIGINT NOT NULL,
    directory_revision BIGINT NOT NULL
);
";

/// One token, one company: a keyed hash of each token beside it (token_lookup.rs), so a
/// registration finds the same token under another company. Tokens stored before are given
/// theirs by the start-up pass, which can decrypt them; the index serves that lookup.
const V4: &str = "
ALTER TABLE companies ADD COLUMN token_lookup TEXT;
CREATE INDEX companies_token_lookup ON companies (token_lookup);
";

pub const MIGRATIONS: &[Migration] = &[
    Migration {
        version: 1,
        name: "companies, directory users, statuses",
        sqlite: V1,
        postgres: V1,
    },
    Migration {
        version: 2,
        name: "token rejection code; unredacted reasons forgotten",
        sqlite: V2,
        postgres: V2,
    },
    Migration {
        version: 3,
        name: "company revisions",
        sqlite: V3,
        postgres: V3,
    },
    Migration {
        version: 4,
        name: "token lookups",
        sqlite: V4,
        postgres: V4,
    },
];

//! What a match run reports: each company's outcome and counts, and when the run began and
//! ended. Its own module so that the run ([`crate::run`]), one company's run
//! ([`crate::company_run`]), its trace ([`crate::trace`]) and the gRPC handlers all import
//! these types from here rather than from one another.

use chrono::{DateTime, Utc};

/// A company's reason when the matcher's own database failed (the cause is in the log).
pub(crate) const STORAGE_FAILED: &str =
    "the matcher's database failed; the operators have the details in the logs";

/// What happened to one company.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Matched,
    Deferred { next_attempt_at: DateTime<Utc> },
    Skipped,
    TokenRejected,
    Busy,
    Failed,
}

impl Outcome {
    /// A short label for spans and metrics.
    pub fn as_str(&self) -> &'static str {
        match self {
            Self::Matched => "matched",
            Self::Deferred { .. } => "deferred",
            Self::Skipped => "skipped",
            Self::TokenRejected => "token_rejected",
            Self::Busy => "busy",
            Self::Failed => "failed",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CompanyResult {
    pub company_id: String,
    pub outcome: Outcome,
    /// Why, for every outcome but `Matched`.
    pub reason: String,
    pub users: u32,
    pub linked: u32,
    pub unlinked: u32,
    pub employees: u32,
    /// Settings' directory revision the match was made on (matched runs only).
    pub directory_revision: Option<i64>,
}

impl CompanyResult {
    pub(crate) fn bare(company_id: &str, outcome: Outcome, reason: impl Into<String>) -> Self {
        Self {
            company_id: company_id.to_owned(),
            outcome,
            reason: reason.into(),
            users: 0,
            linked: 0,
            unlinked: 0,
            employees: 0,
            directory_revision: None,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunReport {
    pub started_at: DateTime<Utc>,
    pub finished_at: DateTime<Utc>,
    /// One result per company, ordered by company id.
    pub results: Vec<CompanyResult>,
}

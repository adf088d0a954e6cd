//! What a company's run stores under its lease: the matched links, or the old ones kept with
//! the reason (skipped, deferred, token refused, KING OF TIME unreadable).

use chrono::{DateTime, Utc};
use futures::channel::oneshot;
use kintai_core::DbError;
use kintai_core::lease::Lease;
use kot_client::{Division, Employee, format_kot_time, jst_date};

use crate::company_run::Finished;
use crate::matching::{carry_over, match_users, rows_digest, set_day_borders};
use crate::model::{CompanyRecord, Condition, DirectoryUser, LinkRow};
use crate::report::{CompanyResult, Outcome, STORAGE_FAILED};
use crate::run::Matcher;
use crate::unchanged::UnchangedWriter;

/// The state one company's run carries to its end.
pub(crate) struct Run<'a> {
    pub(crate) matcher: &'a Matcher,
    pub(crate) lease: &'a Lease,
    pub(crate) company_id: &'a str,
    pub(crate) users: Vec<DirectoryUser>,
    /// The company's record as read under the lease before the run, when known.
    pub(crate) record: Option<Option<CompanyRecord>>,
    /// Stores an unchanged company together with others, in a run over every company; and
    /// the signal that the run waits only for that write (see [`Known::slot`]).
    pub(crate) writer: Option<(UnchangedWriter, oneshot::Sender<()>)>,
}

/// What the company record says about a run.
struct Summary {
    condition: Condition,
    matched_at: Option<DateTime<Utc>>,
    employees: u32,
    outcome: Outcome,
    reason: String,
}

impl Run<'_> {
    pub(crate) async fn matched(self, employees: &[Employee], divisions: &[Division]) -> Finished {
        let matched_at = self.matcher.now();
        let (lease, company_id, matcher) = (self.lease, self.company_id, self.matcher);
        // Computed before the write transaction begins, so that it holds SQLite's write lock
        // only for the writes.
        let mut rows = match_users(self.users, employees, jst_date(&matched_at));
        set_day_borders(&mut rows, employees, divisions);
        let digest = rows_digest(&rows);
        let summary = Summary {
            condition: Condition::Ready,
            matched_at: Some(matched_at),
            employees: u32::try_from(employees.len()).unwrap_or(u32::MAX),
            outcome: Outcome::Matched,
            reason: String::new(),
        };
        // The hourly run of an unchanged company whose record is known: the stored rows already
        // are these rows, and the record goes with other companies' in a shared transaction.
        if let (Some(_), Some(Some(before))) = (&self.writer, &self.record)
            && before.rows_digest == digest
            && let Some((writer, slot)) = self.writer
        {
            let record = next_record(company_id, Some(before), &summary, digest, matcher);
            let _ = slot.send(());
            let stored = writer.finish(record).await;
            return finished(company_id, stored, &rows, summary);
        }
        // Until this run's own write ends, it counts against the concurrency.
        let _slot = self.writer;
        let known = self.record;
        let stored = async {
            let Some(mut finish) = matcher.store.begin_finish(lease, known).await? else {
                return Ok(None);
            };
            // The hourly run of an unchanged company: the stored rows already are these rows,
            // so they are neither read nor written.
            let unchanged = finish
                .record
                .as_ref()
                .is_some_and(|record| record.rows_digest == digest);
            let previous = if unchanged {
                None
            } else {
                Some(finish.load_links().await?)
            };
            let record = next_record(
                company_id,
                finish.record.as_ref(),
                &summary,
                digest,
                matcher,
            );
            finish.commit(previous.as_ref(), &rows, &record).await?;
            Ok(Some(()))
        }
        .await;
        finished(company_id, stored, &rows, summary)
    }

    pub(crate) async fn deferred(self, next: DateTime<Utc>) -> Finished {
        let reason = format!(
            "restricted hours (08:30–10:00, 17:30–18:30 JST): KING OF TIME's employee list cannot be read before {}; existing links are kept",
            format_kot_time(&next)
        );
        let outcome = Outcome::Deferred {
            next_attempt_at: next,
        };
        self.keep(Condition::Ready, outcome, reason).await
    }

    /// KING OF TIME was not read: the links stay as they were (see [`carry_over`]).
    pub(crate) async fn keep(
        self,
        condition: Condition,
        outcome: Outcome,
        reason: String,
    ) -> Finished {
        let (lease, company_id, matcher) = (self.lease, self.company_id, self.matcher);
        let summary = Summary {
            condition,
            matched_at: None,
            employees: 0,
            outcome,
            reason,
        };
        let mut rows = Vec::new();
        let known = self.record;
        let stored = async {
            let Some(mut finish) = matcher.store.begin_finish(lease, known).await? else {
                return Ok(None);
            };
            let previous = finish.load_links().await?;
            rows = carry_over(self.users, &previous);
            let digest = rows_digest(&rows);
            let record = next_record(
                company_id,
                finish.record.as_ref(),
                &summary,
                digest,
                matcher,
            );
            finish.commit(Some(&previous), &rows, &record).await?;
            Ok(Some(()))
        }
        .await;
        finished(company_id, stored, &rows, summary)
    }
}

/// The company record after a run; what KING OF TIME said last stays when it was not read.
fn next_record(
    company_id: &str,
    before: Option<&CompanyRecord>,
    summary: &Summary,
    rows_digest: i64,
    matcher: &Matcher,
) -> CompanyRecord {
    CompanyRecord {
        company_id: company_id.to_owned(),
        condition: summary.condition,
        last_run_at: matcher.now(),
        last_matched_at: summary
            .matched_at
            .or(before.and_then(|r| r.last_matched_at)),
        last_reason: summary.reason.clone(),
        employees: match summary.matched_at {
            Some(_) => summary.employees,
            None => before.map_or(0, |r| r.employees),
        },
        rows_digest,
    }
}

/// The run's result once storing it succeeded (`Some`), found the lease lost (`None`) or
/// failed.
fn finished(
    company_id: &str,
    stored: Result<Option<()>, DbError>,
    rows: &[LinkRow],
    summary: Summary,
) -> Finished {
    match stored {
        Ok(Some(())) => {}
        Ok(None) => {
            let result = CompanyResult::bare(
                company_id,
                Outcome::Busy,
                "this run's lease expired and another run took the company over; its result was discarded",
            );
            return Finished {
                result,
                lease_released: true,
            };
        }
        Err(error) => {
            tracing::error!(company_id, %error, "cannot store the match result");
            return Finished::failed(company_id, STORAGE_FAILED);
        }
    }
    let users = u32::try_from(rows.len()).unwrap_or(u32::MAX);
    // What ListLinks shows: while the company cannot be matched every user is 無効.
    let linked = if summary.condition == Condition::Ready {
        u32::try_from(rows.iter().filter(|r| r.is_active()).count()).unwrap_or(u32::MAX)
    } else {
        0
    };
    Finished {
        result: CompanyResult {
            company_id: company_id.to_owned(),
            outcome: summary.outcome,
            reason: summary.reason,
            users,
            linked,
            unlinked: users - linked,
            employees: summary.employees,
            directory_revision: None,
        },
        lease_released: true,
    }
}

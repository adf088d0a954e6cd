//! The first half of a company's run: read settings and the matcher, load the open punches,
//! plan, and (unless it is a dry run) write the plan.

use std::collections::HashMap;

use kintai_core::telemetry::metrics::{self, PunchResult};
use kintai_i18n::Text;

use crate::eligibility::Directory;
use crate::error::SyncerError;
use crate::ledger::{self, PlannedState};
use crate::model::LedgerState;
use crate::plan::{self, Action, Plan};
use crate::ports::{CompanySettings, Credentials};
use crate::report::{CompanyReport, SyncOutcome, planned_punch};
use crate::syncer::Syncer;

/// What a real run of a ready company sends with.
pub(crate) struct Ready {
    pub plan: Plan,
    pub credentials: Credentials,
    /// Settings' revision the plan was made on: the fence before each POST.
    pub revision: i64,
}

impl Syncer {
    /// Plans the company. Answers the report so far and, for a company that can be synced, what
    /// to send with.
    pub(crate) async fn prepare(
        &self,
        company_id: &str,
        dry_run: bool,
    ) -> Result<(CompanyReport, Option<Ready>), SyncerError> {
        let deps = self.deps();
        let now = self.clock().now();
        let failed = |reason: Text| {
            Ok((
                CompanyReport::new(company_id, SyncOutcome::Failed, reason),
                None,
            ))
        };
        let settings: CompanySettings = match deps.settings.company(company_id).await {
            Ok(settings) => settings,
            Err(error) => {
                return failed(Text::new("run-settings-unavailable").arg("error", error));
            }
        };
        let links = if settings.credentials.is_ok() {
            match deps.links.links(company_id).await {
                Ok(links) => links.into_iter().map(|l| (l.user_id.clone(), l)).collect(),
                Err(error) => {
                    return failed(Text::new("run-matcher-unavailable").arg("error", error));
                }
            }
        } else {
            HashMap::new()
        };
        let previous_month_start = plan::month_starts(now).1;
        if !dry_run {
            let reason = plan::expired_reason(previous_month_start);
            ledger::expire_older(self.db(), company_id, previous_month_start, &reason).await?;
        }
        let records = ledger::load(self.db(), company_id, plan::window_start(now)).await?;
        let known = ledger::eligible_since(self.db(), company_id).await?;
        let directory = Directory {
            company: settings.credentials.as_ref().map(|_| ()),
            users: &settings.users,
            links: &links,
        };
        let kot_clock_ins = crate::day_store::kot_clock_ins(
            self.db(),
            company_id,
            kot_client::jst_date(&plan::window_start(now)),
        )
        .await?;
        let mut plan = plan::plan(now, records, directory, &known, &kot_clock_ins);
        // Before anything is written: a post into a closed day is held, not planned.
        let waits = match (&settings.credentials, dry_run) {
            (Ok(credentials), false) => {
                let reader = crate::preflight::Reader {
                    company_id,
                    vendor: deps.vendor.as_ref(),
                    token: &credentials.token,
                    closings: self.closings(),
                    margin: deps.options.retry.read_margin,
                };
                reader.check(&mut plan, &links, now).await
            }
            _ => Vec::new(),
        };

        let mut report = CompanyReport::new(company_id, SyncOutcome::Completed, None);
        report.not_synced =
            ledger::count_not_synced(self.db(), company_id, plan::month_starts(now).0).await?;
        report.waiting_for_match = plan.waiting_for_match;
        if !dry_run {
            report.settings_revision = Some(settings.revision);
        }
        count_waiting(&mut report, &plan, dry_run);
        if dry_run {
            report.planned = plan.items.iter().map(planned_punch).collect();
        } else {
            ledger::save_eligibility(self.db(), company_id, &plan.eligible_users, &known, now)
                .await?;
            let changes: Vec<PlannedState> = plan.items.iter().filter_map(state_change).collect();
            ledger::apply_plan(self.db(), company_id, &changes).await?;
            ledger::wait_for_preflight(self.db(), company_id, &waits).await?;
        }
        match settings.credentials {
            Err(reason) => {
                report.outcome = SyncOutcome::Skipped;
                report.reason = Some(reason);
                Ok((report, None))
            }
            Ok(credentials) => Ok((
                report,
                Some(Ready {
                    plan,
                    credentials,
                    revision: settings.revision,
                }),
            )),
        }
    }
}

/// The plan's held and waiting punches in the report (and the held ones in the metrics, when
/// the plan is carried out).
fn count_waiting(report: &mut CompanyReport, plan: &Plan, dry_run: bool) {
    for item in &plan.items {
        match &item.action {
            Action::Hold(reason) => {
                report.held += 1;
                if !dry_run {
                    metrics::record_punches(PunchResult::Held(reason.code), 1);
                }
            }
            Action::Wait(_) => report.deferred += 1,
            _ => {}
        }
    }
}

/// The held/pending state a plan item should have; `None` for punches in flight.
fn state_change(item: &plan::Planned) -> Option<PlannedState> {
    let (state, reason) = match &item.action {
        Action::Send { .. } => (LedgerState::Pending, String::new()),
        Action::Hold(reason) => (LedgerState::Held, reason.text.to_stored()),
        Action::Verify { .. } | Action::Wait(_) => return None,
    };
    let record = &item.record;
    let unchanged = record.state == state
        && record.reason == reason
        && record.working_day == Some(item.working_day);
    (!unchanged).then(|| PlannedState {
        punch_id: record.punch.punch_id.clone(),
        state,
        reason,
        working_day: item.working_day,
    })
}

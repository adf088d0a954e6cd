//! The matcher's gRPC answers read back into the terms the tests assert in: a RunMatch result
//! as an [`Outcome`] with its counts, a ListLinks row as the [`LinkView`] it shows. Strict: an
//! unspecified or unknown enum value, or a malformed time, fails the test.

use chrono::{DateTime, NaiveDate, NaiveTime, Utc};
use kintai_matcher::{Employment, Hint, HintKind, LinkRow, LinkStatus, LinkView, Outcome, Reason};
use kintai_proto::matcher::v1 as proto;

/// One company's RunMatch result.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ran {
    pub company_id: String,
    pub outcome: Outcome,
    pub reason: String,
    pub users: u32,
    pub linked: u32,
    pub unlinked: u32,
    pub employees: u32,
}

/// A RunMatch answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Report {
    pub started_at: DateTime<Utc>,
    pub finished_at: DateTime<Utc>,
    pub results: Vec<Ran>,
}

pub fn instant(timestamp: &prost_types::Timestamp) -> DateTime<Utc> {
    let nanos = u32::try_from(timestamp.nanos).expect("nanos within a second");
    DateTime::from_timestamp(timestamp.seconds, nanos).expect("a representable instant")
}

pub fn report(answer: proto::RunMatchResponse) -> Report {
    Report {
        started_at: instant(&answer.started_at.expect("started_at")),
        finished_at: instant(&answer.finished_at.expect("finished_at")),
        results: answer.results.into_iter().map(ran).collect(),
    }
}

fn ran(result: proto::CompanyMatchResult) -> Ran {
    let outcome = match result.outcome() {
        proto::MatchOutcome::Matched => Outcome::Matched,
        proto::MatchOutcome::Deferred => Outcome::Deferred {
            next_attempt_at: instant(result.next_attempt_at.as_ref().expect("next_attempt_at")),
        },
        proto::MatchOutcome::Skipped => Outcome::Skipped,
        proto::MatchOutcome::TokenRejected => Outcome::TokenRejected,
        proto::MatchOutcome::Busy => Outcome::Busy,
        proto::MatchOutcome::Failed => Outcome::Failed,
        proto::MatchOutcome::Unspecified => panic!("no outcome: {result:?}"),
    };
    Ran {
        company_id: result.company_id,
        outcome,
        reason: result.reason,
        users: result.users,
        linked: result.linked,
        unlinked: result.unlinked,
        employees: result.employees,
    }
}

/// A day the API answered: empty for none, else exactly `YYYY-MM-DD`.
fn answered_day(text: &str) -> Option<NaiveDate> {
    (!text.is_empty()).then(|| {
        NaiveDate::parse_from_str(text, "%Y-%m-%d").unwrap_or_else(|_| panic!("day {text:?}"))
    })
}

pub fn link_view(link: proto::Link) -> LinkView {
    let status = match link.state() {
        proto::LinkState::Active => LinkStatus::Active {
            employee_code: link.employee_code.clone(),
            employee_key: link.employee_key.clone(),
            employee_name: link.employee_name.clone(),
            day_border: NaiveTime::parse_from_str(&link.day_border_time, "%H:%M")
                .unwrap_or_else(|_| panic!("day border {:?}", link.day_border_time)),
            employment: Employment {
                hired_on: answered_day(&link.hired_date),
                resigned_on: answered_day(&link.resignation_date),
            },
            division_code: link.division_code.clone(),
        },
        proto::LinkState::Inactive => LinkStatus::Inactive {
            reason: reason(link.reason()),
            hint: link.hint.as_ref().map(|hint| Hint {
                kind: hint_kind(hint.kind()),
                employee_code: hint.employee_code.clone(),
                employee_name: hint.employee_name.clone(),
            }),
        },
        proto::LinkState::Unspecified => panic!("no state: {link:?}"),
    };
    LinkView {
        account_synced_at: link.account_synced_at.as_ref().map(instant),
        matched_user_code: link.matched_user_code,
        row: LinkRow {
            user_id: link.user_id,
            user_code: link.user_code,
            user_name: link.user_name,
            kot_link_enabled: link.kot_link_enabled,
            status,
        },
    }
}

fn reason(reason: proto::InactiveReason) -> Reason {
    use proto::InactiveReason as R;
    match reason {
        R::NoUserCode => Reason::NoUserCode,
        R::NoEmployee => Reason::NoEmployee,
        R::EmployeeResigned => Reason::EmployeeResigned,
        R::DuplicateUserCode => Reason::DuplicateUserCode,
        R::IntegrationDisabled => Reason::IntegrationDisabled,
        R::NoToken => Reason::NoToken,
        R::TokenRejected => Reason::TokenRejected,
        R::TokenUnreadable => Reason::TokenUnreadable,
        R::TokenKeyMismatch => Reason::TokenKeyMismatch,
        R::NotMatchedYet => Reason::NotMatchedYet,
        R::CodeChanged => Reason::CodeChanged,
        R::Unspecified => panic!("an inactive link without a reason"),
    }
}

fn hint_kind(kind: proto::HintKind) -> HintKind {
    use proto::HintKind as K;
    match kind {
        K::ZeroPadding => HintKind::ZeroPadding,
        K::FullWidth => HintKind::FullWidth,
        K::LetterCase => HintKind::LetterCase,
        K::Whitespace => HintKind::Whitespace,
        K::LoginId => HintKind::LoginId,
        K::Unspecified => panic!("a hint without a kind"),
    }
}

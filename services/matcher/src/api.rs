//! gRPC handlers of MatcherService: validate, convert proto ↔ domain, call [`Matcher`].

use chrono::{DateTime, Utc};
use kintai_core::paging;
use kintai_core::validate::Violations;
use kintai_i18n::{Lang, Text, codes};
use kintai_proto::matcher::v1::matcher_service_server::MatcherService;
use kintai_proto::matcher::v1::{
    CompanyMatchResult, Hint as ProtoHint, HintKind as ProtoHintKind,
    InactiveReason as ProtoReason, Link, LinkState, ListLinksRequest, ListLinksResponse,
    MatchOutcome, RunMatchRequest, RunMatchResponse,
};
use tonic::{Request, Response, Status};

use crate::error::MatcherError;
use crate::model::{HintKind, LinkStatus, Reason};
use crate::report::{CompanyResult, Outcome};
use crate::run::Matcher;
use crate::store::StateFilter;
use crate::view::LinkView;

/// The service's state.
#[derive(Clone)]
pub struct MatcherApi {
    matcher: Matcher,
}

impl MatcherApi {
    pub fn new(matcher: Matcher) -> Self {
        Self { matcher }
    }

    /// The logic behind the handlers, e.g. for [`crate::spawn_periodic`].
    pub fn matcher(&self) -> &Matcher {
        &self.matcher
    }
}

#[tonic::async_trait]
impl MatcherService for MatcherApi {
    async fn run_match(
        &self,
        request: Request<RunMatchRequest>,
    ) -> Result<Response<RunMatchResponse>, Status> {
        let lang = Lang::of_request(&request);
        let request = request.into_inner();
        let company_id = (!request.company_id.is_empty()).then_some(request.company_id.as_str());
        if let Some(company_id) = company_id {
            let mut violations = Violations::new();
            violations.id("company_id", company_id);
            violations.check(lang)?;
        }
        let report = self
            .matcher
            .run(company_id)
            .await
            .map_err(MatcherError::CompaniesUnlisted)?;
        Ok(Response::new(RunMatchResponse {
            results: report.results.iter().map(company_result).collect(),
            started_at: Some(timestamp(report.started_at)),
            finished_at: Some(timestamp(report.finished_at)),
        }))
    }

    async fn list_links(
        &self,
        request: Request<ListLinksRequest>,
    ) -> Result<Response<ListLinksResponse>, Status> {
        let lang = Lang::of_request(&request);
        let request = request.into_inner();
        let mut violations = Violations::new();
        violations.id("company_id", &request.company_id);
        let page_request =
            paging::PageRequest::parse(request.page_size, &request.page_token, 1, &mut violations);
        let filter = match LinkState::try_from(request.state) {
            Ok(LinkState::Unspecified) => StateFilter::All,
            Ok(LinkState::Active) => StateFilter::Active,
            Ok(LinkState::Inactive) => StateFilter::Inactive,
            Err(_) => {
                violations.add(
                    "state",
                    Text::new("field-unknown-value")
                        .arg("value", request.state)
                        .arg("kind", "LinkState"),
                );
                StateFilter::All
            }
        };
        violations.check(lang)?;

        let page = self
            .matcher
            .links_page(
                &request.company_id,
                filter,
                page_request
                    .after
                    .as_ref()
                    .and_then(|key| key.first())
                    .map(String::as_str),
                page_request.limit,
            )
            .await
            .map_err(MatcherError::db("list links"))?;
        Ok(Response::new(ListLinksResponse {
            links: page.links.iter().map(|view| link(view, lang)).collect(),
            next_page_token: page
                .next_after
                .map(|after| paging::encode_token(&[&after]))
                .unwrap_or_default(),
            last_matched_at: page.last_matched_at.map(timestamp),
        }))
    }
}

fn timestamp(instant: DateTime<Utc>) -> prost_types::Timestamp {
    prost_types::Timestamp {
        seconds: instant.timestamp(),
        nanos: i32::try_from(instant.timestamp_subsec_nanos()).unwrap_or(0),
    }
}

fn company_result(result: &CompanyResult) -> CompanyMatchResult {
    let (outcome, next_attempt_at) = match result.outcome {
        Outcome::Matched => (MatchOutcome::Matched, None),
        Outcome::Deferred { next_attempt_at } => {
            (MatchOutcome::Deferred, Some(timestamp(next_attempt_at)))
        }
        Outcome::Skipped => (MatchOutcome::Skipped, None),
        Outcome::TokenRejected => (MatchOutcome::TokenRejected, None),
        Outcome::Busy => (MatchOutcome::Busy, None),
        Outcome::Failed => (MatchOutcome::Failed, None),
    };
    CompanyMatchResult {
        company_id: result.company_id.clone(),
        outcome: outcome.into(),
        reason: result.reason.clone(),
        users: result.users,
        linked: result.linked,
        unlinked: result.unlinked,
        employees: result.employees,
        next_attempt_at,
    }
}

/// A link as 連携状況 shows it, its texts in the reader's language.
fn link(view: &LinkView, lang: Lang) -> Link {
    let row = &view.row;
    let mut link = Link {
        user_id: row.user_id.clone(),
        user_code: row.user_code.clone(),
        user_name: row.user_name.clone(),
        account_synced_at: view.account_synced_at.map(timestamp),
        kot_link_enabled: row.kot_link_enabled,
        matched_user_code: view.matched_user_code.clone(),
        ..Link::default()
    };
    match &row.status {
        LinkStatus::Active {
            employee_code,
            employee_key,
            employee_name,
            day_border,
            employment,
            division_code,
        } => {
            link.division_code = division_code.clone();
            link.set_state(LinkState::Active);
            let day = |d: Option<chrono::NaiveDate>| {
                d.map(|d| d.format("%Y-%m-%d").to_string())
                    .unwrap_or_default()
            };
            link.hired_date = day(employment.hired_on);
            link.resignation_date = day(employment.resigned_on);
            link.day_border_time = day_border.format("%H:%M").to_string();
            link.employee_code = employee_code.clone();
            link.employee_key = employee_key.clone();
            link.employee_name = employee_name.clone();
        }
        LinkStatus::Inactive { reason, hint } => {
            link.set_state(LinkState::Inactive);
            link.set_reason(proto_reason(*reason));
            link.reason_text =
                codes::inactive_reason(link.reason(), &row.user_code, &view.matched_user_code)
                    .map(|text| text.render(lang))
                    .unwrap_or_default();
            link.hint = hint.as_ref().map(|hint| {
                let kind = proto_hint_kind(hint.kind);
                ProtoHint {
                    kind: kind.into(),
                    employee_code: hint.employee_code.clone(),
                    employee_name: hint.employee_name.clone(),
                    text: codes::hint(
                        kind,
                        &row.user_code,
                        &hint.employee_code,
                        &hint.employee_name,
                    )
                    .map(|text| text.render(lang))
                    .unwrap_or_default(),
                }
            });
        }
    }
    link.state_label = codes::link_state(link.state())
        .map(|text| text.render(lang))
        .unwrap_or_default();
    link
}

fn proto_reason(reason: Reason) -> ProtoReason {
    match reason {
        Reason::NoUserCode => ProtoReason::NoUserCode,
        Reason::NoEmployee => ProtoReason::NoEmployee,
        Reason::EmployeeResigned => ProtoReason::EmployeeResigned,
        Reason::DuplicateUserCode => ProtoReason::DuplicateUserCode,
        Reason::IntegrationDisabled => ProtoReason::IntegrationDisabled,
        Reason::NoToken => ProtoReason::NoToken,
        Reason::TokenRejected => ProtoReason::TokenRejected,
        Reason::TokenUnreadable => ProtoReason::TokenUnreadable,
        Reason::TokenKeyMismatch => ProtoReason::TokenKeyMismatch,
        Reason::NotMatchedYet => ProtoReason::NotMatchedYet,
        Reason::CodeChanged => ProtoReason::CodeChanged,
    }
}

fn proto_hint_kind(kind: HintKind) -> ProtoHintKind {
    match kind {
        HintKind::ZeroPadding => ProtoHintKind::ZeroPadding,
        HintKind::FullWidth => ProtoHintKind::FullWidth,
        HintKind::LetterCase => ProtoHintKind::LetterCase,
        HintKind::Whitespace => ProtoHintKind::Whitespace,
        HintKind::LoginId => ProtoHintKind::LoginId,
    }
}

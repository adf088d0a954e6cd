//! gRPC handlers of MatcherService: validate, convert proto ↔ domain, call [`Matcher`].

use chrono::{DateTime, Utc};
use kintai_core::grpc_error::db_status;
use kintai_core::paging;
use kintai_core::validate::Violations;
use kintai_proto::matcher::v1::matcher_service_server::MatcherService;
use kintai_proto::matcher::v1::{
    CompanyMatchResult, Hint as ProtoHint, HintKind as ProtoHintKind,
    InactiveReason as ProtoReason, Link, LinkState, ListLinksRequest, ListLinksResponse,
    MatchOutcome, RunMatchRequest, RunMatchResponse,
};
use tonic::{Request, Response, Status};

use crate::hints::hint_text;
use crate::model::{HintKind, LinkStatus, Reason};
use crate::run::{CompanyResult, Matcher, Outcome};
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
        let request = request.into_inner();
        let company_id = (!request.company_id.is_empty()).then_some(request.company_id.as_str());
        if let Some(company_id) = company_id {
            let mut violations = Violations::new();
            violations.id("company_id", company_id);
            violations.check()?;
        }
        let report = self.matcher.run(company_id).await.map_err(|error| {
            tracing::warn!(%error, "match run could not list companies");
            Status::unavailable(
                "the settings service cannot be reached to list companies; retry later",
            )
        })?;
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
                violations.add("state", "is not a LinkState");
                StateFilter::All
            }
        };
        violations.check()?;

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
            .map_err(|error| db_status("list links", error))?;
        Ok(Response::new(ListLinksResponse {
            links: page.links.iter().map(link).collect(),
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

fn link(view: &LinkView) -> Link {
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
        } => {
            link.set_state(LinkState::Active);
            link.day_border_time = day_border.format("%H:%M").to_string();
            link.state_label = "有効".into();
            link.employee_code = employee_code.clone();
            link.employee_key = employee_key.clone();
            link.employee_name = employee_name.clone();
        }
        LinkStatus::Inactive { reason, hint } => {
            link.set_state(LinkState::Inactive);
            link.state_label = "無効".into();
            link.set_reason(proto_reason(*reason));
            link.reason_text = reason_text(*reason, &row.user_code, &view.matched_user_code);
            link.hint = hint.as_ref().map(|hint| ProtoHint {
                kind: proto_hint_kind(hint.kind).into(),
                employee_code: hint.employee_code.clone(),
                employee_name: hint.employee_name.clone(),
                text: hint_text(&row.user_code, hint),
            });
        }
    }
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

/// The reason in the administrator's words (the manual's FAQ says what to check).
fn reason_text(reason: Reason, user_code: &str, matched_user_code: &str) -> String {
    match reason {
        Reason::CodeChanged => format!(
            "ユーザーコードが変更されました ({matched_user_code:?} → {user_code:?}): the old link is not used; waiting for アカウント同期 (within a minute)"
        ),
        Reason::NoUserCode => {
            "the user has no ユーザーコード; set it to the KING OF TIME 従業員コード".to_owned()
        }
        Reason::NoEmployee => format!(
            "no KING OF TIME employee has the 従業員コード {user_code:?}; the codes must be equal character for character"
        ),
        Reason::EmployeeResigned => format!(
            "the KING OF TIME employee with the 従業員コード {user_code:?} has resigned (退職)"
        ),
        Reason::DuplicateUserCode => format!(
            "several cyzen users have the ユーザーコード {user_code:?}, so none of them is linked; give each user their own code"
        ),
        Reason::IntegrationDisabled => "勤怠連携 is 無効, so no user is linked".to_owned(),
        Reason::NoToken => {
            "no KING OF TIME token is registered (トークン発行), so no user is linked".to_owned()
        }
        Reason::TokenRejected => {
            "KING OF TIME rejected the company's token; register a new token (トークン発行)"
                .to_owned()
        }
        Reason::TokenUnreadable => {
            "the registered KING OF TIME token cannot be decrypted with the settings service's token keys (the key that sealed it is missing), so no user is linked; restore the key, or register the token again (トークン発行)"
                .to_owned()
        }
        Reason::NotMatchedYet => {
            "not matched yet: the next match run (about hourly) checks this user".to_owned()
        }
    }
}

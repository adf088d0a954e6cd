//! A matcher wired to a KING OF TIME simulator and in-memory settings, on a given database,
//! with one clock that both the matcher and the simulator read, served over gRPC by the test
//! kit's [`App`] (caller authentication on): tests run matches with RunMatch and read the
//! 連携状況 table with ListLinks, as the platform and the CronJob do.
#![allow(dead_code)]

mod answers;

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, NaiveTime, Utc};
use kintai_core::Db;
use kintai_matcher::{
    DirectoryUser, HintKind, LinkStatus, LinkView, Matcher, MatcherDeps, MemoryCompany,
    MemorySettings, Reason,
};
use kintai_proto::matcher::v1::matcher_service_client::MatcherServiceClient;
use kintai_proto::matcher::v1::{ListLinksRequest, RunMatchRequest};
use kintai_testkit::{App, Caller, sim};
use kot_sim::{Clock, NewEmployee, SimHandle, Simulator, TokenOptions};

#[allow(unused_imports)] // each test binary uses its own part of the harness
pub use answers::{Ran, Report, instant, report};

/// What a message may weigh, as the matcher's server is configured by default.
const MAX_MESSAGE_BYTES: usize = 4 << 20;

/// 2024-06-03 (a Monday) at the given JST wall-clock time `HH:MM:SS`.
pub fn at(hms: &str) -> DateTime<Utc> {
    kintai_testkit::jst(&format!("2024-06-03T{hms}"))
}

pub struct Env {
    /// The logic the server runs, for what RunMatch does not answer (the periodic run and the
    /// dispatcher take it; the telemetry test follows its spans).
    pub matcher: Matcher,
    /// The matcher's gRPC service behind the production server.
    pub app: App,
    pub settings: MemorySettings,
    pub sim: Simulator,
    pub handle: SimHandle,
    pub db: Db,
    /// The test's "now" (the matcher reads a clone of it).
    clock: kintai_core::Clock,
}

pub async fn env(db: Db) -> Env {
    env_with(db, Duration::from_secs(30)).await
}

pub async fn env_with(db: Db, lease_ttl: Duration) -> Env {
    let noon = at("12:00:00");
    let handle = sim::start(noon).await;
    let vendor = sim::client(&handle);
    let settings = MemorySettings::default();
    let clock = kintai_core::Clock::fixed(noon);
    let deps = MatcherDeps {
        settings: Arc::new(settings.clone()),
        vendor: Arc::new(vendor),
        clock: clock.clone(),
        concurrency: 4,
        lease_ttl,
    };
    let api = kintai_matcher::api(db.clone(), deps)
        .await
        .expect("migrations apply");
    let matcher = api.matcher().clone();
    let app = App::spawn_service(&db, kintai_matcher::server(api, MAX_MESSAGE_BYTES)).await;
    Env {
        matcher,
        app,
        settings,
        sim: handle.sim.clone(),
        handle,
        db,
        clock,
    }
}

impl Env {
    /// The platform's client of the matcher (ListLinks, RunMatch).
    pub fn client(&self) -> MatcherServiceClient<kintai_core::peer::PeerChannel> {
        self.app.matcher(Caller::Platform)
    }

    /// RunMatch for one company, as the CronJob's trigger calls it.
    pub async fn run_company(&self, company_id: &str) -> Ran {
        let mut report = self.run(company_id).await.expect("RunMatch");
        assert_eq!(report.results.len(), 1, "{report:?}");
        report.results.remove(0)
    }

    /// RunMatch for every enabled company.
    pub async fn run_all(&self) -> Result<Report, tonic::Status> {
        self.run("").await
    }

    async fn run(&self, company_id: &str) -> Result<Report, tonic::Status> {
        let answer = self
            .app
            .matcher(Caller::Trigger)
            .run_match(RunMatchRequest {
                company_id: company_id.to_owned(),
            })
            .await?;
        Ok(answers::report(answer.into_inner()))
    }

    /// Moves the matcher's and the simulator's clocks together.
    pub fn set_time(&self, at: DateTime<Utc>) {
        self.clock.set(at);
        self.sim.set_clock(Clock::Fixed(at));
    }

    /// Lets both clocks flow with real time from `at` (for the dispatcher's due times).
    pub fn flow_from(&self, at: DateTime<Utc>) {
        self.clock.flow_from(at);
        self.sim.set_clock(Clock::starting_at(at));
    }

    /// A KING OF TIME company with a division and a token, and the cyzen company enabled with
    /// that token. Answers the token.
    pub fn company(&self, company_id: &str) -> String {
        let kot_code = format!("kot-{company_id}");
        self.sim.create_company(&kot_code).expect("company");
        self.sim
            .add_division(&kot_code, "100", "本社", NaiveTime::MIN)
            .expect("division");
        let token = self
            .sim
            .issue_token(&kot_code, TokenOptions::default())
            .expect("token");
        self.settings.put(
            company_id,
            MemoryCompany {
                enabled: true,
                token: Some(token.clone()),
                token_rejected: false,
                users: Vec::new(),
                ..MemoryCompany::default()
            },
        );
        token
    }

    /// Adds a KING OF TIME employee; answers the key.
    pub fn employee(&self, company_id: &str, code: &str, last: &str, first: &str) -> String {
        self.employee_resigned(company_id, code, last, first, None)
    }

    pub fn employee_resigned(
        &self,
        company_id: &str,
        code: &str,
        last: &str,
        first: &str,
        resigned_on: Option<chrono::NaiveDate>,
    ) -> String {
        self.sim
            .add_employee(
                &format!("kot-{company_id}"),
                NewEmployee {
                    code: code.into(),
                    last_name: last.into(),
                    first_name: first.into(),
                    division_code: "100".into(),
                    resigned_on,
                },
            )
            .expect("employee")
    }

    /// Replaces the cyzen directory of a company: (user id, user code, name), flag on.
    pub fn users(&self, company_id: &str, users: &[(&str, &str, &str)]) {
        let users: Vec<DirectoryUser> = users
            .iter()
            .map(|(id, code, name)| DirectoryUser {
                user_id: (*id).into(),
                user_code: (*code).into(),
                name: (*name).into(),
                kot_link_enabled: true,
            })
            .collect();
        self.settings.update(company_id, |c| c.users = users);
    }

    /// The whole 連携状況 table, read with ListLinks two rows a page.
    pub async fn links(&self, company_id: &str) -> Vec<LinkView> {
        let mut client = self.client();
        let mut all = Vec::new();
        let mut page_token = String::new();
        loop {
            let page = client
                .list_links(ListLinksRequest {
                    company_id: company_id.to_owned(),
                    state: 0,
                    page_size: 2,
                    page_token,
                })
                .await
                .expect("ListLinks")
                .into_inner();
            all.extend(page.links.into_iter().map(answers::link_view));
            if page.next_page_token.is_empty() {
                return all;
            }
            page_token = page.next_page_token;
        }
    }

    pub async fn link(&self, company_id: &str, user_id: &str) -> LinkView {
        self.links(company_id)
            .await
            .into_iter()
            .find(|l| l.row.user_id == user_id)
            .unwrap_or_else(|| panic!("no row for {user_id}"))
    }

    /// How many employee-list requests reached the simulator.
    pub fn employee_list_calls(&self) -> usize {
        self.sim
            .request_log()
            .iter()
            .filter(|entry| entry.path == "/v1.0/employees")
            .count()
    }
}

impl Env {
    /// Whether the user's row exists and is 有効.
    pub async fn link_exists_active(&self, company_id: &str, user_id: &str) -> bool {
        self.links(company_id)
            .await
            .iter()
            .any(|l| l.row.user_id == user_id && l.row.is_active())
    }
}

/// Why a row is 無効, if it is.
pub fn reason(view: &LinkView) -> Option<Reason> {
    match &view.row.status {
        LinkStatus::Inactive { reason, .. } => Some(*reason),
        LinkStatus::Active { .. } => None,
    }
}

/// The hint of a 無効 row: its kind and the employee code it points at.
pub fn hint(view: &LinkView) -> Option<(HintKind, String)> {
    match &view.row.status {
        LinkStatus::Inactive { hint: Some(h), .. } => Some((h.kind, h.employee_code.clone())),
        _ => None,
    }
}

/// The employee key of a 有効 row.
pub fn active_key(view: &LinkView) -> Option<String> {
    match &view.row.status {
        LinkStatus::Active { employee_key, .. } => Some(employee_key.clone()),
        LinkStatus::Inactive { .. } => None,
    }
}

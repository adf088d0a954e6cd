//! A matcher wired to a KING OF TIME simulator and in-memory settings, on a given database,
//! with one clock that both the matcher and the simulator read.
#![allow(dead_code)]

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, NaiveTime, Utc};
use kintai_core::Db;
use kintai_matcher::{
    DirectoryUser, LinkView, Matcher, MatcherDeps, MemoryCompany, MemorySettings, StateFilter,
};
use kot_client::{KotClient, KotConfig};
use kot_sim::{Clock, NewEmployee, SimConfig, SimHandle, Simulator, TokenOptions};

/// 2024-06-03 (a Monday) at the given JST wall-clock time.
pub fn jst(hms: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(&format!("2024-06-03T{hms}+09:00"))
        .expect("a valid test time")
        .to_utc()
}

pub struct Env {
    pub matcher: Matcher,
    pub api: kintai_matcher::MatcherApi,
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
    let noon = jst("12:00:00");
    let sim = Simulator::new(SimConfig {
        clock: Clock::Fixed(noon),
        ..SimConfig::default()
    });
    let handle = sim.spawn_local().await.expect("simulator starts");
    let vendor = KotClient::new(KotConfig {
        base_url: handle.base_url.clone(),
        request_timeout: Duration::from_secs(10),
        ..KotConfig::default()
    })
    .expect("client");
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
    Env {
        matcher: api.matcher().clone(),
        api,
        settings,
        sim,
        handle,
        db,
        clock,
    }
}

impl Env {
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

    /// The whole 連携状況 table, read page by page.
    pub async fn links(&self, company_id: &str) -> Vec<LinkView> {
        let mut all = Vec::new();
        let mut after: Option<String> = None;
        loop {
            let page = self
                .matcher
                .links_page(company_id, StateFilter::All, after.as_deref(), 2)
                .await
                .expect("links page");
            all.extend(page.links);
            match page.next_after {
                Some(next) => after = Some(next),
                None => return all,
            }
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

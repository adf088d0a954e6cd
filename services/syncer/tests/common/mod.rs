//! Test harness: the real syncer on a fresh database, served by the production gRPC server with
//! caller authentication on (the test kit's [`App`]), the real KING OF TIME simulator, and
//! in-memory settings/matcher ports (other services, not our database). Every call a test makes
//! to the syncer's API goes over gRPC as cyzen's platform.
#![allow(dead_code)]

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, NaiveTime, Utc};
use kintai_core::peer::PeerChannel;
use kintai_core::server::ServerConfig;
use kintai_core::{Clock, Db};
use kintai_proto::common::v1::StatusKind;
use kintai_proto::syncer::v1::syncer_service_client::SyncerServiceClient;
use kintai_proto::syncer::v1::{
    ListPunchesRequest, Platform, PunchInput, PunchRecord, PunchState, RecordPunchesRequest,
    RecordPunchesResponse, RunSyncRequest, RunSyncResponse,
};
use kintai_syncer::ports::memory::{MemoryLinks, MemorySettings};
use kintai_syncer::{DispatchOptions, RetryPolicy, SyncOptions, Syncer, SyncerDeps};
use kintai_testkit::sim::{self, Sim};
use kintai_testkit::{App, Caller, jst};
use kot_client::KotClient;
use kot_sim::{NewEmployee, TokenOptions};

/// "Now" of most tests: a Thursday noon in June 2024, outside the restricted hours.
pub const NOW: &str = "2024-06-20T12:00:00";

pub struct Harness {
    pub db: Db,
    /// The syncer itself, for what has no RPC: shutting down, draining, counting runs, the
    /// dispatcher.
    pub syncer: Syncer,
    /// The production server in front of [`Harness::syncer`]; reach it through [`Harness::api`].
    pub app: App,
    pub sim: Sim,
    pub client: KotClient,
    pub settings: Arc<MemorySettings>,
    pub links: Arc<MemoryLinks>,
    pub clock: Clock,
}

/// Retries fast enough for tests, same shape as production: three retries within a run
/// (5, 10, 20 ms), then the punch waits for a later run.
pub fn fast_retry() -> RetryPolicy {
    RetryPolicy {
        base_backoff: Duration::from_millis(5),
        max_backoff: Duration::from_millis(40),
        inline_backoff_limit: Duration::from_millis(20),
        rate_limited_backoff: Duration::from_millis(20),
        max_rate_limited: 3,
        verify_delay: Duration::from_millis(5),
        read_margin: chrono::TimeDelta::minutes(2),
        readback_confirm: Duration::from_millis(5),
    }
}

/// The kit's simulator client, but with the 2-second request timeout the fault tests are
/// written against (an answer slower than it, after KING OF TIME stored the punch, must be read
/// back, not resent).
fn client_for(sim: &Sim) -> KotClient {
    sim::client_with(sim, |config| {
        config.request_timeout = Duration::from_secs(2)
    })
}

pub async fn harness(db: Db, now: DateTime<Utc>) -> Harness {
    harness_with_debounce(db, now, Duration::from_millis(50)).await
}

/// A harness whose dispatcher waits `debounce` after a company's first new punch.
pub async fn harness_with_debounce(db: Db, now: DateTime<Utc>, debounce: Duration) -> Harness {
    let sim = sim::start(now).await;
    let client = client_for(&sim);
    let clock = Clock::fixed(now);
    let settings = Arc::new(MemorySettings::new());
    let links = Arc::new(MemoryLinks::new());
    let syncer = start_syncer_with(&db, &client, &settings, &links, &clock, debounce).await;
    // The production message bound, as `kintai_syncer::serve` sets it.
    let service =
        kintai_syncer::grpc_service(syncer.clone(), ServerConfig::default().max_message_bytes);
    let app = App::spawn_service(&db, service).await;
    Harness {
        app,
        db,
        syncer,
        sim,
        client,
        settings,
        links,
        clock,
    }
}

/// Another syncer ("another pod") on the same database and world.
pub async fn start_syncer(
    db: &Db,
    client: &KotClient,
    settings: &Arc<MemorySettings>,
    links: &Arc<MemoryLinks>,
    clock: &Clock,
) -> Syncer {
    start_syncer_with(
        db,
        client,
        settings,
        links,
        clock,
        Duration::from_millis(50),
    )
    .await
}

async fn start_syncer_with(
    db: &Db,
    client: &KotClient,
    settings: &Arc<MemorySettings>,
    links: &Arc<MemoryLinks>,
    clock: &Clock,
    debounce: Duration,
) -> Syncer {
    start_syncer_tuned(db, client, settings, links, clock, |options| {
        options.dispatch.debounce = debounce;
    })
    .await
}

/// Another syncer with the harness's options as `tune` changes them.
pub async fn start_syncer_tuned(
    db: &Db,
    client: &KotClient,
    settings: &Arc<MemorySettings>,
    links: &Arc<MemoryLinks>,
    clock: &Clock,
    tune: impl FnOnce(&mut SyncOptions),
) -> Syncer {
    let mut deps = SyncerDeps {
        settings: settings.clone(),
        links: links.clone(),
        vendor: Arc::new(client.clone()),
        clock: clock.clone(),
        options: SyncOptions {
            concurrency: 8,
            employees_in_parallel: 4,
            lease_ttl: Duration::from_secs(30),
            retry: fast_retry(),
            undelivered_after: Duration::from_secs(4 * 3600),
            dispatch: DispatchOptions {
                poll: Duration::from_millis(20),
                ..DispatchOptions::default()
            },
            // The rest as configured by default (the clock skew among them).
            ..SyncOptions::default()
        },
    };
    tune(&mut deps.options);
    Syncer::start(db.clone(), deps).await.unwrap()
}

impl Harness {
    /// The syncer's API as cyzen's platform calls it: over gRPC, through caller authentication.
    pub fn api(&self) -> SyncerServiceClient<PeerChannel> {
        self.app.syncer(Caller::Platform)
    }

    /// Sets both clocks (ours and the simulator's).
    pub fn set_now(&self, now: DateTime<Utc>) {
        self.clock.set(now);
        self.sim.sim.set_clock(kot_sim::Clock::Fixed(now));
    }

    /// Lets both clocks (ours and the simulator's) flow from `start`, for the dispatcher.
    pub fn flow_from(&self, start: DateTime<Utc>) {
        self.clock.flow_from(start);
        self.sim.sim.set_clock(kot_sim::Clock::starting_at(start));
    }

    /// Waits (at most `limit`) until KING OF TIME holds `count` punches of the company.
    pub async fn wait_for_kot(&self, company_id: &str, count: usize, limit: Duration) {
        let deadline = std::time::Instant::now() + limit;
        while self.kot(company_id).len() < count {
            assert!(
                std::time::Instant::now() < deadline,
                "KING OF TIME holds {} of {count} punches after {limit:?}",
                self.kot(company_id).len()
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// Runs the company's sync until no punch is pending or in flight, moving both clocks a
    /// minute on between runs (past any retry time); at most `runs` runs. Answers the runs.
    pub async fn settle(&self, company_id: &str, runs: usize) -> Vec<RunSyncResponse> {
        let mut answers = Vec::new();
        for _ in 0..runs {
            answers.push(self.sync(company_id).await);
            let open = self
                .punches(company_id)
                .await
                .into_iter()
                .any(|p| matches!(p.state(), PunchState::Pending | PunchState::InFlight));
            if !open {
                return answers;
            }
            self.set_now(self.clock.now() + chrono::TimeDelta::minutes(1));
        }
        panic!("punches still open after {runs} runs: {answers:?}");
    }

    /// A company in KING OF TIME and in settings (enabled, with a token); returns the token.
    pub fn company(&self, company_id: &str) -> String {
        let sim = &self.sim.sim;
        sim.create_company(company_id).unwrap();
        sim.add_division(company_id, "100", "本社", NaiveTime::MIN)
            .unwrap();
        let token = sim
            .issue_token(company_id, TokenOptions::default())
            .unwrap();
        self.settings.set_company(company_id, true, Some(&token));
        token
    }

    /// An employee with `code`, linked to cyzen user `user_id` with the flag as given.
    pub fn employee(&self, company_id: &str, user_id: &str, code: &str, flag: bool) -> String {
        let key = self
            .sim
            .sim
            .add_employee(
                company_id,
                NewEmployee {
                    code: code.into(),
                    last_name: "市ヶ谷".into(),
                    first_name: user_id.into(),
                    division_code: "100".into(),
                    resigned_on: None,
                },
            )
            .unwrap();
        self.settings.set_user(company_id, user_id, code, flag);
        self.links.link(company_id, user_id, &key, code);
        key
    }

    /// A user (flag on) linked to an employee key KING OF TIME does not know.
    pub fn linked_to_unknown_employee(&self, company_id: &str, user_id: &str) {
        self.settings.set_user(company_id, user_id, "U000999", true);
        self.links
            .link(company_id, user_id, &"f".repeat(64), "U000999");
    }

    pub async fn record(
        &self,
        company_id: &str,
        punches: Vec<PunchInput>,
    ) -> RecordPunchesResponse {
        self.api()
            .record_punches(RecordPunchesRequest {
                company_id: company_id.into(),
                punches,
            })
            .await
            .unwrap()
            .into_inner()
    }

    pub async fn sync(&self, company_id: &str) -> RunSyncResponse {
        self.run_sync(company_id, false).await
    }

    pub async fn run_sync(&self, company_id: &str, dry_run: bool) -> RunSyncResponse {
        self.api()
            .run_sync(RunSyncRequest {
                company_id: company_id.into(),
                dry_run,
            })
            .await
            .unwrap()
            .into_inner()
    }

    /// Every punch of the company, all pages.
    pub async fn punches(&self, company_id: &str) -> Vec<PunchRecord> {
        let mut all = Vec::new();
        let mut page_token = String::new();
        loop {
            let page = self
                .api()
                .list_punches(ListPunchesRequest {
                    company_id: company_id.into(),
                    page_size: 1000,
                    page_token: page_token.clone(),
                    ..ListPunchesRequest::default()
                })
                .await
                .unwrap()
                .into_inner();
            all.extend(page.punches);
            if page.next_page_token.is_empty() {
                return all;
            }
            page_token = page.next_page_token;
        }
    }

    pub async fn punch(&self, company_id: &str, punch_id: &str) -> PunchRecord {
        self.punches(company_id)
            .await
            .into_iter()
            .find(|p| p.punch_id == punch_id)
            .unwrap_or_else(|| panic!("punch {punch_id} not listed"))
    }

    /// The simulator's stored punches of a company as (employee key, date, JST time, code).
    pub fn kot(&self, company_id: &str) -> Vec<(String, String, String, String)> {
        let mut stored: Vec<_> = self
            .sim
            .sim
            .punches(company_id)
            .into_iter()
            .map(|p| {
                (
                    p.employee_key,
                    p.date.to_string(),
                    kot_client::format_kot_time(&p.time),
                    // A record without a code reads as "".
                    p.code.unwrap_or_default(),
                )
            })
            .collect();
        stored.sort();
        stored
    }
}

/// `message` as a caller sends it with an `accept-language` header, or without one.
pub fn in_language<T>(message: T, accept_language: Option<&str>) -> tonic::Request<T> {
    let mut request = tonic::Request::new(message);
    if let Some(value) = accept_language {
        request
            .metadata_mut()
            .insert("accept-language", value.parse().unwrap());
    }
    request
}

/// A punch as cyzen sends it: Android 3.60.0, Tokyo coordinates.
pub fn punch(punch_id: &str, user_id: &str, kind: StatusKind, name: &str, at: &str) -> PunchInput {
    let at = jst(at);
    PunchInput {
        punch_id: punch_id.into(),
        user_id: user_id.into(),
        status_id: format!("st-{name}"),
        status_name: name.into(),
        status_kind: kind.into(),
        punched_at: Some(prost_types::Timestamp {
            seconds: at.timestamp(),
            nanos: 0,
        }),
        latitude: Some(35.681236),
        longitude: Some(139.767125),
        address: "東京都千代田区丸の内一丁目".into(),
        platform: Platform::Android.into(),
        app_version: "3.60.0".into(),
    }
}

pub fn clock_in(id: &str, user: &str, at: &str) -> PunchInput {
    punch(id, user, StatusKind::WorkStart, "出勤", at)
}

pub fn clock_out(id: &str, user: &str, at: &str) -> PunchInput {
    punch(id, user, StatusKind::WorkEnd, "退勤", at)
}

/// Distinct (employee, date, time, code) in KING OF TIME equal all of them: no duplicates.
pub fn assert_no_duplicates(h: &Harness, company_id: &str) {
    let all = h.kot(company_id);
    let mut unique = all.clone();
    unique.dedup();
    assert_eq!(all, unique, "KING OF TIME holds a punch twice");
}

/// `count` clock-ins of `user` on 2024-06-03, one a minute from 08:00, ids `{prefix}{i}`.
pub fn day_punches(
    prefix: &str,
    user: &str,
    count: usize,
) -> Vec<kintai_proto::syncer::v1::PunchInput> {
    (0..count)
        .map(|i| {
            clock_in(
                &format!("{prefix}{i}"),
                user,
                &format!("2024-06-03T08:{:02}:00", i % 60),
            )
        })
        .collect()
}

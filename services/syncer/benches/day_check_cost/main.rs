//! What the day check costs KING OF TIME and us (issue 27, item 3): for one company of 20,000
//! employees in 50 divisions (400 each) with linked users and a month of history,
//!
//! (a) one punch of one employee sent, and the day check of that run;
//! (b) the next day's whole-month check;
//!
//! each as GET calls on the general budget (`/daily-workings`) and on the punch budget
//! (`/daily-workings/timerecord`, the client's \[ours\] classification), response bytes read and
//! peak heap of this process, against baselines made in the same run with the kot-client:
//! (a) one `/daily-workings` of the employee's division for the day plus one
//! `/daily-workings/timerecord?employeeKeys=KEY` for the day; (b) the month by division:
//! 50 × `/daily-workings?division=…` plus the keyed listings of each division's employees, one
//! division at a time.
//!
//! `cargo bench -p kintai-syncer --bench day_check_cost` (SQLite). `KINTAI_BENCH_EMPLOYEES`
//! scales the company down (a multiple of 50) for a quick run.
//!
//! The simulator runs in a child process (this binary again, `DAY_CHECK_COST_ROLE=sim`) so that
//! its memory is not counted with ours; calls are counted in its request log, bytes by a
//! counting TCP proxy in front of it (HTTP headers and bodies from the simulator to us), and
//! heap by a counting global allocator around the system one.

use std::io::{BufRead, BufReader, Read};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::AtomicU64;
use std::time::{Duration, Instant};

use chrono::{DateTime, Datelike, NaiveDate, NaiveTime, Utc, Weekday};
use kintai_core::testing::{TestDb, TestEngine};
use kintai_proto::common::v1::StatusKind;
use kintai_proto::syncer::v1::syncer_service_server::SyncerService;
use kintai_proto::syncer::v1::{Platform, PunchInput, RecordPunchesRequest};
use kintai_syncer::ports::memory::{MemoryLinks, MemorySettings};
use kintai_syncer::{CompanyReport, SyncOptions, Syncer, SyncerApi, SyncerDeps};
use kot_client::{DailyTimeRecords, KotClient, KotConfig, Token};
use kot_sim::{NewEmployee, NewPunch, PunchSource, RateLimit, SimConfig};
use peak_alloc::PeakAlloc;

mod child;
mod meter;

use child::{proxy, run_simulator};
use meter::{Admin, Meter, ratio};

#[global_allocator]
static HEAP: PeakAlloc = PeakAlloc;

const ROLE: &str = "DAY_CHECK_COST_ROLE";
const COMPANY: &str = "big";
const DIVISIONS: usize = 50;
/// Thursday noon, outside the restricted hours: the history is June 3–18 (weekdays, at time
/// recorders), our punch of every employee is June 19, the one punch of (a) is today.
const NOW: &str = "2024-06-20T12:00:00+09:00";
const HISTORY: (&str, &str) = ("2024-06-03", "2024-06-18");
/// Budgets the limiters never reach: the bench counts calls, it does not wait for them.
const UNLIMITED: u32 = 100_000_000;

fn employees() -> usize {
    std::env::var("KINTAI_BENCH_EMPLOYEES")
        .ok()
        .and_then(|n| n.parse::<usize>().ok())
        .map_or(20_000, |n| (n / DIVISIONS).max(1) * DIVISIONS)
}

fn division_of(employee: usize) -> String {
    format!("{}", 101 + employee * DIVISIONS / employees())
}

fn at(text: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(text).unwrap().to_utc()
}

fn day(text: &str) -> NaiveDate {
    text.parse().unwrap()
}

#[tokio::main]
async fn main() {
    if std::env::var(ROLE).is_ok_and(|role| role == "sim") {
        run_simulator().await;
        return;
    }
    let n = employees();
    let started = Instant::now();
    let mut child = Command::new(std::env::current_exe().unwrap())
        .env(ROLE, "sim")
        .env("KINTAI_BENCH_EMPLOYEES", n.to_string())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let mut line = || lines.next().unwrap().unwrap();
    let (base_url, admin_url, token) = (line(), line(), line());
    let keys: Vec<String> = (0..n).map(|_| line()).collect();
    assert_eq!(line(), "ready");
    let seeded = started.elapsed();

    let counter = Arc::new(AtomicU64::new(0));
    let base_url = url::Url::parse(&base_url).unwrap();
    let proxy = proxy(base_url.clone(), counter.clone()).await;
    let client_base = proxy.clone();
    let admin = Admin {
        http: reqwest::Client::new(),
        url: admin_url,
    };
    let client = KotClient::new(KotConfig {
        base_url: proxy,
        request_timeout: Duration::from_secs(300),
        general_limit: kot_client::RateLimit {
            requests: UNLIMITED,
            per: Duration::from_secs(300),
        },
        punch_limit: kot_client::RateLimit {
            requests: UNLIMITED,
            per: Duration::from_secs(300),
        },
        ..KotConfig::default()
    })
    .unwrap();
    let token = Token::new(token);

    let test_db = TestDb::new(TestEngine::Sqlite).await.unwrap();
    let settings = Arc::new(MemorySettings::new());
    let links = Arc::new(MemoryLinks::new());
    settings.set_company(COMPANY, true, Some(token.expose()));
    for (i, key) in keys.iter().enumerate() {
        let (user, code) = (format!("u{i}"), format!("E{i:05}"));
        settings.set_user(COMPANY, &user, &code, true);
        links.link(COMPANY, &user, key, &code);
    }
    let clock = kintai_core::Clock::fixed(at(NOW));
    let deps = SyncerDeps {
        settings,
        links,
        vendor: Arc::new(client.clone()),
        clock: clock.clone(),
        options: SyncOptions {
            concurrency: 1,
            employees_in_parallel: 16,
            ..SyncOptions::default()
        },
    };
    let db = kintai_core::Db::connect(&test_db.url, 20).await.unwrap();
    let syncer = Syncer::start(db.clone(), deps).await.unwrap();
    let api = SyncerApi::new(syncer.clone());
    let meter = Meter { admin, counter };

    // Our punch of every employee on June 19, sent in one run, whose check is the month's first.
    let seed_at = at("2024-06-19T09:00:00+09:00");
    for chunk in (0..n).collect::<Vec<_>>().chunks(1000) {
        let punches = chunk
            .iter()
            .map(|&i| clock_in(&format!("seed{i}"), &format!("u{i}"), seed_at))
            .collect();
        record(&api, punches).await;
    }
    meter.set_clock(&clock, at(NOW)).await;
    let mut seed = meter.start().await;
    let report = run(&syncer).await;
    let seed = seed.finish(&meter, &report).await;
    assert_eq!(report.sent as usize, n, "{report:?}");

    // (a) One punch of one employee, and the check of that run.
    let one = n / 2 + 7;
    let punched_at = at("2024-06-20T12:00:00+09:00");
    record(&api, vec![clock_in("one", &format!("u{one}"), punched_at)]).await;
    meter
        .set_clock(&clock, at("2024-06-20T12:05:00+09:00"))
        .await;
    let mut phase = meter.start().await;
    let report = run(&syncer).await;
    let one_punch = phase.finish(&meter, &report).await;
    assert_eq!((report.sent, report.days_checked), (1, 1), "{report:?}");

    let today = day("2024-06-20");
    let division = division_of(one);
    let mut phase = meter.start().await;
    let summaries = client
        .list_daily_workings(&token, Some(&division), today, today)
        .await
        .unwrap();
    let records = client
        .read_days(&token, std::slice::from_ref(&keys[one]), today, today)
        .await
        .unwrap();
    assert!(summaries.iter().any(|s| s.employee_key == keys[one]));
    assert!(records.values().any(|r| !r.is_empty()));
    drop((summaries, records));
    let one_base = phase.finish_plain(&meter).await;

    // (b) The next day's whole-month check.
    meter
        .set_clock(&clock, at("2024-06-21T11:00:00+09:00"))
        .await;
    let mut phase = meter.start().await;
    let report = run(&syncer).await;
    let month = phase.finish(&meter, &report).await;
    assert_eq!(report.sent, 0, "{report:?}");
    assert!(report.days_checked as usize >= n, "{report:?}");

    let (start, end) = (day("2024-06-01"), day("2024-06-21"));
    let per_division = n / DIVISIONS;
    let mut phase = meter.start().await;
    let mut rows = 0;
    for d in 0..DIVISIONS {
        let division_keys = &keys[d * per_division..(d + 1) * per_division];
        let summaries = client
            .list_daily_workings(&token, Some(&division_of(d * per_division)), start, end)
            .await
            .unwrap();
        let records = client
            .read_days(&token, division_keys, start, end)
            .await
            .unwrap();
        rows += summaries.len();
        assert!(records.len() >= per_division);
    }
    assert_eq!(rows, n * 21);
    let month_base = phase.finish_plain(&meter).await;

    // The same month with the listing's documented division filter instead of keys (the
    // kot-client has no call for it): one listing per division.
    let http = reqwest::Client::new();
    let mut phase = meter.start().await;
    let mut rows = 0;
    for d in 0..DIVISIONS {
        let division = division_of(d * per_division);
        let summaries = client
            .list_daily_workings(&token, Some(&division), start, end)
            .await
            .unwrap();
        let mut url = client_base.clone();
        url.path_segments_mut()
            .unwrap()
            .extend(["daily-workings", "timerecord"]);
        url.query_pairs_mut()
            .append_pair("division", &division)
            .append_pair("ondivision", "true")
            .append_pair("start", &start.to_string())
            .append_pair("end", &end.to_string());
        let answer = http
            .get(url)
            .bearer_auth(token.expose())
            .header("content-type", "application/json; charset=utf-8")
            .send()
            .await
            .unwrap()
            .error_for_status()
            .unwrap()
            .bytes()
            .await
            .unwrap();
        let days: Vec<DailyTimeRecords> = serde_json::from_slice(&answer).unwrap();
        let listed: usize = days.iter().map(|d| d.daily_workings.len()).sum();
        assert_eq!(listed, per_division * 21);
        rows += summaries.len();
    }
    assert_eq!(rows, n * 21);
    let month_division = phase.finish_plain(&meter).await;

    println!(
        "day check cost: {n} employees in {DIVISIONS} divisions ({per_division} each), history \
         {} to {} at time recorders plus our punch of everyone on 2024-06-19 (simulator seeded \
         in {:.1} s, SQLite)",
        HISTORY.0,
        HISTORY.1,
        seeded.as_secs_f64()
    );
    println!(
        "{:<46} {:>8} {:>8} {:>6} {:>12} {:>10} {:>8} {:>7}",
        "phase", "general", "punch", "POST", "bytes read", "peak heap", "wall", "days"
    );
    let first = format!("first run: {n} sends + month check");
    for (name, figures) in [
        (first.as_str(), &seed),
        ("(a) one punch + its check: syncer", &one_punch),
        ("(a) baseline: division-day + keyed day", &one_base),
        ("(b) whole-month check: syncer", &month),
        ("(b) baseline: 50 divisions, one at a time", &month_base),
        (
            "(b) baseline: the same, listing by division",
            &month_division,
        ),
    ] {
        println!("{}", figures.row(name));
    }
    println!("{}", ratio("(a) syncer / baseline", &one_punch, &one_base));
    println!("{}", ratio("(b) syncer / baseline", &month, &month_base));
    println!(
        "{}",
        ratio("(b) syncer / listing by division", &month, &month_division)
    );
    for (name, figures) in [("(a)", &one_punch), ("(b)", &month)] {
        println!(
            "{name} syncer's /daily-workings queries: {:?}",
            figures.queries
        );
    }
    println!("total {:.1} s", started.elapsed().as_secs_f64());

    syncer.shut_down();
    db.close().await;
    test_db.finish().await;
    drop(child.stdin.take());
    child.wait().unwrap();
}

async fn record(api: &SyncerApi, punches: Vec<PunchInput>) {
    api.record_punches(tonic::Request::new(RecordPunchesRequest {
        company_id: COMPANY.into(),
        punches,
    }))
    .await
    .unwrap();
}

async fn run(syncer: &Syncer) -> CompanyReport {
    let mut report = syncer.run(Some(COMPANY), false).await.unwrap();
    report.results.remove(0)
}

fn clock_in(punch_id: &str, user_id: &str, at: DateTime<Utc>) -> PunchInput {
    PunchInput {
        punch_id: punch_id.into(),
        user_id: user_id.into(),
        status_id: "st-in".into(),
        status_name: "出勤".into(),
        status_kind: StatusKind::WorkStart.into(),
        punched_at: Some(prost_types::Timestamp {
            seconds: at.timestamp(),
            nanos: 0,
        }),
        platform: Platform::Ios.into(),
        app_version: "3.60.0".into(),
        ..PunchInput::default()
    }
}

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
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use chrono::{DateTime, Datelike, NaiveDate, NaiveTime, Utc, Weekday};
use kintai_core::testing::{TestDb, TestEngine};
use kintai_proto::common::v1::StatusKind;
use kintai_proto::syncer::v1::syncer_service_server::SyncerService;
use kintai_proto::syncer::v1::{Platform, PunchInput, RecordPunchesRequest};
use kintai_syncer::ports::memory::{MemoryLinks, MemorySettings};
use kintai_syncer::{CompanyReport, SyncOptions, Syncer, SyncerApi, SyncerDeps};
use kot_client::{DailyTimeRecords, KotClient, KotConfig, Token};
use kot_sim::{NewEmployee, NewPunch, PunchSource, RateLimit, RequestLogEntry, SimConfig};
use peak_alloc::PeakAlloc;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

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

/// The simulator's admin API (not proxied, not logged).
struct Admin {
    http: reqwest::Client,
    url: String,
}

struct Meter {
    admin: Admin,
    /// Bytes from the simulator to us through the proxy.
    counter: Arc<AtomicU64>,
}

impl Meter {
    async fn set_clock(&self, clock: &kintai_core::Clock, now: DateTime<Utc>) {
        clock.set(now);
        self.admin
            .http
            .put(format!("{}/clock", self.admin.url))
            .json(&serde_json::json!({ "mode": "fixed", "at": now }))
            .send()
            .await
            .unwrap()
            .error_for_status()
            .unwrap();
    }

    async fn start(&self) -> Phase {
        self.admin
            .http
            .delete(format!("{}/requests", self.admin.url))
            .send()
            .await
            .unwrap()
            .error_for_status()
            .unwrap();
        HEAP.reset_peak_usage();
        Phase {
            bytes: self.counter.load(Ordering::SeqCst),
            heap: HEAP.current_usage(),
            started: Instant::now(),
        }
    }

    async fn log(&self) -> Vec<RequestLogEntry> {
        self.admin
            .http
            .get(format!("{}/requests", self.admin.url))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap()
    }
}

struct Phase {
    bytes: u64,
    heap: usize,
    started: Instant,
}

#[derive(Debug, Default)]
struct Figures {
    general: usize,
    punch: usize,
    posts: usize,
    bytes: u64,
    peak_heap: usize,
    wall: Duration,
    days: Option<u32>,
    queries: Vec<String>,
}

impl Phase {
    async fn finish_plain(&mut self, meter: &Meter) -> Figures {
        let wall = self.started.elapsed();
        let peak_heap = HEAP.peak_usage().saturating_sub(self.heap);
        let bytes = meter.counter.load(Ordering::SeqCst) - self.bytes;
        let log = meter.log().await;
        let refused: Vec<_> = log
            .iter()
            .filter(|e| e.status.is_none_or(|s| s >= 300))
            .collect();
        assert!(refused.is_empty(), "refused or dropped: {refused:?}");
        let gets = |timerecord: bool| {
            log.iter()
                .filter(move |e| e.method == "GET" && e.path.contains("/timerecord") == timerecord)
        };
        Figures {
            general: gets(false).count(),
            punch: gets(true).count(),
            posts: log.iter().filter(|e| e.method == "POST").count(),
            bytes,
            peak_heap,
            wall,
            days: None,
            queries: gets(false)
                .map(|e| e.query.clone().unwrap_or_default())
                .collect(),
        }
    }

    async fn finish(&mut self, meter: &Meter, report: &CompanyReport) -> Figures {
        let mut figures = self.finish_plain(meter).await;
        figures.days = Some(report.days_checked);
        figures
    }
}

impl Figures {
    fn row(&self, name: &str) -> String {
        format!(
            "{name:<46} {:>8} {:>8} {:>6} {:>12} {:>10} {:>7.2}s {:>7}",
            self.general,
            self.punch,
            self.posts,
            bytes(self.bytes as f64),
            bytes(self.peak_heap as f64),
            self.wall.as_secs_f64(),
            self.days.map_or("-".into(), |d| d.to_string()),
        )
    }
}

fn ratio(name: &str, ours: &Figures, base: &Figures) -> String {
    let r = |a: f64, b: f64| {
        if b == 0.0 {
            "-".to_owned()
        } else {
            format!("{:.2}x", a / b)
        }
    };
    format!(
        "{name:<46} {:>8} {:>8} {:>6} {:>12} {:>10} {:>8}",
        r(ours.general as f64, base.general as f64),
        r(ours.punch as f64, base.punch as f64),
        "",
        r(ours.bytes as f64, base.bytes as f64),
        r(ours.peak_heap as f64, base.peak_heap as f64),
        r(ours.wall.as_secs_f64(), base.wall.as_secs_f64()),
    )
}

fn bytes(n: f64) -> String {
    if n >= 1e6 {
        format!("{:.1} MB", n / 1e6)
    } else if n >= 1e3 {
        format!("{:.1} kB", n / 1e3)
    } else {
        format!("{n:.0} B")
    }
}

/// A TCP proxy in front of the simulator that counts the bytes it answers; answers the base
/// URL to give the client.
async fn proxy(target: url::Url, counter: Arc<AtomicU64>) -> url::Url {
    let listener = TcpListener::bind(("127.0.0.1", 0)).await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let upstream = format!(
        "{}:{}",
        target.host_str().unwrap(),
        target.port_or_known_default().unwrap()
    );
    tokio::spawn(async move {
        loop {
            let Ok((inbound, _)) = listener.accept().await else {
                continue;
            };
            let (upstream, counter) = (upstream.clone(), counter.clone());
            tokio::spawn(async move {
                let Ok(outbound) = TcpStream::connect(upstream).await else {
                    return;
                };
                let _ = inbound.set_nodelay(true);
                let _ = outbound.set_nodelay(true);
                let (mut in_read, mut in_write) = inbound.into_split();
                let (mut out_read, mut out_write) = outbound.into_split();
                let up = async {
                    let _ = tokio::io::copy(&mut in_read, &mut out_write).await;
                    let _ = out_write.shutdown().await;
                };
                let down = async {
                    let mut buf = vec![0u8; 64 * 1024];
                    while let Ok(read) = out_read.read(&mut buf).await {
                        if read == 0 || in_write.write_all(&buf[..read]).await.is_err() {
                            break;
                        }
                        counter.fetch_add(read as u64, Ordering::SeqCst);
                    }
                    let _ = in_write.shutdown().await;
                };
                tokio::join!(up, down);
            });
        }
    });
    let mut url = target;
    url.set_port(Some(port)).unwrap();
    url
}

/// The child: the simulator with the company and its history, answering on localhost until
/// our stdin closes. Prints the base URL, the admin URL, the token, each employee's key, "ready".
async fn run_simulator() {
    let n = employees();
    let unlimited = RateLimit {
        requests: UNLIMITED,
        per: Duration::from_secs(300),
    };
    let sim = kot_sim::Simulator::new(SimConfig {
        general_limit: unlimited,
        punch_limit: unlimited,
        clock: kot_sim::Clock::Fixed(at(NOW)),
        request_log_capacity: 1_000_000,
        ..SimConfig::default()
    });
    sim.create_company(COMPANY).unwrap();
    for d in 0..DIVISIONS {
        sim.add_division(
            COMPANY,
            &format!("{}", 101 + d),
            &format!("支店{d}"),
            NaiveTime::MIN,
        )
        .unwrap();
    }
    let token = sim
        .issue_token(COMPANY, kot_sim::TokenOptions::default())
        .unwrap();
    let history: Vec<NaiveDate> = day(HISTORY.0)
        .iter_days()
        .take_while(|d| *d <= day(HISTORY.1))
        .filter(|d| !matches!(d.weekday(), Weekday::Sat | Weekday::Sun))
        .collect();
    let jst = chrono::FixedOffset::east_opt(9 * 3600).unwrap();
    let mut keys = Vec::with_capacity(n);
    for i in 0..n {
        let key = sim
            .add_employee(
                COMPANY,
                NewEmployee {
                    code: format!("E{i:05}"),
                    last_name: "社員".into(),
                    first_name: format!("{i}"),
                    division_code: division_of(i),
                    resigned_on: None,
                },
            )
            .unwrap();
        for date in &history {
            for (hour, code) in [(9, "1"), (18, "2")] {
                let time = date.and_hms_opt(hour, (i % 30) as u32, 0).unwrap();
                sim.add_punch(
                    &key,
                    NewPunch {
                        date: *date,
                        time: time.and_local_timezone(jst).unwrap(),
                        code: Some(code.into()),
                        division_code: None,
                        source: PunchSource::TimeRecorder,
                    },
                )
                .unwrap();
            }
        }
        keys.push(key);
    }
    let handle = sim.spawn_local().await.unwrap();
    let mut out = format!("{}\n{}\n{token}\n", handle.base_url, handle.admin_url);
    for key in &keys {
        out.push_str(key);
        out.push('\n');
    }
    out.push_str("ready\n");
    print!("{out}");
    use std::io::Write;
    std::io::stdout().flush().unwrap();
    // Until the bench closes our stdin (or exits).
    tokio::task::spawn_blocking(|| {
        let mut rest = Vec::new();
        let _ = std::io::stdin().read_to_end(&mut rest);
    })
    .await
    .unwrap();
}

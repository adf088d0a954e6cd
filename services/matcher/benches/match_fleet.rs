//! Matching a fleet: by default 1,000 companies × 200 users against the KING OF TIME simulator
//! with 20 ms added to every call, and, in the same process and run, a baseline of the bare
//! employee-list calls (same client, same concurrency, no settings, no database, no matching).
//!
//! Reported per phase: wall time, and CPU time per user of this process without the
//! simulator's threads (they are named `kot-sim` and measured apart from `/proc/self/task`).
//!
//!     cargo bench -p kintai-matcher --bench match_fleet
//!
//! Knobs (environment): KINTAI_BENCH_COMPANIES (1000), KINTAI_BENCH_USERS (200),
//! KINTAI_BENCH_LATENCY_MS (20), KINTAI_BENCH_CONCURRENCY (32), KINTAI_BENCH_SIMULATORS (50),
//! KINTAI_BENCH_RERUNS (1: how many unchanged re-runs, e.g. more to profile them),
//! KINTAI_TEST_POSTGRES_URL (set: run on a fresh PostgreSQL database instead of SQLite).
//!
//! The companies are spread over several simulators because the simulator looks employees up
//! by scanning its whole list, which would make setting up 200,000 employees in one of them
//! take minutes; a small routing vendor sends each token to its simulator.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context;
use async_trait::async_trait;
use chrono::{DateTime, NaiveDate, NaiveTime, Utc};
use futures::StreamExt;
use kintai_core::testing::{TestDb, TestEngine};
use kintai_matcher::{DirectoryUser, Matcher, MatcherDeps, MemoryCompany, MemorySettings, Outcome};
use kot_client::{
    AttendanceVendor, Employee, KotClient, KotConfig, KotError, TimeRecord, TimeRecordRequest,
    TimeRecordResponse, Token,
};
use kot_sim::{Clock, NewEmployee, SimConfig, SimHandle, Simulator, TokenOptions};

fn knob(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// Sends each token to the simulator that issued it.
struct Routing {
    clients: HashMap<String, KotClient>,
}

impl Routing {
    fn client(&self, token: &Token) -> Result<&KotClient, KotError> {
        self.clients
            .get(token.expose())
            .ok_or_else(|| KotError::NotSent {
                reason: "unknown token in the bench".into(),
            })
    }
}

#[async_trait]
impl AttendanceVendor for Routing {
    async fn check_token(&self, token: &Token) -> Result<bool, KotError> {
        self.client(token)?.check_token(token).await
    }
    async fn list_employees(
        &self,
        token: &Token,
        include_resigned: bool,
    ) -> Result<Vec<Employee>, KotError> {
        AttendanceVendor::list_employees(self.client(token)?, token, include_resigned).await
    }
    async fn post_punch(
        &self,
        token: &Token,
        employee_key: &str,
        punch: &TimeRecordRequest,
    ) -> Result<TimeRecordResponse, KotError> {
        self.client(token)?
            .post_punch(token, employee_key, punch)
            .await
    }
    async fn read_day(
        &self,
        token: &Token,
        employee_key: &str,
        date: NaiveDate,
    ) -> Result<Vec<TimeRecord>, KotError> {
        self.client(token)?
            .read_day(token, employee_key, date)
            .await
    }
    async fn list_divisions(&self, token: &Token) -> Result<Vec<kot_client::Division>, KotError> {
        AttendanceVendor::list_divisions(self.client(token)?, token).await
    }
    async fn read_days(
        &self,
        token: &Token,
        employee_keys: &[String],
        start: NaiveDate,
        end: NaiveDate,
    ) -> Result<kot_client::EmployeeDayRecords, KotError> {
        AttendanceVendor::read_days(self.client(token)?, token, employee_keys, start, end).await
    }
    async fn daily_workings(
        &self,
        token: &Token,
        division: Option<&str>,
        start: NaiveDate,
        end: NaiveDate,
    ) -> Result<Vec<kot_client::DailyWorkingSummary>, KotError> {
        self.client(token)?
            .daily_workings(token, division, start, end)
            .await
    }
}

/// CPU time of the whole process (terminated threads included), from /proc/self/stat.
fn process_cpu() -> Duration {
    let ticks_per_second: u64 = std::process::Command::new("getconf")
        .arg("CLK_TCK")
        .output()
        .ok()
        .and_then(|out| String::from_utf8(out.stdout).ok())
        .and_then(|text| text.trim().parse().ok())
        .unwrap_or(100);
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    // Fields after the command name (which may contain spaces) start at field 3.
    let after = stat.rsplit_once(')').map_or("", |(_, rest)| rest);
    let fields: Vec<u64> = after
        .split_whitespace()
        .map(|f| f.parse().unwrap_or(0))
        .collect();
    let ticks = fields.get(11).copied().unwrap_or(0) + fields.get(12).copied().unwrap_or(0);
    Duration::from_nanos(ticks * 1_000_000_000 / ticks_per_second.max(1))
}

/// CPU time of the simulator's threads, from their schedstat (nanoseconds).
fn simulator_cpu() -> Duration {
    threads_cpu("kot-sim")
}

/// CPU time of the threads whose name starts with `prefix`, from their schedstat.
fn threads_cpu(prefix: &str) -> Duration {
    let mut total = 0_u64;
    if let Ok(tasks) = std::fs::read_dir("/proc/self/task") {
        for task in tasks.flatten() {
            let comm = std::fs::read_to_string(task.path().join("comm")).unwrap_or_default();
            if comm.starts_with(prefix) {
                let stat =
                    std::fs::read_to_string(task.path().join("schedstat")).unwrap_or_default();
                total += stat
                    .split_whitespace()
                    .next()
                    .and_then(|ns| ns.parse::<u64>().ok())
                    .unwrap_or(0);
            }
        }
    }
    Duration::from_nanos(total)
}

struct Measure {
    wall: Duration,
    cpu: Duration,
    /// Of `cpu`, what SQLite's connection threads spent (sqlx runs each connection on one).
    sqlite_cpu: Duration,
}

/// The client paces each token evenly over KING OF TIME's budget (500 requests per 5 minutes:
/// one call per 0.6 s). The hourly run calls each token once, so the pause before every phase
/// keeps that pacing, which production never meets, out of the figures.
const PACING_PAUSE: Duration = Duration::from_secs(2);

async fn measure<F: std::future::Future<Output = ()>>(work: F) -> Measure {
    tokio::time::sleep(PACING_PAUSE).await;
    let (cpu0, sim0, sqlite0) = (process_cpu(), simulator_cpu(), threads_cpu("sqlx-sqlite"));
    let start = Instant::now();
    work.await;
    let wall = start.elapsed();
    let cpu =
        (process_cpu().saturating_sub(cpu0)).saturating_sub(simulator_cpu().saturating_sub(sim0));
    let sqlite_cpu = threads_cpu("sqlx-sqlite").saturating_sub(sqlite0);
    Measure {
        wall,
        cpu,
        sqlite_cpu,
    }
}

fn noon() -> DateTime<Utc> {
    DateTime::parse_from_rfc3339("2024-06-03T12:00:00+09:00")
        .map(|t| t.to_utc())
        .unwrap_or_default()
}

struct Fleet {
    tokens: Vec<String>,
    settings: MemorySettings,
    vendor: Arc<Routing>,
    _handles: Vec<SimHandle>,
}

/// Simulators with `companies` companies of `users` employees each, and the cyzen side: per
/// company 180 of 200 users (90 %) carry an employee's code exactly, 5 % a near miss
/// (leading zeros) and 5 % no code.
fn build_fleet(
    sim_runtime: &tokio::runtime::Runtime,
    companies: usize,
    users: usize,
    simulators: usize,
    latency: Duration,
) -> anyhow::Result<Fleet> {
    let mut sims = Vec::new();
    let mut handles = Vec::new();
    let mut clients = Vec::new();
    for _ in 0..simulators.max(1) {
        let sim = Simulator::new(SimConfig {
            clock: Clock::Fixed(noon()),
            ..SimConfig::default()
        });
        let handle = sim_runtime.block_on(sim.spawn_local())?;
        // The production timeouts, as before the kit's client: a fleet this size may be slow.
        let client = kintai_testkit::sim::client_with(&handle, |config| {
            let production = KotConfig::default();
            config.request_timeout = production.request_timeout;
            config.connect_timeout = production.connect_timeout;
        });
        sims.push(sim);
        handles.push(handle);
        clients.push(client);
    }
    let settings = MemorySettings::default();
    let mut tokens = Vec::new();
    let mut routes = HashMap::new();
    for c in 0..companies {
        let slot = c % sims.len();
        let sim = &sims[slot];
        let kot_code = format!("k{c:05}");
        sim.create_company(&kot_code)?;
        sim.add_division(&kot_code, "100", "本社", NaiveTime::MIN)?;
        let token = sim.issue_token(&kot_code, TokenOptions::default())?;
        let mut directory = Vec::with_capacity(users);
        for i in 0..users {
            let code = format!("E{i:05}");
            sim.add_employee(
                &kot_code,
                NewEmployee {
                    code: code.clone(),
                    last_name: "社員".into(),
                    first_name: format!("{i}"),
                    division_code: "100".into(),
                    resigned_on: None,
                },
            )?;
            let user_code = match i % 20 {
                0 => String::new(),
                1 => format!("E{i:04}"),
                _ => code,
            };
            directory.push(DirectoryUser {
                user_id: format!("u{i:05}"),
                user_code,
                name: format!("ユーザー {i}"),
                kot_link_enabled: true,
            });
        }
        settings.put(
            &format!("company-{c:05}"),
            MemoryCompany {
                enabled: true,
                token: Some(token.clone()),
                token_rejected: false,
                users: directory,
                ..MemoryCompany::default()
            },
        );
        routes.insert(token.clone(), clients[slot].clone());
        tokens.push(token);
    }
    for sim in &sims {
        sim.set_latency(latency);
    }
    Ok(Fleet {
        tokens,
        settings,
        vendor: Arc::new(Routing { clients: routes }),
        _handles: handles,
    })
}

/// The baseline: every company's employee list, nothing else. Each call is a task of its own,
/// as each company's run is in `Matcher::run_all`, so that both spread their CPU work (reading
/// the lists) over the runtime's threads alike.
async fn bare_calls(fleet: &Fleet, concurrency: usize) -> usize {
    let vendor = fleet.vendor.clone();
    futures::stream::iter(fleet.tokens.clone())
        .map(move |token| {
            let vendor = vendor.clone();
            let call = tokio::spawn(async move {
                let token = Token::new(token);
                AttendanceVendor::list_employees(vendor.as_ref(), &token, true)
                    .await
                    .map(|e| e.len())
                    .unwrap_or(0)
            });
            async move { call.await.unwrap_or(0) }
        })
        .buffer_unordered(concurrency)
        .fold(0, |sum, n| async move { sum + n })
        .await
}

fn main() -> anyhow::Result<()> {
    let companies = knob("KINTAI_BENCH_COMPANIES", 1000);
    let users = knob("KINTAI_BENCH_USERS", 200);
    let latency = Duration::from_millis(knob("KINTAI_BENCH_LATENCY_MS", 20) as u64);
    let concurrency = knob("KINTAI_BENCH_CONCURRENCY", 32);
    let simulators = knob("KINTAI_BENCH_SIMULATORS", 50);
    let total_users = (companies * users) as f64;

    let sim_runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .thread_name("kot-sim")
        .enable_all()
        .build()?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .thread_name("bench")
        .enable_all()
        .build()?;

    let setup = Instant::now();
    let fleet = build_fleet(&sim_runtime, companies, users, simulators, latency)?;
    let engine = if kintai_core::testing::postgres_url().is_ok() {
        TestEngine::Postgres
    } else {
        TestEngine::Sqlite
    };
    let test_db = runtime
        .block_on(TestDb::new(engine))
        .context("bench database")?;
    // The pool the binary opens by default (database.max_connections = 10).
    let db = runtime.block_on(kintai_core::Db::connect(&test_db.url, 10))?;
    let mut deps = MatcherDeps::new(Arc::new(fleet.settings.clone()), fleet.vendor.clone());
    deps.clock = kintai_core::Clock::fixed(noon());
    deps.concurrency = concurrency;
    let matcher: Matcher = runtime
        .block_on(kintai_matcher::api(db.clone(), deps))?
        .matcher()
        .clone();
    println!(
        "fleet: {companies} companies × {users} users, {} ms per KING OF TIME call, concurrency {concurrency}, {engine:?}; set up in {:.1} s",
        latency.as_millis(),
        setup.elapsed().as_secs_f64()
    );

    let work = async move {
        // Connections to the simulators are opened here, outside every measurement.
        let listed = bare_calls(&fleet, concurrency).await;
        anyhow::ensure!(
            listed == companies * users,
            "warm-up listed {listed} employees"
        );

        let mut rows = Vec::new();
        let baseline_a = measure(async {
            bare_calls(&fleet, concurrency).await;
        })
        .await;
        rows.push(("baseline: bare employee-list calls", baseline_a));
        let reruns = knob("KINTAI_BENCH_RERUNS", 1).max(1);
        let phases = std::iter::once("matcher: first run (every row new)").chain(
            std::iter::repeat_n("matcher: hourly re-run (unchanged)", reruns),
        );
        for phase in phases {
            let mut linked = 0;
            let m = measure(async {
                let report = matcher.run_all().await.expect("companies listed");
                for result in &report.results {
                    assert_eq!(result.outcome, Outcome::Matched, "{result:?}");
                    linked += result.linked as usize;
                }
            })
            .await;
            anyhow::ensure!(linked == companies * users * 18 / 20, "linked {linked}");
            rows.push((phase, m));
        }
        let baseline_b = measure(async {
            bare_calls(&fleet, concurrency).await;
        })
        .await;
        rows.push(("baseline again", baseline_b));

        let baseline_wall = rows
            .iter()
            .filter(|(name, _)| name.starts_with("baseline"))
            .map(|(_, m)| m.wall.as_secs_f64())
            .sum::<f64>()
            / 2.0;
        let baseline_cpu = rows
            .iter()
            .filter(|(name, _)| name.starts_with("baseline"))
            .map(|(_, m)| m.cpu.as_secs_f64())
            .sum::<f64>()
            / 2.0;
        println!(
            "| phase | wall (s) | wall / baseline | CPU (s) | CPU per user (µs) | CPU per user above baseline (µs) | of which SQLite threads (µs) |"
        );
        println!("|---|---|---|---|---|---|---|");
        for (name, m) in &rows {
            let cpu = m.cpu.as_secs_f64();
            println!(
                "| {name} | {:.3} | {:.2} | {:.3} | {:.2} | {:.2} | {:.2} |",
                m.wall.as_secs_f64(),
                m.wall.as_secs_f64() / baseline_wall,
                cpu,
                cpu / total_users * 1e6,
                (cpu - baseline_cpu) / total_users * 1e6,
                m.sqlite_cpu.as_secs_f64() / total_users * 1e6,
            );
        }
        anyhow::Ok(())
    };
    // On the runtime's workers (threads named `bench`), not on the main thread that set up the
    // simulators, so that a profile tells the two apart.
    runtime.block_on(runtime.spawn(work))??;
    runtime.block_on(db.close());
    runtime.block_on(test_db.finish());
    Ok(())
}

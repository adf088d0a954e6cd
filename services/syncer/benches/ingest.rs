//! Ingest throughput: `RecordPunches` through gRPC (a tonic client over TCP to the production
//! server wiring, caller authentication on) in batches of 500, against the fastest plain bulk
//! insert of the same rows into the same table, measured in the same run with batches taken
//! in turn so that both see the table grow alike, each side first every other batch. The
//! baseline uses sqlx's native drivers: PostgreSQL one `INSERT ... SELECT * FROM UNNEST(...)`
//! per batch, SQLite one prepared 500-row `INSERT ... VALUES` per transaction, with the pragmas
//! the service uses.
//!
//! `cargo bench -p kintai-syncer --bench ingest` (PostgreSQL too when KINTAI_TEST_POSTGRES_URL
//! is set). Target: at least 0.8 of the baseline's rate.

use std::sync::Arc;
use std::time::{Duration, Instant};

use kintai_core::auth::{Callers, ClientCredentials, hash_secret};
use kintai_core::server::{GrpcServer, ServerConfig};
use kintai_core::testing::{TestDb, TestEngine};
use kintai_proto::common::v1::StatusKind;
use kintai_proto::syncer::v1::syncer_service_client::SyncerServiceClient;
use kintai_proto::syncer::v1::{Platform, PunchInput, RecordPunchesRequest};
use kintai_syncer::ports::memory::{MemoryLinks, MemorySettings};
use kintai_syncer::{SyncOptions, SyncerDeps};
use kot_client::{KotClient, KotConfig};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{PgPool, SqlitePool};
use tokio::net::TcpListener;

const BATCH: usize = 500;
/// Batches measured per side; one more per side first warms caches and statement caches. 200
/// (100,000 rows a side) rather than 40: in a table of 20,000 rows the fixed costs per call
/// weigh more and the ratio swung 0.48–0.67 on SQLite from run to run; a fuller table is also
/// closer to production's.
const BATCHES: usize = 200;

/// `KINTAI_BENCH_BATCHES` overrides [`BATCHES`]: a profiler needs a short run (whose ratio
/// then weighs the fixed costs per call more).
fn batches_measured() -> usize {
    std::env::var("KINTAI_BENCH_BATCHES")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(BATCHES)
}

const SECRET: &str = "bench-cyzen-platform-secret";

/// One row as both sides store it: the RecordPunches input, and the ledger columns the
/// baseline writes precomputed (what RecordPunches derives: a 出勤 punch waiting for its run).
fn batch(index: usize, base: i64) -> Vec<PunchInput> {
    (0..BATCH)
        .map(|i| {
            let n = index * BATCH + i;
            PunchInput {
                punch_id: format!("punch-{n:08}"),
                user_id: format!("user-{:04}", n % 300),
                status_id: "st-1".into(),
                status_name: "出勤".into(),
                status_kind: StatusKind::WorkStart.into(),
                punched_at: Some(prost_types::Timestamp {
                    seconds: base - n as i64,
                    nanos: 0,
                }),
                latitude: Some(35.68),
                longitude: Some(139.76),
                address: "東京都千代田区".into(),
                platform: Platform::Android.into(),
                app_version: "3.60.0".into(),
            }
        })
        .collect()
}

const COLUMNS: &str = "company_id, punch_id, user_id, status_id, status_name, status_kind, \
    punched_at, latitude, longitude, address, platform, app_version, unsupported_app_version, \
    received_at, punch_type, state, reason, attempts, working_day, employee_key";

fn millis(p: &PunchInput) -> i64 {
    p.punched_at.as_ref().map_or(0, |t| t.seconds * 1000)
}

/// The fastest plain insert each engine offers for one batch.
enum Baseline {
    Postgres(PgPool),
    Sqlite(SqlitePool),
}

impl Baseline {
    async fn connect(url: &str) -> Self {
        if url.starts_with("postgres") {
            return Self::Postgres(PgPool::connect(url).await.unwrap());
        }
        let path = url.trim_start_matches("sqlite://");
        let options = SqliteConnectOptions::new()
            .filename(path)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Normal)
            .busy_timeout(Duration::from_secs(10));
        let pool = SqlitePoolOptions::new()
            .max_connections(1)
            .connect_with(options)
            .await
            .unwrap();
        Self::Sqlite(pool)
    }

    async fn insert(&self, punches: &[PunchInput]) {
        let received = chrono::Utc::now().timestamp_millis();
        // The reason exactly as RecordPunches stores it (a message id and no arguments).
        let stored = kintai_i18n::Text::new(kintai_syncer::store::AWAITING_RUN).to_stored();
        let reason = stored.as_str();
        match self {
            Self::Postgres(pool) => {
                let col = |f: fn(&PunchInput) -> String| punches.iter().map(f).collect::<Vec<_>>();
                sqlx::query(&format!(
                    "INSERT INTO punches ({COLUMNS}) SELECT 'baseline', * FROM UNNEST(\
                     $1::text[], $2::text[], $3::text[], $4::text[], $5::bigint[], $6::bigint[], \
                     $7::float8[], $8::float8[], $9::text[], $10::bigint[], $11::text[]) \
                     CROSS JOIN (SELECT 0::bigint, $12::bigint, 1::bigint, 'held', $13::text, \
                     0::bigint, '', '') AS ledger"
                ))
                .bind(col(|p| p.punch_id.clone()))
                .bind(col(|p| p.user_id.clone()))
                .bind(col(|p| p.status_id.clone()))
                .bind(col(|p| p.status_name.clone()))
                .bind(
                    punches
                        .iter()
                        .map(|p| i64::from(p.status_kind))
                        .collect::<Vec<_>>(),
                )
                .bind(punches.iter().map(millis).collect::<Vec<_>>())
                .bind(punches.iter().map(|p| p.latitude).collect::<Vec<_>>())
                .bind(punches.iter().map(|p| p.longitude).collect::<Vec<_>>())
                .bind(col(|p| p.address.clone()))
                .bind(
                    punches
                        .iter()
                        .map(|p| i64::from(p.platform))
                        .collect::<Vec<_>>(),
                )
                .bind(col(|p| p.app_version.clone()))
                .bind(received)
                .bind(reason)
                .execute(pool)
                .await
                .unwrap();
            }
            Self::Sqlite(pool) => {
                // The whole batch in one statement: measured the fastest (100-row chunks were
                // within a few percent, 25-row ones 20 % slower).
                let sql = sqlite_sql(punches.len());
                let mut tx = pool.begin_with("BEGIN IMMEDIATE").await.unwrap();
                sqlite_insert(&sql, punches, received, reason)
                    .execute(&mut *tx)
                    .await
                    .unwrap();
                tx.commit().await.unwrap();
            }
        }
    }

    async fn close(self) {
        match self {
            Self::Postgres(pool) => pool.close().await,
            Self::Sqlite(pool) => pool.close().await,
        }
    }
}

/// The INSERT of `rows` rows, with anonymous parameters (SQLite binds named ones in O(n²)); the
/// same text every batch, so sqlx prepares it once.
fn sqlite_sql(rows: usize) -> String {
    let rows = vec!["(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"; rows];
    format!("INSERT INTO punches ({COLUMNS}) VALUES {}", rows.join(", "))
}

/// One multi-row INSERT of `chunk` with the text [`sqlite_sql`] made for its length.
fn sqlite_insert<'q>(
    sql: &'q str,
    chunk: &'q [PunchInput],
    received: i64,
    reason: &'q str,
) -> sqlx::query::Query<'q, sqlx::Sqlite, sqlx::sqlite::SqliteArguments<'q>> {
    let mut query = sqlx::query(sql);
    for p in chunk {
        query = query
            .bind("baseline")
            .bind(p.punch_id.as_str())
            .bind(p.user_id.as_str())
            .bind(p.status_id.as_str())
            .bind(p.status_name.as_str())
            .bind(i64::from(p.status_kind))
            .bind(millis(p))
            .bind(p.latitude)
            .bind(p.longitude)
            .bind(p.address.as_str())
            .bind(i64::from(p.platform))
            .bind(p.app_version.as_str())
            .bind(0_i64)
            .bind(received)
            .bind(1_i64)
            .bind("held")
            .bind(reason)
            .bind(0_i64)
            .bind("")
            .bind("");
    }
    query
}

/// The syncer's gRPC server as `kintai serve syncer` wires it (authentication, message limits,
/// health, reflection), on a port the OS chose; its address.
async fn serve(db: kintai_core::Db) -> String {
    let deps = SyncerDeps {
        settings: Arc::new(MemorySettings::new()),
        links: Arc::new(MemoryLinks::new()),
        vendor: Arc::new(KotClient::new(KotConfig::default()).unwrap()),
        clock: kintai_core::Clock::system(),
        // No dispatcher runs here: the bench measures ingest, not delivery.
        options: SyncOptions::default(),
    };
    let config = ServerConfig::default();
    let syncer = kintai_syncer::Syncer::start(db.clone(), deps)
        .await
        .unwrap();
    let service = kintai_syncer::grpc_service(syncer, config.max_message_bytes);
    let callers = Callers::parse(&format!("cyzen-platform:{}", hash_secret(SECRET))).unwrap();
    let mut server = GrpcServer::new(config);
    server.add_service(service);
    server.authenticate(callers);
    server.require_database(db);
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    tokio::spawn(server.serve(listener, std::future::pending()));
    format!("http://{address}")
}

async fn timed(work: impl std::future::Future<Output = ()>) -> Duration {
    let started = Instant::now();
    work.await;
    started.elapsed()
}

async fn measure(engine: TestEngine) {
    let Some(test_db) = TestDb::new(engine).await else {
        return;
    };
    // Sized like a production syncer's pool.
    let db = kintai_core::Db::connect(&test_db.url, 10).await.unwrap();
    let url = serve(db.clone()).await;
    let channel = tonic::transport::Endpoint::from_shared(url)
        .unwrap()
        .connect()
        .await
        .unwrap();
    let credentials = ClientCredentials::bearer(SECRET).unwrap();
    let mut client = SyncerServiceClient::with_interceptor(channel, credentials);
    let baseline = Baseline::connect(&test_db.url).await;

    let base = chrono::Utc::now().timestamp() - 60;
    let measured = batches_measured();
    let batches: Vec<_> = (0..=measured).map(|i| batch(i, base)).collect();
    let (mut ours, mut theirs) = (Duration::ZERO, Duration::ZERO);
    for (index, punches) in batches.iter().enumerate() {
        // Request building (cloning 500 inputs) stays outside the timing: the caller's cost.
        let request = RecordPunchesRequest {
            company_id: "bench".into(),
            punches: punches.clone(),
        };
        // Each side goes first every other batch: which commit runs SQLite's automatic
        // checkpoint depends on the order (measured: with ours always first, 0.35; swapped,
        // 2.6), and alternating shares that cost out evenly.
        let baseline_first = index % 2 == 1;
        let mut baseline_took = Duration::ZERO;
        if baseline_first {
            baseline_took = timed(baseline.insert(punches)).await;
        }
        let started = Instant::now();
        let answer = client.record_punches(request).await.unwrap().into_inner();
        let took = started.elapsed();
        assert_eq!(
            answer.accepted as usize,
            BATCH,
            "{:?}",
            answer.results.first()
        );
        if !baseline_first {
            baseline_took = timed(baseline.insert(punches)).await;
        }
        if index > 0 {
            ours += took;
            theirs += baseline_took;
        }
    }
    let total = (BATCH * measured) as f64;
    let rate = |d: Duration| total / d.as_secs_f64();
    let how = match baseline {
        Baseline::Postgres(_) => "one INSERT .. SELECT FROM UNNEST per batch",
        Baseline::Sqlite(_) => "one prepared 500-row INSERT per transaction",
    };
    println!(
        "ingest {engine:?}: RecordPunches over gRPC {:.0} punches/s, plain bulk insert ({how}) \
         {:.0} punches/s, ratio {:.2} ({measured} batches of {BATCH} each, taken in turn, each side first every other batch)",
        rate(ours),
        rate(theirs),
        rate(ours) / rate(theirs),
    );
    baseline.close().await;
    db.close().await;
    test_db.finish().await;
}

#[tokio::main]
async fn main() {
    measure(TestEngine::Sqlite).await;
    measure(TestEngine::Postgres).await;
}

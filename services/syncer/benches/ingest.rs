//! Ingest throughput: punches per second through RecordPunches (the handler, in process) in
//! batches of 500, against inserting the same rows with plain sqlx in the same run.
//!
//! `cargo bench -p kintai-syncer --bench ingest` (PostgreSQL too when KINTAI_TEST_POSTGRES_URL
//! is set). Target: at least 0.5 of the baseline.

use std::sync::Arc;
use std::time::{Duration, Instant};

use kintai_core::testing::{TestDb, TestEngine};
use kintai_proto::common::v1::StatusKind;
use kintai_proto::syncer::v1::syncer_service_server::SyncerService;
use kintai_proto::syncer::v1::{Platform, PunchInput, RecordPunchesRequest};
use kintai_syncer::ports::memory::{MemoryLinks, MemorySettings};
use kintai_syncer::{SyncOptions, Syncer, SyncerApi, SyncerDeps};
use kot_client::{KotClient, KotConfig};

const BATCH: usize = 500;
const BATCHES: usize = 20;

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

/// The same rows into the same table (columns, indexes), one plain INSERT per row and one
/// transaction per batch, with the ledger columns precomputed: what RecordPunches adds on top
/// is validation, translation, idempotency and the per-punch answer.
async fn baseline(db: &kintai_core::Db, batches: &[Vec<PunchInput>]) -> Duration {
    let started = Instant::now();
    for punches in batches {
        let mut tx = db.begin_write().await.unwrap();
        for p in punches {
            sqlx::query(
                "INSERT INTO punches (company_id, punch_id, user_id, status_id, status_name, status_kind, \
                 punched_at, latitude, longitude, address, platform, app_version, unsupported_app_version, \
                 received_at, punch_type, state, reason, attempts, working_day, employee_key) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20)",
            )
            .bind("baseline")
            .bind(&p.punch_id)
            .bind(&p.user_id)
            .bind(&p.status_id)
            .bind(&p.status_name)
            .bind(i64::from(p.status_kind))
            .bind(p.punched_at.as_ref().map_or(0, |t| t.seconds * 1000))
            .bind(p.latitude)
            .bind(p.longitude)
            .bind(&p.address)
            .bind(i64::from(p.platform))
            .bind(&p.app_version)
            .bind(0_i64)
            .bind(chrono::Utc::now().timestamp_millis())
            .bind(1_i64)
            .bind("held")
            .bind(kintai_syncer::store::AWAITING_RUN)
            .bind(0_i64)
            .bind("")
            .bind("")
            .execute(&mut *tx)
            .await
            .unwrap();
        }
        tx.commit().await.unwrap();
    }
    started.elapsed()
}

async fn measure(engine: TestEngine) {
    let Some(test_db) = TestDb::new(engine).await else {
        return;
    };
    let deps = SyncerDeps {
        settings: Arc::new(MemorySettings::new()),
        links: Arc::new(MemoryLinks::new()),
        vendor: Arc::new(KotClient::new(KotConfig::default()).unwrap()),
        clock: kintai_core::Clock::system(),
        options: SyncOptions::default(),
    };
    let api = SyncerApi::new(Syncer::start(test_db.db.clone(), deps).await.unwrap());
    let base = chrono::Utc::now().timestamp() - 60;
    let batches: Vec<_> = (0..BATCHES).map(|i| batch(i, base)).collect();
    let started = Instant::now();
    for punches in &batches {
        let answer = api
            .record_punches(tonic::Request::new(RecordPunchesRequest {
                company_id: "bench".into(),
                punches: punches.clone(),
            }))
            .await
            .unwrap()
            .into_inner();
        assert_eq!(answer.accepted as usize, BATCH);
    }
    let ours = started.elapsed();
    // After ours: the table then holds as many rows for the baseline as it held for us.
    let baseline_time = baseline(&test_db.db, &batches).await;
    let total = (BATCH * BATCHES) as f64;
    let rate = |d: Duration| total / d.as_secs_f64();
    println!(
        "ingest {engine:?}: RecordPunches {:.0} punches/s, plain sqlx {:.0} punches/s, ratio {:.2} ({} batches of {BATCH})",
        rate(ours),
        rate(baseline_time),
        rate(ours) / rate(baseline_time),
        BATCHES
    );
    test_db.finish().await;
}

#[tokio::main]
async fn main() {
    measure(TestEngine::Sqlite).await;
    measure(TestEngine::Postgres).await;
}

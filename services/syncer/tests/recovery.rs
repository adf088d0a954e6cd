//! Exactly once across restarts and concurrency, on both engines: punches left in flight by a
//! run that died, read-backs held by the restricted hours, two runs at once, a run killed after
//! its POST. Every assertion reads the simulator's stored punches.

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use chrono::NaiveDate;
use common::*;
use kintai_core::Db;
use kintai_proto::syncer::v1::{PunchState, RunSyncRequest, RunSyncResponse, SyncOutcome};
use kintai_syncer::{SyncOptions, Syncer, SyncerDeps};
use kintai_testkit::{both_engines, day, jst};
use kot_client::{
    AttendanceVendor, Employee, KotClient, KotError, TimeRecord, TimeRecordRequest,
    TimeRecordResponse, Token,
};

const C: &str = "acme";
/// Sets a punch in flight as a crashed run would have left it.
async fn leave_in_flight(db: &Db, punch_id: &str, employee_key: &str, working_day: &str) {
    sqlx::query("UPDATE punches SET state = 'in_flight', employee_key = $1, working_day = $2, attempts = 1 WHERE punch_id = $3")
        .bind(employee_key)
        .bind(working_day)
        .bind(punch_id)
        .execute(db.pool())
        .await
        .unwrap();
}

async fn post_directly(h: &Harness, token: &str, key: &str, at: &str, date: &str) {
    let request = TimeRecordRequest {
        date: day(date),
        time: jst(at).with_timezone(&kot_client::jst()),
        code: kot_client::PunchCode::ClockIn,
        division_code: None,
        latitude: None,
        longitude: None,
    };
    h.client
        .post_timerecord(&Token::new(token), key, &request)
        .await
        .unwrap();
}

both_engines!(
    in_flight_punches_are_verified_before_any_resend,
    |db: Db| async move {
        let h = harness(db.clone(), jst(NOW)).await;
        let token = h.company(C);
        let key = h.employee(C, "u1", "U000123", true);
        h.record(
            C,
            vec![
                clock_in("stored", "u1", "2024-06-03T08:00:00"),
                clock_in("lost", "u1", "2024-06-04T08:00:00"),
            ],
        )
        .await;
        // "stored": the crash came after KING OF TIME stored it; "lost": before the POST left.
        leave_in_flight(&db, "stored", &key, "2024-06-03").await;
        leave_in_flight(&db, "lost", &key, "2024-06-04").await;
        post_directly(&h, &token, &key, "2024-06-03T08:00:00", "2024-06-03").await;
        let run = h.sync(C).await;
        assert_eq!(run.results[0].sent, 2);
        assert_eq!(h.kot(C).len(), 2);
        assert_no_duplicates(&h, C);
        assert_eq!(h.punch(C, "stored").await.attempts, 1);
        assert_eq!(h.punch(C, "lost").await.attempts, 2);
    }
);

both_engines!(
    restricted_hours_posts_go_on_read_backs_wait,
    |db: Db| async move {
        let h = harness(db.clone(), jst(NOW)).await;
        let token = h.company(C);
        let key1 = h.employee(C, "u1", "U000123", true);
        h.employee(C, "u2", "U000124", true);
        h.record(
            C,
            vec![
                clock_in("a", "u1", "2024-06-20T08:00:00"),
                clock_in("b", "u2", "2024-06-20T08:40:00"),
            ],
        )
        .await;
        leave_in_flight(&db, "a", &key1, "2024-06-20").await;
        post_directly(&h, &token, &key1, "2024-06-20T08:00:00", "2024-06-20").await;
        h.set_now(jst("2024-06-20T09:00:00"));
        h.sim.sim.clear_request_log();
        let run = h.sync(C).await;
        let result = &run.results[0];
        assert_eq!(result.outcome(), SyncOutcome::Partial);
        assert_eq!((result.sent, result.deferred), (1, 1));
        assert_eq!(h.punch(C, "a").await.state(), PunchState::InFlight);
        assert!(h.punch(C, "a").await.reason.contains("08:30"));
        assert!(
            h.sim.sim.request_log().iter().all(|r| r.method == "POST"),
            "no reads in the restricted hours"
        );
        assert_eq!(h.kot(C).len(), 2);

        h.set_now(jst("2024-06-20T10:05:00"));
        let later = h.sync(C).await;
        assert_eq!(
            (later.results[0].outcome(), later.results[0].sent),
            (SyncOutcome::Completed, 1)
        );
        assert_eq!(h.punch(C, "a").await.state(), PunchState::Sent);
        assert_eq!(h.kot(C).len(), 2);
        assert_no_duplicates(&h, C);
    }
);

both_engines!(concurrent_runs_send_each_punch_once, |db: Db| async move {
    let h = harness(db.clone(), jst(NOW)).await;
    h.company(C);
    h.employee(C, "u1", "U000123", true);
    h.employee(C, "u2", "U000124", true);
    let mut batch = day_punches("a", "u1", 10);
    batch.extend(day_punches("b", "u2", 10));
    h.record(C, batch).await;
    h.sim.sim.set_latency(Duration::from_millis(10));
    // A second pod on the same database; its run is started in-process (it has no server here).
    let other = start_syncer(&db, &h.client, &h.settings, &h.links, &h.clock).await;
    let (mut api_one, mut api_all) = (h.api(), h.api());
    let (one, two, three) = tokio::join!(
        api_one.run_sync(RunSyncRequest {
            company_id: C.into(),
            dry_run: false,
        }),
        other.run(Some(C), false),
        // Every company: the only one is C.
        api_all.run_sync(RunSyncRequest::default())
    );
    let sent_over_grpc = |answer: Result<tonic::Response<RunSyncResponse>, tonic::Status>| {
        answer.unwrap().into_inner().results[0].sent
    };
    let sent = sent_over_grpc(one) + two.unwrap().results[0].sent + sent_over_grpc(three);
    assert_eq!(sent, 20);
    assert_eq!(h.kot(C).len(), 20);
    assert_no_duplicates(&h, C);
});

/// Passes everything to the real client, but never returns from the `crash_on`-th POST once
/// KING OF TIME answered: the run is then dropped there, as a SIGKILL would stop it.
struct CrashAfterPost {
    inner: KotClient,
    posts: AtomicU32,
    crash_on: u32,
}

#[async_trait::async_trait]
impl AttendanceVendor for CrashAfterPost {
    async fn check_token(&self, token: &Token) -> Result<bool, KotError> {
        self.inner.check_token(token).await
    }
    async fn list_employees(
        &self,
        token: &Token,
        resigned: bool,
    ) -> Result<Vec<Employee>, KotError> {
        AttendanceVendor::list_employees(&self.inner, token, resigned).await
    }
    async fn post_punch(
        &self,
        token: &Token,
        key: &str,
        punch: &TimeRecordRequest,
    ) -> Result<TimeRecordResponse, KotError> {
        let answer = self.inner.post_punch(token, key, punch).await;
        if self.posts.fetch_add(1, Ordering::SeqCst) + 1 == self.crash_on {
            std::future::pending::<()>().await;
        }
        answer
    }
    async fn read_day(
        &self,
        token: &Token,
        key: &str,
        date: NaiveDate,
    ) -> Result<Vec<TimeRecord>, KotError> {
        self.inner.read_day(token, key, date).await
    }
    async fn list_divisions(&self, token: &Token) -> Result<Vec<kot_client::Division>, KotError> {
        AttendanceVendor::list_divisions(&self.inner, token).await
    }
    async fn read_days(
        &self,
        token: &Token,
        keys: &[String],
        start: NaiveDate,
        end: NaiveDate,
    ) -> Result<kot_client::EmployeeDayRecords, KotError> {
        AttendanceVendor::read_days(&self.inner, token, keys, start, end).await
    }
    async fn daily_workings(
        &self,
        token: &Token,
        division: Option<&str>,
        start: NaiveDate,
        end: NaiveDate,
    ) -> Result<Vec<kot_client::DailyWorkingSummary>, KotError> {
        self.inner.daily_workings(token, division, start, end).await
    }
}

/// A second pool on the same database, as another process would have.
async fn second_pool(db: &Db) -> Db {
    let url = match db.engine() {
        kintai_core::Engine::Sqlite => {
            let file: String =
                sqlx::query_scalar("SELECT file FROM pragma_database_list WHERE name = 'main'")
                    .fetch_one(db.pool())
                    .await
                    .unwrap();
            format!("sqlite://{file}")
        }
        kintai_core::Engine::Postgres => {
            let name: String = sqlx::query_scalar("SELECT current_database()::text")
                .fetch_one(db.pool())
                .await
                .unwrap();
            let server = std::env::var(kintai_core::testing::POSTGRES_URL_VAR).unwrap();
            let base = server.rsplit_once('/').unwrap().0;
            format!("{base}/{name}")
        }
    };
    Db::connect(&url, 5).await.unwrap()
}

both_engines!(
    a_run_killed_after_a_post_is_completed_by_the_next,
    |db: Db| async move {
        let h = harness(db.clone(), jst(NOW)).await;
        h.company(C);
        h.employee(C, "u1", "U000123", true);
        h.record(C, day_punches("p", "u1", 5)).await;
        let lease_ttl = Duration::from_millis(300);
        // The "process" that dies: its own pool, a KING OF TIME call that never returns after
        // the third POST was stored, and then its database connections gone — as after SIGKILL,
        // nothing of it writes or renews its lease any more.
        let doomed_db = second_pool(&db).await;
        let crashing = Syncer::start(
            doomed_db.clone(),
            SyncerDeps {
                settings: h.settings.clone(),
                links: h.links.clone(),
                vendor: Arc::new(CrashAfterPost {
                    inner: h.client.clone(),
                    posts: AtomicU32::new(0),
                    crash_on: 3,
                }),
                clock: h.clock.clone(),
                options: SyncOptions {
                    lease_ttl,
                    retry: fast_retry(),
                    ..SyncOptions::default()
                },
            },
        )
        .await
        .unwrap();
        let run = {
            let crashing = crashing.clone();
            tokio::spawn(async move { crashing.run(Some(C), false).await })
        };
        let deadline = std::time::Instant::now() + Duration::from_secs(10);
        while h.kot(C).len() < 3 {
            assert!(
                std::time::Instant::now() < deadline,
                "the doomed run never posted"
            );
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        doomed_db.close().await;
        assert_eq!(h.kot(C).len(), 3);
        assert_eq!(h.punch(C, "p2").await.state(), PunchState::InFlight);
        // The dead run's lease expires; the next run verifies p2 and sends the rest.
        tokio::time::sleep(lease_ttl * 2).await;
        let run_after = h.sync(C).await;
        assert_eq!(
            run_after.results[0].outcome(),
            SyncOutcome::Completed,
            "{}",
            run_after.results[0].reason
        );
        assert_eq!(run_after.results[0].sent, 3);
        assert_eq!(h.kot(C).len(), 5);
        assert_no_duplicates(&h, C);
        assert_eq!(h.punch(C, "p2").await.attempts, 1);
        run.abort();
    }
);

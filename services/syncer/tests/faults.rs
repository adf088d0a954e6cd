//! Exactly once under faults, on both engines. Every assertion reads the simulator's stored
//! punches: a duplicate in KING OF TIME is what must never happen.

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use chrono::NaiveDate;
use common::*;
use kintai_core::Db;
use kintai_core::both_engines;
use kintai_proto::syncer::v1::{PunchState, SyncOutcome};
use kintai_syncer::{SyncOptions, Syncer, SyncerDeps};
use kot_client::{
    AttendanceVendor, Employee, KotClient, KotError, TimeRecord, TimeRecordRequest,
    TimeRecordResponse, Token,
};
use kot_sim::FailureKind;

const C: &str = "acme";

/// Distinct (employee, date, time, code) in KING OF TIME equal all of them: no duplicates.
fn assert_no_duplicates(h: &Harness) {
    let all = h.kot(C);
    let mut unique = all.clone();
    unique.dedup();
    assert_eq!(all, unique, "KING OF TIME holds a punch twice");
}

fn day_punches(
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

both_engines!(
    a_reset_after_kot_stored_the_punch_is_not_resent,
    |db: Db| async move {
        let h = harness(db, jst(NOW)).await;
        h.company(C);
        h.employee(C, "u1", "U000123", true);
        h.record(C, day_punches("p", "u1", 3)).await;
        h.sim.sim.drop_connection_after_next_punch(1);
        let run = h.sync(C).await;
        assert_eq!(run.results[0].sent, 3, "{:?}", run.results[0]);
        assert_eq!(h.kot(C).len(), 3);
        assert_no_duplicates(&h);
        // Confirmed by reading the day back: posted once.
        let first = h.punch(C, "p0").await;
        assert_eq!((first.state(), first.attempts), (PunchState::Sent, 1));
    }
);

/// Every punch POST answered by `kind` (the simulator's fault profile, POSTs only).
fn every_post(h: &Harness, faults: kot_sim::PunchPostFaults) {
    h.sim
        .sim
        .set_fault_profile(kot_sim::FaultProfile {
            seed: 7,
            punch_post: faults,
            slow_after_store_ms: Some(2_500),
            ..kot_sim::FaultProfile::default()
        })
        .unwrap();
}

both_engines!(
    gateway_answers_after_storing_are_read_back_not_resent,
    |db: Db| async move {
        let h = harness(db, jst(NOW)).await;
        h.company(C);
        h.employee(C, "u1", "U000123", true);
        h.record(C, day_punches("p", "u1", 3)).await;
        // KING OF TIME stores each punch, then a gateway answers 504 with its HTML page.
        every_post(
            &h,
            kot_sim::PunchPostFaults {
                gateway504_after_store: Some(1.0),
                ..Default::default()
            },
        );
        let run = h.sync(C).await;
        assert_eq!(run.results[0].sent, 3, "{run:?}");
        assert_eq!(h.kot(C).len(), 3);
        assert_no_duplicates(&h);
        let first = h.punch(C, "p0").await;
        assert_eq!((first.state(), first.attempts), (PunchState::Sent, 1));
    }
);

both_engines!(
    an_answer_slower_than_the_timeout_is_read_back_not_resent,
    |db: Db| async move {
        let h = harness(db, jst(NOW)).await;
        h.company(C);
        h.employee(C, "u1", "U000123", true);
        h.record(C, day_punches("p", "u1", 1)).await;
        // Stored, then the answer comes after the client's 2-second timeout.
        every_post(
            &h,
            kot_sim::PunchPostFaults {
                slow_after_store: Some(1.0),
                ..Default::default()
            },
        );
        let run = h.sync(C).await;
        assert_eq!(run.results[0].sent, 1, "{run:?}");
        assert_eq!(h.kot(C).len(), 1);
        assert_eq!(h.punch(C, "p0").await.attempts, 1);
    }
);

both_engines!(
    gateway_pages_before_storing_are_read_back_then_posted_again,
    |db: Db| async move {
        let h = harness(db, jst(NOW)).await;
        h.company(C);
        h.employee(C, "u1", "U000123", true);
        h.record(C, day_punches("p", "u1", 1)).await;
        h.sim.sim.fail_next(1, FailureKind::Gateway503Html);
        let runs = h.settle(C, 5).await;
        assert!(runs.iter().all(|r| r.results[0].failed == 0), "{runs:?}");
        assert_eq!(h.kot(C).len(), 1);
        let sent = h.punch(C, "p0").await;
        assert_eq!((sent.state(), sent.attempts), (PunchState::Sent, 2));
        assert!(sent.last_error.contains("503"), "{sent:?}");
    }
);

both_engines!(
    server_errors_are_retried_and_sent_once,
    |db: Db| async move {
        let h = harness(db, jst(NOW)).await;
        h.company(C);
        h.employee(C, "u1", "U000123", true);
        h.record(C, day_punches("p", "u1", 2)).await;
        h.sim.sim.fail_next(1, FailureKind::Status500Code300);
        h.sim.sim.fail_next(1, FailureKind::Status502Html);
        let runs = h.settle(C, 5).await;
        let sent: u32 = runs.iter().map(|r| r.results[0].sent).sum();
        let failed: u32 = runs.iter().map(|r| r.results[0].failed).sum();
        assert_eq!((sent, failed), (2, 0), "{runs:?}");
        assert_eq!(h.kot(C).len(), 2);
        assert_no_duplicates(&h);
    }
);

both_engines!(an_outage_never_fails_a_punch, |db: Db| async move {
    let h = harness(db, jst(NOW)).await;
    h.company(C);
    h.employee(C, "u1", "U000123", true);
    h.record(C, day_punches("p", "u1", 2)).await;
    // More consecutive failures than one run retries by itself.
    h.sim.sim.fail_next(40, FailureKind::Status500Code300);
    let run = h.sync(C).await;
    assert_eq!((run.results[0].sent, run.results[0].failed), (0, 0));
    let waiting = h.punch(C, "p0").await;
    assert!(
        matches!(waiting.state(), PunchState::Pending | PunchState::InFlight),
        "{waiting:?}"
    );
    assert!(waiting.next_attempt_at.is_some(), "{waiting:?}");
    assert!(
        waiting.last_error.contains("500")
            && (waiting.reason.contains("次回の送信")
                || waiting.reason.contains("再び読み戻します")),
        "{waiting:?}"
    );
    // The next run does not try before the retry time.
    let early = h.sync(C).await;
    assert_eq!(early.results[0].sent, 0);
    assert!(h.kot(C).is_empty());

    h.sim.sim.clear_faults();
    let runs = h.settle(C, 10).await;
    assert!(runs.iter().all(|r| r.results[0].failed == 0), "{runs:?}");
    assert_eq!(h.kot(C).len(), 2);
    assert_no_duplicates(&h);
    let sent = h.punch(C, "p0").await;
    assert_eq!(sent.state(), PunchState::Sent);
    assert!(sent.next_attempt_at.is_none());
});

both_engines!(
    a_refusal_by_kot_fails_the_punch_with_its_message,
    |db: Db| async move {
        let h = harness(db, jst(NOW)).await;
        h.company(C);
        // Linked to an employee KING OF TIME does not know (deleted there since the match).
        h.linked_to_unknown_employee(C, "u1");
        h.record(C, day_punches("p", "u1", 1)).await;
        let run = h.sync(C).await;
        assert_eq!((run.results[0].sent, run.results[0].failed), (0, 1));
        let failed = h.punch(C, "p0").await;
        assert_eq!(failed.state(), PunchState::Failed);
        assert!(failed.reason.contains("unknown employee key"), "{failed:?}");
        assert_eq!(failed.attempts, 1, "a refusal is not retried");
        assert!(h.kot(C).is_empty());
    }
);

both_engines!(
    rate_limited_answers_back_off_and_send_once,
    |db: Db| async move {
        let h = harness(db, jst(NOW)).await;
        h.company(C);
        h.employee(C, "u1", "U000123", true);
        h.record(C, day_punches("p", "u1", 2)).await;
        h.sim.sim.fail_next(1, FailureKind::RateLimited);
        let run = h.sync(C).await;
        assert_eq!(run.results[0].sent, 2);
        assert_eq!(h.kot(C).len(), 2);
    }
);

both_engines!(
    a_rejected_token_stops_the_company_and_is_reported,
    |db: Db| async move {
        let h = harness(db, jst(NOW)).await;
        let token = h.company(C);
        h.employee(C, "u1", "U000123", true);
        h.record(C, day_punches("p", "u1", 2)).await;
        h.sim.sim.suspend_token(&token).unwrap();
        let run = h.sync(C).await;
        assert_eq!(run.results[0].outcome(), SyncOutcome::TokenRejected);
        let reports = h.settings.reports();
        assert_eq!(reports.len(), 1);
        assert_eq!(reports[0].1, Token::new(token).fingerprint());
        assert!(h.kot(C).is_empty());
        let held = h.punch(C, "p1").await;
        assert_eq!(held.state(), PunchState::Held);
        // Settings now refuses the credentials: the next run skips the company.
        assert_eq!(h.sync(C).await.results[0].outcome(), SyncOutcome::Skipped);
    }
);

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
        date: NaiveDate::parse_from_str(date, "%Y-%m-%d").unwrap(),
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
        assert_no_duplicates(&h);
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
        assert_no_duplicates(&h);
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
    // A second pod on the same database.
    let other = start_syncer(&db, &h.client, &h.settings, &h.links, &h.clock).await;
    let (one, two, three) = tokio::join!(
        h.syncer.run(Some(C), false),
        other.run(Some(C), false),
        h.syncer.run(None, false)
    );
    let sent: u32 = [one, two, three]
        .into_iter()
        .map(|r| r.unwrap().results[0].sent)
        .sum();
    assert_eq!(sent, 20);
    assert_eq!(h.kot(C).len(), 20);
    assert_no_duplicates(&h);
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
        keys: &[String],
        start: NaiveDate,
        end: NaiveDate,
    ) -> Result<Vec<kot_client::DailyWorkingSummary>, KotError> {
        self.inner.daily_workings(token, keys, start, end).await
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
        assert_no_duplicates(&h);
        assert_eq!(h.punch(C, "p2").await.attempts, 1);
        run.abort();
    }
);

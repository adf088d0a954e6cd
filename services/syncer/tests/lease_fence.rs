//! No POST leaves after its run's lease may have passed on (design.md, "Exactly once"): a punch
//! marked in flight under the lease but still waiting for its token's budget when renewals stop
//! succeeding is abandoned at the lease's deadline, not sent late beside the next holder's
//! resend. The next holder reads its day back and sends it: each punch once.

mod common;

use std::time::Duration;

use common::*;
use kintai_core::Db;
use kintai_testkit::{both_engines, jst};
use kot_client::RateLimit;

const C: &str = "acme";
const EMPLOYEES: usize = 4;

both_engines!(
    a_post_still_waiting_when_the_lease_is_lost_never_leaves,
    |db: Db| async move {
        let h = harness(db, jst(NOW)).await;
        h.company(C);
        for u in 0..EMPLOYEES {
            h.employee(C, &format!("u{u}"), &format!("U00012{u}"), true);
        }
        let punches = (0..EMPLOYEES)
            .map(|u| clock_in(&format!("p{u}"), &format!("u{u}"), "2024-06-20T08:00:00"))
            .collect();
        h.record(C, punches).await;
        // Another pod whose token lets one punch out every 1.5 s and whose lease lasts 1.5 s
        // (renewed every 0.5 s, deadline 1 s after the last renewal): its four employees'
        // punches are marked in flight at once and then wait for the budget, one by one.
        let slow = kintai_testkit::sim::client_with(&h.sim, |config| {
            config.request_timeout = Duration::from_secs(2);
            config.punch_limit = RateLimit {
                requests: 1,
                per: Duration::from_millis(1_500),
            };
        });
        let pod = start_syncer_tuned(&h.db, &slow, &h.settings, &h.links, &h.clock, |options| {
            options.lease_ttl = Duration::from_millis(1_500);
            options.employees_in_parallel = EMPLOYEES;
        })
        .await;
        let run = tokio::spawn(async move { pod.run(Some(C), false).await });
        // Its renewals stop succeeding: the lease is someone else's from now on, as it is once
        // renewals fail (the database out of this pod's reach) until the lease expires.
        tokio::time::sleep(Duration::from_millis(200)).await;
        sqlx::query("UPDATE syncer_leases SET holder = 'another-pod'")
            .execute(h.db.pool())
            .await
            .unwrap();
        run.await.unwrap().unwrap();
        let sent_late = h.kot(C).len();
        assert!(
            sent_late < EMPLOYEES,
            "every punch waiting for the budget was posted after the lease was lost"
        );
        // Once the lease has expired, the next run reads the days back and sends the rest.
        tokio::time::sleep(Duration::from_millis(1_600)).await;
        h.sync(C).await;
        let kot = h.kot(C);
        assert_eq!(kot.len(), EMPLOYEES, "each punch once: {kot:?}");
    }
);

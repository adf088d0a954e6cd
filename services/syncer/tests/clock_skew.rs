//! A punch ahead of the server's clock: within `syncer.max_clock_skew_secs` (2 minutes by
//! default) it is stored and sent with its own time; further ahead it is refused, naming
//! `punched_at`, and never reaches KING OF TIME before its instant.

mod common;

use std::time::Duration;

use chrono::TimeDelta;
use common::*;
use kintai_core::Db;
use kintai_core::server::ServerConfig;
use kintai_proto::syncer::v1::{PunchInput, RecordOutcome, RecordPunchesRequest};
use kintai_testkit::{App, Caller, both_engines, jst};

const C: &str = "acme";

fn clock_in_at(id: &str, at: chrono::DateTime<chrono::Utc>) -> PunchInput {
    let mut punch = clock_in(id, "u1", NOW);
    punch.punched_at = Some(prost_types::Timestamp {
        seconds: at.timestamp(),
        nanos: 0,
    });
    punch
}

both_engines!(
    a_punch_beyond_the_clock_skew_is_refused_one_within_is_sent_as_it_is,
    |db: Db| async move {
        let now = jst(NOW);
        let h = harness(db.clone(), now).await;
        h.company(C);
        let key = h.employee(C, "u1", "U000123", true);
        let within = now + TimeDelta::seconds(119);
        let answer = h
            .record(
                C,
                vec![
                    clock_in_at("nine-minutes-ahead", now + TimeDelta::minutes(9)),
                    clock_in_at("within", within),
                ],
            )
            .await;
        let ahead = &answer.results[0];
        assert_eq!(ahead.outcome(), RecordOutcome::Rejected, "{answer:?}");
        assert_eq!(ahead.field, "punches[0].punched_at");
        assert!(ahead.reason.contains("2分"), "{}", ahead.reason);
        assert_eq!(answer.results[1].outcome(), RecordOutcome::Accepted);

        h.settle(C, 3).await;
        let stored = h.kot(C);
        assert_eq!(
            stored,
            [(
                key,
                "2024-06-20".to_owned(),
                kot_client::format_kot_time(&within),
                "1".to_owned()
            )],
            "sent with its own time, not the server's"
        );

        // The skew is a setting: a syncer allowing 10 minutes takes the same punch.
        let tolerant =
            start_syncer_tuned(&db, &h.client, &h.settings, &h.links, &h.clock, |options| {
                options.max_clock_skew = Duration::from_secs(600)
            })
            .await;
        let service =
            kintai_syncer::grpc_service(tolerant, ServerConfig::default().max_message_bytes);
        let app = App::spawn_service(&db, service).await;
        let again = app
            .syncer(Caller::Platform)
            .record_punches(RecordPunchesRequest {
                company_id: C.into(),
                punches: vec![clock_in_at(
                    "nine-minutes-ahead",
                    now + TimeDelta::minutes(9),
                )],
            })
            .await
            .unwrap()
            .into_inner();
        assert_eq!(again.results[0].outcome(), RecordOutcome::Accepted);
        app.finish().await.unwrap();
    }
);

//! The syncer is reached only through caller authentication: the production server's auth layer
//! stands in front of the handlers the other tests call, and a refused call stores nothing.

mod common;

use common::*;
use kintai_core::Db;
use kintai_proto::syncer::v1::{RecordPunchesRequest, RunSyncRequest};
use kintai_testkit::{Caller, both_engines, jst};
use tonic::Code;

const C: &str = "acme";

both_engines!(only_the_platform_may_record_punches, |db: Db| async move {
    let h = harness(db, jst(NOW)).await;
    let request = RecordPunchesRequest {
        company_id: C.into(),
        punches: vec![clock_in("p1", "u1", "2024-06-03T08:00:00")],
    };
    for (caller, code) in [
        // No credentials at all: who is calling is unknown.
        (Caller::Anonymous, Code::Unauthenticated),
        // Known callers that the policy does not let record punches.
        (Caller::Matcher, Code::PermissionDenied),
        (Caller::Syncer, Code::PermissionDenied),
        (Caller::Trigger, Code::PermissionDenied),
    ] {
        let refused = h
            .app
            .syncer(caller)
            .record_punches(request.clone())
            .await
            .unwrap_err();
        assert_eq!(refused.code(), code, "{caller:?}: {refused:?}");
    }
    assert!(
        h.punches(C).await.is_empty(),
        "a refused call stores nothing"
    );
    // The same request from the platform is taken: the refusals were the callers'.
    assert_eq!(h.record(C, request.punches).await.accepted, 1);
    assert_eq!(h.punches(C).await.len(), 1);
});

both_engines!(
    the_trigger_may_run_a_sync_but_not_read_punches,
    |db: Db| async move {
        let h = harness(db, jst(NOW)).await;
        h.company(C);
        h.employee(C, "u1", "U000123", true);
        h.record(C, vec![clock_in("p1", "u1", "2024-06-03T08:00:00")])
            .await;
        let run = h
            .app
            .syncer(Caller::Trigger)
            .run_sync(RunSyncRequest {
                company_id: C.into(),
                dry_run: false,
            })
            .await
            .unwrap()
            .into_inner();
        assert_eq!(run.results[0].sent, 1, "{run:?}");
        let refused = h
            .app
            .syncer(Caller::Trigger)
            .list_punches(kintai_proto::syncer::v1::ListPunchesRequest {
                company_id: C.into(),
                ..Default::default()
            })
            .await
            .unwrap_err();
        assert_eq!(refused.code(), Code::PermissionDenied, "{refused:?}");
        let refused = h
            .app
            .syncer(Caller::Anonymous)
            .run_sync(RunSyncRequest::default())
            .await
            .unwrap_err();
        assert_eq!(refused.code(), Code::Unauthenticated, "{refused:?}");
    }
);

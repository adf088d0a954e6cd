//! A RunSync whose caller gives up (a gRPC deadline, as a CronJob's activeDeadlineSeconds or a
//! closed connection would) does not abort the run: it goes on to the end in the server, the next
//! RunSync after it is not BUSY, and nothing is left in flight.

mod common;

use std::time::{Duration, Instant};

use common::flow::{
    DEV_ENV, START_AT, assert_each_once, company_with, prepare_simulator, punches_every,
    sim_punches,
};
use common::{DevServer, SimProcess};
use kintai_proto::syncer::v1::syncer_service_client::SyncerServiceClient;
use kintai_proto::syncer::v1::{ListPunchesRequest, PunchState, RunSyncRequest, SyncOutcome};
use tonic::Code;

const PUNCHES: usize = 500;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_run_outlives_a_caller_with_a_one_second_deadline() {
    let sim = SimProcess::start();
    prepare_simulator(&sim, 10).await;
    let args = [
        "--kot-base-url",
        sim.base_url.as_str(),
        "--start-at",
        START_AT,
    ];
    let server = DevServer::start_in(tempfile::tempdir().unwrap(), &args, DEV_ENV);
    let url = format!("http://{}", server.address);
    // 10 minutes apart: 500 punches end before the clock's start (2024-06-07 21:00 JST).
    company_with(&url, punches_every(PUNCHES, 600)).await;
    let mut syncer = SyncerServiceClient::connect(url).await.unwrap();

    let mut request = tonic::Request::new(RunSyncRequest {
        company_id: "c1".into(),
        dry_run: false,
    });
    request.set_timeout(Duration::from_secs(1));
    let status = syncer.run_sync(request).await.unwrap_err();
    assert!(
        matches!(status.code(), Code::DeadlineExceeded | Code::Cancelled),
        "{status:?}"
    );
    let at_deadline = sim_punches(&sim.admin_url).await.len();
    assert!(
        at_deadline < PUNCHES,
        "the run must outlast the deadline here"
    );

    // The run goes on without its caller.
    let deadline = Instant::now() + Duration::from_secs(120);
    while sim_punches(&sim.admin_url).await.len() < PUNCHES {
        assert!(Instant::now() < deadline, "the run stopped with its caller");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    // Once it ends, the next run is not BUSY and has nothing left to do.
    let answer = loop {
        let answer = syncer
            .run_sync(RunSyncRequest {
                company_id: "c1".into(),
                dry_run: false,
            })
            .await
            .unwrap()
            .into_inner();
        if answer.results[0].outcome() != SyncOutcome::Busy {
            break answer;
        }
        // The detached run is writing its last ledger rows.
        assert!(Instant::now() < deadline, "BUSY long after the run ended");
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    let result = &answer.results[0];
    assert_eq!(
        (result.outcome(), result.sent, result.deferred),
        (SyncOutcome::Completed, 0, 0),
        "{answer:?}"
    );
    let in_flight = syncer
        .list_punches(ListPunchesRequest {
            company_id: "c1".into(),
            state: PunchState::InFlight.into(),
            ..ListPunchesRequest::default()
        })
        .await
        .unwrap()
        .into_inner();
    assert!(in_flight.punches.is_empty(), "{in_flight:?}");
    assert_each_once(&sim.admin_url, PUNCHES).await;
}

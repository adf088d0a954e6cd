//! Exactly once across a crash: the process running a sync is killed with SIGKILL in the middle
//! of the run, restarted on the same database, and run again. KING OF TIME (the simulator, in
//! its own process so it survives the crash) must hold every punch exactly once.

mod common;

use std::time::{Duration, Instant};

use common::flow::{
    PUNCHES, START_AT, assert_each_punch_once, company_with_punches, prepare_simulator, sim_punches,
};
use common::{DevServer, SimProcess};
use kintai_proto::syncer::v1::syncer_service_client::SyncerServiceClient;
use kintai_proto::syncer::v1::{RunSyncRequest, SyncOutcome};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sync_killed_mid_run_resumes_without_losing_or_doubling_a_punch() {
    let sim = SimProcess::start();
    // Slow KING OF TIME down so that the kill lands in the middle of the run.
    prepare_simulator(&sim, 40).await;
    let env = common::flow::DEV_ENV;
    let args = [
        "--kot-base-url",
        sim.base_url.as_str(),
        "--start-at",
        START_AT,
    ];
    let server = DevServer::start_in(tempfile::tempdir().unwrap(), &args, env);
    let url = format!("http://{}", server.address);
    company_with_punches(&url).await;
    let syncer = SyncerServiceClient::connect(url.clone()).await.unwrap();
    // Start the run, and kill the process once KING OF TIME holds some but not all punches.
    let mut running = syncer.clone();
    let run = tokio::spawn(async move {
        running
            .run_sync(RunSyncRequest {
                company_id: "c1".into(),
                dry_run: false,
            })
            .await
    });
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let stored = sim_punches(&sim.admin_url).await.len();
        if stored >= 10 {
            assert!(
                stored < PUNCHES,
                "the run finished before the kill; slow the simulator down"
            );
            break;
        }
        assert!(Instant::now() < deadline, "the run never started posting");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let data_dir = server.kill_hard();
    assert!(
        run.await.unwrap().is_err(),
        "the killed server cannot have answered"
    );
    let stored_at_kill = sim_punches(&sim.admin_url).await.len();

    // Restart on the same database: the crashed run's lease expires, and the next run verifies
    // what was in flight before sending the rest.
    let server = DevServer::start_in(data_dir, &args, env);
    let mut syncer = SyncerServiceClient::connect(format!("http://{}", server.address))
        .await
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(90);
    loop {
        let answer = syncer
            .run_sync(RunSyncRequest {
                company_id: "c1".into(),
                dry_run: false,
            })
            .await
            .unwrap()
            .into_inner();
        let result = &answer.results[0];
        if result.outcome() == SyncOutcome::Completed && result.deferred == 0 {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the company never completed after the restart: {answer:?}"
        );
        tokio::time::sleep(Duration::from_millis(500)).await;
    }

    assert!(stored_at_kill < PUNCHES);
    assert_each_punch_once(&sim.admin_url).await;
    let (status, _) = server.terminate();
    assert_eq!(status.code(), Some(0));
}

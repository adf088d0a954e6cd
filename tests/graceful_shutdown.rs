//! SIGTERM during an in-flight RunSync: health turns NOT_SERVING at once, the run lets the POSTs
//! out finish, records them and gives its lease back, the call is answered, and the process exits
//! 0 within the grace period. Restarted, the first run is not BUSY and sends the rest: KING OF TIME
//! holds every punch exactly once.

mod common;

use std::time::{Duration, Instant};

use common::flow::{
    START_AT, assert_each_punch_once, company_with_punches, prepare_simulator, sim_punches,
};
use common::{DevServer, SimProcess};
use kintai_proto::syncer::v1::syncer_service_client::SyncerServiceClient;
use kintai_proto::syncer::v1::{RunSyncRequest, SyncOutcome};
use tonic_health::pb::HealthCheckRequest;
use tonic_health::pb::health_check_response::ServingStatus;
use tonic_health::pb::health_client::HealthClient;

/// The Kubernetes grace period the manifests give a pod.
const GRACE: Duration = Duration::from_secs(30);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_during_a_sync_drains_it_and_exits_0() {
    let sim = SimProcess::start();
    prepare_simulator(&sim, 30).await;
    // A lease that outlives a crash by a minute: were it not given back at shutdown, the
    // restarted server could not sync for that long.
    let env: Vec<(&str, &str)> = common::flow::DEV_ENV
        .iter()
        .copied()
        .filter(|(key, _)| *key != "KINTAI__SYNCER__LEASE_TTL_SECS")
        .chain([("KINTAI__SYNCER__LEASE_TTL_SECS", "60")])
        .collect();
    let env = env.as_slice();
    let args = [
        "--kot-base-url",
        sim.base_url.as_str(),
        "--start-at",
        START_AT,
    ];
    let server = DevServer::start_in(tempfile::tempdir().unwrap(), &args, env);
    let url = format!("http://{}", server.address);
    company_with_punches(&url).await;

    // A health watch opened before the signal sees the change as it happens.
    let channel = tonic::transport::Endpoint::from_shared(url.clone())
        .unwrap()
        .connect()
        .await
        .unwrap();
    let mut health = HealthClient::new(channel);
    let mut watch = health
        .watch(HealthCheckRequest {
            service: "kintai.syncer.v1.SyncerService".into(),
        })
        .await
        .unwrap()
        .into_inner();
    let first = watch.message().await.unwrap().unwrap();
    assert_eq!(first.status(), ServingStatus::Serving);

    let mut syncer = SyncerServiceClient::connect(url.clone()).await.unwrap();
    let run = tokio::spawn(async move {
        syncer
            .run_sync(RunSyncRequest {
                company_id: "c1".into(),
                dry_run: false,
            })
            .await
    });
    let deadline = Instant::now() + Duration::from_secs(60);
    while sim_punches(&sim.admin_url).await.len() < 5 {
        assert!(Instant::now() < deadline, "the run never started posting");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }

    let signalled = Instant::now();
    let status = std::process::Command::new("kill")
        .args(["-TERM", &server.child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let next = tokio::time::timeout(Duration::from_secs(2), watch.message())
        .await
        .expect("health changed at once")
        .unwrap()
        .unwrap();
    assert_eq!(next.status(), ServingStatus::NotServing);
    drop(watch);

    // The in-flight call is drained, not cut: it answers.
    let answer = run
        .await
        .unwrap()
        .expect("the in-flight RunSync was answered")
        .into_inner();
    assert_ne!(
        answer.results[0].outcome(),
        SyncOutcome::Failed,
        "{answer:?}"
    );
    let (exit, logs, data_dir) = server.wait_exit_keeping_data();
    assert_eq!(exit.code(), Some(0), "{logs:#?}");
    assert!(
        signalled.elapsed() < GRACE,
        "took {:?}",
        signalled.elapsed()
    );
    let result = &answer.results[0];
    assert!(
        result.outcome() == SyncOutcome::Completed
            || (result.outcome() == SyncOutcome::Partial && result.reason.contains("停止中")),
        "{answer:?}"
    );

    // Restarted on the same data: the lease was given back, so the company syncs at once
    // (its own periodic run may be the one that does it: then ours is BUSY for a moment).
    let restarted = DevServer::start_in(data_dir, &args, env);
    let mut syncer = SyncerServiceClient::connect(format!("http://{}", restarted.address))
        .await
        .unwrap();
    let started = Instant::now();
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
        assert_eq!(result.outcome(), SyncOutcome::Busy, "{answer:?}");
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "the company stayed locked after the restart: {answer:?}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert_each_punch_once(&sim.admin_url).await;
}

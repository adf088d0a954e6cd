//! `kintai dev` delivers punches within seconds on its own: the cyzen platform records them, and
//! without any RunSync they are in KING OF TIME moments later.

mod common;

use std::time::{Duration, Instant};

use common::flow::{
    START_AT, assert_each_once, company_with, prepare_simulator, punches_every, sim_punches,
};
use common::{DevServer, SimProcess};
use kintai_proto::syncer::v1::RecordPunchesRequest;
use kintai_proto::syncer::v1::syncer_service_client::SyncerServiceClient;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn punches_recorded_one_by_one_reach_kot_within_seconds() {
    let sim = SimProcess::start();
    prepare_simulator(&sim, 20).await;
    let args = [
        "--kot-base-url",
        sim.base_url.as_str(),
        "--start-at",
        START_AT,
    ];
    // kintai dev as a developer runs it: prompt delivery on, the periodic sync far away.
    let env = [
        ("KINTAI__DEV__SYNC_INTERVAL_SECS", "86400"),
        ("KINTAI__KOT__PUNCH_REQUESTS", "30000"),
    ];
    let server = DevServer::start_in(tempfile::tempdir().unwrap(), &args, &env);
    let url = format!("http://{}", server.address);
    company_with(&url, Vec::new()).await;
    let mut syncer = SyncerServiceClient::connect(url).await.unwrap();
    let punches = punches_every(20, 1_800);
    let started = Instant::now();
    for punch in punches {
        syncer
            .record_punches(RecordPunchesRequest {
                company_id: "c1".into(),
                punches: vec![punch],
            })
            .await
            .unwrap();
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    while sim_punches(&sim.admin_url).await.len() < 20 {
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "only {} of 20 punches in KING OF TIME",
            sim_punches(&sim.admin_url).await.len()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    eprintln!(
        "20 punches recorded over 4 s were all in KING OF TIME after {:?}",
        started.elapsed()
    );
    assert_each_once(&sim.admin_url, 20).await;
}

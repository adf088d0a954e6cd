//! gRPC handlers of SyncerService.

use kintai_core::Db;
use kintai_proto::syncer::v1::syncer_service_server::SyncerService;
use kintai_proto::syncer::v1::*;
use tonic::{Request, Response, Status};

/// The service's state.
#[derive(Clone)]
pub struct SyncerApi {
    #[allow(dead_code)]
    db: Db,
}

impl SyncerApi {
    pub fn new(db: Db) -> Self {
        Self { db }
    }
}

fn pending(rpc: &str) -> Status {
    Status::unimplemented(format!(
        "SyncerService.{rpc} is not built yet (issue 6: syncer service)"
    ))
}

#[tonic::async_trait]
impl SyncerService for SyncerApi {
    async fn record_punches(
        &self,
        _: Request<RecordPunchesRequest>,
    ) -> Result<Response<RecordPunchesResponse>, Status> {
        Err(pending("RecordPunches"))
    }
    async fn run_sync(
        &self,
        _: Request<RunSyncRequest>,
    ) -> Result<Response<RunSyncResponse>, Status> {
        Err(pending("RunSync"))
    }
    async fn list_punches(
        &self,
        _: Request<ListPunchesRequest>,
    ) -> Result<Response<ListPunchesResponse>, Status> {
        Err(pending("ListPunches"))
    }
}

//! gRPC handlers of MatcherService.

use kintai_core::Db;
use kintai_proto::matcher::v1::matcher_service_server::MatcherService;
use kintai_proto::matcher::v1::*;
use tonic::{Request, Response, Status};

/// The service's state.
#[derive(Clone)]
pub struct MatcherApi {
    #[allow(dead_code)]
    db: Db,
}

impl MatcherApi {
    pub fn new(db: Db) -> Self {
        Self { db }
    }
}

fn pending(rpc: &str) -> Status {
    Status::unimplemented(format!(
        "MatcherService.{rpc} is not built yet (issue 5: matcher service)"
    ))
}

#[tonic::async_trait]
impl MatcherService for MatcherApi {
    async fn run_match(
        &self,
        _: Request<RunMatchRequest>,
    ) -> Result<Response<RunMatchResponse>, Status> {
        Err(pending("RunMatch"))
    }
    async fn list_links(
        &self,
        _: Request<ListLinksRequest>,
    ) -> Result<Response<ListLinksResponse>, Status> {
        Err(pending("ListLinks"))
    }
}

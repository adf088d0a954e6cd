//! gRPC handlers of SettingsService.

use kintai_core::Db;
use kintai_proto::settings::v1::settings_service_server::SettingsService;
use kintai_proto::settings::v1::*;
use tonic::{Request, Response, Status};

/// The service's state.
#[derive(Clone)]
pub struct SettingsApi {
    #[allow(dead_code)]
    db: Db,
}

impl SettingsApi {
    pub fn new(db: Db) -> Self {
        Self { db }
    }
}

fn pending(rpc: &str) -> Status {
    Status::unimplemented(format!(
        "SettingsService.{rpc} is not built yet (issue 4: settings service)"
    ))
}

#[tonic::async_trait]
impl SettingsService for SettingsApi {
    async fn get_integration(
        &self,
        _: Request<GetIntegrationRequest>,
    ) -> Result<Response<GetIntegrationResponse>, Status> {
        Err(pending("GetIntegration"))
    }
    async fn update_integration(
        &self,
        _: Request<UpdateIntegrationRequest>,
    ) -> Result<Response<UpdateIntegrationResponse>, Status> {
        Err(pending("UpdateIntegration"))
    }
    async fn register_token(
        &self,
        _: Request<RegisterTokenRequest>,
    ) -> Result<Response<RegisterTokenResponse>, Status> {
        Err(pending("RegisterToken"))
    }
    async fn delete_token(
        &self,
        _: Request<DeleteTokenRequest>,
    ) -> Result<Response<DeleteTokenResponse>, Status> {
        Err(pending("DeleteToken"))
    }
    async fn upsert_users(
        &self,
        _: Request<UpsertUsersRequest>,
    ) -> Result<Response<UpsertUsersResponse>, Status> {
        Err(pending("UpsertUsers"))
    }
    async fn delete_users(
        &self,
        _: Request<DeleteUsersRequest>,
    ) -> Result<Response<DeleteUsersResponse>, Status> {
        Err(pending("DeleteUsers"))
    }
    async fn list_users(
        &self,
        _: Request<ListUsersRequest>,
    ) -> Result<Response<ListUsersResponse>, Status> {
        Err(pending("ListUsers"))
    }
    async fn set_user_links(
        &self,
        _: Request<SetUserLinksRequest>,
    ) -> Result<Response<SetUserLinksResponse>, Status> {
        Err(pending("SetUserLinks"))
    }
    async fn upsert_statuses(
        &self,
        _: Request<UpsertStatusesRequest>,
    ) -> Result<Response<UpsertStatusesResponse>, Status> {
        Err(pending("UpsertStatuses"))
    }
    async fn list_statuses(
        &self,
        _: Request<ListStatusesRequest>,
    ) -> Result<Response<ListStatusesResponse>, Status> {
        Err(pending("ListStatuses"))
    }
    async fn list_companies(
        &self,
        _: Request<ListCompaniesRequest>,
    ) -> Result<Response<ListCompaniesResponse>, Status> {
        Err(pending("ListCompanies"))
    }
    async fn get_credentials(
        &self,
        _: Request<GetCredentialsRequest>,
    ) -> Result<Response<GetCredentialsResponse>, Status> {
        Err(pending("GetCredentials"))
    }
    async fn report_token_rejected(
        &self,
        _: Request<ReportTokenRejectedRequest>,
    ) -> Result<Response<ReportTokenRejectedResponse>, Status> {
        Err(pending("ReportTokenRejected"))
    }
}

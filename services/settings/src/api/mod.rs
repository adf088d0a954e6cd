//! gRPC handlers of SettingsService: each converts proto ↔ domain, checks input, and calls the
//! repositories. The areas live in their own modules.

mod directory;
mod integration;
mod status_defs;
mod token_reports;

use std::sync::Arc;

use chrono::{DateTime, Utc};
use kintai_core::validate::batch_too_large;
use kintai_core::{Clock, Db};
use kintai_i18n::Lang;
use kintai_proto::settings::v1::settings_service_server::SettingsService;
use kintai_proto::settings::v1::*;
use kot_client::AttendanceVendor;
use tonic::{Request, Response, Status};

use crate::crypto::KeyRing;
use crate::error::SettingsError;

/// The service's state.
#[derive(Clone)]
pub struct SettingsApi {
    pub(crate) db: Db,
    pub(crate) keys: KeyRing,
    pub(crate) vendor: Arc<dyn AttendanceVendor>,
    pub(crate) clock: Clock,
}

impl SettingsApi {
    pub fn new(db: Db, keys: KeyRing, vendor: Arc<dyn AttendanceVendor>, clock: Clock) -> Self {
        Self {
            db,
            keys,
            vendor,
            clock,
        }
    }

    pub(crate) fn now(&self) -> DateTime<Utc> {
        self.clock.now()
    }
}

/// RESOURCE_EXHAUSTED when a batch of `len` items is over `max`: nothing of it is applied.
pub(super) fn check_batch(
    field: &str,
    len: usize,
    max: usize,
    lang: Lang,
) -> Result<(), SettingsError> {
    if len > max {
        return Err(batch_too_large(field, len, max, lang).into());
    }
    Ok(())
}

#[tonic::async_trait]
impl SettingsService for SettingsApi {
    async fn get_integration(
        &self,
        request: Request<GetIntegrationRequest>,
    ) -> Result<Response<GetIntegrationResponse>, Status> {
        {
            let lang = Lang::of_request(&request);
            self.get_integration_impl(request.into_inner(), lang)
        }
        .await
        .map(Response::new)
        .map_err(Status::from)
    }
    async fn update_integration(
        &self,
        request: Request<UpdateIntegrationRequest>,
    ) -> Result<Response<UpdateIntegrationResponse>, Status> {
        {
            let lang = Lang::of_request(&request);
            self.update_integration_impl(request.into_inner(), lang)
        }
        .await
        .map(Response::new)
        .map_err(Status::from)
    }
    async fn register_token(
        &self,
        request: Request<RegisterTokenRequest>,
    ) -> Result<Response<RegisterTokenResponse>, Status> {
        {
            let lang = Lang::of_request(&request);
            self.register_token_impl(request.into_inner(), lang)
        }
        .await
        .map(Response::new)
        .map_err(Status::from)
    }
    async fn delete_token(
        &self,
        request: Request<DeleteTokenRequest>,
    ) -> Result<Response<DeleteTokenResponse>, Status> {
        {
            let lang = Lang::of_request(&request);
            self.delete_token_impl(request.into_inner(), lang)
        }
        .await
        .map(Response::new)
        .map_err(Status::from)
    }
    async fn upsert_users(
        &self,
        request: Request<UpsertUsersRequest>,
    ) -> Result<Response<UpsertUsersResponse>, Status> {
        {
            let lang = Lang::of_request(&request);
            self.upsert_users_impl(request.into_inner(), lang)
        }
        .await
        .map(Response::new)
        .map_err(Status::from)
    }
    async fn delete_users(
        &self,
        request: Request<DeleteUsersRequest>,
    ) -> Result<Response<DeleteUsersResponse>, Status> {
        {
            let lang = Lang::of_request(&request);
            self.delete_users_impl(request.into_inner(), lang)
        }
        .await
        .map(Response::new)
        .map_err(Status::from)
    }
    async fn list_users(
        &self,
        request: Request<ListUsersRequest>,
    ) -> Result<Response<ListUsersResponse>, Status> {
        {
            let lang = Lang::of_request(&request);
            self.list_users_impl(request.into_inner(), lang)
        }
        .await
        .map(Response::new)
        .map_err(Status::from)
    }
    async fn set_user_links(
        &self,
        request: Request<SetUserLinksRequest>,
    ) -> Result<Response<SetUserLinksResponse>, Status> {
        {
            let lang = Lang::of_request(&request);
            self.set_user_links_impl(request.into_inner(), lang)
        }
        .await
        .map(Response::new)
        .map_err(Status::from)
    }
    async fn upsert_statuses(
        &self,
        request: Request<UpsertStatusesRequest>,
    ) -> Result<Response<UpsertStatusesResponse>, Status> {
        {
            let lang = Lang::of_request(&request);
            self.upsert_statuses_impl(request.into_inner(), lang)
        }
        .await
        .map(Response::new)
        .map_err(Status::from)
    }
    async fn list_statuses(
        &self,
        request: Request<ListStatusesRequest>,
    ) -> Result<Response<ListStatusesResponse>, Status> {
        {
            let lang = Lang::of_request(&request);
            self.list_statuses_impl(request.into_inner(), lang)
        }
        .await
        .map(Response::new)
        .map_err(Status::from)
    }
    async fn list_companies(
        &self,
        request: Request<ListCompaniesRequest>,
    ) -> Result<Response<ListCompaniesResponse>, Status> {
        {
            let lang = Lang::of_request(&request);
            self.list_companies_impl(request.into_inner(), lang)
        }
        .await
        .map(Response::new)
        .map_err(Status::from)
    }
    // Only the matcher and syncer callers reach this handler (kintai_core::auth's policy); a
    // server without callers serves on loopback only.
    async fn get_credentials(
        &self,
        request: Request<GetCredentialsRequest>,
    ) -> Result<Response<GetCredentialsResponse>, Status> {
        {
            let lang = Lang::of_request(&request);
            self.get_credentials_impl(request.into_inner(), lang)
        }
        .await
        .map(Response::new)
        .map_err(Status::from)
    }
    async fn report_token_rejected(
        &self,
        request: Request<ReportTokenRejectedRequest>,
    ) -> Result<Response<ReportTokenRejectedResponse>, Status> {
        {
            let lang = Lang::of_request(&request);
            self.report_token_rejected_impl(request.into_inner(), lang)
        }
        .await
        .map(Response::new)
        .map_err(Status::from)
    }
}

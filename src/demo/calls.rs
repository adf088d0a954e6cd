//! The demo's calls to the three services, all through one channel that asks for the admin
//! texts in the demo's language.

use kintai_i18n::Lang;
use kintai_proto::matcher::v1::matcher_service_client::MatcherServiceClient;
use kintai_proto::matcher::v1::{Link, ListLinksRequest};
use kintai_proto::settings::v1::settings_service_client::SettingsServiceClient;
use kintai_proto::settings::v1::*;
use kintai_proto::syncer::v1::syncer_service_client::SyncerServiceClient;
use kintai_proto::syncer::v1::{ListPunchesRequest, PunchRecord, RunSyncRequest};
use tonic::service::Interceptor;
use tonic::service::interceptor::InterceptedService;
use tonic::transport::Channel;

/// The channel the demo's clients call through.
pub(crate) type Api = InterceptedService<Channel, AcceptLanguage>;

/// Adds `accept-language` to every call.
#[derive(Clone, Copy)]
pub(crate) struct AcceptLanguage(pub(crate) Lang);

impl Interceptor for AcceptLanguage {
    fn call(
        &mut self,
        mut request: tonic::Request<()>,
    ) -> Result<tonic::Request<()>, tonic::Status> {
        request.metadata_mut().insert(
            "accept-language",
            tonic::metadata::MetadataValue::from_static(self.0.tag()),
        );
        Ok(request)
    }
}

pub(crate) async fn set_link(
    settings: &mut SettingsServiceClient<Api>,
    company_id: &str,
    user_id: &str,
    enabled: bool,
) -> anyhow::Result<()> {
    settings
        .set_user_links(SetUserLinksRequest {
            company_id: company_id.to_owned(),
            links: vec![UserLinkFlag {
                user_id: user_id.to_owned(),
                enabled,
            }],
        })
        .await?;
    Ok(())
}

pub(crate) async fn print_sync(
    syncer: &mut SyncerServiceClient<Api>,
    company_id: &str,
) -> anyhow::Result<()> {
    let run = syncer
        .run_sync(RunSyncRequest {
            company_id: company_id.to_owned(),
            dry_run: false,
        })
        .await?
        .into_inner();
    for result in &run.results {
        println!(
            "      {}: sent {}, held {}, not synced {}, failed {}, deferred {}",
            result.outcome().as_str_name(),
            result.sent,
            result.held,
            result.not_synced,
            result.failed,
            result.deferred
        );
    }
    Ok(())
}

pub(crate) async fn all_links(
    matcher: &mut MatcherServiceClient<Api>,
    company_id: &str,
) -> anyhow::Result<Vec<Link>> {
    let mut links = Vec::new();
    let mut page_token = String::new();
    loop {
        let page = matcher
            .list_links(ListLinksRequest {
                company_id: company_id.to_owned(),
                state: 0,
                page_size: 1000,
                page_token,
            })
            .await?
            .into_inner();
        links.extend(page.links);
        if page.next_page_token.is_empty() {
            return Ok(links);
        }
        page_token = page.next_page_token;
    }
}

pub(crate) async fn all_punches(
    syncer: &mut SyncerServiceClient<Api>,
    company_id: &str,
) -> anyhow::Result<Vec<PunchRecord>> {
    let mut punches = Vec::new();
    let mut page_token = String::new();
    loop {
        let page = syncer
            .list_punches(ListPunchesRequest {
                company_id: company_id.to_owned(),
                page_size: 1000,
                page_token,
                ..ListPunchesRequest::default()
            })
            .await?
            .into_inner();
        punches.extend(page.punches);
        if page.next_page_token.is_empty() {
            return Ok(punches);
        }
        page_token = page.next_page_token;
    }
}

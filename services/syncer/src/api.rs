//! gRPC handlers of SyncerService: proto ↔ domain around [`Syncer`].

use kintai_core::paging::{self, PageRequest};
use kintai_core::validate::Violations;
use kintai_i18n::{Lang, Text};
use kintai_proto::syncer::v1::syncer_service_server::SyncerService;
use kintai_proto::syncer::v1::*;
use tonic::{Request, Response, Status};

use crate::api_args::{jst_start, list_scope};
use crate::convert;
use crate::store::ListFilter;
use crate::syncer::Syncer;

/// The service's state.
#[derive(Clone, Debug)]
pub struct SyncerApi {
    syncer: Syncer,
}

impl SyncerApi {
    pub fn new(syncer: Syncer) -> Self {
        Self { syncer }
    }

    pub fn syncer(&self) -> &Syncer {
        &self.syncer
    }
}

#[tonic::async_trait]
impl SyncerService for SyncerApi {
    async fn record_punches(
        &self,
        request: Request<RecordPunchesRequest>,
    ) -> Result<Response<RecordPunchesResponse>, Status> {
        let lang = Lang::of_request(&request);
        crate::api_record::record_punches(&self.syncer, request.into_inner(), lang)
            .await
            .map(Response::new)
    }

    async fn run_sync(
        &self,
        request: Request<RunSyncRequest>,
    ) -> Result<Response<RunSyncResponse>, Status> {
        let lang = Lang::of_request(&request);
        let request = request.into_inner();
        let company = (!request.company_id.is_empty()).then_some(request.company_id.as_str());
        if let Some(company_id) = company {
            let mut violations = Violations::new();
            violations.id("company_id", company_id);
            violations.check(lang)?;
        }
        let report = self.syncer.run(company, request.dry_run).await?;
        Ok(Response::new(RunSyncResponse {
            results: report
                .results
                .into_iter()
                .map(|result| convert::company(result, lang))
                .collect(),
            dry_run: report.dry_run,
            started_at: Some(convert::timestamp(report.started_at)),
            finished_at: Some(convert::timestamp(report.finished_at)),
        }))
    }

    async fn list_punches(
        &self,
        request: Request<ListPunchesRequest>,
    ) -> Result<Response<ListPunchesResponse>, Status> {
        let lang = Lang::of_request(&request);
        let request = request.into_inner();
        let mut violations = Violations::new();
        let (from, to) = list_scope(
            &mut violations,
            &request.company_id,
            &request.user_id,
            ("from_date", &request.from_date),
            ("to_date", &request.to_date),
        );
        let state = convert::state_filter(request.state).unwrap_or_else(|()| {
            violations.add(
                "state",
                Text::new("field-unknown-value")
                    .arg("value", request.state)
                    .arg("kind", "PunchState"),
            );
            None
        });
        let page = PageRequest::parse(request.page_size, &request.page_token, 2, &mut violations);
        let cursor = page.after_pair(&mut violations, crate::api_args::cursor_instant);
        violations.check(lang)?;
        let filter = ListFilter {
            user_id: (!request.user_id.is_empty()).then_some(request.user_id),
            from: from.map(jst_start),
            until: to.and_then(|day| day.succ_opt()).map(jst_start),
            state,
        };
        let (records, next) = self
            .syncer
            .list(&request.company_id, &filter, page.limit, cursor.as_ref())
            .await?;
        let next_page_token = next
            .map(|(at, punch_id)| {
                paging::encode_token(&[&at.timestamp_millis().to_string(), &punch_id])
            })
            .unwrap_or_default();
        Ok(Response::new(ListPunchesResponse {
            punches: records
                .into_iter()
                .map(|record| convert::record(record, lang))
                .collect(),
            next_page_token,
        }))
    }

    async fn list_days(
        &self,
        request: Request<ListDaysRequest>,
    ) -> Result<Response<ListDaysResponse>, Status> {
        crate::api_days::list_days(&self.syncer, request)
            .await
            .map(Response::new)
    }

    async fn retry_punches(
        &self,
        request: Request<RetryPunchesRequest>,
    ) -> Result<Response<RetryPunchesResponse>, Status> {
        let lang = Lang::of_request(&request);
        crate::api_retry::retry_punches(&self.syncer, request.into_inner(), lang)
            .await
            .map(Response::new)
    }
}

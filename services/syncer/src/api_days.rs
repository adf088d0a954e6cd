//! The ListDays handler: the day check's verdicts per user and working day, with cyzen's and
//! KING OF TIME's punches, reasons rendered in the caller's language (`accept-language`).

use kintai_core::paging::{self, PageRequest};
use kintai_core::validate::Violations;
use kintai_i18n::{Lang, Text};
use kintai_proto::syncer::v1::{
    DayPunch, DayVerdict, KotDayPunch, ListDaysRequest, ListDaysResponse, UserDay,
};
use tonic::{Request, Status};

use crate::api_args::list_scope;
use crate::convert;
use crate::day_pages::{self, DayFilter};
use crate::day_store::{DayRow, UserDay as StoredDay};
use crate::day_verdict::Verdict;
use crate::model::PunchRecord;
use crate::syncer::Syncer;

pub(crate) async fn list_days(
    syncer: &Syncer,
    request: Request<ListDaysRequest>,
) -> Result<ListDaysResponse, Status> {
    let lang = Lang::of_request(&request);
    let request = request.into_inner();
    let mut violations = Violations::new();
    let (start, end) = list_scope(
        &mut violations,
        &request.company_id,
        &request.user_id,
        ("start_date", &request.start_date),
        ("end_date", &request.end_date),
    );
    let page = PageRequest::parse(request.page_size, &request.page_token, 2, &mut violations);
    let cursor = page.after_pair(&mut violations, crate::api_args::cursor_day);
    violations.check(lang)?;
    let filter = DayFilter {
        user_id: (!request.user_id.is_empty()).then_some(request.user_id),
        start,
        end,
    };
    let limit = usize::try_from(page.limit).unwrap_or(usize::MAX);
    let db = syncer.db();
    let storage = |error: kintai_core::DbError| {
        tracing::error!(%error, "ListDays: storage failed");
        Status::unavailable("the syncer's database failed; the operators have the details")
    };
    // One more than the page: whether there is a next page.
    let mut days = day_pages::page(db, &request.company_id, &filter, cursor.as_ref(), limit + 1)
        .await
        .map_err(storage)?;
    let more = days.len() > limit;
    days.truncate(limit);
    let (mut records, mut verdicts) = day_pages::page_details(db, &request.company_id, &days)
        .await
        .map_err(storage)?;
    let next_page_token = match (more, days.last()) {
        (true, Some(last)) => paging::encode_token(&[&last.day.to_string(), &last.user_id]),
        _ => String::new(),
    };
    let days = days
        .into_iter()
        .map(|day| {
            let ours = records.remove(&day).unwrap_or_default();
            let checked = verdicts.remove(&day);
            user_day(&day, ours, checked, lang)
        })
        .collect();
    Ok(ListDaysResponse {
        days,
        next_page_token,
    })
}

fn user_day(
    day: &StoredDay,
    ours: Vec<PunchRecord>,
    checked: Option<DayRow>,
    lang: Lang,
) -> UserDay {
    let sent_instants: Vec<(i64, Option<&'static str>)> = ours
        .iter()
        .filter(|r| {
            matches!(
                r.state,
                crate::model::LedgerState::Sent | crate::model::LedgerState::InFlight
            )
        })
        .map(|r| {
            (
                r.punch.punched_at.timestamp(),
                r.punch_type.code().map(kot_client::PunchCode::as_str),
            )
        })
        .collect();
    let mut answer = UserDay {
        user_id: day.user_id.clone(),
        working_day: day.day.to_string(),
        ..UserDay::default()
    };
    match checked {
        Some(row) => {
            let mut kot = row.kot_punches;
            kot.sort_by_key(|p| p.time);
            answer.kot_punches = kot
                .into_iter()
                .map(|p| KotDayPunch {
                    from_cyzen: sent_instants.iter().any(|(at, code)| {
                        *at == p.time.timestamp() && *code == Some(p.code.trim())
                    }),
                    time: p.time.with_timezone(&kot_client::jst()).to_rfc3339(),
                    code: p.code,
                    name: p.name.unwrap_or_default(),
                })
                .collect();
            answer.set_verdict(verdict(row.verdict));
            answer.reason = Text::render_stored(&row.reason, lang);
            answer.employee_key = row.employee_key;
            answer.checked_at = Some(convert::timestamp(row.checked_at));
        }
        None => {
            answer.set_verdict(DayVerdict::Unchecked);
            answer.reason = Text::new("days-unchecked").render(lang);
        }
    }
    answer.cyzen_punches = ours
        .into_iter()
        .map(|record| DayPunch {
            punch_type: convert::punch_type(record.punch_type).into(),
            state: convert::state(record.state).into(),
            reason: Text::render_stored(&record.reason, lang),
            punched_at: Some(convert::timestamp(record.punch.punched_at)),
            punch_id: record.punch.punch_id,
            status_name: record.punch.status_name,
        })
        .collect();
    answer
}

fn verdict(value: Verdict) -> DayVerdict {
    match value {
        Verdict::Ok => DayVerdict::Ok,
        Verdict::KotErrorDay => DayVerdict::KotErrorDay,
        Verdict::MissingClockIn => DayVerdict::MissingClockIn,
        Verdict::MissingClockOut => DayVerdict::MissingClockOut,
        Verdict::Closed => DayVerdict::Closed,
        Verdict::Differs => DayVerdict::Differs,
    }
}

//! The demo's day check (照合): ListDays for the demo week, as the admin site would show it next
//! to 連携状況 — one row per user and working day with KING OF TIME's verdict and the reason.

use std::collections::BTreeMap;

use kintai_proto::matcher::v1::Link;
use kintai_proto::syncer::v1::syncer_service_client::SyncerServiceClient;
use kintai_proto::syncer::v1::{DayVerdict, ListDaysRequest, UserDay};

use super::report;

/// Every user-day of the company in `start..=end`, all pages.
pub async fn all_days(
    syncer: &mut SyncerServiceClient<super::calls::Api>,
    company_id: &str,
    start: &str,
    end: &str,
) -> anyhow::Result<Vec<UserDay>> {
    let mut days = Vec::new();
    let mut page_token = String::new();
    loop {
        let page = syncer
            .list_days(ListDaysRequest {
                company_id: company_id.to_owned(),
                start_date: start.to_owned(),
                end_date: end.to_owned(),
                page_size: 1_000,
                page_token: page_token.clone(),
                ..ListDaysRequest::default()
            })
            .await?
            .into_inner();
        days.extend(page.days);
        if page.next_page_token.is_empty() {
            return Ok(days);
        }
        page_token = page.next_page_token;
    }
}

/// The label an admin reads for a verdict.
pub fn verdict_label(verdict: DayVerdict) -> &'static str {
    match verdict {
        DayVerdict::Ok => "OK",
        DayVerdict::KotErrorDay => "エラー勤務",
        DayVerdict::MissingClockIn | DayVerdict::MissingClockOut => "打刻漏れ",
        DayVerdict::Closed => "締め",
        DayVerdict::Differs => "不一致",
        DayVerdict::Unchecked | DayVerdict::Unspecified => "未照合",
    }
}

/// The users whose division starts its day at another time than midnight (日付変更時間).
pub fn print_borders(links: &[Link]) {
    for link in links {
        if !link.day_border_time.is_empty() && link.day_border_time != "00:00" {
            println!(
                "      {}: the division's day starts at {} (日付変更時間); 出勤 are filed by it",
                link.user_name, link.day_border_time
            );
        }
    }
}

/// The table: 勤務日, ユーザー名, 照合, 理由.
pub fn table(days: &[UserDay], links: &[Link]) -> String {
    let names: BTreeMap<&str, &str> = links
        .iter()
        .map(|link| (link.user_id.as_str(), link.user_name.as_str()))
        .collect();
    let rows: Vec<Vec<String>> = days
        .iter()
        .map(|day| {
            vec![
                day.working_day.clone(),
                (*names
                    .get(day.user_id.as_str())
                    .unwrap_or(&day.user_id.as_str()))
                .to_owned(),
                verdict_label(day.verdict()).to_owned(),
                day.reason.clone(),
            ]
        })
        .collect();
    report::table(&["勤務日", "ユーザー名", "照合", "理由"], &rows)
}

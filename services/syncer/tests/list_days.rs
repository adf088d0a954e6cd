//! ListDays as a caller sees it, on both engines: validation as BadRequest with field and why,
//! reasons in Japanese by default and in English by `accept-language`, paging, unchecked days.

mod common;

use common::*;
use kintai_core::Db;
use kintai_proto::syncer::v1::{DayVerdict, ListDaysRequest, ListDaysResponse, PunchState};
use kintai_testkit::status;
use kintai_testkit::{both_engines, jst};
use tonic::Code;

const C: &str = "acme";

async fn list(
    h: &Harness,
    request: ListDaysRequest,
    lang: Option<&str>,
) -> Result<ListDaysResponse, tonic::Status> {
    h.api()
        .list_days(in_language(request, lang))
        .await
        .map(tonic::Response::into_inner)
}

both_engines!(bad_requests_name_the_field_and_why, |db: Db| async move {
    let h = harness(db, jst(NOW)).await;
    let status = list(
        &h,
        ListDaysRequest {
            company_id: String::new(),
            start_date: "2024-6-1".into(),
            end_date: "2024-06-01".into(),
            page_size: 5_000,
            page_token: "garbage".into(),
            ..ListDaysRequest::default()
        },
        None,
    )
    .await
    .unwrap_err();
    assert_eq!(status.code(), Code::InvalidArgument, "{status:?}");
    let mut fields = status::violated_fields(&status);
    fields.sort();
    assert_eq!(
        fields,
        ["company_id", "page_size", "page_token", "start_date"]
    );
    let status = list(
        &h,
        ListDaysRequest {
            company_id: C.into(),
            start_date: "2024-06-10".into(),
            end_date: "2024-06-01".into(),
            ..ListDaysRequest::default()
        },
        None,
    )
    .await
    .unwrap_err();
    // The description is for the admin: Japanese unless the caller asks otherwise.
    assert_eq!(status.code(), Code::InvalidArgument, "{status:?}");
    assert_eq!(
        status::violations(&status),
        [(
            "end_date".to_owned(),
            "start_dateより前の日付は指定できません。".to_owned()
        )]
    );
    assert!(
        status
            .message()
            .contains("end_date must not be before start_date")
    );
});

both_engines!(
    days_are_paged_and_reasons_follow_the_language,
    |db: Db| async move {
        let h = harness(db, jst(NOW)).await;
        h.company(C);
        h.employee(C, "u1", "U000123", true);
        h.employee(C, "u2", "U000124", true);
        // u3 is not linked: its day shows its held punch, unchecked.
        h.settings.set_user(C, "u3", "U000999", false);
        let mut punches = Vec::new();
        for (user, n) in [("u1", 0), ("u2", 1)] {
            for day in 17..=19 {
                punches.push(clock_in(
                    &format!("{user}-in-{day}"),
                    user,
                    &format!("2024-06-{day}T09:0{n}:00"),
                ));
                punches.push(clock_out(
                    &format!("{user}-out-{day}"),
                    user,
                    &format!("2024-06-{day}T18:0{n}:00"),
                ));
            }
        }
        punches.push(clock_in("u3-in", "u3", "2024-06-19T09:00:00"));
        h.record(C, punches).await;
        h.settle(C, 3).await;

        let mut seen = Vec::new();
        let mut page_token = String::new();
        loop {
            let page = list(
                &h,
                ListDaysRequest {
                    company_id: C.into(),
                    start_date: "2024-06-18".into(),
                    end_date: "2024-06-19".into(),
                    page_size: 2,
                    page_token: page_token.clone(),
                    ..ListDaysRequest::default()
                },
                Some("en-US,en;q=0.9"),
            )
            .await
            .unwrap();
            assert!(page.days.len() <= 2);
            seen.extend(page.days);
            if page.next_page_token.is_empty() {
                break;
            }
            page_token = page.next_page_token;
        }
        let keys: Vec<(String, String)> = seen
            .iter()
            .map(|d| (d.working_day.clone(), d.user_id.clone()))
            .collect();
        let expected: Vec<(String, String)> = [
            ("2024-06-18", "u1"),
            ("2024-06-18", "u2"),
            ("2024-06-19", "u1"),
            ("2024-06-19", "u2"),
            ("2024-06-19", "u3"),
        ]
        .iter()
        .map(|(d, u)| ((*d).to_owned(), (*u).to_owned()))
        .collect();
        assert_eq!(keys, expected);
        let u1 = &seen[0];
        assert_eq!(u1.verdict(), DayVerdict::Ok);
        assert_eq!(u1.reason, "The punches match KING OF TIME (2).");
        assert_eq!(u1.kot_punches.len(), 2);
        assert!(u1.kot_punches.iter().all(|p| p.from_cyzen));
        assert_eq!(u1.kot_punches[0].time, "2024-06-18T09:00:00+09:00");
        assert!(
            u1.cyzen_punches
                .iter()
                .all(|p| p.state() == PunchState::Sent)
        );
        assert!(u1.checked_at.is_some() && !u1.employee_key.is_empty());
        let u3 = &seen[4];
        assert_eq!(u3.verdict(), DayVerdict::Unchecked);
        assert!(u3.reason.starts_with("Not checked yet"), "{}", u3.reason);
        assert_eq!(u3.cyzen_punches[0].state(), PunchState::Held);

        // Japanese by default; one user only.
        let page = list(
            &h,
            ListDaysRequest {
                company_id: C.into(),
                user_id: "u2".into(),
                ..ListDaysRequest::default()
            },
            None,
        )
        .await
        .unwrap();
        assert_eq!(page.days.len(), 3);
        assert!(page.days.iter().all(|d| d.user_id == "u2"));
        assert_eq!(
            page.days[0].reason,
            "打刻は KING OF TIME と一致しています (2 件)。"
        );
    }
);

//! ListPunches on both engines: pages that follow each other without gaps or repeats, filters
//! by user, JST day and state, and the arguments it refuses.

mod common;

use common::*;
use kintai_core::Db;
use kintai_proto::common::v1::StatusKind;
use kintai_proto::syncer::v1::{ListPunchesRequest, PunchState};
use kintai_testkit::{both_engines, jst};
use tonic::Code;

const C: &str = "acme";

both_engines!(list_filters_and_pages, |db: Db| async move {
    let h = harness(db, jst(NOW)).await;
    let mut batch = Vec::new();
    for d in 1..=12 {
        batch.push(clock_in(
            &format!("a{d:02}"),
            "u1",
            &format!("2024-06-{d:02}T08:00:00"),
        ));
        batch.push(clock_out(
            &format!("b{d:02}"),
            "u2",
            &format!("2024-06-{d:02}T23:30:00"),
        ));
    }
    batch.push(punch(
        "x",
        "u2",
        StatusKind::Working,
        "作業開始",
        "2024-06-05T10:00:00",
    ));
    h.record(C, batch).await;

    let list = |request: ListPunchesRequest| async {
        h.api().list_punches(request).await.map(|r| r.into_inner())
    };
    // Pages of 10 follow each other without gaps or repeats, ordered by instant.
    let mut seen = Vec::new();
    let mut token = String::new();
    loop {
        let page = list(ListPunchesRequest {
            company_id: C.into(),
            page_size: 10,
            page_token: token.clone(),
            ..Default::default()
        })
        .await
        .unwrap();
        assert!(page.punches.len() <= 10);
        seen.extend(
            page.punches
                .iter()
                .map(|p| (p.punched_at.unwrap().seconds, p.punch_id.clone())),
        );
        if page.next_page_token.is_empty() {
            break;
        }
        token = page.next_page_token;
    }
    assert_eq!(seen.len(), 25);
    assert!(seen.windows(2).all(|w| w[0] < w[1]));

    let by_user = list(ListPunchesRequest {
        company_id: C.into(),
        user_id: "u1".into(),
        ..Default::default()
    })
    .await
    .unwrap();
    assert_eq!(by_user.punches.len(), 12);
    // JST days: 23:30 JST on the 3rd is the 3rd, although it is the 3rd 14:30 UTC.
    let days = list(ListPunchesRequest {
        company_id: C.into(),
        from_date: "2024-06-03".into(),
        to_date: "2024-06-04".into(),
        ..Default::default()
    })
    .await
    .unwrap();
    let ids: Vec<_> = days.punches.iter().map(|p| p.punch_id.as_str()).collect();
    assert_eq!(ids, ["a03", "b03", "a04", "b04"]);
    let not_synced = list(ListPunchesRequest {
        company_id: C.into(),
        state: PunchState::NotSynced.into(),
        ..Default::default()
    })
    .await
    .unwrap();
    assert_eq!(not_synced.punches.len(), 1);

    for bad in [
        ListPunchesRequest {
            company_id: C.into(),
            page_token: "garbage!".into(),
            ..Default::default()
        },
        ListPunchesRequest {
            company_id: C.into(),
            page_size: 1001,
            ..Default::default()
        },
        ListPunchesRequest {
            company_id: C.into(),
            from_date: "2024-6-1".into(),
            ..Default::default()
        },
        ListPunchesRequest {
            company_id: C.into(),
            from_date: "2024-06-05".into(),
            to_date: "2024-06-01".into(),
            ..Default::default()
        },
        ListPunchesRequest {
            company_id: C.into(),
            state: 42,
            ..Default::default()
        },
        ListPunchesRequest {
            company_id: String::new(),
            ..Default::default()
        },
    ] {
        let status = list(bad).await.unwrap_err();
        assert_eq!(status.code(), Code::InvalidArgument, "{status:?}");
    }
});

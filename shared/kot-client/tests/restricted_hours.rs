//! Restricted-hours boundaries, client ↔ simulator: 08:30–10:00 and 17:30–18:30 JST block
//! reads; punch POST and token calls stay allowed inside.

mod common;

use common::*;
use kot_client::{
    AttendanceVendor, EmployeeQuery, KotError, PunchCode, TimeRecordRequest, is_restricted,
};
use kot_sim::Clock;

const BOUNDARIES: [(&str, bool); 8] = [
    ("08:29:59", false),
    ("08:30:00", true),
    ("09:59:59", true),
    ("10:00:00", false),
    ("17:29:59", false),
    ("17:30:00", true),
    ("18:29:59", true),
    ("18:30:00", false),
];

#[tokio::test]
async fn reads_follow_the_window_boundaries() {
    let f = fixture().await;
    for (hms, blocked) in BOUNDARIES {
        let now = utc(&format!("2024-06-03T{hms}"));
        f.sim.set_clock(Clock::Fixed(now));
        assert_eq!(is_restricted(now), blocked, "client helper at {hms}");
        let results = [
            f.client
                .list_employees(&f.token, &EmployeeQuery::default())
                .await
                .map(drop),
            f.client.get_employee(&f.token, "U000123").await.map(drop),
            f.client.list_divisions(&f.token).await.map(drop),
            f.client
                .list_timerecords(
                    &f.token,
                    &[f.ichiko.as_str()],
                    day("2024-06-01"),
                    day("2024-06-03"),
                )
                .await
                .map(drop),
            f.client
                .read_day(&f.token, &f.ichiko, day("2024-06-03"))
                .await
                .map(drop),
            f.client
                .daily_workings(&f.token, None, day("2024-06-01"), day("2024-06-03"))
                .await
                .map(drop),
        ];
        for (endpoint, result) in results.into_iter().enumerate() {
            if blocked {
                assert!(
                    matches!(result, Err(KotError::RestrictedHours { .. })),
                    "endpoint {endpoint} at {hms}: {result:?}"
                );
            } else {
                assert!(result.is_ok(), "endpoint {endpoint} at {hms}: {result:?}");
            }
        }
    }
    let restricted_answers = f
        .sim
        .request_log()
        .iter()
        .filter(|e| e.status == Some(403) && e.code == Some(104))
        .count();
    assert_eq!(restricted_answers, 4 * 6);
}

#[tokio::test]
async fn punches_and_token_calls_work_inside_both_windows() {
    let f = fixture().await;
    for hms in ["08:30:00", "09:59:59", "17:30:00", "18:29:59"] {
        f.sim
            .set_clock(Clock::Fixed(utc(&format!("2024-06-03T{hms}"))));
        assert!(
            f.client.check_token(&f.token).await.unwrap(),
            "token check at {hms}"
        );
        let punch = TimeRecordRequest {
            date: day("2024-06-03"),
            time: jst(&format!("2024-06-03T{hms}")),
            code: PunchCode::ClockIn,
            division_code: None,
            latitude: None,
            longitude: None,
        };
        f.client
            .post_punch(&f.token, &f.ichiko, &punch)
            .await
            .unwrap();
    }
    assert_eq!(f.sim.punches(COMPANY).len(), 4);
    let fresh = f.client.refresh_token(&f.token).await.unwrap();
    f.client.delete_token(&fresh).await.unwrap();
}

//! Client ↔ simulator: every endpoint of kot-api.md, success paths.

mod common;

use common::*;
use kot_client::{AttendanceVendor, EmployeeQuery, KotClient, PunchCode, TimeRecordRequest, Token};

fn punch(date: &str, time: &str, code: PunchCode) -> TimeRecordRequest {
    TimeRecordRequest {
        date: day(date),
        time: jst(time),
        code,
        division_code: None,
        latitude: None,
        longitude: None,
    }
}

#[tokio::test]
async fn list_employees_hides_resigners_unless_asked() {
    let f = fixture().await;
    let active = f
        .client
        .list_employees(&f.token, &EmployeeQuery::default())
        .await
        .unwrap();
    let codes: Vec<_> = active.iter().map(|e| e.code.as_str()).collect();
    assert_eq!(codes, ["U000123", "00124"]);
    assert!(
        active
            .iter()
            .all(|e| e.key.len() == 64 && e.key.chars().all(|c| c.is_ascii_hexdigit()))
    );
    assert_eq!(active[0].key, f.ichiko);
    assert_eq!(active[0].division_name, "本社");
    assert_eq!(active[0].resignation_date, None);

    let all = AttendanceVendor::list_employees(&f.client, &f.token, true)
        .await
        .unwrap();
    let goro = all
        .iter()
        .find(|e| e.key == f.goro)
        .expect("resigned employee listed");
    assert_eq!(goro.resignation_date, Some(day("2024-05-31")));
    assert!(goro.is_resigned_on(day("2024-06-03")));
}

#[tokio::test]
async fn list_employees_as_of_date_and_division() {
    let f = fixture().await;
    let before = EmployeeQuery {
        date: Some(day("2024-05-31")),
        ..Default::default()
    };
    let listed = f.client.list_employees(&f.token, &before).await.unwrap();
    assert_eq!(listed.len(), 3, "on his last day the resigner still counts");
    let night = EmployeeQuery {
        division: Some("200".into()),
        ..Default::default()
    };
    let listed = f.client.list_employees(&f.token, &night).await.unwrap();
    let keys: Vec<&str> = listed.iter().map(|e| e.key.as_str()).collect();
    assert_eq!(keys, [f.shinsuke.as_str()]);
}

#[tokio::test]
async fn get_employee_by_code_keeps_leading_zeros_and_follows_code_changes() {
    let f = fixture().await;
    let shinsuke = f.client.get_employee(&f.token, "00124").await.unwrap();
    assert_eq!(
        (shinsuke.code.as_str(), shinsuke.key.as_str()),
        ("00124", f.shinsuke.as_str())
    );
    assert!(matches!(
        f.client.get_employee(&f.token, "124").await,
        Err(kot_client::KotError::NotFound { .. })
    ));
    f.sim.change_employee_code(&f.shinsuke, "U000124").unwrap();
    let renamed = f.client.get_employee(&f.token, "U000124").await.unwrap();
    assert_eq!(renamed.key, f.shinsuke, "the key survives a code change");
}

#[tokio::test]
async fn divisions_with_day_border() {
    let f = fixture().await;
    let divisions = f.client.list_divisions(&f.token).await.unwrap();
    assert_eq!(divisions.len(), 2);
    assert_eq!(divisions[1].code, "200");
    assert_eq!(divisions[1].day_border_time.to_string(), "05:00:00");
    assert_eq!(divisions[0].day_border_time.to_string(), "00:00:00");
}

#[tokio::test]
async fn post_punch_is_stored_as_sent() {
    let f = fixture().await;
    let mut request = punch("2024-06-03", "2024-06-03T08:55:30", PunchCode::ClockIn);
    request.latitude = Some(35.6812);
    request.longitude = Some(139.7671);
    let answer = f
        .client
        .post_timerecord(&f.token, &f.ichiko, &request)
        .await
        .unwrap();
    assert_eq!(answer.employee_key, f.ichiko);
    assert_eq!(answer.date, day("2024-06-03"));
    assert_eq!(answer.time_record.punch_code(), Some(PunchCode::ClockIn));
    assert_eq!(answer.time_record.name.as_deref(), Some("出勤"));
    assert_eq!(answer.time_record.division_code.as_deref(), Some("100"));

    let stored = f.sim.punches(COMPANY);
    assert_eq!(stored.len(), 1);
    assert_eq!(stored[0].employee_key, f.ichiko);
    assert_eq!(stored[0].time, jst("2024-06-03T08:55:30"));
    assert_eq!(stored[0].time.offset().local_minus_utc(), 9 * 3600);
    assert_eq!(stored[0].code.as_deref(), Some("1"));
    assert_eq!(
        (stored[0].latitude, stored[0].longitude),
        (Some(35.6812), Some(139.7671))
    );
}

#[tokio::test]
async fn time_given_in_utc_is_sent_as_jst() {
    let f = fixture().await;
    let mut request = punch("2024-06-03", "2024-06-03T18:00:00", PunchCode::ClockOut);
    request.time = request.time.to_utc().fixed_offset();
    f.client
        .post_timerecord(&f.token, &f.ichiko, &request)
        .await
        .unwrap();
    assert_eq!(
        f.sim.punches(COMPANY)[0].time.to_rfc3339(),
        "2024-06-03T18:00:00+09:00"
    );
}

#[tokio::test]
async fn night_shift_punch_belongs_to_its_start_day() {
    let f = fixture().await;
    for (time, code) in [
        ("2024-06-02T22:00:00", PunchCode::ClockIn),
        ("2024-06-03T06:00:00", PunchCode::ClockOut),
    ] {
        f.client
            .post_timerecord(&f.token, &f.shinsuke, &punch("2024-06-02", time, code))
            .await
            .unwrap();
    }
    let day_records = f
        .client
        .read_day(&f.token, &f.shinsuke, day("2024-06-02"))
        .await
        .unwrap();
    assert_eq!(day_records.len(), 2);
    assert!(
        day_records
            .iter()
            .any(|r| r.is_same_punch(&jst("2024-06-03T06:00:00"), PunchCode::ClockOut))
    );
    assert!(
        f.client
            .read_day(&f.token, &f.shinsuke, day("2024-06-03"))
            .await
            .unwrap()
            .is_empty()
    );
}

#[tokio::test]
async fn duplicate_posts_store_twice() {
    // kot-api.md: no idempotency. The simulator must not hide double posts.
    let f = fixture().await;
    let request = punch("2024-06-03", "2024-06-03T09:00:00", PunchCode::ClockIn);
    f.client
        .post_timerecord(&f.token, &f.ichiko, &request)
        .await
        .unwrap();
    f.client
        .post_timerecord(&f.token, &f.ichiko, &request)
        .await
        .unwrap();
    assert_eq!(f.sim.punches(COMPANY).len(), 2);
}

#[tokio::test]
async fn list_timerecords_within_62_days_is_one_call() {
    let f = fixture().await;
    let request = punch("2024-06-01", "2024-06-01T09:00:00", PunchCode::ClockIn);
    f.client
        .post_timerecord(&f.token, &f.ichiko, &request)
        .await
        .unwrap();
    let days = f
        .client
        .list_timerecords(
            &f.token,
            &[f.ichiko.as_str(), f.shinsuke.as_str()],
            day("2024-05-01"),
            day("2024-07-01"),
        )
        .await
        .unwrap();
    assert_eq!(days.len(), 62);
    assert_eq!(
        count(&f.sim, "GET", "/v1.0/daily-workings/timerecord", Some(200)),
        1
    );
    let june_first = days.iter().find(|d| d.date == day("2024-06-01")).unwrap();
    let ichiko = june_first
        .daily_workings
        .iter()
        .find(|w| w.employee_key == f.ichiko)
        .unwrap();
    assert_eq!(ichiko.time_record.len(), 1);
    assert_eq!(ichiko.time_record[0].credential_code, Some(900));
}

#[tokio::test]
async fn list_timerecords_splits_long_ranges() {
    let f = fixture().await;
    let request = punch("2024-12-31", "2024-12-31T09:00:00", PunchCode::ClockIn);
    f.client
        .post_timerecord(&f.token, &f.ichiko, &request)
        .await
        .unwrap();
    let days = f
        .client
        .list_timerecords(
            &f.token,
            &[f.ichiko.as_str()],
            day("2024-01-01"),
            day("2024-12-31"),
        )
        .await
        .unwrap();
    assert_eq!(days.len(), 366, "every day once, no gaps or overlaps");
    assert_eq!(
        count(&f.sim, "GET", "/v1.0/daily-workings/timerecord", Some(200)),
        6
    );
    assert_eq!(
        count(&f.sim, "GET", "/v1.0/daily-workings/timerecord", Some(400)),
        0
    );
    let last = days.last().unwrap();
    assert_eq!(last.date, day("2024-12-31"));
    assert_eq!(last.daily_workings[0].time_record.len(), 1);
}

#[tokio::test]
async fn read_day_returns_unsorted_records_of_one_employee() {
    let f = fixture().await;
    for (time, code) in [
        ("2024-06-03T09:00:00", PunchCode::ClockIn),
        ("2024-06-03T12:00:00", PunchCode::BreakStart),
        ("2024-06-03T13:00:00", PunchCode::BreakEnd),
        ("2024-06-03T18:00:00", PunchCode::ClockOut),
    ] {
        f.client
            .post_timerecord(&f.token, &f.ichiko, &punch("2024-06-03", time, code))
            .await
            .unwrap();
    }
    f.client
        .post_timerecord(
            &f.token,
            &f.shinsuke,
            &punch("2024-06-03", "2024-06-03T10:00:00", PunchCode::GoOut),
        )
        .await
        .unwrap();
    let records = f
        .client
        .read_day(&f.token, &f.ichiko, day("2024-06-03"))
        .await
        .unwrap();
    assert_eq!(records.len(), 4);
    let mut codes: Vec<_> = records.iter().map(|r| r.punch_code().unwrap()).collect();
    codes.sort_by_key(|c| c.as_str());
    assert_eq!(
        codes,
        [
            PunchCode::ClockIn,
            PunchCode::ClockOut,
            PunchCode::BreakStart,
            PunchCode::BreakEnd
        ]
    );
    let whole_day = f
        .client
        .get_daily_timerecords(&f.token, day("2024-06-03"), None)
        .await
        .unwrap();
    assert_eq!(
        whole_day.daily_workings.len(),
        3,
        "all employees of the company"
    );
    let night = f
        .client
        .get_daily_timerecords(&f.token, day("2024-06-03"), Some("200"))
        .await
        .unwrap();
    let keys: Vec<&str> = night
        .daily_workings
        .iter()
        .map(|w| w.employee_key.as_str())
        .collect();
    assert_eq!(keys, [f.shinsuke.as_str()], "one division");
}

#[tokio::test]
async fn token_lifecycle() {
    let f = fixture().await;
    assert!(f.client.check_token(&f.token).await.unwrap());
    let fresh = f.client.refresh_token(&f.token).await.unwrap();
    assert_ne!(fresh.expose(), f.token.expose());
    assert!(
        !f.sim.token_is_active(SECRET),
        "refresh suspends the old token"
    );
    assert!(!f.client.token_available(&f.token).await.unwrap());
    assert!(f.client.token_available(&fresh).await.unwrap());
    assert_eq!(
        f.client.list_divisions(&fresh).await.unwrap().len(),
        2,
        "new token has the same rights"
    );
    f.client.delete_token(&fresh).await.unwrap();
    assert!(!f.sim.token_is_active(fresh.expose()));
    // A deleted token is suspended: KING OF TIME still knows it and says it is not available.
    assert!(!f.client.token_available(&fresh).await.unwrap());
}

#[tokio::test]
async fn clones_share_one_client() {
    let f = fixture().await;
    let clone: KotClient = f.client.clone();
    let other = Token::new("not-a-token");
    assert!(
        matches!(
            clone.token_available(&other).await,
            Err(kot_client::KotError::AuthenticationFailed { .. })
        ),
        "an unknown token fails authentication, unlike a suspended one"
    );
    assert_eq!(clone.base_url(), &f.handle.base_url);
}

#[tokio::test]
async fn many_keys_are_split_and_merged_by_date() {
    let f = fixture().await;
    let request = punch("2024-06-03", "2024-06-03T09:00:00", PunchCode::ClockIn);
    f.client
        .post_timerecord(&f.token, &f.shinsuke, &request)
        .await
        .unwrap();
    // 51 keys (the same three repeated) need two calls per range piece.
    let keys: Vec<String> = [&f.ichiko, &f.shinsuke, &f.goro]
        .iter()
        .cycle()
        .take(51)
        .map(|k| k.to_string())
        .collect();
    let days = f
        .client
        .list_timerecords(&f.token, &keys, day("2024-06-02"), day("2024-06-03"))
        .await
        .unwrap();
    assert_eq!(
        count(&f.sim, "GET", "/v1.0/daily-workings/timerecord", Some(200)),
        2
    );
    assert_eq!(
        days.iter().map(|d| d.date).collect::<Vec<_>>(),
        [day("2024-06-02"), day("2024-06-03")]
    );
    assert_eq!(
        days[1].daily_workings.len(),
        51,
        "workings of both calls merged into one date"
    );
    let with_punch = days[1]
        .daily_workings
        .iter()
        .filter(|w| !w.time_record.is_empty())
        .count();
    assert_eq!(with_punch, 17);
}

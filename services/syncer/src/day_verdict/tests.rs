use chrono::NaiveDate;
use kintai_i18n::Lang;
use kot_client::DayTotals;

use super::*;

fn at(local: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(&format!("{local}+09:00"))
        .unwrap()
        .to_utc()
}

fn ours(id: &str, punch_type: PunchType, local: &str, state: LedgerState) -> OurPunch {
    OurPunch {
        punch_id: id.into(),
        punch_type,
        punched_at: at(local),
        state,
        employee_key: "k".into(),
    }
}

fn kot(code: &str, local: &str) -> KotPunch {
    KotPunch {
        time: at(local).fixed_offset(),
        code: code.into(),
        name: None,
    }
}

fn summary(is_error: bool, is_closing: bool) -> DailyWorkingSummary {
    DailyWorkingSummary {
        date: NaiveDate::from_ymd_opt(2024, 6, 3).unwrap(),
        employee_key: "k".into(),
        is_error,
        is_closing,
        is_help: None,
        workday_type_name: None,
        work_place_division_code: None,
        work_place_division_name: None,
        totals: DayTotals::default(),
        holidays_obtained: None,
        current_date_employee: None,
    }
}

fn judged(
    ours: &[OurPunch],
    kot: &[KotPunch],
    summary: Option<&DailyWorkingSummary>,
    now: &str,
) -> (Verdict, String, String) {
    let (verdict, text) = judge(DayFacts {
        ours,
        kot,
        summary,
        now: at(now),
    });
    (verdict, text.render(Lang::Ja), text.render(Lang::En))
}

const SENT: LedgerState = LedgerState::Sent;

#[test]
fn a_day_that_matches_is_ok() {
    let day = [
        ours("p1", PunchType::ClockIn, "2024-06-03T09:00:00", SENT),
        ours("p2", PunchType::ClockOut, "2024-06-03T18:00:00", SENT),
    ];
    let held = [
        kot("1", "2024-06-03T09:00:00"),
        kot("2", "2024-06-03T18:00:00"),
    ];
    let s = summary(false, false);
    let (verdict, ja, en) = judged(&day, &held, Some(&s), "2024-06-04T10:00:00");
    assert_eq!(verdict, Verdict::Ok);
    assert!(ja.contains("一致"), "{ja}");
    assert_eq!(en, "The punches match KING OF TIME (2).");
}

#[test]
fn a_day_with_punches_not_sent_yet_is_ok_and_says_so() {
    let day = [
        ours("p1", PunchType::ClockIn, "2024-06-03T09:00:00", SENT),
        ours(
            "p2",
            PunchType::ClockOut,
            "2024-06-03T18:00:00",
            LedgerState::Held,
        ),
    ];
    let held = [kot("1", "2024-06-03T09:00:00")];
    let (verdict, _, en) = judged(&day, &held, None, "2024-06-04T10:00:00");
    assert_eq!(verdict, Verdict::Ok);
    assert_eq!(
        en,
        "KING OF TIME holds every punch we sent (1); 1 punch(es) not sent yet (退勤 18:00): see each punch's state for why."
    );
}

#[test]
fn an_error_day_names_the_double_clock_in_from_cyzen() {
    let day = [
        ours("p1", PunchType::ClockIn, "2024-06-03T09:00:00", SENT),
        ours("p2", PunchType::ClockIn, "2024-06-03T13:00:00", SENT),
        ours("p3", PunchType::ClockOut, "2024-06-03T18:00:00", SENT),
    ];
    let held = [
        kot("1", "2024-06-03T09:00:00"),
        kot("1", "2024-06-03T13:00:00"),
        kot("2", "2024-06-03T18:00:00"),
    ];
    let s = summary(true, false);
    let (verdict, ja, en) = judged(&day, &held, Some(&s), "2024-06-04T10:00:00");
    assert_eq!(verdict, Verdict::KotErrorDay);
    assert!(ja.contains("エラー勤務") && ja.contains("2 回"), "{ja}");
    assert!(
        en.contains("2 × 出勤 from cyzen on this day (出勤 09:00, 出勤 13:00)"),
        "{en}"
    );
}

#[test]
fn an_error_day_names_a_clock_out_without_clock_in() {
    let day = [
        ours("p1", PunchType::ClockOut, "2024-06-03T08:00:00", SENT),
        ours("p2", PunchType::ClockIn, "2024-06-03T09:00:00", SENT),
        ours("p3", PunchType::ClockOut, "2024-06-03T18:00:00", SENT),
    ];
    let held = [
        kot("2", "2024-06-03T08:00:00"),
        kot("1", "2024-06-03T09:00:00"),
        kot("2", "2024-06-03T18:00:00"),
    ];
    let s = summary(true, false);
    let (verdict, _, en) = judged(&day, &held, Some(&s), "2024-06-04T10:00:00");
    assert_eq!(verdict, Verdict::KotErrorDay);
    assert!(en.contains("a 退勤 without a 出勤 (退勤 08:00)"), "{en}");
    // Two 出勤 in KING OF TIME, one of them a time recorder's.
    let held = [
        kot("1", "2024-06-03T08:30:00"),
        kot("1", "2024-06-03T09:00:00"),
        kot("2", "2024-06-03T18:00:00"),
    ];
    let (_, _, en) = judged(&day[1..], &held, Some(&s), "2024-06-04T10:00:00");
    assert!(en.contains("2 × 出勤 on this day (1 from cyzen)"), "{en}");
}

#[test]
fn a_sent_punch_gone_from_king_of_time_differs() {
    let day = [
        ours("p1", PunchType::ClockIn, "2024-06-03T09:00:00", SENT),
        ours("p2", PunchType::ClockOut, "2024-06-03T18:00:00", SENT),
    ];
    // An administrator removed the 退勤 and entered a 17:30 one.
    let held = [
        kot("1", "2024-06-03T09:00:00"),
        kot("2", "2024-06-03T17:30:00"),
    ];
    let (verdict, _, en) = judged(&day, &held, None, "2024-06-04T10:00:00");
    assert_eq!(verdict, Verdict::Differs);
    assert!(
        en.contains("no longer in KING OF TIME (退勤 18:00)"),
        "{en}"
    );
    // A time recorder's punch next to ours differs the other way.
    let held = [
        kot("1", "2024-06-03T09:00:00"),
        kot("2", "2024-06-03T18:00:00"),
        kot("3", "2024-06-03T12:00:00"),
    ];
    let (verdict, _, en) = judged(&day, &held, None, "2024-06-04T10:00:00");
    assert_eq!(verdict, Verdict::Differs);
    assert!(
        en.contains("did not come from cyzen (休憩開始 12:00)"),
        "{en}"
    );
}

#[test]
fn a_clock_in_without_clock_out_is_missed_after_the_shift_window() {
    let day = [ours("p1", PunchType::ClockIn, "2024-06-03T09:00:00", SENT)];
    let held = [kot("1", "2024-06-03T09:00:00")];
    let (verdict, _, en) = judged(&day, &held, None, "2024-06-03T20:00:00");
    assert_eq!(verdict, Verdict::Ok, "{en}");
    assert!(en.starts_with("At work"), "{en}");
    let (verdict, ja, en) = judged(&day, &held, None, "2024-06-04T10:00:00");
    assert_eq!(verdict, Verdict::MissingClockOut);
    assert!(ja.starts_with("打刻漏れ"), "{ja}");
    assert!(en.contains("after the 出勤 at 09:00"), "{en}");
}

#[test]
fn a_clock_out_without_any_clock_in_is_missed() {
    let day = [ours("p1", PunchType::ClockOut, "2024-06-03T18:00:00", SENT)];
    let held = [kot("2", "2024-06-03T18:00:00")];
    let (verdict, _, en) = judged(&day, &held, None, "2024-06-03T19:00:00");
    assert_eq!(verdict, Verdict::MissingClockIn);
    assert!(en.contains("The day's punches: 退勤 18:00."), "{en}");
    // A 出勤 KING OF TIME has from a time recorder is a 出勤 too (and differs).
    let held = [
        kot("1", "2024-06-03T08:00:00"),
        kot("2", "2024-06-03T18:00:00"),
    ];
    let (verdict, _, _) = judged(&day, &held, None, "2024-06-03T19:00:00");
    assert_eq!(verdict, Verdict::Differs);
}

#[test]
fn a_closed_day_says_what_it_means_for_unsent_punches() {
    let day = [
        ours("p1", PunchType::ClockIn, "2024-06-03T09:00:00", SENT),
        ours(
            "p2",
            PunchType::ClockOut,
            "2024-06-03T18:00:00",
            LedgerState::Held,
        ),
    ];
    let held = [kot("1", "2024-06-03T09:00:00")];
    let s = summary(false, true);
    let (verdict, _, en) = judged(&day, &held, Some(&s), "2024-06-04T10:00:00");
    assert_eq!(verdict, Verdict::Closed);
    assert!(
        en.contains("1 punch(es) not sent yet (退勤 18:00). KING OF TIME stores API punches"),
        "{en}"
    );
}

#[test]
fn stored_verdicts_read_back() {
    for verdict in Verdict::ALL {
        assert_eq!(Verdict::parse(verdict.as_str()), Some(verdict));
    }
    assert_eq!(Verdict::parse("OK"), None);
}

#[test]
fn a_day_of_203_clock_ins_names_ten_and_counts_the_rest() {
    let day: Vec<OurPunch> = (0..203)
        .map(|n| {
            let local = format!("2024-06-03T{:02}:{:02}:00", 6 + n / 60, n % 60);
            ours(&format!("p{n}"), PunchType::ClockIn, &local, SENT)
        })
        .collect();
    let held: Vec<KotPunch> = day
        .iter()
        .map(|p| KotPunch {
            time: p.punched_at.fixed_offset(),
            code: "1".into(),
            name: None,
        })
        .collect();
    let s = summary(true, false);
    let (verdict, ja, en) = judged(&day, &held, Some(&s), "2024-06-04T10:00:00");
    assert_eq!(verdict, Verdict::KotErrorDay);
    assert!(ja.contains("ほか 193 件"), "{ja}");
    assert!(en.contains("and 193 more"), "{en}");
    assert_eq!(ja.matches("出勤 ").count(), LISTED_PUNCHES, "{ja}");
    assert!(
        ja.chars().count() < 300 && en.chars().count() < 400,
        "{ja}\n{en}"
    );
}

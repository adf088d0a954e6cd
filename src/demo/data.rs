//! The demo's company: the manual's five users and 設定例 statuses, and a week of punches in the
//! manual's screenshot week (2024-06-03 to 06-07), with a double 出勤, a night shift, a status
//! that is not synced, and a clock-out recorded late (さかのぼり退勤).

use chrono::{DateTime, TimeZone, Utc};
use kintai_proto::common::v1::StatusKind;
use kintai_proto::settings::v1::{Status, UserInput};
use kintai_proto::syncer::v1::{Platform, PunchInput};

/// The cyzen company id of the demo.
pub const COMPANY_ID: &str = "cyzen-demo";

/// The instant the demo's clocks read at start: Friday 2024-06-07 21:00 JST, outside the
/// restricted hours and after the week's punches, in the same month.
pub fn demo_now() -> DateTime<Utc> {
    jst(2024, 6, 7, 21, 0)
}

fn jst(year: i32, month: u32, day: u32, hour: u32, minute: u32) -> DateTime<Utc> {
    kot_client::jst()
        .with_ymd_and_hms(year, month, day, hour, minute, 0)
        .single()
        .map(|t| t.with_timezone(&Utc))
        .unwrap_or_default()
}

pub fn users() -> Vec<UserInput> {
    [
        ("u1", "U000123", "市ヶ谷 市子"),
        ("u2", "U000124", "湊山 信輔"),
        ("u3", "U00528", "千住 五郎"),
        ("u4", "", "戸田 八郎"),
        ("u5", "", "用賀 百男"),
    ]
    .into_iter()
    .map(|(user_id, user_code, name)| UserInput {
        user_id: user_id.to_owned(),
        user_code: user_code.to_owned(),
        name: name.to_owned(),
    })
    .collect()
}

/// The users whose KING OF TIME連携 the admin switches on (一括設定): all but 用賀 百男.
pub const ENABLED_USERS: [&str; 4] = ["u1", "u2", "u3", "u4"];

pub fn statuses() -> Vec<Status> {
    [
        ("s1", "出勤", StatusKind::WorkStart),
        ("s2", "退勤", StatusKind::WorkEnd),
        ("s3", "休憩開始", StatusKind::Working),
        ("s4", "休憩終了", StatusKind::Working),
        ("s5", "作業開始", StatusKind::Working),
    ]
    .into_iter()
    .map(|(id, name, kind)| Status {
        status_id: id.to_owned(),
        name: name.to_owned(),
        kind: kind as i32,
        ..Status::default()
    })
    .collect()
}

/// One demo punch before it becomes a `PunchInput`.
struct Spec {
    user_id: &'static str,
    status: &'static str,
    day: u32,
    hour: u32,
    minute: u32,
    place: Option<(&'static str, f64, f64)>,
}

const CHOFU: (&str, f64, f64) = ("東京都調布市", 35.6518, 139.5407);
const KOKYO: (&str, f64, f64) = ("東京都千代田区皇居外苑", 35.6812, 139.7575);
const TSURUMAKI: (&str, f64, f64) = ("東京都世田谷区弦巻", 35.6366, 139.6470);
const MARUNOUCHI: (&str, f64, f64) = ("東京都千代田区丸の内三丁目", 35.6764, 139.7633);

fn spec(
    user_id: &'static str,
    status: &'static str,
    day: u32,
    hour: u32,
    minute: u32,
    place: Option<(&'static str, f64, f64)>,
) -> Spec {
    Spec {
        user_id,
        status,
        day,
        hour,
        minute,
        place,
    }
}

/// The week's punches as the app records them, in order; the late clock-out comes separately.
pub fn week() -> Vec<PunchInput> {
    let specs = vec![
        // 市ヶ谷 市子: the manual's screenshot rows.
        spec("u1", "s1", 3, 7, 51, Some(CHOFU)),
        spec("u1", "s3", 3, 12, 34, Some(TSURUMAKI)),
        spec("u1", "s4", 3, 13, 33, Some(TSURUMAKI)),
        spec("u1", "s2", 3, 19, 16, Some(KOKYO)),
        spec("u1", "s1", 4, 7, 52, Some(KOKYO)),
        spec("u1", "s5", 4, 9, 0, Some(KOKYO)),
        spec("u1", "s3", 4, 11, 23, Some(MARUNOUCHI)),
        spec("u1", "s4", 4, 13, 55, Some(KOKYO)),
        spec("u1", "s2", 4, 18, 45, Some(KOKYO)),
        spec("u1", "s1", 5, 7, 56, Some(KOKYO)),
        // A second 出勤 the same morning: both go to KING OF TIME (manual: 連携内容).
        spec("u1", "s1", 5, 8, 5, Some(KOKYO)),
        spec("u1", "s2", 5, 20, 11, Some(KOKYO)),
        // 湊山 信輔: a day shift, then a night shift from Wednesday 22:00 to Thursday 06:10.
        spec("u2", "s1", 3, 8, 58, None),
        spec("u2", "s2", 3, 17, 40, None),
        spec("u2", "s1", 5, 22, 0, Some(CHOFU)),
        spec("u2", "s3", 6, 2, 0, Some(CHOFU)),
        spec("u2", "s4", 6, 2, 45, Some(CHOFU)),
        spec("u2", "s2", 6, 6, 10, Some(CHOFU)),
        spec("u2", "s1", 7, 9, 2, Some(MARUNOUCHI)),
        // 千住 五郎 (code U00528 ≠ U000528) and 戸田 八郎 (no code): held, never sent.
        spec("u3", "s1", 4, 9, 0, None),
        spec("u3", "s2", 4, 18, 0, None),
        spec("u4", "s1", 6, 9, 30, None),
    ];
    specs
        .into_iter()
        .enumerate()
        .map(|(i, spec)| input(&format!("p{:03}", i + 1), spec))
        .collect()
}

/// 湊山 信輔's Friday clock-out, entered at 21:00 for 18:30 after the first sync.
pub fn late_clock_out() -> PunchInput {
    input("p900", spec("u2", "s2", 7, 18, 30, Some(MARUNOUCHI)))
}

/// 市ヶ谷 市子's Friday-evening 出勤, recorded after the admin switched her KING OF TIME連携 off.
pub fn after_switch_off() -> PunchInput {
    input("p901", spec("u1", "s1", 7, 20, 45, Some(KOKYO)))
}

/// 千住 五郎's user code as the admin fixes it (the FAQ's failure: U00528 for U000528).
pub fn fixed_user() -> UserInput {
    UserInput {
        user_id: "u3".to_owned(),
        user_code: "U000528".to_owned(),
        name: "千住 五郎".to_owned(),
    }
}

fn input(punch_id: &str, spec: Spec) -> PunchInput {
    let (status_name, status_kind) = statuses()
        .into_iter()
        .find(|status| status.status_id == spec.status)
        .map(|status| (status.name, status.kind))
        .unwrap_or_default();
    let instant = jst(2024, 6, spec.day, spec.hour, spec.minute);
    PunchInput {
        punch_id: punch_id.to_owned(),
        user_id: spec.user_id.to_owned(),
        status_id: spec.status.to_owned(),
        status_name,
        status_kind,
        punched_at: Some(prost_types::Timestamp {
            seconds: instant.timestamp(),
            nanos: 0,
        }),
        latitude: spec.place.map(|(_, lat, _)| lat),
        longitude: spec.place.map(|(_, _, lon)| lon),
        address: spec
            .place
            .map(|(address, _, _)| address.to_owned())
            .unwrap_or_default(),
        platform: if spec.user_id == "u2" {
            Platform::Ios
        } else {
            Platform::Android
        } as i32,
        app_version: "3.62.0".to_owned(),
    }
}

//! The demo's printed tables: the 連携状況 screen, the KING OF TIME timecard as the manual's
//! screenshot shows it, and what happened to every punch.

use std::collections::BTreeMap;

use chrono::{DateTime, Datelike, FixedOffset, NaiveDate, Utc};
use kintai_proto::matcher::v1::{Link, LinkState};
use kintai_proto::syncer::v1::{PunchInput, PunchRecord, PunchState};
use kot_sim::StoredPunch;

/// Columns padded by display width (full-width characters count two).
pub fn table(headers: &[&str], rows: &[Vec<String>]) -> String {
    let mut widths: Vec<usize> = headers.iter().map(|h| width(h)).collect();
    for row in rows {
        for (i, cell) in row.iter().enumerate() {
            widths[i] = widths[i].max(width(cell));
        }
    }
    let line = |cells: Vec<String>| {
        cells
            .iter()
            .enumerate()
            .map(|(i, cell)| format!("{cell}{}", " ".repeat(widths[i] - width(cell))))
            .collect::<Vec<_>>()
            .join("  ")
            .trim_end()
            .to_owned()
    };
    let mut out = vec![line(headers.iter().map(|h| (*h).to_owned()).collect())];
    out.push(
        widths
            .iter()
            .map(|w| "-".repeat(*w))
            .collect::<Vec<_>>()
            .join("  "),
    );
    out.extend(rows.iter().map(|row| line(row.clone())));
    out.join("\n")
}

fn width(text: &str) -> usize {
    text.chars()
        .map(|c| {
            if (c as u32) >= 0x1100 && !('\u{FF61}'..='\u{FF9F}').contains(&c) {
                2
            } else {
                1
            }
        })
        .sum()
}

fn jst_text(timestamp: Option<&prost_types::Timestamp>) -> String {
    timestamp
        .and_then(|t| DateTime::<Utc>::from_timestamp(t.seconds, 0))
        .map(|t| {
            t.with_timezone(&kot_client::jst())
                .format("%Y-%m-%d %H:%M:%S")
                .to_string()
        })
        .unwrap_or_default()
}

/// The 連携状況 table (ユーザーコード, ユーザー名, 連携状況, and for 無効 the reason and hint).
pub fn links(links: &[Link]) -> String {
    let rows: Vec<Vec<String>> = links
        .iter()
        .map(|link| {
            let status = if link.state() == LinkState::Active {
                format!(
                    "有効 アカウント同期: {}",
                    jst_text(link.account_synced_at.as_ref())
                )
            } else {
                "無効".to_owned()
            };
            let why = match (&link.reason_text, &link.hint) {
                (reason, Some(hint)) if !hint.text.is_empty() => {
                    format!("{reason} / ヒント: {}", hint.text)
                }
                (reason, _) => reason.clone(),
            };
            vec![link.user_code.clone(), link.user_name.clone(), status, why]
        })
        .collect();
    table(&["ユーザーコード", "ユーザー名", "連携状況", "理由"], &rows)
}

const WEEKDAYS: [&str; 7] = ["月", "火", "水", "木", "金", "土", "日"];

/// One row per working day and employee with 出勤 / 退勤 / 休憩開始 / 休憩終了, as KING OF TIME's
/// timecard shows it ("A 07:51 (東京都調布市)"), read from what the simulator stored.
pub fn timecard(
    stored: &[StoredPunch],
    names: &BTreeMap<String, String>,
    places: &BTreeMap<(String, i64), String>,
) -> String {
    let mut days: BTreeMap<(NaiveDate, String), [Vec<String>; 4]> = BTreeMap::new();
    let mut sorted: Vec<&StoredPunch> = stored.iter().collect();
    sorted.sort_by_key(|punch| punch.time);
    for punch in sorted {
        let column = match punch.code.as_deref().unwrap_or_default() {
            "1" => 0,
            "2" => 1,
            "3" => 2,
            "4" => 3,
            _ => continue,
        };
        let place = places
            .get(&(punch.employee_key.clone(), punch.time.timestamp()))
            .map(|address| format!(" ({address})"))
            .unwrap_or_default();
        let cell = format!("A {}{place}", hhmm(punch.time, punch.date));
        days.entry((punch.date, punch.employee_key.clone()))
            .or_default()[column]
            .push(cell);
    }
    let rows: Vec<Vec<String>> = days
        .into_iter()
        .map(|((date, key), cells)| {
            let weekday = WEEKDAYS[date.weekday().num_days_from_monday() as usize];
            let mut row = vec![
                format!("{} ({weekday})", date.format("%m/%d")),
                names
                    .get(&key)
                    .cloned()
                    .unwrap_or_else(|| key.chars().take(8).collect()),
            ];
            row.extend(cells.iter().map(|cell| cell.join(" / ")));
            row
        })
        .collect();
    table(
        &["日付", "従業員", "出勤", "退勤", "休憩開始", "休憩終了"],
        &rows,
    )
}

/// "HH:MM", or "翌HH:MM" for a time on the day after the working day (night shifts).
fn hhmm(time: DateTime<FixedOffset>, working_day: NaiveDate) -> String {
    let prefix = if time.date_naive() > working_day {
        "翌"
    } else {
        ""
    };
    format!("{prefix}{}", time.format("%H:%M"))
}

/// How many punches ended in each state, with the reasons.
pub fn summary(punches: &[PunchRecord]) -> String {
    let mut groups: BTreeMap<(i32, String), usize> = BTreeMap::new();
    for punch in punches {
        *groups
            .entry((punch.state, punch.reason.clone()))
            .or_default() += 1;
    }
    let rows: Vec<Vec<String>> = groups
        .into_iter()
        .map(|((state, reason), count)| {
            let label = match PunchState::try_from(state).unwrap_or_default() {
                PunchState::Sent => "sent 連携済み",
                PunchState::Held => "held 保留",
                PunchState::NotSynced => "not synced × 連携されません",
                PunchState::Pending => "pending 未送信",
                PunchState::InFlight => "in flight 送信中",
                PunchState::Failed => "failed 失敗",
                PunchState::Expired => "expired 対象外",
                PunchState::Unspecified => "?",
            };
            vec![label.to_owned(), count.to_string(), reason]
        })
        .collect();
    table(&["state", "punches", "why"], &rows)
}

/// The addresses cyzen recorded, by (employee key, instant), to show next to KING OF TIME's punches.
pub fn places(
    recorded: &[PunchInput],
    keys_by_user: &BTreeMap<String, String>,
) -> BTreeMap<(String, i64), String> {
    recorded
        .iter()
        .filter(|punch| !punch.address.is_empty())
        .filter_map(|punch| {
            let key = keys_by_user.get(&punch.user_id)?;
            Some((
                (key.clone(), punch.punched_at.as_ref()?.seconds),
                punch.address.clone(),
            ))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tables_align_full_width_text() {
        let text = table(
            &["コード", "名前"],
            &[vec!["U1".into(), "市ヶ谷 市子".into()]],
        );
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines[0], "コード  名前");
        assert_eq!(lines[2], "U1      市ヶ谷 市子");
    }
}

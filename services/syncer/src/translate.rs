//! Status → KING OF TIME punch type (manual: 連携内容; design.md, "Punch translation").
//!
//! The kind and name are those the status had when the punch was recorded, so renaming a status
//! later rewrites nothing.

use kintai_i18n::Text;
use kintai_proto::common::v1 as common;

use crate::convert;
use crate::model::{PunchType, StatusKind};

/// What a punch of this status becomes. The rule itself lives in `kintai_core::punch_type`,
/// shared with the settings service's status list, so the two can never disagree.
pub fn punch_type(kind: StatusKind, status_name: &str) -> PunchType {
    match kintai_core::punch_type::punch_type(convert::status_kind(kind), status_name) {
        common::PunchType::ClockIn => PunchType::ClockIn,
        common::PunchType::ClockOut => PunchType::ClockOut,
        common::PunchType::BreakStart => PunchType::BreakStart,
        common::PunchType::BreakEnd => PunchType::BreakEnd,
        common::PunchType::NotSynced | common::PunchType::Unspecified => PunchType::NotSynced,
    }
}

/// Why a punch is not synced, in the admin's terms (the status list's "× 連携されません").
pub fn not_synced_reason(kind: StatusKind, status_name: &str) -> Text {
    match kind {
        StatusKind::Working => Text::new("punch-not-synced-working").arg("status", status_name),
        other => Text::new("punch-not-synced-kind")
            .arg("status", status_name)
            .arg("kind", other.japanese_name()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_answer_of_the_shared_rule_arrives() {
        // The manual's whole table is tested where it lives (kintai_core::punch_type); here,
        // one case per answer, so that each arm of the mapping is seen.
        let cases = [
            (StatusKind::WorkStart, "直行", PunchType::ClockIn),
            (StatusKind::WorkEnd, "直帰", PunchType::ClockOut),
            (StatusKind::Working, "休憩開始", PunchType::BreakStart),
            (StatusKind::Working, "休憩終了", PunchType::BreakEnd),
            (StatusKind::Working, "作業開始", PunchType::NotSynced),
            (StatusKind::OffDuty, "休憩開始", PunchType::NotSynced),
        ];
        for (kind, name, expected) in cases {
            assert_eq!(punch_type(kind, name), expected, "{kind:?} {name}");
        }
    }

    #[test]
    fn codes_follow_kot_api() {
        let codes: Vec<_> = [
            PunchType::ClockIn,
            PunchType::ClockOut,
            PunchType::BreakStart,
            PunchType::BreakEnd,
        ]
        .iter()
        .map(|t| t.code().map(|c| c.as_str()))
        .collect();
        assert_eq!(codes, [Some("1"), Some("2"), Some("3"), Some("4")]);
        assert_eq!(PunchType::NotSynced.code(), None);
    }

    #[test]
    fn reasons_name_the_status() {
        let reason = not_synced_reason(StatusKind::Working, "作業開始");
        let reason = reason.render(kintai_i18n::Lang::Ja);
        assert!(reason.contains("作業開始") && reason.contains("連携されません"));
        let off_duty = not_synced_reason(StatusKind::OffDuty, "外出").render(kintai_i18n::Lang::En);
        assert!(off_duty.contains("勤務外") && off_duty.contains("does not receive"));
    }
}

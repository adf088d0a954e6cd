//! The manual's translation of a cyzen status into a KING OF TIME punch (連携内容), shared by
//! the settings service (status list) and the syncer (each punch, by the kind and name the status
//! had when the punch was recorded).

use kintai_proto::common::v1::{PunchType, StatusKind};

/// The status names that are synced as breaks when their kind is 勤務中.
pub const BREAK_START_NAME: &str = "休憩開始";
pub const BREAK_END_NAME: &str = "休憩終了";

/// What a punch of a status with this kind and name becomes in KING OF TIME.
pub fn punch_type(kind: StatusKind, name: &str) -> PunchType {
    match kind {
        StatusKind::WorkStart => PunchType::ClockIn,
        StatusKind::WorkEnd => PunchType::ClockOut,
        // The manual matches the names exactly; cyzen's own admin screen uses these strings.
        StatusKind::Working if name == BREAK_START_NAME => PunchType::BreakStart,
        StatusKind::Working if name == BREAK_END_NAME => PunchType::BreakEnd,
        StatusKind::Working | StatusKind::OffDuty | StatusKind::Unspecified => PunchType::NotSynced,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_manuals_table() {
        assert_eq!(
            punch_type(StatusKind::WorkStart, "出勤"),
            PunchType::ClockIn
        );
        assert_eq!(
            punch_type(StatusKind::WorkStart, "直行"),
            PunchType::ClockIn
        );
        assert_eq!(punch_type(StatusKind::WorkEnd, "退勤"), PunchType::ClockOut);
        assert_eq!(
            punch_type(StatusKind::Working, "休憩開始"),
            PunchType::BreakStart
        );
        assert_eq!(
            punch_type(StatusKind::Working, "休憩終了"),
            PunchType::BreakEnd
        );
        assert_eq!(
            punch_type(StatusKind::Working, "作業開始"),
            PunchType::NotSynced
        );
        assert_eq!(
            punch_type(StatusKind::OffDuty, "休憩開始"),
            PunchType::NotSynced
        );
    }
}

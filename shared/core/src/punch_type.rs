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
        StatusKind::Working => match comparable_name(name).as_str() {
            BREAK_START_NAME => PunchType::BreakStart,
            BREAK_END_NAME => PunchType::BreakEnd,
            _ => PunchType::NotSynced,
        },
        StatusKind::OffDuty | StatusKind::Unspecified => PunchType::NotSynced,
    }
}

/// A status name as the manual's rule compares it: NFKC, then without surrounding white space.
///
/// The manual names the statuses 休憩開始 and 休憩終了 and means the words, not the bytes: a
/// name an administrator typed with a trailing full-width space (`休憩開始　`), or with
/// half-width kana from another input method, reads as 休憩開始 on every screen, and silently
/// not syncing its breaks would surprise them far more than syncing them. So the comparison
/// forgives exactly what cannot be seen or is the same character in another width; it never
/// guesses beyond that (休憩 or 休憩開始1 stay unsynced, and the status list says so). The
/// punch keeps the name as recorded (design.md: the punch carries the kind and name it had), and
/// the status list and the syncer both use this one rule, so they never disagree.
pub fn comparable_name(name: &str) -> String {
    use unicode_normalization::UnicodeNormalization as _;
    let normalized: String = name.nfkc().collect();
    normalized.trim().to_owned()
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

    #[test]
    fn names_compare_after_nfkc_and_trim() {
        for name in ["休憩開始　", " 休憩開始", "\t休憩開始\u{3000}\u{3000}"] {
            assert_eq!(
                punch_type(StatusKind::Working, name),
                PunchType::BreakStart,
                "{name:?}"
            );
        }
        assert_eq!(
            punch_type(StatusKind::Working, "休憩終了 "),
            PunchType::BreakEnd
        );
        for name in ["休憩", "休憩開始1", "休 憩開始", "休憩開始前"] {
            assert_eq!(
                punch_type(StatusKind::Working, name),
                PunchType::NotSynced,
                "{name:?}"
            );
        }
        assert_eq!(comparable_name("ｷｭｳｹｲ "), "キュウケイ");
    }
}

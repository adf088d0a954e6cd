//! The texts of the product's enum codes, for every service that shows them: the matcher's
//! 連携状況 reasons and hints (which the syncer quotes in its hold reasons) and the status
//! list's punch labels. The codes themselves are never translated; these are their words.

use kintai_proto::common::v1::PunchType;
use kintai_proto::matcher::v1::{HintKind, InactiveReason, LinkState};

use crate::Text;

/// 有効 / 無効.
pub fn link_state(state: LinkState) -> Option<Text> {
    match state {
        LinkState::Active => Some(Text::new("link-state-active")),
        LinkState::Inactive => Some(Text::new("link-state-inactive")),
        LinkState::Unspecified => None,
    }
}

/// Why a user is 無効: `code` is the user's code now, `matched` the code the link was matched on.
pub fn inactive_reason(reason: InactiveReason, code: &str, matched: &str) -> Option<Text> {
    let id = match reason {
        InactiveReason::Unspecified => return None,
        InactiveReason::NoUserCode => "inactive-reason-no-user-code",
        InactiveReason::NoEmployee => "inactive-reason-no-employee",
        InactiveReason::EmployeeResigned => "inactive-reason-employee-resigned",
        InactiveReason::DuplicateUserCode => "inactive-reason-duplicate-user-code",
        InactiveReason::IntegrationDisabled => "inactive-reason-integration-disabled",
        InactiveReason::TokenRejected => "inactive-reason-token-rejected",
        InactiveReason::NotMatchedYet => "inactive-reason-not-matched-yet",
        InactiveReason::NoToken => "inactive-reason-no-token",
        InactiveReason::TokenUnreadable => "inactive-reason-token-unreadable",
        InactiveReason::TokenKeyMismatch => "inactive-reason-token-key-mismatch",
        InactiveReason::CodeChanged => "inactive-reason-code-changed",
    };
    Some(Text::new(id).arg("code", code).arg("matched", matched))
}

/// What to type instead of `code`, for a near miss of the employee `employee_code`.
pub fn hint(kind: HintKind, code: &str, employee_code: &str, employee_name: &str) -> Option<Text> {
    let id = match kind {
        HintKind::Unspecified => return None,
        HintKind::ZeroPadding => "hint-zero-padding",
        HintKind::FullWidth => "hint-full-width",
        HintKind::LetterCase => "hint-letter-case",
        HintKind::Whitespace => "hint-whitespace",
        HintKind::LoginId => "hint-login-id",
    };
    Some(
        Text::new(id)
            .arg("code", code)
            .arg("employee_code", employee_code)
            .arg("employee_name", employee_name),
    )
}

/// The status list's label (the manual's 設定例: "出勤 連携", "× 連携されません").
pub fn mapping_label(punch_type: PunchType) -> Text {
    Text::new(match punch_type {
        PunchType::ClockIn => "mapping-clock-in",
        PunchType::ClockOut => "mapping-clock-out",
        PunchType::BreakStart => "mapping-break-start",
        PunchType::BreakEnd => "mapping-break-end",
        PunchType::NotSynced | PunchType::Unspecified => "mapping-not-synced",
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Lang, message_ids};

    /// Every value of a prost enum, by its numbers (they are small and dense).
    fn all<E: TryFrom<i32>>() -> Vec<E> {
        (0..64).filter_map(|n| E::try_from(n).ok()).collect()
    }

    fn assert_known(text: &Text) {
        assert!(
            message_ids().contains(&text.id),
            "{} has no message",
            text.id
        );
        for lang in Lang::ALL {
            let shown = text.render(lang);
            assert!(!shown.trim().is_empty(), "{} is empty in {lang:?}", text.id);
            assert!(
                !shown.contains('{'),
                "{} left a placeholder: {shown}",
                text.id
            );
        }
    }

    #[test]
    fn every_code_has_its_text_in_both_languages() {
        let reasons = all::<InactiveReason>();
        assert!(reasons.len() >= 11, "{reasons:?}");
        for reason in reasons {
            match inactive_reason(reason, "U00528", "U00527") {
                Some(text) => assert_known(&text),
                None => assert_eq!(reason, InactiveReason::Unspecified),
            }
        }
        for kind in all::<HintKind>() {
            match hint(kind, "U00528", "U000528", "千住 五郎") {
                Some(text) => assert_known(&text),
                None => assert_eq!(kind, HintKind::Unspecified),
            }
        }
        for state in all::<LinkState>() {
            if let Some(text) = link_state(state) {
                assert_known(&text);
            }
        }
        for punch_type in all::<PunchType>() {
            assert_known(&mapping_label(punch_type));
        }
    }

    #[test]
    fn the_texts_carry_their_codes() {
        let text = inactive_reason(InactiveReason::CodeChanged, "U000528", "U00528").unwrap();
        assert_eq!(
            text.render(Lang::Ja),
            "ユーザーコードが変更されました（「U00528」→「U000528」）。以前の連携は使用しません。アカウント同期（1分以内）をお待ちください。"
        );
        assert!(
            text.render(Lang::En)
                .starts_with("The user code changed (\"U00528\" → \"U000528\")")
        );
        let text = hint(HintKind::ZeroPadding, "U00528", "U000528", "千住 五郎").unwrap();
        assert!(
            text.render(Lang::Ja)
                .contains("ユーザーコード「U00528」を「U000528」に変更してください")
        );
        assert_eq!(
            mapping_label(PunchType::ClockIn).render(Lang::Ja),
            "出勤 連携"
        );
        assert_eq!(
            mapping_label(PunchType::NotSynced).render(Lang::Ja),
            "× 連携されません"
        );
    }
}

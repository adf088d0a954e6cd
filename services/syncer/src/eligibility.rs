//! Who is synced (design.md, "Who is synced"; manual: 連携を停止する, 対象ユーザーの指定), decided
//! at send time from settings' current state — the company's switch and token, each user's
//! KING OF TIME連携 flag and current user code — and the matcher's link, which is used only while
//! the user code it was matched on is the user's code now.

use std::collections::HashMap;

use crate::ports::{DirectoryUser, UserLink};

/// Why a punch is held: a short code for metrics, and the text the ledger and the admins see.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HoldReason {
    /// One of `company_not_ready`, `user_deleted`, `link_off`, `user_not_listed`,
    /// `code_changed`, `not_linked`, `earlier_month`.
    pub code: &'static str,
    pub text: String,
}

impl HoldReason {
    pub(crate) fn new(code: &'static str, text: impl Into<String>) -> Self {
        Self {
            code,
            text: text.into(),
        }
    }

    /// Whether the hold ends by itself once the matcher has run (a new user, a code fix).
    pub fn waits_for_match(&self) -> bool {
        matches!(
            self.code,
            "user_not_listed" | "code_changed" | "waiting_match"
        )
    }
}

/// Everything a run knows about who may be synced.
#[derive(Debug, Clone, Copy)]
pub struct Directory<'a> {
    /// The company's readiness: why not, when it has no usable token or is switched off.
    pub company: Result<(), &'a str>,
    /// Settings' users by id.
    pub users: &'a HashMap<String, DirectoryUser>,
    /// The matcher's links by user id.
    pub links: &'a HashMap<String, UserLink>,
}

impl Directory<'_> {
    /// The employee key a user's punches are sent to, or why they are held.
    pub fn user(&self, user_id: &str) -> Result<String, HoldReason> {
        self.company.map_err(|reason| {
            HoldReason::new(
                "company_not_ready",
                format!("the company cannot be synced: {reason}"),
            )
        })?;
        let user = self.users.get(user_id).ok_or_else(|| {
            HoldReason::new(
                "user_deleted",
                "the user is not in cyzen's user directory (deleted); nothing of theirs is sent",
            )
        })?;
        if !user.kot_link_enabled {
            return Err(HoldReason::new(
                "link_off",
                "KING OF TIME連携 is 無効 for this user",
            ));
        }
        let link = self.links.get(user_id).ok_or_else(|| {
            HoldReason::new(
                "user_not_listed",
                "the matcher has not listed this user yet (連携状況 unknown); waiting for the next アカウント同期",
            )
        })?;
        if link.matched_user_code != user.user_code {
            return Err(HoldReason::new(
                "code_changed",
                format!(
                    "ユーザーコードが変更されました ({:?} → {:?}): waiting for アカウント同期; the old link is not used",
                    link.matched_user_code, user.user_code
                ),
            ));
        }
        if !link.active || link.employee_key.is_empty() {
            let why = if link.reason.is_empty() {
                "not linked to a KING OF TIME employee".to_owned()
            } else {
                link.reason.clone()
            };
            let code = if link.waiting_for_match {
                "waiting_match"
            } else {
                "not_linked"
            };
            return Err(HoldReason::new(code, format!("連携状況 is 無効: {why}")));
        }
        Ok(link.employee_key.clone())
    }
}

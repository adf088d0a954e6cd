//! Who is synced (design.md, "Who is synced"; manual: 連携を停止する, 対象ユーザーの指定), decided
//! at send time from settings' current state — the company's switch and token, each user's
//! KING OF TIME連携 flag and current user code — and the matcher's link, which is used only while
//! the user code it was matched on is the user's code now.

use std::collections::HashMap;

use kintai_i18n::{Text, codes};
use kintai_proto::matcher::v1::InactiveReason;

use crate::ports::{DirectoryUser, UserLink};

/// Why a punch is held: a short code for metrics, and the text the ledger and the admins see.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HoldReason {
    /// One of `company_not_ready`, `user_deleted`, `link_off`, `user_not_listed`,
    /// `code_changed`, `not_linked`, `earlier_month`; `day_closed`, `not_employed`
    /// (crate::preflight).
    pub code: &'static str,
    pub text: Text,
}

impl HoldReason {
    pub(crate) fn new(code: &'static str, text: Text) -> Self {
        Self { code, text }
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
    pub company: Result<(), &'a Text>,
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
                Text::new("company-not-ready").text_arg("reason", reason.clone()),
            )
        })?;
        let user = self
            .users
            .get(user_id)
            .ok_or_else(|| HoldReason::new("user_deleted", Text::new("hold-user-deleted")))?;
        if !user.kot_link_enabled {
            return Err(HoldReason::new("link_off", Text::new("hold-link-off")));
        }
        let link = self
            .links
            .get(user_id)
            .ok_or_else(|| HoldReason::new("user_not_listed", Text::new("hold-user-not-listed")))?;
        if link.matched_user_code != user.user_code {
            let text = codes::inactive_reason(
                InactiveReason::CodeChanged,
                &user.user_code,
                &link.matched_user_code,
            );
            return Err(HoldReason::new(
                "code_changed",
                text.unwrap_or_else(|| Text::new("hold-no-employee")),
            ));
        }
        if !link.active || link.employee_key.is_empty() {
            let why = link
                .reason
                .clone()
                .unwrap_or_else(|| Text::new("hold-no-employee"));
            let code = if link.waiting_for_match {
                "waiting_match"
            } else {
                "not_linked"
            };
            return Err(HoldReason::new(
                code,
                Text::new("hold-not-linked").text_arg("reason", why),
            ));
        }
        Ok(link.employee_key.clone())
    }
}

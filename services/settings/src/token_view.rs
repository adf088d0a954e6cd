//! A stored token's state as callers are told it: what KING OF TIME last said about it, and
//! whether this server's keys still open it. A token sealed with a key that is gone is not
//! "valid": nothing can be matched or synced with it, and the administrator must be told.

use kintai_core::telemetry::metrics::record_token_unreadable;
use kintai_i18n::Text;
use kintai_proto::settings::v1::{
    TokenRejection as ProtoRejection, TokenState, TokenUnreadableCause,
};

use crate::companies::{Company, Rejection, StoredToken, TokenHealth};
use crate::crypto::{CryptoError, KeyRing};

/// The state and, for a token that cannot be used, what to do about it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenView {
    pub state: TokenState,
    pub detail: Option<Text>,
    /// For an unreadable token: a missing key or the wrong one.
    pub unreadable_cause: TokenUnreadableCause,
}

/// The view of a company's token. Records the unreadable gauge on the way: every caller that
/// looks (GetIntegration, ListCompanies, every run's GetCredentials) keeps it current.
pub fn token_view(keys: &KeyRing, company: &Company) -> TokenView {
    let Some(stored) = &company.token else {
        return TokenView {
            state: TokenState::None,
            detail: None,
            unreadable_cause: TokenUnreadableCause::Unspecified,
        };
    };
    let readable = readable(keys, &company.company_id, stored);
    if stored.health == TokenHealth::Rejected {
        // Restoring a key would not help a token KING OF TIME refuses: say what would.
        return TokenView {
            state: TokenState::Rejected,
            detail: Some(rejected_detail(stored.rejection)),
            unreadable_cause: TokenUnreadableCause::Unspecified,
        };
    }
    match readable {
        Ok(()) => TokenView {
            state: TokenState::Valid,
            detail: None,
            unreadable_cause: TokenUnreadableCause::Unspecified,
        },
        Err(error) => TokenView {
            state: TokenState::Unreadable,
            detail: Some(unreadable_detail(&error, &stored.sealed.key_id)),
            unreadable_cause: unreadable_cause(&error),
        },
    }
}

/// Whether the keys open the stored token; the gauge follows the answer.
pub fn readable(keys: &KeyRing, company_id: &str, stored: &StoredToken) -> Result<(), CryptoError> {
    let opened = keys.open(company_id, &stored.sealed).map(drop);
    record_token_unreadable(company_id, opened.is_err());
    opened
}

/// What to do about a token this server's keys do not open: the key is missing (restore it), or
/// a key of that id is there but is not the one that sealed it (put the right one back under
/// that id). Whole texts in each language, naming the key id.
pub fn unreadable_detail(error: &CryptoError, key_id: &str) -> Text {
    let id = match unreadable_cause(error) {
        TokenUnreadableCause::KeyMissing => "token-unreadable-key-missing",
        _ => "token-unreadable-key-mismatch",
    };
    Text::new(id).arg("key_id", key_id)
}

/// Which of the two problems `error` is, for programs (TokenStatus.unreadable_cause). Opening a
/// stored token fails only for a missing key or one that does not open it; the key-list errors
/// of the other variants never arise there.
pub fn unreadable_cause(error: &CryptoError) -> TokenUnreadableCause {
    match error {
        CryptoError::UnknownKey(_) => TokenUnreadableCause::KeyMissing,
        CryptoError::Undecryptable(_)
        | CryptoError::NoKeys
        | CryptoError::BadKey { .. }
        | CryptoError::DuplicateId(_) => TokenUnreadableCause::KeyMismatch,
    }
}

fn rejected_detail(rejection: Rejection) -> Text {
    Text::new(match rejection {
        Rejection::AuthenticationFailed => "token-rejected-authentication",
        Rejection::Unspecified => "token-rejected",
    })
}

pub fn proto_rejection(rejection: Rejection) -> ProtoRejection {
    match rejection {
        Rejection::Unspecified => ProtoRejection::Unspecified,
        Rejection::AuthenticationFailed => ProtoRejection::AuthenticationFailed,
    }
}

/// A reported rejection code; one this build does not know reads as unspecified, so that a
/// newer caller's report is still recorded.
pub fn rejection_from_proto(code: i32) -> Rejection {
    match ProtoRejection::try_from(code) {
        Ok(ProtoRejection::AuthenticationFailed) => Rejection::AuthenticationFailed,
        Ok(ProtoRejection::Unspecified) | Err(_) => Rejection::Unspecified,
    }
}

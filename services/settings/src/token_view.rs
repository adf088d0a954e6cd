//! A stored token's state as callers are told it: what KING OF TIME last said about it, and
//! whether this server's keys still open it. A token sealed with a key that is gone is not
//! "valid": nothing can be matched or synced with it, and the administrator must be told.

use kintai_core::telemetry::metrics::record_token_unreadable;
use kintai_i18n::Text;
use kintai_proto::settings::v1::{TokenRejection as ProtoRejection, TokenState};

use crate::companies::{Company, Rejection, StoredToken, TokenHealth};
use crate::crypto::{CryptoError, KeyRing};

/// The state and, for a token that cannot be used, what to do about it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenView {
    pub state: TokenState,
    pub detail: Option<Text>,
}

/// The view of a company's token. Records the unreadable gauge on the way: every caller that
/// looks (GetIntegration, ListCompanies, every run's GetCredentials) keeps it current.
pub fn token_view(keys: &KeyRing, company: &Company) -> TokenView {
    let Some(stored) = &company.token else {
        return TokenView {
            state: TokenState::None,
            detail: None,
        };
    };
    let readable = readable(keys, &company.company_id, stored);
    if stored.health == TokenHealth::Rejected {
        // Restoring a key would not help a token KING OF TIME refuses: say what would.
        return TokenView {
            state: TokenState::Rejected,
            detail: Some(rejected_detail(stored.rejection)),
        };
    }
    match readable {
        Ok(()) => TokenView {
            state: TokenState::Valid,
            detail: None,
        },
        Err(error) => TokenView {
            state: TokenState::Unreadable,
            detail: Some(unreadable_detail(&error)),
        },
    }
}

/// Whether the keys open the stored token; the gauge follows the answer.
pub fn readable(keys: &KeyRing, company_id: &str, stored: &StoredToken) -> Result<(), CryptoError> {
    let opened = keys.open(company_id, &stored.sealed).map(drop);
    record_token_unreadable(company_id, opened.is_err());
    opened
}

/// What to do about a token sealed with a key this server does not have (or cannot use).
pub fn unreadable_detail(error: &CryptoError) -> Text {
    Text::new("token-unreadable").arg("error", error)
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

//! The settings service's errors and the one place that decides their gRPC codes, messages and
//! details (the handlers' `*_impl` methods return [`SettingsError`]; `?` works on storage
//! failures with [`SettingsError::db`] and on `kintai_core::validate`'s statuses).

use std::collections::HashMap;

use kintai_core::DbError;
use kintai_i18n::{Lang, Text};
use tonic::{Code, Status};
use tonic_types::{ErrorDetails, StatusExt};

/// google.rpc.ErrorInfo domain of this service's machine-readable reasons.
const DOMAIN: &str = "settings.kintai-link";

#[derive(Debug, thiserror::Error)]
pub enum SettingsError {
    /// A storage failure; `what` names the operation in the log, never to the caller.
    #[error("{what}: {source}")]
    Db {
        what: &'static str,
        #[source]
        source: DbError,
    },
    /// Input the caller must fix: the INVALID_ARGUMENT / RESOURCE_EXHAUSTED status with its
    /// google.rpc.BadRequest that `kintai_core::validate` built, passed on as it is.
    #[error("invalid request: {}", .0.message())]
    Invalid(Status),
    /// A refusal a program reads: `code` with a machine-readable `reason` (google.rpc.ErrorInfo)
    /// callers can branch on, and an English message.
    #[error("{reason}: {message}")]
    Refused {
        code: Code,
        reason: &'static str,
        message: String,
    },
    /// A refusal an administrator reads: as [`Self::Refused`], the message in English for
    /// engineers and the same text in the caller's language as google.rpc.LocalizedMessage.
    #[error("{reason}")]
    RefusedForAdmin {
        code: Code,
        reason: &'static str,
        text: Text,
        lang: Lang,
    },
}

impl SettingsError {
    /// For `map_err`: a storage failure of the operation `what`.
    pub(crate) fn db(what: &'static str) -> impl FnOnce(DbError) -> Self {
        move |source| Self::Db { what, source }
    }

    pub(crate) fn refused(code: Code, reason: &'static str, message: impl Into<String>) -> Self {
        Self::Refused {
            code,
            reason,
            message: message.into(),
        }
    }
}

/// Validation statuses from `kintai_core::validate` (`Violations::check`, `into_status`,
/// `batch_too_large`): the only statuses this service builds outside this file.
impl From<Status> for SettingsError {
    fn from(status: Status) -> Self {
        Self::Invalid(status)
    }
}

impl From<SettingsError> for Status {
    fn from(error: SettingsError) -> Self {
        match error {
            // Logs the operation and cause; the caller gets a generic message.
            SettingsError::Db { what, source } => kintai_core::grpc_error::db_status(what, source),
            SettingsError::Invalid(status) => status,
            SettingsError::Refused {
                code,
                reason,
                message,
            } => Status::with_error_details(code, message, error_info(reason)),
            SettingsError::RefusedForAdmin {
                code,
                reason,
                text,
                lang,
            } => {
                let mut details = error_info(reason);
                details.set_localized_message(lang.tag(), text.render(lang));
                Status::with_error_details(code, text.render(Lang::En), details)
            }
        }
    }
}

fn error_info(reason: &str) -> ErrorDetails {
    ErrorDetails::with_error_info(reason, DOMAIN, HashMap::new())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn error_info(status: &Status) -> (String, String) {
        let info = status.get_error_details().error_info().cloned();
        info.map(|i| (i.reason, i.domain)).unwrap_or_default()
    }

    #[test]
    fn refusals_carry_their_code_reason_and_domain() {
        let status = Status::from(SettingsError::refused(
            Code::FailedPrecondition,
            "NO_TOKEN",
            "company c1: no KING OF TIME token is registered",
        ));
        assert_eq!(status.code(), Code::FailedPrecondition);
        assert_eq!(
            status.message(),
            "company c1: no KING OF TIME token is registered"
        );
        assert_eq!(error_info(&status), ("NO_TOKEN".into(), DOMAIN.into()));
        assert!(status.get_error_details().localized_message().is_none());
    }

    #[test]
    fn admin_refusals_are_english_with_the_callers_language_as_localized_message() {
        let text = Text::new("register-token-not-available");
        let status = Status::from(SettingsError::RefusedForAdmin {
            code: Code::FailedPrecondition,
            reason: "TOKEN_NOT_AVAILABLE",
            text: text.clone(),
            lang: Lang::Ja,
        });
        assert_eq!(status.code(), Code::FailedPrecondition);
        assert_eq!(status.message(), text.render(Lang::En));
        assert_eq!(
            error_info(&status),
            ("TOKEN_NOT_AVAILABLE".into(), DOMAIN.into())
        );
        let localized = status.get_error_details().localized_message().cloned();
        let localized = localized.expect("a localized message");
        assert_eq!(localized.locale, Lang::Ja.tag());
        assert_eq!(localized.message, text.render(Lang::Ja));
        assert_ne!(localized.message, status.message());
    }

    #[test]
    fn validation_statuses_pass_through_as_built() {
        let built = Status::invalid_argument("the request is invalid: company_id is required");
        let status = Status::from(SettingsError::from(built.clone()));
        assert_eq!(status.code(), built.code());
        assert_eq!(status.message(), built.message());
    }
}

//! Turning transport failures and answer bodies into [`KotError`]s.

use serde::de::DeserializeOwned;

use crate::error::{ErrorBody, KotError, redact};

pub(crate) fn decode<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, KotError> {
    serde_json::from_slice(bytes).map_err(|e| {
        error_in_success(bytes).unwrap_or_else(|| KotError::InvalidResponse {
            reason: e.to_string(),
        })
    })
}

/// A 2xx whose body is not the expected shape but one of KING OF TIME's error shapes (code
/// 303 is documented to come with any status). Only consulted after the expected shape failed
/// to parse, so an employee whose code is "303" is never mistaken for an error.
pub(crate) fn error_in_success(bytes: &[u8]) -> Option<KotError> {
    ErrorBody::parse(bytes)?.code?;
    Some(KotError::from_response(200, bytes, ""))
}

/// Nothing-sent versus maybe-processed: only a failure to connect proves the server never saw
/// the request. Timeouts, resets and closed connections after connecting are ambiguous.
pub(crate) fn transport_error(error: &reqwest::Error, secret: &str) -> KotError {
    let reason = describe(error, secret);
    if error.is_connect() || error.is_builder() {
        KotError::NotSent { reason }
    } else {
        KotError::OutcomeUnknown { reason }
    }
}

/// The error and its causes, without the URL (which may contain the token) and with the token
/// removed from the text in any case.
pub(crate) fn describe(error: &reqwest::Error, secret: &str) -> String {
    let mut text = String::new();
    let mut kind = Vec::new();
    if error.is_timeout() {
        kind.push("timeout");
    }
    if error.is_connect() {
        kind.push("connect");
    }
    if !kind.is_empty() {
        text.push_str(&kind.join("+"));
        text.push_str(": ");
    }
    let mut current: Option<&dyn std::error::Error> = std::error::Error::source(error);
    text.push_str("error sending request");
    while let Some(cause) = current {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        current = cause.source();
    }
    redact(&text, secret)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unexpected_success_bodies_are_invalid_responses() {
        let err = decode::<Vec<u8>>(b"<html>maintenance</html>").unwrap_err();
        assert!(matches!(err, KotError::InvalidResponse { .. }), "{err:?}");
        let err =
            decode::<Vec<u8>>(br#"{"code":"303","message":"Too Many Requests"}"#).unwrap_err();
        assert!(matches!(err, KotError::RateLimited { .. }), "{err:?}");
    }

    #[test]
    fn employee_named_303_is_not_an_error() {
        #[derive(serde::Deserialize)]
        struct Employee {
            code: String,
        }
        let employee: Employee = decode(br#"{"code":"303","message":"x"}"#).unwrap();
        assert_eq!(employee.code, "303");
    }
}

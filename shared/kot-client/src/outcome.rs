//! What the answer to `POST /daily-workings/timerecord/{employeeKey}` says about the punch.
//!
//! KING OF TIME has no idempotency, so the one question that matters is whether the punch may
//! have been stored \[ours, kot-api.md "What an error answer says about a POST"\]:
//!
//! - **201** with the documented body: stored.
//! - **A 4xx carrying a KING OF TIME error body** (either documented shape, with a code of the
//!   documented type): KING OF TIME refused it in its own words before acting. 400 and other
//!   4xx → [`KotError::Rejected`], 404 → [`KotError::NotFound`], 403/100 →
//!   [`KotError::AuthenticationFailed`], 403/104 → [`KotError::RestrictedHours`], code 303 or a
//!   429 → [`KotError::RateLimited`].
//! - **Everything else** is [`KotError::OutcomeUnknown`]: any 5xx whatever its body (KING OF
//!   TIME's own `500 {"code":300}`, a 503 carrying 303, a load balancer's 502/503/504 page or
//!   an empty answer), a 4xx without a KING OF TIME body (a proxy's HTML 403, a bare 429), a
//!   1xx or 3xx, a 2xx other than 201, and a 201 whose body is unreadable or is an error body.
//!   A gateway may have timed out while KING OF TIME stored the punch behind it.

use crate::error::{
    CODE_AUTHENTICATION_FAILED, CODE_RATE_LIMITED, CODE_RESTRICTED_HOURS, ErrorBody, KotError,
    redact,
};
use crate::types::TimeRecordResponse;

/// Classifies one HTTP answer to a punch POST. `secret` is removed from every text.
pub(crate) fn punch_outcome(
    status: u16,
    body: &[u8],
    secret: &str,
) -> Result<TimeRecordResponse, KotError> {
    if status == 201 {
        return serde_json::from_slice(body).map_err(|error| {
            let reason = match ErrorBody::parse(body).filter(|e| e.code.is_some()) {
                Some(error) => format!("HTTP 201 carrying {}", kot_error(&error)),
                None => format!("HTTP 201 with an unreadable punch answer: {error}"),
            };
            unknown(&reason, secret)
        });
    }
    if (400..500).contains(&status)
        && let Some(error) = ErrorBody::parse_documented(body)
    {
        return Err(refusal(status, error, secret));
    }
    Err(unknown(&describe(status, body), secret))
}

/// A refusal in KING OF TIME's own words.
fn refusal(status: u16, error: ErrorBody, secret: &str) -> KotError {
    let code = error.code;
    let message = if error.message.is_empty() {
        format!(
            "HTTP {status} with KING OF TIME error {}",
            code.unwrap_or(0)
        )
    } else {
        redact(&error.message, secret)
    };
    match (status, code) {
        (_, Some(CODE_RATE_LIMITED)) | (429, _) => KotError::RateLimited { message },
        (403, Some(CODE_AUTHENTICATION_FAILED)) => KotError::AuthenticationFailed { message },
        (403, Some(CODE_RESTRICTED_HOURS)) => KotError::RestrictedHours { message },
        (404, _) => KotError::NotFound { message },
        _ => KotError::Rejected {
            status,
            code,
            message,
        },
    }
}

/// What came, in a few words: the status and what kind of body carried it.
fn describe(status: u16, body: &[u8]) -> String {
    let what = match status {
        200..=299 => format!("HTTP {status} instead of 201"),
        300..=399 => format!("HTTP {status} (a redirect, not followed)"),
        _ => format!("HTTP {status}"),
    };
    if let Some(error) = ErrorBody::parse_documented(body) {
        return format!("{what} with {}", kot_error(&error));
    }
    let shape = if body.iter().all(u8::is_ascii_whitespace) {
        "empty body".to_owned()
    } else if looks_like_html(body) {
        format!("HTML page, {} bytes", body.len())
    } else {
        format!("{} bytes", body.len())
    };
    format!("{what} without a KING OF TIME error body ({shape})")
}

fn kot_error(error: &ErrorBody) -> String {
    let code = error.code.unwrap_or(0);
    if error.message.is_empty() {
        format!("KING OF TIME error {code}")
    } else {
        format!("KING OF TIME error {code} ({})", error.message)
    }
}

fn looks_like_html(body: &[u8]) -> bool {
    let start: Vec<u8> = body
        .iter()
        .skip_while(|b| b.is_ascii_whitespace())
        .take(15)
        .map(u8::to_ascii_lowercase)
        .collect();
    start.starts_with(b"<!doctype html") || start.starts_with(b"<html")
}

fn unknown(reason: &str, secret: &str) -> KotError {
    KotError::OutcomeUnknown {
        reason: redact(reason, secret),
    }
}

#[cfg(test)]
#[path = "outcome_tests.rs"]
mod tests;

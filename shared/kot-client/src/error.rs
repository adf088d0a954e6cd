//! Typed errors: what went wrong, in terms the matcher and syncer can act on.
//!
//! The split that matters most is [`KotError::certainly_not_applied`]: KING OF TIME has no
//! idempotency, so a punch whose POST may have arrived must be verified by reading the day back
//! before it is sent again, while a punch that never left, or that KING OF TIME refused in its
//! own words, may simply be retried (or given up). Reads are classified by `KotError::from_response`;
//! the punch POST has its own, stricter rules in `outcome.rs`.

use chrono::{DateTime, Utc};
use serde::Deserialize;

use crate::time::next_unrestricted;

/// KING OF TIME error code: authentication failed (bad token, or IP not permitted) \[official\].
pub const CODE_AUTHENTICATION_FAILED: i64 = 100;
/// KING OF TIME error code: restricted hours \[official\].
pub const CODE_RESTRICTED_HOURS: i64 = 104;
/// KING OF TIME error code: "Resource Server Error." \[official\].
pub const CODE_SERVER_ERROR: i64 = 300;
/// KING OF TIME error code: too many requests; its HTTP status is undocumented \[official\].
pub const CODE_RATE_LIMITED: i64 = 303;

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum KotError {
    /// 403 / code 100: the token is wrong, suspended, or used from a non-permitted IP.
    /// Stop the company's run and mark the token invalid; retrying will not help.
    #[error("authentication failed: {message}")]
    AuthenticationFailed { message: String },
    /// 403 / code 104: a read inside 08:30–10:00 or 17:30–18:30 JST.
    #[error("restricted hours: {message}")]
    RestrictedHours { message: String },
    /// Code 303, whatever the HTTP status, or HTTP 429: back off.
    #[error("rate limited: {message}")]
    RateLimited { message: String },
    /// A read answered with code 300 or any 5xx. Code 300 also appears for permission problems,
    /// so retry with a bounded backoff only. A punch POST never yields this: any 5xx there is
    /// [`KotError::OutcomeUnknown`], since a 5xx says nothing about whether the punch was stored.
    #[error("server error (HTTP {status}{}): {message}", code_part(*.code))]
    ServerError {
        status: u16,
        code: Option<i64>,
        message: String,
    },
    /// 404: unknown employee code or key, or unknown path.
    #[error("not found: {message}")]
    NotFound { message: String },
    /// Any other 4xx: KING OF TIME refused the request as given; sending it again unchanged
    /// will fail again.
    #[error("rejected (HTTP {status}{}): {message}", code_part(*.code))]
    Rejected {
        status: u16,
        code: Option<i64>,
        message: String,
    },
    /// The request never reached the server (connection refused, DNS failure, connect timeout,
    /// bad request construction). Safe to retry, even a punch.
    #[error("request not sent: {reason}")]
    NotSent { reason: String },
    /// The request may have been processed: a timeout or a reset after it was sent, an
    /// unreadable answer, and for the punch POST every answer that is neither a 201 nor a 4xx
    /// refusal with a KING OF TIME error body (any 5xx, a gateway page, a 3xx, ...). `reason`
    /// names what came. A punch in this state must be verified by reading the day back.
    #[error("outcome unknown: {reason}")]
    OutcomeUnknown { reason: String },
    /// A success status whose body does not have the documented shape.
    #[error("invalid response: {reason}")]
    InvalidResponse { reason: String },
    /// The client was configured or called with something unusable (a base URL that cannot
    /// take paths, a range that ends before it starts). Nothing was sent.
    #[error("invalid configuration: {reason}")]
    InvalidConfig { reason: String },
}

impl KotError {
    /// Whether a later attempt may succeed without changing the request. Note that
    /// [`KotError::OutcomeUnknown`] is retryable only after verification for a punch POST:
    /// check [`KotError::outcome_unknown`] first.
    pub fn is_retryable(&self) -> bool {
        matches!(
            self,
            Self::RestrictedHours { .. }
                | Self::RateLimited { .. }
                | Self::ServerError { .. }
                | Self::NotSent { .. }
                | Self::OutcomeUnknown { .. }
        )
    }

    /// Whether the request may have taken effect on KING OF TIME's side.
    pub fn outcome_unknown(&self) -> bool {
        matches!(self, Self::OutcomeUnknown { .. })
    }

    /// Whether the request certainly had no effect: KING OF TIME refused it in its own words (a
    /// 4xx with its error body: rejected, not found, authentication, restricted hours, rate
    /// limited), or it never left this process (not sent; an unusable configuration, found
    /// before anything is sent). A server error, an unreadable answer and an unknown outcome
    /// are not: whatever came, it does not prove that nothing happened.
    pub fn certainly_not_applied(&self) -> bool {
        matches!(
            self,
            Self::AuthenticationFailed { .. }
                | Self::RestrictedHours { .. }
                | Self::RateLimited { .. }
                | Self::NotFound { .. }
                | Self::Rejected { .. }
                | Self::NotSent { .. }
                | Self::InvalidConfig { .. }
        )
    }

    pub fn is_authentication_failure(&self) -> bool {
        matches!(self, Self::AuthenticationFailed { .. })
    }

    /// For restricted hours: when the window ends, so the caller can defer rather than spin.
    pub fn retry_not_before(&self, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
        match self {
            Self::RestrictedHours { .. } => Some(next_unrestricted(now)),
            _ => None,
        }
    }

    /// Classifies a non-2xx answer from its status and body. `secret` is removed from any
    /// message in case the server echoes it.
    pub(crate) fn from_response(status: u16, body: &[u8], secret: &str) -> Self {
        let parsed = ErrorBody::parse(body);
        let code = parsed.as_ref().and_then(|p| p.code);
        let message = parsed
            .map(|p| p.message)
            .filter(|m| !m.is_empty())
            .unwrap_or_else(|| format!("HTTP {status} without a KING OF TIME error body"));
        let message = redact(&message, secret);
        match (status, code) {
            (_, Some(CODE_RATE_LIMITED)) | (429, _) => Self::RateLimited { message },
            (403, Some(CODE_AUTHENTICATION_FAILED)) => Self::AuthenticationFailed { message },
            (403, Some(CODE_RESTRICTED_HOURS)) => Self::RestrictedHours { message },
            (_, Some(CODE_SERVER_ERROR)) | (500..=599, _) => Self::ServerError {
                status,
                code,
                message,
            },
            (404, _) => Self::NotFound { message },
            (400..=499, _) => Self::Rejected {
                status,
                code,
                message,
            },
            _ => Self::InvalidResponse {
                reason: format!("unexpected HTTP {status}: {message}"),
            },
        }
    }
}

/// `, code 400` when KING OF TIME gave a code, nothing otherwise: engineers read `last_error`,
/// and `Some(400)` is Rust's formatting, not KING OF TIME's.
fn code_part(code: Option<i64>) -> String {
    code.map(|code| format!(", code {code}"))
        .unwrap_or_default()
}

/// Removes the token from text that might contain it (server messages, transport errors).
pub(crate) fn redact(text: &str, secret: &str) -> String {
    if secret.is_empty() {
        text.to_owned()
    } else {
        text.replace(secret, "<redacted>")
    }
}

/// The first error of either documented shape.
#[derive(Debug, PartialEq)]
pub(crate) struct ErrorBody {
    pub code: Option<i64>,
    pub message: String,
    /// The code has the documented JSON type: a number in `{"errors":[...]}`, a string in the
    /// flat shape. Only such a body counts as KING OF TIME's own words for a punch POST: a
    /// proxy's `{"message":"Forbidden"}` or `{"code":429,...}` does not.
    pub documented: bool,
}

/// `{"errors":[{"message":"...","code":104}]}` \[official\].
#[derive(Deserialize)]
struct ErrorsShape {
    errors: Vec<FlatShape>,
}

/// `{"code":"303","message":"Too Many Requests"}`: code as a string \[official\] (a number is
/// accepted too).
#[derive(Deserialize)]
struct FlatShape {
    #[serde(default)]
    code: Option<serde_json::Value>,
    #[serde(default)]
    message: Option<String>,
}

impl FlatShape {
    fn code_is(&self, documented: fn(&serde_json::Value) -> bool) -> bool {
        self.code.as_ref().is_some_and(documented)
    }

    fn code(&self) -> Option<i64> {
        match self.code.as_ref()? {
            serde_json::Value::Number(n) => n.as_i64(),
            serde_json::Value::String(s) => s.trim().parse().ok(),
            _ => None,
        }
    }
}

impl ErrorBody {
    pub(crate) fn parse(body: &[u8]) -> Option<Self> {
        if let Ok(shape) = serde_json::from_slice::<ErrorsShape>(body) {
            let first = shape.errors.first()?;
            let message = shape
                .errors
                .iter()
                .filter_map(|e| e.message.as_deref())
                .collect::<Vec<_>>()
                .join("; ");
            return Some(Self {
                code: first.code(),
                message,
                documented: first.code_is(serde_json::Value::is_number),
            });
        }
        let flat = serde_json::from_slice::<FlatShape>(body).ok()?;
        if flat.code.is_none() && flat.message.is_none() {
            return None;
        }
        Some(Self {
            code: flat.code(),
            message: flat.message.clone().unwrap_or_default(),
            documented: flat.code_is(serde_json::Value::is_string),
        })
    }

    /// A body in one of KING OF TIME's documented error shapes, with a code of the documented
    /// type: what the punch POST accepts as a refusal.
    pub(crate) fn parse_documented(body: &[u8]) -> Option<Self> {
        Self::parse(body).filter(|error| error.documented && error.code.is_some())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const RESTRICTED: &str = r#"{"errors":[{"message":"次の時間帯(JST)はAPIへのアクセスが禁止されています [08:30 ~ 10:00, 17:30 ~ 18:30]","code":104}]}"#;
    const SECRET: &str = "0123456789abcdef0123456789abcdef";
    const FLAT_303: &str = r#"{"code":"303","message":"Too Many Requests"}"#;

    #[test]
    fn documented_restricted_hours_body_parses() {
        let err = KotError::from_response(403, RESTRICTED.as_bytes(), "tok");
        match err {
            KotError::RestrictedHours { message } => assert!(message.contains("08:30 ~ 10:00")),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn flat_303_is_rate_limited_whatever_the_status() {
        for status in [403, 429, 503, 200] {
            let err = KotError::from_response(status, FLAT_303.as_bytes(), "tok");
            assert_eq!(
                err,
                KotError::RateLimited {
                    message: "Too Many Requests".into()
                }
            );
        }
        let bare_429 = KotError::from_response(429, b"", "tok");
        assert!(matches!(bare_429, KotError::RateLimited { .. }));
    }

    #[test]
    fn classification_table() {
        let auth = br#"{"errors":[{"message":"auth","code":100}]}"#;
        assert!(matches!(
            KotError::from_response(403, auth, SECRET),
            KotError::AuthenticationFailed { .. }
        ));
        let server = br#"{"errors":[{"message":"Resource Server Error.","code":300}]}"#;
        assert_eq!(
            KotError::from_response(500, server, SECRET),
            KotError::ServerError {
                status: 500,
                code: Some(300),
                message: "Resource Server Error.".into()
            }
        );
        assert!(matches!(
            KotError::from_response(502, b"<html>bad gateway</html>", SECRET),
            KotError::ServerError {
                status: 502,
                code: None,
                ..
            }
        ));
        assert!(matches!(
            KotError::from_response(404, br#"{"errors":[{"message":"x","code":201}]}"#, SECRET),
            KotError::NotFound { .. }
        ));
        assert_eq!(
            KotError::from_response(
                400,
                br#"{"errors":[{"message":"bad date","code":200}]}"#,
                SECRET
            ),
            KotError::Rejected {
                status: 400,
                code: Some(200),
                message: "bad date".into()
            }
        );
    }

    #[test]
    fn messages_never_echo_the_token() {
        let body = br#"{"errors":[{"message":"token abc123secret is suspended","code":100}]}"#;
        let err = KotError::from_response(403, body, "abc123secret");
        assert!(!err.to_string().contains("abc123secret"), "{err}");
    }

    #[test]
    fn retry_semantics() {
        let unknown = KotError::OutcomeUnknown {
            reason: "timeout".into(),
        };
        assert!(unknown.outcome_unknown() && unknown.is_retryable());
        assert!(!unknown.certainly_not_applied());
        let not_sent = KotError::NotSent {
            reason: "refused".into(),
        };
        assert!(not_sent.is_retryable() && not_sent.certainly_not_applied());
        let rejected = KotError::Rejected {
            status: 400,
            code: None,
            message: String::new(),
        };
        assert!(!rejected.is_retryable() && rejected.certainly_not_applied());
        let server = KotError::ServerError {
            status: 500,
            code: Some(300),
            message: String::new(),
        };
        assert!(server.is_retryable() && !server.certainly_not_applied());
        let unreadable = KotError::InvalidResponse {
            reason: String::new(),
        };
        assert!(!unreadable.certainly_not_applied());
        assert!(
            !KotError::AuthenticationFailed {
                message: String::new()
            }
            .is_retryable()
        );
    }

    #[test]
    fn display_names_the_code_without_rust_formatting() {
        let with_code = KotError::Rejected {
            status: 400,
            code: Some(200),
            message: "勤務日が不正です".into(),
        };
        assert_eq!(
            with_code.to_string(),
            "rejected (HTTP 400, code 200): 勤務日が不正です"
        );
        let without = KotError::ServerError {
            status: 502,
            code: None,
            message: "Bad Gateway".into(),
        };
        assert_eq!(without.to_string(), "server error (HTTP 502): Bad Gateway");
    }
}

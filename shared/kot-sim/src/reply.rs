//! KING OF TIME's answer shapes: JSON bodies with `application/json; charset=utf-8`, errors
//! as `{"errors":[{"message","code"}]}` or, for rate limiting, the flat `{"code":"303",...}`.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use serde_json::json;

/// 403: bad token, suspended token, or peer not in the permitted IPs \[official\].
pub const CODE_AUTHENTICATION_FAILED: i64 = 100;
/// 403: restricted hours \[official\].
pub const CODE_RESTRICTED_HOURS: i64 = 104;
/// 400: any validation failure \[ours\]: KING OF TIME does not document codes for these.
pub const CODE_INVALID_REQUEST: i64 = 200;
/// 404: unknown employee code or key in the path, unknown route \[ours\].
pub const CODE_NOT_FOUND: i64 = 201;
/// 500: "Resource Server Error." \[official\].
pub const CODE_SERVER_ERROR: i64 = 300;
/// Too Many Requests, with an undocumented HTTP status \[official\].
pub const CODE_RATE_LIMITED: i64 = 303;

/// The error code an answer carried, kept in the response extensions for the request log.
#[derive(Debug, Clone, Copy)]
pub(crate) struct AnsweredCode(pub i64);

/// An error answer of the API.
#[derive(Debug, Clone)]
pub(crate) struct ApiError {
    status: StatusCode,
    code: i64,
    messages: Vec<String>,
    /// The flat `{"code":"303","message":...}` shape instead of `{"errors":[...]}`.
    flat: bool,
}

impl ApiError {
    pub fn new(status: StatusCode, code: i64, message: impl Into<String>) -> Self {
        Self {
            status,
            code,
            messages: vec![message.into()],
            flat: false,
        }
    }

    pub fn authentication() -> Self {
        Self::new(
            StatusCode::FORBIDDEN,
            CODE_AUTHENTICATION_FAILED,
            "認証に失敗しました (authentication failed)",
        )
    }

    pub fn restricted() -> Self {
        Self::new(
            StatusCode::FORBIDDEN,
            CODE_RESTRICTED_HOURS,
            crate::clock::RESTRICTED_MESSAGE,
        )
    }

    pub fn invalid(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, CODE_INVALID_REQUEST, message)
    }

    /// Several validation failures in one answer, as the `errors` array allows.
    pub fn invalid_all(messages: Vec<String>) -> Self {
        Self {
            status: StatusCode::BAD_REQUEST,
            code: CODE_INVALID_REQUEST,
            messages,
            flat: false,
        }
    }

    pub fn not_found(message: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, CODE_NOT_FOUND, message)
    }

    pub fn server_error() -> Self {
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            CODE_SERVER_ERROR,
            "Resource Server Error.",
        )
    }

    pub fn rate_limited(status: u16) -> Self {
        let status = StatusCode::from_u16(status).unwrap_or(StatusCode::TOO_MANY_REQUESTS);
        Self {
            status,
            code: CODE_RATE_LIMITED,
            messages: vec!["Too Many Requests".into()],
            flat: true,
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = if self.flat {
            // The flat shape carries the code as a string [official].
            json!({ "code": self.code.to_string(), "message": self.messages.join("; ") })
        } else {
            let errors: Vec<_> = self
                .messages
                .iter()
                .map(|message| json!({ "message": message, "code": self.code }))
                .collect();
            json!({ "errors": errors })
        };
        let mut response = json_response(self.status, &body);
        response.extensions_mut().insert(AnsweredCode(self.code));
        response
    }
}

/// A JSON answer with KING OF TIME's content type.
pub(crate) fn json_response<T: Serialize>(status: StatusCode, body: &T) -> Response {
    match serde_json::to_vec(body) {
        Ok(bytes) => {
            let mut response = (status, bytes).into_response();
            response.headers_mut().insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/json; charset=utf-8"),
            );
            response
        }
        Err(_) => ApiError::server_error().into_response(),
    }
}

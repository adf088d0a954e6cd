//! The answers of the *before* fault kinds: KING OF TIME's own server error and rate limit,
//! and the pages a load balancer (nginx, an ALB) sends when KING OF TIME behind it does not
//! answer. None of them carries a KING OF TIME error body except the first two.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

use crate::model::FailureKind;
use crate::reply::ApiError;

/// The answer that replaces KING OF TIME's for a before kind, or for [`FailureKind::
/// Gateway504AfterStore`] once the request was processed. `None` for the kinds that do not
/// answer in place of KING OF TIME (reset, slow).
pub(crate) fn fault_response(kind: FailureKind, rate_limit_status: u16) -> Option<Response> {
    let response = match kind {
        FailureKind::Status500Code300 => ApiError::server_error().into_response(),
        FailureKind::RateLimited => ApiError::rate_limited(rate_limit_status).into_response(),
        FailureKind::Status502Html => html_page(StatusCode::BAD_GATEWAY, "502 Bad Gateway"),
        FailureKind::Status503 => StatusCode::SERVICE_UNAVAILABLE.into_response(),
        FailureKind::Gateway503Html => html_page(
            StatusCode::SERVICE_UNAVAILABLE,
            "503 Service Temporarily Unavailable",
        ),
        FailureKind::Gateway504Html | FailureKind::Gateway504AfterStore => {
            html_page(StatusCode::GATEWAY_TIMEOUT, "504 Gateway Time-out")
        }
        FailureKind::ResetAfterStore | FailureKind::SlowAfterStore => return None,
    };
    Some(response)
}

/// nginx's error page layout.
fn html_page(status: StatusCode, title: &str) -> Response {
    let body = format!(
        "<html>\r\n<head><title>{title}</title></head>\r\n<body>\r\n<center><h1>{title}</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n"
    );
    let mut response = (status, body).into_response();
    response
        .headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static("text/html"));
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gateway_pages_are_html_with_their_status() {
        for (kind, status) in [
            (FailureKind::Status502Html, 502),
            (FailureKind::Gateway503Html, 503),
            (FailureKind::Gateway504Html, 504),
            (FailureKind::Gateway504AfterStore, 504),
        ] {
            let response = fault_response(kind, 429).unwrap();
            assert_eq!(response.status().as_u16(), status, "{kind:?}");
            assert_eq!(response.headers()[header::CONTENT_TYPE], "text/html");
        }
        assert_eq!(
            fault_response(FailureKind::Status503, 429)
                .unwrap()
                .status()
                .as_u16(),
            503
        );
        assert!(fault_response(FailureKind::ResetAfterStore, 429).is_none());
        assert!(fault_response(FailureKind::SlowAfterStore, 429).is_none());
    }
}

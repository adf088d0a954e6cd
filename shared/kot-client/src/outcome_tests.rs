//! Every status/body shape of the punch POST, and what it says about the punch.

use super::*;

const SECRET: &str = "0123456789abcdef0123456789abcdef";
const CREATED: &str = r#"{"date":"2024-06-03","employeeKey":"k","timeRecord":{"time":"2024-06-03T09:00:00+09:00","code":"1","name":"出勤","divisionCode":"100","divisionName":"本社"}}"#;
const ERRORS_200: &str = r#"{"errors":[{"message":"date is required","code":200}]}"#;
const FLAT_200: &str = r#"{"code":"200","message":"date is required"}"#;
const ERRORS_201: &str = r#"{"errors":[{"message":"unknown employee key","code":201}]}"#;
const AUTH: &str = r#"{"errors":[{"message":"認証に失敗しました","code":100}]}"#;
const RESTRICTED: &str =
    r#"{"errors":[{"message":"次の時間帯(JST)はAPIへのアクセスが禁止されています","code":104}]}"#;
const FLAT_303: &str = r#"{"code":"303","message":"Too Many Requests"}"#;
const ERRORS_303: &str = r#"{"errors":[{"message":"Too Many Requests","code":303}]}"#;
const SERVER_300: &str = r#"{"errors":[{"message":"Resource Server Error.","code":300}]}"#;
const NGINX_502: &str = "<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n<center><h1>502 Bad Gateway</h1></center>\r\n</body>\r\n</html>\r\n";
const NGINX_503: &str =
    "<html><head><title>503 Service Temporarily Unavailable</title></head><body></body></html>";
const ALB_504: &str = "<!DOCTYPE html><html><body><h1>504 Gateway Time-out</h1></body></html>";
const PROXY_403: &str =
    "<html><body><h1>403 Forbidden</h1>Request forbidden by administrative rules.</body></html>";

/// What the classification must say: a refusal of one kind, unknown with a reason containing
/// the text, or stored.
#[derive(Debug)]
enum Expect {
    Stored,
    Rejected(u16, i64),
    NotFound,
    AuthenticationFailed,
    RestrictedHours,
    RateLimited,
    Unknown(&'static str),
}

const CASES: &[(u16, &str, Expect)] = &[
    (201, CREATED, Expect::Stored),
    // KING OF TIME's refusals, either documented shape.
    (400, ERRORS_200, Expect::Rejected(400, 200)),
    (400, FLAT_200, Expect::Rejected(400, 200)),
    (409, ERRORS_200, Expect::Rejected(409, 200)),
    (404, ERRORS_201, Expect::NotFound),
    (403, AUTH, Expect::AuthenticationFailed),
    (403, RESTRICTED, Expect::RestrictedHours),
    (403, FLAT_303, Expect::RateLimited),
    (429, FLAT_303, Expect::RateLimited),
    (429, ERRORS_303, Expect::RateLimited),
    (400, FLAT_303, Expect::RateLimited),
    (429, ERRORS_200, Expect::RateLimited),
    // Any 5xx, whatever its body.
    (
        500,
        SERVER_300,
        Expect::Unknown("HTTP 500 with KING OF TIME error 300 (Resource Server Error.)"),
    ),
    (
        503,
        FLAT_303,
        Expect::Unknown("HTTP 503 with KING OF TIME error 303"),
    ),
    (
        503,
        ERRORS_200,
        Expect::Unknown("HTTP 503 with KING OF TIME error 200"),
    ),
    (
        502,
        NGINX_502,
        Expect::Unknown("HTTP 502 without a KING OF TIME error body (HTML page"),
    ),
    (
        503,
        NGINX_503,
        Expect::Unknown("HTTP 503 without a KING OF TIME error body (HTML page"),
    ),
    (
        504,
        ALB_504,
        Expect::Unknown("HTTP 504 without a KING OF TIME error body (HTML page"),
    ),
    (
        503,
        "",
        Expect::Unknown("HTTP 503 without a KING OF TIME error body (empty body)"),
    ),
    (
        504,
        "",
        Expect::Unknown("HTTP 504 without a KING OF TIME error body"),
    ),
    (
        500,
        "oops",
        Expect::Unknown("HTTP 500 without a KING OF TIME error body ("),
    ),
    // A 4xx that is not KING OF TIME's own words.
    (
        403,
        PROXY_403,
        Expect::Unknown("HTTP 403 without a KING OF TIME error body (HTML page"),
    ),
    (
        429,
        "",
        Expect::Unknown("HTTP 429 without a KING OF TIME error body (empty body)"),
    ),
    (
        404,
        "<html>Not Found</html>",
        Expect::Unknown("HTTP 404 without"),
    ),
    (
        403,
        r#"{"message":"Forbidden"}"#,
        Expect::Unknown("HTTP 403 without"),
    ),
    (
        429,
        r#"{"code":429,"message":"Too Many Requests"}"#,
        Expect::Unknown("HTTP 429 without"),
    ),
    (
        400,
        r#"{"errors":[{"message":"no code"}]}"#,
        Expect::Unknown("HTTP 400 without"),
    ),
    (400, r#"{"errors":[]}"#, Expect::Unknown("HTTP 400 without")),
    (
        403,
        r#"{"errors":[{"message":"x","code":"100"}]}"#,
        Expect::Unknown("HTTP 403 without"),
    ),
    // Redirects and informational answers.
    (
        301,
        "",
        Expect::Unknown("HTTP 301 (a redirect, not followed)"),
    ),
    (
        302,
        "<html>moved</html>",
        Expect::Unknown("HTTP 302 (a redirect, not followed)"),
    ),
    (307, "", Expect::Unknown("HTTP 307")),
    (100, "", Expect::Unknown("HTTP 100")),
    // A 2xx that is not the documented 201.
    (200, CREATED, Expect::Unknown("HTTP 200 instead of 201")),
    (204, "", Expect::Unknown("HTTP 204 instead of 201")),
    (
        202,
        FLAT_303,
        Expect::Unknown("HTTP 202 instead of 201 with KING OF TIME error 303"),
    ),
    (
        201,
        "",
        Expect::Unknown("HTTP 201 with an unreadable punch answer"),
    ),
    (
        201,
        "<html>ok</html>",
        Expect::Unknown("HTTP 201 with an unreadable punch answer"),
    ),
    (
        201,
        r#"{"date":"2024-06-03""#,
        Expect::Unknown("HTTP 201 with an unreadable punch answer"),
    ),
    (
        201,
        FLAT_303,
        Expect::Unknown("HTTP 201 carrying KING OF TIME error 303"),
    ),
    (
        201,
        AUTH,
        Expect::Unknown("HTTP 201 carrying KING OF TIME error 100"),
    ),
];

fn check(status: u16, body: &str, expect: &Expect) {
    let result = punch_outcome(status, body.as_bytes(), SECRET);
    let context = format!("HTTP {status} {body:?}: {result:?}");
    let error = match (expect, result) {
        (Expect::Stored, Ok(answer)) => {
            assert_eq!(answer.employee_key, "k", "{context}");
            return;
        }
        (_, Ok(_)) => panic!("expected {expect:?}, got stored: {context}"),
        (_, Err(error)) => error,
    };
    let refusal = matches!(
        (expect, &error),
        (Expect::NotFound, KotError::NotFound { .. })
            | (
                Expect::AuthenticationFailed,
                KotError::AuthenticationFailed { .. }
            )
            | (Expect::RestrictedHours, KotError::RestrictedHours { .. })
            | (Expect::RateLimited, KotError::RateLimited { .. })
    ) || matches!(
        (expect, &error),
        (Expect::Rejected(s, c), KotError::Rejected { status, code, .. })
            if s == status && Some(*c) == *code
    );
    match expect {
        Expect::Stored => unreachable!("handled above"),
        Expect::Unknown(needle) => {
            let KotError::OutcomeUnknown { reason } = &error else {
                panic!("expected outcome unknown: {context}");
            };
            assert!(reason.contains(needle), "{reason:?} lacks {needle:?}");
            assert!(!error.certainly_not_applied(), "{context}");
            assert!(error.outcome_unknown(), "{context}");
        }
        _ => {
            assert!(refusal, "expected {expect:?}: {context}");
            assert!(error.certainly_not_applied(), "{context}");
        }
    }
}

#[test]
fn every_status_and_body_shape() {
    for (status, body, expect) in CASES {
        check(*status, body, expect);
    }
}

#[test]
fn every_shape_is_also_unknown_or_refused_with_whitespace_around_the_body() {
    // Proxies and servers pad bodies; the classification must not depend on it.
    for (status, body, expect) in CASES.iter().filter(|(_, body, _)| !body.is_empty()) {
        if *status == 201 && matches!(expect, Expect::Stored) {
            continue;
        }
        check(*status, &format!("\n{body}\n"), expect);
    }
}

#[test]
fn the_token_never_appears_in_a_reason_or_message() {
    let echo = format!(r#"{{"errors":[{{"message":"token {SECRET} is suspended","code":100}}]}}"#);
    let answers = [
        (403, echo.clone()),
        (500, echo.replace("100", "300")),
        (201, echo.clone()),
        (400, echo.replace("100", "200")),
    ];
    for (status, body) in answers {
        let error = punch_outcome(status, body.as_bytes(), SECRET).unwrap_err();
        let text = format!("{error} {error:?}");
        assert!(!text.contains(SECRET), "{text}");
    }
}

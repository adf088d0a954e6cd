//! What every API call goes through before its handler: bearer token, permitted IP, content
//! type, documented query parameters (`params.rs`), rate limit, restricted hours, in that order
//! \[ours: the real order is undocumented\].

use std::collections::HashMap;
use std::convert::Infallible;
use std::net::{IpAddr, SocketAddr};

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{HeaderMap, header};

use crate::clock::in_restricted_hours;
use crate::reply::ApiError;
use crate::state::{Budget, State};
use crate::validate::parse_query;

/// The TCP peer of the connection, inserted by the server for each request.
#[derive(Debug, Clone, Copy)]
pub(crate) struct PeerAddr(pub SocketAddr);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Endpoint {
    Employees,
    Employee,
    Divisions,
    PunchPost,
    PunchList,
    PunchDay,
    /// `GET /daily-workings`: a read on the general budget \[docs\].
    DailyWorkings,
    TokenAvailable,
    TokenRefresh,
    TokenDelete,
}

impl Endpoint {
    /// The timerecord endpoints spend the punch budget, everything else the general one \[ours\].
    fn budget(self) -> Budget {
        match self {
            Self::PunchPost | Self::PunchList | Self::PunchDay => Budget::Punch,
            _ => Budget::General,
        }
    }

    /// Only the token APIs and punch registration work in the restricted hours \[official\].
    fn allowed_in_restricted_hours(self) -> bool {
        matches!(
            self,
            Self::PunchPost | Self::TokenAvailable | Self::TokenRefresh | Self::TokenDelete
        )
    }
}

/// Everything a handler needs from the request head.
pub(crate) struct Ctx {
    pub peer: Option<IpAddr>,
    pub headers: HeaderMap,
    pub query: HashMap<String, String>,
}

impl<S: Send + Sync> FromRequestParts<S> for Ctx {
    type Rejection = Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(Self {
            peer: parts.extensions.get::<PeerAddr>().map(|peer| peer.0.ip()),
            headers: parts.headers.clone(),
            query: parse_query(parts.uri.query()),
        })
    }
}

/// The authenticated caller.
#[derive(Debug, Clone)]
pub(crate) struct Caller {
    pub company: String,
    pub token: String,
}

pub(crate) fn admit(state: &mut State, ctx: &Ctx, endpoint: Endpoint) -> Result<Caller, ApiError> {
    let token = bearer(&ctx.headers).ok_or_else(ApiError::authentication)?;
    let record = state
        .tokens
        .get(token)
        .ok_or_else(ApiError::authentication)?;
    // A suspended token may still ask whether it is available (the answer is false) [ours].
    if record.suspended && endpoint != Endpoint::TokenAvailable {
        return Err(ApiError::authentication());
    }
    if record.permitted_ips.is_some() && !ctx.peer.is_some_and(|peer| record.permits(peer)) {
        return Err(ApiError::authentication());
    }
    let caller = Caller {
        company: record.company.clone(),
        token: token.to_owned(),
    };
    check_content_type(&ctx.headers)?;
    crate::params::check(endpoint, &ctx.query)?;
    if !state.admit_rate(&caller.token, endpoint.budget()) {
        return Err(ApiError::rate_limited(state.rate_limit_status));
    }
    if !endpoint.allowed_in_restricted_hours() && in_restricted_hours(state.now()) {
        return Err(ApiError::restricted());
    }
    Ok(caller)
}

/// `Authorization: Bearer <token>`; the scheme is case-insensitive (RFC 9110), the token is not.
fn bearer(headers: &HeaderMap) -> Option<&str> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    let token = token.trim();
    (scheme.eq_ignore_ascii_case("bearer") && !token.is_empty()).then_some(token)
}

/// Every call must say `application/json; charset=utf-8` \[official\]; the media type and the
/// parameter are case-insensitive and spaces around `;` are allowed, nothing else is.
fn check_content_type(headers: &HeaderMap) -> Result<(), ApiError> {
    let refuse = || ApiError::invalid("Content-Type must be application/json; charset=utf-8");
    let value = headers
        .get(header::CONTENT_TYPE)
        .ok_or_else(refuse)?
        .to_str()
        .map_err(|_| refuse())?;
    let mut parts = value.split(';').map(str::trim);
    let media_type = parts.next().unwrap_or_default();
    let charset = parts.next().unwrap_or_default();
    let charset_ok = charset.split_once('=').is_some_and(|(name, value)| {
        name.trim().eq_ignore_ascii_case("charset")
            && value.trim().trim_matches('"').eq_ignore_ascii_case("utf-8")
    });
    if media_type.eq_ignore_ascii_case("application/json") && charset_ok && parts.next().is_none() {
        Ok(())
    } else {
        Err(refuse())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn with(name: header::HeaderName, value: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(name, HeaderValue::from_str(value).unwrap());
        headers
    }

    #[test]
    fn bearer_parsing() {
        assert_eq!(
            bearer(&with(header::AUTHORIZATION, "Bearer abc")),
            Some("abc")
        );
        assert_eq!(
            bearer(&with(header::AUTHORIZATION, "bearer abc")),
            Some("abc")
        );
        assert_eq!(bearer(&with(header::AUTHORIZATION, "Basic abc")), None);
        assert_eq!(bearer(&with(header::AUTHORIZATION, "Bearer ")), None);
        assert_eq!(bearer(&HeaderMap::new()), None);
    }

    #[test]
    fn content_type_rules() {
        for ok in [
            "application/json; charset=utf-8",
            "application/json;charset=UTF-8",
            "Application/JSON; charset=\"utf-8\"",
        ] {
            assert!(
                check_content_type(&with(header::CONTENT_TYPE, ok)).is_ok(),
                "{ok}"
            );
        }
        for bad in [
            "application/json",
            "text/plain; charset=utf-8",
            "application/json; charset=shift_jis",
            "application/json; charset=utf-8; x=y",
        ] {
            assert!(
                check_content_type(&with(header::CONTENT_TYPE, bad)).is_err(),
                "{bad}"
            );
        }
        assert!(check_content_type(&HeaderMap::new()).is_err());
    }
}

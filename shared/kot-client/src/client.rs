//! The HTTP client: one method per endpoint of kot-api.md.

use std::sync::Arc;

use reqwest::{Method, header};
use serde::de::DeserializeOwned;
use tokio::time::Instant;
use tracing::Instrument;
use url::Url;

use crate::config::KotConfig;
use crate::error::KotError;
use crate::limiter::{Budget, Limiters};
use crate::outcome::punch_outcome;
use crate::telemetry;
use crate::token::Token;
use crate::transport::{decode, describe, transport_error};
use crate::types::{
    Division, Employee, EmployeeQuery, IssuedToken, TimeRecordRequest, TimeRecordResponse,
    TokenAvailability,
};

/// Employee keys per listing call \[ours\]: 50 keys of 64 hex characters keep the URL near 3 KB,
/// well under common proxy limits.
pub const MAX_KEYS_PER_CALL: usize = 50;

const CONTENT_TYPE_JSON: &str = "application/json; charset=utf-8";

/// A KING OF TIME client. Cloning is cheap and every clone shares the connection pool and the
/// per-token pacing.
#[derive(Clone)]
pub struct KotClient {
    inner: Arc<Inner>,
}

struct Inner {
    http: reqwest::Client,
    base_url: Url,
    limiters: Limiters,
}

impl std::fmt::Debug for KotClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KotClient")
            .field("base_url", &self.inner.base_url.as_str())
            .finish_non_exhaustive()
    }
}

impl KotClient {
    pub fn new(config: KotConfig) -> Result<Self, KotError> {
        if config.base_url.cannot_be_a_base() {
            return Err(KotError::InvalidConfig {
                reason: format!("base URL {} cannot take paths", config.base_url),
            });
        }
        let http = reqwest::Client::builder()
            .timeout(config.request_timeout)
            .connect_timeout(config.connect_timeout)
            .user_agent(config.user_agent.clone())
            // Redirects would re-send the bearer token somewhere unexpected.
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|e| KotError::InvalidConfig {
                reason: e.without_url().to_string(),
            })?;
        Ok(Self {
            inner: Arc::new(Inner {
                http,
                base_url: config.base_url,
                limiters: Limiters::new(config.general_limit, config.punch_limit),
            }),
        })
    }

    pub fn base_url(&self) -> &Url {
        &self.inner.base_url
    }

    /// `GET /employees`. With `include_resigned`, `resignationDate` is requested as well.
    pub async fn list_employees(
        &self,
        token: &Token,
        query: &EmployeeQuery,
    ) -> Result<Vec<Employee>, KotError> {
        let mut url = self.url(&["employees"]);
        {
            let mut pairs = url.query_pairs_mut();
            if let Some(date) = query.date {
                pairs.append_pair("date", &date.to_string());
            }
            if let Some(division) = &query.division {
                pairs.append_pair("division", division);
            }
            if query.include_resigned {
                pairs.append_pair("includeResigner", "true");
            }
            let fields = additional_fields(query);
            if !fields.is_empty() {
                pairs.append_pair("additionalFields", &fields.join(","));
            }
        }
        self.get_json(token, Budget::General, url, "/employees")
            .await
    }

    /// `GET /employees/{code}` (by code, not key); also asks for `resignationDate`.
    /// An unknown code is [`KotError::NotFound`] (or `Rejected` if KING OF TIME answers 400).
    pub async fn get_employee(&self, token: &Token, code: &str) -> Result<Employee, KotError> {
        let mut url = self.url(&["employees", code]);
        url.query_pairs_mut()
            .append_pair("additionalFields", "resignationDate");
        self.get_json(token, Budget::General, url, "/employees/{code}")
            .await
    }

    /// `GET /divisions`.
    pub async fn list_divisions(&self, token: &Token) -> Result<Vec<Division>, KotError> {
        let url = self.url(&["divisions"]);
        self.get_json(token, Budget::General, url, "/divisions")
            .await
    }

    /// `POST /daily-workings/timerecord/{employeeKey}`: registers one punch. Not idempotent:
    /// only a 201 is stored and only a 4xx with KING OF TIME's error body is a refusal; after
    /// anything else ([`KotError::OutcomeUnknown`]: a 5xx, a gateway page, a timeout, a reset),
    /// read the day back before posting again.
    pub async fn post_timerecord(
        &self,
        token: &Token,
        employee_key: &str,
        punch: &TimeRecordRequest,
    ) -> Result<TimeRecordResponse, KotError> {
        let url = self.url(&["daily-workings", "timerecord", employee_key]);
        let body = serde_json::to_vec(punch).map_err(|e| KotError::NotSent {
            reason: format!("encoding punch: {e}"),
        })?;
        let call = Call {
            body: Some(body),
            ..Call::new(
                Budget::Punch,
                Method::POST,
                url,
                "/daily-workings/timerecord/{employeeKey}",
            )
        };
        self.send(token, call, |answer| {
            punch_outcome(answer.status, answer.body, answer.secret)
        })
        .await
    }

    /// `GET /tokens/{token}/available`. `Ok(false)` is KING OF TIME saying the token exists but
    /// is suspended; a token it does not know at all (or one used from a non-permitted IP) is
    /// [`KotError::AuthenticationFailed`], kept apart because the admin's fix differs.
    pub async fn token_available(&self, token: &Token) -> Result<bool, KotError> {
        let url = self.url(&["tokens", token.expose(), "available"]);
        self.get_json::<TokenAvailability>(token, Budget::General, url, "/tokens/{token}/available")
            .await
            .map(|answer| answer.available)
    }

    /// `POST /tokens/{token}`: issues a new token with the same settings and suspends this one.
    pub async fn refresh_token(&self, token: &Token) -> Result<Token, KotError> {
        let url = self.url(&["tokens", token.expose()]);
        let call = Call::new(Budget::General, Method::POST, url, "/tokens/{token}");
        // The old token is suspended by now: losing the answer means losing the new token.
        let issued: IssuedToken = self
            .send(token, call, |answer| {
                serde_json::from_slice(answer.success()?).map_err(|e| KotError::OutcomeUnknown {
                    reason: format!("token answer unreadable: {e}"),
                })
            })
            .await?;
        Ok(Token::new(issued.token))
    }

    /// `DELETE /tokens/{token}`: suspends the token.
    pub async fn delete_token(&self, token: &Token) -> Result<(), KotError> {
        let url = self.url(&["tokens", token.expose()]);
        let call = Call::new(Budget::General, Method::DELETE, url, "/tokens/{token}");
        self.send(token, call, |answer| answer.success().map(drop))
            .await
    }

    /// The base URL with `segments` appended, each percent-encoded as one path segment (an
    /// employee code may contain `/` or `%`).
    pub(crate) fn url(&self, segments: &[&str]) -> Url {
        let mut url = self.inner.base_url.clone();
        if let Ok(mut path) = url.path_segments_mut() {
            path.pop_if_empty().extend(segments);
        }
        url
    }

    /// A GET whose 2xx answer is JSON of type `T`; any other answer is classified as a read's.
    pub(crate) async fn get_json<T: DeserializeOwned>(
        &self,
        token: &Token,
        budget: Budget,
        url: Url,
        endpoint: &'static str,
    ) -> Result<T, KotError> {
        let call = Call::new(budget, Method::GET, url, endpoint);
        self.send(token, call, |answer| decode(answer.success()?))
            .await
    }

    /// Paces, sends, and classifies the answer with `classify`, all in one `kot.request` span,
    /// so that the span and the metrics see the decoded outcome (a 2xx may still carry code
    /// 303, or be unreadable).
    pub(crate) async fn send<T>(
        &self,
        token: &Token,
        call: Call,
        classify: impl FnOnce(Answer<'_>) -> Result<T, KotError>,
    ) -> Result<T, KotError> {
        let (budget, endpoint, method) = (call.budget, call.endpoint, call.method.clone());
        let span = telemetry::request_span(&method, endpoint, budget);
        async {
            let waiting = Instant::now();
            self.inner.limiters.acquire(token, budget).await;
            telemetry::record_wait(&span, budget, waiting.elapsed());
            let started = Instant::now();
            let answer = self.exchange(token, call, &span).await;
            let took = started.elapsed();
            let result = answer.and_then(|(status, bytes)| {
                let answer = Answer {
                    status,
                    body: &bytes,
                    secret: token.expose(),
                };
                classify(answer).inspect_err(|error| {
                    telemetry::record_error_code(&span, &bytes);
                    tracing::debug!(%method, endpoint, status, error = %error, "king of time call failed");
                })
            });
            telemetry::record_outcome(&span, &method, endpoint, &result, took);
            result
        }
        .instrument(span.clone())
        .await
    }

    /// One HTTP exchange: the status and body of whatever answer came, or the transport error.
    /// `call.endpoint` is the path template used in logs: URLs are never logged because
    /// `/tokens/{token}` carries the secret.
    async fn exchange(
        &self,
        token: &Token,
        call: Call,
        span: &tracing::Span,
    ) -> Result<(u16, Vec<u8>), KotError> {
        let Call {
            method,
            url,
            body,
            endpoint,
            ..
        } = call;
        let mut request = self
            .inner
            .http
            .request(method.clone(), url)
            .bearer_auth(token.expose())
            .header(header::CONTENT_TYPE, CONTENT_TYPE_JSON)
            .header(header::ACCEPT, "application/json");
        if let Some(body) = body {
            request = request.body(body);
        }
        let secret = token.expose();
        let response = request
            .send()
            .await
            .map_err(|e| transport_error(&e, secret))?;
        let status = response.status().as_u16();
        telemetry::record_status(span, status);
        let bytes = response
            .bytes()
            .await
            .map_err(|e| KotError::OutcomeUnknown {
                reason: format!("reading HTTP {status} answer: {}", describe(&e, secret)),
            })?;
        tracing::debug!(%method, endpoint, status, token = %token.fingerprint(), "king of time call");
        Ok((status, bytes.to_vec()))
    }
}

/// One HTTP answer as it came, for the endpoint's classification.
pub(crate) struct Answer<'a> {
    pub status: u16,
    pub body: &'a [u8],
    /// The token, to be removed from any text taken from the answer.
    pub secret: &'a str,
}

impl Answer<'_> {
    /// The body of a 2xx answer; any other answer classified as the error of a read (or of a
    /// token call), where repeating is safe.
    pub(crate) fn success(&self) -> Result<&[u8], KotError> {
        if (200..300).contains(&self.status) {
            Ok(self.body)
        } else {
            Err(KotError::from_response(self.status, self.body, self.secret))
        }
    }
}

/// One request as [`KotClient::send`] takes it. `endpoint` is the path template (e.g.
/// `/tokens/{token}`) that logs, spans and metrics show instead of the URL.
pub(crate) struct Call {
    budget: Budget,
    method: Method,
    url: Url,
    body: Option<Vec<u8>>,
    endpoint: &'static str,
}

impl Call {
    pub(crate) fn new(budget: Budget, method: Method, url: Url, endpoint: &'static str) -> Self {
        Self {
            budget,
            method,
            url,
            body: None,
            endpoint,
        }
    }
}

fn additional_fields(query: &EmployeeQuery) -> Vec<String> {
    let mut fields = query.additional_fields.clone();
    if query.include_resigned && !fields.iter().any(|f| f == "resignationDate") {
        fields.push("resignationDate".to_owned());
    }
    fields
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn employee_codes_are_one_encoded_segment() {
        let client = KotClient::new(KotConfig::default()).unwrap();
        let url = client.url(&["employees", "A/0 1%"]);
        assert_eq!(
            url.as_str(),
            "https://api.kingtime.jp/v1.0/employees/A%2F0%201%25"
        );
    }

    #[test]
    fn resigners_bring_resignation_date() {
        let query = EmployeeQuery {
            include_resigned: true,
            ..Default::default()
        };
        assert_eq!(
            additional_fields(&query),
            vec!["resignationDate".to_owned()]
        );
        assert!(additional_fields(&EmployeeQuery::default()).is_empty());
    }
}

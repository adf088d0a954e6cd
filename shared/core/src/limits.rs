//! Oversized requests answer RESOURCE_EXHAUSTED naming the limit, as the contract says. tonic
//! refuses a message over a service's `max_decoding_message_size` by itself, before any handler
//! runs, and answers OUT_OF_RANGE; this layer rewrites exactly that answer and nothing else (a
//! handler's own OUT_OF_RANGE passes through).

use std::task::{Context, Poll};

use futures::future::BoxFuture;
use tonic::{Code, Status};

/// How tonic's decoder words the refusal (tonic `codec/decode.rs`); the end-to-end test of an
/// oversized request notices when a tonic upgrade rewords it.
const TONIC_DECODE_LIMIT: &str = "Error, decoded message length too large";

/// Maps tonic's decoding-limit answer to RESOURCE_EXHAUSTED.
#[derive(Clone, Copy, Debug)]
pub struct MessageLimitLayer {
    /// The configured limit, for the message when tonic's text cannot be read.
    limit: usize,
}

impl MessageLimitLayer {
    pub fn new(limit: usize) -> Self {
        Self { limit }
    }
}

impl<S> tower::Layer<S> for MessageLimitLayer {
    type Service = MessageLimit<S>;
    fn layer(&self, inner: S) -> Self::Service {
        MessageLimit {
            inner,
            limit: self.limit,
        }
    }
}

#[derive(Clone, Debug)]
pub struct MessageLimit<S> {
    inner: S,
    limit: usize,
}

impl<S, B> tower::Service<http::Request<B>> for MessageLimit<S>
where
    S: tower::Service<http::Request<B>, Response = http::Response<tonic::body::Body>>,
    S::Future: Send + 'static,
{
    type Response = S::Response;
    type Error = S::Error;
    type Future = BoxFuture<'static, Result<Self::Response, Self::Error>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: http::Request<B>) -> Self::Future {
        let limit = self.limit;
        let answer = self.inner.call(request);
        Box::pin(async move { Ok(rewrite(answer.await?, limit)) })
    }
}

/// The answer, or RESOURCE_EXHAUSTED in place of tonic's decoding-limit OUT_OF_RANGE. That
/// refusal is a trailers-only answer: its status is in the headers, the body is empty.
fn rewrite(
    response: http::Response<tonic::body::Body>,
    limit: usize,
) -> http::Response<tonic::body::Body> {
    let Some(status) = Status::from_header_map(response.headers()) else {
        return response;
    };
    if status.code() != Code::OutOfRange || !status.message().starts_with(TONIC_DECODE_LIMIT) {
        return response;
    }
    let (found, limit) = sizes(status.message()).unwrap_or((None, limit));
    let size = found.map_or_else(String::new, |found| format!(" ({found} bytes)"));
    tracing::info!(
        limit,
        found = found.unwrap_or_default(),
        "request over the message size limit refused"
    );
    Status::resource_exhausted(format!(
        "the request message{size} is larger than this server's limit of {limit} bytes (server.max_message_bytes); send it in smaller batches"
    ))
    .into_http()
}

/// (found, limit) from "…: found {len} bytes, the limit is: {limit} bytes".
fn sizes(message: &str) -> Option<(Option<usize>, usize)> {
    let number_after = |marker: &str| -> Option<usize> {
        let rest = &message[message.find(marker)? + marker.len()..];
        let digits: String = rest
            .trim_start()
            .chars()
            .take_while(char::is_ascii_digit)
            .collect();
        digits.parse().ok()
    };
    Some((number_after("found "), number_after("the limit is:")?))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn answer(status: Status) -> http::Response<tonic::body::Body> {
        status.into_http()
    }

    #[test]
    fn tonics_decoding_limit_becomes_resource_exhausted_with_the_limit() {
        let tonic_says = Status::out_of_range(
            "Error, decoded message length too large: found 5000 bytes, the limit is: 2048 bytes",
        );
        let rewritten = rewrite(answer(tonic_says), 9999);
        let status = Status::from_header_map(rewritten.headers()).unwrap();
        assert_eq!(status.code(), Code::ResourceExhausted);
        assert!(
            status.message().contains("2048 bytes"),
            "{}",
            status.message()
        );
        assert!(
            status.message().contains("5000 bytes"),
            "{}",
            status.message()
        );
        assert!(
            status.message().contains("server.max_message_bytes"),
            "{}",
            status.message()
        );
    }

    #[test]
    fn other_answers_pass_through() {
        let own = rewrite(answer(Status::out_of_range("page 9 does not exist")), 2048);
        let status = Status::from_header_map(own.headers()).unwrap();
        assert_eq!(status.code(), Code::OutOfRange);
        assert_eq!(status.message(), "page 9 does not exist");
        let ok = http::Response::new(tonic::body::Body::empty());
        assert!(Status::from_header_map(rewrite(ok, 2048).headers()).is_none());
    }

    #[test]
    fn an_unreadable_text_still_names_the_configured_limit() {
        let odd = Status::out_of_range("Error, decoded message length too large");
        let status = Status::from_header_map(rewrite(answer(odd), 4096).headers()).unwrap();
        assert_eq!(status.code(), Code::ResourceExhausted);
        assert!(
            status.message().contains("4096 bytes"),
            "{}",
            status.message()
        );
    }
}

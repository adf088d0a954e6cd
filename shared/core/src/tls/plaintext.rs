//! A plaintext gRPC client on a TLS port: instead of closing the connection (which the client
//! reports as a reset or a missing server preface, leaving its operator to guess), the server
//! answers every call on it in plaintext HTTP/2 with UNAVAILABLE and a message saying to use
//! TLS. Nothing else is served on such a connection, and it closes after a few seconds.

use std::convert::Infallible;
use std::time::Duration;

use bytes::Bytes;
use http_body_util::Empty;
use hyper_util::rt::{TokioExecutor, TokioIo};
use tokio::net::TcpStream;

/// The message a plaintext caller reads.
pub const TLS_REQUIRED: &str = "this server requires TLS: call it with an https:// URL (grpcurl: without -plaintext, with -cacert; and -cert/-key where it requires client certificates)";

/// How long the plaintext connection may stay open for its answers.
const ANSWER_TIME: Duration = Duration::from_secs(5);

pub async fn refuse(tcp: TcpStream) {
    let service = hyper::service::service_fn(|_request| async {
        let mut response = http::Response::new(Empty::<Bytes>::new());
        let headers = response.headers_mut();
        headers.insert(
            http::header::CONTENT_TYPE,
            http::HeaderValue::from_static("application/grpc"),
        );
        // A trailers-only answer: UNAVAILABLE (14) and why.
        headers.insert("grpc-status", http::HeaderValue::from_static("14"));
        headers.insert("grpc-message", http::HeaderValue::from_static(TLS_REQUIRED));
        Ok::<_, Infallible>(response)
    });
    let connection = hyper::server::conn::http2::Builder::new(TokioExecutor::new())
        .serve_connection(TokioIo::new(tcp), service);
    // A client that is not HTTP/2 at all gets the connection closed; nothing to report.
    let _ = tokio::time::timeout(ANSWER_TIME, connection).await;
}

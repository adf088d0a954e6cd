//! The server's accept loop over TLS: each accepted TCP connection gets its handshake in a task
//! of its own (a slow or silent client holds up nobody, and gives up after
//! [`HANDSHAKE_TIMEOUT`]), with the rustls config as the files are at that moment; finished
//! connections go to tonic as a stream. A connection that opens in plaintext is answered in
//! plaintext with a gRPC status saying TLS is required ([`super::plaintext`]), so a
//! misconfigured client reads why instead of a bare reset.

use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use futures::Stream;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc;
use tonic::transport::server::{Connected, TcpConnectInfo};

use super::server::{PeerNames, ServerTls};

/// How long a client may take to complete its handshake.
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);

/// The first byte of a TLS record carrying a handshake message (RFC 8446 section 5.1).
const TLS_HANDSHAKE_RECORD: u8 = 0x16;

/// One connection after its handshake.
pub struct TlsConn {
    stream: tokio_rustls::server::TlsStream<TcpStream>,
    info: TlsConnectInfo,
}

/// What every call on a TLS connection carries in its request extensions.
#[derive(Debug, Clone)]
pub struct TlsConnectInfo {
    pub tcp: TcpConnectInfo,
    /// The verified client certificate's names (empty without mutual TLS).
    pub names: PeerNames,
}

impl Connected for TlsConn {
    type ConnectInfo = TlsConnectInfo;
    fn connect_info(&self) -> Self::ConnectInfo {
        self.info.clone()
    }
}

impl AsyncRead for TlsConn {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().stream).poll_read(cx, buf)
    }
}

impl AsyncWrite for TlsConn {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().stream).poll_write(cx, buf)
    }
    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().stream).poll_flush(cx)
    }
    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().stream).poll_shutdown(cx)
    }
    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().stream).poll_write_vectored(cx, bufs)
    }
    fn is_write_vectored(&self) -> bool {
        self.stream.is_write_vectored()
    }
}

/// The TLS connections accepted on `listener`, for `serve_with_incoming_shutdown`. When the
/// server drops the stream (shutdown), the accept loop ends and the listening socket closes.
pub fn incoming(
    listener: TcpListener,
    tls: Arc<ServerTls>,
) -> impl Stream<Item = Result<TlsConn, io::Error>> + Send + 'static {
    let (sender, mut receiver) = mpsc::channel::<TlsConn>(64);
    tokio::spawn(accept_loop(listener, tls, sender));
    futures::stream::poll_fn(move |cx| receiver.poll_recv(cx).map(|next| next.map(Ok)))
}

async fn accept_loop(listener: TcpListener, tls: Arc<ServerTls>, sender: mpsc::Sender<TlsConn>) {
    loop {
        let accepted = tokio::select! {
            accepted = listener.accept() => accepted,
            () = sender.closed() => return,
        };
        let (tcp, remote) = match accepted {
            Ok(accepted) => accepted,
            Err(error) => {
                // Out of file descriptors and the like: wait a moment instead of spinning.
                tracing::warn!(%error, "cannot accept a connection");
                tokio::time::sleep(Duration::from_millis(100)).await;
                continue;
            }
        };
        // As tonic's own incoming sets it: no 40 ms wait for the peer's delayed ACK per answer.
        let _ = tcp.set_nodelay(true);
        let (tls, sender) = (tls.clone(), sender.clone());
        tokio::spawn(async move {
            match tokio::time::timeout(HANDSHAKE_TIMEOUT, handshake(tcp, remote, &tls)).await {
                Ok(Ok(Some(connection))) => {
                    let _ = sender.send(connection).await;
                }
                Ok(Ok(None)) => {}
                // A caller without a certificate from the client CA, a plaintext caller, a port
                // scan: worth a line, not a warning (the caller is the one to fix).
                Ok(Err(error)) => tracing::info!(%remote, %error, "TLS handshake refused"),
                Err(_) => tracing::info!(%remote, "TLS handshake timed out"),
            }
        });
    }
}

/// The handshake on one connection; `None` when it was answered in plaintext or closed.
async fn handshake(
    tcp: TcpStream,
    remote: SocketAddr,
    tls: &ServerTls,
) -> io::Result<Option<TlsConn>> {
    let mut first = [0_u8; 1];
    if tcp.peek(&mut first).await? == 0 {
        return Ok(None);
    }
    if first[0] != TLS_HANDSHAKE_RECORD {
        tracing::info!(%remote, "plaintext connection on the TLS port: answered that TLS is required");
        tokio::spawn(super::plaintext::refuse(tcp));
        return Ok(None);
    }
    let local = tcp.local_addr().ok();
    let stream = tokio_rustls::TlsAcceptor::from(tls.current())
        .accept(tcp)
        .await?;
    let names = stream
        .get_ref()
        .1
        .peer_certificates()
        .and_then(|chain| chain.first())
        .map(PeerNames::of_certificate)
        .unwrap_or_default();
    Ok(Some(TlsConn {
        stream,
        info: TlsConnectInfo {
            tcp: TcpConnectInfo {
                local_addr: local,
                remote_addr: Some(remote),
            },
            names,
        },
    }))
}

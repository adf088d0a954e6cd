//! The client side: the rustls config built from `[peers.tls]` (rebuilt when its files change),
//! and the connector tonic dials through — plain TCP for `http://`, TLS for `https://`, verified
//! against the CA bundle, presenting this process's certificate where one is configured.

use std::io;
use std::path::PathBuf;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use futures::future::BoxFuture;
use hyper_util::rt::TokioIo;
use rustls::ClientConfig;
use rustls_pki_types::ServerName;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;

use super::config::ClientTlsConfig;
use super::{Watched, alpn, pem, provider};

/// How this process dials TLS peers.
#[derive(Debug)]
pub struct ClientTls {
    config: Watched<ClientConfig>,
}

impl ClientTls {
    /// Reads the files once; an error names the setting's file and what is wrong with it.
    pub fn load(settings: &ClientTlsConfig) -> Result<Arc<Self>, String> {
        settings.validate()?;
        let mut paths = vec![PathBuf::from(&settings.ca_file)];
        if settings.has_identity() {
            paths.push(PathBuf::from(&settings.cert_file));
            paths.push(PathBuf::from(&settings.key_file));
        }
        let names = settings.clone();
        let config = Watched::load("client TLS", paths, move |contents| build(&names, contents))
            .map_err(|why| format!("peers.tls: {why}"))?;
        Ok(Arc::new(Self { config }))
    }

    pub fn current(&self) -> Arc<ClientConfig> {
        self.config.current()
    }
}

fn build(settings: &ClientTlsConfig, contents: &[Vec<u8>]) -> Result<ClientConfig, String> {
    let roots = pem::roots(&settings.ca_file, &contents[0])?;
    let builder = ClientConfig::builder_with_provider(provider())
        .with_safe_default_protocol_versions()
        .map_err(|error| format!("TLS versions: {error}"))?
        .with_root_certificates(roots);
    let mut config = match (contents.get(1), contents.get(2)) {
        (Some(cert), Some(key)) => {
            let chain = pem::certificates(&settings.cert_file, cert)?;
            let key = pem::private_key(&settings.key_file, key)?;
            builder.with_client_auth_cert(chain, key).map_err(|error| {
                format!(
                    "{} and {} are not a certificate and its key: {error}",
                    settings.cert_file, settings.key_file
                )
            })?
        }
        _ => builder.with_no_client_auth(),
    };
    config.alpn_protocols = alpn();
    Ok(config)
}

/// What tonic's channel dials through (`Endpoint::connect_with_connector`). Each new connection
/// takes the client config as its files are at that moment, so a renewed client certificate is
/// presented from the next connection on.
#[derive(Debug, Clone, Default)]
pub struct Connector {
    tls: Option<Arc<ClientTls>>,
}

impl Connector {
    pub fn new(tls: Option<Arc<ClientTls>>) -> Self {
        Self { tls }
    }
}

impl tower::Service<http::Uri> for Connector {
    type Response = TokioIo<MaybeTlsStream>;
    type Error = io::Error;
    type Future = BoxFuture<'static, Result<Self::Response, Self::Error>>;

    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, uri: http::Uri) -> Self::Future {
        let tls = self.tls.clone();
        Box::pin(async move { dial(&uri, tls).await.map(TokioIo::new) })
    }
}

async fn dial(uri: &http::Uri, tls: Option<Arc<ClientTls>>) -> io::Result<MaybeTlsStream> {
    let https = uri.scheme_str() == Some("https");
    let host = uri
        .host()
        .map(|host| host.trim_start_matches('[').trim_end_matches(']'))
        .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, format!("{uri}: no host")))?;
    let port = uri.port_u16().unwrap_or(if https { 443 } else { 80 });
    let tcp = TcpStream::connect((host, port)).await?;
    let _ = tcp.set_nodelay(true);
    if !https {
        return Ok(MaybeTlsStream::Plain(tcp));
    }
    let Some(tls) = tls else {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("{uri} is https:// but peers.tls.ca_file is not set"),
        ));
    };
    let name = ServerName::try_from(host.to_owned()).map_err(|error| {
        io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("{host} is no server name: {error}"),
        )
    })?;
    let stream = tokio_rustls::TlsConnector::from(tls.current())
        .connect(name, tcp)
        .await?;
    Ok(MaybeTlsStream::Tls(Box::new(stream)))
}

/// A connection to a peer: plain TCP (`http://`, loopback or behind a mesh) or TLS.
pub enum MaybeTlsStream {
    Plain(TcpStream),
    Tls(Box<tokio_rustls::client::TlsStream<TcpStream>>),
}

impl AsyncRead for MaybeTlsStream {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Self::Plain(tcp) => Pin::new(tcp).poll_read(cx, buf),
            Self::Tls(tls) => Pin::new(tls.as_mut()).poll_read(cx, buf),
        }
    }
}

impl AsyncWrite for MaybeTlsStream {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        match self.get_mut() {
            Self::Plain(tcp) => Pin::new(tcp).poll_write(cx, buf),
            Self::Tls(tls) => Pin::new(tls.as_mut()).poll_write(cx, buf),
        }
    }
    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Self::Plain(tcp) => Pin::new(tcp).poll_flush(cx),
            Self::Tls(tls) => Pin::new(tls.as_mut()).poll_flush(cx),
        }
    }
    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Self::Plain(tcp) => Pin::new(tcp).poll_shutdown(cx),
            Self::Tls(tls) => Pin::new(tls.as_mut()).poll_shutdown(cx),
        }
    }
}

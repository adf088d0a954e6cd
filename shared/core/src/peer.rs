//! A channel to another kintai service: every call presents this process's caller credentials
//! and carries the current trace context.

use tonic::service::interceptor::InterceptedService;
use tonic::transport::Channel;

use crate::auth::ClientCredentials;
use crate::telemetry::ClientTrace;

/// What the tonic clients of our own services run on.
pub type PeerChannel = ClientTrace<InterceptedService<Channel, ClientCredentials>>;

/// Wraps a connected (or lazy) channel.
pub fn peer_channel(channel: Channel, credentials: ClientCredentials) -> PeerChannel {
    ClientTrace::new(InterceptedService::new(channel, credentials))
}

/// A channel to `url` that connects on first use, so a process can build it before its peer
/// (possibly itself, in `kintai dev`) listens.
pub fn lazy_channel(url: &str) -> anyhow::Result<Channel> {
    use anyhow::Context;
    Ok(tonic::transport::Endpoint::from_shared(url.to_owned())
        .with_context(|| format!("{url:?} is not a URL"))?
        .connect_timeout(std::time::Duration::from_secs(10))
        .timeout(std::time::Duration::from_secs(60))
        .connect_lazy())
}

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

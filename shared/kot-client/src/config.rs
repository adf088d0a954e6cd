//! Client configuration with the documented defaults.

use std::time::Duration;

use url::Url;

/// The production base URL \[official\].
pub const DEFAULT_BASE_URL: &str = "https://api.kingtime.jp/v1.0";

/// A request budget: at most `requests` per `per`, per token.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateLimit {
    pub requests: u32,
    pub per: Duration,
}

impl RateLimit {
    /// 500 requests per 5 minutes for everything but the punch APIs \[seen\].
    pub const GENERAL: Self = Self {
        requests: 500,
        per: Duration::from_secs(300),
    };
    /// 2000 requests per 5 minutes for the punch (`/daily-workings/timerecord`) APIs \[seen\].
    pub const PUNCH: Self = Self {
        requests: 2000,
        per: Duration::from_secs(300),
    };
}

#[derive(Debug, Clone)]
pub struct KotConfig {
    /// Everything up to and including `/v1.0`; pointing at the simulator changes only the host.
    pub base_url: Url,
    /// Whole-request deadline. A punch that times out is [`crate::KotError::OutcomeUnknown`].
    pub request_timeout: Duration,
    /// TCP/TLS connect deadline. A connect timeout is [`crate::KotError::NotSent`].
    pub connect_timeout: Duration,
    pub general_limit: RateLimit,
    pub punch_limit: RateLimit,
    pub user_agent: String,
}

impl Default for KotConfig {
    fn default() -> Self {
        Self {
            base_url: default_base_url(),
            request_timeout: Duration::from_secs(30),
            connect_timeout: Duration::from_secs(10),
            general_limit: RateLimit::GENERAL,
            punch_limit: RateLimit::PUNCH,
            user_agent: concat!("kintai-link/", env!("CARGO_PKG_VERSION")).to_owned(),
        }
    }
}

fn default_base_url() -> Url {
    // A literal with scheme and host: parsing cannot fail, whatever the input of the program.
    #[allow(clippy::expect_used)]
    Url::parse(DEFAULT_BASE_URL).expect("DEFAULT_BASE_URL is a valid URL")
}

//! How this process reaches KING OF TIME: the real API, another endpoint, or — in `kintai dev`
//! and `kintai kot-sim` — the built-in simulator seeded with the manual's example company.

use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use kot_client::{KotClient, KotConfig, RateLimit};
use kot_sim::{NewEmployee, SimConfig, Simulator, TokenOptions};

use crate::config::Config;

/// The simulator company of `kintai dev` and its token (the README's walkthrough uses it).
pub const DEV_COMPANY_CODE: &str = "cyzen3";
pub const DEV_TOKEN: &str = "0123456789abcdef0123456789abcdef";

/// A client for `base_url` with the configured timeouts and rate limits.
pub fn client(config: &Config, base_url: &str) -> anyhow::Result<Arc<KotClient>> {
    let window = Duration::from_secs(config.kot.window_secs);
    let kot_config = KotConfig {
        base_url: base_url
            .parse()
            .with_context(|| format!("kot.base_url {base_url:?} is not a URL"))?,
        request_timeout: Duration::from_secs(config.kot.request_timeout_secs),
        connect_timeout: Duration::from_secs(config.kot.connect_timeout_secs),
        general_limit: RateLimit {
            requests: config.kot.general_requests,
            per: window,
        },
        punch_limit: RateLimit {
            requests: config.kot.punch_requests,
            per: window,
        },
        ..KotConfig::default()
    };
    Ok(Arc::new(
        KotClient::new(kot_config).context("cannot build the KING OF TIME client")?,
    ))
}

/// The base URL outside laptop mode: the configured one or the production API.
pub fn production_base_url(config: &Config) -> String {
    if config.kot.base_url.is_empty() {
        kot_client::DEFAULT_BASE_URL.to_owned()
    } else {
        config.kot.base_url.clone()
    }
}

/// A simulator with the manual's example company: employees 市ヶ谷 いちこ (U000123), 湊山 信輔
/// (U000124) and 千住 五郎 (U000528, one zero more than his cyzen code U00528), and one token.
/// 湊山 works night shifts in a division whose day starts at 05:00 (日付変更時間), so the
/// working-day rule meets a non-zero border in `kintai dev` and the demo.
pub fn seeded_simulator() -> anyhow::Result<Simulator> {
    let sim = Simulator::new(SimConfig::default());
    sim.create_company(DEV_COMPANY_CODE)?;
    sim.add_token(DEV_COMPANY_CODE, DEV_TOKEN, TokenOptions::default())?;
    sim.add_division(DEV_COMPANY_CODE, "1000", "本社", chrono::NaiveTime::MIN)?;
    let five = chrono::NaiveTime::from_hms_opt(5, 0, 0).unwrap_or_default();
    sim.add_division(DEV_COMPANY_CODE, "2000", "夜勤センター", five)?;
    for (code, last_name, first_name, division) in [
        ("U000123", "市ヶ谷", "いちこ", "1000"),
        ("U000124", "湊山", "信輔", "2000"),
        ("U000528", "千住", "五郎", "1000"),
    ] {
        sim.add_employee(
            DEV_COMPANY_CODE,
            NewEmployee {
                code: code.to_owned(),
                last_name: last_name.to_owned(),
                first_name: first_name.to_owned(),
                division_code: division.to_owned(),
                resigned_on: None,
            },
        )?;
    }
    Ok(sim)
}

/// `kintai kot-sim`: the seeded simulator as its own process (API under /v1.0, admin under /_admin).
pub async fn run_simulator(listen: std::net::SocketAddr) -> anyhow::Result<()> {
    let listener = tokio::net::TcpListener::bind(listen)
        .await
        .with_context(|| format!("cannot listen on {listen}"))?;
    let address = listener.local_addr()?;
    let sim = seeded_simulator()?;
    tracing::info!(
        %address,
        company = DEV_COMPANY_CODE,
        "KING OF TIME simulator serving on http://{address}/v1.0 (admin API under /_admin)"
    );
    sim.serve(listener, kintai_core::server::shutdown_signal())
        .await?;
    Ok(())
}

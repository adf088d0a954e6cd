//! A simulator with one company, two divisions and three employees, and a client pointed at it.
#![allow(dead_code)]

use std::time::Duration;

use chrono::{DateTime, FixedOffset, NaiveDate, NaiveTime};
use kot_client::{KotClient, KotConfig, RateLimit, Token};
use kot_sim::{Clock, NewEmployee, SimConfig, SimHandle, Simulator, TokenOptions};

pub const COMPANY: &str = "acme";
pub const SECRET: &str = "0123456789abcdef0123456789abcdef";

pub struct Fixture {
    pub handle: SimHandle,
    pub sim: Simulator,
    pub client: KotClient,
    pub token: Token,
    /// U000123, division 100, active.
    pub ichiko: String,
    /// 00124 (leading zeros), division 200 (night shift, day border 05:00), active.
    pub shinsuke: String,
    /// R00001, resigned on 2024-05-31.
    pub goro: String,
}

pub use kintai_testkit::day;
/// An instant given in JST, as a `DateTime<Utc>`: `utc("2024-06-03T12:00:00")`.
pub use kintai_testkit::jst as utc;

/// An instant given in JST and kept in JST's offset (what the client's requests carry), e.g.
/// `jst("2024-06-03T12:00:00")`.
pub fn jst(local: &str) -> DateTime<FixedOffset> {
    utc(local).with_timezone(&kot_client::jst())
}

/// Limits generous enough that pacing never slows a test down.
pub fn fast_config(handle: &SimHandle) -> KotConfig {
    let unlimited = RateLimit {
        requests: 100_000,
        per: Duration::from_secs(1),
    };
    KotConfig {
        base_url: handle.base_url.clone(),
        request_timeout: Duration::from_secs(10),
        connect_timeout: Duration::from_secs(5),
        general_limit: unlimited,
        punch_limit: unlimited,
        ..KotConfig::default()
    }
}

/// Simulator frozen at Monday 2024-06-03 12:00 JST (outside the restricted hours).
pub async fn fixture() -> Fixture {
    fixture_with(SimConfig {
        clock: Clock::Fixed(utc("2024-06-03T12:00:00")),
        ..SimConfig::default()
    })
    .await
}

pub async fn fixture_with(config: SimConfig) -> Fixture {
    let sim = Simulator::new(config);
    sim.create_company(COMPANY).unwrap();
    sim.add_token(COMPANY, SECRET, TokenOptions::default())
        .unwrap();
    sim.add_division(COMPANY, "100", "本社", NaiveTime::MIN)
        .unwrap();
    sim.add_division(
        COMPANY,
        "200",
        "夜勤",
        NaiveTime::from_hms_opt(5, 0, 0).unwrap(),
    )
    .unwrap();
    let employee =
        |code: &str, last: &str, division: &str, resigned_on: Option<NaiveDate>| NewEmployee {
            code: code.into(),
            last_name: last.into(),
            first_name: "太郎".into(),
            division_code: division.into(),
            resigned_on,
        };
    let ichiko = sim
        .add_employee(COMPANY, employee("U000123", "市ヶ谷", "100", None))
        .unwrap();
    let shinsuke = sim
        .add_employee(COMPANY, employee("00124", "湊山", "200", None))
        .unwrap();
    let goro = sim
        .add_employee(
            COMPANY,
            employee("R00001", "千住", "100", Some(day("2024-05-31"))),
        )
        .unwrap();
    let handle = sim.spawn_local().await.unwrap();
    let client = KotClient::new(fast_config(&handle)).unwrap();
    Fixture {
        sim,
        client,
        token: Token::new(SECRET),
        ichiko,
        shinsuke,
        goro,
        handle,
    }
}

/// How many answers to `method path` the simulator logged with this status.
pub fn count(sim: &Simulator, method: &str, path: &str, status: Option<u16>) -> usize {
    sim.request_log()
        .iter()
        .filter(|e| e.method == method && e.path == path && e.status == status)
        .count()
}

//! `kintai demo`: the whole product on a laptop in one command. It starts the three services and
//! the KING OF TIME simulator in this process, sets up the manual's example company through the
//! real gRPC APIs, records a week of punches, matches, syncs, prints what an admin and KING OF
//! TIME see, and succeeds only if KING OF TIME holds exactly the punches that should be there.

mod calls;
mod data;
mod days;
mod report;
mod steps;
mod verify;

use anyhow::Context;
use kintai_i18n::Lang;
use tonic::service::interceptor::InterceptedService;
use tonic::transport::Channel;

use calls::AcceptLanguage;
use steps::Tour;

use crate::config::Config;
use crate::dev::{DevOptions, DevStack};

const STEPS: usize = 10;

fn step(number: usize, text: &str) {
    println!("[{number}/{STEPS}] {text}");
}

/// Runs the demo; `Ok(true)` when KING OF TIME holds exactly what was expected.
pub async fn demo(config: &Config, keep: bool, lang: Lang) -> anyhow::Result<bool> {
    let data_dir = tempfile::Builder::new().prefix("kintai-demo-").tempdir()?;
    let listen = if keep {
        config.server.listen
    } else {
        "127.0.0.1:0".parse()?
    };
    step(
        1,
        "starting settings, matcher, syncer and the KING OF TIME simulator in this process",
    );
    let stack = DevStack::start(
        config,
        DevOptions {
            listen,
            data_dir: data_dir.path().to_owned(),
            now: Some(data::demo_now()),
            periodic: false,
        },
    )
    .await?;
    let sim = stack
        .simulator()
        .context("the demo needs the built-in simulator")?;
    let channel = Channel::from_shared(format!("http://{}", stack.address()))?
        .connect()
        .await?;
    println!(
        "      serving on {} (clock set to 2024-06-07 21:00 JST, the manual's screenshot week)",
        stack.address()
    );
    // Every call asks for the admin texts in the demo's language, as cyzen's admin site does.
    let tour = Tour::new(InterceptedService::new(channel, AcceptLanguage(lang)));
    let exact = walk(tour, &sim).await?;
    if keep {
        println!(
            "\nThe server keeps running on {} (data in {}); try:\n  grpcurl -plaintext {} list\nCtrl-C stops it.",
            stack.address(),
            data_dir.path().display(),
            stack.address()
        );
        kintai_core::server::shutdown_signal().await;
    }
    stack.stop().await?;
    Ok(exact)
}

/// Steps 2 to 10: the manual's story told through the APIs, then what KING OF TIME holds.
async fn walk(mut tour: Tour, sim: &kot_sim::Simulator) -> anyhow::Result<bool> {
    step(
        2,
        "admin: 勤怠連携 有効, KING OF TIME token registered after 承諾する",
    );
    tour.switch_on().await?;
    step(
        3,
        "cyzen pushes 5 users and the statuses; admin switches KING OF TIME連携 on for 4 (一括設定)",
    );
    tour.push_directory().await?;
    step(4, "the app records a week of punches (2024-06-03 to 06-07)");
    tour.record_week().await?;
    step(
        5,
        "matcher: user code = employee code (約1時間ごと; here once)",
    );
    tour.first_match().await?;
    step(6, "syncer: first run (数時間おき; here now)");
    tour.sync().await?;
    step(
        7,
        "湊山 信輔 enters Friday's 18:30 clock-out late (さかのぼり退勤); the next run sends it",
    );
    tour.late_clock_out().await?;
    step(
        8,
        "admin switches KING OF TIME連携 off for 市ヶ谷 市子: from that moment nothing of hers is sent (連携を停止する)",
    );
    tour.switch_off_and_on().await?;
    step(
        9,
        "admin fixes 千住 五郎's user code U00528 → U000528 (FAQ); the re-match links him and his week goes",
    );
    tour.fix_user_code().await?;
    step(10, "checking what KING OF TIME holds");
    tour.check(sim).await
}

fn indent(text: &str) -> String {
    text.lines()
        .map(|line| format!("  {line}"))
        .collect::<Vec<_>>()
        .join("\n")
}

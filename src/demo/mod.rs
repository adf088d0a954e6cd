//! `kintai demo`: the whole product on a laptop in one command. It starts the three services and
//! the KING OF TIME simulator in this process, sets up the manual's example company through the
//! real gRPC APIs, records a week of punches, matches, syncs, prints what an admin and KING OF
//! TIME see, and succeeds only if KING OF TIME holds exactly the punches that should be there.

mod calls;
mod data;
mod days;
mod report;
mod verify;

use std::collections::BTreeMap;

use anyhow::{Context, bail};
use kintai_i18n::Lang;
use kintai_proto::matcher::v1::RunMatchRequest;
use kintai_proto::matcher::v1::matcher_service_client::MatcherServiceClient;
use kintai_proto::settings::v1::settings_service_client::SettingsServiceClient;
use kintai_proto::settings::v1::*;
use kintai_proto::syncer::v1::RecordPunchesRequest;
use kintai_proto::syncer::v1::syncer_service_client::SyncerServiceClient;
use tonic::service::interceptor::InterceptedService;
use tonic::transport::Channel;

use calls::{AcceptLanguage, Api, all_links, all_punches, print_sync, set_link};
use verify::verify;

use crate::config::Config;
use crate::dev::{DevOptions, DevStack};
use crate::kot::{DEV_COMPANY_CODE, DEV_TOKEN};

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
    // Every call asks for the admin texts in the demo's language, as cyzen's admin site does.
    let channel = InterceptedService::new(channel, AcceptLanguage(lang));
    let mut settings = SettingsServiceClient::new(channel.clone());
    let mut matcher = MatcherServiceClient::new(channel.clone());
    let mut syncer = SyncerServiceClient::new(channel);
    let company_id = data::COMPANY_ID.to_owned();
    println!(
        "      serving on {} (clock set to 2024-06-07 21:00 JST, the manual's screenshot week)",
        stack.address()
    );

    step(
        2,
        "admin: 勤怠連携 有効, KING OF TIME token registered after 承諾する",
    );
    settings
        .update_integration(UpdateIntegrationRequest {
            company_id: company_id.clone(),
            enabled: true,
            vendor: 0,
        })
        .await?;
    settings
        .register_token(RegisterTokenRequest {
            company_id: company_id.clone(),
            token: DEV_TOKEN.to_owned(),
            acceptance: Some(TermsAcceptance {
                accepted_by: "admin@cyzen-demo.example".to_owned(),
                api_terms_accepted: true,
                data_sharing_consented: true,
                accepted_at: None,
            }),
        })
        .await?;

    step(
        3,
        "cyzen pushes 5 users and the statuses; admin switches KING OF TIME連携 on for 4 (一括設定)",
    );
    let pushed = settings
        .upsert_users(UpsertUsersRequest {
            company_id: company_id.clone(),
            users: data::users(),
        })
        .await?;
    for warning in &pushed.get_ref().warnings {
        println!("      warning for {}: {}", warning.id, warning.description);
    }
    settings
        .set_user_links(SetUserLinksRequest {
            company_id: company_id.clone(),
            links: data::ENABLED_USERS
                .iter()
                .map(|id| UserLinkFlag {
                    user_id: (*id).to_owned(),
                    enabled: true,
                })
                .collect(),
        })
        .await?;
    settings
        .upsert_statuses(UpsertStatusesRequest {
            company_id: company_id.clone(),
            statuses: data::statuses(),
        })
        .await?;
    let statuses = settings
        .list_statuses(ListStatusesRequest {
            company_id: company_id.clone(),
        })
        .await?
        .into_inner();
    let status_rows: Vec<Vec<String>> = statuses
        .statuses
        .iter()
        .map(|status| vec![status.name.clone(), status.mapping_label.clone()])
        .collect();
    println!(
        "{}\n",
        indent(&report::table(&["ステータス名", "連携"], &status_rows))
    );

    step(4, "the app records a week of punches (2024-06-03 to 06-07)");
    let mut recorded = data::week();
    let answer = syncer
        .record_punches(RecordPunchesRequest {
            company_id: company_id.clone(),
            punches: recorded.clone(),
        })
        .await?;
    let answer = answer.into_inner();
    println!(
        "      accepted {}, duplicates {}, rejected {}",
        answer.accepted, answer.duplicates, answer.rejected
    );
    if answer.rejected > 0 {
        bail!("the demo's punches were rejected: {:?}", answer.results);
    }

    step(
        5,
        "matcher: user code = employee code (約1時間ごと; here once)",
    );
    let matched = matcher
        .run_match(RunMatchRequest {
            company_id: company_id.clone(),
        })
        .await?
        .into_inner();
    for result in &matched.results {
        println!(
            "      {}: {} linked, {} not linked",
            result.outcome().as_str_name(),
            result.linked,
            result.unlinked
        );
    }

    days::print_borders(&all_links(&mut matcher, &company_id).await?);

    step(6, "syncer: first run (数時間おき; here now)");
    print_sync(&mut syncer, &company_id).await?;

    step(
        7,
        "湊山 信輔 enters Friday's 18:30 clock-out late (さかのぼり退勤); the next run sends it",
    );
    let late = data::late_clock_out();
    syncer
        .record_punches(RecordPunchesRequest {
            company_id: company_id.clone(),
            punches: vec![late.clone()],
        })
        .await?;
    recorded.push(late);
    print_sync(&mut syncer, &company_id).await?;

    step(
        8,
        "admin switches KING OF TIME連携 off for 市ヶ谷 市子: from that moment nothing of hers is sent (連携を停止する)",
    );
    set_link(&mut settings, &company_id, "u1", false).await?;
    let off = data::after_switch_off();
    syncer
        .record_punches(RecordPunchesRequest {
            company_id: company_id.clone(),
            punches: vec![off.clone()],
        })
        .await?;
    recorded.push(off);
    print_sync(&mut syncer, &company_id).await?;
    let shown = all_links(&mut matcher, &company_id).await?;
    if let Some(link) = shown.iter().find(|link| link.user_id == "u1") {
        println!(
            "      連携状況 at once, no match in between: KING OF TIME連携 {}",
            if link.kot_link_enabled {
                "有効"
            } else {
                "無効"
            }
        );
    }
    println!("      switched on again the same month: the held punch goes");
    set_link(&mut settings, &company_id, "u1", true).await?;
    print_sync(&mut syncer, &company_id).await?;

    step(
        9,
        "admin fixes 千住 五郎's user code U00528 → U000528 (FAQ); the re-match links him and his week goes",
    );
    settings
        .upsert_users(UpsertUsersRequest {
            company_id: company_id.clone(),
            users: vec![data::fixed_user()],
        })
        .await?;
    let shown = all_links(&mut matcher, &company_id).await?;
    if let Some(link) = shown.iter().find(|link| link.user_id == "u3") {
        println!(
            "      連携状況 at once: {} — {}",
            link.state_label, link.reason_text
        );
    }
    // What the matcher's dispatcher does within a minute of the change; here at once.
    matcher
        .run_match(RunMatchRequest {
            company_id: company_id.clone(),
        })
        .await?;
    print_sync(&mut syncer, &company_id).await?;

    step(10, "checking what KING OF TIME holds");
    let links = all_links(&mut matcher, &company_id).await?;
    let punches = all_punches(&mut syncer, &company_id).await?;
    let stored = sim.punches(DEV_COMPANY_CODE);
    let keys_by_user: BTreeMap<String, String> = links
        .iter()
        .filter(|link| !link.employee_key.is_empty())
        .map(|link| (link.user_id.clone(), link.employee_key.clone()))
        .collect();
    let names: BTreeMap<String, String> = links
        .iter()
        .filter(|link| !link.employee_key.is_empty())
        .map(|link| (link.employee_key.clone(), link.employee_name.clone()))
        .collect();

    println!(
        "\n連携状況 (アカウント連携状況)\n{}",
        indent(&report::links(&links))
    );
    println!(
        "\nKING OF TIME タイムカード (from the simulator)\n{}",
        indent(&report::timecard(
            &stored,
            &names,
            &report::places(&recorded, &keys_by_user)
        ))
    );
    println!(
        "\nWhat happened to each punch\n{}",
        indent(&report::summary(&punches))
    );
    // The day check ran at the end of each sync run (照合): what KING OF TIME made of each day.
    let checked = days::all_days(&mut syncer, &company_id, "2024-06-03", "2024-06-07").await?;
    println!(
        "\n照合 (day check: KING OF TIME's verdict on each day)\n{}",
        indent(&days::table(&checked, &links))
    );

    let verdict = verify(&recorded, &punches, &keys_by_user, &stored);
    match &verdict {
        Ok(count) => println!(
            "\nOK: KING OF TIME holds exactly the {count} punches that should be there, each once."
        ),
        Err(problem) => println!("\nMISMATCH: {problem}"),
    }
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
    Ok(verdict.is_ok())
}

fn indent(text: &str) -> String {
    text.lines()
        .map(|line| format!("  {line}"))
        .collect::<Vec<_>>()
        .join("\n")
}

//! The demo's story, one method per step: what the admin, the app and the services do, through
//! the same gRPC APIs cyzen calls. [`super::demo`] runs them in order.

use std::collections::BTreeMap;

use anyhow::bail;
use kintai_proto::matcher::v1::RunMatchRequest;
use kintai_proto::matcher::v1::matcher_service_client::MatcherServiceClient;
use kintai_proto::settings::v1::settings_service_client::SettingsServiceClient;
use kintai_proto::settings::v1::*;
use kintai_proto::syncer::v1::syncer_service_client::SyncerServiceClient;
use kintai_proto::syncer::v1::{PunchInput, RecordPunchesRequest};

use super::calls::{Api, all_links, all_punches, print_sync, set_link};
use super::verify::verify;
use super::{data, days, indent, report};
use crate::kot::{DEV_COMPANY_CODE, DEV_TOKEN};

/// The demo company's clients and every punch the app recorded so far.
pub(super) struct Tour {
    pub(super) settings: SettingsServiceClient<Api>,
    pub(super) matcher: MatcherServiceClient<Api>,
    pub(super) syncer: SyncerServiceClient<Api>,
    company_id: String,
    recorded: Vec<PunchInput>,
}

impl Tour {
    pub(super) fn new(api: Api) -> Self {
        Self {
            settings: SettingsServiceClient::new(api.clone()),
            matcher: MatcherServiceClient::new(api.clone()),
            syncer: SyncerServiceClient::new(api),
            company_id: data::COMPANY_ID.to_owned(),
            recorded: Vec::new(),
        }
    }

    /// Step 2: 勤怠連携 有効, and the token registered after 承諾する.
    pub(super) async fn switch_on(&mut self) -> anyhow::Result<()> {
        self.settings
            .update_integration(UpdateIntegrationRequest {
                company_id: self.company_id.clone(),
                enabled: true,
                vendor: 0,
            })
            .await?;
        self.settings
            .register_token(RegisterTokenRequest {
                company_id: self.company_id.clone(),
                token: DEV_TOKEN.to_owned(),
                acceptance: Some(TermsAcceptance {
                    accepted_by: "admin@cyzen-demo.example".to_owned(),
                    api_terms_accepted: true,
                    data_sharing_consented: true,
                    accepted_at: None,
                }),
            })
            .await?;
        Ok(())
    }

    /// Step 3: cyzen pushes the users and the statuses; the admin switches the link on for
    /// four of them at once (一括設定). Prints the statuses' 連携 labels.
    pub(super) async fn push_directory(&mut self) -> anyhow::Result<()> {
        let company_id = self.company_id.clone();
        let pushed = self
            .settings
            .upsert_users(UpsertUsersRequest {
                company_id: company_id.clone(),
                users: data::users(),
            })
            .await?;
        for warning in &pushed.get_ref().warnings {
            println!("      warning for {}: {}", warning.id, warning.description);
        }
        let links = data::ENABLED_USERS
            .iter()
            .map(|id| UserLinkFlag {
                user_id: (*id).to_owned(),
                enabled: true,
            })
            .collect();
        self.settings
            .set_user_links(SetUserLinksRequest {
                company_id: company_id.clone(),
                links,
            })
            .await?;
        self.settings
            .upsert_statuses(UpsertStatusesRequest {
                company_id: company_id.clone(),
                statuses: data::statuses(),
            })
            .await?;
        let statuses = self
            .settings
            .list_statuses(ListStatusesRequest { company_id })
            .await?
            .into_inner();
        let rows: Vec<Vec<String>> = statuses
            .statuses
            .iter()
            .map(|status| vec![status.name.clone(), status.mapping_label.clone()])
            .collect();
        println!(
            "{}\n",
            indent(&report::table(&["ステータス名", "連携"], &rows))
        );
        Ok(())
    }

    /// Step 4: the app records the week; any rejection ends the demo.
    pub(super) async fn record_week(&mut self) -> anyhow::Result<()> {
        let week = data::week();
        let answer = self.record(week).await?;
        println!(
            "      accepted {}, duplicates {}, rejected {}",
            answer.accepted, answer.duplicates, answer.rejected
        );
        if answer.rejected > 0 {
            bail!("the demo's punches were rejected: {:?}", answer.results);
        }
        Ok(())
    }

    /// Step 5: one match run, and the working-day borders it learnt.
    pub(super) async fn first_match(&mut self) -> anyhow::Result<()> {
        let matched = self.run_match().await?;
        for result in &matched.results {
            println!(
                "      {}: {} linked, {} not linked",
                result.outcome().as_str_name(),
                result.linked,
                result.unlinked
            );
        }
        days::print_borders(&all_links(&mut self.matcher, &self.company_id).await?);
        Ok(())
    }

    /// Steps 6 and later: a sync run, printed.
    pub(super) async fn sync(&mut self) -> anyhow::Result<()> {
        print_sync(&mut self.syncer, &self.company_id).await
    }

    /// Step 7: a clock-out entered late (さかのぼり退勤) goes with the next run.
    pub(super) async fn late_clock_out(&mut self) -> anyhow::Result<()> {
        self.record(vec![data::late_clock_out()]).await?;
        self.sync().await
    }

    /// Step 8: the link switched off for u1 holds her next punch at once (no match in between);
    /// switched on again the same month, it goes.
    pub(super) async fn switch_off_and_on(&mut self) -> anyhow::Result<()> {
        set_link(&mut self.settings, &self.company_id, "u1", false).await?;
        self.record(vec![data::after_switch_off()]).await?;
        self.sync().await?;
        let shown = all_links(&mut self.matcher, &self.company_id).await?;
        if let Some(link) = shown.iter().find(|link| link.user_id == "u1") {
            let state = if link.kot_link_enabled {
                "有効"
            } else {
                "無効"
            };
            println!("      連携状況 at once, no match in between: KING OF TIME連携 {state}");
        }
        println!("      switched on again the same month: the held punch goes");
        set_link(&mut self.settings, &self.company_id, "u1", true).await?;
        self.sync().await
    }

    /// Step 9: a fixed user code shows at once; the re-match links him and his week goes.
    pub(super) async fn fix_user_code(&mut self) -> anyhow::Result<()> {
        self.settings
            .upsert_users(UpsertUsersRequest {
                company_id: self.company_id.clone(),
                users: vec![data::fixed_user()],
            })
            .await?;
        let shown = all_links(&mut self.matcher, &self.company_id).await?;
        if let Some(link) = shown.iter().find(|link| link.user_id == "u3") {
            println!(
                "      連携状況 at once: {} — {}",
                link.state_label, link.reason_text
            );
        }
        // What the matcher's dispatcher does within a minute of the change; here at once.
        self.run_match().await?;
        self.sync().await
    }

    /// Step 10: prints what the admin and KING OF TIME see, and answers whether KING OF TIME
    /// holds exactly the punches that should be there.
    pub(super) async fn check(&mut self, sim: &kot_sim::Simulator) -> anyhow::Result<bool> {
        let links = all_links(&mut self.matcher, &self.company_id).await?;
        let punches = all_punches(&mut self.syncer, &self.company_id).await?;
        let stored = sim.punches(DEV_COMPANY_CODE);
        let linked = links.iter().filter(|link| !link.employee_key.is_empty());
        let keys_by_user: BTreeMap<String, String> = linked
            .clone()
            .map(|link| (link.user_id.clone(), link.employee_key.clone()))
            .collect();
        let names: BTreeMap<String, String> = linked
            .map(|link| (link.employee_key.clone(), link.employee_name.clone()))
            .collect();
        let places = report::places(&self.recorded, &keys_by_user);
        println!(
            "\n連携状況 (アカウント連携状況)\n{}",
            indent(&report::links(&links))
        );
        println!(
            "\nKING OF TIME タイムカード (from the simulator)\n{}",
            indent(&report::timecard(&stored, &names, &places))
        );
        println!(
            "\nWhat happened to each punch\n{}",
            indent(&report::summary(&punches))
        );
        // The day check ran at the end of each sync run (照合): KING OF TIME's verdict per day.
        let checked = days::all_days(
            &mut self.syncer,
            &self.company_id,
            "2024-06-03",
            "2024-06-07",
        )
        .await?;
        println!(
            "\n照合 (day check: KING OF TIME's verdict on each day)\n{}",
            indent(&days::table(&checked, &links))
        );
        let verdict = verify(&self.recorded, &punches, &keys_by_user, &stored);
        match &verdict {
            Ok(count) => println!(
                "\nOK: KING OF TIME holds exactly the {count} punches that should be there, each once."
            ),
            Err(problem) => println!("\nMISMATCH: {problem}"),
        }
        Ok(verdict.is_ok())
    }

    /// Records punches as the app does, and remembers them for the final check.
    async fn record(
        &mut self,
        punches: Vec<PunchInput>,
    ) -> anyhow::Result<kintai_proto::syncer::v1::RecordPunchesResponse> {
        let answer = self
            .syncer
            .record_punches(RecordPunchesRequest {
                company_id: self.company_id.clone(),
                punches: punches.clone(),
            })
            .await?
            .into_inner();
        self.recorded.extend(punches);
        Ok(answer)
    }

    async fn run_match(&mut self) -> anyhow::Result<kintai_proto::matcher::v1::RunMatchResponse> {
        Ok(self
            .matcher
            .run_match(RunMatchRequest {
                company_id: self.company_id.clone(),
            })
            .await?
            .into_inner())
    }
}

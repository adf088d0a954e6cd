//! Match runs that cannot match, on both engines: integration off, no token, a token KING OF
//! TIME rejects (shown for every user, not called again), KING OF TIME outages and retries, and
//! a fan-out over every company that goes on past failures. Links made before are kept, with
//! their old sync time.

mod common;

use common::{at, env, reason};
use kintai_core::Db;
use kintai_matcher::{Outcome, Reason};
use kintai_testkit::both_engines;

both_engines!(
    integration_off_and_token_rejected_hold_for_every_user,
    |db: Db| async move {
        let env = env(db).await;
        let token = env.company("c1");
        env.employee("c1", "U000123", "市ヶ谷", "いちこ");
        env.users(
            "c1",
            &[("u1", "U000123", "市ヶ谷 市子"), ("u2", "", "戸田 八郎")],
        );
        assert_eq!(env.run_company("c1").await.outcome, Outcome::Matched);

        // Integration off: nothing is called, every user shows why.
        env.settings.update("c1", |c| c.enabled = false);
        let calls = env.employee_list_calls();
        let result = env.run_company("c1").await;
        assert_eq!(result.outcome, Outcome::Skipped, "{result:?}");
        assert_eq!((result.users, result.linked, result.unlinked), (2, 0, 2));
        assert_eq!(env.employee_list_calls(), calls);
        for link in env.links("c1").await {
            assert_eq!(reason(&link), Some(Reason::IntegrationDisabled));
            assert_eq!(link.account_synced_at, None);
        }

        // On again but without a token: a reason of its own, still nothing called.
        let mut token_before = None;
        env.settings.update("c1", |c| {
            c.enabled = true;
            token_before = c.token.take();
        });
        let result = env.run_company("c1").await;
        assert_eq!(result.outcome, Outcome::Skipped, "{result:?}");
        assert_eq!(env.employee_list_calls(), calls);
        for link in env.links("c1").await {
            assert_eq!(reason(&link), Some(Reason::NoToken));
        }
        env.settings
            .update("c1", |c| c.token = token_before.clone());

        // Back on: the link made before is still there, with its old sync time.
        env.settings.update("c1", |c| c.enabled = true);
        let u1 = env.link("c1", "u1").await;
        assert!(u1.row.is_active());
        assert_eq!(u1.account_synced_at, Some(at("12:00:00")));

        // KING OF TIME suspends the token: reported to settings, shown for every user.
        env.sim.suspend_token(&token).expect("suspend");
        env.set_time(at("13:00:00"));
        let result = env.run_company("c1").await;
        assert_eq!(result.outcome, Outcome::TokenRejected, "{result:?}");
        let reports = env.settings.rejection_reports();
        assert_eq!(reports.len(), 1);
        assert_eq!(reports[0].0, "c1");
        assert!(
            reports[0].1.contains("認証に失敗しました"),
            "KING OF TIME's own message: {reports:?}"
        );
        for link in env.links("c1").await {
            assert_eq!(reason(&link), Some(Reason::TokenRejected));
        }
        // The next run does not call KING OF TIME with the rejected token again.
        let calls = env.employee_list_calls();
        let result = env.run_company("c1").await;
        assert_eq!(result.outcome, Outcome::Skipped, "{result:?}");
        assert_eq!(env.employee_list_calls(), calls);
    }
);

both_engines!(
    kot_outages_keep_links_with_their_old_sync_time,
    |db: Db| async move {
        let env = env(db).await;
        env.company("c1");
        env.employee("c1", "U000123", "市ヶ谷", "いちこ");
        env.users("c1", &[("u1", "U000123", "市ヶ谷 市子")]);
        env.run_company("c1").await;

        env.set_time(at("13:00:00"));
        // More failures than the matcher's retries.
        env.sim.fail_next(10, kot_sim::FailureKind::Status503);
        env.users(
            "c1",
            &[
                ("u1", "U000123", "市ヶ谷 市子 (改)"),
                ("u2", "U000124", "湊山 信輔"),
            ],
        );
        let result = env.run_company("c1").await;
        assert_eq!(result.outcome, Outcome::Failed, "{result:?}");
        assert!(
            result.reason.contains("existing links are kept"),
            "{}",
            result.reason
        );
        assert_eq!(
            env.employee_list_calls(),
            1 + 3,
            "three attempts, then give up"
        );
        let u1 = env.link("c1", "u1").await;
        assert!(u1.row.is_active());
        assert_eq!(u1.row.user_name, "市ヶ谷 市子 (改)");
        assert_eq!(u1.account_synced_at, Some(at("12:00:00")));
        assert_eq!(
            reason(&env.link("c1", "u2").await),
            Some(Reason::NotMatchedYet)
        );

        // One transient failure is absorbed by a retry.
        env.sim.clear_faults();
        env.sim.fail_next(1, kot_sim::FailureKind::Status500Code300);
        let result = env.run_company("c1").await;
        assert_eq!(result.outcome, Outcome::Matched, "{result:?}");
        assert_eq!(
            env.link("c1", "u1").await.account_synced_at,
            Some(at("13:00:00"))
        );
    }
);

both_engines!(
    runs_over_every_company_go_on_past_failures,
    |db: Db| async move {
        let env = env(db).await;
        for company in ["a", "b", "c", "d", "e", "f"] {
            env.company(company);
            env.employee(company, "E001", "社員", company);
            env.users(company, &[("u1", "E001", "社員")]);
        }
        // b: token suspended in KING OF TIME; c: integration off (not listed at all).
        env.settings.update("c", |c| c.enabled = false);
        env.settings.update("b", |c| {
            c.token = Some("0000000000000000ffffffffffffffff".into())
        });
        let report = env.run_all().await.expect("companies listed");
        let outcomes: Vec<(String, Outcome)> = report
            .results
            .iter()
            .map(|r| (r.company_id.clone(), r.outcome))
            .collect();
        assert_eq!(
            outcomes,
            [
                ("a".to_owned(), Outcome::Matched),
                ("b".to_owned(), Outcome::TokenRejected),
                ("d".to_owned(), Outcome::Matched),
                ("e".to_owned(), Outcome::Matched),
                ("f".to_owned(), Outcome::Matched),
            ]
        );
        assert!(report.started_at <= report.finished_at);

        // Settings down: the fan-out cannot start, and says so.
        env.settings.set_failing(true);
        assert!(env.run_all().await.is_err());
        // One company: a failed outcome, the stored table untouched.
        let result = env.run_company("a").await;
        assert_eq!(result.outcome, Outcome::Failed);
        env.settings.set_failing(false);
        assert!(env.link("a", "u1").await.row.is_active());
    }
);

//! 連携状況 shows the truth now, and a directory change is matched again promptly: a user's
//! switch-off and code change show at once, without a match; a changed directory is matched
//! within seconds by the dispatcher, without RunMatch, and never in the restricted hours.

mod common;

use std::time::{Duration, Instant};

use common::{at, env};
use kintai_core::Db;
use kintai_matcher::{DispatchOptions, LinkStatus, Reason, spawn_dispatcher};
use kintai_testkit::both_engines;

const C: &str = "c1";

fn fast() -> DispatchOptions {
    DispatchOptions {
        debounce: Duration::from_millis(50),
        poll: Duration::from_millis(20),
        watch: Duration::from_millis(50),
        max_running: 4,
    }
}

both_engines!(the_table_shows_settings_now, |db: Db| async move {
    let e = env(db).await;
    e.company(C);
    e.employee(C, "U000123", "市ヶ谷", "いちこ");
    e.users(
        C,
        &[
            ("u1", "U000123", "市ヶ谷 市子"),
            ("u2", "U000124", "湊山 信輔"),
        ],
    );
    e.run_company(C).await;
    assert!(e.link(C, "u1").await.row.is_active());

    // Switched off, renamed, code changed, a user deleted: no match in between.
    e.settings.update(C, |company| {
        company.users[0].kot_link_enabled = false;
        company.users[0].name = "市ヶ谷 いちこ".into();
    });
    let u1 = e.link(C, "u1").await;
    assert!(!u1.row.kot_link_enabled, "the flag as settings has it now");
    assert_eq!(u1.row.user_name, "市ヶ谷 いちこ");
    assert!(u1.row.is_active(), "the flag alone does not unlink");

    e.settings.change_directory(C, |users| {
        users[0].user_code = "U000999".into();
        users.retain(|u| u.user_id != "u2");
    });
    let u1 = e.link(C, "u1").await;
    assert_eq!(u1.row.user_code, "U000999");
    assert_eq!(u1.matched_user_code, "U000123");
    assert!(
        matches!(
            u1.row.status,
            LinkStatus::Inactive {
                reason: Reason::CodeChanged,
                ..
            }
        ),
        "{u1:?}"
    );
    let ids: Vec<String> = e
        .links(C)
        .await
        .into_iter()
        .map(|l| l.row.user_id)
        .collect();
    assert_eq!(ids, ["u1"], "a deleted user is not shown");
});

async fn wait_active(e: &common::Env, user_id: &str, limit: Duration) {
    let deadline = Instant::now() + limit;
    while !e.link_exists_active(C, user_id).await {
        assert!(Instant::now() < deadline, "{user_id} was never matched");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

both_engines!(
    a_directory_change_is_matched_within_seconds,
    |db: Db| async move {
        let e = env(db).await;
        e.flow_from(at("12:00:00"));
        e.company(C);
        e.employee(C, "U000528", "千住", "五郎");
        e.settings.change_directory(C, |users| {
            users.push(kintai_matcher::DirectoryUser {
                user_id: "u3".into(),
                user_code: "U00528".into(),
                name: "千住 五郎".into(),
                kot_link_enabled: true,
            })
        });
        let dispatcher = spawn_dispatcher(e.matcher.clone(), fast());
        // Never matched: matched on its own.
        let deadline = Instant::now() + Duration::from_secs(10);
        while e.links(C).await.is_empty() {
            assert!(Instant::now() < deadline, "never matched");
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        assert!(
            !e.link_exists_active(C, "u3").await,
            "U00528 is no employee's code"
        );
        let calls = e.employee_list_calls();
        // The admin fixes the code (the FAQ's failure): matched again within seconds.
        e.settings
            .change_directory(C, |users| users[0].user_code = "U000528".into());
        wait_active(&e, "u3", Duration::from_secs(10)).await;
        assert_eq!(
            e.employee_list_calls(),
            calls + 1,
            "one match for the change"
        );
        dispatcher.abort();
    }
);

both_engines!(
    a_change_in_the_restricted_hours_is_matched_when_they_end,
    |db: Db| async move {
        let e = env(db).await;
        e.company(C);
        e.employee(C, "U000123", "市ヶ谷", "いちこ");
        e.users(C, &[("u1", "U000123", "市ヶ谷 市子")]);
        e.run_company(C).await;
        e.set_time(at("09:59:59"));
        e.flow_from(at("09:59:59"));
        let calls = e.employee_list_calls();
        e.settings
            .change_directory(C, |users| users[0].name = "市ヶ谷 いちこ".into());
        let dispatcher = spawn_dispatcher(e.matcher.clone(), fast());
        tokio::time::sleep(Duration::from_millis(400)).await;
        // Deferred at once (no employee list in the window); due again at 10:00.
        assert_eq!(
            e.employee_list_calls(),
            calls,
            "no read in the restricted hours"
        );
        let deadline = Instant::now() + Duration::from_secs(10);
        while e.employee_list_calls() == calls {
            assert!(Instant::now() < deadline, "not matched after 10:00");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        dispatcher.abort();
    }
);

//! Admin-facing texts follow the caller's `accept-language` (Japanese by default): the same
//! ListPunches and RunSync answered in both languages, the codes unchanged. The reason is stored
//! as a message and its arguments, so a punch held in one language reads in the other.

mod common;

use common::*;
use kintai_core::Db;
use kintai_proto::common::v1::StatusKind;
use kintai_proto::syncer::v1::{
    ListPunchesRequest, PunchRecord, PunchState, RunSyncRequest, SyncOutcome,
};
use kintai_testkit::{both_engines, jst};

const C: &str = "acme";

async fn listed(h: &Harness, accept_language: Option<&str>) -> Vec<PunchRecord> {
    let request = ListPunchesRequest {
        company_id: C.into(),
        ..ListPunchesRequest::default()
    };
    h.api()
        .list_punches(in_language(request, accept_language))
        .await
        .unwrap()
        .into_inner()
        .punches
}

both_engines!(
    punch_reasons_are_japanese_by_default_and_english_on_request,
    |db: Db| async move {
        let h = harness(db, jst("2024-06-20T09:30:00")).await;
        h.company(C);
        h.employee(C, "u1", "U000123", false);
        h.record(
            C,
            vec![
                clock_in("held", "u1", "2024-06-20T09:00:00"),
                punch(
                    "work",
                    "u1",
                    StatusKind::Working,
                    "作業開始",
                    "2024-06-20T09:10:00",
                ),
            ],
        )
        .await;
        assert_eq!(h.sync(C).await.results[0].held, 1);

        let ja = listed(&h, None).await;
        let en = listed(&h, Some("en-GB, ja;q=0.1")).await;
        let reason = |list: &[PunchRecord], id: &str| {
            let punch = list.iter().find(|p| p.punch_id == id).unwrap();
            (punch.state(), punch.reason.clone())
        };
        assert_eq!(
            reason(&ja, "held"),
            (
                PunchState::Held,
                "このユーザーのKING OF TIME連携は無効です。".to_owned()
            )
        );
        assert_eq!(
            reason(&en, "held"),
            (
                PunchState::Held,
                "KING OF TIME連携 is off (無効) for this user.".to_owned()
            )
        );
        assert_eq!(
            reason(&ja, "work"),
            (
                PunchState::NotSynced,
                "× 連携されません: ステータス「作業開始」の種別は勤務中です。勤務中のステータスでKING OF TIMEに連携されるのは、名前が「休憩開始」「休憩終了」のものだけです。".to_owned()
            )
        );
        assert!(
            reason(&en, "work")
                .1
                .contains("only the names 休憩開始 and 休憩終了")
        );
        // A language we do not have reads as Japanese.
        assert_eq!(listed(&h, Some("fr")).await[0].reason, ja[0].reason);
    }
);

both_engines!(
    run_sync_answers_in_the_callers_language,
    |db: Db| async move {
        let h = harness(db, jst("2024-06-20T09:30:00")).await;
        h.company(C);
        h.settings.set_enabled(C, false);
        let run = |accept_language: Option<&'static str>| {
            let request = RunSyncRequest {
                company_id: C.into(),
                dry_run: false,
            };
            let mut api = h.api();
            async move {
                api.run_sync(in_language(request, accept_language))
                    .await
                    .unwrap()
                    .into_inner()
                    .results
                    .remove(0)
            }
        };
        let ja = run(None).await;
        assert_eq!(ja.outcome(), SyncOutcome::Skipped);
        assert_eq!(ja.reason, "この会社の勤怠連携は無効です。");
        let en = run(Some("en")).await;
        assert_eq!(en.outcome(), SyncOutcome::Skipped);
        assert_eq!(en.reason, "勤怠連携 is off (無効) for this company.");
    }
);

both_engines!(
    accept_language_ranges_that_do_not_parse_are_ignored,
    |db: Db| async move {
        let h = harness(db, jst("2024-06-20T09:30:00")).await;
        h.company(C);
        h.employee(C, "u1", "U000123", false);
        h.record(C, vec![clock_in("held", "u1", "2024-06-20T09:00:00")])
            .await;
        h.sync(C).await;
        let japanese = "このユーザーのKING OF TIME連携は無効です。";
        let english = "KING OF TIME連携 is off (無効) for this user.";
        // RFC 9110: a range whose weight is not a qvalue is invalid, so it is ignored (it used
        // to count as weight 1, English) and the default or the other ranges decide.
        for (accept_language, expected) in [
            ("en;q=abc", japanese),
            ("en;q=", japanese),
            ("en;q=1.5", japanese),
            ("ja;q=0.5, en;q=abc", japanese),
            ("en;q=abc, en-GB;q=0.3", english),
            // A POSIX locale name in the header reads as its tag.
            ("en_US", english),
            ("en_US;q=0.9, ja;q=0.5", english),
        ] {
            let reason = listed(&h, Some(accept_language)).await[0].reason.clone();
            assert_eq!(reason, expected, "accept-language: {accept_language}");
        }
    }
);

both_engines!(
    a_king_of_time_refusal_reads_as_its_status_code_and_words_in_each_language,
    |db: Db| async move {
        let h = harness(db, jst("2024-06-20T11:00:00")).await;
        h.company(C);
        // Linked to an employee KING OF TIME no longer knows: it refuses the punch (404).
        h.linked_to_unknown_employee(C, "u1");
        h.record(C, vec![clock_in("p", "u1", "2024-06-20T09:00:00")])
            .await;
        h.sync(C).await;
        let ja = listed(&h, None).await[0].clone();
        let en = listed(&h, Some("en")).await[0].clone();
        assert_eq!(ja.state(), PunchState::Failed);
        assert!(
            ja.reason
                .starts_with("KING OF TIMEが受け付けませんでした（HTTP 404）: "),
            "{}",
            ja.reason
        );
        assert!(
            en.reason
                .starts_with("KING OF TIME refused it (HTTP 404): "),
            "{}",
            en.reason
        );
        for text in [&ja.reason, &en.reason, &ja.last_error] {
            assert!(text.contains("unknown employee key"), "{text}");
            for shape in ["Some(", "None", "\\u{", "NotFound"] {
                assert!(!text.contains(shape), "{shape} in {text}");
            }
        }
    }
);

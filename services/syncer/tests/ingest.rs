//! RecordPunches on both engines: validation, idempotency, translation. ListPunches (filters,
//! paging) is in `list_punches.rs`.

mod common;

use common::*;
use kintai_core::Db;
use kintai_proto::common::v1::{PunchType, StatusKind};
use kintai_proto::syncer::v1::{Platform, PunchState, RecordOutcome, RecordPunchesRequest};
use kintai_testkit::{both_engines, jst};
use tonic::Code;

const C: &str = "acme";

both_engines!(
    translates_stores_and_answers_duplicates,
    |db: Db| async move {
        let h = harness(db, jst(NOW)).await;
        let batch = vec![
            clock_in("p1", "u1", "2024-06-03T08:00:00"),
            punch(
                "p2",
                "u1",
                StatusKind::Working,
                "休憩開始",
                "2024-06-03T12:00:00",
            ),
            punch(
                "p3",
                "u1",
                StatusKind::Working,
                "休憩終了",
                "2024-06-03T13:00:00",
            ),
            punch(
                "p4",
                "u1",
                StatusKind::Working,
                "作業開始",
                "2024-06-03T14:00:00",
            ),
            clock_out("p5", "u1", "2024-06-03T18:00:00"),
            punch(
                "p6",
                "u1",
                StatusKind::OffDuty,
                "移動",
                "2024-06-03T19:00:00",
            ),
            punch(
                "p7",
                "u1",
                StatusKind::WorkStart,
                "直行",
                "2024-06-04T09:00:00",
            ),
        ];
        let answer = h.record(C, batch.clone()).await;
        assert_eq!(
            (answer.accepted, answer.duplicates, answer.rejected),
            (7, 0, 0)
        );
        let types: Vec<_> = answer.results.iter().map(|r| r.punch_type()).collect();
        assert_eq!(
            types,
            [
                PunchType::ClockIn,
                PunchType::BreakStart,
                PunchType::BreakEnd,
                PunchType::NotSynced,
                PunchType::ClockOut,
                PunchType::NotSynced,
                PunchType::ClockIn
            ]
        );

        // A resend is a duplicate and stores nothing again.
        let again = h.record(C, batch.clone()).await;
        assert_eq!(
            (again.accepted, again.duplicates, again.rejected),
            (0, 7, 0)
        );
        assert!(
            again
                .results
                .iter()
                .all(|r| r.outcome() == RecordOutcome::Duplicate)
        );
        assert_eq!(again.results[3].punch_type(), PunchType::NotSynced);
        let stored = h.punches(C).await;
        assert_eq!(stored.len(), 7);

        // States at once: held until a run looks, not synced for unmapped statuses.
        let p4 = h.punch(C, "p4").await;
        assert_eq!(p4.state(), PunchState::NotSynced);
        assert!(p4.reason.contains("作業開始"), "{}", p4.reason);
        let p1 = h.punch(C, "p1").await;
        assert_eq!(p1.state(), PunchState::Held);
        assert_eq!(p1.punch_type(), PunchType::ClockIn);
        assert_eq!(p1.latitude, Some(35.681236));
        assert_eq!(p1.address, "東京都千代田区丸の内一丁目");
        assert_eq!(p1.attempts, 0);
        assert!(p1.sent_at.is_none());

        // Same id, other content: rejected as a conflict; the stored punch is unchanged.
        let mut changed = clock_in("p1", "u1", "2024-06-03T08:05:00");
        changed.address = "別の場所".into();
        let conflict = h
            .record(
                C,
                vec![changed, clock_in("p8", "u1", "2024-06-05T08:00:00")],
            )
            .await;
        assert_eq!(conflict.results[0].outcome(), RecordOutcome::Rejected);
        assert_eq!(conflict.results[0].field, "punches[0].punch_id");
        assert!(conflict.results[0].reason.contains("既に保存されています"));
        assert_eq!(conflict.results[1].outcome(), RecordOutcome::Accepted);
        assert_eq!(
            h.punch(C, "p1").await.punched_at.unwrap().seconds,
            jst("2024-06-03T08:00:00").timestamp()
        );

        // Companies are separate namespaces of punch ids.
        let other = h
            .record("other", vec![clock_in("p1", "u9", "2024-06-03T08:00:00")])
            .await;
        assert_eq!(other.accepted, 1);
    }
);

both_engines!(repeated_ids_within_one_batch, |db: Db| async move {
    let h = harness(db, jst(NOW)).await;
    let same = clock_in("p1", "u1", "2024-06-03T08:00:00");
    let mut different = same.clone();
    different.user_id = "u2".into();
    let answer = h.record(C, vec![same.clone(), same, different]).await;
    let outcomes: Vec<_> = answer.results.iter().map(|r| r.outcome()).collect();
    assert_eq!(
        outcomes,
        [
            RecordOutcome::Accepted,
            RecordOutcome::Duplicate,
            RecordOutcome::Rejected
        ]
    );
    assert_eq!(h.punches(C).await.len(), 1);
});

both_engines!(
    each_validation_rule_rejects_only_its_punch,
    |db: Db| async move {
        let h = harness(db, jst(NOW)).await;
        let good = |id: &str| clock_in(id, "u1", "2024-06-03T08:00:00");
        let mut cases: Vec<(kintai_proto::syncer::v1::PunchInput, &str)> = Vec::new();
        let mut p = good("");
        p.punch_id = String::new();
        cases.push((p, "punch_id"));
        let mut p = good("b-user");
        p.user_id = String::new();
        cases.push((p, "user_id"));
        let mut p = good("b-status");
        p.status_id = String::new();
        cases.push((p, "status_id"));
        let mut p = good("b-name");
        p.status_name = "x".repeat(41);
        cases.push((p, "status_name"));
        // Format characters (U+202E and the other bidirectional controls, zero-width ones) in
        // ids and names: what is shown is not what is compared.
        let mut p = good("b-name-bidi");
        p.status_name = "休憩\u{202E}開始".into();
        cases.push((p, "status_name"));
        let mut p = good("b-user-zero-width");
        p.user_id = "u\u{200B}1".into();
        cases.push((p, "user_id"));
        let mut p = good("b-id-isolate");
        p.punch_id = "p\u{2066}1".into();
        cases.push((p, "punch_id"));
        let mut p = good("b-kind");
        p.status_kind = 0;
        cases.push((p, "status_kind"));
        let mut p = good("b-kind-unknown");
        p.status_kind = 99;
        cases.push((p, "status_kind"));
        let mut p = good("b-missing-time");
        p.punched_at = None;
        cases.push((p, "punched_at"));
        let mut p = good("b-future");
        p.punched_at = Some(prost_types::Timestamp {
            seconds: jst(NOW).timestamp() + 121,
            nanos: 0,
        });
        cases.push((p, "punched_at"));
        let mut p = good("b-old");
        p.punched_at = Some(prost_types::Timestamp {
            seconds: jst("1999-12-31T23:59:59").timestamp(),
            nanos: 0,
        });
        cases.push((p, "punched_at"));
        let mut p = good("b-lat");
        p.latitude = Some(90.5);
        cases.push((p, "latitude"));
        let mut p = good("b-lon");
        p.longitude = Some(-180.5);
        cases.push((p, "longitude"));
        let mut p = good("b-nan");
        p.latitude = Some(f64::NAN);
        cases.push((p, "latitude"));
        // Half a location: the missing half is named.
        let mut p = good("b-lat-only");
        p.longitude = None;
        cases.push((p, "longitude"));
        let mut p = good("b-lon-only");
        p.latitude = None;
        cases.push((p, "latitude"));
        let mut p = good("b-address");
        p.address = "a".repeat(201);
        cases.push((p, "address"));
        let mut p = good("b-platform");
        p.platform = 0;
        cases.push((p, "platform"));
        let mut p = good("b-android-old");
        p.app_version = "3.32.9".into();
        cases.push((p, "app_version"));
        let mut p = good("b-ios-old");
        p.platform = Platform::Ios.into();
        p.app_version = "3.30.0".into();
        cases.push((p, "app_version"));
        let mut p = good("b-version-form");
        p.app_version = "3.60".into();
        cases.push((p, "app_version"));

        let mut batch = vec![good("ok-first")];
        batch.extend(cases.iter().map(|(p, _)| p.clone()));
        // Within the range but below the supported versions: stored and flagged.
        let mut flagged = good("ok-flagged");
        flagged.platform = Platform::Ios.into();
        flagged.app_version = "3.31.0".into();
        batch.push(flagged);
        // The 2-minute clock skew (syncer.max_clock_skew_secs' default) itself is accepted.
        let mut edge = good("ok-edge");
        edge.punched_at = Some(prost_types::Timestamp {
            seconds: jst(NOW).timestamp() + 120,
            nanos: 0,
        });
        batch.push(edge);

        let answer = h.record(C, batch).await;
        assert_eq!(answer.rejected as usize, cases.len());
        assert_eq!(answer.accepted, 3);
        for (offset, (_, field)) in cases.iter().enumerate() {
            let result = &answer.results[offset + 1];
            assert_eq!(result.outcome(), RecordOutcome::Rejected, "case {field}");
            assert_eq!(result.field, format!("punches[{}].{field}", offset + 1));
            assert!(!result.reason.is_empty());
        }
        let bidi = answer
            .results
            .iter()
            .find(|r| r.punch_id == "b-name-bidi")
            .unwrap();
        assert!(
            bidi.reason.contains("U+202E") && bidi.reason.contains("書式制御文字"),
            "{}",
            bidi.reason
        );
        let flagged = answer
            .results
            .iter()
            .find(|r| r.punch_id == "ok-flagged")
            .unwrap();
        assert_eq!(flagged.outcome(), RecordOutcome::Accepted);
        assert!(flagged.unsupported_app_version);
        assert!(!answer.results[0].unsupported_app_version);
        let stored: Vec<_> = h.punches(C).await.into_iter().map(|p| p.punch_id).collect();
        assert_eq!(stored.len(), 3);
        assert!(h.punch(C, "ok-flagged").await.unsupported_app_version);
        let old = answer
            .results
            .iter()
            .find(|r| r.punch_id == "b-android-old")
            .unwrap();
        assert!(old.reason.contains("3.33.0"), "{}", old.reason);
    }
);

both_engines!(request_level_problems_are_errors, |db: Db| async move {
    let h = harness(db, jst(NOW)).await;
    let bad_company = h
        .api()
        .record_punches(RecordPunchesRequest {
            company_id: String::new(),
            punches: vec![clock_in("p1", "u1", "2024-06-03T08:00:00")],
        })
        .await
        .unwrap_err();
    assert_eq!(bad_company.code(), Code::InvalidArgument);
    let too_many = (0..1001)
        .map(|i| clock_in(&format!("p{i}"), "u1", "2024-06-03T08:00:00"))
        .collect();
    let oversize = h
        .api()
        .record_punches(RecordPunchesRequest {
            company_id: C.into(),
            punches: too_many,
        })
        .await
        .unwrap_err();
    assert_eq!(oversize.code(), Code::ResourceExhausted);
    assert!(h.punches(C).await.is_empty());
    let empty = h.record(C, vec![]).await;
    assert_eq!(empty.results.len(), 0);
});

//! The bulk INSERT of RecordPunches on both engines (PostgreSQL: binary arrays through UNNEST;
//! SQLite: one multi-row VALUES): any text and any coordinate come back exactly as sent, and a
//! batch holding stored ids (which fails the all-new insert first) still answers per punch.

mod common;

use common::*;
use kintai_core::Db;
use kintai_proto::syncer::v1::RecordOutcome;
use kintai_testkit::{both_engines, jst};

const C: &str = "acme";

both_engines!(
    awkward_text_and_coordinates_round_trip_and_a_resend_is_a_duplicate,
    |db: Db| async move {
        let h = harness(db, jst(NOW)).await;
        let texts = [
            "say \"hi\"",
            "back\\slash \\\" mix",
            "{braces},commas",
            "NULL",
            "",
            "  spaces  ",
            "'single' quotes",
            "東京都 🏢 ＃ ｛全角｝",
        ];
        let coordinates = [
            (35.681_236_123_456_79, 139.767_125_987_654_3),
            (-0.0, 0.0),
            (1e-7, -1e-7),
            (90.0, -180.0),
            (-89.999_999_999_999_99, 179.999_999_999_999_97),
        ];
        let mut batch = Vec::new();
        for (i, text) in texts.iter().enumerate() {
            let mut p = clock_in(&format!("t{i}"), "u1", "2024-06-03T08:00:00");
            p.address = (*text).to_owned();
            p.status_name = format!("出勤 {text}").chars().take(40).collect();
            let (lat, lon) = coordinates[i % coordinates.len()];
            p.latitude = Some(lat);
            p.longitude = Some(lon);
            batch.push(p);
        }
        // One without coordinates: NULL in the float arrays.
        let mut none = clock_in("t-none", "u1", "2024-06-03T09:00:00");
        none.latitude = None;
        none.longitude = None;
        batch.push(none);

        let answer = h.record(C, batch.clone()).await;
        assert_eq!(
            answer.accepted as usize,
            batch.len(),
            "{:?}",
            answer.results
        );
        let stored = h.punches(C).await;
        for sent in &batch {
            let got = stored
                .iter()
                .find(|p| p.punch_id == sent.punch_id)
                .unwrap_or_else(|| panic!("{} not stored", sent.punch_id));
            assert_eq!(got.address, sent.address);
            assert_eq!(got.status_name, sent.status_name);
            // A negative zero is stored as 0.0 on both engines (SQLite keeps no sign of zero).
            let normal = |v: Option<f64>| v.map(|v| (v + 0.0).to_bits());
            assert_eq!(
                got.latitude.map(f64::to_bits),
                normal(sent.latitude),
                "{}",
                sent.punch_id
            );
            assert_eq!(
                got.longitude.map(f64::to_bits),
                normal(sent.longitude),
                "{}",
                sent.punch_id
            );
        }
        // Bit-exact storage is what makes the resend a duplicate rather than a conflict.
        let again = h.record(C, batch.clone()).await;
        assert_eq!(
            again.duplicates as usize,
            batch.len(),
            "{:?}",
            again.results
        );
    }
);

both_engines!(
    a_full_batch_mixes_new_stored_conflicting_and_invalid_punches,
    |db: Db| async move {
        let h = harness(db, jst(NOW)).await;
        let first: Vec<_> = (0..10)
            .map(|i| clock_in(&format!("p{i:04}"), "u1", "2024-06-03T08:00:00"))
            .collect();
        assert_eq!(h.record(C, first.clone()).await.accepted, 10);

        // 1,000 punches, the most one call takes: 10 resent, 1 reusing a stored id with other
        // content, 1 invalid, 988 new.
        let mut batch = first;
        let mut reused = clock_in("p0000", "u2", "2024-06-03T08:00:00");
        reused.status_name = "出勤".into();
        batch.push(reused);
        let mut invalid = clock_in("bad", "", "2024-06-03T08:00:00");
        invalid.user_id.clear();
        batch.push(invalid);
        for i in 10..998 {
            batch.push(clock_in(&format!("p{i:04}"), "u1", "2024-06-03T08:00:00"));
        }
        assert_eq!(batch.len(), 1000);
        let answer = h.record(C, batch).await;
        let outcome = |i: usize| answer.results[i].outcome();
        assert!((0..10).all(|i| outcome(i) == RecordOutcome::Duplicate));
        assert_eq!(outcome(10), RecordOutcome::Rejected);
        assert_eq!(answer.results[10].field, "punches[10].punch_id");
        assert_eq!(outcome(11), RecordOutcome::Rejected);
        assert_eq!(answer.results[11].field, "punches[11].user_id");
        assert!((12..1000).all(|i| outcome(i) == RecordOutcome::Accepted));
        assert_eq!(
            (answer.accepted, answer.duplicates, answer.rejected),
            (988, 10, 2)
        );
        assert_eq!(h.punches(C).await.len(), 998);
    }
);

//! A property test of the working-day rule against the simulator, which refuses a `date` whose
//! following day ends before the punch's `time` (kot-api.md), as KING OF TIME does: random punch
//! sequences of every type, times across day borders, divisions with a non-zero 日付変更時間,
//! gaps of up to 72 hours, arriving late and out of order in batches with runs in between. Each
//! case must end with no punch refused for its date (none FAILED) and each punch in KING OF TIME
//! exactly once.
//!
//! The cases are drawn from a seed printed on failure; `KINTAI_PROPERTY_SEED=N` replays one,
//! `KINTAI_PROPERTY_CASES=N` runs more (8 by default, per engine).

mod common;

use std::collections::BTreeMap;

use chrono::{DateTime, NaiveTime, TimeDelta, Utc};
use common::*;
use kintai_core::Db;
use kintai_proto::common::v1::StatusKind;
use kintai_proto::syncer::v1::{PunchInput, PunchState};
use kintai_testkit::{both_engines, jst};
use kot_sim::NewEmployee;
use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};

/// Every case's punches lie between this and [`NOW`] (the current month).
const FIRST: &str = "2024-06-01T00:00:00";

fn env_number(name: &str) -> Option<u64> {
    std::env::var(name).ok().and_then(|v| v.parse().ok())
}

/// One random user history: (punch id, kind, status name, instant), in time order.
fn history(
    rng: &mut StdRng,
    case: usize,
    user: &str,
) -> Vec<(String, StatusKind, &'static str, DateTime<Utc>)> {
    let now = jst(NOW);
    let mut at = jst(FIRST) + TimeDelta::minutes(rng.gen_range(0..20 * 24 * 60));
    let mut punches = Vec::new();
    for index in 0..rng.gen_range(1..=10) {
        if at > now {
            break;
        }
        let (kind, name) = *[
            (StatusKind::WorkStart, "出勤"),
            (StatusKind::WorkEnd, "退勤"),
            (StatusKind::Working, "休憩開始"),
            (StatusKind::Working, "休憩終了"),
        ]
        .choose(rng)
        .unwrap_or(&(StatusKind::WorkStart, "出勤"));
        punches.push((format!("c{case}-{user}-{index}"), kind, name, at));
        // Mostly a shift's hours, sometimes days: up to 72 hours, to the second.
        let gap = if rng.gen_bool(0.7) {
            rng.gen_range(60..12 * 3600)
        } else {
            rng.gen_range(12 * 3600..=72 * 3600)
        };
        at += TimeDelta::seconds(gap);
    }
    punches
}

both_engines!(
    random_sequences_are_never_refused_for_their_date,
    |db: Db| async move {
        let seed = env_number("KINTAI_PROPERTY_SEED").unwrap_or_else(rand::random);
        let cases = env_number("KINTAI_PROPERTY_CASES").unwrap_or(8);
        eprintln!("working-day property: seed {seed}, {cases} cases");
        let mut rng = StdRng::seed_from_u64(seed);
        let h = harness(db, jst(NOW)).await;
        for case in 0..usize::try_from(cases).unwrap_or(8) {
            let company = format!("case{case}");
            h.company(&company);
            let border = NaiveTime::from_hms_opt(rng.gen_range(0..=6), 0, 0).unwrap();
            h.sim
                .sim
                .add_division(&company, "200", "夜勤", border)
                .unwrap();
            let mut inputs: Vec<PunchInput> = Vec::new();
            let mut expected = 0;
            for user in ["u1", "u2"] {
                let (division, user_border) = if rng.gen_bool(0.5) {
                    ("200", border)
                } else {
                    ("100", NaiveTime::MIN)
                };
                let code = format!("U{case:03}{user}");
                let key = h
                    .sim
                    .sim
                    .add_employee(
                        &company,
                        NewEmployee {
                            code: code.clone(),
                            last_name: "市ヶ谷".into(),
                            first_name: user.into(),
                            division_code: division.into(),
                            resigned_on: None,
                        },
                    )
                    .unwrap();
                h.settings.set_user(&company, user, &code, true);
                h.links.link(&company, user, &key, &code);
                h.links.set_day_border(&company, user, user_border);
                for (id, kind, name, at) in history(&mut rng, case, user) {
                    let local = at.with_timezone(&kot_client::jst()).naive_local();
                    inputs.push(punch(
                        &id,
                        user,
                        kind,
                        name,
                        &local.format("%Y-%m-%dT%H:%M:%S").to_string(),
                    ));
                    expected += 1;
                }
            }
            // Late and out of order: batches in shuffled order, a run after each.
            inputs.shuffle(&mut rng);
            let batches = rng.gen_range(1..=3);
            let size = inputs.len().div_ceil(batches).max(1);
            for batch in inputs.chunks(size) {
                h.record(&company, batch.to_vec()).await;
                h.settle(&company, 4).await;
            }
            let punches = h.punches(&company).await;
            let states: BTreeMap<String, PunchState> = punches
                .iter()
                .map(|p| (p.punch_id.clone(), p.state()))
                .collect();
            let not_sent: Vec<_> = punches
                .iter()
                .filter(|p| p.state() != PunchState::Sent)
                .map(|p| {
                    (
                        p.punch_id.as_str(),
                        p.state(),
                        p.reason.as_str(),
                        p.working_day.as_str(),
                    )
                })
                .collect();
            assert!(
                not_sent.is_empty(),
                "seed {seed}, case {case}: not sent: {not_sent:?}"
            );
            assert_eq!(states.len(), expected, "seed {seed}, case {case}");
            let kot = h.kot(&company);
            assert_eq!(kot.len(), expected, "seed {seed}, case {case}: {kot:?}");
            assert_no_duplicates(&h, &company);
        }
    }
);

use super::*;

async fn table(db: &Db) -> DueTable {
    for statement in create_table_sql("t_due")
        .split(";\n")
        .filter(|s| !s.trim().is_empty())
    {
        sqlx::query(statement).execute(db.pool()).await.unwrap();
    }
    DueTable::new(db.clone(), "t_due")
}

fn at(seconds: i64) -> DateTime<Utc> {
    DateTime::from_timestamp(1_700_000_000 + seconds, 0).unwrap()
}

crate::both_engines!(
    a_mark_unless_pending_leaves_a_claimed_company_to_its_run,
    |db: Db| async move {
        let due = table(&db).await;
        due.mark_unless_pending("a", at(10)).await.unwrap();
        assert_eq!(due.due_at("a").await.unwrap(), Some(at(10)));
        let claims = due
            .claim(at(10), 10, Duration::from_secs(60))
            .await
            .unwrap();
        assert_eq!(claims.len(), 1);
        // Seen again while the run is under way: the claim stands, and the run's own
        // reschedule clears the row (a plain mark would have made it due once more).
        due.mark_unless_pending("a", at(11)).await.unwrap();
        assert_eq!(due.due_at("a").await.unwrap(), Some(at(70)));
        due.reschedule(&claims[0], None).await.unwrap();
        assert_eq!(due.due_at("a").await.unwrap(), None);
        let again = due
            .claim(at(12), 10, Duration::from_secs(60))
            .await
            .unwrap();
        assert!(again.is_empty());
        // With no row, it marks as usual.
        due.mark_unless_pending("a", at(13)).await.unwrap();
        assert_eq!(due.due_at("a").await.unwrap(), Some(at(13)));
    }
);

crate::both_engines!(
    marks_keep_the_earliest_time_and_claims_hold_the_company,
    |db: Db| async move {
        let due = table(&db).await;
        due.mark("a", at(10)).await.unwrap();
        due.mark("a", at(20)).await.unwrap();
        due.mark("b", at(30)).await.unwrap();
        assert_eq!(due.due_at("a").await.unwrap(), Some(at(10)));
        let hold = Duration::from_secs(5);
        assert!(due.claim(at(9), 10, hold).await.unwrap().is_empty());
        let claims = due.claim(at(10), 10, hold).await.unwrap();
        assert_eq!(claims.len(), 1);
        assert_eq!(claims[0].company_id, "a");
        // Held: not claimed again until the hold ends.
        assert!(due.claim(at(12), 10, hold).await.unwrap().is_empty());
        assert_eq!(due.claim(at(15), 10, hold).await.unwrap().len(), 1);
    }
);

crate::both_engines!(
    a_company_marked_during_its_run_is_claimed_again_at_once,
    |db: Db| async move {
        let due = table(&db).await;
        let hold = Duration::from_secs(30);
        due.mark("a", at(0)).await.unwrap();
        let claim = due.claim(at(0), 1, hold).await.unwrap().remove(0);
        // No mark during the run: a retry time alone is not taken early.
        due.reschedule(&claim, Some(at(20))).await.unwrap();
        assert_eq!(
            due.claim_again(&claim, at(22), at(10), hold).await.unwrap(),
            None
        );
        // A mark during the run (due at mark + debounce): claimed again at once.
        let claim = due.claim(at(20), 1, hold).await.unwrap().remove(0);
        due.mark("a", at(23)).await.unwrap();
        due.reschedule(&claim, None).await.unwrap();
        let again = due
            .claim_again(&claim, at(23), at(21), hold)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(again.version, claim.version + 1);
        // Held by that claim now: neither a poll nor another claim_again takes it.
        assert!(due.claim(at(22), 10, hold).await.unwrap().is_empty());
        assert_eq!(
            due.claim_again(&claim, at(24), at(22), hold).await.unwrap(),
            None
        );
    }
);

crate::both_engines!(
    a_mark_during_the_run_leaves_the_company_with_its_claimer,
    |db: Db| async move {
        let due = table(&db).await;
        let hold = Duration::from_secs(60);
        due.mark("a", at(0)).await.unwrap();
        let claim = due.claim(at(0), 1, hold).await.unwrap().remove(0);
        // Punches recorded during the run, their debounce over while it still runs.
        due.mark("a", at(2)).await.unwrap();
        assert!(due.claim(at(5), 10, hold).await.unwrap().is_empty());
        // The claimer takes it again before letting go: nobody else is ever offered it.
        let again = due
            .claim_again(&claim, at(6), at(6), hold)
            .await
            .unwrap()
            .expect("marked during the run");
        assert!(due.claim(at(7), 10, hold).await.unwrap().is_empty());
        // Marked again, not yet due when the run ends: let go, due at the mark's time.
        due.mark("a", at(10)).await.unwrap();
        assert_eq!(
            due.claim_again(&again, at(8), at(8), hold).await.unwrap(),
            None
        );
        due.reschedule(&again, None).await.unwrap();
        assert!(due.claim(at(9), 10, hold).await.unwrap().is_empty());
        assert_eq!(due.claim(at(10), 10, hold).await.unwrap().len(), 1);
    }
);

crate::both_engines!(
    a_claimer_that_crashed_lets_go_when_its_claim_ends,
    |db: Db| async move {
        let due = table(&db).await;
        let hold = Duration::from_secs(30);
        due.mark("a", at(0)).await.unwrap();
        assert_eq!(due.claim(at(0), 1, hold).await.unwrap().len(), 1);
        due.mark("a", at(1)).await.unwrap();
        // Never rescheduled: the company waits for the claim to end, then anyone takes it.
        assert!(due.claim(at(29), 10, hold).await.unwrap().is_empty());
        assert_eq!(due.claim(at(30), 10, hold).await.unwrap().len(), 1);
    }
);

crate::both_engines!(a_long_run_keeps_its_company_claimed, |db: Db| async move {
    let due = table(&db).await;
    let hold = Duration::from_secs(30);
    due.mark("a", at(0)).await.unwrap();
    let claim = due.claim(at(0), 1, hold).await.unwrap().remove(0);
    due.mark("a", at(1)).await.unwrap();
    due.keep("a", at(50)).await.unwrap();
    assert!(due.claim(at(40), 10, hold).await.unwrap().is_empty());
    // Let go of: keeping it does not claim it again.
    due.reschedule(&claim, None).await.unwrap();
    due.keep("a", at(90)).await.unwrap();
    assert_eq!(due.claim(at(41), 10, hold).await.unwrap().len(), 1);
});

crate::both_engines!(
    a_mark_during_the_run_survives_the_reschedule,
    |db: Db| async move {
        let due = table(&db).await;
        let hold = Duration::from_secs(60);
        due.mark("a", at(0)).await.unwrap();
        let claim = due.claim(at(0), 1, hold).await.unwrap().remove(0);
        due.mark("a", at(2)).await.unwrap();
        due.reschedule(&claim, None).await.unwrap();
        assert_eq!(due.due_at("a").await.unwrap(), Some(at(2)));
        // Without a newer mark the row goes, or moves to the time asked for.
        let claim = due.claim(at(2), 1, hold).await.unwrap().remove(0);
        due.reschedule(&claim, Some(at(40))).await.unwrap();
        assert_eq!(due.due_at("a").await.unwrap(), Some(at(40)));
        let claim = due.claim(at(40), 1, hold).await.unwrap().remove(0);
        due.reschedule(&claim, None).await.unwrap();
        assert_eq!(due.due_at("a").await.unwrap(), None);
    }
);

crate::both_engines!(two_claimers_never_share_a_company, |db: Db| async move {
    let due = table(&db).await;
    for i in 0..200 {
        due.mark(&format!("c{i:03}"), at(0)).await.unwrap();
    }
    let hold = Duration::from_secs(60);
    let (one, two) = tokio::join!(
        async {
            let mut got = Vec::new();
            for _ in 0..20 {
                got.extend(due.claim(at(1), 7, hold).await.unwrap());
            }
            got
        },
        async {
            let mut got = Vec::new();
            for _ in 0..20 {
                got.extend(due.claim(at(1), 7, hold).await.unwrap());
            }
            got
        }
    );
    let mut all: Vec<String> = one
        .iter()
        .chain(&two)
        .map(|c| c.company_id.clone())
        .collect();
    let claimed = all.len();
    all.sort();
    all.dedup();
    assert_eq!(all.len(), claimed, "a company was claimed twice");
    assert_eq!(claimed, 200);
});

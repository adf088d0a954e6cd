//! An upgrade forgets the token-rejection reasons an earlier build stored verbatim (they may
//! hold a token), and the token stays rejected; on both engines.

mod common;

use common::{TOKEN, stored_text};
use kintai_testkit::{TestDb, TestEngine};
use sqlx::Row;

/// Reasons stored verbatim by an earlier build may hold a token: the upgrade forgets them.
async fn old_unredacted_reasons_are_forgotten(engine: TestEngine) {
    let Some(test_db) = TestDb::new(engine).await else {
        return;
    };
    let db = test_db.db.clone();
    let v1 = &kintai_settings::MIGRATIONS[..1];
    kintai_core::migrate::migrate(&db, kintai_settings::SERVICE, v1)
        .await
        .unwrap();
    sqlx::query(
        "INSERT INTO companies (company_id, enabled, vendor, updated_at, token_ciphertext, \
         token_key_id, token_fingerprint, token_state, token_rejected_reason) \
         VALUES ('c1', 1, 'king_of_time', 0, 'x', 'k1', 'f', 'rejected', $1)",
    )
    .bind(format!("403 code 100 for {TOKEN}"))
    .execute(db.pool())
    .await
    .unwrap();
    kintai_core::migrate::migrate(&db, kintai_settings::SERVICE, kintai_settings::MIGRATIONS)
        .await
        .unwrap();
    let stored = stored_text(&db).await;
    assert!(!stored.contains(TOKEN), "{stored}");
    let state: String = sqlx::query("SELECT token_state FROM companies")
        .fetch_one(db.pool())
        .await
        .unwrap()
        .get(0);
    assert_eq!(state, "rejected", "the token stays rejected");
    test_db.finish().await;
}

#[tokio::test]
async fn old_unredacted_reasons_are_forgotten_on_sqlite() {
    old_unredacted_reasons_are_forgotten(TestEngine::Sqlite).await;
}

#[tokio::test]
async fn old_unredacted_reasons_are_forgotten_on_postgres() {
    old_unredacted_reasons_are_forgotten(TestEngine::Postgres).await;
}

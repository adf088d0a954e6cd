//! The storage foundation on both engines: migrations and leases.

use std::time::Duration;

use kintai_core::Db;
use kintai_core::both_engines;
use kintai_core::lease::{Leases, create_table_sql};
use kintai_core::migrate::{Migration, migrate};
use sqlx::Row;

const MIGRATIONS: &[Migration] = &[
    Migration {
        version: 1,
        name: "notes",
        sqlite: "CREATE TABLE notes (id TEXT PRIMARY KEY, body TEXT NOT NULL, at BIGINT NOT NULL);",
        postgres: "CREATE TABLE notes (id TEXT PRIMARY KEY, body TEXT NOT NULL, at BIGINT NOT NULL);",
    },
    Migration {
        version: 2,
        name: "leases",
        sqlite: "CREATE TABLE test_leases (company_id TEXT PRIMARY KEY, holder TEXT NOT NULL, expires_at BIGINT NOT NULL);",
        postgres: "CREATE TABLE test_leases (company_id TEXT PRIMARY KEY, holder TEXT NOT NULL, expires_at BIGINT NOT NULL);",
    },
];

both_engines!(
    migrations_apply_once_and_are_recorded,
    |db: Db| async move {
        migrate(&db, "test", MIGRATIONS).await.unwrap();
        // A second start (or a second pod) applies nothing again.
        migrate(&db, "test", MIGRATIONS).await.unwrap();
        let versions: Vec<i64> =
            sqlx::query("SELECT version FROM test_schema_migrations ORDER BY version")
                .fetch_all(db.pool())
                .await
                .unwrap()
                .iter()
                .map(|row| row.get::<i64, _>(0))
                .collect();
        assert_eq!(versions, [1, 2]);
        sqlx::query("INSERT INTO notes (id, body, at) VALUES ($1, $2, $3)")
            .bind("n1")
            .bind("市ヶ谷 市子")
            .bind(1_700_000_000_000_i64)
            .execute(db.pool())
            .await
            .unwrap();
        let row = sqlx::query("SELECT body, at FROM notes WHERE id = $1")
            .bind("n1")
            .fetch_one(db.pool())
            .await
            .unwrap();
        assert_eq!(row.get::<String, _>(0), "市ヶ谷 市子");
        assert_eq!(row.get::<i64, _>(1), 1_700_000_000_000);
    }
);

both_engines!(concurrent_migrations_do_not_collide, |db: Db| async move {
    let (a, b) = tokio::join!(
        migrate(&db, "test", MIGRATIONS),
        migrate(&db, "test", MIGRATIONS)
    );
    a.unwrap();
    b.unwrap();
});

both_engines!(a_newer_schema_is_refused, |db: Db| async move {
    migrate(&db, "test", MIGRATIONS).await.unwrap();
    let error = migrate(&db, "test", &MIGRATIONS[..1]).await.unwrap_err();
    assert!(error.to_string().contains("migration 2"), "{error}");
});

both_engines!(
    leases_exclude_a_second_holder_until_released_or_expired,
    |db: Db| async move {
        migrate(&db, "test", MIGRATIONS).await.unwrap();
        assert!(create_table_sql("test_leases").contains("test_leases"));
        let leases = Leases::new(db.clone(), "test_leases", Duration::from_millis(300));
        let first = leases
            .try_acquire("c1", "run-a")
            .await
            .unwrap()
            .expect("free lease");
        assert!(leases.try_acquire("c1", "run-b").await.unwrap().is_none());
        // Other companies are independent.
        let other = leases
            .try_acquire("c2", "run-b")
            .await
            .unwrap()
            .expect("other company");
        assert!(leases.renew(&first).await.unwrap());
        leases.release(first).await.unwrap();
        let second = leases
            .try_acquire("c1", "run-b")
            .await
            .unwrap()
            .expect("released lease");
        // A crashed holder's lease expires.
        tokio::time::sleep(Duration::from_millis(400)).await;
        let third = leases
            .try_acquire("c1", "run-c")
            .await
            .unwrap()
            .expect("expired lease");
        assert!(
            !leases.renew(&second).await.unwrap(),
            "the expired holder lost its lease"
        );
        leases.release(third).await.unwrap();
        leases.release(other).await.unwrap();
    }
);

both_engines!(concurrent_acquires_admit_exactly_one, |db: Db| async move {
    migrate(&db, "test", MIGRATIONS).await.unwrap();
    let leases = Leases::new(db.clone(), "test_leases", Duration::from_secs(60));
    let attempts = (0..8).map(|i| {
        let leases = leases.clone();
        async move { leases.try_acquire("c1", &format!("run-{i}")).await.unwrap() }
    });
    let won = futures::future::join_all(attempts)
        .await
        .into_iter()
        .flatten()
        .count();
    assert_eq!(won, 1);
});

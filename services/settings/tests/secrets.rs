//! The token never appears in a response, a log line or the database; keys rotate. The upgrade
//! that forgets reasons stored before redaction is in `secrets_migration.rs`.

mod common;

use std::io::Write;
use std::sync::{Arc, Mutex, OnceLock};

use common::{Harness, OTHER_TOKEN, TOKEN, stored_text};
use kintai_proto::settings::v1::*;
use kintai_settings::crypto::KeyRing;
use kintai_testkit::status::reason;
use kintai_testkit::{Caller, TestDb, TestEngine};
use sqlx::Row;

/// Collects every log line of this test binary: a global subscriber, installed once, so that no
/// event is missed whichever thread or test emits it (every test here handles the token, so all
/// of their logs are searched).
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

fn captured_logs() -> Captured {
    static CAPTURED: OnceLock<Captured> = OnceLock::new();
    CAPTURED
        .get_or_init(|| {
            let captured = Captured::default();
            let sink = captured.clone();
            let subscriber = tracing_subscriber::fmt()
                .with_max_level(tracing::Level::TRACE)
                .with_ansi(false)
                .with_writer(move || sink.clone())
                .finish();
            tracing::subscriber::set_global_default(subscriber)
                .expect("the only subscriber of this binary");
            captured
        })
        .clone()
}

impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

async fn token_stays_secret(engine: TestEngine) {
    let captured = captured_logs();

    let Some(test_db) = TestDb::new(engine).await else {
        return;
    };
    let mut h = Harness::on(test_db.db.clone()).await;
    h.enable("c1", true).await;
    let registered = h.register("c1", TOKEN).await.unwrap();
    let credentials = h
        .peer
        .get_credentials(GetCredentialsRequest {
            company_id: "c1".into(),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(credentials.token, TOKEN, "only GetCredentials returns it");
    let got = h
        .client
        .get_integration(GetIntegrationRequest {
            company_id: "c1".into(),
        })
        .await
        .unwrap()
        .into_inner();
    let listed = h
        .client
        .list_companies(ListCompaniesRequest {
            enabled_only: false,
            page_size: 0,
            page_token: String::new(),
        })
        .await
        .unwrap()
        .into_inner();
    h.peer
        .report_token_rejected(ReportTokenRejectedRequest {
            company_id: "c1".into(),
            token_fingerprint: credentials.token_fingerprint.clone(),
            rejection: TokenRejection::AuthenticationFailed as i32,
            vendor_message: format!("認証に失敗しました token={TOKEN}"),
        })
        .await
        .unwrap();
    h.client
        .delete_token(DeleteTokenRequest {
            company_id: "c1".into(),
        })
        .await
        .unwrap();
    // A wrong token's failure path logs too.
    let _ = h.register("c1", "99999999999999999999999999999999").await;
    h.register("c1", TOKEN).await.unwrap();

    for response in [
        format!("{registered:?}"),
        format!("{got:?}"),
        format!("{listed:?}"),
    ] {
        assert!(!response.contains(TOKEN), "{response}");
    }
    let stored = stored_text(&test_db.db).await;
    assert!(
        stored.contains(&credentials.token_fingerprint),
        "the fingerprint is stored: {stored}"
    );
    assert!(
        !stored.contains(TOKEN),
        "plaintext token in the database: {stored}"
    );
    if engine == TestEngine::Sqlite {
        // Also the raw file (and its WAL), not just what queries show.
        let path = test_db.url.trim_start_matches("sqlite://").to_owned();
        for file in [path.clone(), format!("{path}-wal")] {
            if let Ok(bytes) = std::fs::read(&file) {
                assert!(
                    !bytes.windows(TOKEN.len()).any(|w| w == TOKEN.as_bytes()),
                    "token in {file}"
                );
            }
        }
    }
    h.finish().await;
    test_db.finish().await;
    let logs = String::from_utf8(captured.0.lock().unwrap().clone()).unwrap();
    assert!(
        logs.contains("token verified and stored"),
        "the logs were captured: {logs}"
    );
    assert!(
        !logs.contains(TOKEN) && !logs.contains("9999999999999999"),
        "a token leaked into the logs:\n{logs}"
    );
}

#[tokio::test]
async fn the_token_stays_secret_on_sqlite() {
    token_stays_secret(TestEngine::Sqlite).await;
}

#[tokio::test]
async fn the_token_stays_secret_on_postgres() {
    token_stays_secret(TestEngine::Postgres).await;
}

async fn keys_rotate(engine: TestEngine) {
    let _ = captured_logs();
    let old = KeyRing::generate_entry("old");
    let Some(test_db) = TestDb::new(engine).await else {
        return;
    };
    let mut h = Harness::on_with_keys(test_db.db.clone(), &old).await;
    h.enable("c1", true).await;
    h.enable("c2", true).await;
    h.register("c1", TOKEN).await.unwrap();
    h.register("c2", OTHER_TOKEN).await.unwrap();
    let db = test_db.db.clone();
    let key_ids = || async {
        sqlx::query("SELECT token_key_id FROM companies ORDER BY company_id")
            .fetch_all(db.pool())
            .await
            .unwrap()
            .iter()
            .map(|row| row.get::<String, _>(0))
            .collect::<Vec<_>>()
    };
    assert_eq!(key_ids().await, ["old", "old"]);

    // A server configured with old + new still reads tokens sealed with the old key.
    let both = format!("{old},{}", KeyRing::generate_entry("new"));
    let kot = Arc::new(kot_client::KotClient::new(kot_client::KotConfig::default()).unwrap());
    let rotated_app = common::serve(db.clone(), &both, kot.clone()).await;
    let mut rotated = rotated_app.settings(Caller::Matcher);
    let credentials = rotated
        .get_credentials(GetCredentialsRequest {
            company_id: "c1".into(),
        })
        .await
        .unwrap();
    assert_eq!(credentials.into_inner().token, TOKEN);

    // Re-encryption leaves only the new key id, and tokens still decrypt.
    let keys = KeyRing::parse(&both).unwrap();
    assert_eq!(
        kintai_settings::reencrypt_tokens(&db, &keys).await.unwrap(),
        2
    );
    assert_eq!(key_ids().await, ["new", "new"]);
    assert_eq!(
        kintai_settings::reencrypt_tokens(&db, &keys).await.unwrap(),
        0,
        "idempotent"
    );
    let credentials = rotated
        .get_credentials(GetCredentialsRequest {
            company_id: "c2".into(),
        })
        .await
        .unwrap();
    assert_eq!(credentials.into_inner().token, OTHER_TOKEN);
    rotated_app.finish().await.unwrap();

    // Without the key a token was sealed with: a clear per-company error, not a panic.
    let only_other = KeyRing::generate_entry("other");
    let wrong_app = common::serve(db.clone(), &only_other, kot).await;
    let mut wrong = wrong_app.settings(Caller::Matcher);
    let status = wrong
        .get_credentials(GetCredentialsRequest {
            company_id: "c1".into(),
        })
        .await
        .unwrap_err();
    assert_eq!(status.code(), tonic::Code::FailedPrecondition);
    assert_eq!(reason(&status), "TOKEN_UNREADABLE");
    assert!(status.message().contains("\"new\""), "{}", status.message());
    // ... and the integration says so, with what to do, instead of "valid".
    let mut wrong = wrong_app.settings(Caller::Platform);
    let token = wrong
        .get_integration(GetIntegrationRequest {
            company_id: "c1".into(),
        })
        .await
        .unwrap()
        .into_inner()
        .integration
        .unwrap()
        .token
        .unwrap();
    assert_eq!(token.state(), TokenState::Unreadable);
    assert!(
        token.detail.contains("「new」") && token.detail.contains("トークンを登録し直してください"),
        "{}",
        token.detail
    );
    let listed = wrong
        .list_companies(ListCompaniesRequest::default())
        .await
        .unwrap()
        .into_inner()
        .companies;
    assert!(
        listed
            .iter()
            .all(|c| c.token_state() == TokenState::Unreadable
                && c.token_detail.contains("設定に戻す")),
        "{listed:?}"
    );
    wrong_app.finish().await.unwrap();
    h.finish().await;
    test_db.finish().await;
}

#[tokio::test]
async fn keys_rotate_on_sqlite() {
    keys_rotate(TestEngine::Sqlite).await;
}

#[tokio::test]
async fn keys_rotate_on_postgres() {
    keys_rotate(TestEngine::Postgres).await;
}

/// A rejection report whose vendor message holds the stored token (in another case), another
/// token-shaped secret, line breaks and far too many characters.
async fn rejection_reports_carry_no_secret(engine: TestEngine) {
    let captured = captured_logs();
    let Some(test_db) = TestDb::new(engine).await else {
        return;
    };
    let mut h = Harness::on(test_db.db.clone()).await;
    h.enable("c1", true).await;
    let fingerprint = h
        .register("c1", TOKEN)
        .await
        .unwrap()
        .token
        .unwrap()
        .fingerprint;
    let other_secret = "sk_live_Zm9vYmFyYmF6cXV4";
    let message = format!(
        "認証に失敗しました\ntoken {} or {other_secret} {}",
        TOKEN.to_uppercase(),
        "長".repeat(400)
    );
    let reported = h
        .peer
        .report_token_rejected(ReportTokenRejectedRequest {
            company_id: "c1".into(),
            token_fingerprint: fingerprint,
            rejection: TokenRejection::AuthenticationFailed as i32,
            vendor_message: message,
        })
        .await
        .unwrap()
        .into_inner();
    let got = h
        .client
        .get_integration(GetIntegrationRequest {
            company_id: "c1".into(),
        })
        .await
        .unwrap()
        .into_inner();
    let reason = got
        .integration
        .clone()
        .unwrap()
        .token
        .unwrap()
        .rejected_reason;
    assert!(
        reason.starts_with("認証に失敗しました token [redacted] or [redacted]"),
        "{reason}"
    );
    assert!(
        reason.chars().count() <= 200,
        "bounded: {}",
        reason.chars().count()
    );
    let stored = stored_text(&test_db.db).await;
    for text in [format!("{reported:?}"), format!("{got:?}"), stored] {
        let lowered = text.to_lowercase();
        assert!(!lowered.contains(TOKEN), "token in {text}");
        assert!(!text.contains(other_secret), "secret in {text}");
        assert!(!text.contains("Zm9vYmFy"), "part of a secret in {text}");
    }
    h.finish().await;
    test_db.finish().await;
    let logs = String::from_utf8(captured.0.lock().unwrap().clone())
        .unwrap()
        .to_lowercase();
    assert!(
        logs.contains("token marked rejected"),
        "the logs were captured"
    );
    assert!(!logs.contains(TOKEN), "a token leaked into the logs");
    assert!(
        !logs.contains(&other_secret.to_lowercase()),
        "a secret leaked into the logs"
    );
}

#[tokio::test]
async fn rejection_reports_carry_no_secret_on_sqlite() {
    rejection_reports_carry_no_secret(TestEngine::Sqlite).await;
}

#[tokio::test]
async fn rejection_reports_carry_no_secret_on_postgres() {
    rejection_reports_carry_no_secret(TestEngine::Postgres).await;
}

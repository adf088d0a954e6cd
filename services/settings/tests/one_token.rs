//! One token, one company (issue 27): RegisterToken refuses a KING OF TIME token another company
//! holds, naming no other company; a company registers its own token again as often as it
//! likes; tokens stored before the rule get their lookup at start-up and ListCompanies flags
//! those held twice; a token the keys cannot open stays without a lookup. On both engines.

mod common;

use common::{Harness, OTHER_TOKEN, TOKEN};
use kintai_core::Db;
use kintai_proto::settings::v1::*;
use kintai_settings::crypto::KeyRing;
use kintai_testkit::both_engines;
use kintai_testkit::status::{localized, reason};
use sqlx::Row;
use tonic::Code;

async fn token_state(h: &mut Harness, company_id: &str) -> TokenState {
    h.client
        .get_integration(GetIntegrationRequest {
            company_id: company_id.into(),
        })
        .await
        .unwrap()
        .into_inner()
        .integration
        .and_then(|i| i.token)
        .unwrap()
        .state()
}

both_engines!(
    a_token_another_company_holds_is_refused_without_naming_it,
    |db: Db| async move {
        let mut h = Harness::on(db).await;
        h.register("acme-tokyo", TOKEN).await.unwrap();
        let status = h.register("beta-osaka", TOKEN).await.unwrap_err();
        assert_eq!(status.code(), Code::AlreadyExists, "{status:?}");
        assert_eq!(reason(&status), "TOKEN_REGISTERED_ELSEWHERE");
        let (locale, message) = localized(&status);
        assert_eq!(locale, "ja");
        assert!(message.contains("別の会社に登録されています"), "{message}");
        for shown in [message.as_str(), status.message()] {
            assert!(!shown.contains("acme"), "names the other company: {shown}");
        }
        assert_eq!(token_state(&mut h, "beta-osaka").await, TokenState::None);

        // The company's own token again: still fine, as often as it likes.
        h.register("acme-tokyo", TOKEN).await.unwrap();
        h.register("acme-tokyo", TOKEN).await.unwrap();
        // Another token for the second company is fine; and once the first company lets its
        // token go, the second may register it.
        h.register("beta-osaka", OTHER_TOKEN).await.unwrap();
        h.client
            .delete_token(DeleteTokenRequest {
                company_id: "acme-tokyo".into(),
            })
            .await
            .unwrap();
        h.register("beta-osaka", TOKEN).await.unwrap();
        assert_eq!(token_state(&mut h, "beta-osaka").await, TokenState::Valid);
        h.finish().await;
    }
);

both_engines!(
    older_double_registrations_are_flagged_and_unreadable_tokens_left_without_a_lookup,
    |db: Db| async move {
        let keys_spec = KeyRing::generate_entry("k1");
        let keys = KeyRing::parse(&keys_spec).unwrap();
        let h = Harness::on_with_keys(db.clone(), &keys_spec).await;
        h.finish().await;
        // Rows as an earlier build stored them: no lookups; c1 and c2 on one token, c3 on its
        // own, c4 sealed with a key this server does not have.
        let gone = KeyRing::parse(&KeyRing::generate_entry("gone")).unwrap();
        for (company_id, token, ring) in [
            ("c1", TOKEN, &keys),
            ("c2", TOKEN, &keys),
            ("c3", OTHER_TOKEN, &keys),
            ("c4", TOKEN, &gone),
        ] {
            let sealed = ring.seal(company_id, token);
            sqlx::query(
                "INSERT INTO companies (company_id, enabled, vendor, updated_at, token_ciphertext, \
                 token_key_id, token_fingerprint, token_state) \
                 VALUES ($1, 1, 'king_of_time', 0, $2, $3, 'f', 'valid')",
            )
            .bind(company_id)
            .bind(&sealed.ciphertext)
            .bind(&sealed.key_id)
            .execute(db.pool())
            .await
            .unwrap();
        }

        // Start-up: the pass gives every readable token its lookup.
        let mut h = Harness::on_with_keys(db.clone(), &keys_spec).await;
        let listed = h
            .client
            .list_companies(ListCompaniesRequest::default())
            .await
            .unwrap()
            .into_inner()
            .companies;
        let flags: Vec<(&str, bool, TokenState)> = listed
            .iter()
            .map(|c| {
                (
                    c.company_id.as_str(),
                    c.token_registered_twice,
                    c.token_state(),
                )
            })
            .collect();
        assert_eq!(
            flags,
            [
                ("c1", true, TokenState::Valid),
                ("c2", true, TokenState::Valid),
                ("c3", false, TokenState::Valid),
                ("c4", false, TokenState::Unreadable),
            ]
        );
        let lookups: Vec<(String, Option<String>)> =
            sqlx::query("SELECT company_id, token_lookup FROM companies ORDER BY company_id")
                .fetch_all(db.pool())
                .await
                .unwrap()
                .iter()
                .map(|row| (row.get(0), row.get(1)))
                .collect();
        assert_eq!(lookups[0].1, lookups[1].1, "one token, one lookup");
        assert_ne!(lookups[0].1, lookups[2].1);
        assert_eq!(lookups[3].1, None, "an unreadable token stays without one");
        // A keyed hash: neither the token nor its plain SHA-256 is in the database.
        let stored = format!("{lookups:?}");
        use sha2::Digest as _;
        let plain = hex::encode(sha2::Sha256::digest(TOKEN.as_bytes()));
        assert!(
            !stored.contains(TOKEN) && !stored.contains(&plain),
            "{stored}"
        );

        // The rule holds against the older rows too: a third company cannot join them.
        let status = h.register("c5", TOKEN).await.unwrap_err();
        assert_eq!(status.code(), Code::AlreadyExists);
        // Nor can c2 move onto c3's token; once c2 lets the shared token go, nothing is flagged.
        h.register("c2", OTHER_TOKEN).await.unwrap_err();
        h.client
            .delete_token(DeleteTokenRequest {
                company_id: "c2".into(),
            })
            .await
            .unwrap();
        let listed = h
            .client
            .list_companies(ListCompaniesRequest::default())
            .await
            .unwrap()
            .into_inner()
            .companies;
        assert!(
            listed.iter().all(|c| !c.token_registered_twice),
            "{listed:?}"
        );
        h.finish().await;
    }
);

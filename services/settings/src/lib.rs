//! The settings service: company switch 勤怠連携 有効/無効, KING OF TIME tokens (verified, then
//! encrypted at rest), the user directory mirrored from cyzen, per-user link flags and status
//! definitions (manual: 利用開始方法, トークンの設定, 対象ユーザーの指定, cyzenでのユーザー設定).

mod api;
mod companies;
mod convert;
pub mod crypto;
mod error;
mod revisions;
mod schema;
mod serve;
mod statuses;
mod token_lookup;
mod token_pass;
mod token_registry;
mod token_view;
pub mod user_code;
mod users;

use std::collections::BTreeMap;
use std::sync::Arc;

pub use api::SettingsApi;
use kintai_core::{Clock, Db};
use kintai_proto::settings::v1::settings_service_server::SettingsServiceServer;
use kot_client::AttendanceVendor;
pub use schema::MIGRATIONS;
pub use serve::{ServeConfig, serve};

use crate::crypto::KeyRing;

/// Name under which the service's schema history is kept.
pub const SERVICE: &str = "settings";

/// What the settings service needs besides its database.
#[derive(Clone)]
pub struct SettingsDeps {
    /// Verifies tokens before they are stored.
    pub vendor: Arc<dyn AttendanceVendor>,
    /// Seals and opens stored tokens.
    pub keys: KeyRing,
    /// "Now".
    pub clock: Clock,
}

/// Applies the schema and builds the gRPC service with bounded message sizes.
pub async fn service(
    db: Db,
    max_message_bytes: usize,
    deps: SettingsDeps,
) -> anyhow::Result<SettingsServiceServer<SettingsApi>> {
    kintai_core::migrate::migrate(&db, SERVICE, MIGRATIONS).await?;
    // Which stored tokens the keys open (warned of, gauged), and their lookups under the newest
    // key: before the first RegisterToken compares against them.
    token_pass::run(&db, &deps.keys).await?;
    Ok(
        SettingsServiceServer::new(SettingsApi::new(db, deps.keys, deps.vendor, deps.clock))
            .max_decoding_message_size(max_message_bytes)
            .max_encoding_message_size(max_message_bytes),
    )
}

/// The key ids the stored tokens were sealed with, each with how many tokens, in id order.
pub async fn stored_key_ids(db: &Db) -> anyhow::Result<Vec<(String, usize)>> {
    kintai_core::migrate::migrate(db, SERVICE, MIGRATIONS).await?;
    let mut counts: BTreeMap<String, usize> = BTreeMap::new();
    for (_, sealed) in companies::sealed_tokens(db).await? {
        *counts.entry(sealed.key_id).or_default() += 1;
    }
    Ok(counts.into_iter().collect())
}

/// Re-encrypts every stored token under the newest key; answers how many were re-sealed.
/// Tokens whose key is not configured are reported as an error after the others are done.
pub async fn reencrypt_tokens(db: &Db, keys: &KeyRing) -> anyhow::Result<usize> {
    kintai_core::migrate::migrate(db, SERVICE, MIGRATIONS).await?;
    let mut resealed = 0;
    let mut failures = Vec::new();
    for (company_id, sealed) in companies::sealed_tokens(db).await? {
        if sealed.key_id == keys.newest_id() {
            continue;
        }
        match keys.open(&company_id, &sealed) {
            Ok(plain) => {
                let new = keys.seal(&company_id, &plain);
                let lookup = token_lookup::lookup(keys, &plain);
                if companies::reseal(db, &company_id, &sealed, &new, &lookup).await? {
                    resealed += 1;
                }
            }
            Err(error) => failures.push(format!("company {company_id}: {error}")),
        }
    }
    if failures.is_empty() {
        Ok(resealed)
    } else {
        anyhow::bail!(
            "re-encrypted {resealed} tokens; could not re-encrypt: {}",
            failures.join("; ")
        )
    }
}

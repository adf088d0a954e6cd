//! The start-up pass over every stored token: whether this server's keys open it (the
//! unreadable gauge, and a warning naming the missing or mismatched key ids), and its lookup
//! under the newest key, so that one token stays with one company (token_lookup.rs). Tokens
//! stored before lookups existed get theirs here; after a key rotation every readable token's
//! lookup moves to the newest key. A token the keys cannot open keeps what it has, and the
//! operator is told that such tokens are not checked for a second registration.

use std::collections::{BTreeMap, HashMap};

use kintai_core::Db;
use kintai_core::telemetry::metrics::record_token_unreadable;

use crate::crypto::{CryptoError, KeyRing};
use crate::{token_lookup, token_registry};

/// What the pass found, for the warnings (and the tests).
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct PassReport {
    /// Key ids not configured, with how many tokens each sealed.
    pub missing_keys: BTreeMap<String, usize>,
    /// Key ids configured with other bytes than those that sealed tokens, with how many.
    pub mismatched_keys: BTreeMap<String, usize>,
    /// Lookups set or moved to the newest key.
    pub lookups_set: usize,
    /// Unreadable tokens without a lookup: a second registration of them is not noticed.
    pub without_lookup: usize,
    /// Companies whose token another company holds too.
    pub registered_twice: usize,
}

pub async fn run(db: &Db, keys: &KeyRing) -> anyhow::Result<PassReport> {
    let mut report = PassReport::default();
    let newest = format!("{}:", keys.newest_id());
    let mut holders: HashMap<String, usize> = HashMap::new();
    for stored in token_registry::stored(db).await? {
        let opened = keys.open(&stored.company_id, &stored.sealed);
        record_token_unreadable(&stored.company_id, opened.is_err());
        let lookup = match opened {
            Ok(plain) => {
                let fresh = stored
                    .lookup
                    .as_deref()
                    .is_some_and(|lookup| lookup.starts_with(&newest));
                if fresh {
                    stored.lookup
                } else {
                    let lookup = token_lookup::lookup(keys, &plain);
                    let set =
                        token_registry::set_lookup(db, &stored.company_id, &stored.sealed, &lookup)
                            .await?;
                    report.lookups_set += usize::from(set);
                    set.then_some(lookup)
                }
            }
            Err(error) => {
                let tally = match error {
                    CryptoError::UnknownKey(_) => &mut report.missing_keys,
                    _ => &mut report.mismatched_keys,
                };
                *tally.entry(stored.sealed.key_id.clone()).or_default() += 1;
                report.without_lookup += usize::from(stored.lookup.is_none());
                stored.lookup
            }
        };
        if let Some(lookup) = lookup {
            *holders.entry(lookup).or_default() += 1;
        }
    }
    report.registered_twice = holders.values().filter(|n| **n > 1).sum();
    warn(&report);
    Ok(report)
}

fn described(keys: &BTreeMap<String, usize>) -> String {
    keys.iter()
        .map(|(id, count)| {
            format!(
                "{id:?} ({count} token{})",
                if *count == 1 { "" } else { "s" }
            )
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// The operator hears of every problem before an administrator does.
fn warn(report: &PassReport) {
    if !report.missing_keys.is_empty() {
        tracing::warn!(
            missing_keys = %described(&report.missing_keys),
            "stored tokens are sealed with token keys this server does not have: those companies show TOKEN_STATE_UNREADABLE and are neither matched nor synced until the keys are restored (crypto.token_keys) or their tokens are registered again"
        );
    }
    if !report.mismatched_keys.is_empty() {
        tracing::warn!(
            mismatched_keys = %described(&report.mismatched_keys),
            "stored tokens do not open with the token keys configured under the ids that sealed them (other key bytes under the same id, or damaged data): those companies show TOKEN_STATE_UNREADABLE and are neither matched nor synced until the keys that sealed them are configured under those ids or their tokens are registered again"
        );
    }
    if report.without_lookup > 0 {
        tracing::warn!(
            tokens = report.without_lookup,
            "stored tokens this server cannot decrypt have no lookup yet: RegisterToken cannot tell whether another company registers the same token until they are readable or registered again"
        );
    }
    if report.registered_twice > 0 {
        tracing::warn!(
            companies = report.registered_twice,
            "companies share a KING OF TIME token with another company (registered before RegisterToken refused that); ListCompanies flags them with token_registered_twice: register each company's own token"
        );
    }
}

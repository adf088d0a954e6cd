//! One token, one company (issue 27, "One token, two companies"): RegisterToken must find
//! whether another company holds the same KING OF TIME token. Tokens are sealed with random
//! nonces, so ciphertexts never compare; each sealed token gets a lookup value beside it.
//!
//! The lookup is HMAC-SHA256 of the token under a key derived from a token key, not a plain
//! SHA-256. A settings database that leaks without the token keys (a backup, a read replica, a
//! dump attached to a support ticket) then tells nothing about any token: with a plain hash,
//! whoever holds a candidate token — one leaked elsewhere, or a short or patterned paste (our
//! check accepts 16 printable characters) — could confirm it offline and learn which company
//! uses it. Caller secrets can be stored as plain SHA-256 because we generate them, 256 random
//! bits each; KING OF TIME's token format is not ours to guarantee. The keyed hash reveals only
//! which rows hold the same token, which is all the rule needs.
//!
//! The value is `KEY_ID:HEX`, the id of the token key it was derived from first: keys rotate,
//! so a registration compares against the lookups under every configured key, and start-up
//! re-derives every readable token's lookup under the newest key.

use hmac::{Hmac, Mac};
use sha2::Sha256;

use crate::crypto::KeyRing;

type HmacSha256 = Hmac<Sha256>;

/// What the lookup key is derived for: a token key is never used as-is for a second purpose.
const PURPOSE: &[u8] = b"kintai-link token lookup v1";

fn mac(key: &[u8]) -> HmacSha256 {
    // HMAC takes keys of any length; this cannot fail.
    <HmacSha256 as Mac>::new_from_slice(key).expect("HMAC accepts any key length")
}

/// The lookup of `token` under one token key.
fn lookup_with(key_id: &str, key: &[u8], token: &str) -> String {
    let mut derive = mac(key);
    derive.update(PURPOSE);
    let lookup_key = derive.finalize().into_bytes();
    let mut hash = mac(&lookup_key);
    hash.update(token.as_bytes());
    format!("{key_id}:{}", hex::encode(hash.finalize().into_bytes()))
}

/// The lookup stored beside a token sealed now: under the newest key.
pub fn lookup(keys: &KeyRing, token: &str) -> String {
    let (key_id, key) = keys.entries().last().expect("a KeyRing always holds a key");
    lookup_with(key_id, key, token)
}

/// The token's lookups under every configured key, to find it wherever it was registered
/// (rows written before a rotation reached every replica carry an older key's lookup).
pub fn lookups(keys: &KeyRing, token: &str) -> Vec<String> {
    keys.entries()
        .map(|(key_id, key)| lookup_with(key_id, key, token))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const TOKEN: &str = "0123456789abcdef0123456789abcdef";

    #[test]
    fn lookups_are_keyed_stable_and_distinct() {
        let one = KeyRing::parse(&KeyRing::generate_entry("k1")).unwrap();
        let other = KeyRing::parse(&KeyRing::generate_entry("k1")).unwrap();
        assert_eq!(lookup(&one, TOKEN), lookup(&one, TOKEN));
        assert_ne!(lookup(&one, TOKEN), lookup(&one, "another token value"));
        // Another key (same id) gives another value: the database alone cannot test a token.
        assert_ne!(lookup(&one, TOKEN), lookup(&other, TOKEN));
        assert!(lookup(&one, TOKEN).starts_with("k1:"));
        assert!(!lookup(&one, TOKEN).contains(TOKEN));
        use sha2::Digest as _;
        let plain = hex::encode(Sha256::digest(TOKEN.as_bytes()));
        assert!(!lookup(&one, TOKEN).contains(&plain));
    }

    #[test]
    fn every_configured_key_gives_a_lookup_the_newest_last() {
        let old = KeyRing::generate_entry("old");
        let keys = KeyRing::parse(&format!("{old},{}", KeyRing::generate_entry("new"))).unwrap();
        let all = lookups(&keys, TOKEN);
        assert_eq!(all.len(), 2);
        assert_eq!(all[1], lookup(&keys, TOKEN));
        assert_eq!(all[0], lookup(&KeyRing::parse(&old).unwrap(), TOKEN));
    }
}

//! Encryption at rest of KING OF TIME tokens: AES-256-GCM with a random 96-bit nonce per
//! encryption and the company id as associated data (a ciphertext copied onto another company's
//! row does not decrypt). The key id is stored beside the ciphertext so keys can rotate: the
//! newest configured key encrypts, every configured key decrypts.

use std::fmt;
use std::path::Path;

use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::{Aes256Gcm, Key, Nonce};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use rand::RngCore;

const NONCE_LEN: usize = 12;

/// Problems with keys or ciphertexts; messages never contain key material or plaintext.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum CryptoError {
    #[error("no token encryption key is configured (crypto.token_keys or crypto.token_key_file)")]
    NoKeys,
    #[error("token key entry {index} is not ID:BASE64 with a 32-byte key (AES-256): {why}")]
    BadKey { index: usize, why: String },
    #[error("token key id {0:?} is configured twice")]
    DuplicateId(String),
    #[error("the token was encrypted with key {0:?}, which is not configured")]
    UnknownKey(String),
    #[error("the stored token does not decrypt with key {0:?} (wrong key or damaged data)")]
    Undecryptable(String),
}

/// The configured keys, oldest first; the last one encrypts.
#[derive(Clone)]
pub struct KeyRing {
    keys: Vec<(String, Key<Aes256Gcm>)>,
}

impl fmt::Debug for KeyRing {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let ids: Vec<&str> = self.keys.iter().map(|(id, _)| id.as_str()).collect();
        f.debug_struct("KeyRing").field("key_ids", &ids).finish()
    }
}

/// A token as stored: which key, and the base64 of nonce ‖ ciphertext ‖ tag.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sealed {
    pub key_id: String,
    pub ciphertext: String,
}

impl KeyRing {
    /// Parses `ID:BASE64KEY` entries separated by commas or newlines, oldest first.
    pub fn parse(spec: &str) -> Result<Self, CryptoError> {
        let mut keys: Vec<(String, Key<Aes256Gcm>)> = Vec::new();
        let entries = spec
            .split([',', '\n'])
            .map(str::trim)
            .filter(|entry| !entry.is_empty() && !entry.starts_with('#'));
        for (index, entry) in entries.enumerate() {
            let bad = |why: &str| CryptoError::BadKey {
                index,
                why: why.to_owned(),
            };
            let (id, encoded) = entry.split_once(':').ok_or_else(|| bad("missing ':'"))?;
            let id_ok = !id.is_empty()
                && id.len() <= 32
                && id
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || "._-".contains(c));
            if !id_ok {
                return Err(bad("the id must be 1-32 of A-Z a-z 0-9 . _ -"));
            }
            let bytes = STANDARD
                .decode(encoded.trim())
                .map_err(|_| bad("the key is not base64"))?;
            if bytes.len() != 32 {
                return Err(bad("the key must decode to exactly 32 bytes"));
            }
            if keys.iter().any(|(known, _)| known == id) {
                return Err(CryptoError::DuplicateId(id.to_owned()));
            }
            keys.push((id.to_owned(), *Key::<Aes256Gcm>::from_slice(&bytes)));
        }
        if keys.is_empty() {
            return Err(CryptoError::NoKeys);
        }
        Ok(Self { keys })
    }

    /// A fresh random key entry `ID:BASE64`, for laptop mode and for operators.
    pub fn generate_entry(id: &str) -> String {
        let mut key = [0_u8; 32];
        rand::thread_rng().fill_bytes(&mut key);
        format!("{id}:{}", STANDARD.encode(key))
    }

    /// Reads the key file, creating it with one new key (mode 0600, its missing folders 0700)
    /// when it does not exist. An existing file that others may read, or a folder open to them,
    /// is reported with the `chmod` that fixes it: the file opens every stored token.
    pub fn load_or_create_file(path: &Path) -> anyhow::Result<Self> {
        if let Some(parent) = path
            .parent()
            .filter(|parent| !parent.as_os_str().is_empty())
        {
            kintai_core::files::create_private_dir(parent)?;
            kintai_core::files::warn_if_folder_open(parent);
        }
        if path.exists() {
            warn_if_readable(path, kintai_core::files::readable_by_others(path));
        } else {
            let id = format!("laptop-{}", chrono::Utc::now().format("%Y%m%d%H%M%S"));
            let entry = format!("{}\n", Self::generate_entry(&id));
            kintai_core::files::write_new_private_file(path, entry.as_bytes())?;
            tracing::info!(path = %path.display(), key_id = %id, "created a token encryption key file");
        }
        let spec = std::fs::read_to_string(path).map_err(|error| {
            anyhow::anyhow!("cannot read the token key file {}: {error}", path.display())
        })?;
        Self::parse(&spec)
            .map_err(|error| anyhow::anyhow!("token key file {}: {error}", path.display()))
    }

    /// Every configured key with its id, oldest first (for keyed hashes derived from them).
    pub(crate) fn entries(&self) -> impl Iterator<Item = (&str, &[u8])> {
        self.keys
            .iter()
            .map(|(id, key)| (id.as_str(), key.as_slice()))
    }

    /// Whether a key with this id is configured.
    pub fn contains(&self, key_id: &str) -> bool {
        self.keys.iter().any(|(id, _)| id == key_id)
    }

    /// The id of the key that encrypts.
    pub fn newest_id(&self) -> &str {
        self.keys
            .last()
            .map(|(id, _)| id.as_str())
            .unwrap_or_default()
    }

    /// Encrypts a token for one company under the newest key.
    pub fn seal(&self, company_id: &str, plaintext: &str) -> Sealed {
        let (key_id, key) = self.keys.last().expect("a KeyRing always holds a key");
        let mut nonce = [0_u8; NONCE_LEN];
        rand::thread_rng().fill_bytes(&mut nonce);
        let cipher = Aes256Gcm::new(key);
        let payload = Payload {
            msg: plaintext.as_bytes(),
            aad: company_id.as_bytes(),
        };
        // Encryption with a valid key and in-memory buffers cannot fail.
        let sealed = cipher
            .encrypt(Nonce::from_slice(&nonce), payload)
            .expect("AES-GCM encryption");
        let mut blob = nonce.to_vec();
        blob.extend_from_slice(&sealed);
        Sealed {
            key_id: key_id.clone(),
            ciphertext: STANDARD.encode(blob),
        }
    }

    /// Decrypts a stored token of one company.
    pub fn open(&self, company_id: &str, sealed: &Sealed) -> Result<String, CryptoError> {
        let key = self
            .keys
            .iter()
            .find(|(id, _)| *id == sealed.key_id)
            .map(|(_, key)| key)
            .ok_or_else(|| CryptoError::UnknownKey(sealed.key_id.clone()))?;
        let undecryptable = || CryptoError::Undecryptable(sealed.key_id.clone());
        let blob = STANDARD
            .decode(&sealed.ciphertext)
            .map_err(|_| undecryptable())?;
        if blob.len() <= NONCE_LEN {
            return Err(undecryptable());
        }
        let (nonce, body) = blob.split_at(NONCE_LEN);
        let payload = Payload {
            msg: body,
            aad: company_id.as_bytes(),
        };
        let plain = Aes256Gcm::new(key)
            .decrypt(Nonce::from_slice(nonce), payload)
            .map_err(|_| undecryptable())?;
        String::from_utf8(plain).map_err(|_| undecryptable())
    }
}

/// Warns that the token key file at `path` can be read by others, when `readable` says so.
/// The laptop's own file must be its owner's only (any group or other bit); for a file the
/// operator configures (`crypto.token_key_file`), only world-readable counts — a Kubernetes
/// Secret volume is shared with the pod's group by design (our manifests mount it 0440).
pub fn warn_if_readable(path: &Path, readable: bool) {
    if readable {
        tracing::warn!(
            path = %path.display(),
            "the token key file is readable by other users; it opens every stored KING OF TIME token: chmod 600 {}",
            kintai_core::files::shell_word(path)
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const TOKEN: &str = "0123456789abcdef0123456789abcdef";

    fn ring(ids: &[&str]) -> KeyRing {
        let spec: Vec<String> = ids.iter().map(|id| KeyRing::generate_entry(id)).collect();
        KeyRing::parse(&spec.join(",")).unwrap()
    }

    #[test]
    fn sealing_round_trips_with_a_fresh_nonce_each_time() {
        let keys = ring(&["k1"]);
        let a = keys.seal("c1", TOKEN);
        let b = keys.seal("c1", TOKEN);
        assert_ne!(a.ciphertext, b.ciphertext, "nonces must differ");
        assert!(!a.ciphertext.contains(TOKEN));
        assert_eq!(keys.open("c1", &a).unwrap(), TOKEN);
        assert_eq!(a.key_id, "k1");
    }

    #[test]
    fn a_ciphertext_is_bound_to_its_company() {
        let keys = ring(&["k1"]);
        let sealed = keys.seal("c1", TOKEN);
        assert_eq!(
            keys.open("c2", &sealed),
            Err(CryptoError::Undecryptable("k1".into()))
        );
    }

    #[test]
    fn the_newest_key_encrypts_and_old_keys_still_decrypt() {
        let old_entry = KeyRing::generate_entry("old");
        let old = KeyRing::parse(&old_entry).unwrap();
        let sealed = old.seal("c1", TOKEN);
        let rotated =
            KeyRing::parse(&format!("{old_entry}\n{}", KeyRing::generate_entry("new"))).unwrap();
        assert_eq!(rotated.newest_id(), "new");
        assert_eq!(rotated.open("c1", &sealed).unwrap(), TOKEN);
        assert_eq!(rotated.seal("c1", TOKEN).key_id, "new");
        let without_old = ring(&["new"]);
        assert_eq!(
            without_old.open("c1", &sealed),
            Err(CryptoError::UnknownKey("old".into()))
        );
    }

    #[test]
    fn bad_key_specs_are_clear_errors() {
        assert!(matches!(KeyRing::parse(""), Err(CryptoError::NoKeys)));
        assert!(matches!(
            KeyRing::parse("nocolon"),
            Err(CryptoError::BadKey { index: 0, .. })
        ));
        assert!(matches!(
            KeyRing::parse("k1:c2hvcnQ="),
            Err(CryptoError::BadKey { .. })
        ));
        let entry = KeyRing::generate_entry("k1");
        assert!(matches!(
            KeyRing::parse(&format!("{entry},{entry}")),
            Err(CryptoError::DuplicateId(_))
        ));
        let debug = format!("{:?}", KeyRing::parse(&entry).unwrap());
        assert!(!debug.contains(entry.split_once(':').unwrap().1), "{debug}");
    }

    #[test]
    fn key_files_are_created_private_and_reused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("keys/token-keys");
        let first = KeyRing::load_or_create_file(&path).unwrap();
        let second = KeyRing::load_or_create_file(&path).unwrap();
        assert_eq!(first.newest_id(), second.newest_id());
        assert!(first.contains(first.newest_id()));
        assert!(!first.contains("other"));
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
            assert_eq!(mode(&path), 0o600);
            assert_eq!(mode(path.parent().unwrap()), 0o700);
        }
    }
}

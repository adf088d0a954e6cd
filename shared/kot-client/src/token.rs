//! The KING OF TIME access token as a secret value.
//!
//! A token grants read/write access to a whole company's attendance data and has no documented
//! expiry, so it must never reach a log line, a panic message or an error string. `Token`
//! therefore has no `Serialize`, and its `Debug`/`Display` show only a short fingerprint.

use std::fmt;

use sha2::{Digest, Sha256};

/// A KING OF TIME API token. Read the secret only with [`Token::expose`], at the moment it is
/// put into a request.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Token(String);

impl Token {
    pub fn new(secret: impl Into<String>) -> Self {
        Self(secret.into())
    }

    /// The secret itself, for the `Authorization` header and the `/tokens/{token}` paths.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// First 8 hex characters of the token's SHA-256: enough to tell tokens apart in logs and
    /// support conversations, far too little to recover or guess the token.
    pub fn fingerprint(&self) -> String {
        let mut hex = hex::encode(self.digest());
        hex.truncate(8);
        hex
    }

    /// Full SHA-256 of the token, used as the rate limiter's key so the registry does not hold
    /// the secret either.
    pub(crate) fn digest(&self) -> [u8; 32] {
        Sha256::digest(self.0.as_bytes()).into()
    }
}

impl fmt::Debug for Token {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Token(<redacted>)")
    }
}

impl fmt::Display for Token {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "token:{}", self.fingerprint())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &str = "0123456789abcdef0123456789abcdef";

    #[test]
    fn debug_and_display_never_show_the_secret() {
        let token = Token::new(SECRET);
        let debug = format!("{token:?} {:?}", Some(&token));
        let display = token.to_string();
        assert!(!debug.contains(SECRET), "{debug}");
        assert!(!display.contains(SECRET), "{display}");
        assert!(!display.contains("0123"), "{display}");
        assert_eq!(debug, "Token(<redacted>) Some(Token(<redacted>))");
    }

    #[test]
    fn fingerprint_is_stable_short_hex() {
        let token = Token::new(SECRET);
        let fp = token.fingerprint();
        assert_eq!(fp.len(), 8);
        assert!(fp.chars().all(|c| c.is_ascii_hexdigit()));
        assert_eq!(fp, Token::new(SECRET).fingerprint());
        assert_ne!(fp, Token::new("another").fingerprint());
    }

    #[test]
    fn expose_returns_the_secret() {
        assert_eq!(Token::new(SECRET).expose(), SECRET);
    }
}

//! Opaque page tokens for the list RPCs: the last key of a page, base64url-encoded, so the next
//! page starts strictly after it (keyset paging: stable under concurrent inserts).

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

/// Default and maximum page sizes of every list RPC (documented in the protos).
pub const DEFAULT_PAGE_SIZE: u32 = 100;
pub const MAX_PAGE_SIZE: u32 = 1_000;

/// The page size to use: 0 means the default; above the maximum is an error.
pub fn page_size(requested: u32) -> Result<u32, String> {
    match requested {
        0 => Ok(DEFAULT_PAGE_SIZE),
        n if n <= MAX_PAGE_SIZE => Ok(n),
        _ => Err(format!("must be at most {MAX_PAGE_SIZE}")),
    }
}

/// Encodes the key parts of the last row of a page.
pub fn encode_token(parts: &[&str]) -> String {
    let joined = parts.join("\u{1f}");
    URL_SAFE_NO_PAD.encode(joined.as_bytes())
}

/// Decodes a page token into its key parts; `None` for an empty token, an error for a malformed one.
pub fn decode_token(token: &str, expected_parts: usize) -> Result<Option<Vec<String>>, String> {
    if token.is_empty() {
        return Ok(None);
    }
    let bytes = URL_SAFE_NO_PAD
        .decode(token)
        .map_err(|_| "is not a page token this server issued".to_owned())?;
    let text = String::from_utf8(bytes)
        .map_err(|_| "is not a page token this server issued".to_owned())?;
    let parts: Vec<String> = text.split('\u{1f}').map(str::to_owned).collect();
    if parts.len() != expected_parts {
        return Err("is not a page token this server issued".to_owned());
    }
    Ok(Some(parts))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_round_trip_and_reject_garbage() {
        let token = encode_token(&["u-1", "2026-01-01"]);
        assert_eq!(
            decode_token(&token, 2).unwrap().unwrap(),
            vec!["u-1".to_owned(), "2026-01-01".to_owned()]
        );
        assert_eq!(decode_token("", 2).unwrap(), None);
        assert!(decode_token("!!!", 2).is_err());
        assert!(decode_token(&token, 1).is_err());
    }

    #[test]
    fn page_sizes_default_and_cap() {
        assert_eq!(page_size(0).unwrap(), DEFAULT_PAGE_SIZE);
        assert_eq!(page_size(7).unwrap(), 7);
        assert!(page_size(MAX_PAGE_SIZE + 1).is_err());
    }
}

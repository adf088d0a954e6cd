//! Opaque page tokens for the list RPCs: the last key of a page, base64url-encoded, so the next
//! page starts strictly after it (keyset paging: stable under concurrent inserts).

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use kintai_i18n::Text;

use crate::validate::MAX_ID_CHARS;

/// Default and maximum page sizes of every list RPC (documented in the protos).
pub const DEFAULT_PAGE_SIZE: u32 = 100;
pub const MAX_PAGE_SIZE: u32 = 1_000;

/// The page size to use: 0 means the default; above the maximum is an error.
pub fn page_size(requested: u32) -> Result<u32, Text> {
    match requested {
        0 => Ok(DEFAULT_PAGE_SIZE),
        n if n <= MAX_PAGE_SIZE => Ok(n),
        _ => Err(Text::new("field-page-size").arg("max", MAX_PAGE_SIZE)),
    }
}

/// Encodes the key parts of the last row of a page.
pub fn encode_token(parts: &[&str]) -> String {
    let joined = parts.join("\u{1f}");
    URL_SAFE_NO_PAD.encode(joined.as_bytes())
}

/// Decodes a page token into its key parts; `None` for an empty token, an error for one this
/// server cannot have issued: not base64url, not UTF-8, the wrong number of parts, or a part
/// that is empty or longer than any key (a row's key is never empty, and an empty part would
/// silently start again at page 1).
pub fn decode_token(token: &str, expected_parts: usize) -> Result<Option<Vec<String>>, Text> {
    if token.is_empty() {
        return Ok(None);
    }
    let not_ours = || Text::new("field-page-token");
    // The longest token `encode_token` can give for this many parts (each an id, an instant's
    // milliseconds or a day: at most MAX_ID_CHARS characters of at most 4 bytes, and their
    // separators), so a huge token is refused before it is decoded.
    let max_bytes = expected_parts * (4 * MAX_ID_CHARS + 1);
    if token.len() > max_bytes.div_ceil(3) * 4 {
        return Err(not_ours());
    }
    let bytes = URL_SAFE_NO_PAD.decode(token).map_err(|_| not_ours())?;
    let text = String::from_utf8(bytes).map_err(|_| not_ours())?;
    let parts: Vec<String> = text.split('\u{1f}').map(str::to_owned).collect();
    let key_like = |part: &String| !part.is_empty() && part.chars().count() <= MAX_ID_CHARS;
    if parts.len() != expected_parts || !parts.iter().all(key_like) {
        return Err(not_ours());
    }
    Ok(Some(parts))
}

/// A list RPC's page request, checked: the size to fetch and where to start.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PageRequest {
    pub limit: u32,
    /// The key parts of the previous page's last row; `None` on the first page.
    pub after: Option<Vec<String>>,
}

impl PageRequest {
    /// Checks `page_size` and decodes `page_token` (of `key_parts` parts), adding a violation for
    /// each field that is wrong.
    pub fn parse(
        page_size: u32,
        page_token: &str,
        key_parts: usize,
        violations: &mut crate::validate::Violations,
    ) -> Self {
        let limit = page_size_or(page_size, violations);
        let after = decode_token(page_token, key_parts).unwrap_or_else(|why| {
            violations.add("page_token", why);
            None
        });
        Self { limit, after }
    }

    /// The cursor of a single-part key: empty (before every key) on the first page.
    pub fn after_key(&self) -> String {
        self.after
            .as_ref()
            .and_then(|parts| parts.first().cloned())
            .unwrap_or_default()
    }

    /// The cursor of a two-part key `(first, id)` whose first part `parse` reads: `None` on the
    /// first page; a first part that does not parse is a `page_token` violation.
    pub fn after_pair<T>(
        &self,
        violations: &mut crate::validate::Violations,
        parse: impl FnOnce(&str) -> Option<T>,
    ) -> Option<(T, String)> {
        let [first, id] = self.after.as_deref()? else {
            return None;
        };
        match parse(first) {
            Some(first) => Some((first, id.clone())),
            None => {
                violations.add("page_token", Text::new("field-page-token"));
                None
            }
        }
    }

    /// The next page's token for a single-part key: the last row's key when the page came back
    /// full, else empty.
    pub fn next_token(&self, rows: usize, last_key: Option<&str>) -> String {
        match last_key {
            Some(key) if rows == self.limit as usize => encode_token(&[key]),
            _ => String::new(),
        }
    }
}

fn page_size_or(requested: u32, violations: &mut crate::validate::Violations) -> u32 {
    page_size(requested).unwrap_or_else(|why| {
        violations.add("page_size", why);
        0
    })
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
    fn tokens_no_key_could_give_are_refused() {
        // A part longer than any id, an empty part, a huge token: not issued by this server.
        assert!(decode_token(&encode_token(&[&"u".repeat(MAX_ID_CHARS + 1)]), 1).is_err());
        assert!(decode_token(&encode_token(&[&"u".repeat(MAX_ID_CHARS)]), 1).is_ok());
        assert!(decode_token(&encode_token(&["17", ""]), 2).is_err());
        assert!(decode_token(&"A".repeat(10_000), 1).is_err());
    }

    #[test]
    fn page_requests_check_both_fields_and_say_where_to_go_next() {
        let mut violations = crate::validate::Violations::new();
        let first = PageRequest::parse(0, "", 1, &mut violations);
        assert!(violations.is_empty());
        assert_eq!(
            (first.limit, first.after_key()),
            (DEFAULT_PAGE_SIZE, String::new())
        );
        let page = PageRequest::parse(2, &encode_token(&["u1"]), 1, &mut violations);
        assert_eq!(page.after_key(), "u1");
        assert_eq!(page.next_token(2, Some("u3")), encode_token(&["u3"]));
        assert_eq!(page.next_token(1, Some("u3")), "");
        PageRequest::parse(5000, "!!", 1, &mut violations);
        let fields: Vec<&str> = violations.iter().map(|(field, _)| field).collect();
        assert_eq!(fields, ["page_size", "page_token"]);
    }

    #[test]
    fn two_part_cursors_parse_their_first_part() {
        let mut violations = crate::validate::Violations::new();
        let millis = |first: &str| first.parse::<i64>().ok();
        let first = PageRequest::parse(0, "", 2, &mut violations);
        assert_eq!(first.after_pair(&mut violations, millis), None);
        let page = PageRequest::parse(0, &encode_token(&["17", "p-1"]), 2, &mut violations);
        assert_eq!(
            page.after_pair(&mut violations, millis),
            Some((17, "p-1".to_owned()))
        );
        assert!(violations.is_empty());
        let forged = PageRequest::parse(0, &encode_token(&["soon", "p-1"]), 2, &mut violations);
        assert_eq!(forged.after_pair(&mut violations, millis), None);
        let fields: Vec<&str> = violations.iter().map(|(field, _)| field).collect();
        assert_eq!(fields, ["page_token"]);
    }

    #[test]
    fn page_sizes_default_and_cap() {
        assert_eq!(page_size(0).unwrap(), DEFAULT_PAGE_SIZE);
        assert_eq!(page_size(7).unwrap(), 7);
        assert!(page_size(MAX_PAGE_SIZE + 1).is_err());
    }
}

//! Text that comes from outside (KING OF TIME's error messages, relayed by the matcher and the
//! syncer) made safe to store, log and show: known secrets and anything shaped like a token are
//! replaced, control characters become spaces, and the length is bounded.

/// What a removed secret reads as.
pub const REDACTED: &str = "[redacted]";

/// A run of this many token characters is taken for a secret: KING OF TIME tokens are 32 hex
/// characters, and no word of an error message is that long without a space.
pub const TOKEN_SHAPED_RUN: usize = 16;

/// Characters of hex, base64 and base64url: what tokens and keys are written with.
fn is_token_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || "-_+/=".contains(c)
}

/// `text` without the `secrets` (matched case-insensitively, as hex tokens may be retyped in
/// either case), without token-shaped runs, on one line, at most `max_chars` characters.
pub fn redact(text: &str, secrets: &[&str], max_chars: usize) -> String {
    let mut clean = text.to_owned();
    for secret in secrets.iter().filter(|s| !s.is_empty()) {
        clean = replace_ignoring_ascii_case(&clean, secret);
    }
    let one_line: String = clean
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    let redacted = redact_token_shaped(&one_line);
    truncate(redacted.trim(), max_chars)
}

fn replace_ignoring_ascii_case(text: &str, secret: &str) -> String {
    // ASCII lowercasing keeps every byte where it was, so offsets found in the lowered copy
    // are offsets (and char boundaries) of the original.
    let lowered = text.to_ascii_lowercase();
    let needle = secret.to_ascii_lowercase();
    let mut out = String::with_capacity(text.len());
    let mut from = 0;
    while let Some(found) = lowered[from..].find(&needle) {
        let start = from + found;
        out.push_str(&text[from..start]);
        out.push_str(REDACTED);
        from = start + needle.len();
    }
    out.push_str(&text[from..]);
    out
}

fn redact_token_shaped(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut run = String::new();
    let flush = |run: &mut String, out: &mut String| {
        if run.chars().count() >= TOKEN_SHAPED_RUN {
            out.push_str(REDACTED);
        } else {
            out.push_str(run);
        }
        run.clear();
    };
    for c in text.chars() {
        if is_token_char(c) {
            run.push(c);
        } else {
            flush(&mut run, &mut out);
            out.push(c);
        }
    }
    flush(&mut run, &mut out);
    out
}

fn truncate(text: &str, max_chars: usize) -> String {
    if text.chars().count() <= max_chars {
        return text.to_owned();
    }
    let mut cut: String = text.chars().take(max_chars.saturating_sub(1)).collect();
    cut.push('…');
    cut
}

#[cfg(test)]
mod tests {
    use super::*;

    const TOKEN: &str = "0123456789abcdef0123456789abcdef";

    #[test]
    fn the_known_secret_goes_in_any_case() {
        let text = format!("token {TOKEN} and {} again", TOKEN.to_uppercase());
        let clean = redact(&text, &[TOKEN], 200);
        assert_eq!(clean, "token [redacted] and [redacted] again");
    }

    #[test]
    fn token_shaped_runs_go_even_when_unknown() {
        let clean = redact("認証に失敗しました token=fedcba9876543210fe end", &[], 200);
        assert_eq!(clean, "認証に失敗しました [redacted] end");
        // Fifteen characters are a word, sixteen a secret.
        assert_eq!(redact("abcdefghijklmno", &[], 200), "abcdefghijklmno");
        assert_eq!(redact("abcdefghijklmnop", &[], 200), REDACTED);
        assert_eq!(redact("dGhpcyBpcyBhIGtleQ==", &[], 200), REDACTED);
    }

    #[test]
    fn a_secret_split_by_other_text_is_still_caught_by_its_halves() {
        // Each half is itself token-shaped.
        let clean = redact("0123456789abcdef 0123456789abcdef", &[], 200);
        assert!(!clean.contains("0123456789abcdef"), "{clean}");
    }

    #[test]
    fn control_characters_become_spaces_and_the_length_is_bounded() {
        assert_eq!(
            redact("line one\nline two\r\tend", &[], 200),
            "line one line two  end"
        );
        let long = "認".repeat(300);
        let clean = redact(&long, &[], 200);
        assert_eq!(clean.chars().count(), 200);
        assert!(clean.ends_with('…'));
        assert_eq!(redact("", &[TOKEN], 200), "");
    }

    #[test]
    fn redaction_happens_before_truncation() {
        // A secret cut in half by the bound would leave a prefix behind.
        let text = format!("{}{TOKEN}", "x ".repeat(95));
        let clean = redact(&text, &[TOKEN], 200);
        assert!(!clean.contains("0123456789"), "{clean}");
    }
}

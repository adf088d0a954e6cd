//! Why a cyzen user code can never equal a KING OF TIME 従業員コード. KING OF TIME codes are 3–10
//! characters (manual, FAQ) and are typed as half-width text; the code is stored as given, but
//! the administrator is told at once instead of discovering it on the 連携状況 screen.

/// The length KING OF TIME allows for an employee code.
pub const KOT_CODE_CHARS: std::ops::RangeInclusive<usize> = 3..=10;

/// The warning for a user code, or `None` when it could match an employee code.
pub fn warning(code: &str) -> Option<String> {
    if code.is_empty() {
        return Some(
            "has no user code, so it cannot be linked to a KING OF TIME employee".to_owned(),
        );
    }
    if code.trim() != code {
        return Some(format!(
            "\"{code}\" starts or ends with a space; KING OF TIME employee codes never do, so it will not match \"{}\"",
            code.trim()
        ));
    }
    if code.chars().any(is_full_width) {
        return Some(format!(
            "\"{code}\" contains full-width characters; KING OF TIME employee codes are half-width, e.g. \"{}\"",
            to_half_width(code)
        ));
    }
    let chars = code.chars().count();
    if !KOT_CODE_CHARS.contains(&chars) {
        return Some(format!(
            "\"{code}\" has {chars} characters; KING OF TIME employee codes have {} to {}",
            KOT_CODE_CHARS.start(),
            KOT_CODE_CHARS.end()
        ));
    }
    None
}

/// Full-width forms (U+FF01–U+FF5E) and the ideographic space.
fn is_full_width(c: char) -> bool {
    ('\u{FF01}'..='\u{FF5E}').contains(&c) || c == '\u{3000}'
}

/// Maps full-width ASCII forms to their half-width characters.
pub fn to_half_width(code: &str) -> String {
    code.chars()
        .map(|c| match c {
            '\u{FF01}'..='\u{FF5E}' => char::from_u32(c as u32 - 0xFEE0).unwrap_or(c),
            '\u{3000}' => ' ',
            other => other,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_that_can_match_have_no_warning() {
        assert_eq!(warning("U000123"), None);
        assert_eq!(warning("123"), None);
        assert_eq!(warning("ABCDEFGHIJ"), None);
    }

    #[test]
    fn each_kind_of_impossible_code_is_explained() {
        assert!(warning("").unwrap().contains("no user code"));
        assert!(warning(" U000123").unwrap().contains("space"));
        assert!(warning("U000123 ").unwrap().contains("space"));
        let full = warning("Ｕ０００１２３").unwrap();
        assert!(
            full.contains("full-width") && full.contains("U000123"),
            "{full}"
        );
        assert!(warning("U1").unwrap().contains("2 characters"));
        assert!(warning("U0000000123").unwrap().contains("11 characters"));
    }
}

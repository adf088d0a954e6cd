//! Why a cyzen user code can never equal a KING OF TIME 従業員コード. KING OF TIME codes are 3–10
//! characters (manual, FAQ) and are typed as half-width text; the code is stored as given, but
//! the administrator is told at once instead of discovering it on the 連携状況 screen.

use kintai_core::chars;
use kintai_i18n::Text;

/// The length KING OF TIME allows for an employee code.
pub const KOT_CODE_CHARS: std::ops::RangeInclusive<usize> = 3..=10;

/// The warning for a user code, or `None` when it could match an employee code.
pub fn warning(code: &str) -> Option<Text> {
    if code.is_empty() {
        return Some(Text::new("user-code-missing"));
    }
    // First: an invisible character is the one difference the administrator cannot see.
    if code.chars().any(stray) {
        let suggested: String = code.chars().filter(|c| !stray(*c)).collect();
        return Some(
            Text::new("user-code-stray-characters")
                .arg("chars", chars::code_points(code, stray))
                .arg("suggested", suggested),
        );
    }
    if code.trim() != code {
        return Some(
            Text::new("user-code-spaces")
                .arg("code", code)
                .arg("suggested", code.trim()),
        );
    }
    if code.chars().any(is_full_width) {
        return Some(
            Text::new("user-code-full-width")
                .arg("code", code)
                .arg("suggested", to_half_width(code)),
        );
    }
    let chars = code.chars().count();
    if !KOT_CODE_CHARS.contains(&chars) {
        return Some(
            Text::new("user-code-length")
                .arg("code", code)
                .arg("chars", chars)
                .arg("min", KOT_CODE_CHARS.start())
                .arg("max", KOT_CODE_CHARS.end()),
        );
    }
    None
}

/// What no KING OF TIME employee code holds and the screen may not show: emoji and format
/// characters (U+202E and the other bidirectional controls, zero-width characters).
fn stray(c: char) -> bool {
    chars::is_format(c) || chars::is_emoji(c)
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
        let en = |code: &str| warning(code).unwrap().render(kintai_i18n::Lang::En);
        let ja = |code: &str| warning(code).unwrap().render(kintai_i18n::Lang::Ja);
        assert!(en("").contains("no user code"));
        assert!(ja("").contains("ユーザーコードがない"));
        assert!(en(" U000123").contains("space"));
        assert!(ja("U000123 ").contains("空白"));
        let full = en("Ｕ０００１２３");
        assert!(
            full.contains("full-width") && full.contains("U000123"),
            "{full}"
        );
        assert!(ja("Ｕ０００１２３").contains("全角"));
        assert!(en("U1").contains("2 characters"));
        assert!(ja("U0000000123").contains("11文字"));
        let stray = en("U000123\u{202E}😀");
        assert!(
            stray.contains("U+202E, U+1F600") && stray.contains("\"U000123\""),
            "{stray}"
        );
        assert!(!stray.contains('\u{202E}'), "{stray}");
    }
}

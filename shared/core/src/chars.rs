//! Characters that are not what they look like. Format controls (Unicode general category Cf:
//! U+202E RIGHT-TO-LEFT OVERRIDE and the other bidirectional controls, zero-width spaces and
//! joiners, U+FEFF) and line/paragraph separators are invisible yet reorder or split what is
//! shown around them, so an id or a name holding one reads differently on screen than it
//! compares; emoji cannot be typed into a KING OF TIME employee code. Ids and names refuse the
//! first kind ([`crate::validate`]); a user code holding either gets a warning.

use unicode_properties::{GeneralCategory, UnicodeEmoji, UnicodeGeneralCategory};

/// A format control or a line/paragraph separator (general categories Cf, Zl, Zp). Every
/// bidirectional control (U+061C, U+200E, U+200F, U+202A–U+202E, U+2066–U+2069) is Cf.
pub fn is_format(c: char) -> bool {
    matches!(
        c.general_category(),
        GeneralCategory::Format
            | GeneralCategory::LineSeparator
            | GeneralCategory::ParagraphSeparator
    )
}

/// An emoji, or a character that only builds one (variation selector-16, skin tones, keycap,
/// regional indicators). Digits, `#` and `*` are emoji components in Unicode too, but they are
/// ASCII and belong in codes.
pub fn is_emoji(c: char) -> bool {
    !c.is_ascii() && c.is_emoji_char_or_emoji_component()
}

/// The distinct characters of `text` that `pick` selects, written as code points (`U+202E,
/// U+1F600`): shown instead of the characters themselves, which would reorder the message or
/// not show at all.
pub fn code_points(text: &str, pick: impl Fn(char) -> bool) -> String {
    let mut seen = Vec::new();
    for c in text.chars().filter(|c| pick(*c)) {
        if !seen.contains(&c) {
            seen.push(c);
        }
    }
    seen.iter()
        .map(|c| format!("U+{:04X}", u32::from(*c)))
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn format_controls_and_separators_are_found() {
        for c in [
            '\u{202E}',
            '\u{202A}',
            '\u{2066}',
            '\u{2069}',
            '\u{200E}',
            '\u{200F}',
            '\u{061C}',
            '\u{200B}',
            '\u{200D}',
            '\u{FEFF}',
            '\u{00AD}',
            '\u{2028}',
            '\u{2029}',
            '\u{E0041}',
        ] {
            assert!(is_format(c), "U+{:04X}", u32::from(c));
        }
        for c in ['a', '市', 'Ｕ', '\u{3000}', ' ', '😀', '-', '\u{7}'] {
            assert!(!is_format(c), "U+{:04X}", u32::from(c));
        }
    }

    #[test]
    fn emoji_but_not_ascii_digits() {
        for c in ['😀', '✅', '\u{FE0F}', '\u{1F3FB}', '\u{1F1EF}', '©'] {
            assert!(is_emoji(c), "U+{:04X}", u32::from(c));
        }
        for c in ['1', '#', '*', 'U', '市', 'Ｕ'] {
            assert!(!is_emoji(c), "{c}");
        }
    }

    #[test]
    fn code_points_are_listed_once_each() {
        assert_eq!(
            code_points("a\u{202E}b\u{202E}😀", |c| is_format(c) || is_emoji(c)),
            "U+202E, U+1F600"
        );
        assert_eq!(code_points("plain", is_format), "");
    }
}

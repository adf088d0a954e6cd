//! What KING OF TIME answered, in the administrator's language: its HTTP status, its error code
//! and its own message, never Rust's formatting of them (`Some(400)`, `{:?}`). The message is
//! KING OF TIME's (often Japanese) and stays as it came, capped so that one odd answer cannot
//! fill a list or a phone screen.

use kintai_i18n::Text;
use kot_client::KotError;

/// The longest KING OF TIME message kept in a reason, in characters.
pub(crate) const MESSAGE_CHARS: usize = 200;

/// A refusal or failure of KING OF TIME as a text for reasons (ListPunches, ListDays).
pub(crate) fn kot_answer(error: &KotError) -> Text {
    match error {
        KotError::Rejected {
            status,
            code,
            message,
        } => coded("kot-refused", *status, *code, message),
        // KING OF TIME answers an unknown employee key with a 404.
        KotError::NotFound { message } => coded("kot-refused", 404, None, message),
        KotError::ServerError {
            status,
            code,
            message,
        } => coded("kot-server-error", *status, *code, message),
        KotError::AuthenticationFailed { message } => {
            Text::new("kot-token-refused").text_arg("message", capped(message))
        }
        KotError::RestrictedHours { .. } => Text::new("kot-restricted-hours"),
        KotError::RateLimited { .. } => Text::new("kot-rate-limited"),
        // Not sent, no answer, an unreadable answer, a bad configuration: our side's words.
        other => Text::new("kot-unreachable").text_arg("detail", capped(&other.to_string())),
    }
}

fn coded(id: &str, status: u16, code: Option<i64>, message: &str) -> Text {
    let text = match code {
        Some(code) => Text::new(id).arg("code", code),
        None => Text::new(format!("{id}-no-code")),
    };
    text.arg("status", status)
        .text_arg("message", capped(message))
}

/// `message`, or its first [`MESSAGE_CHARS`] characters and how many were left out.
pub(crate) fn capped(message: &str) -> Text {
    let total = message.chars().count();
    if total <= MESSAGE_CHARS {
        return Text::verbatim(message);
    }
    let kept: String = message.chars().take(MESSAGE_CHARS).collect();
    Text::new("text-capped")
        .arg("text", kept)
        .arg("more", total - MESSAGE_CHARS)
}

#[cfg(test)]
mod tests {
    use super::*;
    use kintai_i18n::Lang;

    fn both(text: &Text) -> [String; 2] {
        [text.render(Lang::Ja), text.render(Lang::En)]
    }

    #[test]
    fn a_refusal_names_status_code_and_message_in_each_language() {
        let error = KotError::Rejected {
            status: 400,
            code: Some(400),
            message: "勤務日 2026-11-10 は締め済み".into(),
        };
        let [ja, en] = both(&kot_answer(&error));
        assert_eq!(
            ja,
            "KING OF TIMEが受け付けませんでした（HTTP 400、エラーコード 400）: 勤務日 2026-11-10 は締め済み"
        );
        assert_eq!(
            en,
            "KING OF TIME refused it (HTTP 400, error 400): 勤務日 2026-11-10 は締め済み"
        );
    }

    #[test]
    fn no_rust_shapes_in_any_answer() {
        let long = "x".repeat(5_000);
        let errors = [
            KotError::Rejected {
                status: 422,
                code: None,
                message: long.clone(),
            },
            KotError::NotFound {
                message: "unknown employee key".into(),
            },
            KotError::ServerError {
                status: 500,
                code: Some(300),
                message: long.clone(),
            },
            KotError::ServerError {
                status: 502,
                code: None,
                message: String::new(),
            },
            KotError::AuthenticationFailed {
                message: "bad token".into(),
            },
            KotError::RestrictedHours {
                message: long.clone(),
            },
            KotError::RateLimited {
                message: long.clone(),
            },
            KotError::OutcomeUnknown {
                reason: long.clone(),
            },
            KotError::NotSent {
                reason: "connection refused".into(),
            },
            KotError::InvalidResponse {
                reason: "no timeRecord".into(),
            },
        ];
        for error in &errors {
            for text in both(&kot_answer(error)) {
                for shape in ["Some(", "None", "{ $", "\\u{", "Rejected", "{:?}"] {
                    assert!(!text.contains(shape), "{shape} in {text}");
                }
                assert!(
                    text.chars().count() < MESSAGE_CHARS + 150,
                    "{} chars: {text}",
                    text.len()
                );
            }
        }
        let [ja, en] = both(&kot_answer(&errors[0]));
        assert!(ja.contains("ほか 4800 文字"), "{ja}");
        assert!(en.contains("4800 more characters"), "{en}");
        assert!(
            ja.contains("HTTP 422") && !ja.contains("エラーコード"),
            "{ja}"
        );
    }
}

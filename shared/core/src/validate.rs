//! Input checks shared by every RPC. Problems are collected as field violations so that one
//! answer names every bad field (and, in a batch, every bad item) at once.

use kintai_i18n::{Lang, Text};

use crate::chars;
use tonic::{Code, Status};
use tonic_types::{ErrorDetails, StatusExt};

/// Longest id (company, user, status, punch) we accept, in characters.
pub const MAX_ID_CHARS: usize = 64;
/// Longest display name, as KING OF TIME and cyzen allow (姓・名 各40文字以内).
pub const MAX_NAME_CHARS: usize = 40;

/// Field violations collected while checking a request. Each description is a text the
/// cyzen platform may show an administrator: rendered in the caller's language when the
/// violations become a status; the status message itself stays English, for engineers.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Violations {
    items: Vec<(String, Text)>,
}

impl Violations {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn add(&mut self, field: impl Into<String>, description: Text) {
        self.items.push((field.into(), description));
    }

    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    pub fn len(&self) -> usize {
        self.items.len()
    }

    pub fn iter(&self) -> impl Iterator<Item = (&str, &Text)> {
        self.items.iter().map(|(f, d)| (f.as_str(), d))
    }

    pub fn extend(&mut self, other: Violations) {
        self.items.extend(other.items);
    }

    /// `Ok(())` when nothing was found, otherwise INVALID_ARGUMENT with a BadRequest listing
    /// every violation, described in `lang`.
    pub fn check(self, lang: Lang) -> Result<(), Status> {
        if self.is_empty() {
            Ok(())
        } else {
            Err(self.into_status("the request is invalid", lang))
        }
    }

    /// INVALID_ARGUMENT with `summary` plus the first violation in the message (in English, for
    /// callers that read only the message) and every violation as google.rpc.BadRequest details
    /// described in `lang` (what the cyzen platform shows an administrator).
    pub fn into_status(self, summary: &str, lang: Lang) -> Status {
        let mut details = ErrorDetails::new();
        for (field, description) in &self.items {
            details.add_bad_request_violation(field.clone(), description.render(lang));
        }
        let message = match self.items.first() {
            Some((field, description)) if self.items.len() == 1 => {
                format!("{summary}: {field} {}", description.render(Lang::En))
            }
            Some((field, description)) => format!(
                "{summary}: {field} {} (and {} more field violations)",
                description.render(Lang::En),
                self.items.len() - 1
            ),
            None => summary.to_owned(),
        };
        Status::with_error_details(Code::InvalidArgument, message, details)
    }

    /// Checks an id: present, at most [`MAX_ID_CHARS`], no control or format characters, no
    /// surrounding spaces.
    pub fn id(&mut self, field: &str, value: &str) {
        if value.is_empty() {
            self.add(field, Text::new("field-required"));
        } else if value.chars().count() > MAX_ID_CHARS {
            self.add(field, Text::new("field-too-long").arg("max", MAX_ID_CHARS));
        } else if value.chars().any(char::is_control) {
            self.add(field, Text::new("field-control-characters"));
        } else if value.chars().any(chars::is_format) {
            self.add(field, format_characters(value));
        } else if value.trim() != value {
            self.add(field, Text::new("field-surrounding-spaces"));
        }
    }

    /// Checks a free text (a name, an address): at most `max_chars` characters, no control
    /// characters and no format characters — a U+202E in a name shown in a list reverses what
    /// follows it on screen, a zero-width space makes two names that look alike differ.
    pub fn text(&mut self, field: &str, value: &str, max_chars: usize) {
        self.text_as_given(field, value, max_chars);
        if value.chars().count() <= max_chars
            && !value.chars().any(char::is_control)
            && value.chars().any(chars::is_format)
        {
            self.add(field, format_characters(value));
        }
    }

    /// Checks a value stored as another system has it (a cyzen user code): at most `max_chars`
    /// characters and no control characters. Format characters and emoji are kept, as cyzen
    /// holds them, and the caller warns about what they mean instead.
    pub fn text_as_given(&mut self, field: &str, value: &str, max_chars: usize) {
        if value.chars().count() > max_chars {
            self.add(field, Text::new("field-too-long").arg("max", max_chars));
        } else if value.chars().any(char::is_control) {
            self.add(field, Text::new("field-control-characters"));
        }
    }

    /// Checks a required free text.
    pub fn required_text(&mut self, field: &str, value: &str, max_chars: usize) {
        if value.trim().is_empty() {
            self.add(field, Text::new("field-required"));
        } else {
            self.text(field, value, max_chars);
        }
    }
}

/// Why a value with format characters is refused, naming them as code points (the characters
/// themselves would reorder the description or not show).
fn format_characters(value: &str) -> Text {
    Text::new("field-format-characters").arg("chars", chars::code_points(value, chars::is_format))
}

/// RESOURCE_EXHAUSTED for a batch over its limit; nothing of it is applied.
pub fn batch_too_large(field: &str, len: usize, max: usize, lang: Lang) -> Status {
    let text = Text::new("field-batch-too-large")
        .arg("len", len)
        .arg("max", max);
    let mut details = ErrorDetails::new();
    details.add_bad_request_violation(field, text.render(lang));
    Status::with_error_details(
        Code::ResourceExhausted,
        format!("{field} {}", text.render(Lang::En)),
        details,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_checked_for_presence_length_and_characters() {
        let mut v = Violations::new();
        v.id("a", "");
        v.id("b", &"x".repeat(65));
        v.id("c", "bad\u{7}");
        v.id("d", " padded");
        v.id("e", "user\u{202E}1");
        v.id("ok", "user-1");
        let fields: Vec<_> = v.iter().map(|(f, _)| f.to_owned()).collect();
        assert_eq!(fields, ["a", "b", "c", "d", "e"]);
    }

    #[test]
    fn texts_refuse_format_characters_and_say_which() {
        let mut v = Violations::new();
        v.text("name", "市ヶ谷\u{202E}\u{200B}市子", 40);
        v.text("plain", "市ヶ谷 市子 😀", 40);
        v.text_as_given("code", "U000123\u{202E}", 64);
        let found: Vec<(String, String)> = v
            .iter()
            .map(|(field, why)| (field.to_owned(), why.render(Lang::En)))
            .collect();
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!(found[0].0, "name");
        assert!(found[0].1.contains("U+202E, U+200B"), "{}", found[0].1);
    }

    #[test]
    fn statuses_carry_every_violation() {
        let mut v = Violations::new();
        v.add("users[0].user_id", Text::new("field-required"));
        v.add("users[2].name", Text::new("field-too-long").arg("max", 40));
        let status = v.clone().into_status("2 of 3 users rejected", Lang::Ja);
        assert_eq!(status.code(), Code::InvalidArgument);
        // The message is for engineers; the details for the admin, in the caller's language.
        assert!(status.message().contains("users[0].user_id is required"));
        let details = status.get_error_details();
        let bad = details.bad_request().unwrap();
        assert_eq!(bad.field_violations.len(), 2);
        assert_eq!(bad.field_violations[1].field, "users[2].name");
        assert_eq!(
            bad.field_violations[1].description,
            "40文字以内で指定してください。"
        );
        let english = v.into_status("2 of 3 users rejected", Lang::En);
        let details = english.get_error_details();
        assert_eq!(
            details.bad_request().unwrap().field_violations[1].description,
            "must be at most 40 characters"
        );
    }

    #[test]
    fn oversized_batches_are_resource_exhausted() {
        let status = batch_too_large("users", 5001, 5000, Lang::Ja);
        assert_eq!(status.code(), Code::ResourceExhausted);
        assert!(status.message().contains("5001"));
    }
}

//! A text to show an administrator: a message id and its arguments, rendered late.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::Lang;

/// What marks a stored [`Text`] (JSON) apart from a stored plain string.
const STORED_PREFIX: &str = "i18n:";

/// An argument of a message: plain (a code, a time, a count) or itself a text to render in the
/// same language (e.g. the matcher's reason inside the syncer's hold reason).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Arg {
    Plain(String),
    Text(Box<Text>),
}

/// A message of the Fluent files with its arguments.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Text {
    pub id: String,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub args: BTreeMap<String, Arg>,
}

impl Text {
    pub fn new(id: impl Into<String>) -> Self {
        Self {
            id: id.into(),
            args: BTreeMap::new(),
        }
    }

    /// Adds a plain argument.
    pub fn arg(mut self, name: &str, value: impl ToString) -> Self {
        self.args
            .insert(name.to_owned(), Arg::Plain(value.to_string()));
        self
    }

    /// Adds an argument that is itself a text.
    pub fn text_arg(mut self, name: &str, value: Text) -> Self {
        self.args
            .insert(name.to_owned(), Arg::Text(Box::new(value)));
        self
    }

    /// The text in `lang`.
    pub fn render(&self, lang: Lang) -> String {
        crate::bundle::render(self, lang)
    }

    /// The form kept in a database column, to be rendered in the reader's language later.
    pub fn to_stored(&self) -> String {
        // Serializing strings and maps cannot fail.
        format!(
            "{STORED_PREFIX}{}",
            serde_json::to_string(self).unwrap_or_default()
        )
    }

    /// A stored text read back; a stored plain string becomes a text that shows it as it is.
    pub fn from_stored(stored: &str) -> Text {
        stored
            .strip_prefix(STORED_PREFIX)
            .and_then(|json| serde_json::from_str(json).ok())
            .unwrap_or_else(|| Text::verbatim(stored))
    }

    /// A stored text, or a plain string, shown in `lang`.
    pub fn render_stored(stored: &str, lang: Lang) -> String {
        if stored.is_empty() {
            return String::new();
        }
        Self::from_stored(stored).render(lang)
    }

    /// A text that is not translated (a stored plain string, KING OF TIME's own words).
    pub fn verbatim(value: impl Into<String>) -> Text {
        Text::new(crate::bundle::VERBATIM).arg("text", value.into())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stored_texts_come_back_and_plain_strings_pass() {
        let text = Text::new("x").arg("n", 3).text_arg("inner", Text::new("y"));
        assert_eq!(Text::from_stored(&text.to_stored()), text);
        assert_eq!(Text::from_stored("old text"), Text::verbatim("old text"));
        assert_eq!(Text::render_stored("", Lang::En), "");
    }
}

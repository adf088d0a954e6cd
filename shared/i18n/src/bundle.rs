//! The Fluent bundles, built once per process from the message files compiled into the binary.

use std::sync::OnceLock;

use fluent_bundle::concurrent::FluentBundle;
use fluent_bundle::{FluentArgs, FluentResource};

use crate::Lang;
use crate::text::{Arg, Text};

/// The message that shows its `text` argument as it is.
pub(crate) const VERBATIM: &str = "verbatim";

/// Every message file, per language, in the same order.
const JA: &[&str] = &[
    include_str!("../locales/ja/common.ftl"),
    include_str!("../locales/ja/matcher.ftl"),
    include_str!("../locales/ja/syncer.ftl"),
    include_str!("../locales/ja/settings.ftl"),
    include_str!("../locales/ja/fields.ftl"),
    include_str!("../locales/ja/days.ftl"),
];
const EN: &[&str] = &[
    include_str!("../locales/en/common.ftl"),
    include_str!("../locales/en/matcher.ftl"),
    include_str!("../locales/en/syncer.ftl"),
    include_str!("../locales/en/settings.ftl"),
    include_str!("../locales/en/fields.ftl"),
    include_str!("../locales/en/days.ftl"),
];

struct Bundles {
    ja: FluentBundle<FluentResource>,
    en: FluentBundle<FluentResource>,
    ids: Vec<String>,
}

fn build(lang: Lang, files: &[&str], ids: &mut Vec<String>) -> FluentBundle<FluentResource> {
    let tag = lang.tag().parse().unwrap_or_default();
    let mut bundle = FluentBundle::new_concurrent(vec![tag]);
    // No Unicode isolation marks around arguments: the texts go into JSON and tables.
    bundle.set_use_isolating(false);
    for file in files {
        // The files are ours and checked by the tests: a broken entry is left out, not fatal.
        let resource = FluentResource::try_new((*file).to_owned()).unwrap_or_else(|(r, _)| r);
        if lang == Lang::Ja {
            for entry in resource.entries() {
                if let fluent_syntax::ast::Entry::Message(message) = entry {
                    ids.push(message.id.name.to_owned());
                }
            }
        }
        let _ = bundle.add_resource(resource);
    }
    bundle
}

fn bundles() -> &'static Bundles {
    static BUNDLES: OnceLock<Bundles> = OnceLock::new();
    BUNDLES.get_or_init(|| {
        let mut ids = Vec::new();
        let ja = build(Lang::Ja, JA, &mut ids);
        let en = build(Lang::En, EN, &mut Vec::new());
        ids.sort();
        Bundles { ja, en, ids }
    })
}

/// The id of every message (of the Japanese files; the tests check English has each too).
pub fn message_ids() -> &'static [String] {
    &bundles().ids
}

/// Renders `text` in `lang`. A message missing in `lang` falls back to Japanese, then to its
/// id, so a text is never empty.
pub fn render(text: &Text, lang: Lang) -> String {
    let all = bundles();
    let (first, second) = match lang {
        Lang::Ja => (&all.ja, &all.en),
        Lang::En => (&all.en, &all.ja),
    };
    let mut args = FluentArgs::new();
    for (name, value) in &text.args {
        let value = match value {
            Arg::Plain(plain) => plain.clone(),
            Arg::Text(inner) => render(inner, lang),
        };
        args.set(name.as_str(), value);
    }
    for bundle in [first, second] {
        if let Some(pattern) = bundle.get_message(&text.id).and_then(|m| m.value()) {
            let mut errors = Vec::new();
            return bundle
                .format_pattern(pattern, Some(&args), &mut errors)
                .into_owned();
        }
    }
    text.id.clone()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_message_has_both_languages_and_resolves() {
        let all = bundles();
        assert!(!all.ids.is_empty());
        for id in &all.ids {
            for (lang, bundle) in [(Lang::Ja, &all.ja), (Lang::En, &all.en)] {
                let pattern = bundle
                    .get_message(id)
                    .and_then(|m| m.value())
                    .unwrap_or_else(|| panic!("{id} has no {} text", lang.tag()));
                let mut errors = Vec::new();
                let text = bundle.format_pattern(pattern, None, &mut errors);
                assert!(!text.trim().is_empty(), "{id} is empty in {}", lang.tag());
            }
        }
        // English has no message Japanese lacks.
        let mut en_ids = Vec::new();
        build(Lang::En, EN, &mut en_ids);
        for file in EN {
            let resource = FluentResource::try_new((*file).to_owned()).unwrap_or_else(|(r, _)| r);
            for entry in resource.entries() {
                if let fluent_syntax::ast::Entry::Message(message) = entry {
                    assert!(
                        all.ids.iter().any(|id| id == message.id.name),
                        "{} only in English",
                        message.id.name
                    );
                }
            }
        }
    }

    #[test]
    fn the_files_parse_without_errors() {
        for file in JA.iter().chain(EN) {
            if let Err((_, errors)) = FluentResource::try_new((*file).to_owned()) {
                panic!("a message file does not parse: {errors:?}");
            }
        }
    }

    #[test]
    fn japanese_texts_are_japanese() {
        // A Japanese text may quote codes, names and KING OF TIME's words, but no English
        // sentence: no run of three or more English words.
        let all = bundles();
        for id in &all.ids {
            if id == VERBATIM {
                continue;
            }
            let pattern = all.ja.get_message(id).and_then(|m| m.value()).unwrap();
            let mut errors = Vec::new();
            let text = all
                .ja
                .format_pattern(pattern, None, &mut errors)
                .into_owned();
            // Arguments left unfilled show as `{$name}`: names, not words of the text.
            let text = without_placeholders(&text);
            let mut run = 0;
            // A setting's name (`crypto.token_keys`) is one token, not three words.
            let is_token_char = |c: char| c.is_ascii_alphanumeric() || matches!(c, '.' | '_');
            for word in text.split(|c: char| !is_token_char(c)) {
                if word.len() >= 2 && word.chars().all(|c| c.is_ascii_lowercase()) {
                    run += 1;
                    assert!(run < 3, "{id} has an English phrase: {text}");
                } else if !word.is_empty() {
                    run = 0;
                }
            }
            assert!(
                text.chars().any(|c| ('\u{3040}'..='\u{30ff}').contains(&c)
                    || ('\u{4e00}'..='\u{9fff}').contains(&c)),
                "{id} has no Japanese: {text}"
            );
        }
    }

    fn without_placeholders(text: &str) -> String {
        let mut out = String::with_capacity(text.len());
        let mut depth = 0usize;
        for c in text.chars() {
            match c {
                '{' => depth += 1,
                '}' => depth = depth.saturating_sub(1),
                _ if depth == 0 => out.push(c),
                _ => {}
            }
        }
        out
    }

    #[test]
    fn missing_messages_fall_back_to_the_id() {
        assert_eq!(
            render(&Text::new("no-such-message"), Lang::En),
            "no-such-message"
        );
        assert_eq!(render(&Text::verbatim("as is"), Lang::Ja), "as is");
    }
}

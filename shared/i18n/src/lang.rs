//! The reader's language: `ja` unless the caller asks for English.

/// A language administrators can read kintai-link's texts in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Lang {
    /// 日本語: the default, as the manual and cyzen's admin site.
    #[default]
    Ja,
    En,
}

impl Lang {
    pub const ALL: [Lang; 2] = [Lang::Ja, Lang::En];

    /// The BCP 47 tag.
    pub fn tag(self) -> &'static str {
        match self {
            Lang::Ja => "ja",
            Lang::En => "en",
        }
    }

    /// The best supported language of an `Accept-Language` value (RFC 9110: tags with
    /// optional `q` weights, `*` for any): the highest-weighted tag whose primary subtag we have;
    /// Japanese when none matches or the value is empty or malformed.
    pub fn from_accept_language(value: &str) -> Lang {
        let mut best: Option<(f32, Lang)> = None;
        for item in value.split(',') {
            let mut parts = item.split(';');
            let tag = parts.next().unwrap_or("").trim().to_ascii_lowercase();
            let weight = parts
                .find_map(|p| p.trim().strip_prefix("q="))
                .and_then(|q| q.trim().parse::<f32>().ok())
                .unwrap_or(1.0);
            let primary = tag.split('-').next().unwrap_or("");
            let lang = match primary {
                "ja" => Lang::Ja,
                "en" => Lang::En,
                _ => continue,
            };
            if weight > 0.0 && best.is_none_or(|(w, _)| weight > w) {
                best = Some((weight, lang));
            }
        }
        best.map_or(Lang::Ja, |(_, lang)| lang)
    }

    /// The language of a POSIX locale (`ja_JP.UTF-8`, `en_US`); `None` for `C`, `POSIX`, an
    /// empty value or a language we do not have.
    pub fn from_locale(value: &str) -> Option<Lang> {
        let primary = value
            .split(['_', '.', '@', '-'])
            .next()
            .unwrap_or("")
            .to_ascii_lowercase();
        match primary.as_str() {
            "ja" => Some(Lang::Ja),
            "en" => Some(Lang::En),
            _ => None,
        }
    }

    /// The process locale's language, as POSIX looks it up (LC_ALL, then LC_MESSAGES, then
    /// LANG; the first one set decides); Japanese when none names a language we have.
    pub fn of_process() -> Lang {
        ["LC_ALL", "LC_MESSAGES", "LANG"]
            .iter()
            .find_map(|name| std::env::var(name).ok().filter(|value| !value.is_empty()))
            .and_then(|value| Lang::from_locale(&value))
            .unwrap_or(Lang::Ja)
    }

    /// The language a gRPC caller asks for in its `accept-language` metadata.
    pub fn of_request<T>(request: &tonic::Request<T>) -> Lang {
        Self::from_metadata(request.metadata())
    }

    pub fn from_metadata(metadata: &tonic::metadata::MetadataMap) -> Lang {
        metadata
            .get("accept-language")
            .and_then(|value| value.to_str().ok())
            .map_or(Lang::Ja, Lang::from_accept_language)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn posix_locales() {
        assert_eq!(Lang::from_locale("ja_JP.UTF-8"), Some(Lang::Ja));
        assert_eq!(Lang::from_locale("en_US.UTF-8"), Some(Lang::En));
        assert_eq!(Lang::from_locale("en"), Some(Lang::En));
        assert_eq!(Lang::from_locale("C.UTF-8"), None);
        assert_eq!(Lang::from_locale("POSIX"), None);
        assert_eq!(Lang::from_locale("de_DE@euro"), None);
        assert_eq!(Lang::from_locale(""), None);
    }

    #[test]
    fn accept_language_picks_the_best_supported_tag() {
        assert_eq!(Lang::from_accept_language(""), Lang::Ja);
        assert_eq!(Lang::from_accept_language("en"), Lang::En);
        assert_eq!(Lang::from_accept_language("en-US,en;q=0.9"), Lang::En);
        assert_eq!(
            Lang::from_accept_language("fr, en;q=0.5, ja;q=0.8"),
            Lang::Ja
        );
        assert_eq!(Lang::from_accept_language("fr, de"), Lang::Ja);
        assert_eq!(Lang::from_accept_language("en;q=0, ja;q=0.1"), Lang::Ja);
        assert_eq!(Lang::from_accept_language("EN-gb"), Lang::En);
        assert_eq!(Lang::from_accept_language(";;;q=x,,"), Lang::Ja);
    }

    #[test]
    fn metadata_without_the_header_is_japanese() {
        let mut request = tonic::Request::new(());
        assert_eq!(Lang::of_request(&request), Lang::Ja);
        request
            .metadata_mut()
            .insert("accept-language", "en".parse().unwrap());
        assert_eq!(Lang::of_request(&request), Lang::En);
    }
}

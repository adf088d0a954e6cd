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

    /// The best supported language of an `Accept-Language` value (RFC 9110, 12.5.4: language
    /// ranges with optional `q` weights, `*` for any): the highest-weighted range whose primary
    /// subtag we have, the first of equal weights; Japanese when none matches or the value is
    /// empty. A range that is not well-formed — a weight that is not a qvalue (`q=abc`, `q=`,
    /// `q=1.5`, more than three decimals), a parameter other than `q` — is ignored, as RFC 9110
    /// says of invalid ranges, rather than read as weight 1. `_` is read as `-` (`en_US` is
    /// `en-US`: a POSIX locale name pasted into the header). `*` accepts any language, so it
    /// stands for our default, Japanese.
    pub fn from_accept_language(value: &str) -> Lang {
        let mut best: Option<(u16, Lang)> = None;
        for item in value.split(',') {
            let Some((range, weight)) = language_range(item) else {
                continue;
            };
            let primary = range.split('-').next().unwrap_or("");
            let lang = match primary {
                "ja" | "*" => Lang::Ja,
                "en" => Lang::En,
                _ => continue,
            };
            if weight > 0 && best.is_none_or(|(w, _)| weight > w) {
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

/// One element of an `Accept-Language` list: its range in lower case (`_` read as `-`) and its
/// weight in thousandths; `None` when it is empty or not well-formed.
fn language_range(item: &str) -> Option<(String, u16)> {
    let mut parts = item.split(';');
    let range = parts.next()?.trim().to_ascii_lowercase().replace('_', "-");
    if range.is_empty() {
        return None;
    }
    let mut weight = None;
    for parameter in parts {
        let parameter = parameter.trim();
        // `weight = OWS ";" OWS "q=" qvalue`: one weight and nothing else; "q" in any case.
        let qvalue = parameter
            .strip_prefix("q=")
            .or_else(|| parameter.strip_prefix("Q="))?;
        if weight.is_some() {
            return None;
        }
        weight = Some(parse_qvalue(qvalue)?);
    }
    Some((range, weight.unwrap_or(1000)))
}

/// RFC 9110's `qvalue = ( "0" [ "." 0*3DIGIT ] ) / ( "1" [ "." 0*3("0") ] )`, in thousandths.
fn parse_qvalue(text: &str) -> Option<u16> {
    let (whole, fraction) = match text.split_once('.') {
        Some((whole, fraction)) => (whole, fraction),
        None => (text, ""),
    };
    if fraction.len() > 3 || !fraction.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let thousandths: u16 = format!("{fraction:0<3}").parse().ok()?;
    match whole {
        "0" => Some(thousandths),
        "1" if thousandths == 0 => Some(1000),
        _ => None,
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
        assert_eq!(Lang::from_accept_language("en;Q=0.5"), Lang::En);
        assert_eq!(Lang::from_accept_language("en;q=1.000"), Lang::En);
        assert_eq!(Lang::from_accept_language("en_US"), Lang::En);
        assert_eq!(Lang::from_accept_language("en;q=0.1, *"), Lang::Ja);
    }

    #[test]
    fn ranges_whose_weight_does_not_parse_are_ignored() {
        for malformed in [
            "en;q=abc",
            "en;q=",
            "en;q=1.5",
            "en;q=2",
            "en;q=0.1234",
            "en;q=-0",
            "en;q= 0.5",
            "en;q=0.5;q=0.6",
            "en;level=1",
            "en;q=.5",
        ] {
            assert_eq!(
                Lang::from_accept_language(malformed),
                Lang::Ja,
                "{malformed}"
            );
            let after_japanese = format!("ja;q=0.5, {malformed}");
            assert_eq!(
                Lang::from_accept_language(&after_japanese),
                Lang::Ja,
                "{after_japanese}"
            );
        }
        assert_eq!(
            Lang::from_accept_language("en;q=abc, en-GB;q=0.2"),
            Lang::En
        );
    }

    #[test]
    fn qvalues_follow_rfc_9110() {
        assert_eq!(parse_qvalue("0"), Some(0));
        assert_eq!(parse_qvalue("0."), Some(0));
        assert_eq!(parse_qvalue("0.5"), Some(500));
        assert_eq!(parse_qvalue("0.125"), Some(125));
        assert_eq!(parse_qvalue("1"), Some(1000));
        assert_eq!(parse_qvalue("1.00"), Some(1000));
        assert_eq!(parse_qvalue("1.001"), None);
        assert_eq!(parse_qvalue("01"), None);
        assert_eq!(parse_qvalue(""), None);
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

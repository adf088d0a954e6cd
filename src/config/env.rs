//! The `KINTAI__SECTION__KEY` environment variables as a figment provider that keeps a string
//! setting a string. figment's own `Env` parses every value (`12345678901234567890` becomes an
//! integer, `true` a boolean, `[a]` an array), so a digits-only caller secret from the
//! environment failed with "invalid type: found unsigned int" although the same secret starts
//! from a file or TOML (issue 30). Secrets, tokens, codes and ids are strings wherever they come
//! from: a variable whose setting is a string (its default is one) is taken as it is; every
//! other variable is parsed as figment would.

use figment::providers::Env;
use figment::value::{Dict, Map, Value};
use figment::{Error, Metadata, Profile, Provider};

/// The variables under `KINTAI__`, split at `__` into sections.
pub struct KintaiEnv {
    env: Env,
    /// The defaults, which say which settings are strings.
    defaults: Value,
}

impl KintaiEnv {
    pub fn new(defaults: &impl serde::Serialize) -> Result<Self, Box<Error>> {
        Ok(Self {
            env: Env::prefixed("KINTAI__").split("__"),
            defaults: Value::serialize(defaults).map_err(Box::new)?,
        })
    }

    fn is_string_setting(&self, key: &str) -> bool {
        matches!(self.defaults.find_ref(key), Some(Value::String(..)))
    }
}

impl Provider for KintaiEnv {
    /// figment's own: errors name the variable (`KINTAI__AUTH__SECRET`) as before.
    fn metadata(&self) -> Metadata {
        self.env.metadata()
    }

    fn data(&self) -> Result<Map<Profile, Dict>, Error> {
        let mut dict = Dict::new();
        for (key, raw) in self.env.iter() {
            let value = if self.is_string_setting(key.as_str()) {
                Value::from(raw)
            } else {
                raw.parse::<Value>().unwrap_or_else(|never| match never {})
            };
            insert(&mut dict, key.as_str(), value);
        }
        Ok(Profile::Default.collect(dict))
    }
}

/// Puts `value` at the dotted `key`, making the sections on the way; a later variable for the
/// same key wins, as with figment's `Env`.
fn insert(dict: &mut Dict, key: &str, value: Value) {
    match key.split_once('.') {
        None => {
            dict.insert(key.to_owned(), value);
        }
        Some((section, rest)) => {
            let entry = dict
                .entry(section.to_owned())
                .or_insert_with(|| Value::from(Dict::new()));
            if !matches!(entry, Value::Dict(..)) {
                *entry = Value::from(Dict::new());
            }
            if let Value::Dict(_, inner) = entry {
                insert(inner, rest, value);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sections_nest_and_the_last_value_wins() {
        let mut dict = Dict::new();
        insert(&mut dict, "auth.secret", Value::from("1".to_owned()));
        insert(&mut dict, "auth.callers", Value::from("x".to_owned()));
        insert(&mut dict, "auth.secret", Value::from("2".to_owned()));
        let auth = Value::from(dict);
        assert_eq!(
            auth.find_ref("auth.secret").and_then(Value::as_str),
            Some("2")
        );
        assert_eq!(
            auth.find_ref("auth.callers").and_then(Value::as_str),
            Some("x")
        );
    }
}

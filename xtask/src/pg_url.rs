//! Just enough of a `postgres://` URL to probe its server: host, port, user, database, whether
//! it carries a password and whether it insists on TLS (libpq's forms, as sqlx reads them).

/// What the probe needs to know about a test-server URL.
#[derive(Debug, PartialEq, Eq)]
pub struct Target {
    host: String,
    port: u16,
    pub user: String,
    pub database: String,
    pub has_password: bool,
    pub requires_tls: bool,
}

impl Target {
    pub fn parse(url: &str) -> Result<Self, String> {
        let rest = url
            .strip_prefix("postgres://")
            .or_else(|| url.strip_prefix("postgresql://"))
            .ok_or_else(|| format!("{} does not start with postgres://", redact(url)))?;
        let (rest, query) = rest.split_once('?').unwrap_or((rest, ""));
        let (authority, path) = rest.split_once('/').unwrap_or((rest, ""));
        let (user_info, host_port) = authority.rsplit_once('@').unwrap_or(("", authority));
        let (user, password) = user_info.split_once(':').unwrap_or((user_info, ""));
        let (host, port) = split_host_port(host_port)?;
        let mut target = Self {
            host: decode(host),
            port: port.unwrap_or(5432),
            user: decode(user),
            database: decode(path),
            has_password: !password.is_empty(),
            requires_tls: false,
        };
        for (key, value) in query.split('&').filter_map(|pair| pair.split_once('=')) {
            let value = decode(value);
            match key {
                "host" => target.host = value,
                "port" => target.port = parse_port(&value)?,
                "user" => target.user = value,
                "dbname" => target.database = value,
                "password" => target.has_password = !value.is_empty(),
                "sslmode" => {
                    target.requires_tls =
                        matches!(value.as_str(), "require" | "verify-ca" | "verify-full");
                }
                _ => {}
            }
        }
        if target.user.is_empty() {
            // libpq's default: the operating-system user.
            target.user = std::env::var("PGUSER")
                .or_else(|_| std::env::var("USER"))
                .unwrap_or_else(|_| "postgres".to_owned());
        }
        if target.database.is_empty() {
            target.database = target.user.clone();
        }
        Ok(target)
    }

    /// Host and port to probe, or `None` for a Unix socket (no host, or a path).
    pub fn tcp_address(&self) -> Option<(String, u16)> {
        if self.host.is_empty() || self.host.starts_with('/') {
            return None;
        }
        Some((self.host.clone(), self.port))
    }
}

fn split_host_port(host_port: &str) -> Result<(&str, Option<u16>), String> {
    if let Some(bracketed) = host_port.strip_prefix('[') {
        let (host, after) = bracketed
            .split_once(']')
            .ok_or_else(|| "an IPv6 host without its closing ]".to_owned())?;
        return match after.strip_prefix(':') {
            Some(port) => Ok((host, Some(parse_port(port)?))),
            None => Ok((host, None)),
        };
    }
    match host_port.rsplit_once(':') {
        Some((host, port)) => Ok((host, Some(parse_port(port)?))),
        None => Ok((host_port, None)),
    }
}

fn parse_port(port: &str) -> Result<u16, String> {
    port.parse()
        .map_err(|_| format!("the port `{port}` is not a number"))
}

/// `%XX` decoding; anything malformed stays as written.
fn decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut index = 0;
    while index < bytes.len() {
        let escaped = (bytes[index] == b'%')
            .then(|| text.get(index + 1..index + 3))
            .flatten()
            .and_then(|hex| u8::from_str_radix(hex, 16).ok());
        match escaped {
            Some(byte) => {
                out.push(byte);
                index += 3;
            }
            None => {
                out.push(bytes[index]);
                index += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// The URL with any password replaced, for printing.
pub fn redact(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_owned();
    };
    let authority_end = rest.find(['/', '?']).unwrap_or(rest.len());
    let (authority, tail) = rest.split_at(authority_end);
    let authority = match authority.rsplit_once('@') {
        Some((user_info, host)) => match user_info.split_once(':') {
            Some((user, _)) => format!("{user}:***@{host}"),
            None => format!("{user_info}@{host}"),
        },
        None => authority.to_owned(),
    };
    let tail = match tail.split_once("password=") {
        Some((before, after)) => {
            let end = after.find('&').unwrap_or(after.len());
            format!("{before}password=***{}", &after[end..])
        }
        None => tail.to_owned(),
    };
    format!("{scheme}://{authority}{tail}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_url_is_read() {
        let target = Target::parse("postgres://postgres@127.0.0.1:5432/test").unwrap();
        assert_eq!(target.tcp_address(), Some(("127.0.0.1".to_owned(), 5432)));
        assert_eq!(
            (target.user.as_str(), target.database.as_str()),
            ("postgres", "test")
        );
        assert!(!target.has_password && !target.requires_tls);
    }

    #[test]
    fn libpq_forms_are_read() {
        let target =
            Target::parse("postgresql://me:p%40ss@[::1]:6543/my%20db?sslmode=require").unwrap();
        assert_eq!(target.tcp_address(), Some(("::1".to_owned(), 6543)));
        assert_eq!(target.database, "my db");
        assert!(target.has_password && target.requires_tls);

        let socket = Target::parse("postgres://me@%2Fvar%2Frun%2Fpostgresql/test").unwrap();
        assert_eq!(socket.tcp_address(), None);
        let by_query = Target::parse("postgres:///test?host=/run/postgresql&user=u").unwrap();
        assert_eq!(
            (by_query.tcp_address(), by_query.user.as_str()),
            (None, "u")
        );

        assert!(Target::parse("mysql://root@127.0.0.1/test").is_err());
        assert!(Target::parse("postgres://h:port/test").is_err());
    }

    #[test]
    fn passwords_are_redacted() {
        assert_eq!(
            redact("postgres://me:hunter2@db:5432/x?sslmode=require"),
            "postgres://me:***@db:5432/x?sslmode=require"
        );
        assert_eq!(
            redact("postgres://db/x?password=hunter2&sslmode=disable"),
            "postgres://db/x?password=***&sslmode=disable"
        );
        assert_eq!(
            redact(crate::postgres::DEFAULT_URL),
            "postgres://postgres@127.0.0.1:5432/test"
        );
    }
}

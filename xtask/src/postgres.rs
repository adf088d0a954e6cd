//! Whether the PostgreSQL cases run. A server "answers" when it completes PostgreSQL's start-up
//! handshake for the URL's user and database: a bare TCP check would call a server usable that
//! then refuses every case (wrong database, password required), failing a hundred tests for one
//! cause.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream, ToSocketAddrs};
use std::time::Duration;

use crate::pg_url::{Target, redact};

/// The server the tests create their databases on (the same name `kintai_core::testing` reads).
pub const URL_VAR: &str = "KINTAI_TEST_POSTGRES_URL";
/// `off` skips the PostgreSQL cases whatever answers.
pub const SWITCH_VAR: &str = "KINTAI_TEST_POSTGRES";
/// Where a development machine of this project runs PostgreSQL (trust auth).
pub const DEFAULT_URL: &str = "postgres://postgres@127.0.0.1:5432/test";

const CONNECT_TIMEOUT: Duration = Duration::from_secs(3);
const ANSWER_TIMEOUT: Duration = Duration::from_secs(10);
/// A server sends a dozen ParameterStatus messages before ReadyForQuery; far more is not one.
const MAX_START_UP_MESSAGES: usize = 200;

/// What the run does with the PostgreSQL cases.
#[derive(Debug, PartialEq, Eq)]
pub enum Plan {
    Run { url: String },
    Skip { reason: String },
}

/// Decides from `KINTAI_TEST_POSTGRES` and `KINTAI_TEST_POSTGRES_URL`. A URL named explicitly
/// must answer (an error otherwise): whoever names a server wants those cases, and CI must not
/// pass by skipping them. Without one, the default address is used when it answers.
pub fn plan(
    url_var: Option<&str>,
    switch: Option<&str>,
    probe: impl Fn(&str) -> Result<(), String>,
) -> Result<Plan, String> {
    if let Some(switch) = switch.map(str::trim).filter(|s| !s.is_empty()) {
        if is_off(switch) {
            return Ok(Plan::Skip {
                reason: format!("{SWITCH_VAR}={switch}"),
            });
        }
        return Err(format!(
            "{SWITCH_VAR} is `{switch}`; only `off` means something (or leave it unset)"
        ));
    }
    match url_var {
        Some(url) if url.trim().is_empty() => Ok(Plan::Skip {
            reason: format!("{URL_VAR} is set empty"),
        }),
        Some(url) => match probe(url) {
            Ok(()) => Ok(Plan::Run {
                url: url.to_owned(),
            }),
            Err(why) => Err(format!(
                "{URL_VAR} names {}, but {why}. Fix the server or the URL, unset the variable \
                 to use {DEFAULT_URL} when it answers, or set {SWITCH_VAR}=off",
                redact(url)
            )),
        },
        None => Ok(match probe(DEFAULT_URL) {
            Ok(()) => Plan::Run {
                url: DEFAULT_URL.to_owned(),
            },
            Err(why) => Plan::Skip {
                reason: format!("no usable PostgreSQL at {DEFAULT_URL}: {why}"),
            },
        }),
    }
}

/// The values of `KINTAI_TEST_POSTGRES` that switch the cases off (as `kintai_core::testing`).
pub fn is_off(value: &str) -> bool {
    ["off", "0", "false", "no"]
        .iter()
        .any(|off| value.trim().eq_ignore_ascii_case(off))
}

/// Ok when the server at `url` lets its user into its database (or asks for the password the URL
/// carries, which only the tests' own driver can answer).
pub fn probe(url: &str) -> Result<(), String> {
    let target = Target::parse(url)?;
    let Some((host, port)) = target.tcp_address() else {
        // A Unix socket: the tests' driver connects to it itself; nothing to probe over TCP.
        return Ok(());
    };
    let mut stream = connect(&host, port)?;
    stream
        .set_read_timeout(Some(ANSWER_TIMEOUT))
        .and_then(|()| stream.set_write_timeout(Some(ANSWER_TIMEOUT)))
        .map_err(|error| format!("cannot use the connection: {error}"))?;
    if target.requires_tls {
        return tls_offered(&mut stream);
    }
    start_up(&mut stream, &target)
}

fn connect(host: &str, port: u16) -> Result<TcpStream, String> {
    let addresses: Vec<SocketAddr> = (host, port)
        .to_socket_addrs()
        .map_err(|error| format!("cannot resolve {host}: {error}"))?
        .collect();
    let mut last_error = format!("{host} resolves to no address");
    for address in addresses {
        match TcpStream::connect_timeout(&address, CONNECT_TIMEOUT) {
            Ok(stream) => return Ok(stream),
            Err(error) => last_error = format!("nothing answers at {address} ({error})"),
        }
    }
    Err(last_error)
}

/// The start-up message (protocol 3.0) and the server's first answer.
fn start_up(stream: &mut TcpStream, target: &Target) -> Result<(), String> {
    let mut body = 196_608_i32.to_be_bytes().to_vec();
    for (key, value) in [("user", &target.user), ("database", &target.database)] {
        body.extend_from_slice(key.as_bytes());
        body.push(0);
        body.extend_from_slice(value.as_bytes());
        body.push(0);
    }
    body.push(0);
    let mut message = frame_length(body.len() + 4)?.to_vec();
    message.extend_from_slice(&body);
    stream.write_all(&message).map_err(io_failed)?;

    let who = format!("user {}, database {}", target.user, target.database);
    // Trust authentication says "ok" first and checks the role and the database afterwards, so
    // only ReadyForQuery means the tests' connections will be let in.
    for _ in 0..MAX_START_UP_MESSAGES {
        let (tag, answer) = read_message(stream)?;
        match (tag, answer.get(..4)) {
            (b'Z', _) => {
                // Terminate: polite, and keeps the server's log free of "unexpected EOF".
                let _ = stream.write_all(&[b'X', 0, 0, 0, 4]);
                return Ok(());
            }
            (b'R', Some([0, 0, 0, 0])) | (b'S' | b'K' | b'N', _) => {}
            // The tests' driver answers the password challenge; a URL without one cannot.
            (b'R', Some(_)) if target.has_password => return Ok(()),
            (b'R', Some(_)) => {
                return Err(format!(
                    "it asks for a password ({who}); put one in {URL_VAR}"
                ));
            }
            (b'E', _) => return Err(format!("it refuses {who}: {}", error_message(&answer))),
            _ => return Err("the server there does not answer like PostgreSQL".to_owned()),
        }
    }
    Err("the server there does not finish its start-up".to_owned())
}

/// For `sslmode=require` and stricter: the server must offer TLS (the tests' driver does the rest).
fn tls_offered(stream: &mut TcpStream) -> Result<(), String> {
    let ssl_request = [0, 0, 0, 8, 0x04, 0xd2, 0x16, 0x2f];
    stream.write_all(&ssl_request).map_err(io_failed)?;
    let mut answer = [0u8; 1];
    stream.read_exact(&mut answer).map_err(io_failed)?;
    match answer[0] {
        b'S' => Ok(()),
        b'N' => Err("it does not offer TLS, which the URL's sslmode asks for".to_owned()),
        _ => Err("the server there does not answer like PostgreSQL".to_owned()),
    }
}

fn frame_length(length: usize) -> Result<[u8; 4], String> {
    i32::try_from(length)
        .map(i32::to_be_bytes)
        .map_err(|_| "the user or database name is too long".to_owned())
}

/// One backend message: its tag and body (bounded: an answer to a start-up is small).
fn read_message(stream: &mut TcpStream) -> Result<(u8, Vec<u8>), String> {
    let mut header = [0u8; 5];
    stream.read_exact(&mut header).map_err(io_failed)?;
    let length = i32::from_be_bytes([header[1], header[2], header[3], header[4]]);
    let body_length = usize::try_from(length.saturating_sub(4)).unwrap_or(0);
    if body_length > 64 * 1024 {
        return Err("the server there does not answer like PostgreSQL".to_owned());
    }
    let mut body = vec![0u8; body_length];
    stream.read_exact(&mut body).map_err(io_failed)?;
    Ok((header[0], body))
}

/// The `M` (message) field of an ErrorResponse body.
fn error_message(body: &[u8]) -> String {
    body.split(|byte| *byte == 0)
        .find_map(|field| field.strip_prefix(b"M"))
        .map(|message| String::from_utf8_lossy(message).into_owned())
        .unwrap_or_else(|| "an error without a message".to_owned())
}

fn io_failed(error: std::io::Error) -> String {
    format!("the connection failed during start-up ({error})")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn answers(_: &str) -> Result<(), String> {
        Ok(())
    }

    fn silent(_: &str) -> Result<(), String> {
        Err("nothing answers".to_owned())
    }

    #[test]
    fn the_default_server_is_used_when_it_answers() {
        let run = Plan::Run {
            url: DEFAULT_URL.to_owned(),
        };
        assert_eq!(plan(None, None, answers), Ok(run));
        let Ok(Plan::Skip { reason }) = plan(None, None, silent) else {
            panic!("a silent default server skips the cases");
        };
        assert!(reason.contains("nothing answers"), "{reason}");
    }

    #[test]
    fn a_named_server_must_answer() {
        let url = "postgres://me:hunter2@db:5432/x";
        assert_eq!(
            plan(Some(url), None, answers),
            Ok(Plan::Run {
                url: url.to_owned()
            })
        );
        let error = plan(Some(url), None, silent).unwrap_err();
        assert!(error.contains("nothing answers"), "{error}");
        assert!(!error.contains("hunter2"), "the password leaked: {error}");
    }

    #[test]
    fn off_and_an_empty_url_skip_without_probing() {
        let never = |_: &str| -> Result<(), String> { panic!("probed although switched off") };
        for (url, switch) in [
            (None, Some("off")),
            (Some(DEFAULT_URL), Some("OFF")),
            (Some(""), None),
        ] {
            assert!(
                matches!(plan(url, switch, never), Ok(Plan::Skip { .. })),
                "{url:?} {switch:?}"
            );
        }
        assert!(plan(None, Some("maybe"), never).is_err());
    }

    #[test]
    fn nothing_listening_is_told_apart() {
        // Port 1 on loopback: nothing of ours listens there.
        let error = probe("postgres://postgres@127.0.0.1:1/test").unwrap_err();
        assert!(error.contains("nothing answers at 127.0.0.1:1"), "{error}");
    }

    #[test]
    fn error_messages_are_read() {
        let body = b"SFATAL\0C3D000\0Mdatabase \"nope\" does not exist\0\0";
        assert_eq!(error_message(body), "database \"nope\" does not exist");
    }
}

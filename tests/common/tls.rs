//! What the TLS tests of the real binary share: certificates the test issues (one CA, a
//! certificate per service and caller), `kintai serve` processes with TLS on, and a TCP proxy
//! that keeps every byte it forwards, for the secret scan.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use kintai_core::tls::test_ca::{TestCa, Usage};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use super::kintai;

/// A CA and the PEM files issued from it, in a temporary folder.
pub struct Certs {
    pub dir: tempfile::TempDir,
    ca: TestCa,
}

impl Certs {
    pub fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let ca = TestCa::new("kintai test CA").unwrap();
        std::fs::write(dir.path().join("ca.crt"), &ca.cert_pem).unwrap();
        Self { dir, ca }
    }

    pub fn ca_file(&self) -> String {
        self.file("ca.crt")
    }

    pub fn file(&self, name: &str) -> String {
        self.dir.path().join(name).display().to_string()
    }

    /// `NAME.crt` and `NAME.key` for `sans`; their paths.
    pub fn issue(&self, name: &str, sans: &[&str], usage: Usage) -> (String, String) {
        let issued = self.ca.issue(sans, usage).unwrap();
        std::fs::write(self.dir.path().join(format!("{name}.crt")), issued.cert_pem).unwrap();
        std::fs::write(self.dir.path().join(format!("{name}.key")), issued.key_pem).unwrap();
        (
            self.file(&format!("{name}.crt")),
            self.file(&format!("{name}.key")),
        )
    }

    /// A service's certificate, as cert-manager issues it: for its Service name and loopback,
    /// usable as server and as client.
    pub fn service(&self, service: &str) -> (String, String) {
        let name = format!("kintai-{service}");
        self.issue(
            &name,
            &[&name, "localhost", "127.0.0.1"],
            Usage::ServerAndClient,
        )
    }

    /// The environment of a server with mutual TLS on, presenting `(cert, key)`.
    pub fn server_env(&self, (cert, key): &(String, String)) -> Vec<(String, String)> {
        vec![
            ("KINTAI__SERVER__TLS__CERT_FILE".into(), cert.clone()),
            ("KINTAI__SERVER__TLS__KEY_FILE".into(), key.clone()),
            ("KINTAI__SERVER__TLS__CLIENT_CA_FILE".into(), self.ca_file()),
        ]
    }

    /// The environment of a client presenting `(cert, key)` to TLS peers.
    pub fn client_env(&self, (cert, key): &(String, String)) -> Vec<(String, String)> {
        vec![
            ("KINTAI__PEERS__TLS__CA_FILE".into(), self.ca_file()),
            ("KINTAI__PEERS__TLS__CERT_FILE".into(), cert.clone()),
            ("KINTAI__PEERS__TLS__KEY_FILE".into(), key.clone()),
        ]
    }
}

/// A `kintai` process, killed when dropped; its log lines are kept.
pub struct Process {
    child: Child,
    pub address: String,
    logs: Arc<Mutex<Vec<String>>>,
}

impl Process {
    /// Starts `kintai ARGS` and waits until it logs "serving gRPC" (its address) or, for the
    /// simulator, "serving on".
    pub fn start(args: &[&str], env: &[(String, String)]) -> Self {
        let mut child = kintai()
            .args(args)
            .envs(env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
            .env("RUST_LOG", "info")
            .env("NO_COLOR", "1")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start kintai");
        let stderr = child.stderr.take().unwrap();
        let logs = Arc::new(Mutex::new(Vec::new()));
        let (tx, rx) = std::sync::mpsc::channel();
        let sink = logs.clone();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                let found = if line.contains("serving gRPC") {
                    line.split("address=").nth(1)
                } else {
                    line.split("serving on ").nth(1)
                };
                if let Some(rest) = found {
                    let address = rest.split_whitespace().next().unwrap_or("").to_owned();
                    let _ = tx.send(address);
                }
                sink.lock().unwrap().push(line);
            }
        });
        let address = rx
            .recv_timeout(Duration::from_secs(60))
            .unwrap_or_else(|_| {
                panic!("kintai {args:?} did not start: {:?}", logs.lock().unwrap())
            });
        Self {
            child,
            address,
            logs,
        }
    }

    pub fn logs(&self) -> Vec<String> {
        self.logs.lock().unwrap().clone()
    }
}

impl Drop for Process {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A TCP proxy on 127.0.0.1 to `target`, keeping every byte in either direction.
pub struct Proxy {
    pub address: std::net::SocketAddr,
    captured: Arc<Mutex<Vec<u8>>>,
    task: tokio::task::JoinHandle<()>,
}

impl Proxy {
    pub async fn start(target: &str) -> Self {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let address = listener.local_addr().unwrap();
        let captured = Arc::new(Mutex::new(Vec::new()));
        let target = target.to_owned();
        let sink = captured.clone();
        let task = tokio::spawn(async move {
            while let Ok((client, _)) = listener.accept().await {
                let Ok(server) = tokio::net::TcpStream::connect(&target).await else {
                    continue;
                };
                let (client_read, client_write) = client.into_split();
                let (server_read, server_write) = server.into_split();
                tokio::spawn(pump(client_read, server_write, sink.clone()));
                tokio::spawn(pump(server_read, client_write, sink.clone()));
            }
        });
        Self {
            address,
            captured,
            task,
        }
    }

    pub fn captured(&self) -> Vec<u8> {
        self.captured.lock().unwrap().clone()
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        self.task.abort();
    }
}

async fn pump(
    mut from: tokio::net::tcp::OwnedReadHalf,
    mut to: tokio::net::tcp::OwnedWriteHalf,
    sink: Arc<Mutex<Vec<u8>>>,
) {
    let mut buffer = vec![0_u8; 16 * 1024];
    while let Ok(read) = from.read(&mut buffer).await {
        if read == 0 {
            break;
        }
        sink.lock().unwrap().extend_from_slice(&buffer[..read]);
        if to.write_all(&buffer[..read]).await.is_err() {
            break;
        }
    }
    let _ = to.shutdown().await;
}

/// Whether `haystack` holds `needle` as bytes.
pub fn holds(haystack: &[u8], needle: &str) -> bool {
    haystack
        .windows(needle.len())
        .any(|window| window == needle.as_bytes())
}

/// The folder a process keeps its SQLite files in.
pub fn data_dir(root: &Path, name: &str) -> PathBuf {
    let dir = root.join(name);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

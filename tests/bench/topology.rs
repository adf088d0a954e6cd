//! The production topology in separate processes: `kintai kot-sim`, `kintai serve settings`,
//! `kintai serve matcher` and two `kintai serve syncer` replicas on one PostgreSQL database, with
//! caller authentication on, each on a port the OS chose.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, mpsc};
use std::time::Duration;

use base64::Engine as _;
use kintai_core::auth::{ClientCredentials, hash_secret};

/// The cyzen platform's secret: what the bench presents on its calls.
pub const PLATFORM_SECRET: &str = "bench-cyzen-platform-secret-0001";
const MATCHER_SECRET: &str = "bench-matcher-secret-0000000001";
const SYNCER_SECRET: &str = "bench-syncer-secret-00000000001";

/// One child process, killed when dropped.
pub struct Process {
    child: Child,
    name: String,
    /// Company runs this process logged ("company synced"): proof that both replicas worked.
    runs: Arc<AtomicUsize>,
}

impl Drop for Process {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Process {
    /// Starts `kintai ARGS` with `env` and waits for the log line containing `marker`; the text
    /// after `after` on that line up to the next whitespace (an address or URL).
    fn start(
        name: &str,
        args: &[&str],
        env: &[(String, String)],
        marker: &str,
        after: &str,
    ) -> (Self, String) {
        let mut child = Command::new(env!("CARGO_BIN_EXE_kintai"))
            .args(args)
            .envs(env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
            .env(
                "RUST_LOG",
                std::env::var("KINTAI_BENCH_RUST_LOG").unwrap_or_else(|_| {
                    "warn,kintai_core::server=info,kintai=info,kintai_syncer=info".into()
                }),
            )
            .env("NO_COLOR", "1")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap_or_else(|error| panic!("cannot start {name}: {error}"));
        let stderr = child.stderr.take().expect("piped stderr");
        let (tx, rx) = mpsc::channel();
        let (marker, after, who) = (marker.to_owned(), after.to_owned(), name.to_owned());
        let runs = Arc::new(AtomicUsize::new(0));
        let counted = runs.clone();
        // KINTAI_BENCH_LOG_DIR=DIR keeps every process's whole log as DIR/NAME.log, to see where
        // a run's time went.
        let mut keep = std::env::var_os("KINTAI_BENCH_LOG_DIR").map(|dir| {
            let path = std::path::Path::new(&dir).join(format!("{name}.log"));
            std::fs::File::create(&path)
                .map(std::io::BufWriter::new)
                .unwrap_or_else(|error| panic!("cannot create {}: {error}", path.display()))
        });
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                if let Some(file) = keep.as_mut() {
                    use std::io::Write as _;
                    let _ = writeln!(file, "{line}");
                }
                if line.contains("company synced") && !line.contains("Busy") {
                    counted.fetch_add(1, Ordering::Relaxed);
                }
                if line.contains(&marker)
                    && let Some(rest) = line.split(after.as_str()).nth(1)
                {
                    let found = rest
                        .split(|c: char| c.is_whitespace() || c == '"' || c == ',')
                        .next()
                        .unwrap_or("");
                    let _ = tx.send(found.to_owned());
                }
                // Warnings and errors stay visible: a bench that hides failures measures nothing.
                if line.contains("WARN") || line.contains("ERROR") {
                    eprintln!("[{who}] {line}");
                }
            }
        });
        let found = rx
            .recv_timeout(Duration::from_secs(120))
            .unwrap_or_else(|_| panic!("{name} did not say where it serves"));
        (
            Self {
                child,
                name: name.to_owned(),
                runs,
            },
            found,
        )
    }

    /// Whether the process is still running (a crashed replica invalidates the figures).
    pub fn alive(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(None))
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    pub fn runs(&self) -> usize {
        self.runs.load(Ordering::Relaxed)
    }
}

/// Every process of the set-up, and where they serve.
pub struct Topology {
    /// `http://127.0.0.1:PORT/_admin`
    pub sim_admin: String,
    pub settings_url: String,
    pub matcher_url: String,
    pub syncer_urls: Vec<String>,
    pub processes: Vec<Process>,
}

fn caller_list() -> String {
    [
        ("cyzen-platform", PLATFORM_SECRET),
        ("matcher", MATCHER_SECRET),
        ("syncer", SYNCER_SECRET),
    ]
    .iter()
    .map(|(name, secret)| format!("{name}:{}", hash_secret(secret)))
    .collect::<Vec<_>>()
    .join(",")
}

impl Topology {
    /// Starts everything on `database_url`, the syncers with `syncers` replicas.
    pub fn start(database_url: &str, syncers: usize) -> Self {
        let (sim, sim_url) = Process::start(
            "kot-sim",
            &["kot-sim", "--listen", "127.0.0.1:0"],
            &[],
            "serving on",
            "serving on ",
        );
        let key = base64::engine::general_purpose::STANDARD.encode(rand::random::<[u8; 32]>());
        let common = |secret: &str| -> Vec<(String, String)> {
            vec![
                ("KINTAI__DATABASE__URL".into(), database_url.to_owned()),
                ("KINTAI__DATABASE__MAX_CONNECTIONS".into(), "20".into()),
                ("KINTAI__KOT__BASE_URL".into(), sim_url.clone()),
                ("KINTAI__AUTH__CALLERS".into(), caller_list()),
                ("KINTAI__AUTH__SECRET".into(), secret.to_owned()),
                ("KINTAI__SERVER__REFLECTION".into(), "false".into()),
            ]
        };
        let serve = |service: &'static str| ["serve", service, "--listen", "127.0.0.1:0"];
        // Settings calls no other kintai service: it has callers, no secret of its own.
        let mut settings_env = common("");
        settings_env.retain(|(name, _)| name != "KINTAI__AUTH__SECRET");
        settings_env.push(("KINTAI__CRYPTO__TOKEN_KEYS".into(), format!("bench:{key}")));
        let (settings, settings_addr) = Process::start(
            "settings",
            &serve("settings"),
            &settings_env,
            "serving gRPC",
            "address=",
        );
        let settings_url = format!("http://{settings_addr}");
        let mut matcher_env = common(MATCHER_SECRET);
        matcher_env.push(("KINTAI__PEERS__SETTINGS_URL".into(), settings_url.clone()));
        let (matcher, matcher_addr) = Process::start(
            "matcher",
            &serve("matcher"),
            &matcher_env,
            "serving gRPC",
            "address=",
        );
        let matcher_url = format!("http://{matcher_addr}");
        let mut processes = vec![sim, settings, matcher];
        let mut syncer_urls = Vec::new();
        for replica in 0..syncers {
            let mut env = common(SYNCER_SECRET);
            env.push(("KINTAI__PEERS__SETTINGS_URL".into(), settings_url.clone()));
            env.push(("KINTAI__PEERS__MATCHER_URL".into(), matcher_url.clone()));
            // Pods differ by host name, which the lease holder names start with.
            env.push(("HOSTNAME".into(), format!("syncer-{replica}")));

            let (syncer, address) = Process::start(
                &format!("syncer-{replica}"),
                &serve("syncer"),
                &env,
                "serving gRPC",
                "address=",
            );
            processes.push(syncer);
            syncer_urls.push(format!("http://{address}"));
        }
        Self {
            sim_admin: sim_url.replace("/v1.0", "/_admin"),
            settings_url,
            matcher_url,
            syncer_urls,
            processes,
        }
    }

    /// Makes the simulator answer every API call after `latency`.
    pub async fn set_latency(&self, latency: Duration) {
        let response = reqwest::Client::new()
            .put(format!("{}/latency", self.sim_admin))
            .json(&serde_json::json!({"millis": latency.as_millis() as u64}))
            .send()
            .await
            .expect("simulator admin API");
        assert!(response.status().is_success(), "{response:?}");
    }

    /// Panics naming any process that is no longer running.
    pub fn check_alive(&mut self) {
        for process in &mut self.processes {
            assert!(
                process.alive(),
                "{} exited during the bench",
                process.name()
            );
        }
    }
}

/// The platform's credentials for a tonic client.
pub fn platform() -> ClientCredentials {
    ClientCredentials::bearer(PLATFORM_SECRET).expect("an ASCII secret")
}

//! Starting the real `kintai` binary for end-to-end tests.

#![allow(dead_code)]

pub mod flow;
pub mod matrix;
pub mod otlp;
pub mod secured;
pub mod tls;

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

/// The `kintai` binary cargo built for these tests.
pub fn kintai() -> Command {
    Command::new(env!("CARGO_BIN_EXE_kintai"))
}

/// A running `kintai dev` on a port the OS chose, with a temporary data dir.
pub struct DevServer {
    pub child: Child,
    pub address: String,
    pub data_dir: tempfile::TempDir,
    logs: Arc<Mutex<Vec<String>>>,
}

impl DevServer {
    /// Starts `kintai dev --listen 127.0.0.1:0` and waits until it says where it serves and
    /// health answers SERVING.
    pub fn start(extra_args: &[&str]) -> Self {
        Self::start_in(tempfile::tempdir().unwrap(), extra_args, &[])
    }

    /// Starts `kintai dev` on an existing data dir (e.g. after a crash), with extra environment.
    pub fn start_in(
        data_dir: tempfile::TempDir,
        extra_args: &[&str],
        env: &[(&str, &str)],
    ) -> Self {
        let mut child = kintai()
            .args(["dev", "--listen", "127.0.0.1:0", "--data-dir"])
            .arg(data_dir.path())
            .args(extra_args)
            .envs(env.iter().copied())
            .env("RUST_LOG", "info")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start kintai dev");
        let stderr = child.stderr.take().unwrap();
        let logs = Arc::new(Mutex::new(Vec::new()));
        let (address_tx, address_rx) = std::sync::mpsc::channel();
        let sink = logs.clone();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                if let Some(rest) = line.split("serving on ").nth(1) {
                    let address = rest
                        .split(|c: char| c == ';' || c.is_whitespace())
                        .next()
                        .unwrap_or("");
                    let _ = address_tx.send(address.to_owned());
                }
                sink.lock().unwrap().push(line);
            }
        });
        let address = address_rx
            .recv_timeout(Duration::from_secs(60))
            .unwrap_or_else(|_| {
                panic!(
                    "kintai dev did not say where it serves; logs: {:?}",
                    logs.lock().unwrap()
                )
            });
        let server = Self {
            child,
            address,
            data_dir,
            logs,
        };
        server.wait_serving();
        server
    }

    fn wait_serving(&self) {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let output = grpcurl(&["-plaintext", &self.address, "grpc.health.v1.Health/Check"]);
            if output.status.success()
                && String::from_utf8_lossy(&output.stdout).contains("\"SERVING\"")
            {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "health never said SERVING: {output:?}"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// Kills the process with SIGKILL (no drain, no cleanup) and hands back its data dir.
    pub fn kill_hard(mut self) -> tempfile::TempDir {
        let status = Command::new("kill")
            .args(["-KILL", &self.child.id().to_string()])
            .status()
            .unwrap();
        assert!(status.success());
        let _ = self.child.wait();
        let placeholder = tempfile::tempdir().unwrap();
        std::mem::replace(&mut self.data_dir, placeholder)
    }

    /// Every log line so far.
    pub fn logs(&self) -> Vec<String> {
        self.logs.lock().unwrap().clone()
    }

    /// Sends SIGTERM and waits for the exit.
    pub fn terminate(self) -> (ExitStatus, Vec<String>) {
        let status = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status()
            .unwrap();
        assert!(status.success());
        self.wait_exit()
    }

    /// Sends SIGTERM, waits for the exit and hands back the data dir for a restart.
    pub fn terminate_keeping_data(self) -> (ExitStatus, Vec<String>, tempfile::TempDir) {
        let status = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status()
            .unwrap();
        assert!(status.success());
        self.wait_exit_keeping_data()
    }

    /// Waits (at most 30 s) for the process to exit on its own, e.g. after a signal sent elsewhere.
    pub fn wait_exit(self) -> (ExitStatus, Vec<String>) {
        let (status, logs, _) = self.wait_exit_keeping_data();
        (status, logs)
    }

    /// As [`DevServer::wait_exit`], handing back the data dir for a restart.
    pub fn wait_exit_keeping_data(mut self) -> (ExitStatus, Vec<String>, tempfile::TempDir) {
        let (status, logs) = self.wait_for_exit();
        let placeholder = tempfile::tempdir().unwrap();
        (
            status,
            logs,
            std::mem::replace(&mut self.data_dir, placeholder),
        )
    }

    fn wait_for_exit(&mut self) -> (ExitStatus, Vec<String>) {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                // Let the log thread drain the last lines.
                std::thread::sleep(Duration::from_millis(100));
                return (status, self.logs());
            }
            assert!(
                Instant::now() < deadline,
                "kintai dev did not exit after SIGTERM"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for DevServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Runs the real grpcurl (see [`grpcurl_program`]).
pub fn grpcurl(args: &[&str]) -> std::process::Output {
    let program = grpcurl_program();
    Command::new(program)
        .args(args)
        .output()
        .unwrap_or_else(|error| panic!("cannot run grpcurl {}: {error}", program.display()))
}

/// The grpcurl the tests run: `KINTAI_GRPCURL` (which `cargo xtask test`, the README's test
/// command, sets after finding or installing one), else `grpcurl` on PATH.
pub fn grpcurl_program() -> &'static Path {
    static PROGRAM: OnceLock<Result<PathBuf, String>> = OnceLock::new();
    let found = PROGRAM.get_or_init(|| {
        if let Some(named) = std::env::var_os("KINTAI_GRPCURL").filter(|named| !named.is_empty()) {
            let named = PathBuf::from(named);
            return if named.is_file() {
                Ok(named)
            } else {
                Err(format!(
                    "KINTAI_GRPCURL names {}, which is no file",
                    named.display()
                ))
            };
        }
        std::env::var_os("PATH")
            .iter()
            .flat_map(std::env::split_paths)
            .map(|dir| dir.join("grpcurl"))
            .find(|candidate| candidate.is_file())
            .ok_or_else(|| "KINTAI_GRPCURL is not set and no grpcurl is on PATH".to_owned())
    });
    match found {
        Ok(program) => program,
        Err(why) => panic!(
            "the end-to-end tests need grpcurl, but {why}. Run the tests with `cargo xtask test` \
             (README, Set-up), which finds grpcurl or installs it into the build folder"
        ),
    }
}

/// A bash function that makes a script's `grpcurl` the one the tests run, wherever it is.
pub fn grpcurl_shell_function() -> String {
    let quoted = grpcurl_program()
        .display()
        .to_string()
        .replace('\'', "'\\''");
    format!("grpcurl() {{ '{quoted}' \"$@\"; }}")
}

/// A `kintai kot-sim` process on a port the OS chose.
pub struct SimProcess {
    pub child: Child,
    /// `http://127.0.0.1:PORT/v1.0`
    pub base_url: String,
    /// `http://127.0.0.1:PORT/_admin`
    pub admin_url: String,
}

impl SimProcess {
    pub fn start() -> Self {
        let mut child = kintai()
            .args(["kot-sim", "--listen", "127.0.0.1:0"])
            .env("RUST_LOG", "info")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start kintai kot-sim");
        let stderr = child.stderr.take().unwrap();
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                if let Some(rest) = line.split("serving on ").nth(1) {
                    let url = rest.split_whitespace().next().unwrap_or("").to_owned();
                    let _ = tx.send(url);
                }
            }
        });
        let base_url = rx
            .recv_timeout(Duration::from_secs(60))
            .expect("kot-sim said where it serves");
        let admin_url = base_url.replace("/v1.0", "/_admin");
        Self {
            child,
            base_url,
            admin_url,
        }
    }
}

impl Drop for SimProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

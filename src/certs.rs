//! `kintai new-test-certs --out DIR`: a test CA, a server certificate and one client
//! certificate per caller, written into a folder for trying TLS and mutual TLS on a laptop, and
//! the settings that use them printed. Generated in-process (rcgen); for production,
//! cert-manager issues them (README, "Deploy on Kubernetes").

use std::path::Path;

use anyhow::Context;
use kintai_core::tls::test_ca::{Issued, TestCa, Usage};

/// The callers and the SAN each one's certificate carries (as the cluster's certificates do:
/// a service's Service name).
const CALLERS: [(&str, &str); 4] = [
    ("cyzen-platform", "cyzen-platform"),
    ("matcher", "kintai-matcher"),
    ("syncer", "kintai-syncer"),
    ("trigger", "kintai-trigger"),
];

pub fn new_test_certs(out: &Path, hosts: &[String]) -> anyhow::Result<()> {
    kintai_core::files::create_private_dir(out)
        .with_context(|| format!("cannot create {}", out.display()))?;
    let ca = TestCa::new("kintai test CA").map_err(anyhow::Error::msg)?;
    write(out, "ca.crt", &ca.cert_pem)?;
    let mut names = vec!["localhost", "127.0.0.1", "::1"];
    names.extend(hosts.iter().map(String::as_str));
    let server = ca
        .issue(&names, Usage::ServerAndClient)
        .map_err(anyhow::Error::msg)?;
    write_pair(out, "server", &server)?;
    for (caller, san) in CALLERS {
        let issued = ca
            .issue(&[san], Usage::Client)
            .map_err(anyhow::Error::msg)?;
        write_pair(out, caller, &issued)?;
    }
    let dir = out.display();
    let sans: Vec<String> = CALLERS
        .iter()
        .map(|(caller, san)| format!("{caller}:{san}"))
        .collect();
    println!(
        "wrote a test CA (ca.crt; its key is not kept), server.crt/server.key for {names} and a client certificate per caller into {dir}
server (TLS; with client_ca_file, mutual TLS):
  KINTAI__SERVER__TLS__CERT_FILE={dir}/server.crt
  KINTAI__SERVER__TLS__KEY_FILE={dir}/server.key
  KINTAI__SERVER__TLS__CLIENT_CA_FILE={dir}/ca.crt
  KINTAI__AUTH__CALLER_SANS={sans}
a client (kintai trigger --target https://127.0.0.1:50051, the matcher, the syncer):
  KINTAI__PEERS__TLS__CA_FILE={dir}/ca.crt
  KINTAI__PEERS__TLS__CERT_FILE={dir}/trigger.crt
  KINTAI__PEERS__TLS__KEY_FILE={dir}/trigger.key
grpcurl:
  grpcurl -cacert {dir}/ca.crt -cert {dir}/cyzen-platform.crt -key {dir}/cyzen-platform.key 127.0.0.1:50051 list",
        names = names.join(", "),
        sans = sans.join(","),
    );
    Ok(())
}

fn write_pair(dir: &Path, name: &str, issued: &Issued) -> anyhow::Result<()> {
    write(dir, &format!("{name}.crt"), &issued.cert_pem)?;
    write(dir, &format!("{name}.key"), &issued.key_pem)
}

/// Each file new (an existing set is never overwritten), for its owner only.
fn write(dir: &Path, name: &str, text: &str) -> anyhow::Result<()> {
    let path = dir.join(name);
    kintai_core::files::write_new_private_file(&path, text.as_bytes())
        .with_context(|| format!("cannot write {}", path.display()))
}

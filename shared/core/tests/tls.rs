//! TLS and mutual TLS on the production server wiring, over real TCP with certificates the test
//! generates: a round trip, a certificate from another CA refused at the handshake, a
//! certificate's SAN naming its caller to the one caller policy, a plaintext client told to use
//! TLS, and a rotated certificate served by the next handshake without a restart while a
//! connection opened before keeps its calls.

use std::path::{Path, PathBuf};
use std::time::Duration;

use kintai_core::auth::Callers;
use kintai_core::peer::PeerTls;
use kintai_core::server::{GrpcServer, ServerConfig};
use kintai_core::tls::test_ca::{TestCa, Usage};
use kintai_core::tls::{ClientTlsConfig, ServerTlsConfig};
use kintai_proto::settings::v1::GetCredentialsRequest;
use kintai_proto::settings::v1::settings_service_client::SettingsServiceClient;
use tonic::Code;
use tonic_health::pb::HealthCheckRequest;
use tonic_health::pb::health_client::HealthClient;

/// Writes `name.crt` and `name.key` (issued by `ca` for `sans`) into `dir`, replacing any old
/// pair the way a Secret volume does: new files renamed over the old ones.
fn write_pair(
    dir: &Path,
    ca: &TestCa,
    name: &str,
    sans: &[&str],
    usage: Usage,
) -> (String, String) {
    let issued = ca.issue(sans, usage).unwrap();
    let cert = dir.join(format!("{name}.crt"));
    let key = dir.join(format!("{name}.key"));
    replace(&cert, &issued.cert_pem);
    replace(&key, &issued.key_pem);
    (path(&cert), path(&key))
}

fn replace(file: &Path, text: &str) {
    let next = file.with_extension("next");
    std::fs::write(&next, text).unwrap();
    std::fs::rename(&next, file).unwrap();
}

fn path(file: &Path) -> String {
    file.display().to_string()
}

fn write_ca(dir: &Path, name: &str, ca: &TestCa) -> String {
    let file: PathBuf = dir.join(format!("{name}.crt"));
    std::fs::write(&file, &ca.cert_pem).unwrap();
    path(&file)
}

/// A server on 127.0.0.1:0 over `tls`, admitting the callers by certificate SAN; its URL.
async fn serve(tls: ServerTlsConfig) -> (String, tokio::sync::oneshot::Sender<()>) {
    let mut server = GrpcServer::new(ServerConfig {
        tls,
        drain_timeout_secs: 1,
        ..ServerConfig::default()
    });
    server.authenticate(
        Callers::certificates_only("matcher:kintai-matcher,trigger:kintai-trigger").unwrap(),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(server.serve(listener, async move {
        let _ = stopped.await;
    }));
    (format!("https://localhost:{port}"), stop)
}

fn client(ca_file: &str, identity: Option<&(String, String)>) -> PeerTls {
    let (cert_file, key_file) = identity.cloned().unwrap_or_default();
    PeerTls::load(
        &ClientTlsConfig {
            ca_file: ca_file.to_owned(),
            cert_file,
            key_file,
        },
        false,
    )
    .unwrap()
}

async fn health(tls: &PeerTls, url: &str) -> Result<i32, tonic::Status> {
    let channel = tls.lazy_channel(url).unwrap();
    health_on(channel).await
}

async fn health_on(channel: tonic::transport::Channel) -> Result<i32, tonic::Status> {
    let mut client = HealthClient::new(channel);
    let answer = tokio::time::timeout(
        Duration::from_secs(10),
        client.check(HealthCheckRequest::default()),
    )
    .await
    .expect("an answer within 10 s")?;
    Ok(answer.into_inner().status)
}

/// Calls an RPC that needs a caller: the caller policy answers before any service is asked.
async fn credentials_call(tls: &PeerTls, url: &str) -> Code {
    let mut client = SettingsServiceClient::new(tls.lazy_channel(url).unwrap());
    match client
        .get_credentials(GetCredentialsRequest::default())
        .await
    {
        Ok(_) => Code::Ok,
        Err(status) => status.code(),
    }
}

#[tokio::test]
async fn mutual_tls_admits_the_ca_s_certificates_and_names_callers_by_san() {
    let dir = tempfile::tempdir().unwrap();
    let ca = TestCa::new("kintai test CA").unwrap();
    let other_ca = TestCa::new("someone else's CA").unwrap();
    let ca_file = write_ca(dir.path(), "ca", &ca);
    let (cert_file, key_file) = write_pair(
        dir.path(),
        &ca,
        "server",
        &["localhost"],
        Usage::ServerAndClient,
    );
    let (url, _stop) = serve(ServerTlsConfig {
        cert_file,
        key_file,
        client_ca_file: ca_file.clone(),
    })
    .await;

    let matcher = write_pair(
        dir.path(),
        &ca,
        "matcher",
        &["kintai-matcher"],
        Usage::Client,
    );
    let serving = tonic_health::ServingStatus::Serving as i32;
    assert_eq!(
        health(&client(&ca_file, Some(&matcher)), &url)
            .await
            .unwrap(),
        serving
    );

    // The certificate's SAN names the caller; the one policy decides what it may call. No
    // service is registered here, so an admitted call reaches the router: UNIMPLEMENTED.
    assert_eq!(
        credentials_call(&client(&ca_file, Some(&matcher)), &url).await,
        Code::Unimplemented
    );
    let trigger = write_pair(
        dir.path(),
        &ca,
        "trigger",
        &["kintai-trigger"],
        Usage::Client,
    );
    assert_eq!(
        credentials_call(&client(&ca_file, Some(&trigger)), &url).await,
        Code::PermissionDenied
    );
    let unlisted = write_pair(dir.path(), &ca, "unlisted", &["someone"], Usage::Client);
    assert_eq!(
        credentials_call(&client(&ca_file, Some(&unlisted)), &url).await,
        Code::Unauthenticated
    );

    // A certificate of another CA, even with a listed SAN, and no certificate at all: refused
    // at the handshake, before any call. (Under TLS 1.3 the client reads the server's alert
    // with its first request, so the call fails with the alert as its cause.)
    let forged = write_pair(
        dir.path(),
        &other_ca,
        "forged",
        &["kintai-matcher"],
        Usage::Client,
    );
    let refused = health(&client(&ca_file, Some(&forged)), &url)
        .await
        .unwrap_err();
    assert!(format!("{refused:?}").contains("UnknownCA"), "{refused:?}");
    let refused = health(&client(&ca_file, None), &url).await.unwrap_err();
    assert!(
        format!("{refused:?}").contains("CertificateRequired"),
        "{refused:?}"
    );

    // A client that trusts another CA refuses the server.
    let other_ca_file = write_ca(dir.path(), "other-ca", &other_ca);
    let refused = health(&client(&other_ca_file, Some(&matcher)), &url)
        .await
        .unwrap_err();
    assert_eq!(refused.code(), Code::Unavailable, "{refused:?}");
    assert!(
        format!("{refused:?}").contains("UnknownIssuer"),
        "{refused:?}"
    );
}

#[tokio::test]
async fn a_plaintext_client_is_told_to_use_tls() {
    let dir = tempfile::tempdir().unwrap();
    let ca = TestCa::new("kintai test CA").unwrap();
    let (cert_file, key_file) = write_pair(
        dir.path(),
        &ca,
        "server",
        &["localhost"],
        Usage::ServerAndClient,
    );
    let (url, _stop) = serve(ServerTlsConfig {
        cert_file,
        key_file,
        client_ca_file: String::new(),
    })
    .await;
    let plaintext = url.replace("https://localhost", "http://127.0.0.1");
    let refused = health(&PeerTls::loopback_only(), &plaintext)
        .await
        .unwrap_err();
    assert_eq!(refused.code(), Code::Unavailable, "{refused:?}");
    assert!(
        refused.message().contains("requires TLS") && refused.message().contains("https://"),
        "{refused:?}"
    );
}

#[tokio::test]
async fn a_rotated_certificate_is_served_by_the_next_handshake_and_open_connections_keep_working() {
    let dir = tempfile::tempdir().unwrap();
    let first_ca = TestCa::new("first CA").unwrap();
    let second_ca = TestCa::new("second CA").unwrap();
    let first_ca_file = write_ca(dir.path(), "first-ca", &first_ca);
    let second_ca_file = write_ca(dir.path(), "second-ca", &second_ca);
    let (cert_file, key_file) = write_pair(
        dir.path(),
        &first_ca,
        "server",
        &["localhost"],
        Usage::ServerAndClient,
    );
    let (url, _stop) = serve(ServerTlsConfig {
        cert_file,
        key_file,
        client_ca_file: String::new(),
    })
    .await;
    let trusts_first = client(&first_ca_file, None);
    let trusts_second = client(&second_ca_file, None);
    let open = trusts_first.connect(&url).await.unwrap().unwrap();
    assert!(health_on(open.clone()).await.is_ok());
    assert!(health(&trusts_second, &url).await.is_err());

    // The Secret is renewed in place: same paths, a certificate from another CA.
    write_pair(
        dir.path(),
        &second_ca,
        "server",
        &["localhost"],
        Usage::ServerAndClient,
    );
    assert!(
        health(&trusts_second, &url).await.is_ok(),
        "the next handshake presents the new certificate"
    );
    assert!(
        health(&trusts_first, &url).await.is_err(),
        "a new connection no longer gets the old one"
    );
    assert!(
        health_on(open).await.is_ok(),
        "a connection opened before the rotation keeps working"
    );

    // A broken renewal (a key that is not the certificate's) keeps the last good pair.
    let stray = second_ca
        .issue(&["localhost"], Usage::ServerAndClient)
        .unwrap();
    replace(&dir.path().join("server.key"), &stray.key_pem);
    assert!(health(&trusts_second, &url).await.is_ok());
}

#[tokio::test]
async fn the_health_only_port_answers_health_in_plaintext_and_nothing_else() {
    let dir = tempfile::tempdir().unwrap();
    let ca = TestCa::new("kintai test CA").unwrap();
    let (cert_file, key_file) = write_pair(
        dir.path(),
        &ca,
        "server",
        &["localhost"],
        Usage::ServerAndClient,
    );
    let mut server = GrpcServer::new(ServerConfig {
        tls: ServerTlsConfig {
            cert_file,
            key_file,
            client_ca_file: String::new(),
        },
        drain_timeout_secs: 1,
        ..ServerConfig::default()
    });
    server.authenticate(Callers::certificates_only("matcher:kintai-matcher").unwrap());
    let health_listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let health_url = format!("http://{}", health_listener.local_addr().unwrap());
    server.transport(None, Some(health_listener));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let (_stop, stopped) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(server.serve(listener, async move {
        let _ = stopped.await;
    }));
    let plaintext = PeerTls::loopback_only();
    assert_eq!(
        health(&plaintext, &health_url).await.unwrap(),
        tonic_health::ServingStatus::Serving as i32
    );
    assert_eq!(
        credentials_call(&plaintext, &health_url).await,
        Code::Unimplemented,
        "the health-only port serves no other service"
    );
}

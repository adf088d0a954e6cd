//! Reflection describes what it lists (issue 30): `grpcurl list` names both reflection services,
//! and `describe` answers for each of them, as for every other listed service. The health-only
//! port answers the README's grpcurl command too.

mod common;

use common::{DevServer, grpcurl};

#[test]
fn every_listed_service_can_be_described() {
    let server = DevServer::start(&[]);
    let listed = grpcurl(&["-plaintext", &server.address, "list"]);
    assert!(listed.status.success(), "{listed:?}");
    let listed = String::from_utf8_lossy(&listed.stdout).into_owned();
    let services: Vec<&str> = listed
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect();
    for expected in [
        "grpc.reflection.v1.ServerReflection",
        "grpc.reflection.v1alpha.ServerReflection",
        "grpc.health.v1.Health",
        "kintai.syncer.v1.SyncerService",
    ] {
        assert!(
            services.contains(&expected),
            "{expected} not listed: {listed}"
        );
    }
    for service in services {
        let described = grpcurl(&["-plaintext", &server.address, "describe", service]);
        assert!(
            described.status.success(),
            "describe {service}: {}",
            String::from_utf8_lossy(&described.stderr)
        );
        assert!(
            String::from_utf8_lossy(&described.stdout).contains("is a service"),
            "{service}: {described:?}"
        );
    }
}

/// The README's `grpcurl -plaintext HOST:50052 grpc.health.v1.Health/Check`, with the tests'
/// grpcurl (1.8.6 asks reflection v1alpha only): the health-only port served v1 alone, and
/// grpcurl answered "server does not support the reflection API" (found by the container smoke
/// test).
#[test]
fn the_health_only_port_answers_grpcurl_without_proto_files() {
    // The child binds it; a port just released by the OS is free unless another process races.
    let health = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .to_string();
    let _server = DevServer::start_in(
        tempfile::tempdir().unwrap(),
        &[],
        &[("KINTAI__SERVER__HEALTH_LISTEN", health.as_str())],
    );
    let checked = grpcurl(&["-plaintext", &health, "grpc.health.v1.Health/Check"]);
    assert!(
        checked.status.success(),
        "{}",
        String::from_utf8_lossy(&checked.stderr)
    );
    assert!(
        String::from_utf8_lossy(&checked.stdout).contains("\"SERVING\""),
        "{checked:?}"
    );
}

//! Reflection describes what it lists (issue 30): `grpcurl list` names both reflection services,
//! and `describe` answers for each of them, as for every other listed service.

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

//! The README's caller table says exactly what the policy admits: for every caller, the RPCs its
//! row lists are the RPCs of the contract (`proto/`) that `kintai_core::auth::access` lets it call.

use std::collections::BTreeSet;

use kintai_core::auth::{Access, access, caller_names};

const ROOT: &str = env!("CARGO_MANIFEST_DIR");

/// Every RPC of the contract as `/package.Service/Method`, read from the proto files.
fn contract_paths() -> Vec<String> {
    let mut paths = Vec::new();
    for name in ["settings", "matcher", "syncer"] {
        let file = format!("{ROOT}/proto/kintai/{name}/v1/{name}.proto");
        let text = std::fs::read_to_string(&file).unwrap();
        let package = text
            .lines()
            .find_map(|line| line.trim().strip_prefix("package "))
            .unwrap()
            .trim_end_matches(';');
        let mut service = String::new();
        for line in text.lines().map(str::trim) {
            if let Some(rest) = line.strip_prefix("service ") {
                service = rest.trim_end_matches('{').trim().to_owned();
            } else if let Some(rest) = line.strip_prefix("rpc ") {
                let method = rest.split('(').next().unwrap().trim();
                paths.push(format!("/{package}.{service}/{method}"));
            }
        }
    }
    assert!(paths.len() >= 17, "the protos were read: {paths:?}");
    paths
}

/// `Service/Method` of every RPC the caller's README row lists.
fn readme_row(caller: &str) -> BTreeSet<String> {
    let readme = std::fs::read_to_string(format!("{ROOT}/README.md")).unwrap();
    let section = &readme[readme.find("\n## Caller authentication").unwrap()..];
    let prefix = format!("| `{caller}` |");
    let row = section
        .lines()
        .find(|line| line.starts_with(&prefix))
        .unwrap_or_else(|| panic!("the README's caller table has no row for {caller}"));
    let cell = row[prefix.len()..].trim().trim_end_matches('|').trim();
    let mut rpcs = BTreeSet::new();
    for group in cell.split(';') {
        let (service, methods) = group.split_once(':').unwrap();
        for method in methods.split(',') {
            rpcs.insert(format!("{}/{}", service.trim(), method.trim()));
        }
    }
    rpcs
}

#[test]
fn the_readme_caller_table_is_the_policy() {
    let paths = contract_paths();
    for caller in caller_names() {
        let allowed: BTreeSet<String> = paths
            .iter()
            .filter(|path| match access(path) {
                Access::Only(callers) => callers.contains(&caller),
                Access::Open => true,
            })
            .map(|path| {
                let (service, method) = path.rsplit_once('/').unwrap();
                let service = service.rsplit('.').next().unwrap();
                format!("{service}/{method}")
            })
            .collect();
        assert_eq!(readme_row(caller), allowed, "the README row of {caller}");
    }
}

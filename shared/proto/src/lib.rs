//! The public gRPC contract of kintai-link, generated from `proto/`.
//!
//! Every service crate and the `kintai` binary use these types; nothing else compiles protos.

/// Encoded `FileDescriptorSet` of every kintai proto and its imports, for server reflection.
pub const FILE_DESCRIPTOR_SET: &[u8] =
    include_bytes!(concat!(env!("OUT_DIR"), "/kintai_descriptor.bin"));

pub mod common {
    pub mod v1 {
        tonic::include_proto!("kintai.common.v1");
    }
}

pub mod settings {
    pub mod v1 {
        tonic::include_proto!("kintai.settings.v1");
    }
}

pub mod matcher {
    pub mod v1 {
        tonic::include_proto!("kintai.matcher.v1");
    }
}

pub mod syncer {
    pub mod v1 {
        tonic::include_proto!("kintai.syncer.v1");
    }
}

/// Full names of the three public services, as reflection and health report them.
pub const SERVICE_NAMES: [&str; 3] = [
    "kintai.settings.v1.SettingsService",
    "kintai.matcher.v1.MatcherService",
    "kintai.syncer.v1.SyncerService",
];

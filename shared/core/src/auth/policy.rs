//! Which caller may call which RPC. The cyzen platform uses the public RPCs; the matcher and the
//! syncer read what they need from each other and from settings, and only they get tokens; the
//! CronJob's trigger may start runs; health and reflection are open.

/// The caller names the policy knows (the keys of the caller Secret).
pub const CYZEN_PLATFORM: &str = "cyzen-platform";
pub const MATCHER: &str = "matcher";
pub const SYNCER: &str = "syncer";
pub const TRIGGER: &str = "trigger";

/// Every name the policy grants something to.
pub fn caller_names() -> [&'static str; 4] {
    [CYZEN_PLATFORM, MATCHER, SYNCER, TRIGGER]
}

/// Who may call a path.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// Health and reflection: no credentials needed.
    Open,
    /// Only these callers.
    Only(&'static [&'static str]),
}

const PLATFORM: &[&str] = &[CYZEN_PLATFORM];
const PLATFORM_AND_INTERNAL: &[&str] = &[CYZEN_PLATFORM, MATCHER, SYNCER];
const INTERNAL: &[&str] = &[MATCHER, SYNCER];
const RUNS: &[&str] = &[CYZEN_PLATFORM, TRIGGER];
const NOBODY: &[&str] = &[];

/// The access rule of a gRPC path (`/package.Service/Method`). Unknown paths of our packages are
/// closed to everyone; unknown services are closed too.
pub fn access(path: &str) -> Access {
    if path.starts_with("/grpc.health.v1.Health/") || path.starts_with("/grpc.reflection.") {
        return Access::Open;
    }
    let Some((service, method)) = path.trim_start_matches('/').split_once('/') else {
        return Access::Only(NOBODY);
    };
    Access::Only(match (service, method) {
        ("kintai.settings.v1.SettingsService", "GetCredentials" | "ReportTokenRejected") => {
            INTERNAL
        }
        (
            "kintai.settings.v1.SettingsService",
            "GetIntegration" | "ListUsers" | "ListCompanies",
        ) => PLATFORM_AND_INTERNAL,
        ("kintai.settings.v1.SettingsService", _) => PLATFORM,
        ("kintai.matcher.v1.MatcherService", "RunMatch") => RUNS,
        ("kintai.matcher.v1.MatcherService", "ListLinks") => PLATFORM_AND_INTERNAL,
        ("kintai.syncer.v1.SyncerService", "RunSync") => RUNS,
        (
            "kintai.syncer.v1.SyncerService",
            "RecordPunches" | "ListPunches" | "RetryPunches" | "ListDays",
        ) => PLATFORM,
        _ => NOBODY,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_go_to_the_matcher_and_syncer_only() {
        assert_eq!(
            access("/kintai.settings.v1.SettingsService/GetCredentials"),
            Access::Only(INTERNAL)
        );
        assert_eq!(
            access("/kintai.settings.v1.SettingsService/RegisterToken"),
            Access::Only(PLATFORM)
        );
        assert_eq!(
            access("/kintai.syncer.v1.SyncerService/RunSync"),
            Access::Only(RUNS)
        );
        // The day check is read by cyzen's admin site, next to 連携状況.
        assert_eq!(
            access("/kintai.syncer.v1.SyncerService/ListDays"),
            Access::Only(PLATFORM)
        );
        assert_eq!(access("/grpc.health.v1.Health/Check"), Access::Open);
        assert_eq!(
            access("/grpc.reflection.v1.ServerReflection/ServerReflectionInfo"),
            Access::Open
        );
        assert_eq!(access("/other.Service/Call"), Access::Only(NOBODY));
        assert_eq!(access("garbage"), Access::Only(NOBODY));
    }
}

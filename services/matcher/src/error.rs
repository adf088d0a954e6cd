//! The matcher's errors and the one place that decides their gRPC codes. Validation statuses
//! come ready-made from `kintai_core::validate`; everything else a handler can fail with is a
//! [`MatcherError`], which `?` turns into its status.

use kintai_core::DbError;
use tonic::Status;

use crate::settings_port::PortError;

#[derive(Debug, thiserror::Error)]
pub enum MatcherError {
    /// A storage failure; `what` names the operation in the log, never to the caller.
    #[error("{what}: {source}")]
    Db {
        what: &'static str,
        #[source]
        source: DbError,
    },
    /// A run over every company could not ask settings for the companies; a later call may
    /// succeed. (A run of one company reports its failures in its result instead.)
    #[error("cannot list the companies: {0}")]
    CompaniesUnlisted(#[source] PortError),
}

impl MatcherError {
    /// For `map_err`: a storage failure of the operation `what`.
    pub(crate) fn db(what: &'static str) -> impl FnOnce(DbError) -> Self {
        move |source| Self::Db { what, source }
    }
}

impl From<MatcherError> for Status {
    fn from(error: MatcherError) -> Self {
        match error {
            // Logs the operation and cause; the caller gets a generic message.
            MatcherError::Db { what, source } => kintai_core::grpc_error::db_status(what, source),
            MatcherError::CompaniesUnlisted(error) => {
                tracing::warn!(%error, "match run could not list companies");
                Status::unavailable(
                    "the settings service cannot be reached to list companies; retry later",
                )
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use tonic::Code;

    use super::*;

    #[test]
    fn an_unlisted_run_is_unavailable_without_the_cause() {
        let cause = PortError::Unavailable("connection refused to 10.0.0.7".into());
        let status = Status::from(MatcherError::CompaniesUnlisted(cause));
        assert_eq!(status.code(), Code::Unavailable);
        assert_eq!(
            status.message(),
            "the settings service cannot be reached to list companies; retry later"
        );
    }
}

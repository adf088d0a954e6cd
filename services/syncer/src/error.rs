//! The syncer's errors and the one place that decides their gRPC codes.

use kintai_core::DbError;
use tonic::Status;

#[derive(Debug, thiserror::Error)]
pub enum SyncerError {
    #[error(transparent)]
    Db(#[from] DbError),
    /// The settings or matcher service could not answer.
    #[error("a dependency did not answer: {0}")]
    Dependency(String),
    /// A bug (e.g. a run that panicked); logged where it happened.
    #[error("internal error: {0}")]
    Internal(String),
}

impl From<SyncerError> for Status {
    fn from(error: SyncerError) -> Self {
        match error {
            SyncerError::Db(error) => kintai_core::grpc_error::db_status("syncer", error),
            SyncerError::Dependency(cause) => {
                tracing::warn!(%cause, "dependency unavailable");
                Status::unavailable("the settings service cannot be reached; retry later")
            }
            SyncerError::Internal(_) => Status::internal(
                "the run failed unexpectedly; the operators have the details in the logs",
            ),
        }
    }
}

//! The one place where storage failures become gRPC statuses. Internal causes are logged with
//! context and never sent to the caller.

use tonic::Status;

use crate::db::DbError;

/// Maps a storage failure to a status: retryable contention is UNAVAILABLE, everything else is
/// INTERNAL with a generic message (the cause goes to the log only).
pub fn db_status(context: &'static str, error: DbError) -> Status {
    match error {
        DbError::Busy => {
            tracing::warn!(context, "database busy");
            Status::unavailable("the database is busy; retry the call")
        }
        other => {
            tracing::error!(context, error = %other, "database failure");
            Status::internal("internal storage error; the operators have the details in the logs")
        }
    }
}

#[cfg(test)]
mod tests {
    use tonic::Code;

    use super::*;

    #[test]
    fn contention_is_retryable_and_other_failures_say_nothing_of_their_cause() {
        assert_eq!(
            db_status("store token", DbError::Busy).code(),
            Code::Unavailable
        );
        let other = db_status("store token", DbError::UniqueViolation);
        assert_eq!(other.code(), Code::Internal);
        assert_eq!(
            other.message(),
            "internal storage error; the operators have the details in the logs"
        );
    }
}

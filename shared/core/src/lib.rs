//! What every kintai-link service shares: the storage foundation (one code path for SQLite and
//! PostgreSQL), gRPC server wiring (health, reflection, limits, graceful drain), telemetry, and
//! the conversion of domain errors into gRPC statuses.

pub mod auth;
pub mod chars;
pub mod clock;
pub mod db;
pub mod dispatch;
pub mod due;
pub mod files;
pub mod grpc_error;
pub mod lease;
mod limits;
pub mod migrate;
pub mod paging;
pub mod peer;
pub mod punch_type;
pub mod redact;
pub mod server;
pub mod task;
pub mod telemetry;
pub mod tls;
pub mod validate;

#[cfg(any(test, feature = "test-support"))]
pub mod testing;

pub use clock::Clock;
pub use db::{Db, DbError, Engine};

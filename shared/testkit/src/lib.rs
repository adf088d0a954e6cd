//! The test kit every kintai-link service's tests use (a dev-dependency only):
//!
//! - [`App`]: the production [`GrpcServer`](kintai_core::server::GrpcServer) with caller
//!   authentication on, serving the services a test adds on `127.0.0.1:0`, and typed clients
//!   that present a caller's secret — so a test goes through the same layers a real call does;
//! - fresh databases on both engines: [`TestDb`] and the one [`both_engines!`] macro (cases
//!   `NAME::sqlite` and `NAME::postgres`, counted by `cargo xtask test`);
//! - the KING OF TIME simulator and one way to build a client for it ([`sim`]);
//! - [`jst`] and [`day`] for the instants and dates tests are written in;
//! - readers of the error details a refusal carries ([`status`]);
//! - a tracing layer that keeps every span and event ([`spans::Capture`]).

mod app;
pub mod sim;
pub mod spans;
pub mod status;
mod time;

pub use app::{App, Caller};
pub use kintai_core::both_engines;
pub use kintai_core::testing::{TestDb, TestEngine};
pub use time::{day, jst};

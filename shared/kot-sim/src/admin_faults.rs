//! `/_admin` fault injection, mirroring `sim_faults.rs`:
//!
//! | call | body | effect |
//! |---|---|---|
//! | `POST /_admin/faults` | `{"kind": K, "count": N}` | the next N API requests get K |
//! | `DELETE /_admin/faults` | | clears queue, profile, outage, drops, latency (not the stats) |
//! | `POST /_admin/faults/drop-after-punch` | `{"count": N}` | next N punches stored, then reset |
//! | `PUT /_admin/faults/profile` | a [`FaultProfile`] | seeded random faults per request |
//! | `DELETE /_admin/faults/profile` | | no more random faults |
//! | `POST /_admin/faults/outage` | `{"seconds": S, "kind": K?}` | S wall-clock seconds of K (default `gateway503Html`) |
//! | `PUT /_admin/faults/slow-after-store` | `{"millis": M}` | delay of `slowAfterStore` |
//! | `GET /_admin/faults/stats` | | `{"gateway504AfterStore": 12, ...}`, every kind |
//! | `DELETE /_admin/faults/stats` | | counts back to zero |
//! | `PUT /_admin/faults/empty-edge-reads` | `{"seconds": S}` (`null` lifts) | reads within S of a restricted window answer no records |
//! | `PUT /_admin/latency` | `{"millis": M}` | delay added to every answer |

use std::time::Duration;

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::routing::{post, put};
use serde::Deserialize;

use crate::admin::{AdminError, Answer, Body, done};
use crate::faults::FaultProfile;
use crate::model::FailureKind;
use crate::simulator::Simulator;

pub(crate) fn routes() -> axum::Router<Simulator> {
    axum::Router::new()
        .route("/_admin/latency", put(set_latency))
        .route("/_admin/faults", post(fail_next).delete(clear_faults))
        .route("/_admin/faults/drop-after-punch", post(drop_after_punch))
        .route(
            "/_admin/faults/profile",
            put(set_profile).delete(clear_profile),
        )
        .route("/_admin/faults/outage", post(start_outage))
        .route("/_admin/faults/slow-after-store", put(set_slow_after_store))
        .route("/_admin/faults/empty-edge-reads", put(set_empty_edge_reads))
        .route(
            "/_admin/faults/stats",
            axum::routing::get(stats).delete(reset_stats),
        )
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct MillisIn {
    millis: u64,
}

async fn set_latency(State(sim): State<Simulator>, body: Body<MillisIn>) -> Answer {
    let Json(input) = body?;
    sim.set_latency(Duration::from_millis(input.millis));
    done()
}

async fn set_slow_after_store(State(sim): State<Simulator>, body: Body<MillisIn>) -> Answer {
    let Json(input) = body?;
    sim.set_slow_after_store(Duration::from_millis(input.millis));
    done()
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FaultIn {
    kind: FailureKind,
    count: u32,
}

async fn fail_next(State(sim): State<Simulator>, body: Body<FaultIn>) -> Answer {
    let Json(input) = body?;
    sim.fail_next(input.count, input.kind);
    done()
}

async fn clear_faults(State(sim): State<Simulator>) -> Answer {
    sim.clear_faults();
    done()
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CountIn {
    count: u32,
}

async fn drop_after_punch(State(sim): State<Simulator>, body: Body<CountIn>) -> Answer {
    let Json(input) = body?;
    sim.drop_connection_after_next_punch(input.count);
    done()
}

async fn set_profile(State(sim): State<Simulator>, body: Body<FaultProfile>) -> Answer {
    let Json(profile) = body?;
    sim.set_fault_profile(profile)?;
    done()
}

async fn clear_profile(State(sim): State<Simulator>) -> Answer {
    sim.clear_fault_profile();
    done()
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct OutageIn {
    seconds: f64,
    #[serde(default)]
    kind: Option<FailureKind>,
}

async fn start_outage(State(sim): State<Simulator>, body: Body<OutageIn>) -> Answer {
    let Json(input) = body?;
    let duration = Duration::try_from_secs_f64(input.seconds).map_err(|_| {
        AdminError(
            StatusCode::BAD_REQUEST,
            format!("seconds {} is not a duration", input.seconds),
        )
    })?;
    let kind = input.kind.unwrap_or(FailureKind::Gateway503Html);
    sim.start_outage(duration, kind)?;
    done()
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct EdgeIn {
    seconds: Option<u64>,
}

async fn set_empty_edge_reads(State(sim): State<Simulator>, body: Body<EdgeIn>) -> Answer {
    let Json(input) = body?;
    sim.empty_reads_near_window_edges(input.seconds.map(Duration::from_secs));
    done()
}

async fn stats(State(sim): State<Simulator>) -> Answer {
    Ok(Json(sim.fault_stats()).into_response())
}

async fn reset_stats(State(sim): State<Simulator>) -> Answer {
    sim.reset_fault_stats();
    done()
}

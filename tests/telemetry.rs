//! Issue 10: one trace per run across the processes, metrics equal to the run's counts, and
//! no secret in anything exported. `kintai dev` and `kintai trigger sync` export to an OTLP
//! receiver running in this test; the scripted run is the process-level flow of the other
//! end-to-end tests (a company, its token, one linked user, 120 punches).

mod common;

use std::collections::BTreeMap;

use common::flow::{DEV_ENV, PUNCHES, START_AT, company_with_punches, prepare_simulator};
use common::otlp::{PointSeen, Receiver, SpanSeen};
use common::{DevServer, SimProcess, kintai};

/// The simulator's token, which must never be exported (nor the user's name).
const TOKEN: &str = "0123456789abcdef0123456789abcdef";
const USER_NAME: &str = "市ヶ谷 市子";

const SERVER: i32 = 2;
const CLIENT: i32 = 3;

const POST_PUNCH: &str = "POST /daily-workings/timerecord/{employeeKey}";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sync_run_is_one_trace_and_its_counts_are_exported() {
    let receiver = Receiver::default();
    let endpoint = receiver.start().await;
    let sim = SimProcess::start();
    prepare_simulator(&sim, 0).await;
    let mut env: Vec<(&str, &str)> = DEV_ENV.to_vec();
    env.push(("KINTAI__TELEMETRY__OTLP_ENDPOINT", &endpoint));
    env.push(("KINTAI__DEV__MATCH_INTERVAL_SECS", "86400"));
    let args = [
        "--kot-base-url",
        sim.base_url.as_str(),
        "--start-at",
        START_AT,
    ];
    let server = DevServer::start_in(tempfile::tempdir().unwrap(), &args, &env);
    company_with_punches(&format!("http://{}", server.address)).await;

    // What the CronJob runs, exporting to the same receiver.
    let address = server.address.clone();
    let endpoint_for_trigger = endpoint.clone();
    let trigger = tokio::task::spawn_blocking(move || {
        kintai()
            .args(["trigger", "sync", "--company", "c1", "--target", &address])
            .env("KINTAI__TELEMETRY__OTLP_ENDPOINT", endpoint_for_trigger)
            .output()
            .unwrap()
    })
    .await
    .unwrap();
    let stdout = String::from_utf8_lossy(&trigger.stdout).into_owned();
    assert!(trigger.status.success(), "{stdout} {:?}", trigger);
    let sent: usize = stdout
        .split_whitespace()
        .find_map(|word| word.strip_prefix("sent="))
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no sent= in {stdout}"));
    assert_eq!(sent, PUNCHES, "{stdout}");

    // SIGTERM: the server drains and flushes its exporters before it exits.
    let (status, logs) = tokio::task::spawn_blocking(move || server.terminate())
        .await
        .unwrap();
    assert!(status.success(), "{logs:?}");

    check_trace(&receiver.spans(), sent);
    check_metrics(&receiver.points(), sent);
    let everything = receiver.everything();
    assert!(!everything.is_empty());
    assert!(!everything.contains(TOKEN), "the token was exported");
    assert!(
        !everything.contains(USER_NAME),
        "a user's name was exported"
    );
}

/// The trigger's span is the root; every other span of the run hangs under it through the
/// gRPC hops: trigger → RunSync client → RunSync server → sync company → GetCredentials
/// client → GetCredentials server, and one KING OF TIME client span per punch posted.
fn check_trace(spans: &[SpanSeen], sent: usize) {
    let roots: Vec<&SpanSeen> = spans
        .iter()
        .filter(|s| s.service == "kintai-trigger" && s.name == "kintai trigger sync")
        .collect();
    assert_eq!(roots.len(), 1, "{spans:#?}");
    let root = roots[0];
    assert!(
        root.parent_span_id.is_empty(),
        "the trigger starts the trace"
    );
    let trace: Vec<&SpanSeen> = spans
        .iter()
        .filter(|s| s.trace_id == root.trace_id)
        .collect();
    let by_id: BTreeMap<&[u8], &SpanSeen> =
        trace.iter().map(|s| (s.span_id.as_slice(), *s)).collect();
    let parent = |span: &SpanSeen| -> &SpanSeen {
        by_id
            .get(span.parent_span_id.as_slice())
            .copied()
            .unwrap_or_else(|| panic!("{} has no parent in the trace", span.name))
    };
    let one = |name: &str, kind: i32| -> &SpanSeen {
        let found: Vec<&&SpanSeen> = trace
            .iter()
            .filter(|s| s.name == name && s.kind == kind)
            .collect();
        assert_eq!(found.len(), 1, "one {name} (kind {kind}) in {trace:#?}");
        found[0]
    };

    let run_client = one("kintai.syncer.v1.SyncerService/RunSync", CLIENT);
    assert_eq!(run_client.service, "kintai-trigger");
    assert_eq!(parent(run_client).span_id, root.span_id);
    let run_server = one("kintai.syncer.v1.SyncerService/RunSync", SERVER);
    assert_eq!(run_server.service, "kintai-dev");
    assert_eq!(parent(run_server).span_id, run_client.span_id);
    assert_eq!(run_server.attributes["rpc.grpc.status_code"], "0");

    let company = one("sync company", 1);
    assert_eq!(parent(company).span_id, run_server.span_id);
    assert_eq!(company.attributes["company_id"], "c1");
    assert_eq!(company.attributes["outcome"], "completed");
    assert_eq!(company.attributes["sent"], sent.to_string());
    assert_eq!(company.attributes["failed"], "0");

    let credentials_client = one("kintai.settings.v1.SettingsService/GetCredentials", CLIENT);
    assert_eq!(parent(credentials_client).span_id, company.span_id);
    let credentials_server = one("kintai.settings.v1.SettingsService/GetCredentials", SERVER);
    assert_eq!(
        parent(credentials_server).span_id,
        credentials_client.span_id
    );
    let links_client = one("kintai.matcher.v1.MatcherService/ListLinks", CLIENT);
    assert_eq!(parent(links_client).span_id, company.span_id);
    let links_server = one("kintai.matcher.v1.MatcherService/ListLinks", SERVER);
    assert_eq!(parent(links_server).span_id, links_client.span_id);

    let posts: Vec<&&SpanSeen> = trace.iter().filter(|s| s.name == POST_PUNCH).collect();
    assert_eq!(posts.len(), sent, "one KING OF TIME span per punch");
    for post in posts {
        assert_eq!(post.kind, CLIENT);
        assert_eq!(parent(post).span_id, company.span_id);
        assert_eq!(post.attributes["http.request.method"], "POST");
        assert_eq!(
            post.attributes["url.template"],
            "/daily-workings/timerecord/{employeeKey}"
        );
        assert_eq!(post.attributes["http.response.status_code"], "201");
        assert_eq!(post.attributes["kot.outcome"], "ok");
    }
    // The README's example trace is this output (`cargo test --test telemetry -- --nocapture`).
    print_tree(&trace, root, 0);
}

fn print_tree(trace: &[&SpanSeen], span: &SpanSeen, depth: usize) {
    let kind = match span.kind {
        SERVER => " (server)",
        CLIENT => " (client)",
        _ => "",
    };
    let shown: Vec<String> = span
        .attributes
        .iter()
        .filter(|(key, _)| {
            !key.starts_with("otel.")
                && !key.starts_with("code.")
                && !key.starts_with("thread.")
                && key.as_str() != "busy_ns"
                && key.as_str() != "idle_ns"
                && key.as_str() != "target"
        })
        .map(|(key, value)| format!("{key}={value}"))
        .collect();
    println!(
        "{}{}{kind} [{}] {}",
        "  ".repeat(depth),
        span.name,
        span.service,
        shown.join(" ")
    );
    let mut children: Vec<&&SpanSeen> = trace
        .iter()
        .filter(|s| s.parent_span_id == span.span_id)
        .collect();
    children.sort_by_key(|s| (s.name.clone(), s.span_id.clone()));
    let mut previous = "";
    for child in children {
        // One line for a run of siblings of the same name (the POSTs): the first stands for all.
        if child.name != previous {
            print_tree(trace, child, depth + 1);
        }
        previous = &child.name;
    }
}

fn total(points: &[PointSeen], metric: &str, with: &[(&str, &str)]) -> f64 {
    points
        .iter()
        .filter(|p| p.metric == metric)
        .filter(|p| {
            with.iter()
                .all(|(key, value)| p.attributes.get(*key).map(String::as_str) == Some(*value))
        })
        .map(|p| p.value)
        .sum()
}

fn check_metrics(points: &[PointSeen], sent: usize) {
    let sent = sent as f64;
    assert_eq!(
        total(points, "kintai.punches.received", &[("result", "accepted")]),
        PUNCHES as f64,
        "{points:#?}"
    );
    assert_eq!(
        total(points, "kintai.punches.received", &[("result", "rejected")]),
        0.0
    );
    assert_eq!(total(points, "kintai.punches.sent", &[]), sent);
    assert_eq!(total(points, "kintai.punches.failed", &[]), 0.0);
    assert_eq!(total(points, "kintai.punches.held", &[]), 0.0);
    let posted = [
        ("http.request.method", "POST"),
        ("url.template", "/daily-workings/timerecord/{employeeKey}"),
    ];
    assert_eq!(total(points, "kintai.kot.requests", &posted), sent);
    assert_eq!(
        total(
            points,
            "kintai.kot.requests",
            &[posted[0], posted[1], ("outcome", "ok")]
        ),
        sent
    );
    // Histograms count observations: one duration per request, one pacing wait per request.
    let requests = total(points, "kintai.kot.requests", &[]);
    assert!(
        requests > sent,
        "the matcher's employee list too: {requests}"
    );
    assert_eq!(total(points, "kintai.kot.request.duration", &[]), requests);
    assert_eq!(total(points, "kintai.kot.rate_limit.wait", &[]), requests);
    assert_eq!(
        total(
            points,
            "kintai.run.duration",
            &[("service", "syncer"), ("outcome", "completed")]
        ),
        1.0
    );
    assert!(total(points, "kintai.run.duration", &[("service", "matcher")]) >= 1.0);
    let token_rejected: Vec<&PointSeen> = points
        .iter()
        .filter(|p| p.metric == "kintai.company.token_rejected")
        .collect();
    assert!(!token_rejected.is_empty(), "{points:#?}");
    for point in token_rejected {
        assert_eq!(point.attributes["company_id"], "c1");
        assert_eq!(point.value, 0.0);
    }
    // The run's day check (21:00 JST, outside the restricted hours) sets the company's error-day
    // gauge; alternating 出勤 / 退勤 make no エラー勤務 day.
    let error_days: Vec<&PointSeen> = points
        .iter()
        .filter(|p| p.metric == "kintai.days.kot_error")
        .collect();
    assert!(!error_days.is_empty(), "{points:#?}");
    for point in error_days {
        assert_eq!(point.attributes["company_id"], "c1");
        assert_eq!(point.value, 0.0);
    }
}

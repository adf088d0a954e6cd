//! The bench's other side: the simulator in a child process (this binary again), and the
//! counting TCP proxy in front of it.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

use crate::*;

/// A TCP proxy in front of the simulator that counts the bytes it answers; answers the base
/// URL to give the client.
pub(crate) async fn proxy(target: url::Url, counter: Arc<AtomicU64>) -> url::Url {
    let listener = TcpListener::bind(("127.0.0.1", 0)).await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let upstream = format!(
        "{}:{}",
        target.host_str().unwrap(),
        target.port_or_known_default().unwrap()
    );
    tokio::spawn(async move {
        loop {
            let Ok((inbound, _)) = listener.accept().await else {
                continue;
            };
            let (upstream, counter) = (upstream.clone(), counter.clone());
            tokio::spawn(async move {
                let Ok(outbound) = TcpStream::connect(upstream).await else {
                    return;
                };
                let _ = inbound.set_nodelay(true);
                let _ = outbound.set_nodelay(true);
                let (mut in_read, mut in_write) = inbound.into_split();
                let (mut out_read, mut out_write) = outbound.into_split();
                let up = async {
                    let _ = tokio::io::copy(&mut in_read, &mut out_write).await;
                    let _ = out_write.shutdown().await;
                };
                let down = async {
                    let mut buf = vec![0u8; 64 * 1024];
                    while let Ok(read) = out_read.read(&mut buf).await {
                        if read == 0 || in_write.write_all(&buf[..read]).await.is_err() {
                            break;
                        }
                        counter.fetch_add(read as u64, Ordering::SeqCst);
                    }
                    let _ = in_write.shutdown().await;
                };
                tokio::join!(up, down);
            });
        }
    });
    let mut url = target;
    url.set_port(Some(port)).unwrap();
    url
}

/// The child: the simulator with the company and its history, answering on localhost until
/// our stdin closes. Prints the base URL, the admin URL, the token, each employee's key, "ready".
pub(crate) async fn run_simulator() {
    let n = employees();
    let unlimited = RateLimit {
        requests: UNLIMITED,
        per: Duration::from_secs(300),
    };
    let sim = kot_sim::Simulator::new(SimConfig {
        general_limit: unlimited,
        punch_limit: unlimited,
        clock: kot_sim::Clock::Fixed(at(NOW)),
        request_log_capacity: 1_000_000,
        ..SimConfig::default()
    });
    sim.create_company(COMPANY).unwrap();
    for d in 0..DIVISIONS {
        sim.add_division(
            COMPANY,
            &format!("{}", 101 + d),
            &format!("支店{d}"),
            NaiveTime::MIN,
        )
        .unwrap();
    }
    let token = sim
        .issue_token(COMPANY, kot_sim::TokenOptions::default())
        .unwrap();
    let history: Vec<NaiveDate> = day(HISTORY.0)
        .iter_days()
        .take_while(|d| *d <= day(HISTORY.1))
        .filter(|d| !matches!(d.weekday(), Weekday::Sat | Weekday::Sun))
        .collect();
    let jst = chrono::FixedOffset::east_opt(9 * 3600).unwrap();
    let mut keys = Vec::with_capacity(n);
    for i in 0..n {
        let key = sim
            .add_employee(
                COMPANY,
                NewEmployee {
                    code: format!("E{i:05}"),
                    last_name: "社員".into(),
                    first_name: format!("{i}"),
                    division_code: division_of(i),
                    resigned_on: None,
                },
            )
            .unwrap();
        for date in &history {
            for (hour, code) in [(9, "1"), (18, "2")] {
                let time = date.and_hms_opt(hour, (i % 30) as u32, 0).unwrap();
                sim.add_punch(
                    &key,
                    NewPunch {
                        date: *date,
                        time: time.and_local_timezone(jst).unwrap(),
                        code: Some(code.into()),
                        division_code: None,
                        source: PunchSource::TimeRecorder,
                    },
                )
                .unwrap();
            }
        }
        keys.push(key);
    }
    let handle = sim.spawn_local().await.unwrap();
    let mut out = format!("{}\n{}\n{token}\n", handle.base_url, handle.admin_url);
    for key in &keys {
        out.push_str(key);
        out.push('\n');
    }
    out.push_str("ready\n");
    print!("{out}");
    use std::io::Write;
    std::io::stdout().flush().unwrap();
    // Until the bench closes our stdin (or exits).
    tokio::task::spawn_blocking(|| {
        let mut rest = Vec::new();
        let _ = std::io::stdin().read_to_end(&mut rest);
    })
    .await
    .unwrap();
}

//! Sales per second the local API accepts on loopback (each answered `201` only after its durable
//! commit), against the direct commit path the Sell screen uses (`Database::record_sale` in one
//! process), measured in one run on one store and reported as a ratio (target: the API at 0.8×
//! the direct path or better). Then where an API sale's time goes: the HTTP round trip, the
//! token check, the blocking-thread hop, the reads before the write, and the write itself.
//!
//! Not a test (CONTRIBUTING: performance is reported, never asserted). Run it in release:
//! `cargo bench -p stateline-pos --bench api_sales` (`STATELINE_BENCH_QUICK=1` or `-- --quick`
//! for a smoke run). The store is a real SQLite file (WAL, `synchronous=FULL`) in a fresh folder
//! under Cargo's `target/tmp` (never tmpfs), or under `STATELINE_BENCH_DIR`; removed at the end.
//! The three paths run interleaved, round by round, so drift in disk speed hits them alike.
//! `STATELINE_BENCH_ONLY=direct` (or `=api`) runs only that path, 5,000 sales, for a profiler.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use secrecy::ExposeSecret;
use serde_json::json;
use stateline_pos::tokens::{self, Scope};
use stateline_pos::{Host, MetrcLink, PosContext, PosServer, StatusLines};
use stateline_store::{
    Database, Licence, MetrcPackage, Money, NewSale, NewSaleLine, Permission, Pin, Quantity, Role,
    Ticket, TicketKind,
};
use stateline_tasks::StoreCall;
use tokio::sync::broadcast;

const LICENCE: &str = "403R-00001";
/// Concurrent tills of the busy-store row.
const TILLS: usize = 4;

/// The composer's side, doing nothing: no delivery worker runs, so only the acceptance of a
/// sale is measured, as on the direct path.
struct QuietHost(broadcast::Sender<()>);

impl Host for QuietHost {
    fn recorded(&self, _licence: &str) {}
    fn record_changes(&self) -> broadcast::Receiver<()> {
        self.0.subscribe()
    }
    fn status_lines(&self) -> StatusLines {
        StatusLines::default()
    }
    fn read_patient(
        &self,
        _budtender: stateline_store::Actor,
        _licence: String,
        _patient: String,
    ) -> futures::future::BoxFuture<'static, ()> {
        Box::pin(async {})
    }
    fn metrc_link(&self) -> Option<MetrcLink> {
        None
    }
}

struct Sizes {
    rounds: usize,
    per_round: usize,
    probes: usize,
}

fn sizes() -> Sizes {
    let quick = std::env::var("STATELINE_BENCH_QUICK").is_ok_and(|v| v == "1")
        || std::env::args().any(|a| a == "--quick");
    if quick {
        Sizes {
            rounds: 2,
            per_round: 40,
            probes: 40,
        }
    } else {
        Sizes {
            rounds: 9,
            per_round: 400,
            probes: 500,
        }
    }
}

fn labels() -> Vec<String> {
    (1..=12)
        .map(|n| format!("1A4FF01000000220000{n:05}"))
        .collect()
}

/// A register: the licence, twelve packages with plenty on hand, a manager and a budtender.
fn register(db: &Database) -> stateline_store::Actor {
    db.upsert_licence(&Licence {
        number: LICENCE.into(),
        name: "Bench Dispensary".into(),
        time_zone: "America/Denver".into(),
        reporting_deadline_hours: 24,
        object_limit: None,
    })
    .expect("licence");
    let packages: Vec<MetrcPackage> = labels()
        .into_iter()
        .map(|label| MetrcPackage {
            label,
            item_name: "Blue Dream Pre-Roll 1g".into(),
            unit_of_measure: "Each".into(),
            quantity: Quantity::parse("1000000").expect("quantity"),
            last_modified: None,
        })
        .collect();
    db.upsert_packages_from_metrc(LICENCE, &packages)
        .expect("packages");
    let manager = db
        .create_first_manager("Max", &Pin::new("864213"))
        .expect("manager")
        .actor;
    db.add_user(&manager, "Bea", Role::Budtender, &Pin::new("975319"))
        .expect("budtender");
    manager
}

fn direct_sale(db: &Database, label: &str) -> NewSale {
    NewSale {
        licence: LICENCE.into(),
        acting_user: "Bea".into(),
        occurred_at: db.now(),
        customer_type: "Consumer".into(),
        patient_number: None,
        caregiver_number: None,
        identification_method: None,
        lines: vec![NewSaleLine {
            label: label.into(),
            quantity: Quantity::parse("1").expect("quantity"),
            unit_of_measure: "Each".into(),
            total_amount: Money::parse("12.50").expect("money"),
        }],
    }
}

fn api_sale(ticket: &str, label: &str) -> serde_json::Value {
    json!({
        "ticket_id": ticket,
        "budtender": "Bea",
        "lines": [{"label": label, "quantity": "1", "price": "12.50"}],
    })
}

struct Client {
    http: reqwest::Client,
    base: String,
    token: String,
}

impl Client {
    async fn sell(&self, ticket: &str, label: &str) {
        let answer = self
            .http
            .post(format!("{}/v1/sales", self.base))
            .bearer_auth(&self.token)
            .json(&api_sale(ticket, label))
            .send()
            .await
            .expect("the API answers");
        let status = answer.status().as_u16();
        let body = answer.bytes().await.expect("a body");
        assert_eq!(status, 201, "{}", String::from_utf8_lossy(&body));
    }

    async fn unauthenticated(&self) {
        let answer = self
            .http
            .get(format!("{}/v1/records/NOT-A-TICKET", self.base))
            .send()
            .await
            .expect("the API answers");
        assert_eq!(answer.status().as_u16(), 401);
        let _ = answer.bytes().await;
    }

    async fn missing_record(&self) {
        let answer = self
            .http
            .get(format!("{}/v1/records/NOT-A-TICKET", self.base))
            .bearer_auth(&self.token)
            .send()
            .await
            .expect("the API answers");
        assert_eq!(answer.status().as_u16(), 404);
        let _ = answer.bytes().await;
    }
}

fn rate(sales: usize, took: Duration) -> f64 {
    sales as f64 / took.as_secs_f64()
}

fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    let n = values.len();
    if n % 2 == 1 {
        values[n / 2]
    } else {
        (values[n / 2 - 1] + values[n / 2]) / 2.0
    }
}

fn median_ms(times: Vec<Duration>) -> f64 {
    median(times.into_iter().map(|d| d.as_secs_f64() * 1e3).collect())
}

fn main() {
    let sizes = sizes();
    let base_dir = std::env::var_os("STATELINE_BENCH_DIR")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| std::path::PathBuf::from(env!("CARGO_TARGET_TMPDIR")));
    std::fs::create_dir_all(&base_dir).expect("bench folder");
    let dir = tempfile::tempdir_in(&base_dir).expect("temp dir");
    let db = Database::open(dir.path().join("stateline.sqlite")).expect("the store opens");
    let manager = register(&db);
    let token = tokens::create(&db, &manager, "Bench POS", &Scope::ALL)
        .expect("a token")
        .token
        .expose_secret()
        .to_owned();
    let labels = labels();

    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("a runtime");
    let (changes, _) = broadcast::channel(16);
    let ctx = PosContext {
        db: db.clone(),
        host: Arc::new(QuietHost(changes)),
    };
    let server = runtime
        .block_on(PosServer::start(
            ctx,
            SocketAddr::from(([127, 0, 0, 1], 0)),
            None,
        ))
        .expect("the API listens");
    let client = Arc::new(Client {
        http: reqwest::Client::new(),
        base: format!("http://{}", server.address()),
        token,
    });

    println!(
        "local API vs direct commit: {} rounds of {} sales per path, {} tills in the busy row; \
         store in {}",
        sizes.rounds,
        sizes.per_round,
        TILLS,
        base_dir.display()
    );
    // Warm-up: a few of each, not measured.
    for n in 0..10 {
        db.record_sale(&direct_sale(&db, &labels[n % labels.len()]))
            .expect("a sale");
        runtime.block_on(client.sell(&format!("WARM-{n}"), &labels[n % labels.len()]));
    }

    // `STATELINE_BENCH_ONLY=direct|api`: only that path, 5,000 sales, no table (for `perf`).
    if let Ok(only) = std::env::var("STATELINE_BENCH_ONLY") {
        let started = Instant::now();
        for n in 0..5_000 {
            let label = &labels[n % labels.len()];
            if only == "direct" {
                db.record_sale(&direct_sale(&db, label)).expect("a sale");
            } else {
                runtime.block_on(client.sell(&format!("ONLY-{n}"), label));
            }
        }
        println!("{only}: {:.0} sales/s", rate(5_000, started.elapsed()));
        runtime
            .block_on(server.stop(Duration::from_secs(5)))
            .expect("the API stops");
        return;
    }

    let (mut direct, mut one_till, mut tills) = (Vec::new(), Vec::new(), Vec::new());
    let mut ticket = 0usize;
    for round in 0..sizes.rounds {
        let started = Instant::now();
        for n in 0..sizes.per_round {
            db.record_sale(&direct_sale(&db, &labels[n % labels.len()]))
                .expect("a sale");
        }
        direct.push(rate(sizes.per_round, started.elapsed()));

        let started = Instant::now();
        runtime.block_on(async {
            for n in 0..sizes.per_round {
                ticket += 1;
                client
                    .sell(&format!("T1-{ticket}"), &labels[n % labels.len()])
                    .await;
            }
        });
        one_till.push(rate(sizes.per_round, started.elapsed()));

        let started = Instant::now();
        runtime.block_on(async {
            let mut handles = Vec::new();
            for till in 0..TILLS {
                let client = Arc::clone(&client);
                let labels = labels.clone();
                let count = sizes.per_round / TILLS;
                handles.push(tokio::spawn(async move {
                    for n in 0..count {
                        client
                            .sell(
                                &format!("T{TILLS}-{round}-{till}-{n}"),
                                &labels[n % labels.len()],
                            )
                            .await;
                    }
                }));
            }
            for handle in handles {
                handle.await.expect("a till");
            }
        });
        tills.push(rate(sizes.per_round / TILLS * TILLS, started.elapsed()));
    }

    let (direct_rate, one_rate, tills_rate) = (median(direct), median(one_till), median(tills));
    println!();
    println!(
        "| path | sales/s (median of {} rounds) | ratio to direct |",
        sizes.rounds
    );
    println!("|---|---|---|");
    println!("| direct `Database::record_sale`, one thread | {direct_rate:.0} | 1.00× |");
    println!(
        "| local API, 1 till (POST /v1/sales, keep-alive) | {one_rate:.0} | {:.2}× |",
        one_rate / direct_rate
    );
    println!(
        "| local API, {TILLS} tills at once | {tills_rate:.0} | {:.2}× |",
        tills_rate / direct_rate
    );

    // Where an API sale's time goes: each piece alone, interleaved, medians over the probes.
    let mut sale_direct = Vec::new();
    let mut sale_hop = Vec::new();
    let mut sale_api = Vec::new();
    let mut bare = Vec::new();
    let mut round_trip = Vec::new();
    let mut auth = Vec::new();
    let mut hop = Vec::new();
    let mut cold_hop = Vec::new();
    let mut reads = Vec::new();
    for n in 0..sizes.probes {
        let label = &labels[n % labels.len()];
        let started = Instant::now();
        db.record_sale(&direct_sale(&db, label)).expect("a sale");
        sale_direct.push(started.elapsed());
        runtime.block_on(async {
            let sale = direct_sale(&db, label);
            let started = Instant::now();
            db.call(move |db| db.record_sale(&sale))
                .await
                .expect("a sale");
            sale_hop.push(started.elapsed());

            let started = Instant::now();
            client.sell(&format!("P-{n}"), label).await;
            sale_api.push(started.elapsed());

            let started = Instant::now();
            client.unauthenticated().await;
            bare.push(started.elapsed());

            let started = Instant::now();
            client.missing_record().await;
            round_trip.push(started.elapsed());

            let token = client.token.clone();
            let started = Instant::now();
            db.call(move |db| -> Result<_, stateline_store::StoreError> {
                Ok(tokens::authenticate(db, &token).is_ok())
            })
            .await
            .expect("a token check");
            auth.push(started.elapsed());

            let started = Instant::now();
            db.call(|_| Ok::<_, stateline_store::StoreError>(()))
                .await
                .expect("a hop");
            hop.push(started.elapsed());

            // The same after 1 ms idle: the pool's threads parked, as between a till's requests.
            std::thread::sleep(Duration::from_millis(1));
            let started = Instant::now();
            db.call(|_| Ok::<_, stateline_store::StoreError>(()))
                .await
                .expect("a hop");
            cold_hop.push(started.elapsed());

            let label = label.clone();
            let started = Instant::now();
            db.call(move |db| -> Result<_, stateline_store::StoreError> {
                let ticket = Ticket {
                    source: "integration:1".into(),
                    ticket: format!("P-{n}-new"),
                    body_hash: "0".repeat(64),
                };
                let prior = db.prior_ticket(&ticket, TicketKind::Sale)?;
                let user = db.acting_as("Bea", Permission::Sell)?;
                let package = db.package(&label)?;
                Ok((prior.is_none(), user, package.licence))
            })
            .await
            .expect("the reads");
            reads.push(started.elapsed());
        });
    }
    println!();
    println!("| piece of one sale | median ms |");
    println!("|---|---|");
    println!(
        "| direct `record_sale` (the write transaction, fsync) | {:.3} |",
        median_ms(sale_direct)
    );
    println!(
        "| `record_sale` through `db.call` (a blocking thread, as the app's Sell screen) | {:.3} |",
        median_ms(sale_hop)
    );
    println!(
        "| API sale, end to end (1 till) | {:.3} |",
        median_ms(sale_api)
    );
    println!(
        "| API round trip, no token (401: HTTP both ways, routing, the call log queued) | {:.3} |",
        median_ms(bare)
    );
    println!(
        "| API round trip without a write (GET an unknown ticket: HTTP, token check, one read) | {:.3} |",
        median_ms(round_trip)
    );
    println!(
        "| token check alone (`tokens::authenticate` on a blocking thread) | {:.3} |",
        median_ms(auth)
    );
    println!(
        "| blocking-thread hop alone (`db.call` doing nothing) | {:.3} |",
        median_ms(hop)
    );
    println!(
        "| the same hop after 1 ms idle (threads parked, as between requests) | {:.3} |",
        median_ms(cold_hop)
    );
    println!(
        "| reads before the write (prior ticket, user, package) in one hop | {:.3} |",
        median_ms(reads)
    );

    runtime
        .block_on(server.stop(Duration::from_secs(5)))
        .expect("the API stops");
}

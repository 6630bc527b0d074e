//! A stateful local implementation of the Metrc v2 endpoints a retail register uses, with fault
//! injection, for tests, benchmarks and the app's demo mode.
//!
//! Written from Metrc's reference (not from the `metrc` client crate), so mistakes on either side
//! show up as failing tests. Start one with [`Emulator::start`], steer it with [`Control`] or the
//! HTTP control API under `/__emulator/`.

#![recursion_limit = "512"]
// Handlers return `Result<Response, Response>`: the error is the reply itself, sent at once, so its
// size does not matter.
#![allow(clippy::result_large_err)]

mod auth;
mod call;
mod cli;
mod control;
mod control_http;
mod envelope;
mod error;
pub mod facility_type;
mod faults;
mod inventory;
mod middleware;
mod model;
mod options;
mod patient;
mod patient_status;
mod permission;
mod rate_limit;
mod reply;
mod request_log;
mod routes;
mod seed;
mod server;
mod state;
mod writes;

pub use cli::{EmulatorArgs, init_stderr_tracing, run_cli};
pub use control::{Control, LicenseState, PackageView};
pub use error::EmulatorError;
pub use faults::{
    Faults, LateReply, Latency, RateLimitStorm, RefuseConnections, Trigger, WriteFault,
    WriteFaultKind,
};
pub use model::{
    AdjustReason, Adjustment, Delivery, Employee, Facility, Item, ItemFacts, Measure, Package,
    Receipt, SaleLine, Transfer, TransferPackage, Unit, User, UserLicense, default_category_type,
};
pub use options::{BatchMode, Options, RateLimits, RetryAfter};
pub use patient::{Ounces, OutsidePurchase, Patient};
pub use patient_status::CACHE_FOR as PATIENT_STATUS_CACHE_FOR;
pub use permission::{Permission, UnknownPermission};
pub use request_log::RequestRecord;
pub use routes::ROUTES;
pub use seed::{
    DEMO_BUDTENDER, DEMO_BUDTENDER_KEY, DEMO_LICENSE, DEMO_LICENSE_2, DEMO_MANAGER,
    DEMO_MANAGER_KEY, DEMO_PATIENT_INACTIVE, DEMO_PATIENT_NEARLY_USED, DEMO_PATIENT_WITH_ROOM,
    DEMO_TIME_ZONE, DEMO_VENDOR_KEY, Seed,
};
pub use writes::HANG_LIMIT;

use state::{Shared, World};
use std::net::SocketAddr;
use std::sync::Arc;
use tokio::sync::watch;
use tokio::task::JoinHandle;

/// A running emulator. Dropping it without [`Emulator::shutdown`] also stops it.
#[derive(Debug)]
pub struct Emulator {
    addr: SocketAddr,
    shared: Arc<Shared>,
    shutdown: watch::Sender<bool>,
    task: JoinHandle<()>,
}

impl Emulator {
    /// Binds `listen` (port 0 picks a free port), serves in the background, returns once
    /// listening. Time comes from the system clock.
    pub async fn start(
        listen: SocketAddr,
        seed: Seed,
        options: Options,
    ) -> Result<Emulator, EmulatorError> {
        Emulator::start_with_clock(listen, seed, options, stateline_clock::system()).await
    }

    /// [`Emulator::start`] with time from `clock` (`LastModified`, `RecordedDateTime`, lookup
    /// lag, back- and future-dating limits, `Retry-After` dates, the request log).
    pub async fn start_with_clock(
        listen: SocketAddr,
        seed: Seed,
        options: Options,
        clock: Arc<dyn stateline_clock::Clock>,
    ) -> Result<Emulator, EmulatorError> {
        seed.validate()?;
        let shared = Shared::new(World::new(seed, options, Faults::default(), clock));
        let listener = server::bind(listen).map_err(|source| EmulatorError::Bind {
            addr: listen,
            source,
        })?;
        let addr = listener
            .local_addr()
            .map_err(|source| EmulatorError::Bind {
                addr: listen,
                source,
            })?;
        let router = routes::router(shared.clone());
        let (shutdown, rx) = watch::channel(false);
        let task = tokio::spawn(server::supervise(
            listener,
            addr,
            shared.clone(),
            router,
            rx,
        ));
        Ok(Emulator {
            addr,
            shared,
            shutdown,
            task,
        })
    }

    /// The bound address.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://127.0.0.1:PORT`
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// A handle to steer and inspect the emulator.
    pub fn control(&self) -> Control {
        Control {
            shared: self.shared.clone(),
        }
    }

    /// Stops listening, drops open connections and waits for the accept loop to end.
    pub async fn shutdown(self) {
        let _ = self.shutdown.send(true);
        let _ = self.task.await;
    }
}

//! The Metrc-compatible door: the subset of Metrc's v2 API a register uses, answered by
//! Stateline in Metrc's own shapes, so a POS that already speaks Metrc points its base URL here
//! and gains the offline queue and per-user keys.

use std::net::SocketAddr;
use std::time::Duration;

use axum::Router;
use tokio::sync::watch;

use crate::{PosContext, PosError, Served};

/// The door's default port.
pub const DEFAULT_PORT: u16 = 7421;

/// The door being served, and its owner.
#[derive(Debug)]
pub struct DoorServer {
    served: Served,
}

impl DoorServer {
    /// Serves the door on `address` (this computer only).
    pub async fn start(ctx: PosContext, address: SocketAddr) -> Result<DoorServer, PosError> {
        let (ending_tx, _ending) = watch::channel(false);
        let router: Router = Router::new().with_state(ctx);
        let served = Served::start(address, router, None, ending_tx).await?;
        Ok(DoorServer { served })
    }

    /// The address it listens on.
    pub fn address(&self) -> SocketAddr {
        self.served.address()
    }

    /// Stops serving.
    pub async fn stop(self, timeout: Duration) -> Result<(), PosError> {
        self.served.stop(timeout).await
    }
}

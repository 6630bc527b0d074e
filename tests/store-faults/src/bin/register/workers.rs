//! The register's three background workers, started and stopped together as the app does
//! (`stateline_api::store_link`): the delivery worker (this register's own records to Metrc),
//! the link worker (push, pull, handovers with the store server) and the courier worker (the
//! other registers' handed-over records whose user's key this register holds, under leases).
//!
//! Guarantees: the timings are the suite's short ones (leases of seconds, idle waits of a
//! second) so faults heal within a CI run; everything else is the product's code unchanged;
//! [`Workers::stop`] stops each worker with a bound.

use std::sync::Arc;
use std::time::Duration;

use jiff::SignedDuration;
use secrecy::SecretString;
use stateline_clock::Clock;
use stateline_courier::worker::CourierSchedule;
use stateline_courier::{Courier, CourierConfig, CourierWorker};
use stateline_delivery::{BackoffPolicy, DeliveryConfig, DeliveryEngine, DeliveryWorker};
use stateline_link::handover::LeaseTerms;
use stateline_link::{LinkSchedule, LinkWorker, RegisterIdentity, ServerConfig, StoreTls};
use stateline_store::Database;

use crate::args::Args;
use crate::keys::RegisterKeys;

/// The running workers.
pub struct Workers {
    delivery: DeliveryWorker,
    link: LinkWorker,
    courier: CourierWorker,
}

/// How this register reaches the store server.
pub fn server_config(args: &Args, password: SecretString) -> ServerConfig {
    ServerConfig {
        host: args.pg_host.clone(),
        port: args.pg_port,
        database: args.pg_database.clone(),
        user: args.pg_user.clone(),
        password,
        connect_timeout: Duration::from_secs(2),
        tls: StoreTls::Off,
    }
}

impl Workers {
    /// Starts all three (the delivery worker recovers what a kill left mid-send first).
    pub async fn start(
        args: &Args,
        db: &Database,
        client: &metrc::MetrcClient,
        keys: &RegisterKeys,
        clock: Arc<dyn Clock>,
        server: ServerConfig,
    ) -> Result<Workers, String> {
        let engine = DeliveryEngine::new(
            db.clone(),
            client.clone(),
            Arc::new(keys.clone()),
            DeliveryConfig {
                concurrency: 2,
                settle: SignedDuration::from_millis(args.settle_ms as i64),
                backoff: BackoffPolicy {
                    base: Duration::from_millis(200),
                    cap: Duration::from_secs(2),
                },
                seed: args.seed,
                ..DeliveryConfig::default()
            },
        );
        let delivery = DeliveryWorker::start(engine, Duration::from_secs(1))
            .await
            .map_err(|e| format!("delivery worker: {e}"))?;
        let link = LinkWorker::start(
            db.clone(),
            server.clone(),
            RegisterIdentity {
                name: args.name.clone(),
                app_version: env!("CARGO_PKG_VERSION").to_owned(),
            },
            LinkSchedule {
                idle: Duration::from_secs(1),
                retry_base: Duration::from_millis(200),
                retry_cap: Duration::from_secs(2),
                ..LinkSchedule::default()
            },
            clock.clone(),
        );
        let courier = Courier::new(
            db.clone(),
            client.clone(),
            Arc::new(keys.clone()),
            clock,
            CourierConfig {
                terms: LeaseTerms {
                    lease: Args::ms(args.lease_ms),
                    grace: Args::ms(args.grace_ms),
                },
                margin: Args::ms(args.margin_ms),
                batch: 20,
                object_limit: 10,
                concurrency: 2,
            },
        );
        let courier = CourierWorker::start(
            courier,
            server,
            CourierSchedule {
                idle: Duration::from_secs(1),
                retry_base: Duration::from_millis(200),
                retry_cap: Duration::from_secs(2),
            },
        );
        Ok(Workers {
            delivery,
            link,
            courier,
        })
    }

    /// Releases `user`'s records waiting for a key (a key for them was saved here).
    pub async fn release(&self, user: &str) -> Result<usize, String> {
        self.delivery
            .engine()
            .release_user(user)
            .await
            .map_err(|e| e.to_string())
    }

    /// Wakes all three (after a sale, or a key saved here).
    pub fn nudge(&self) {
        self.link.sync_now();
        self.delivery.sync_now();
        self.courier.deliver_now();
    }

    /// Stops all three, each within `timeout`.
    pub async fn stop(self, timeout: Duration) {
        if let Err(error) = self.courier.stop(timeout).await {
            tracing::warn!(%error, "the courier did not stop in time");
        }
        if let Err(error) = self.link.stop(timeout).await {
            tracing::warn!(%error, "the link did not stop in time");
        }
        if let Err(error) = self.delivery.stop(timeout).await {
            tracing::warn!(%error, "the delivery worker did not stop in time");
        }
    }
}

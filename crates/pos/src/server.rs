//! Listening and serving: a router on a TCP address, plain (loopback) or TLS (the local network),
//! owned by a handle that stops it.
//!
//! Guarantees: the address is bound before `start` returns (a taken port is an error then, not
//! later); stopping stops accepting, tells long-lived answers (the event stream) to end, gives
//! calls in flight two seconds and then cuts them off — a record's commit already begun on a
//! blocking thread still finishes, so nothing is half-written; the call log is written out last.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::service::TowerToHyperService;
use stateline_tasks::OwnedTask;
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::JoinSet;
use tokio_rustls::TlsAcceptor;

use crate::PosError;

/// How long calls in flight may finish after a stop.
const DRAIN: Duration = Duration::from_secs(2);

/// A router being served, and its owner.
#[derive(Debug)]
pub struct Served {
    address: SocketAddr,
    task: OwnedTask,
}

impl Served {
    /// Binds `address` and serves `router` there (over TLS when `tls` is given); `ending` is set
    /// when the server stops, so long-lived answers can end.
    pub async fn start(
        address: SocketAddr,
        router: Router,
        tls: Option<Arc<rustls::ServerConfig>>,
        ending: watch::Sender<bool>,
    ) -> Result<Served, PosError> {
        let listener = TcpListener::bind(address)
            .await
            .map_err(|source| PosError::Listen {
                address: address.to_string(),
                source,
            })?;
        let address = listener.local_addr().map_err(|source| PosError::Listen {
            address: address.to_string(),
            source,
        })?;
        let acceptor = tls.map(TlsAcceptor::from);
        let task = OwnedTask::spawn(move |mut stop| async move {
            let mut connections = JoinSet::new();
            loop {
                tokio::select! {
                    _ = &mut stop => break,
                    accepted = listener.accept() => {
                        let Ok((stream, _)) = accepted else { continue };
                        let _ = stream.set_nodelay(true);
                        let service = TowerToHyperService::new(router.clone());
                        let acceptor = acceptor.clone();
                        connections.spawn(async move {
                            let builder =
                                hyper_util::server::conn::auto::Builder::new(TokioExecutor::new());
                            match acceptor {
                                Some(acceptor) => match acceptor.accept(stream).await {
                                    Ok(stream) => {
                                        let _ = builder
                                            .serve_connection(TokioIo::new(stream), service)
                                            .await;
                                    }
                                    Err(e) => tracing::debug!(error = %e, "TLS handshake failed"),
                                },
                                None => {
                                    let _ = builder
                                        .serve_connection(TokioIo::new(stream), service)
                                        .await;
                                }
                            }
                        });
                    }
                    Some(_) = connections.join_next(), if !connections.is_empty() => {}
                }
            }
            let _ = ending.send(true);
            let _ = tokio::time::timeout(DRAIN, async {
                while connections.join_next().await.is_some() {}
            })
            .await;
            connections.abort_all();
        });
        Ok(Served { address, task })
    }

    /// The address actually bound (port 0 picks a free one).
    pub fn address(&self) -> SocketAddr {
        self.address
    }

    /// Stops serving (see the module's guarantees).
    pub async fn stop(self, timeout: Duration) -> Result<(), PosError> {
        self.task.stop(timeout).await?;
        Ok(())
    }
}

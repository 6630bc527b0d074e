//! The listener: our own accept loop serving each connection with hyper-util, so faults can
//! refuse connections (listening socket closed, open connections dropped, reopened on the same
//! port when healed) and drop a single connection.
//!
//! Guarantees: while `refuse_connections` is on, nothing listens on the port; open connections are
//! shut down immediately, and a request that arrives on one before that is refused the same way; on heal the same port is bound again (SO_REUSEADDR). Shutdown stops the
//! accept loop and drops every connection.

use crate::state::Shared;
use axum::Router;
use hyper::body::Incoming;
use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::server::conn::auto;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::net::{TcpListener, TcpSocket, TcpStream};
use tokio::sync::{Notify, watch};
use tower::ServiceExt;

/// Lets a handler drop its own connection (lost-reply faults).
#[derive(Debug, Clone)]
pub(crate) struct ConnHandle {
    kill: Arc<Notify>,
}

impl ConnHandle {
    /// Drops the connection this request came on.
    pub fn kill(&self) {
        self.kill.notify_one();
    }
}

/// Binds with SO_REUSEADDR so a healed outage can take the same port back at once.
pub(crate) fn bind(addr: SocketAddr) -> std::io::Result<TcpListener> {
    let socket = if addr.is_ipv4() {
        TcpSocket::new_v4()?
    } else {
        TcpSocket::new_v6()?
    };
    socket.set_reuseaddr(true)?;
    socket.bind(addr)?;
    socket.listen(1024)
}

/// Serves one connection. Every request first checks the outage fault itself: the accept loop
/// learns of a new fault a moment later, and a request on a kept-alive connection in that moment
/// must be refused too (its connection dropped, no reply), not answered.
fn serve_connection(
    stream: TcpStream,
    router: Router,
    shared: Arc<Shared>,
    mut kill_all: watch::Receiver<u64>,
) {
    tokio::spawn(async move {
        let _ = stream.set_nodelay(true);
        let Ok(std_stream) = stream.into_std() else {
            return;
        };
        let Ok(dup) = std_stream.try_clone() else {
            return;
        };
        let Ok(stream) = TcpStream::from_std(std_stream) else {
            return;
        };
        let kill = Arc::new(Notify::new());
        let handle = ConnHandle { kill: kill.clone() };
        let service = hyper::service::service_fn(move |mut req: hyper::Request<Incoming>| {
            let refusing = shared.lock().faults.faults.refuse_connections.is_some();
            req.extensions_mut().insert(handle.clone());
            let router = router.clone();
            let handle = handle.clone();
            async move {
                if refusing {
                    handle.kill();
                    std::future::pending::<()>().await;
                }
                router.oneshot(req).await
            }
        });
        let builder = auto::Builder::new(TokioExecutor::new());
        let conn = builder.serve_connection(TokioIo::new(stream), service);
        tokio::select! {
            _ = conn => {}
            _ = kill.notified() => {
                let _ = dup.shutdown(std::net::Shutdown::Both);
            }
            _ = kill_all.changed() => {
                let _ = dup.shutdown(std::net::Shutdown::Both);
            }
        }
    });
}

/// Runs until `shutdown` turns true (or its sender is dropped).
pub(crate) async fn supervise(
    listener: TcpListener,
    addr: SocketAddr,
    shared: Arc<Shared>,
    router: Router,
    mut shutdown: watch::Receiver<bool>,
) {
    let (kill_all, _) = watch::channel(0u64);
    let mut faults_rx = shared.faults_changed.subscribe();
    let mut listener = Some(listener);
    let mut refusing_since: Option<Instant> = None;
    loop {
        if *shutdown.borrow() {
            break;
        }
        let (refusing, heal_after) = {
            let world = shared.lock();
            let r = world.faults.faults.refuse_connections.as_ref();
            (r.is_some(), r.and_then(|r| r.heal_after_ms))
        };
        if refusing {
            if listener.take().is_some() {
                kill_all.send_modify(|n| *n = n.wrapping_add(1));
                tracing::info!(%addr, "outage: refusing connections");
            }
            let since = *refusing_since.get_or_insert_with(Instant::now);
            let heal_at = heal_after.map(|ms| since + Duration::from_millis(ms));
            tokio::select! {
                r = faults_rx.changed() => if r.is_err() { break },
                r = shutdown.changed() => if r.is_err() { break },
                _ = async {
                    match heal_at {
                        Some(t) => tokio::time::sleep_until(t.into()).await,
                        None => std::future::pending().await,
                    }
                } => {
                    shared.lock().faults.faults.refuse_connections = None;
                }
            }
            continue;
        }
        refusing_since = None;
        let Some(l) = listener.as_ref() else {
            match bind(addr) {
                Ok(l) => {
                    tracing::info!(%addr, "outage healed: listening again");
                    listener = Some(l);
                }
                Err(e) => {
                    tracing::warn!(%addr, error = %e, "cannot re-bind yet; retrying");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
            }
            continue;
        };
        tokio::select! {
            accepted = l.accept() => match accepted {
                Ok((stream, _)) => {
                    serve_connection(stream, router.clone(), shared.clone(), kill_all.subscribe())
                }
                Err(e) => {
                    tracing::warn!(error = %e, "accept failed");
                    tokio::time::sleep(Duration::from_millis(10)).await;
                }
            },
            r = faults_rx.changed() => if r.is_err() { break },
            r = shutdown.changed() => if r.is_err() { break },
        }
    }
    drop(listener);
    kill_all.send_modify(|n| *n = n.wrapping_add(1));
}

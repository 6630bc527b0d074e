//! A TCP proxy the driver places between one register and one server (the store server, or
//! Metrc), so a register can be cut off from one and not the other, as a network fault would.
//!
//! Guarantees: while open, bytes go through unchanged both ways, the register's after
//! [`Proxy::set_delay`] if set (a slow link widens the moments a fault can strike); [`Proxy::cut`]
//! closes every connection through it at once (both sides) and then refuses new ones (accepted
//! and closed at once) or black-holes them (accepted, never answered) until [`Proxy::heal`],
//! which closes the held ones; [`Proxy::awaiting_reply`] says whether some connection carried
//! bytes to the server that the server has not answered yet (a request in flight), so the driver
//! can strike mid-request. The proxy's tasks end when it is dropped.

use std::io;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;
use tokio::task::JoinHandle;

/// How a cut treats new connections.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cut {
    /// Accepted and closed at once (as a refused connection looks to the register).
    Refuse,
    /// Accepted and never answered, until healed.
    BlackHole,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    Open,
    Cut(Cut),
}

#[derive(Debug)]
struct Shared {
    upstream: SocketAddr,
    mode: watch::Sender<Mode>,
    awaiting: AtomicUsize,
    delay_ms: AtomicU64,
}

/// One running proxy.
#[derive(Debug)]
pub struct Proxy {
    addr: SocketAddr,
    shared: Arc<Shared>,
    task: JoinHandle<()>,
}

impl Proxy {
    /// Listens on a free loopback port and forwards to `upstream`.
    pub async fn start(upstream: SocketAddr) -> io::Result<Proxy> {
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        let addr = listener.local_addr()?;
        let shared = Arc::new(Shared {
            upstream,
            mode: watch::Sender::new(Mode::Open),
            awaiting: AtomicUsize::new(0),
            delay_ms: AtomicU64::new(0),
        });
        let task = tokio::spawn(accept(listener, shared.clone()));
        Ok(Proxy { addr, shared, task })
    }

    /// The loopback port registers connect to.
    pub fn port(&self) -> u16 {
        self.addr.port()
    }

    /// Closes every connection and treats new ones as `how` says, until [`Proxy::heal`].
    pub fn cut(&self, how: Cut) {
        self.shared.mode.send_replace(Mode::Cut(how));
    }

    /// Lets connections through again (closing any black-holed ones).
    pub fn heal(&self) {
        self.shared.mode.send_replace(Mode::Open);
    }

    /// Whether it is cut now.
    pub fn is_cut(&self) -> bool {
        *self.shared.mode.borrow() != Mode::Open
    }

    /// Holds every chunk the register sends for `delay` before passing it on.
    pub fn set_delay(&self, delay: Duration) {
        self.shared
            .delay_ms
            .store(delay.as_millis() as u64, Ordering::Relaxed);
    }

    /// Whether a request is in flight: some connection sent the server bytes it has not
    /// answered yet.
    pub fn awaiting_reply(&self) -> bool {
        self.shared.awaiting.load(Ordering::SeqCst) > 0
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        self.task.abort();
        // Connections see the mode's sender go and close.
        self.shared.mode.send_replace(Mode::Cut(Cut::Refuse));
    }
}

async fn accept(listener: TcpListener, shared: Arc<Shared>) {
    loop {
        let Ok((register, _)) = listener.accept().await else {
            continue;
        };
        let mut mode = shared.mode.subscribe();
        let now = *mode.borrow_and_update();
        let shared = shared.clone();
        tokio::spawn(async move {
            match now {
                Mode::Cut(Cut::Refuse) => drop(register),
                Mode::Cut(Cut::BlackHole) => {
                    let _ = mode.wait_for(|m| *m == Mode::Open).await;
                    drop(register);
                }
                Mode::Open => {
                    tokio::select! {
                        _ = forward(register, &shared) => {}
                        _ = mode.wait_for(|m| *m != Mode::Open) => {}
                    }
                }
            }
        });
    }
}

/// This connection's part in [`Shared::awaiting`].
struct InFlight<'a> {
    shared: &'a Shared,
    waiting: AtomicBool,
}

impl InFlight<'_> {
    fn asked(&self) {
        if !self.waiting.swap(true, Ordering::SeqCst) {
            self.shared.awaiting.fetch_add(1, Ordering::SeqCst);
        }
    }

    fn answered(&self) {
        if self.waiting.swap(false, Ordering::SeqCst) {
            self.shared.awaiting.fetch_sub(1, Ordering::SeqCst);
        }
    }
}

impl Drop for InFlight<'_> {
    fn drop(&mut self) {
        self.answered();
    }
}

/// Forwards one connection until either side closes it.
async fn forward(register: TcpStream, shared: &Shared) {
    let Ok(server) = TcpStream::connect(shared.upstream).await else {
        return;
    };
    let _ = register.set_nodelay(true);
    let _ = server.set_nodelay(true);
    let flight = InFlight {
        shared,
        waiting: AtomicBool::new(false),
    };
    let (from_register, to_register) = register.into_split();
    let (from_server, to_server) = server.into_split();
    tokio::select! {
        _ = pump(from_register, to_server, || flight.asked(), Some(&shared.delay_ms)) => {}
        _ = pump(from_server, to_register, || flight.answered(), None) => {}
    }
}

async fn pump(
    mut from: OwnedReadHalf,
    mut to: OwnedWriteHalf,
    seen: impl Fn(),
    delay_ms: Option<&AtomicU64>,
) {
    let mut buf = vec![0u8; 16 * 1024];
    loop {
        let n = match from.read(&mut buf).await {
            Ok(0) | Err(_) => return,
            Ok(n) => n,
        };
        seen();
        let delay = delay_ms.map_or(0, |d| d.load(Ordering::Relaxed));
        if delay > 0 {
            tokio::time::sleep(Duration::from_millis(delay)).await;
        }
        if to.write_all(&buf[..n]).await.is_err() {
            return;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn echo_server() -> SocketAddr {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move {
            while let Ok((mut s, _)) = listener.accept().await {
                tokio::spawn(async move {
                    let mut buf = [0u8; 64];
                    while let Ok(n) = s.read(&mut buf).await {
                        if n == 0 || s.write_all(&buf[..n]).await.is_err() {
                            return;
                        }
                    }
                });
            }
        });
        addr
    }

    async fn round_trip(port: u16) -> io::Result<Vec<u8>> {
        let mut s = TcpStream::connect(("127.0.0.1", port)).await?;
        s.write_all(b"ping").await?;
        let mut buf = [0u8; 4];
        tokio::time::timeout(Duration::from_secs(2), s.read_exact(&mut buf))
            .await
            .map_err(|_| io::Error::new(io::ErrorKind::TimedOut, "no answer"))??;
        Ok(buf.to_vec())
    }

    #[tokio::test]
    async fn a_cut_closes_connections_refuses_or_holds_new_ones_and_heals() {
        let proxy = Proxy::start(echo_server().await).await.unwrap();
        assert_eq!(round_trip(proxy.port()).await.unwrap(), b"ping");

        let mut open = TcpStream::connect(("127.0.0.1", proxy.port()))
            .await
            .unwrap();
        open.write_all(b"x").await.unwrap();
        let mut one = [0u8; 1];
        open.read_exact(&mut one).await.unwrap();
        proxy.cut(Cut::Refuse);
        assert!(proxy.is_cut());
        let mut rest = Vec::new();
        let closed = tokio::time::timeout(Duration::from_secs(2), open.read_to_end(&mut rest))
            .await
            .expect("the open connection is closed by the cut");
        assert!(closed.is_err() || rest.is_empty());
        assert!(round_trip(proxy.port()).await.is_err());

        proxy.cut(Cut::BlackHole);
        let err = round_trip(proxy.port()).await.unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::TimedOut);

        proxy.heal();
        assert_eq!(round_trip(proxy.port()).await.unwrap(), b"ping");
        assert!(!proxy.awaiting_reply());
    }
}

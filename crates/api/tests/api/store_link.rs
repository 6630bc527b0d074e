//! The app in a store: a register that joined (membership in its settings, the server password
//! in its keychain) runs the store link, its sales reach the store server without the budtender
//! waiting, a store server that is down changes nothing at the register, and shutting the app
//! down stops the link. Through the facade: a manager joins (`store_join`) and sees the store
//! (`store_overview`), a budtender may not, a refused join leaves nothing behind, `store_changed`
//! says when the store server stopped answering and when it answers again, and `store_leave`
//! stops the link and forgets the store.

use std::sync::Arc;
use std::time::Duration;

use secrecy::{ExposeSecret, SecretString};
use stateline_api::dto::{
    AddUserRequest, AuditQueryRequest, DemoFault, DemoFaultRequest, KeyOwnerRef, Role,
    SetKeyRequest, StoreJoinRequest, StoreLeaveRequest, StoreLinkView,
};
use stateline_api::{App, AppEvent, MemoryStore, SecretStore};
use stateline_link::StoreServer;
use stateline_link::membership::{self, StoreSettings};
use stateline_secrets::EntryId;
use stateline_store::Database;
use stateline_testkit::app::{eventually, login, open, open_with, sell_first};
use stateline_testkit::postgres::{Cluster, USER};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::broadcast;
use tokio::task::JoinSet;

fn settings(cluster: &Cluster) -> StoreSettings {
    StoreSettings {
        host: "127.0.0.1".into(),
        port: cluster.port(),
        database: "store".into(),
        user: USER.into(),
        register_name: "Register 1".into(),
        tls: stateline_link::StoreTls::Off,
    }
}

/// Marks the data folder's register as a member of the store and puts the password in `keychain`.
fn join(dir: &std::path::Path, cluster: &Cluster, keychain: &MemoryStore) {
    let db = Database::open(dir.join("stateline.sqlite")).unwrap();
    membership::remember(&db, &settings(cluster)).unwrap();
    keychain
        .set(
            &EntryId::store_server(db.install_id()).unwrap(),
            &SecretString::from(cluster.password().to_owned()),
        )
        .unwrap();
}

#[tokio::test]
async fn a_register_in_a_store_pushes_its_sales_there_and_sells_alone_when_it_is_down() {
    let cluster = Cluster::start();
    cluster.create_database("store");
    let dir = tempfile::tempdir().unwrap();
    let keychain = Arc::new(MemoryStore::new());
    join(dir.path(), &cluster, &keychain);
    let app = open_with(dir.path(), keychain.clone()).await;
    login(&app, "Max", "2468").await;
    let receipt = sell_first(&app).await;

    let mut server = StoreServer::connect(
        &settings(&cluster).server_config(SecretString::from(cluster.password().to_owned())),
    )
    .await
    .unwrap();
    let install_id = app.database().install_id().to_owned();
    let mut seen = false;
    for _ in 0..300 {
        let overview = server.overview().await.unwrap();
        if overview
            .registers
            .iter()
            .any(|r| r.id == install_id && r.records >= 1)
        {
            seen = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(seen, "the sale {} reached the store", receipt.client_id);
    // The push commits before the pass ends; the status says connected once the pass is done.
    eventually(
        async || {
            app.store_link_status()
                .await
                .expect("the link runs")
                .connected
        },
        "the link says it is connected",
    )
    .await;

    // The store server goes away: the register still sells at once, and says it is cut off.
    drop(server);
    drop(cluster);
    let started = std::time::Instant::now();
    sell_first(&app).await;
    assert!(started.elapsed() < Duration::from_secs(5));
    eventually(
        async || {
            app.store_link_status()
                .await
                .is_some_and(|s| !s.connected && s.last_error.is_some())
        },
        "the link notices the store server is gone",
    )
    .await;

    app.shutdown(Duration::from_secs(10)).await.unwrap();
    assert!(
        app.store_link_status().await.is_none(),
        "stopped with the app"
    );
}

#[tokio::test]
async fn a_register_on_its_own_runs_no_store_link() {
    let dir = tempfile::tempdir().unwrap();
    let app = open(dir.path()).await;
    assert!(app.store_link_status().await.is_none());
    app.shutdown(Duration::from_secs(10)).await.unwrap();
}

fn join_request(port: u16, password: &str, name: &str) -> StoreJoinRequest {
    StoreJoinRequest {
        host: "127.0.0.1".into(),
        port,
        database: "store".into(),
        user: USER.into(),
        password: password.into(),
        register_name: name.into(),
        tls: false,
        ca_file: None,
    }
}

fn password_entry(app: &App) -> EntryId {
    EntryId::store_server(app.database().install_id()).unwrap()
}

/// The next `store_changed` payload that satisfies `wanted`.
async fn store_changed(
    events: &mut broadcast::Receiver<AppEvent>,
    wanted: impl Fn(&StoreLinkView) -> bool,
    what: &str,
) -> StoreLinkView {
    let wait = async {
        loop {
            match events.recv().await {
                Ok(AppEvent::StoreChanged(view)) if wanted(&view) => return view,
                Ok(_) | Err(broadcast::error::RecvError::Lagged(_)) => {}
                Err(broadcast::error::RecvError::Closed) => panic!("the app closed"),
            }
        }
    };
    tokio::time::timeout(Duration::from_secs(20), wait)
        .await
        .unwrap_or_else(|_| panic!("no store_changed event saying {what}"))
}

/// A TCP hop between the register and the store server that the test can take down (every
/// connection through it cut, new ones refused) and bring back on the same port — the store
/// server stopping and starting again, as the register sees it.
struct Hop {
    port: u16,
    target: u16,
    running: Option<tokio::task::JoinHandle<()>>,
}

impl Hop {
    async fn start(target: u16) -> Hop {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let mut hop = Hop {
            port,
            target,
            running: None,
        };
        hop.serve(listener);
        hop
    }

    fn serve(&mut self, listener: TcpListener) {
        let target = self.target;
        self.running = Some(tokio::spawn(async move {
            let mut connections = JoinSet::new();
            while let Ok((mut inbound, _)) = listener.accept().await {
                connections.spawn(async move {
                    if let Ok(mut outbound) = TcpStream::connect(("127.0.0.1", target)).await {
                        let _ = tokio::io::copy_bidirectional(&mut inbound, &mut outbound).await;
                    }
                });
            }
        }));
    }

    /// Cuts every connection and refuses new ones.
    fn down(&mut self) {
        if let Some(running) = self.running.take() {
            running.abort();
        }
    }

    /// Accepts connections again on the same port.
    async fn up(&mut self) {
        let listener = TcpListener::bind(("127.0.0.1", self.port)).await.unwrap();
        self.serve(listener);
    }
}

#[tokio::test]
async fn a_manager_joins_through_the_app_sees_the_store_and_leaves_it() {
    let cluster = Cluster::start();
    cluster.create_database("store");
    let dir = tempfile::tempdir().unwrap();
    let keychain = Arc::new(MemoryStore::new());
    let app = open_with(dir.path(), keychain.clone()).await;
    login(&app, "Max", "2468").await;
    app.add_user(AddUserRequest {
        name: "Tess".into(),
        role: Role::Budtender,
        pin: "1357".into(),
    })
    .await
    .unwrap();
    // Metrc is down, so the sale waits and the store has a backlog to show.
    app.set_demo_fault(DemoFaultRequest {
        fault: DemoFault::NetworkDown,
        on: true,
        user: None,
    })
    .await
    .unwrap();
    let before_joining = sell_first(&app).await;
    // Max's key, saved while Metrc cannot check it (it is saved, and rechecked later).
    app.set_key(SetKeyRequest {
        owner: KeyOwnerRef::User { user: "Max".into() },
        key: metrc_emulator::DEMO_MANAGER_KEY.into(),
    })
    .await
    .unwrap();
    let on_its_own = app.store_overview().await.unwrap();
    assert!(!on_its_own.joined && on_its_own.membership.is_none() && on_its_own.server.is_none());
    assert!(!app.store_link().await.unwrap().joined);

    // A wrong password is refused and leaves no membership and no password behind.
    let refused = app
        .store_join(join_request(
            cluster.port(),
            "not-the-password",
            "Register 1",
        ))
        .await
        .unwrap_err();
    assert_eq!(refused.code(), "store_server_login_refused", "{refused}");
    assert!(!refused.to_string().contains("not-the-password"));
    assert!(!app.store_overview().await.unwrap().joined);
    assert!(keychain.get(&password_entry(&app)).is_err());
    assert!(app.store_link_status().await.is_none());
    let blank = app
        .store_join(join_request(cluster.port(), cluster.password(), "  "))
        .await
        .unwrap_err();
    assert_eq!(blank.code(), "invalid_store_server");

    // A budtender may neither join nor look.
    login(&app, "Tess", "1357").await;
    let not_allowed = app
        .store_join(join_request(
            cluster.port(),
            cluster.password(),
            "Register 1",
        ))
        .await
        .unwrap_err();
    assert_eq!(not_allowed.code(), "not_allowed");
    assert_eq!(
        app.store_overview().await.unwrap_err().code(),
        "not_allowed"
    );
    assert!(
        !app.store_link().await.unwrap().joined,
        "the banner's view is anyone's"
    );

    // The manager joins: the overview lists this register with what it sold before joining.
    login(&app, "Max", "2468").await;
    let mut events = app.subscribe();
    let joined = app
        .store_join(join_request(
            cluster.port(),
            cluster.password(),
            "Register 1",
        ))
        .await
        .unwrap();
    assert!(joined.joined);
    let membership = joined.membership.clone().unwrap();
    assert_eq!(membership.register_name, "Register 1");
    assert_eq!(membership.port, cluster.port());
    assert_eq!(
        keychain.get(&password_entry(&app)).unwrap().expose_secret(),
        cluster.password()
    );
    let shown = format!("{joined:?}");
    assert!(!shown.contains(cluster.password()), "{shown}");
    store_changed(&mut events, |v| v.joined && v.connected, "connected").await;
    let mut overview = app.store_overview().await.unwrap();
    for _ in 0..300 {
        if overview.not_pushed == 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
        overview = app.store_overview().await.unwrap();
    }
    assert_eq!(overview.not_pushed, 0, "{overview:?}");
    let server = overview.server.expect("joined");
    assert!(server.reachable, "{:?}", server.error);
    assert_eq!(server.registers.len(), 1);
    let this = &server.registers[0];
    assert!(this.this_register);
    assert_eq!(this.name, "Register 1");
    assert_eq!(this.app_version, env!("CARGO_PKG_VERSION"));
    assert!(this.records >= 1, "{before_joining:?} reached the store");
    assert_eq!(server.backlog.len(), 1, "{:?}", server.backlog);
    assert_eq!(server.backlog[0].acting_user, "Max");
    assert_eq!(server.backlog[0].open, 1);
    // Whose key is where: Max's, here, by its last four only.
    let keys: Vec<_> = server
        .keys
        .iter()
        .map(|k| {
            (
                k.user.clone(),
                k.this_register,
                k.last_four.clone(),
                k.newest,
            )
        })
        .collect();
    assert_eq!(
        keys,
        [(Some("Max".to_owned()), true, "2222".to_owned(), true)]
    );
    assert!(!format!("{server:?}").contains(metrc_emulator::DEMO_MANAGER_KEY));
    let audit = app
        .list_audit(AuditQueryRequest {
            before_seq: None,
            action: Some("store_membership_changed".into()),
            limit: None,
        })
        .await
        .unwrap();
    assert_eq!(audit.len(), 1);
    assert!(!format!("{audit:?}").contains(cluster.password()));

    // Leaving stops the link and forgets the store; the register's own records stay.
    let left = app
        .store_leave(StoreLeaveRequest { force: false })
        .await
        .unwrap();
    assert!(!left.joined && left.membership.is_none() && left.server.is_none());
    assert!(app.store_link_status().await.is_none(), "the link stopped");
    assert!(!app.store_link().await.unwrap().joined);
    assert!(keychain.get(&password_entry(&app)).is_err());
    store_changed(&mut events, |v| !v.joined, "left").await;
    let mut server = StoreServer::connect(
        &settings(&cluster).server_config(SecretString::from(cluster.password().to_owned())),
    )
    .await
    .unwrap();
    assert!(server.overview().await.unwrap().registers.is_empty());
    assert!(
        app.database()
            .entry_by_client_id(&before_joining.client_id)
            .unwrap()
            .is_some()
    );
    app.shutdown(Duration::from_secs(10)).await.unwrap();
}

#[tokio::test]
async fn store_changed_says_since_when_the_store_server_is_unreachable_and_when_it_is_back() {
    let cluster = Cluster::start();
    cluster.create_database("store");
    let mut hop = Hop::start(cluster.port()).await;
    let dir = tempfile::tempdir().unwrap();
    let app = open(dir.path()).await;
    login(&app, "Max", "2468").await;
    let mut events = app.subscribe();
    app.store_join(join_request(hop.port, cluster.password(), "Register 1"))
        .await
        .unwrap();
    let connected = store_changed(&mut events, |v| v.connected, "connected").await;
    assert!(connected.unreachable_since.is_none() && connected.last_success.is_some());

    hop.down();
    let cut_off = store_changed(
        &mut events,
        |v| v.joined && !v.connected && v.unreachable_since.is_some(),
        "unreachable",
    )
    .await;
    assert_eq!(
        cut_off.last_error.as_deref(),
        Some("store_server_unreachable")
    );
    let since = cut_off.unreachable_since.unwrap();
    assert!(since >= connected.last_success.unwrap());
    sell_first(&app).await;
    let still = store_changed(
        &mut events,
        |v| v.failures > cut_off.failures,
        "failing again",
    )
    .await;
    assert_eq!(
        still.unreachable_since,
        Some(since),
        "since the first failure"
    );
    let overview = app.store_overview().await.unwrap();
    let server = overview.server.unwrap();
    assert!(!server.reachable);
    assert_eq!(server.error.unwrap().code, "store_server_unreachable");
    assert!(overview.link.unreachable_since.is_some());

    hop.up().await;
    let back = store_changed(&mut events, |v| v.connected, "connected again").await;
    assert!(back.unreachable_since.is_none() && back.last_error.is_none());
    assert_eq!(back.failures, 0);
    app.shutdown(Duration::from_secs(10)).await.unwrap();
}

#[tokio::test]
async fn key_whereabouts_names_the_register_holding_a_users_current_usable_key() {
    use stateline_store::link::held_keys::{HeldKey, StoreHeldKey};
    let dir = tempfile::tempdir().unwrap();
    let app = open(dir.path()).await;
    login(&app, "Max", "2468").await;
    let seen: jiff::Timestamp = "2026-11-23T16:12:00Z".parse().unwrap();
    let held = |register: &str, holder: &str, environment: &str, verdict: &str, newest: bool| {
        StoreHeldKey {
            register_id: register.to_lowercase().replace(' ', "-"),
            register_name: register.into(),
            register_seen_at: seen,
            key: HeldKey {
                environment: environment.into(),
                holder: holder.into(),
                last_four: "1234".into(),
                saved_at: seen,
                verdict: Some(verdict.into()),
                validated_at: Some(seen),
            },
            newest,
        }
    };
    app.database()
        .save_store_key_holders(&[
            held("Register 1", "user:Bea", "demo", "all_good", true),
            held("Register 2", "user:Bea", "demo", "all_good", false),
            held("Register 2", "user:Cy", "demo", "key_invalid", true),
            held("Register 2", "user:Di", "production", "all_good", true),
            held("Register 2", "facility", "demo", "all_good", true),
        ])
        .unwrap();
    let found = app.key_whereabouts().await.unwrap();
    let named: Vec<(String, String)> = found
        .iter()
        .map(|w| (w.user.clone(), w.register_name.clone()))
        .collect();
    assert_eq!(
        named,
        [("Bea".to_owned(), "Register 1".to_owned())],
        "only current, usable user keys of this environment held elsewhere"
    );
    assert_eq!(found[0].register_seen_at, seen);
    app.logout().await.unwrap();
    assert_eq!(
        app.key_whereabouts().await.unwrap_err().code(),
        "not_logged_in"
    );
    app.shutdown(Duration::from_secs(10)).await.unwrap();
}

/// Rotating a key at one register retires the older copy at the others: Max's key saved here is
/// removed from this register's keychain, audited as Stateline's doing, once the store lists a
/// newer key for him saved at another register.
#[tokio::test]
async fn a_key_rotated_at_another_register_retires_the_older_copy_here() {
    use stateline_store::link::held_keys::HeldKey;
    let cluster = Cluster::start();
    cluster.create_database("store");
    let dir = tempfile::tempdir().unwrap();
    let keychain = Arc::new(MemoryStore::new());
    let app = open_with(dir.path(), keychain.clone()).await;
    login(&app, "Max", "2468").await;
    app.set_key(SetKeyRequest {
        owner: KeyOwnerRef::User { user: "Max".into() },
        key: metrc_emulator::DEMO_MANAGER_KEY.into(),
    })
    .await
    .unwrap();
    let mine = app.key_overview().await.unwrap();
    let saved_here = mine
        .iter()
        .find(|k| k.owner == KeyOwnerRef::User { user: "Max".into() })
        .and_then(|k| k.saved_at)
        .expect("Max's key is saved here");

    // Another register of the store holds a newer key for Max (rotated there a minute later).
    let mut other = StoreServer::connect(
        &settings(&cluster).server_config(SecretString::from(cluster.password().to_owned())),
    )
    .await
    .unwrap();
    other
        .join("REGISTER-9", "Register 9", "0.1.0", saved_here)
        .await
        .unwrap();
    other
        .replace_held_keys(
            "REGISTER-9",
            &[HeldKey {
                environment: "demo".into(),
                holder: "user:Max".into(),
                last_four: "9999".into(),
                saved_at: saved_here + jiff::SignedDuration::from_mins(1),
                verdict: Some("all_good".into()),
                validated_at: None,
            }],
            saved_here,
        )
        .await
        .unwrap();

    app.store_join(join_request(
        cluster.port(),
        cluster.password(),
        "Register 1",
    ))
    .await
    .unwrap();
    eventually(
        async || {
            app.key_overview().await.unwrap().iter().all(|k| {
                k.owner != KeyOwnerRef::User { user: "Max".into() } || k.last_four.is_none()
            })
        },
        "the older copy of Max's key is retired here",
    )
    .await;
    let audit = app
        .list_audit(AuditQueryRequest {
            before_seq: None,
            action: Some("key_cleared".into()),
            limit: None,
        })
        .await
        .unwrap();
    assert_eq!(audit.len(), 1, "{audit:?}");
    assert!(audit[0].actor.is_none(), "Stateline's doing");
    assert!(
        audit[0].detail.contains("Register 9") && audit[0].detail.contains("9999"),
        "{:?}",
        audit[0].detail
    );
    app.shutdown(Duration::from_secs(10)).await.unwrap();
}

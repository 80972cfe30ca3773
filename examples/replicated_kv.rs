//! A small replicated key-value store over TCP, and the bug a check finds in
//! it: the primary acknowledges a write before its backup has it.
//!
//! Two hosts run the same server. The primary (`primary:7000`) takes the
//! client's writes, stores them, and streams each one to the backup
//! (`backup:7000`). The client writes five keys through the primary; then
//! the primary is presumed lost, and the client reads every key it was told
//! was written from the backup: a key the backup lacks is an acknowledged
//! write that was lost.
//!
//! With no fault the stream always arrives and every check passes. A
//! `Check` with `network_faults` lets the simulated network crash hosts and
//! cut links at chosen points: it finds the run where a write is
//! acknowledged while its copy waits on a cut link, and the primary crashes
//! (or the backup does) before the copy lands. The report shows the
//! shrunk run: the one strike that matters and the network events around
//! it. The fixed primary acknowledges only once the backup has confirmed,
//! and passes every seed.
//!
//! ```text
//! cargo run --release --example replicated_kv
//! ```

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::io;
use std::rc::Rc;
use std::time::Duration;

use futures::io::{AsyncReadExt, AsyncWriteExt};
use seedloop::check::Check;
use seedloop::net::{self, TcpListener, TcpStream};
use seedloop::{sleep, spawn, timeout};

/// A request or a reply on the wire: a tag, a key and a value, 13 bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Message {
    Set(u32, u64),
    Get(u32),
    Ok,
    Value(Option<u64>),
    Failed,
}

impl Message {
    const SIZE: usize = 13;

    fn encode(self) -> [u8; Message::SIZE] {
        let (tag, key, value) = match self {
            Message::Set(k, v) => (1, k, v),
            Message::Get(k) => (2, k, 0),
            Message::Ok => (3, 0, 0),
            Message::Value(Some(v)) => (4, 0, v),
            Message::Value(None) => (5, 0, 0),
            Message::Failed => (6, 0, 0),
        };
        let mut frame = [0; Message::SIZE];
        frame[0] = tag;
        frame[1..5].copy_from_slice(&key.to_le_bytes());
        frame[5..].copy_from_slice(&value.to_le_bytes());
        frame
    }

    fn decode(frame: [u8; Message::SIZE]) -> io::Result<Message> {
        let key = u32::from_le_bytes(frame[1..5].try_into().unwrap());
        let value = u64::from_le_bytes(frame[5..].try_into().unwrap());
        Ok(match frame[0] {
            1 => Message::Set(key, value),
            2 => Message::Get(key),
            3 => Message::Ok,
            4 => Message::Value(Some(value)),
            5 => Message::Value(None),
            6 => Message::Failed,
            t => {
                return Err(io::Error::new(
                    io::ErrorKind::InvalidData,
                    format!("tag {t}"),
                ))
            }
        })
    }
}

async fn send(conn: &mut TcpStream, m: Message) -> io::Result<()> {
    conn.write_all(&m.encode()).await
}

async fn receive(conn: &mut TcpStream) -> io::Result<Message> {
    let mut frame = [0; Message::SIZE];
    conn.read_exact(&mut frame).await?;
    Message::decode(frame)
}

/// One request and its reply, on a fresh connection, within 500 ms.
async fn call(server: &str, request: Message) -> io::Result<Message> {
    timeout(Duration::from_millis(500), async {
        let mut conn = TcpStream::connect(server).await?;
        send(&mut conn, request).await?;
        receive(&mut conn).await
    })
    .await
    .map_err(|_| io::Error::new(io::ErrorKind::TimedOut, "no reply in 500 ms"))?
}

/// What a host keeps on its disk: what its closure captured survives a crash.
type Store = Rc<RefCell<BTreeMap<u32, u64>>>;

/// How the primary treats its backup.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Replication {
    /// Acknowledge the client at once, stream the copy to the backup (the bug).
    Async,
    /// Acknowledge the client once the backup confirmed the copy (the fix).
    Sync,
}

/// A key-value server on port 7000. With a backup, every write is copied to
/// it over one long-lived connection.
async fn server(store: Store, backup: Option<(&'static str, Replication)>) -> io::Result<()> {
    let listener = TcpListener::bind("0.0.0.0:7000").await?;
    // The stream to the backup, opened at the first write and again after
    // it failed.
    let stream: Rc<RefCell<Option<TcpStream>>> = Rc::default();
    loop {
        let (mut conn, _) = listener.accept().await?;
        let (store, stream) = (store.clone(), stream.clone());
        spawn(async move {
            while let Ok(request) = receive(&mut conn).await {
                let reply = match request {
                    Message::Set(k, v) => {
                        store.borrow_mut().insert(k, v);
                        match backup {
                            None => Message::Ok,
                            Some((to, how)) => match copy(&stream, to, k, v, how).await {
                                Ok(()) => Message::Ok,
                                Err(_) => Message::Failed,
                            },
                        }
                    }
                    Message::Get(k) => Message::Value(store.borrow().get(&k).copied()),
                    _ => Message::Failed,
                };
                send(&mut conn, reply).await?;
            }
            Ok::<_, io::Error>(())
        })
        .detach();
    }
}

/// Copies one write to the backup: streamed (`Async`), or confirmed
/// (`Sync`, within 200 ms).
async fn copy(
    stream: &RefCell<Option<TcpStream>>,
    backup: &str,
    k: u32,
    v: u64,
    how: Replication,
) -> io::Result<()> {
    let open = stream.borrow_mut().take();
    let mut conn = match open {
        Some(conn) => conn,
        None => TcpStream::connect(backup).await?,
    };
    send(&mut conn, Message::Set(k, v)).await?;
    if how == Replication::Sync {
        let confirmed = timeout(Duration::from_millis(200), receive(&mut conn)).await;
        if !matches!(confirmed, Ok(Ok(Message::Ok))) {
            return Err(io::Error::new(
                io::ErrorKind::TimedOut,
                "the backup did not confirm",
            ));
        }
    }
    // `Async` never reads the backup's confirmations: they pile up unread
    // in the connection, as they would on a real socket.
    *stream.borrow_mut() = Some(conn);
    Ok(())
}

/// The scenario: a primary and a backup; five acknowledged writes must all
/// be on the backup.
async fn scenario(how: Replication) {
    let (primary_disk, backup_disk) = (Store::default(), Store::default());
    net::host("backup", move || server(backup_disk.clone(), None));
    net::host("primary", move || {
        server(primary_disk.clone(), Some(("backup:7000", how)))
    });
    let mut acknowledged = Vec::new();
    for k in 0..5 {
        if let Ok(Message::Ok) = call("primary:7000", Message::Set(k, 100 + u64::from(k))).await {
            acknowledged.push(k);
        }
    }
    // The primary is presumed lost: once the network settled, fail over to
    // the backup, which must have every acknowledged write.
    sleep(Duration::from_secs(5)).await;
    for k in acknowledged {
        if let Ok(Message::Value(found)) = call("backup:7000", Message::Get(k)).await {
            assert_eq!(
                found,
                Some(100 + u64::from(k)),
                "acknowledged write {k} was lost"
            );
        }
    }
}

fn main() {
    let check = || {
        Check::new()
            .seeds(0..2000)
            .network_faults(net::Faults::default())
            .name("kv::acknowledged_writes_survive")
    };
    println!("The primary acknowledges before its backup has the write:\n");
    match check().try_run(|| scenario(Replication::Async)) {
        Ok(summary) => println!("not found: {summary}"),
        Err(report) => println!("{report}"),
    }
    println!("\nThe fix: acknowledge once the backup confirmed:\n");
    let summary = check().run(|| scenario(Replication::Sync));
    println!("{summary}");
}

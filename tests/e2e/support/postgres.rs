//! A throwaway PostgreSQL server for the tests (feature `postgres`), shared by the unit tests
//! (`src/digest/store.rs` includes this file) and the e2e binary.
//!
//! When `initdb` is found (on `PATH`, or Debian's `/usr/lib/postgresql/*/bin`), the first test
//! that asks starts one cluster for the whole test binary: `initdb` into a fresh temp dir with
//! trust authentication, then `postgres` on a free port of 127.0.0.1, with its socket in that
//! dir. PostgreSQL refuses to run as root, so as root it runs as `nobody` (through `runuser`).
//! A small shell supervisor owns it and holds a pipe from this process: when the test binary
//! exits, however it exits, the pipe closes and the supervisor stops the server and deletes
//! the dir. Each test gets a database of its own from [`Cluster::database`].
//!
//! Without `initdb` the Postgres tests print `skipped: no PostgreSQL server (initdb not
//! found)` and pass — unless `CI_REQUIRE_POSTGRES=1` (set by `.ci/run`), where that fails.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant};

/// A password in every URL handed out: trust authentication ignores it, and tests check that
/// it never shows in logs or errors.
pub const PASSWORD: &str = "pg-secret-never-logged";

/// How long the server may take to start.
const START: Duration = Duration::from_secs(60);

/// Runs as the cluster's owner: makes the dir, initdb, starts postgres, prints the dir, then
/// waits for its standard input to close (the test binary's exit) and cleans up.
const SUPERVISOR: &str = r#"
set -eu
bin=$1 port=$2
dir=$(mktemp -d "${TMPDIR:-/tmp}/factdesk-pg.XXXXXX")
trap 'rm -rf "$dir"' EXIT
"$bin/initdb" -D "$dir/data" -U factdesk --auth=trust -E UTF8 --no-sync >"$dir/initdb.log" 2>&1 \
  || { cat "$dir/initdb.log" >&2; exit 1; }
"$bin/postgres" -D "$dir/data" -p "$port" -k "$dir" -c listen_addresses=127.0.0.1 \
  -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=300 \
  >"$dir/server.log" 2>&1 &
pg=$!
echo "$dir"
cat >/dev/null || true
kill -INT "$pg" 2>/dev/null || true
wait "$pg" 2>/dev/null || true
"#;

/// The running cluster.
pub struct Cluster {
    port: u16,
    /// Where the supervisor put it (the server's log is `server.log` there).
    dir: PathBuf,
    /// Held until the test binary exits: its closing stops the server.
    _stdin: Mutex<ChildStdin>,
    _supervisor: Mutex<Child>,
}

/// The cluster, started on first use; `None` (after saying so) when there is no PostgreSQL.
/// Panics when there is none and `CI_REQUIRE_POSTGRES=1`, or when one is found but will not
/// start.
pub fn cluster() -> Option<&'static Cluster> {
    static CLUSTER: OnceLock<Option<Cluster>> = OnceLock::new();
    let found = CLUSTER.get_or_init(|| binaries().map(|bin| Cluster::start(&bin)));
    if found.is_none() {
        assert!(
            std::env::var("CI_REQUIRE_POSTGRES").as_deref() != Ok("1"),
            "no PostgreSQL server (initdb not found) but CI_REQUIRE_POSTGRES=1: install Debian's \
             `postgresql` package (.ci/run does) or put initdb on PATH"
        );
        eprintln!("skipped: no PostgreSQL server (initdb not found)");
    }
    found.as_ref()
}

/// The directory holding `initdb` and `postgres`: `PATH`, else the newest Debian version.
fn binaries() -> Option<PathBuf> {
    let on_path = std::env::var_os("PATH")
        .map(|p| std::env::split_paths(&p).collect::<Vec<_>>())
        .unwrap_or_default();
    let mut debian: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
        .map(|dirs| dirs.flatten().map(|d| d.path().join("bin")).collect())
        .unwrap_or_default();
    // Newest first: "15" before "9.6" (compare as numbers).
    debian.sort_by_key(|d| {
        let version = d.parent().and_then(Path::file_name);
        let major = version
            .and_then(|v| v.to_str())
            .and_then(|v| v.split('.').next())
            .and_then(|v| v.parse::<u32>().ok());
        std::cmp::Reverse(major.unwrap_or(0))
    });
    on_path
        .into_iter()
        .chain(debian)
        .find(|dir| dir.join("initdb").is_file() && dir.join("postgres").is_file())
}

/// Whether this process runs as root (PostgreSQL will not).
fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
        .unwrap_or(false)
}

impl Cluster {
    fn start(bin: &Path) -> Cluster {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("a free port")
            .port();
        let mut command = match is_root() {
            true => {
                let mut c = Command::new("runuser");
                c.args(["-u", "nobody", "--", "sh"]);
                c
            }
            false => Command::new("sh"),
        };
        let bin = bin.to_str().expect("a UTF-8 path to initdb");
        let mut child = command
            .args(["-c", SUPERVISOR, "sh", bin, &port.to_string()])
            // Out of any directory nobody may not enter.
            .current_dir("/")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("start the PostgreSQL supervisor (sh, and runuser as root)");
        let stdin = child.stdin.take().expect("piped stdin");
        let stdout = child.stdout.take().expect("piped stdout");
        let mut line = String::new();
        BufReader::new(stdout)
            .read_line(&mut line)
            .expect("read the supervisor's output");
        assert!(
            !line.trim().is_empty(),
            "initdb failed (its log is above); PostgreSQL binaries in {bin}"
        );
        let cluster = Cluster {
            port,
            dir: PathBuf::from(line.trim()),
            _stdin: Mutex::new(stdin),
            _supervisor: Mutex::new(child),
        };
        cluster.wait_until_listening();
        cluster
    }

    fn wait_until_listening(&self) {
        let deadline = Instant::now() + START;
        while std::net::TcpStream::connect(("127.0.0.1", self.port)).is_err() {
            assert!(
                Instant::now() < deadline,
                "PostgreSQL did not listen on port {} within {START:?}; its log:\n{}",
                self.port,
                self.log()
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// The server's log so far.
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.join("server.log")).unwrap_or_default()
    }

    /// A URL to database `name` (with [`PASSWORD`], which trust authentication ignores).
    fn url(&self, name: &str) -> String {
        format!(
            "postgres://factdesk:{PASSWORD}@127.0.0.1:{}/{name}",
            self.port
        )
    }

    /// A new, empty database for one test; its URL.
    pub async fn database(&self) -> String {
        static NEXT: AtomicUsize = AtomicUsize::new(0);
        let name = format!(
            "t{}_{}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::SeqCst)
        );
        let deadline = Instant::now() + START;
        // The server may still be starting ("the database system is starting up").
        let client = loop {
            match tokio_postgres::connect(&self.url("postgres"), tokio_postgres::NoTls).await {
                Ok((client, connection)) => {
                    tokio::spawn(connection);
                    break client;
                }
                Err(e) => {
                    assert!(
                        Instant::now() < deadline,
                        "cannot connect to the test PostgreSQL: {e}; its log:\n{}",
                        self.log()
                    );
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
            }
        };
        client
            .batch_execute(&format!("CREATE DATABASE {name}"))
            .await
            .unwrap_or_else(|e| panic!("CREATE DATABASE {name}: {e}"));
        self.url(&name)
    }
}

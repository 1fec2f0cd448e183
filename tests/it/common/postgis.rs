//! A throwaway PostGIS cluster per test process: initdb in a fresh temporary folder, a unix socket
//! there and no TCP, fsync off; PostGIS is created once in a template database and every test
//! gets its own database copied from it (≈ 0.2 s). No running server is assumed.
//!
//! initdb refuses to run as root, so as root the cluster runs as the `postgres` OS user
//! (`runuser -u postgres --`) in a folder that user owns.
//!
//! Stopping: [`PgCluster`] stops its server in `Drop`. The cluster shared by a test process lives
//! in a `static`, which Rust never drops, so a watchdog shell started with the cluster stops the
//! server and deletes the folder as soon as the test process is gone — however it ended
//! (success, panic, SIGKILL).
//!
//! Missing binaries are a failure with the package to install, never a silent skip.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::OnceLock;

pub(crate) const BIN: &str = "/usr/lib/postgresql/15/bin";
const POSTGIS_CONTROL: &str = "/usr/share/postgresql/15/extension/postgis.control";
const TEMPLATE: &str = "wangge_template";

pub(crate) struct PgCluster {
    dir: PathBuf,
    as_postgres: bool,
    next_db: AtomicUsize,
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
        .unwrap_or(false)
}

impl PgCluster {
    /// The cluster shared by every test of this process (every module), started on first use.
    pub(crate) fn shared() -> &'static PgCluster {
        static CLUSTER: OnceLock<PgCluster> = OnceLock::new();
        CLUSTER.get_or_init(PgCluster::start)
    }

    /// Starts a new cluster; panics with what to install when PostgreSQL or PostGIS is missing.
    pub(crate) fn start() -> PgCluster {
        for tool in ["initdb", "pg_ctl", "psql"] {
            let p = Path::new(BIN).join(tool);
            assert!(
                p.exists(),
                "PostGIS test cluster: {} not found. Install PostgreSQL 15 with PostGIS: \
                 apt-get install -y postgresql-15-postgis-3",
                p.display()
            );
        }
        assert!(
            Path::new(POSTGIS_CONTROL).exists(),
            "PostGIS test cluster: {POSTGIS_CONTROL} not found. Install PostGIS: \
             apt-get install -y postgresql-15-postgis-3"
        );
        let dir = tempfile::Builder::new()
            .prefix("wangge-pg-")
            .tempdir_in("/tmp")
            .expect("PostGIS test cluster: cannot create a temporary folder in /tmp")
            .keep();
        let as_postgres = is_root();
        let cluster = PgCluster {
            dir,
            as_postgres,
            next_db: AtomicUsize::new(0),
        };
        if as_postgres {
            cluster.run(
                Command::new("chown")
                    .arg("-R")
                    .arg("postgres:postgres")
                    .arg(&cluster.dir),
                "chown the cluster folder to postgres",
            );
        }
        let data = cluster.dir.join("data");
        cluster.run(
            cluster.pg("initdb").arg("-D").arg(&data).args([
                "--auth=trust",
                "-E",
                "UTF8",
                "--locale=C",
                "--no-sync",
                "-U",
                "postgres",
            ]),
            "initdb",
        );
        cluster.spawn_watchdog();
        let opts = format!(
            "-k {} -p 5432 -c listen_addresses='' -c fsync=off -c synchronous_commit=off \
             -c full_page_writes=off -c max_connections=200",
            cluster.dir.display()
        );
        cluster.run(
            cluster
                .pg("pg_ctl")
                .arg("-D")
                .arg(&data)
                .arg("-o")
                .arg(opts)
                .arg("-l")
                .arg(cluster.dir.join("server.log"))
                .args(["-w", "-t", "60", "start"]),
            "pg_ctl start",
        );
        cluster.psql("postgres", &format!("CREATE DATABASE {TEMPLATE}"));
        cluster.psql(TEMPLATE, "CREATE EXTENSION postgis");
        cluster
    }

    fn pg(&self, tool: &str) -> Command {
        let path = Path::new(BIN).join(tool);
        if self.as_postgres {
            let mut c = Command::new("runuser");
            c.args(["-u", "postgres", "--"]).arg(path);
            c
        } else {
            Command::new(path)
        }
    }

    fn run(&self, cmd: &mut Command, what: &str) {
        let out = cmd
            .stdin(Stdio::null())
            .output()
            .unwrap_or_else(|e| panic!("PostGIS test cluster: cannot run {what}: {e}"));
        assert!(
            out.status.success(),
            "PostGIS test cluster: {what} failed ({}): {}{}\nserver log: {}",
            out.status,
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr),
            std::fs::read_to_string(self.dir.join("server.log")).unwrap_or_default()
        );
    }

    fn psql(&self, db: &str, sql: &str) {
        let mut c = self.pg("psql");
        c.arg("-h").arg(&self.dir).args([
            "-p",
            "5432",
            "-U",
            "postgres",
            "-v",
            "ON_ERROR_STOP=1",
            "-q",
            "-d",
            db,
            "-c",
            sql,
        ]);
        self.run(&mut c, &format!("psql {sql}"));
    }

    /// Stops the server and deletes the folder once this process has exited.
    fn spawn_watchdog(&self) {
        let stop = format!(
            "{}{}/pg_ctl -D {}/data stop -m immediate",
            if self.as_postgres {
                "runuser -u postgres -- "
            } else {
                ""
            },
            BIN,
            self.dir.display()
        );
        let script = format!(
            "while kill -0 {pid} 2>/dev/null; do sleep 0.5; done; {stop} >/dev/null 2>&1; rm -rf {dir}",
            pid = std::process::id(),
            dir = self.dir.display()
        );
        let spawned = Command::new("sh")
            .arg("-c")
            .arg(script)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn();
        if let Err(e) = spawned {
            panic!("PostGIS test cluster: cannot start the watchdog: {e}");
        }
    }

    /// A new database with PostGIS, for one test; returns its URL (unix socket).
    pub(crate) fn fresh_database(&self) -> String {
        let n = self.next_db.fetch_add(1, Ordering::SeqCst);
        let name = format!("t{}_{n}", std::process::id());
        self.psql(
            "postgres",
            &format!("CREATE DATABASE {name} TEMPLATE {TEMPLATE}"),
        );
        self.url(&name)
    }

    pub(crate) fn url(&self, db: &str) -> String {
        let host = self.dir.display().to_string().replace('/', "%2F");
        format!("postgres://postgres@{host}:5432/{db}")
    }

    pub(crate) fn dir(&self) -> &Path {
        &self.dir
    }
}

impl Drop for PgCluster {
    fn drop(&mut self) {
        let _ = self
            .pg("pg_ctl")
            .arg("-D")
            .arg(self.dir.join("data"))
            .args(["stop", "-m", "immediate"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

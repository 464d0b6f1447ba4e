//! Runs the real worker: `wrangler dev` on workerd with a local D1 in a throwaway folder.
//! Each `Worker` owns one instance; `shared()` is the one most tests use. Tests read the
//! D1 file directly (plain SQLite) to check what was, or was not, written.

use base64::Engine;
use rusqlite::Connection;
use serde_json::{json, Value};
use sha2::{Digest, Sha256};
use std::net::TcpListener;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

/// The instances' session key (base64 of 32 bytes).
pub const SESSION_KEY: &str = "c2Vzc2lvbi1rZXktZm9yLXRlc3RzLTAxMjM0NTY3ODk=";
/// The password of every test account.
pub const PASSWORD: &str = "каштани цвітуть у травні";

/// A deterministic test key: `id:base64(32 bytes of id)`.
pub fn key(id: u8) -> String {
    format!(
        "{id}:{}",
        base64::engine::general_purpose::STANDARD.encode([id; 32])
    )
}

pub fn project_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn wrangler() -> Command {
    let dir = project_dir();
    let mut cmd = Command::new(dir.join("node_modules/.bin/wrangler"));
    let path = format!(
        "{}:{}:{}",
        dir.join("node_modules/.bin").display(),
        std::env::var("HOME")
            .map(|h| format!("{h}/.cargo/bin"))
            .unwrap_or_default(),
        std::env::var("PATH").unwrap_or_default()
    );
    cmd.current_dir(&dir)
        .env("PATH", path)
        .env("WRANGLER_SEND_METRICS", "false")
        .env("CLOUDFLARE_CF_FETCH_ENABLED", "false")
        .env("WRANGLER_HIDE_BANNER", "true")
        .env("WASM_BINDGEN_BIN", "wasm-bindgen")
        .env("WASM_OPT_BIN", dir.join("node_modules/.bin/wasm-opt"))
        .env("ESBUILD_BIN", dir.join("node_modules/.bin/esbuild"))
        .env("CI", "true")
        .stdin(Stdio::null());
    cmd
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

static INSTANCE: AtomicUsize = AtomicUsize::new(0);

pub struct Worker {
    pub base: String,
    pub dir: PathBuf,
    child: Option<Child>,
    pub http: reqwest::Client,
    /// An API token of the instance's first superadmin (made through an invitation).
    pub admin_token: String,
    /// The `wrangler.toml` copy of `start_with_bindings`, deleted on drop.
    config: Option<PathBuf>,
    /// Each D1 binding's file, when the instance has more than `DB` (`start_with_databases`).
    pub databases: Vec<(String, PathBuf)>,
    /// The instance's `TOKEN_KEYS`: `vote_form` signs the page stamp a browser would send.
    pub token_keys: String,
}

thread_local! {
    static EXTRA_CONFIG: std::cell::RefCell<Option<PathBuf>> = const { std::cell::RefCell::new(None) };
    static DATABASES: std::cell::RefCell<Vec<(String, PathBuf)>> = const { std::cell::RefCell::new(Vec::new()) };
    /// Settings the back office gets over the usual ones (`start_with_back_office`).
    static BACK_OFFICE_ONLY: std::cell::RefCell<String> = const { std::cell::RefCell::new(String::new()) };
}

/// A signed-in browser session: the cookie to send and the CSRF value for changes.
#[derive(Debug, Clone)]
pub struct Session {
    pub cookie: String,
    pub csrf: String,
    pub set_cookie: String,
    pub me: Value,
}

/// Inserts an invitation the way `scripts/invite.mjs` does and returns its token.
pub fn insert_invitation(
    db: &Connection,
    email: &str,
    role: &str,
    unit: Option<i64>,
    expires_in: i64,
) -> String {
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;
    static N: AtomicUsize = AtomicUsize::new(0);
    let seed = format!(
        "{}-{}-{email}",
        std::process::id(),
        N.fetch_add(1, Ordering::SeqCst)
    );
    let token = URL_SAFE_NO_PAD.encode(Sha256::digest(seed.as_bytes()));
    let hash = format!("{:x}", Sha256::digest(token.as_bytes()));
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("clock")
        .as_secs() as i64;
    db.execute(
        "INSERT INTO invitations (token_hash, email, role, unit_id, created_at, expires_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        rusqlite::params![hash, email, role, unit, now, now + expires_in],
    )
    .expect("insert invitation");
    token
}

impl Worker {
    /// A fresh instance with its own empty D1 (migrations applied) and the given key ring.
    pub fn start(token_keys: &str) -> Worker {
        Worker::start_with(token_keys, &[])
    }

    /// A fresh instance whose `wrangler.toml` gets `extra` appended (bindings a test needs,
    /// such as a rate limiter). The copy lives in the project folder, where the relative paths
    /// of the original resolve, and is deleted when the worker stops.
    pub fn start_with_bindings(token_keys: &str, settings: &[(&str, &str)], extra: &str) -> Worker {
        let n = INSTANCE.fetch_add(1, Ordering::SeqCst);
        let config = instance_config(&format!("{}-{n}", std::process::id()), extra);
        EXTRA_CONFIG.with(|c| *c.borrow_mut() = Some(config));
        let w = Worker::start_with(token_keys, settings);
        EXTRA_CONFIG.with(|c| *c.borrow_mut() = None);
        w
    }

    /// A fresh instance with more D1 databases (`DB_SHARD_<n>`, declared in `extra` with the
    /// other bindings a test needs), each with the migrations applied, and `settings`.
    pub fn start_with_databases(
        token_keys: &str,
        settings: &[(&str, &str)],
        extra: &str,
        databases: &[&str],
    ) -> Worker {
        let n = INSTANCE.fetch_add(1, Ordering::SeqCst);
        let config = instance_config(&format!("{}-{n}", std::process::id()), extra);
        let dir = project_dir()
            .join("target/e2e")
            .join(format!("{}-{n}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("state folder");
        // Every database starts from a migrated copy, as in `start_with`: applying the
        // migrations costs a wrangler run (about 5 CPU-seconds), once per binding per run.
        copy_dir(migrated_template(), &dir);
        let mut files: Vec<(String, PathBuf)> = vec![(
            "DB".to_owned(),
            dir.join(
                find_sqlite(migrated_template())
                    .expect("the template's D1 file")
                    .strip_prefix(migrated_template())
                    .expect("inside the template"),
            ),
        )];
        for binding in databases {
            let file = dir.join(migrated_binding(&config, binding));
            std::fs::create_dir_all(file.parent().expect("a folder")).expect("D1 folder");
            // With its write-ahead log: the migrations may still be only there.
            for suffix in ["", "-wal", "-shm"] {
                let from = migrated_template_of(binding).join(format!(
                    "{}{suffix}",
                    migrated_binding(&config, binding).display()
                ));
                if from.exists() {
                    std::fs::copy(&from, format!("{}{suffix}", file.display()))
                        .expect("copy a migrated database");
                }
            }
            files.push(((*binding).to_owned(), file));
        }
        EXTRA_CONFIG.with(|c| *c.borrow_mut() = Some(config));
        DATABASES.with(|d| *d.borrow_mut() = files);
        let w = Worker::run_with(dir, token_keys, settings);
        EXTRA_CONFIG.with(|c| *c.borrow_mut() = None);
        DATABASES.with(|d| d.borrow_mut().clear());
        w
    }

    /// A D1 database of the instance by its binding (`DB`, `DB_SHARD_2`…).
    pub fn db_of(&self, binding: &str) -> Connection {
        let (_, path) = self
            .databases
            .iter()
            .find(|(b, _)| b == binding)
            .unwrap_or_else(|| panic!("no database bound as {binding}"));
        let conn = Connection::open(path).expect("open D1 file");
        conn.busy_timeout(Duration::from_secs(5))
            .expect("busy timeout");
        conn
    }

    /// A fresh instance with extra settings (`NAME`, `value`) beside the key ring.
    pub fn start_with(token_keys: &str, settings: &[(&str, &str)]) -> Worker {
        let n = INSTANCE.fetch_add(1, Ordering::SeqCst);
        let dir = project_dir()
            .join("target/e2e")
            .join(format!("{}-{n}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("state folder");
        // Every instance starts from the same migrated database: copying it is faster than a
        // wrangler run per test and takes one chance of a failed run instead of one per test.
        copy_dir(migrated_template(), &dir);
        Worker::run_with(dir, token_keys, settings)
    }

    /// Runs wrangler dev on an existing state folder: how a redeploy with new secrets looks.
    pub fn run(dir: PathBuf, token_keys: &str) -> Worker {
        Worker::run_with(dir, token_keys, &[])
    }

    pub fn run_with(dir: PathBuf, token_keys: &str, settings: &[(&str, &str)]) -> Worker {
        // A port found free can be taken by another instance starting at the same moment
        // before workerd binds it: start again on fresh ports, a few times.
        for _ in 0..3 {
            let mut worker = Worker::spawn(dir.clone(), token_keys, settings);
            match worker.wait_until_up() {
                Ok(()) => {
                    worker.admin_token = worker.bootstrap_admin();
                    return worker;
                }
                Err(logs) if logs.contains("Address already in use") => {
                    // Keep the wrangler.toml copy: the next attempt uses it.
                    worker.config = None;
                    worker.kill();
                }
                Err(logs) => panic!("{logs}"),
            }
        }
        panic!("wrangler dev found no free port in 3 attempts");
    }

    fn spawn(dir: PathBuf, token_keys: &str, settings: &[(&str, &str)]) -> Worker {
        let port = free_port();
        let base = format!("http://127.0.0.1:{port}");
        let env_file = dir.join(format!("vars-{port}.env"));
        std::fs::write(
            &env_file,
            format!(
                "TOKEN_KEYS=\"{token_keys}\"\nSESSION_KEY=\"{SESSION_KEY}\"\nPUBLIC_BASE_URL=\"{base}\"\n{}",
                settings.iter().map(|(k, v)| format!("{k}=\"{v}\"\n")).collect::<String>()
            ),
        )
        .expect("env file");
        let log =
            std::fs::File::create(dir.join(format!("wrangler-{port}.log"))).expect("log file");
        let mut cmd = wrangler();
        let config = EXTRA_CONFIG.with(|c| c.borrow().clone());
        let name = dir.file_name().expect("state folder").to_string_lossy();
        let citizen = config
            .clone()
            .unwrap_or_else(|| instance_config(&format!("{name}-{port}"), ""));
        let back_office = back_office_config(&citizen, &env_file);
        // Both workers in one wrangler dev, as deployed: the first config is the entry, the
        // second is reached through its service binding (docs/deploy.md, "Two workers").
        // A registry of its own keeps parallel instances' workers, all of one name, apart.
        cmd.arg("--config")
            .arg(&citizen)
            .arg("--config")
            .arg(&back_office)
            .env("WRANGLER_REGISTRY_PATH", dir.join("registry"));
        cmd.args(["dev", "--ip", "127.0.0.1", "--port", &port.to_string()])
            .args(["--inspector-port", &free_port().to_string()])
            .args([
                "--show-interactive-dev-session=false",
                "--test-scheduled",
                "--persist-to",
            ])
            .arg(&dir)
            .arg("--env-file")
            .arg(&env_file)
            .stdout(log.try_clone().expect("log"))
            .stderr(log);
        // SAFETY: prctl is async-signal-safe. The dev server dies with the test binary, even
        // when the binary is killed, so no instance outlives a run.
        unsafe {
            cmd.pre_exec(|| {
                libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGTERM);
                Ok(())
            });
        }
        let child = cmd.spawn().expect("spawn wrangler dev");
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            // Each #[tokio::test] has its own runtime; a pooled connection from a finished
            // test's runtime would be dead in the next one.
            .pool_max_idle_per_host(0)
            .timeout(Duration::from_secs(30))
            .build()
            .expect("http client");
        Worker {
            base,
            dir,
            child: Some(child),
            http,
            admin_token: String::new(),
            config,
            databases: DATABASES.with(|d| d.borrow().clone()),
            token_keys: token_keys.to_owned(),
        }
    }

    /// The first superadmin's API token: made once per state folder, through an invitation
    /// as an operator would, then kept in the folder for restarts.
    fn bootstrap_admin(&self) -> String {
        let saved = self.dir.join("admin-token");
        if let Ok(token) = std::fs::read_to_string(&saved) {
            return token.trim().to_owned();
        }
        let invitation =
            insert_invitation(&self.db(), "root@city.example", "superadmin", None, 3600);
        // A runtime of its own on a thread of its own: `start` may be called from async tests.
        let run = || {
            tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("runtime")
                .block_on(self.first_token(&invitation))
        };
        let token = std::thread::scope(|s| s.spawn(run).join().expect("bootstrap thread"));
        std::fs::write(&saved, &token).expect("save admin token");
        token
    }

    async fn first_token(&self, invitation: &str) -> String {
        {
            let session = self.accept(invitation, PASSWORD).await;
            let resp = self
                .with_session(reqwest::Method::POST, "/api/v1/admin/tokens", &session)
                .json(&json!({"name": "tests"}))
                .send()
                .await
                .expect("create token");
            assert_eq!(resp.status(), 201, "bootstrap token");
            resp.json::<Value>().await.expect("json")["token"]
                .as_str()
                .expect("token")
                .to_owned()
        }
    }

    /// Accepts an invitation and returns the new session.
    pub async fn accept(&self, invitation: &str, password: &str) -> Session {
        let resp = self
            .http
            .post(self.url("/api/v1/invitations/accept"))
            .json(&json!({"token": invitation, "password": password}))
            .send()
            .await
            .expect("accept invitation");
        assert_eq!(resp.status(), 200, "accept invitation");
        session_of(resp).await
    }

    /// Signs in with e-mail and password.
    pub async fn sign_in(&self, email: &str, password: &str) -> reqwest::Response {
        self.http
            .post(self.url("/api/v1/session"))
            .json(&json!({"email": email, "password": password}))
            .send()
            .await
            .expect("sign in")
    }

    /// A request with the session's cookie and CSRF header, as the admin page sends it.
    pub fn with_session(
        &self,
        method: reqwest::Method,
        path: &str,
        s: &Session,
    ) -> reqwest::RequestBuilder {
        self.http
            .request(method, self.url(path))
            .header("cookie", &s.cookie)
            .header("x-csrf-token", &s.csrf)
    }

    /// A request with an API token.
    pub fn bearer(
        &self,
        method: reqwest::Method,
        path: &str,
        token: &str,
    ) -> reqwest::RequestBuilder {
        self.http.request(method, self.url(path)).bearer_auth(token)
    }

    /// An invitation made by the root admin through the API; returns its token.
    pub async fn invite(&self, email: &str, role: &str, unit: Option<i64>) -> String {
        let resp = self
            .admin(reqwest::Method::POST, "/api/v1/admin/invitations")
            .json(&json!({"email": email, "role": role, "unit_id": unit}))
            .send()
            .await
            .expect("invite");
        assert_eq!(
            resp.status(),
            201,
            "invite: {}",
            resp.text().await.unwrap_or_default()
        );
        let link = resp.json::<Value>().await.expect("json")["link"]
            .as_str()
            .expect("link")
            .to_owned();
        link.rsplit('/').next().expect("token").to_owned()
    }

    /// A new account with one role (`unit` is None for superadmin), invited by the root admin;
    /// returns its session and an API token of its own.
    pub async fn account(&self, email: &str, role: &str, unit: Option<i64>) -> (Session, String) {
        let invitation = self.invite(email, role, unit).await;
        let session = self.accept(&invitation, PASSWORD).await;
        let resp = self
            .with_session(reqwest::Method::POST, "/api/v1/admin/tokens", &session)
            .json(&json!({"name": "script"}))
            .send()
            .await
            .expect("token");
        assert_eq!(resp.status(), 201);
        let token = resp.json::<Value>().await.expect("json")["token"]
            .as_str()
            .expect("token")
            .to_owned();
        (session, token)
    }

    /// An instance whose configuration the worker refuses (`settings` over the usual ones):
    /// up once it answers `/healthz` at all, whatever the status; no admin is made.
    /// An instance whose back office alone gets `settings` over the usual ones, as when a
    /// secret was set in one worker only; up once `/healthz` answers at all.
    pub fn start_with_back_office(settings: &[(&str, &str)]) -> Worker {
        let lines: String = settings
            .iter()
            .map(|(k, v)| format!("{k}=\"{v}\"\n"))
            .collect();
        BACK_OFFICE_ONLY.with(|b| *b.borrow_mut() = lines);
        let w = Worker::start_misconfigured(&[]);
        BACK_OFFICE_ONLY.with(|b| b.borrow_mut().clear());
        w
    }

    pub fn start_misconfigured(settings: &[(&str, &str)]) -> Worker {
        let n = INSTANCE.fetch_add(1, Ordering::SeqCst);
        let dir = project_dir()
            .join("target/e2e")
            .join(format!("{}-{n}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("state folder");
        copy_dir(migrated_template(), &dir);
        for _ in 0..3 {
            let mut worker = Worker::spawn(dir.clone(), &key(1), settings);
            match worker.wait_until_answering(|_| true) {
                Ok(()) => return worker,
                Err(logs) if logs.contains("Address already in use") => worker.kill(),
                Err(logs) => panic!("{logs}"),
            }
        }
        panic!("wrangler dev found no free port in 3 attempts");
    }

    fn wait_until_up(&mut self) -> Result<(), String> {
        self.wait_until_answering(|status| status == 200)
    }

    /// Waits until `/healthz` answers a status that `up` accepts.
    fn wait_until_answering(&mut self, up: impl Fn(u16) -> bool) -> Result<(), String> {
        let deadline = Instant::now() + Duration::from_secs(120);
        let url = format!("{}/healthz", self.base);
        let port = self.base.rsplit(':').next().unwrap_or_default().to_owned();
        let ready = format!("Ready on {}", self.base);
        while Instant::now() < deadline {
            if let Ok(resp) = reqwest::blocking_get(&url) {
                // Another instance may have taken the port between `free_port` and this
                // wrangler's bind (seen in CI: our workerd failed with "Address already in
                // use" while the other answered). Only our own log saying it is ready on this
                // address makes the answer ours.
                let ours = std::fs::read_to_string(self.dir.join(format!("wrangler-{port}.log")))
                    .is_ok_and(|log| log.contains(&ready));
                if up(resp) && ours {
                    return Ok(());
                }
            }
            // wrangler dev that exited (workerd could not bind its port) will not answer.
            if self
                .child
                .as_mut()
                .is_some_and(|c| matches!(c.try_wait(), Ok(Some(_))))
            {
                break;
            }
            std::thread::sleep(Duration::from_millis(200));
        }
        let logs: String = std::fs::read_dir(&self.dir)
            .into_iter()
            .flatten()
            .flatten()
            .filter(|e| e.path().extension().is_some_and(|x| x == "log"))
            .map(|e| std::fs::read_to_string(e.path()).unwrap_or_default())
            .collect();
        Err(format!(
            "wrangler dev did not answer on {url} (it exited, or 120 s passed); its output:\n{logs}"
        ))
    }

    pub fn stop(mut self) -> PathBuf {
        self.kill();
        self.dir.clone()
    }

    fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            unsafe {
                libc::kill(child.id() as i32, libc::SIGTERM);
            }
            let deadline = Instant::now() + Duration::from_secs(10);
            while Instant::now() < deadline {
                if let Ok(Some(_)) = child.try_wait() {
                    return;
                }
                std::thread::sleep(Duration::from_millis(100));
            }
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// The local D1 database file.
    pub fn db_path(&self) -> PathBuf {
        if let Some((_, home)) = self.databases.iter().find(|(b, _)| b == "DB") {
            return home.clone();
        }
        find_sqlite(&self.dir.join("v3/d1"))
            .unwrap_or_else(|| panic!("no D1 file under {}", self.dir.display()))
    }

    pub fn db(&self) -> Connection {
        let conn = Connection::open(self.db_path()).expect("open D1 file");
        conn.busy_timeout(Duration::from_secs(5))
            .expect("busy timeout");
        conn
    }

    pub fn count(&self, sql: &str) -> i64 {
        self.db()
            .query_row(sql, [], |r| r.get(0))
            .unwrap_or_else(|e| panic!("{sql}: {e}"))
    }

    /// A digest of every row of every table: equal before and after means nothing changed.
    pub fn checksum(&self) -> String {
        let db = self.db();
        let mut tables: Vec<String> = db
            .prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name NOT LIKE '_cf_%' ORDER BY name")
            .and_then(|mut s| s.query_map([], |r| r.get(0))?.collect())
            .expect("tables");
        tables.sort();
        let mut hasher = Sha256::new();
        for table in tables {
            let mut stmt = db
                .prepare(&format!("SELECT * FROM \"{table}\""))
                .expect("select");
            let columns = stmt.column_count();
            let mut rows: Vec<String> = stmt
                .query_map([], |r| {
                    Ok((0..columns)
                        .map(|i| format!("{:?}", r.get_ref(i).map(|v| v.to_owned())))
                        .collect::<Vec<_>>()
                        .join("|"))
                })
                .and_then(|rows| rows.collect())
                .expect("rows");
            rows.sort();
            hasher.update(table.as_bytes());
            for row in rows {
                hasher.update(row.as_bytes());
                hasher.update(b"\n");
            }
        }
        format!("{:x}", hasher.finalize())
    }

    pub fn admin(&self, method: reqwest::Method, path: &str) -> reqwest::RequestBuilder {
        self.http
            .request(method, self.url(path))
            .bearer_auth(&self.admin_token)
    }

    /// A GET with the root admin's token that must answer 200: its JSON.
    pub async fn admin_get(&self, path: &str) -> Value {
        let resp = self
            .admin(reqwest::Method::GET, path)
            .send()
            .await
            .expect("admin GET");
        assert_eq!(resp.status(), 200, "GET {path}");
        resp.json().await.expect("json")
    }

    pub async fn create_unit(&self, name: &str, parent: Option<i64>) -> i64 {
        let resp = self
            .admin(reqwest::Method::POST, "/api/v1/admin/units")
            .json(&json!({"name": name, "parent_id": parent}))
            .send()
            .await
            .expect("create unit");
        assert_eq!(
            resp.status(),
            201,
            "create unit: {}",
            resp.text().await.unwrap_or_default()
        );
        resp.json::<Value>().await.expect("json")["id"]
            .as_i64()
            .expect("id")
    }

    pub async fn create_employee(&self, name: &str, position: &str, unit: i64) -> i64 {
        let resp = self
            .admin(reqwest::Method::POST, "/api/v1/admin/employees")
            .json(&json!({"name": name, "position": position, "unit_id": unit}))
            .send()
            .await
            .expect("create employee");
        assert_eq!(
            resp.status(),
            201,
            "create employee: {}",
            resp.text().await.unwrap_or_default()
        );
        resp.json::<Value>().await.expect("json")["id"]
            .as_i64()
            .expect("id")
    }

    pub async fn issue_code(&self, employee: i64) -> Value {
        self.issue_code_on(employee, 0).await
    }

    /// A code for one service point (`channel`: 2 a written reply, 4 the website form…).
    pub async fn issue_code_on(&self, employee: i64, channel: u8) -> Value {
        let resp = self
            .admin(
                reqwest::Method::POST,
                &format!("/api/v1/admin/employees/{employee}/qr?channel={channel}"),
            )
            .send()
            .await
            .expect("issue");
        assert_eq!(
            resp.status(),
            201,
            "issue code: {}",
            resp.text().await.unwrap_or_default()
        );
        resp.json().await.expect("json")
    }

    /// A unit, an employee in it and a current code: returns (employee id, token).
    pub async fn employee_with_code(&self, name: &str) -> (i64, String) {
        let unit = self.create_unit(&format!("Відділ для {name}"), None).await;
        let employee = self
            .create_employee(name, "Головний спеціаліст", unit)
            .await;
        let code = self.issue_code(employee).await;
        (employee, code["token"].as_str().expect("token").to_owned())
    }

    /// A vote from a citizen no other call of this helper shares an address with, as
    /// Cloudflare would report it in `CF-Connecting-IP`.
    pub async fn vote_json(&self, body: Value) -> reqwest::Response {
        static CITIZEN: AtomicUsize = AtomicUsize::new(1);
        let n = CITIZEN.fetch_add(1, Ordering::SeqCst);
        let address = format!("198.51.{}.{}", (n >> 8) & 255, n & 255);
        self.vote_from(&address, "TestPhone/1.0", body).await
    }

    pub async fn vote_from(
        &self,
        address: &str,
        user_agent: &str,
        body: Value,
    ) -> reqwest::Response {
        self.http
            .post(self.url("/api/v1/votes"))
            .header("cf-connecting-ip", address)
            .header("user-agent", user_agent)
            .json(&body)
            .send()
            .await
            .expect("vote")
    }

    /// The vote page's form as a browser posts it, with any client headers (`cf-connecting-ip`,
    /// `user-agent`) the test wants to simulate. Like the page's own form it carries the signed
    /// serving time `t`, here of a page opened 10 s before (by `x-simulated-time` if given),
    /// unless `fields` bring a `t` of their own.
    pub async fn vote_form(
        &self,
        token: &str,
        headers: &[(&str, &str)],
        fields: &[(&str, &str)],
    ) -> reqwest::Response {
        let mut req = self.http.post(self.url(&format!("/r/{token}")));
        for (name, value) in headers {
            req = req.header(*name, *value);
        }
        let now = headers
            .iter()
            .find(|(name, _)| name.eq_ignore_ascii_case("x-simulated-time"))
            .and_then(|(_, t)| t.trim().parse::<i64>().ok())
            .unwrap_or_else(unix_now);
        let stamp = self.page_stamp(token, now - 10);
        let mut fields = fields.to_vec();
        if let Some(stamp) = &stamp {
            if fields.iter().all(|(name, _)| *name != "t") {
                fields.push(("t", stamp));
            }
        }
        req.form(&fields).send().await.expect("form vote")
    }

    /// The stamp the vote page of `token` carries when served at `served` (unix seconds), signed
    /// with the instance's key as the page signs it; `None` for a token that does not parse.
    pub fn page_stamp(&self, token: &str, served: i64) -> Option<String> {
        use civicrate::{clock::Timestamp, integrity::PageStamp, token};
        let ring = token::KeyRing::parse(&self.token_keys).ok()?;
        let token = token::Token::parse(token).ok()?;
        Some(PageStamp::issue(
            &ring,
            &token,
            Timestamp::from_unix_seconds(served),
        ))
    }

    /// The process id of `wrangler dev` (workerd runs below it).
    pub fn pid(&self) -> Option<u32> {
        self.child.as_ref().map(Child::id)
    }

    pub async fn summary(&self, employee: i64) -> Value {
        let resp = self
            .admin(
                reqwest::Method::GET,
                &format!("/api/v1/admin/employees/{employee}/summary"),
            )
            .send()
            .await
            .expect("summary");
        assert_eq!(resp.status(), 200);
        resp.json().await.expect("json")
    }

    pub fn votes_of(&self, employee: i64) -> i64 {
        self.count(&format!(
            "SELECT COUNT(*) FROM votes WHERE employee_id = {employee}"
        ))
    }
}

impl Drop for Worker {
    fn drop(&mut self) {
        self.kill();
        if let Some(config) = self.config.take() {
            let _ = std::fs::remove_file(config);
        }
    }
}

/// The current time in unix seconds.
pub fn unix_now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64)
}

/// The session a sign-in or an invitation's acceptance started.
pub async fn session_of(resp: reqwest::Response) -> Session {
    let set_cookie = resp
        .headers()
        .get("set-cookie")
        .and_then(|v| v.to_str().ok())
        .expect("a session cookie")
        .to_owned();
    let cookie = set_cookie.split(';').next().expect("cookie").to_owned();
    let me: Value = resp.json().await.expect("json");
    Session {
        cookie,
        csrf: me["csrf"].as_str().expect("csrf").to_owned(),
        set_cookie,
        me,
    }
}

/// Applies the migrations to `binding`'s local D1 under `dir`. A failed run is tried again
/// (a wrangler start can fail while several instances start at once) and its output goes
/// into the panic message, so a failure says why.
/// An instance's copy of wrangler.toml (with `extra` appended), in a folder of its own under
/// target/e2e-config/: paths (`main`, `directory`, `migrations_dir`) made absolute, and no `[build]` (`make test` has built the
/// workers). Never in the project's root: wrangler's bundler watches the folders above the
/// worker's files, so a file made or removed there while instances run rebuilt and restarted
/// every one of them ("Your worker restarted mid-request"), and now and then deadlocked the
/// bundler with a request held.
fn instance_config(name: &str, extra: &str) -> PathBuf {
    let root = project_dir();
    let base = std::fs::read_to_string(root.join("wrangler.toml")).expect("wrangler.toml");
    let mut out = String::new();
    let mut in_build = false;
    for line in format!("{base}\n{extra}\n").lines() {
        if line.trim_start().starts_with('[') {
            in_build = line.trim() == "[build]";
        }
        if in_build {
            continue;
        }
        let key = line.split('=').next().unwrap_or_default().trim();
        match line.split_once('"') {
            Some((head, rest)) if ["main", "directory", "migrations_dir"].contains(&key) => {
                let value = rest.trim_end().trim_end_matches('"');
                out.push_str(&format!("{head}\"{}\"\n", root.join(value).display()));
            }
            _ => {
                out.push_str(line);
                out.push('\n');
            }
        }
    }
    let folder = root.join("target/e2e-config").join(name);
    std::fs::create_dir_all(&folder).expect("config folder");
    let config = folder.join("wrangler.toml");
    std::fs::write(&config, out).expect("config copy");
    config
}

/// The back office's configuration for an instance, made from the citizen worker's by the same
/// script `make build` runs, in a folder of the instance's with that instance's secrets as
/// its `.dev.vars` (wrangler dev reads a second worker's secrets from beside its config).
fn back_office_config(citizen: &Path, env_file: &Path) -> PathBuf {
    let config = citizen.with_file_name("backoffice").join("wrangler.toml");
    let run = Command::new("node")
        .current_dir(project_dir())
        .arg("scripts/backoffice-config.mjs")
        .arg(citizen)
        .arg(&config)
        .arg("--secrets")
        .arg(env_file)
        .output()
        .expect("node scripts/backoffice-config.mjs");
    assert!(
        run.status.success(),
        "scripts/backoffice-config.mjs failed: {}",
        String::from_utf8_lossy(&run.stderr)
    );
    let only = BACK_OFFICE_ONLY.with(|b| b.borrow().clone());
    if !only.is_empty() {
        let vars = config.with_file_name(".dev.vars");
        let usual = std::fs::read_to_string(&vars).expect("back office secrets");
        // One line per name: the usual value of a name given here is left out.
        let kept: String = usual
            .lines()
            .filter(|l| {
                let name = l.split('=').next().unwrap_or_default();
                !only.lines().any(|o| o.starts_with(&format!("{name}=")))
            })
            .map(|l| format!("{l}\n"))
            .collect();
        std::fs::write(&vars, format!("{kept}{only}")).expect("back office secrets");
    }
    config
}

fn apply_migrations(config: Option<&Path>, binding: &str, dir: &Path) {
    let mut output = String::new();
    for attempt in 1..=3 {
        let mut cmd = wrangler();
        if let Some(config) = config {
            cmd.arg("--config").arg(config);
        }
        let run = cmd
            .args([
                "d1",
                "migrations",
                "apply",
                binding,
                "--local",
                "--persist-to",
            ])
            .arg(dir)
            .output()
            .expect("wrangler d1 migrations apply");
        if run.status.success() {
            return;
        }
        output = format!(
            "{}\n{}",
            String::from_utf8_lossy(&run.stdout),
            String::from_utf8_lossy(&run.stderr)
        );
        std::thread::sleep(Duration::from_secs(attempt));
    }
    panic!("applying migrations to {binding} failed 3 times; the last run said:\n{output}");
}

/// A state folder with `DB` migrated, made once per test binary; instances start from a copy.
fn migrated_template() -> &'static Path {
    static TEMPLATE: OnceLock<PathBuf> = OnceLock::new();
    TEMPLATE.get_or_init(|| {
        let dir = project_dir()
            .join("target/e2e")
            .join(format!("{}-template", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("template folder");
        apply_migrations(None, "DB", &dir);
        dir
    })
}

/// The folder where a binding's migrations were applied once for this run.
fn migrated_template_of(binding: &str) -> PathBuf {
    project_dir()
        .join("target/e2e")
        .join(format!("{}-template-{binding}", std::process::id()))
}

/// The path of a binding's D1 file under a state folder. Miniflare names the file by a hash of
/// the database's id: the file that appears when the binding's migrations are applied is the
/// binding's, and every instance declaring the binding alike finds it at the same path.
fn migrated_binding(config: &Path, binding: &str) -> PathBuf {
    static KNOWN: std::sync::Mutex<Vec<(String, PathBuf)>> = std::sync::Mutex::new(Vec::new());
    let mut known = KNOWN.lock().unwrap_or_else(|e| e.into_inner());
    if let Some((_, path)) = known.iter().find(|(b, _)| b == binding) {
        return path.clone();
    }
    let dir = migrated_template_of(binding);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("template folder");
    apply_migrations(Some(config), binding, &dir);
    let files = all_sqlite(&dir);
    let [file] = files.as_slice() else {
        panic!("applying {binding}'s migrations made these D1 files, not one: {files:?}");
    };
    let path = file
        .strip_prefix(&dir)
        .expect("inside the template")
        .to_owned();
    known.push((binding.to_owned(), path.clone()));
    path
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("copy target");
    for entry in std::fs::read_dir(from).expect("copy source").flatten() {
        let target = to.join(entry.file_name());
        if entry.path().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).expect("copy state file");
        }
    }
}

fn all_sqlite(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let path = entry.path();
        if path.is_dir() {
            out.extend(all_sqlite(&path));
        } else if path.extension().is_some_and(|e| e == "sqlite")
            && path.file_name().is_some_and(|n| n != "metadata.sqlite")
        {
            out.push(path);
        }
    }
    out
}

fn find_sqlite(dir: &Path) -> Option<PathBuf> {
    for entry in std::fs::read_dir(dir).ok()?.flatten() {
        let path = entry.path();
        if path.is_dir() {
            if let Some(found) = find_sqlite(&path) {
                return Some(found);
            }
        } else if path.extension().is_some_and(|e| e == "sqlite")
            && path.file_name().is_some_and(|n| n != "metadata.sqlite")
        {
            return Some(path);
        }
    }
    None
}

/// The instance most tests share; each test makes its own units and employees.
pub fn shared() -> &'static Worker {
    static SHARED: OnceLock<Worker> = OnceLock::new();
    SHARED.get_or_init(|| {
        // PR_SET_PDEATHSIG fires when the spawning *thread* ends, not the process: start the
        // shared instance from a thread that lives as long as the test binary.
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let _ = tx.send(Worker::start(&key(1)));
            loop {
                std::thread::park();
            }
        });
        rx.recv().expect("the shared worker started")
    })
}

mod reqwest {
    pub use ::reqwest::*;

    /// A tiny blocking GET (std only) for start-up polling outside any async runtime.
    pub fn blocking_get(url: &str) -> std::io::Result<u16> {
        use std::io::{Read, Write};
        let rest = url.strip_prefix("http://").unwrap_or(url);
        let (host, path) = rest
            .split_once('/')
            .map(|(h, p)| (h, format!("/{p}")))
            .unwrap_or((rest, "/".into()));
        let mut stream = std::net::TcpStream::connect(host)?;
        stream.set_read_timeout(Some(std::time::Duration::from_secs(5)))?;
        write!(
            stream,
            "GET {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n"
        )?;
        // Only the status line is read. wrangler's proxy keeps the connection open despite
        // `Connection: close` until its 5-second keep-alive ends: reading to the end cost
        // every instance start 5 seconds (125 starts in `make test`).
        let mut head = Vec::new();
        let mut byte = [0u8; 1];
        while !head.ends_with(b"\r\n") && stream.read(&mut byte)? == 1 {
            head.push(byte[0]);
        }
        Ok(String::from_utf8_lossy(&head)
            .split_whitespace()
            .nth(1)
            .and_then(|s| s.parse().ok())
            .unwrap_or(0))
    }
}

/// A stand-in on loopback for a service the worker calls out to (a webhook, Turnstile's
/// siteverify), which tests cannot reach: each request's body goes to `answer`, which gives
/// the status line and the body to send back. Returns the port.
pub fn loopback_service(
    mut answer: impl FnMut(&str) -> (&'static str, String) + Send + 'static,
) -> u16 {
    use std::io::{Read, Write};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = listener.local_addr().expect("port").port();
    std::thread::spawn(move || {
        for mut stream in listener.incoming().flatten() {
            let mut data = Vec::new();
            let mut buf = [0u8; 8192];
            let mut body = String::new();
            // Read the head, then as much body as Content-Length says.
            loop {
                let n = stream.read(&mut buf).unwrap_or(0);
                data.extend_from_slice(&buf[..n]);
                let text = String::from_utf8_lossy(&data).to_string();
                if let Some((head, rest)) = text.split_once("\r\n\r\n") {
                    let len = head
                        .lines()
                        .find_map(|l| {
                            l.to_ascii_lowercase()
                                .strip_prefix("content-length:")
                                .map(|v| v.trim().parse::<usize>().unwrap_or(0))
                        })
                        .unwrap_or(0);
                    if rest.len() >= len || n == 0 {
                        body = rest.to_owned();
                        break;
                    }
                }
                if n == 0 {
                    break;
                }
            }
            let (status, reply) = answer(&body);
            let _ = write!(
                stream,
                "HTTP/1.1 {status}\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{reply}",
                reply.len()
            );
        }
    });
    port
}

/// A small deterministic generator (xorshift64*), so that a benchmark seeds the same instance
/// on every run. The benchmarks include this file; the tests do not use it.
#[allow(dead_code)]
pub struct Rng(pub u64);

#[allow(dead_code)]
impl Rng {
    pub fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    pub fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
    pub fn chance(&mut self, per_mille: u64) -> bool {
        self.below(1000) < per_mille
    }
}

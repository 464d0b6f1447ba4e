//! Cloudflare Access: a worker configured with a team domain and audience accepts a signed
//! `Cf-Access-Jwt-Assertion` for an existing account. The team's keys are served by a small
//! HTTP server in the test; tokens are signed with `openssl` and an RSA key made per run.

use crate::helpers::{key, project_dir, shared, Worker};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use reqwest::Method;
use serde_json::{json, Value};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

const AUD: &str = "0f4c2a8e6b1d3f5a7c9e0b2d4f6a8c0e1f3b5d7a9c1e3f5b7d9a1c3e5f7b9d1a";

struct Team {
    dir: PathBuf,
    kid: String,
    issuer: String,
    /// How many times the worker fetched the keys.
    fetches: Arc<AtomicUsize>,
}

fn openssl(args: &[&str]) -> Vec<u8> {
    let out = Command::new("openssl")
        .args(args)
        .output()
        .expect("openssl");
    assert!(
        out.status.success(),
        "openssl {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

fn hex(s: &str) -> Vec<u8> {
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
        .collect()
}

impl Team {
    /// An RSA key and a certs endpoint that publishes it (and a second, unrelated key).
    fn start() -> Team {
        let dir = project_dir().join(format!("target/e2e/access-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let pem = dir.join("key.pem");
        openssl(&[
            "genpkey",
            "-algorithm",
            "RSA",
            "-pkeyopt",
            "rsa_keygen_bits:2048",
            "-out",
            pem.to_str().unwrap(),
        ]);
        let modulus = String::from_utf8(openssl(&[
            "rsa",
            "-in",
            pem.to_str().unwrap(),
            "-noout",
            "-modulus",
        ]))
        .unwrap();
        let n = URL_SAFE_NO_PAD.encode(hex(modulus.trim().trim_start_matches("Modulus=")));
        let kid = "team-key-1".to_owned();
        let jwks = json!({"keys": [
            {"kid": kid, "kty": "RSA", "alg": "RS256", "use": "sig", "e": "AQAB", "n": n},
            {"kid": "ec", "kty": "EC", "crv": "P-256", "x": "AAAA", "y": "AAAA"}
        ]})
        .to_string();
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let fetches = Arc::new(AtomicUsize::new(0));
        let counter = fetches.clone();
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let mut stream = stream;
                let mut buf = [0u8; 4096];
                let n = stream.read(&mut buf).unwrap_or(0);
                let request = String::from_utf8_lossy(&buf[..n]).to_string();
                let (status, body) = if request.starts_with("GET /cdn-cgi/access/certs ") {
                    counter.fetch_add(1, Ordering::SeqCst);
                    ("200 OK", jwks.clone())
                } else {
                    ("404 Not Found", String::new())
                };
                let _ = write!(
                    stream,
                    "HTTP/1.1 {status}\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                    body.len()
                );
            }
        });
        Team {
            dir,
            kid,
            issuer: format!("http://127.0.0.1:{port}"),
            fetches,
        }
    }

    fn sign(&self, header: &Value, claims: &Value, pem: &Path) -> String {
        let signed = format!(
            "{}.{}",
            URL_SAFE_NO_PAD.encode(header.to_string()),
            URL_SAFE_NO_PAD.encode(claims.to_string())
        );
        let input = self.dir.join("input");
        std::fs::write(&input, &signed).unwrap();
        let sig = openssl(&[
            "dgst",
            "-sha256",
            "-sign",
            pem.to_str().unwrap(),
            input.to_str().unwrap(),
        ]);
        format!("{signed}.{}", URL_SAFE_NO_PAD.encode(sig))
    }

    fn token(&self, email: &str, change: impl FnOnce(&mut Value, &mut Value)) -> String {
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_secs();
        let mut header = json!({"alg": "RS256", "kid": self.kid, "typ": "JWT"});
        let mut claims = json!({
            "aud": [AUD], "iss": self.issuer, "email": email, "sub": "7335d417-61da-459d-899c-0a01c76a2e01",
            "iat": now, "nbf": now, "exp": now + 600, "type": "app", "identity_nonce": "6ei69kawdKzMIAPF"
        });
        change(&mut header, &mut claims);
        self.sign(&header, &claims, &self.dir.join("key.pem"))
    }
}

async fn as_access(w: &Worker, method: Method, path: &str, assertion: &str) -> reqwest::Response {
    w.http
        .request(method, w.url(path))
        .header("cf-access-jwt-assertion", assertion)
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn an_access_assertion_signs_in_an_existing_account_and_nothing_else_does() {
    let team = Team::start();
    let w = Worker::start_with(
        &key(1),
        &[
            ("ACCESS_TEAM_DOMAIN", team.issuer.as_str()),
            ("ACCESS_AUD", AUD),
        ],
    );
    w.account("head@city.example", "superadmin", None).await;
    let good = team.token("Head@City.example", |_, _| {});

    let me = as_access(&w, Method::GET, "/api/v1/session", &good).await;
    assert_eq!(me.status(), 200);
    let me: Value = me.json().await.unwrap();
    assert_eq!(me["account"]["email"], "head@city.example");
    let csrf = me["csrf"]
        .as_str()
        .expect("a CSRF value for changes")
        .to_owned();
    for _ in 0..3 {
        assert_eq!(
            as_access(&w, Method::GET, "/api/v1/admin/units", &good)
                .await
                .status(),
            200
        );
    }
    assert_eq!(
        team.fetches.load(Ordering::SeqCst),
        1,
        "the keys are cached"
    );

    // A change needs the CSRF value, as with a session cookie.
    let without = w
        .http
        .post(w.url("/api/v1/admin/units"))
        .header("cf-access-jwt-assertion", &good)
        .json(&json!({"name": "Відділ через Access", "parent_id": null}))
        .send()
        .await
        .unwrap();
    assert_eq!(without.status(), 403);
    let with = w
        .http
        .post(w.url("/api/v1/admin/units"))
        .header("cf-access-jwt-assertion", &good)
        .header("x-csrf-token", &csrf)
        .json(&json!({"name": "Відділ через Access", "parent_id": null}))
        .send()
        .await
        .unwrap();
    assert_eq!(with.status(), 201);
    assert_eq!(
        w.count("SELECT COUNT(*) FROM audit_log WHERE actor = 'head@city.example (Cloudflare Access)' AND action = 'unit_created'"),
        1
    );

    let other_key = team.dir.join("other.pem");
    openssl(&[
        "genpkey",
        "-algorithm",
        "RSA",
        "-pkeyopt",
        "rsa_keygen_bits:2048",
        "-out",
        other_key.to_str().unwrap(),
    ]);
    let forged = team.sign(
        &json!({"alg": "RS256", "kid": team.kid}),
        &json!({"aud": [AUD], "iss": team.issuer, "email": "head@city.example", "exp": 4_000_000_000u64}),
        &other_key,
    );
    let mut tampered = good.clone();
    tampered.push('A');
    let refused = [
        (
            "another audience",
            team.token("head@city.example", |_, c| {
                c["aud"] = json!(["someone-else"])
            }),
        ),
        (
            "another issuer",
            team.token("head@city.example", |_, c| {
                c["iss"] = json!("https://evil.cloudflareaccess.com")
            }),
        ),
        (
            "expired",
            team.token("head@city.example", |_, c| c["exp"] = json!(1_700_000_000)),
        ),
        (
            "not yet valid",
            team.token("head@city.example", |_, c| {
                c["nbf"] = json!(4_000_000_000u64)
            }),
        ),
        ("signed by another key", forged),
        ("a tampered signature", tampered),
        (
            "alg none",
            format!(
                "{}.{}.",
                URL_SAFE_NO_PAD.encode(r#"{"alg":"none","kid":"team-key-1"}"#),
                good.split('.').nth(1).unwrap()
            ),
        ),
        (
            "an account that does not exist",
            team.token("stranger@city.example", |_, _| {}),
        ),
        ("garbage", "not a token".to_owned()),
    ];
    for (why, assertion) in &refused {
        let resp = as_access(&w, Method::GET, "/api/v1/session", assertion).await;
        assert_eq!(resp.status(), 401, "{why}");
        assert_eq!(
            resp.json::<Value>().await.unwrap()["error"]["code"],
            "unauthorized",
            "{why}"
        );
    }
    // An unknown kid refetches the keys once (Access rotates them), then not again at once.
    let before = team.fetches.load(Ordering::SeqCst);
    for _ in 0..2 {
        let unknown = team.token("head@city.example", |h, _| h["kid"] = json!("rotated-away"));
        assert_eq!(
            as_access(&w, Method::GET, "/api/v1/session", &unknown)
                .await
                .status(),
            401
        );
    }
    assert_eq!(team.fetches.load(Ordering::SeqCst), before + 1);
}

#[tokio::test]
async fn without_access_settings_the_assertion_header_is_ignored() {
    let w = shared();
    let resp = w
        .http
        .get(w.url("/api/v1/session"))
        .header("cf-access-jwt-assertion", "eyJhbGciOiJSUzI1NiJ9.e30.c2ln")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 401);
}

//! What a request may carry: changes only from this site's own pages (or from clients that name
//! no page at all), form votes only with their page's stamp, and bodies only up to their
//! route's cap, counted while they stream. Refusals are checked against the D1 file: nothing
//! written. The tests that compare checksums, or measure workerd's memory, take turns on an
//! instance of their own.

use crate::helpers::{key, shared, Worker};
use civicrate::i18n::{messages, Lang};
use serde_json::{json, Value};
use std::io::{Read, Write};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};
use tokio::sync::{Mutex, MutexGuard};

/// An instance only these tests use, one at a time, so that its checksum and memory change
/// only by what the test in turn does.
async fn quiet() -> (&'static Worker, MutexGuard<'static, ()>) {
    static QUIET: OnceLock<Worker> = OnceLock::new();
    static TURN: Mutex<()> = Mutex::const_new(());
    let turn = TURN.lock().await;
    let w = QUIET.get_or_init(|| {
        // As `shared()`: the dev server dies with the thread that started it.
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let _ = tx.send(Worker::start(&key(1)));
            loop {
                std::thread::park();
            }
        });
        rx.recv().expect("the instance started")
    });
    (w, turn)
}

const EVIL: &str = "https://evil.example";

#[tokio::test]
async fn a_cross_site_form_vote_is_refused_with_a_localised_page() {
    let (w, _turn) = quiet().await;
    let (_, token) = w.employee_with_code("Оксана Гнатюк").await;
    // A genuine stamp too: an attacker can fetch the page and copy it into their own form.
    let stamp = w
        .page_stamp(&token, crate::helpers::unix_now() - 30)
        .unwrap();
    let before = w.checksum();
    for lang in Lang::ALL {
        for (origin, fetch_site) in [
            (Some(EVIL), Some("cross-site")),
            (Some(EVIL), None),
            (None, Some("cross-site")),
            (Some("null"), Some("cross-site")),
        ] {
            let mut req = w
                .http
                .post(w.url(&format!("/r/{token}?lang={}", lang.code())))
                .header("cf-connecting-ip", "203.0.113.40");
            if let Some(o) = origin {
                req = req.header("origin", o);
            }
            if let Some(s) = fetch_site {
                req = req.header("sec-fetch-site", s);
            }
            let resp = req
                .form(&[("score", "1"), ("t", stamp.as_str())])
                .send()
                .await
                .unwrap();
            assert_eq!(resp.status(), 403, "{lang} {origin:?} {fetch_site:?}");
            let html = resp.text().await.unwrap();
            assert!(
                html.contains(messages(lang).cross_site_heading),
                "{lang}: the page in the citizen's language"
            );
            assert!(html.contains(&format!("lang=\"{}\"", lang.code())));
        }
    }
    assert_eq!(w.checksum(), before, "nothing written");

    // The same vote from its own page counts: with its origin, or with `Origin: null`, which
    // is what a browser sends from a page under `Referrer-Policy: no-referrer` (ours). So does
    // one from a client that names no page.
    for (i, headers) in [
        vec![
            ("origin", w.base.as_str()),
            ("sec-fetch-site", "same-origin"),
        ],
        vec![("origin", "null"), ("sec-fetch-site", "same-origin")],
        vec![],
    ]
    .into_iter()
    .enumerate()
    {
        let address = format!("203.0.113.{}", 41 + i);
        let mut all = headers.clone();
        all.push(("cf-connecting-ip", address.as_str()));
        let resp = w.vote_form(&token, &all, &[("score", "3")]).await;
        assert_eq!(resp.status(), 303, "{headers:?}");
    }
    assert_ne!(w.checksum(), before);
}

#[tokio::test]
async fn a_cross_site_api_post_is_refused() {
    let (w, _turn) = quiet().await;
    let (employee, token) = w.employee_with_code("Тарас Мельничук").await;
    let unit = w.create_unit("Відділ звернень", None).await;
    let before = w.checksum();
    let refused = [
        w.http
            .post(w.url("/api/v1/votes"))
            .header("origin", EVIL)
            .json(&json!({"token": token, "score": 3})),
        w.http
            .post(w.url("/api/v1/votes"))
            .header("sec-fetch-site", "cross-site")
            .json(&json!({"token": token, "score": 3})),
        w.admin(reqwest::Method::POST, "/api/v1/admin/units")
            .header("origin", EVIL)
            .header("sec-fetch-site", "cross-site")
            .json(&json!({"name": "Підроблений відділ", "parent_id": unit})),
        w.admin(
            reqwest::Method::PATCH,
            &format!("/api/v1/admin/employees/{employee}"),
        )
        .header("origin", "null")
        .header("sec-fetch-site", "cross-site")
        .json(&json!({"name": "Інше ім'я"})),
        w.admin(
            reqwest::Method::DELETE,
            &format!("/api/v1/admin/employees/{employee}/qr"),
        )
        .header("sec-fetch-site", "cross-site"),
        w.http
            .post(w.url("/api/v1/session"))
            .header("origin", EVIL)
            .json(&json!({"email": "root@city.example", "password": crate::helpers::PASSWORD})),
        w.admin(reqwest::Method::PUT, "/api/v1/session/password")
            .header("origin", "https://127.0.0.1.evil.example")
            .json(&json!({"current": "x", "new": "y"})),
    ];
    for req in refused {
        let resp = req.send().await.unwrap();
        let url = resp.url().path().to_owned();
        assert_eq!(resp.status(), 403, "{url}");
        let body: Value = resp.json().await.unwrap();
        assert_eq!(body["error"]["code"], "cross_site", "{url}");
    }
    assert_eq!(w.checksum(), before, "nothing written");

    // Scripts send no Origin and stay allowed; so does the admin page of this very site.
    let resp = w
        .vote_from(
            "203.0.113.50",
            "Script/1",
            json!({"token": token, "score": 3}),
        )
        .await;
    assert_eq!(resp.status(), 201);
    let resp = w
        .admin(reqwest::Method::POST, "/api/v1/admin/units")
        .header("origin", &w.base)
        .header("sec-fetch-site", "same-origin")
        .json(&json!({"name": "Справжній відділ", "parent_id": unit}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 201);
}

#[tokio::test]
async fn a_form_vote_without_a_page_stamp_is_not_counted() {
    let w = shared();
    let (employee, token) = w.employee_with_code("Галина Бондар").await;
    let post = |address: &'static str, fields: Vec<(&'static str, String)>| {
        w.http
            .post(w.url(&format!("/r/{token}")))
            .header("cf-connecting-ip", address)
            .form(&fields)
            .send()
    };
    // No stamp, a forged one, one of another code: the same thank-you each time.
    let (_, other) = w.employee_with_code("Інший працівник").await;
    let foreign = w
        .page_stamp(&other, crate::helpers::unix_now() - 30)
        .unwrap();
    for (address, stamp) in [
        ("203.0.113.60", None),
        (
            "203.0.113.61",
            Some("1700000000.0123456789abcdef".to_owned()),
        ),
        ("203.0.113.62", Some(foreign)),
    ] {
        let mut fields = vec![("score", "1".to_owned())];
        if let Some(s) = stamp {
            fields.push(("t", s));
        }
        let resp = post(address, fields).await.unwrap();
        assert_eq!(resp.status(), 303, "{address}");
        assert!(resp.headers()["location"]
            .to_str()
            .unwrap()
            .starts_with("/thanks?"));
    }
    // From the page, read for a while: counted. A JSON vote has no page and no stamp.
    let resp = w
        .vote_form(
            &token,
            &[("cf-connecting-ip", "203.0.113.63")],
            &[("score", "3")],
        )
        .await;
    assert_eq!(resp.status(), 303);
    let resp = w
        .vote_from("203.0.113.64", "App/1", json!({"token": token, "score": 3}))
        .await;
    assert_eq!(resp.status(), 201);

    let rows: Vec<(String, Option<String>)> = w
        .db()
        .prepare("SELECT status, flag_reason FROM votes WHERE employee_id = ?1 ORDER BY id")
        .unwrap()
        .query_map([employee], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    let no_stamp = ("flagged".to_owned(), Some("no_stamp".to_owned()));
    let counted = ("counted".to_owned(), None);
    assert_eq!(
        rows,
        vec![
            no_stamp.clone(),
            no_stamp.clone(),
            no_stamp,
            counted.clone(),
            counted
        ]
    );
    let summary = w.summary(employee).await;
    assert_eq!(
        (summary["votes"].as_i64(), summary["excluded"].as_i64()),
        (Some(2), Some(3))
    );
}

/// What a chunked upload saw: the answer's status, how much had been sent when it arrived and
/// how long that took.
#[derive(Debug)]
struct Upload {
    status: u16,
    sent_before_answer: u64,
    took: Duration,
    /// The answer's head and as much of its body as came within a second.
    answer: String,
}

/// POSTs `total` bytes to `path` with `Transfer-Encoding: chunked` (no `Content-Length`): one
/// chunk of `prefix`, then chunks of `chunk` bytes of `filler`, made lazily, on a raw socket.
/// Sending stops as soon as the answer's head arrives.
fn post_chunked(
    authority: &str,
    path: &str,
    headers: &[(&str, &str)],
    prefix: &[u8],
    (filler, chunk): (u8, usize),
    total: u64,
) -> Upload {
    let mut out = std::net::TcpStream::connect(authority).expect("connect");
    let mut input = out.try_clone().expect("clone");
    input
        .set_read_timeout(Some(Duration::from_secs(120)))
        .unwrap();
    let sent = Arc::new(AtomicU64::new(0));
    let answered = Arc::new(AtomicBool::new(false));
    let mut head = format!("POST {path} HTTP/1.1\r\nHost: {authority}\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n");
    for (name, value) in headers {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    head.push_str("\r\n");
    let started = Instant::now();
    let writer = {
        let (sent, answered, prefix) = (sent.clone(), answered.clone(), prefix.to_vec());
        std::thread::spawn(move || {
            if out.write_all(head.as_bytes()).is_err() {
                return;
            }
            let filler = vec![filler; chunk];
            let mut first = Some(prefix);
            while sent.load(Ordering::SeqCst) < total && !answered.load(Ordering::SeqCst) {
                let chunk = first.take().unwrap_or_else(|| filler.clone());
                let frame = [format!("{:x}\r\n", chunk.len()).as_bytes(), &chunk, b"\r\n"].concat();
                if out.write_all(&frame).is_err() {
                    return;
                }
                sent.fetch_add(chunk.len() as u64, Ordering::SeqCst);
            }
            let _ = out.write_all(b"0\r\n\r\n");
        })
    };
    let mut data = Vec::new();
    let mut buf = [0u8; 4096];
    let mut sent_before_answer = u64::MAX;
    while !data.windows(4).any(|w| w == b"\r\n\r\n") {
        match input.read(&mut buf) {
            Ok(0) | Err(_) => break,
            Ok(n) => data.extend_from_slice(&buf[..n]),
        }
        if sent_before_answer == u64::MAX && data.starts_with(b"HTTP/") {
            sent_before_answer = sent.load(Ordering::SeqCst);
        }
    }
    answered.store(true, Ordering::SeqCst);
    let took = started.elapsed();
    let _ = input.set_read_timeout(Some(Duration::from_secs(1)));
    while let Ok(n @ 1..) = input.read(&mut buf) {
        data.extend_from_slice(&buf[..n]);
    }
    let _ = input.shutdown(std::net::Shutdown::Both);
    let _ = writer.join();
    let status = String::from_utf8_lossy(&data)
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    Upload {
        status,
        sent_before_answer,
        took,
        answer: String::from_utf8_lossy(&data).into_owned(),
    }
}

/// The workerd processes below the instance's `wrangler dev`, with their `/proc` status.
fn workerd_processes(w: &Worker) -> Vec<(u32, String)> {
    let root = w.pid().expect("running");
    let parent_of = |pid: u32| -> Option<u32> {
        let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
        stat.rsplit_once(')')?
            .1
            .split_whitespace()
            .nth(1)?
            .parse()
            .ok()
    };
    let mut found = Vec::new();
    for entry in std::fs::read_dir("/proc").unwrap().flatten() {
        let Some(pid) = entry
            .file_name()
            .to_str()
            .and_then(|p| p.parse::<u32>().ok())
        else {
            continue;
        };
        let Ok(status) = std::fs::read_to_string(format!("/proc/{pid}/status")) else {
            continue;
        };
        if !status.lines().any(|l| l == "Name:\tworkerd") {
            continue;
        }
        let mut p = pid;
        let below = std::iter::from_fn(|| {
            p = parent_of(p)?;
            Some(p)
        })
        .take(16)
        .any(|a| a == root);
        if below {
            found.push((pid, status));
        }
    }
    found
}

/// The worker's own address, behind `wrangler dev`'s proxy. That proxy hands a response on
/// only once it has forwarded the whole request body, and answers 503 when the worker answers
/// before; in production no such proxy stands in front of the worker. Found among the
/// loopback ports workerd listens on: the one, other than the proxy's, that answers `/healthz`.
fn direct_authority(w: &Worker) -> String {
    let sockets: Vec<String> = workerd_processes(w)
        .iter()
        .flat_map(|(pid, _)| {
            std::fs::read_dir(format!("/proc/{pid}/fd"))
                .into_iter()
                .flatten()
                .flatten()
                .filter_map(|fd| std::fs::read_link(fd.path()).ok())
                .filter_map(|l| {
                    let l = l.to_string_lossy().into_owned();
                    Some(l.strip_prefix("socket:[")?.strip_suffix(']')?.to_owned())
                })
                .collect::<Vec<_>>()
        })
        .collect();
    let table = std::fs::read_to_string("/proc/net/tcp").unwrap_or_default();
    let proxy = w.base.trim_start_matches("http://").to_owned();
    let listening: Vec<String> = table
        .lines()
        .skip(1)
        .filter_map(|line| {
            let f: Vec<&str> = line.split_whitespace().collect();
            let (addr, port) = f.get(1)?.split_once(':')?;
            // Listening (0A) on 127.0.0.1, on one of workerd's sockets.
            let ours = addr == "0100007F"
                && f.get(3) == Some(&"0A")
                && sockets.iter().any(|s| f.get(9) == Some(&s.as_str()));
            ours.then(|| Some(format!("127.0.0.1:{}", u16::from_str_radix(port, 16).ok()?)))?
        })
        .filter(|a| *a != proxy)
        .collect();
    listening
        .iter()
        .find(|a| healthz(a))
        .cloned()
        .unwrap_or_else(|| panic!("no worker among {listening:?}"))
}

/// Whether `GET /healthz` on `authority` answers 200 within 10 s (a second can be too short on
/// a loaded machine, and the worker's own address would then be missed).
fn healthz(authority: &str) -> bool {
    let Ok(mut s) = std::net::TcpStream::connect(authority) else {
        return false;
    };
    let _ = s.set_read_timeout(Some(Duration::from_secs(10)));
    if write!(
        s,
        "GET /healthz HTTP/1.1\r\nHost: {authority}\r\nConnection: close\r\n\r\n"
    )
    .is_err()
    {
        return false;
    }
    let mut head = [0u8; 12];
    s.read_exact(&mut head).is_ok() && head.starts_with(b"HTTP/1.1 200")
}

/// workerd's resident memory now and at its peak (kB), summed over the workerd processes
/// below the instance's `wrangler dev`.
fn workerd_memory(w: &Worker) -> (u64, u64) {
    let mut total = (0, 0);
    for (_, status) in workerd_processes(w) {
        let kb = |field: &str| -> u64 {
            status
                .lines()
                .find_map(|l| l.strip_prefix(field))
                .and_then(|v| v.split_whitespace().next()?.parse().ok())
                .unwrap_or(0)
        };
        total.0 += kb("VmRSS:");
        total.1 += kb("VmHWM:");
    }
    total
}

/// 256 MiB by default: past anything a route accepts, and twice a worker's 128 MB.
/// `OVERSIZED_UPLOAD_MIB` changes it for a measurement.
fn huge() -> u64 {
    std::env::var("OVERSIZED_UPLOAD_MIB")
        .ok()
        .and_then(|v| v.parse::<u64>().ok())
        .unwrap_or(256)
        * 1024
        * 1024
}

#[tokio::test]
async fn a_chunked_oversized_body_is_refused_while_it_streams() {
    let (w, _turn) = quiet().await;
    let (_, token) = w.employee_with_code("Богдан Савчук").await;
    let unit = w.create_unit("Відділ кадрів", None).await;
    let bearer = format!("Bearer {}", w.admin_token);
    let vote_prefix = format!(r#"{{"token":"{token}","score":3,"comment":""#).into_bytes();
    let import = format!("/api/v1/admin/import?unit={unit}&dry_run=false");
    let form = format!("/r/{token}");
    let cases = [
        (
            "JSON vote",
            "/api/v1/votes",
            vec![("Content-Type", "application/json")],
            vote_prefix,
        ),
        (
            "form vote",
            form.as_str(),
            vec![("Content-Type", "application/x-www-form-urlencoded")],
            b"score=3&comment=".to_vec(),
        ),
        (
            "CSV import",
            import.as_str(),
            vec![("Content-Type", "text/csv"), ("Authorization", &bearer)],
            b"name,position,unit\n".to_vec(),
        ),
    ];
    let direct = direct_authority(w);
    let huge = huge();
    let before = w.checksum();
    for (name, path, headers, prefix) in cases {
        let (rss_before, peak_before) = workerd_memory(w);
        let up = post_chunked(&direct, path, &headers, &prefix, (b'a', 64 * 1024), huge);
        let (rss_after, peak_after) = workerd_memory(w);
        println!(
            "{name}: {} after {:?} with {} of {huge} bytes sent; workerd RSS {rss_before} kB -> {rss_after} kB, peak {peak_before} kB -> {peak_after} kB",
            up.status, up.took, up.sent_before_answer
        );
        assert_eq!(up.status, 413, "{name}: {up:?}");
        if !name.starts_with("form") {
            assert!(up.answer.contains("payload_too_large"), "{}", up.answer);
        }
        // The answer comes while the upload has barely begun: what was sent by then is what
        // the sockets' buffers hold, not what the worker read.
        assert!(
            up.sent_before_answer < huge / 16,
            "{name}: the answer waited for {} bytes",
            up.sent_before_answer
        );
        assert!(
            peak_after.saturating_sub(peak_before) < 64 * 1024,
            "{name}: workerd's peak memory grew from {peak_before} kB to {peak_after} kB"
        );
    }
    assert_eq!(w.checksum(), before, "nothing written");
}

#[tokio::test]
async fn a_chunked_body_under_its_cap_is_read_whole() {
    let w = shared();
    let (employee, token) = w.employee_with_code("Зоя Кравець").await;
    let body = format!(
        r#"{{"token":"{token}","score":3,"comment":"{}"}}"#,
        "ж".repeat(900)
    );
    // The JSON, then ten chunks of 1 KiB of the whitespace JSON allows after it: 12 KiB in
    // eleven chunks, under the vote's cap of 20 KiB.
    let up = post_chunked(
        w.base.trim_start_matches("http://"),
        "/api/v1/votes",
        &[
            ("Content-Type", "application/json"),
            ("cf-connecting-ip", "203.0.113.70"),
        ],
        body.as_bytes(),
        (b' ', 1024),
        body.len() as u64 + 10 * 1024,
    );
    assert_eq!(up.status, 201, "{up:?}");
    assert_eq!(w.votes_of(employee), 1);
}

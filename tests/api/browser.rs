//! The vote page in a real browser: Debian's headless Chromium driven through chromedriver's
//! WebDriver protocol (plain JSON over HTTP). Screenshots are kept in target/e2e/artifacts.

use crate::helpers::{project_dir, shared};
use base64::Engine;
use serde_json::{json, Value};
use std::os::unix::process::CommandExt;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const ARROW_RIGHT: &str = "\u{E014}";

struct Browser {
    driver: Child,
    base: String,
    session: String,
    http: reqwest::Client,
}

impl Browser {
    async fn start() -> Browser {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let mut cmd = Command::new("chromedriver");
        cmd.arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            // Its own process group, so that Drop ends chromedriver and the browsers it started.
            .process_group(0);
        // SAFETY: prctl is async-signal-safe; the driver dies with the test binary.
        unsafe {
            cmd.pre_exec(|| {
                libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGTERM);
                Ok(())
            });
        }
        let driver = cmd
            .spawn()
            .expect("chromedriver (Debian package chromium-driver; `make test` installs it)");
        let base = format!("http://127.0.0.1:{port}");
        let http = reqwest::Client::new();
        // Generous: four tests start a driver at once on a loaded two-core CI machine.
        let deadline = Instant::now() + Duration::from_secs(60);
        while http.get(format!("{base}/status")).send().await.is_err() {
            assert!(Instant::now() < deadline, "chromedriver did not start");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        let profile = project_dir().join(format!("target/e2e/chromium-{port}"));
        let caps = json!({"capabilities": {"alwaysMatch": {"browserName": "chrome", "goog:chromeOptions": {
            "binary": "/usr/bin/chromium",
            "args": ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                     "--disable-dev-shm-usage", "--no-first-run", "--disable-component-update", "--disable-sync",
                     "--window-size=390,844", format!("--user-data-dir={}", profile.display())]
        }}}});
        let resp: Value = http
            .post(format!("{base}/session"))
            .json(&caps)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let session = resp["value"]["sessionId"]
            .as_str()
            .unwrap_or_else(|| panic!("no session: {resp}"))
            .to_owned();
        Browser {
            driver,
            base,
            session,
            http,
        }
    }

    async fn cmd(&self, method: reqwest::Method, path: &str, body: Option<Value>) -> Value {
        let url = format!("{}/session/{}{path}", self.base, self.session);
        let mut req = self.http.request(method, url);
        if let Some(b) = body {
            req = req.json(&b);
        }
        let v: Value = req.send().await.unwrap().json().await.unwrap();
        assert!(v["value"].get("error").is_none(), "{path}: {v}");
        v["value"].clone()
    }

    async fn go(&self, url: &str) {
        self.cmd(reqwest::Method::POST, "/url", Some(json!({"url": url})))
            .await;
    }

    async fn find(&self, css: &str) -> String {
        let v = self
            .cmd(
                reqwest::Method::POST,
                "/element",
                Some(json!({"using": "css selector", "value": css})),
            )
            .await;
        v.as_object()
            .and_then(|o| o.values().next())
            .and_then(|id| id.as_str())
            .unwrap()
            .to_owned()
    }

    async fn click(&self, element: &str) {
        self.cmd(
            reqwest::Method::POST,
            &format!("/element/{element}/click"),
            Some(json!({})),
        )
        .await;
    }

    async fn keys(&self, element: &str, text: &str) {
        self.cmd(
            reqwest::Method::POST,
            &format!("/element/{element}/value"),
            Some(json!({"text": text})),
        )
        .await;
    }

    async fn eval(&self, script: &str) -> Value {
        self.cmd(
            reqwest::Method::POST,
            "/execute/sync",
            Some(json!({"script": script, "args": []})),
        )
        .await
    }

    async fn screenshot(&self, name: &str) {
        let png = self.cmd(reqwest::Method::GET, "/screenshot", None).await;
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(png.as_str().unwrap())
            .unwrap();
        let dir = project_dir().join("target/e2e/artifacts");
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join(format!("{name}.png")), bytes).unwrap();
    }
}

impl Browser {
    /// Ends the session, which closes the browser.
    async fn quit(&self) {
        let _ = self
            .http
            .delete(format!("{}/session/{}", self.base, self.session))
            .send()
            .await;
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        // SAFETY: plain kill(2) on the process group made at spawn.
        unsafe {
            libc::kill(-(self.driver.id() as i32), libc::SIGKILL);
        }
        let _ = self.driver.wait();
    }
}

#[tokio::test]
async fn a_citizen_votes_with_the_keyboard_in_a_real_browser() {
    let w = shared();
    let (employee, token) = w.employee_with_code("Оксана Литвин").await;
    let b = Browser::start().await;

    b.go(&w.url(&format!("/r/{token}?lang=uk"))).await;
    b.screenshot("vote-uk").await;
    assert_eq!(b.eval("return document.documentElement.dir").await, "ltr");
    // One radio group: Space chooses the focused level and → moves to the next one.
    let first = b.find("input[name=score][value='1']").await;
    b.keys(&first, " ").await;
    assert_eq!(
        b.eval("return document.querySelector('input[name=score]:checked')?.value ?? null")
            .await,
        "1"
    );
    b.keys(&first, ARROW_RIGHT).await;
    assert_eq!(
        b.eval("return document.querySelector('input[name=score]:checked')?.value ?? null")
            .await,
        "2"
    );
    // Targets are at least 44 px.
    let smallest = b.eval("return Math.min(...[...document.querySelectorAll('input[name=score]')].map(r => { const l = r.closest('label') || document.querySelector(`label[for='${r.id}']`); const b = l.getBoundingClientRect(); return Math.min(b.width, b.height); }))").await;
    assert!(
        smallest.as_f64().unwrap() >= 44.0,
        "rating targets are {smallest} px"
    );

    let comment = b.find("textarea[name=comment]").await;
    b.keys(&comment, "Швидко і ввічливо").await;
    b.click(&b.find("form button, form [type=submit]").await)
        .await;
    let deadline = Instant::now() + Duration::from_secs(30);
    while !b
        .eval("return location.pathname")
        .await
        .as_str()
        .unwrap_or("")
        .starts_with("/thanks")
    {
        assert!(Instant::now() < deadline, "no thank-you page after Send");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let text = b.eval("return document.body.innerText").await;
    assert!(text.as_str().unwrap().contains("Дякуємо за Ваш голос!"));
    b.screenshot("thanks-uk").await;
    assert_eq!(w.votes_of(employee), 1);
    let comment: String = w
        .db()
        .query_row(
            "SELECT comment FROM votes WHERE employee_id = ?1",
            [employee],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(comment, "Швидко і ввічливо");
    // The page's form carries its signed serving time: the vote is not flagged as sent
    // without its page.
    let reason: Option<String> = w
        .db()
        .query_row(
            "SELECT flag_reason FROM votes WHERE employee_id = ?1",
            [employee],
            |r| r.get(0),
        )
        .unwrap();
    assert_ne!(reason.as_deref(), Some("no_stamp"));

    b.go(&w.url(&format!("/r/{token}?lang=fa"))).await;
    assert_eq!(
        b.eval("return getComputedStyle(document.documentElement).direction")
            .await,
        "rtl"
    );
    assert_eq!(
        b.eval("return getComputedStyle(document.querySelector('input[name=contact]')).direction")
            .await,
        "ltr"
    );
    b.screenshot("vote-fa").await;
    b.quit().await;
}

impl Browser {
    /// Waits until `script` returns something truthy (the admin page renders after fetches).
    async fn wait_for(&self, script: &str, what: &str) -> Value {
        // A render after a fetch takes well under a second; 30 s leaves room for a loaded
        // two-core CI machine running four tests at once.
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let v = self.eval(script).await;
            if !(v.is_null() || v == false || v == "") {
                return v;
            }
            assert!(Instant::now() < deadline, "timed out waiting for {what}");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    async fn fill(&self, testid: &str, text: &str) {
        let e = self.find(&format!("[data-testid='{testid}']")).await;
        self.keys(&e, text).await;
    }

    /// Signs in through a fresh superadmin invitation and waits for the unit tree.
    async fn accept_invitation(&self, w: &crate::helpers::Worker, email: &str) {
        let invitation = w.invite(email, "superadmin", None).await;
        self.go(&w.url(&format!("/admin/#/invite/{invitation}")))
            .await;
        self.wait_for(
            "return document.querySelector(\"[data-testid='accept']\")",
            "the invitation form",
        )
        .await;
        self.fill("new-password", "каштани цвітуть у травні").await;
        self.fill("new-password-2", "каштани цвітуть у травні")
            .await;
        self.press("accept").await;
        self.wait_for(
            "return document.querySelector(\"[data-testid='add-unit']\")",
            "the unit tree",
        )
        .await;
    }

    /// The page printed by Chromium to PDF on a sheet of `width_cm` × `height_cm`.
    async fn print_pdf(&self, width_cm: f64, height_cm: f64) -> Vec<u8> {
        let pdf = self
            .cmd(
                reqwest::Method::POST,
                "/print",
                Some(json!({"page": {"width": width_cm, "height": height_cm},
                    "margin": {"top": 0, "bottom": 0, "left": 0, "right": 0}, "background": true})),
            )
            .await;
        base64::engine::general_purpose::STANDARD
            .decode(pdf.as_str().unwrap())
            .unwrap()
    }

    async fn press(&self, testid: &str) {
        let e = self.find(&format!("[data-testid='{testid}']")).await;
        self.click(&e).await;
    }
}

#[tokio::test]
async fn an_invited_admin_builds_a_unit_issues_a_code_and_prints_a_poster() {
    let w = shared();
    let invitation = w.invite("browser@city.example", "superadmin", None).await;
    let b = Browser::start().await;
    b.go(&w.url(&format!("/admin/#/invite/{invitation}"))).await;
    b.wait_for(
        "return document.querySelector(\"[data-testid='accept']\")",
        "the invitation form",
    )
    .await;
    b.fill("new-password", "липи пахнуть у червні").await;
    b.fill("new-password-2", "липи пахнуть у червні").await;
    b.press("accept").await;
    b.wait_for(
        "return document.querySelector(\"[data-testid='add-unit']\")",
        "the unit tree",
    )
    .await;
    b.screenshot("admin-tree").await;

    b.fill("add-unit-name", "<img src=x onerror=alert(1)> ЦНАП")
        .await;
    b.press("add-unit").await;
    b.wait_for("return location.hash.startsWith('#/units/') && document.querySelector(\"[data-testid='add-employee']\")", "the unit page")
        .await;
    // A name with markup is shown as text, never run.
    let title = b
        .eval("return document.querySelector('h1').textContent")
        .await;
    assert_eq!(title, "<img src=x onerror=alert(1)> ЦНАП");
    assert_eq!(
        b.eval("return document.querySelectorAll('main img').length")
            .await,
        0
    );

    b.fill("add-employee-name", "Олена Петренко").await;
    b.fill("add-employee-position", "Адміністратор ЦНАП").await;
    b.press("add-employee").await;
    b.wait_for("return location.hash.startsWith('#/employees/') && document.querySelector(\"[data-testid='issue-qr']\")", "the employee page")
        .await;
    b.press("issue-qr").await;
    b.wait_for("const i = document.querySelector(\"[data-testid='qr-image']\"); return i && i.complete && i.naturalWidth > 0", "the QR image")
        .await;
    b.screenshot("admin-employee").await;
    let poster = b
        .eval("return document.querySelector(\"[data-testid='poster-a5']\").getAttribute('href')")
        .await;
    b.go(&w.url(poster.as_str().unwrap())).await;
    b.wait_for("return document.querySelector('.poster svg')", "the poster")
        .await;
    let name = b
        .eval("return document.querySelector('.poster .name').textContent")
        .await;
    assert_eq!(name, "Олена Петренко");
    b.screenshot("poster-a5").await;
    let employee: i64 =
        w.count("SELECT id FROM employees WHERE name = 'Олена Петренко' ORDER BY id DESC LIMIT 1");
    assert_eq!(
        w.count(&format!(
            "SELECT COUNT(*) FROM qr_codes WHERE employee_id = {employee} AND revoked_at IS NULL"
        )),
        1
    );
    b.quit().await;
}

/// Pages in a PDF as Chromium writes it: one `/Type /Page` object per sheet.
fn pdf_pages(pdf: &[u8]) -> usize {
    let text = String::from_utf8_lossy(pdf);
    text.matches("/Type /Page").count() - text.matches("/Type /Pages").count()
}

fn artefact(name: &str, bytes: &[u8]) -> std::path::PathBuf {
    let dir = project_dir().join("target/e2e/artifacts");
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(name);
    std::fs::write(&path, bytes).unwrap();
    path
}

#[tokio::test]
async fn an_admin_prints_a_whole_unit_imports_a_csv_invites_and_reads_the_audit_log() {
    let w = shared();
    let unit = w.create_unit("ЦНАП Печерського району", None).await;
    for (name, position) in [
        ("Оксана Мельник", "Адміністратор"),
        ("Тарас Бойко", "Головний спеціаліст"),
        ("Зоряна Ткачук", "Начальник відділу"),
    ] {
        let e = w.create_employee(name, position, unit).await;
        w.issue_code(e).await;
    }
    let b = Browser::start().await;
    b.accept_invitation(w, "printer@city.example").await;

    // Batch printing: one poster per employee, and the print CSS puts each on its own sheet.
    b.go(&w.url(&format!("/admin/#/units/{unit}"))).await;
    let href = b
        .wait_for(
            "const a = document.querySelector(\"[data-testid='unit-posters']\"); return a && a.getAttribute('href')",
            "the unit page",
        )
        .await;
    b.screenshot("admin-unit").await;
    b.go(&w.url(href.as_str().unwrap())).await;
    b.wait_for(
        "return document.querySelectorAll('.poster svg').length === 3",
        "three posters",
    )
    .await;
    b.screenshot("posters-unit-a5").await;
    let pdf = b.print_pdf(14.8, 21.0).await;
    artefact("posters-unit-a5.pdf", &pdf);
    assert_eq!(pdf_pages(&pdf), 3, "one A5 sheet per employee");

    // Import: a file with a broken row writes nothing and says which line is wrong.
    let broken = artefact(
        "import-broken.csv",
        format!(
            "employee_id;name;position;unit_id;active\n\
             ;Ірина Бондар;Спеціаліст;{unit};так\n\
             ;;Спеціаліст;{unit};так\n"
        )
        .as_bytes(),
    );
    let before = w.count(&format!(
        "SELECT COUNT(*) FROM employees WHERE unit_id = {unit}"
    ));
    b.go(&w.url(&format!("/admin/#/units/{unit}/import"))).await;
    b.wait_for(
        "return document.querySelector(\"[data-testid='import-check']\")",
        "the import page",
    )
    .await;
    b.fill("import-file", broken.to_str().unwrap()).await;
    b.press("import-check").await;
    b.wait_for(
        "return document.querySelector(\"[data-testid='import-report'] table\")",
        "the error report",
    )
    .await;
    b.screenshot("admin-import-errors").await;
    let report = b
        .eval("return document.querySelector(\"[data-testid='import-report']\").textContent")
        .await;
    assert!(
        report.as_str().unwrap().contains('3'),
        "line 3 is named: {report}"
    );
    assert_eq!(
        b.eval("return document.querySelector(\"[data-testid='import-apply']\") === null")
            .await,
        true
    );
    assert_eq!(
        w.count(&format!(
            "SELECT COUNT(*) FROM employees WHERE unit_id = {unit}"
        )),
        before
    );

    // The corrected file: a dry run first, then applied.
    let fixed = artefact(
        "import-fixed.csv",
        format!("\u{feff}employee_id,name,position,unit_id,active\r\n,Ірина Бондар,Спеціаліст,{unit},так\r\n,\"Коваль, Андрій\",Адміністратор,{unit},так\r\n").as_bytes(),
    );
    b.fill("import-file", fixed.to_str().unwrap()).await;
    b.press("import-check").await;
    b.wait_for(
        "return document.querySelector(\"[data-testid='import-apply']\")",
        "the apply button",
    )
    .await;
    assert_eq!(
        w.count(&format!(
            "SELECT COUNT(*) FROM employees WHERE unit_id = {unit}"
        )),
        before,
        "a dry run writes nothing"
    );
    b.press("import-apply").await;
    b.wait_for(
        "return document.querySelector(\"[data-testid='import-report'] .ok\")",
        "the applied report",
    )
    .await;
    b.screenshot("admin-import-applied").await;
    assert_eq!(
        w.count(&format!(
            "SELECT COUNT(*) FROM employees WHERE unit_id = {unit}"
        )),
        before + 2
    );
    assert_eq!(
        w.count(&format!(
            "SELECT COUNT(*) FROM employees WHERE unit_id = {unit} AND name = 'Коваль, Андрій'"
        )),
        1
    );

    // Accounts: an invitation link for a viewer of this unit.
    b.go(&w.url("/admin/#/accounts")).await;
    b.wait_for(
        "return document.querySelector(\"[data-testid='invite']\")",
        "the accounts page",
    )
    .await;
    b.fill("invite-email", "viewer.pechersk@city.example").await;
    b.eval(&format!(
        "const s = document.querySelector(\"[data-testid='invite-unit']\"); s.value = '{unit}'; return s.value"
    ))
    .await;
    b.press("invite").await;
    let link = b
        .wait_for("const c = document.querySelector(\"[data-testid='invite-link']\"); return c && c.textContent", "the invitation link")
        .await;
    assert!(
        link.as_str().unwrap().contains("/admin/#/invite/"),
        "{link}"
    );
    b.screenshot("admin-accounts").await;

    // The audit log shows the import and the invitation, newest first, as text.
    b.go(&w.url("/admin/#/audit")).await;
    b.wait_for(
        "return document.querySelectorAll(\"[data-testid='audit-row']\").length > 0",
        "the audit log",
    )
    .await;
    let log = b
        .eval("return document.querySelector('main table').textContent")
        .await;
    assert!(log.as_str().unwrap().contains("CSV"), "{log}");
    assert!(
        b.eval("return !!document.querySelector(\"[data-testid='audit-row'][data-action='import_applied']\")")
            .await
            == json!(true)
    );
    b.screenshot("admin-audit").await;

    // Signing keys, and the whole page in Persian, right to left.
    b.go(&w.url("/admin/#/keys")).await;
    b.wait_for(
        "return document.querySelector(\"[data-testid='key-row']\")",
        "the keys page",
    )
    .await;
    b.screenshot("admin-keys").await;
    // The scale screen shows the instance's levels, editable by this superadmin (adding a
    // criterion here would change every vote page of the shared worker: tests/api/criteria.rs
    // covers that on workers of their own).
    b.go(&w.url("/admin/#/scale")).await;
    b.wait_for(
        "return document.querySelectorAll(\"[data-testid='level-row']\").length >= 2 && document.querySelector(\"[data-testid='save-scale']\")",
        "the scale screen",
    )
    .await;
    b.screenshot("admin-scale").await;
    b.eval("localStorage.setItem('civicrate.lang', 'fa'); return true")
        .await;
    b.go(&w.url(&format!("/admin/?r=fa#/units/{unit}"))).await;
    b.wait_for("return document.documentElement.dir === 'rtl' && document.querySelector(\"[data-testid='unit-posters']\")", "the Persian unit page")
        .await;
    b.screenshot("admin-unit-fa").await;
    b.quit().await;
}

#[tokio::test]
async fn a_manager_drills_down_from_the_region_to_one_person_in_a_real_browser() {
    use crate::results::{cron, first_of_last_month, insert, sample_votes, tree, HOURLY};
    let w = &crate::helpers::Worker::start(&crate::helpers::key(1));
    let t = tree(w).await;
    insert(w, &sample_votes(&t));
    // Every counted vote of the clerk also rated the waiting time at the lowest level.
    let made = w
        .admin(reqwest::Method::POST, "/api/v1/admin/criteria")
        .json(&serde_json::json!({"code": "waiting_time", "labels": {"uk": "Час очікування", "en": "Waiting time"}}))
        .send()
        .await
        .unwrap();
    assert_eq!(made.status(), 201);
    let waiting = made.json::<Value>().await.unwrap()["id"].as_i64().unwrap();
    w.db()
        .execute(
            &format!("INSERT INTO vote_criteria (vote_id, criterion_id, score) SELECT id, {waiting}, 1 FROM votes WHERE employee_id = {} AND status = 'counted'", t.clerk),
            [],
        )
        .unwrap();
    cron(w, HOURLY).await;
    let b = Browser::start().await;
    b.accept_invitation(w, "head-of-region@city.example").await;
    let month = format!("period=month&date={}", first_of_last_month());

    // One top unit: the results start at the region.
    b.go(&w.url("/admin/#/results")).await;
    // Drawn, not only addressed: a render still on its way would land after the month's below
    // and leave the default period on the screen.
    b.wait_for(
        &format!(
            "return location.hash.startsWith('#/results/units/{}') && document.querySelector(\"[data-testid='total-votes']\")",
            t.region
        ),
        "the region's results",
    )
    .await;
    b.go(&w.url(&format!("/admin/#/results/units/{}?{month}", t.region)))
        .await;
    b.wait_for(
        "const v = document.querySelector(\"[data-testid='total-votes']\"); return v && v.textContent.startsWith('15')",
        "the region's 15 counted votes",
    )
    .await;
    let bars = b
        .eval("return document.querySelectorAll(\"[data-testid='trend'] rect\").length")
        .await;
    assert!(bars.as_u64().unwrap() >= 28, "a bar per day of the month");
    b.screenshot("results-region").await;
    // A menu without the superadmin's items, and no "null" where they were left out.
    let menu = b
        .eval("return document.getElementById('menu').textContent")
        .await;
    assert!(!menu.as_str().unwrap().contains("null"), "{menu}");
    // Nor as a text of its own in the page (a message not set was once printed as "null").
    let stray = b
        .eval("return [...document.querySelector('main').childNodes].filter((n) => n.nodeType === 3 && n.textContent.trim() === 'null').length")
        .await;
    assert_eq!(stray, 0, "a stray 'null' under the heading");

    // A month without a report (one not begun) is said in the page's language, not opened as
    // JSON. (The current month has one now, month to date: `month_to_date`.)
    b.eval("const m = document.querySelector('input[type=month]'); m.value = '2099-01'; document.querySelector(\"[data-testid='monthly-csv']\").click(); return true")
        .await;
    b.wait_for(
        "const m = document.querySelector(\"[data-testid='monthly-message']\"); return m && m.getAttribute('role') === 'alert' && m.textContent.startsWith('There is no report for ')",
        "the page's message for a month without a report",
    )
    .await;

    // Drill down: region → city → hall → the clerk, one click each.
    for (name, what) in [
        ("Місто", "the city"),
        ("Зал обслуговування", "the hall"),
        ("Олена Коваль", "the clerk"),
    ] {
        b.wait_for(
            &format!("return [...document.querySelectorAll(\"[data-testid='ranked-row'] a\")].find((a) => a.textContent === '{name}')"),
            what,
        )
        .await;
        b.eval(&format!(
            "[...document.querySelectorAll(\"[data-testid='ranked-row'] a\")].find((a) => a.textContent === '{name}').click(); return true"
        ))
        .await;
        b.wait_for(
            &format!("return document.querySelector('h1').textContent.endsWith('{name}') && document.querySelector(\"[data-testid='total-votes']\")"),
            what,
        )
        .await;
    }
    let votes = b
        .eval("return document.querySelector(\"[data-testid='total-votes']\").textContent")
        .await;
    assert!(votes.as_str().unwrap().starts_with("13"), "{votes}");
    // The extra criteria beside the score: the clerk's 13 waiting-time ratings, all at the
    // lowest level.
    let criteria = b
        .wait_for(
            "const r = document.querySelector(\"[data-testid='criteria-results'] [data-testid='criterion-row']\"); return r && [...r.children].map((c) => c.textContent).join('|')",
            "the criteria results",
        )
        .await;
    assert!(
        criteria
            .as_str()
            .unwrap()
            .starts_with("Waiting time|13|1.00|13|0|"),
        "{criteria}"
    );
    // The way back up is a list of links with separators that screen readers skip.
    let crumbs = b
        .eval("return [...document.querySelectorAll('.breadcrumb li')].map((li) => li.textContent).join('|')")
        .await;
    assert_eq!(
        crumbs.as_str().unwrap(),
        "Область|›Місто|›Зал обслуговування"
    );
    let hidden = b
        .eval("return [...document.querySelectorAll('.breadcrumb .sep')].every((s) => s.getAttribute('aria-hidden') === 'true')")
        .await;
    assert_eq!(hidden, true);
    b.wait_for(
        "return [...document.querySelectorAll(\"[data-testid='comment']\")].some((c) => c.textContent.includes('Довго чекала'))",
        "the clerk's comment",
    )
    .await;
    b.screenshot("results-employee").await;

    // In Persian: Solar Hijri dates and Persian digits, right to left.
    b.eval("localStorage.setItem('civicrate.lang', 'fa'); location.reload(); return true")
        .await;
    b.wait_for(
        "const v = document.querySelector(\"[data-testid='total-votes']\"); return document.dir === 'rtl' && v && v.textContent.startsWith('۱۳')",
        "Persian digits",
    )
    .await;
    let text = b
        .eval("return document.querySelector('main').textContent")
        .await;
    assert!(
        text.as_str().unwrap().contains("۱۴۰"),
        "a Solar Hijri year (14xx)"
    );
    b.screenshot("results-fa").await;
    b.quit().await;
}

#[tokio::test]
async fn a_manager_files_an_appeal_from_the_inbox_and_another_admin_upholds_one() {
    use crate::results::{cron, insert, sample_votes, tree, HOURLY};
    let w = &crate::helpers::Worker::start(&crate::helpers::key(1));
    let t = tree(w).await;
    let mut votes = sample_votes(&t);
    // A second vote with a comment, so that the inbox holds two cases.
    votes.push(crate::results::commented(
        t.clerk,
        t.hall,
        1,
        "Грубо відповіли",
    ));
    insert(w, &votes);
    cron(w, HOURLY).await;
    let cases: Vec<i64> = {
        let db = w.db();
        // As the inbox lists them: newest first.
        let mut stmt = db
            .prepare("SELECT vote_id FROM cases ORDER BY vote_id DESC")
            .unwrap();
        stmt.query_map([], |r| r.get(0))
            .unwrap()
            .map(Result::unwrap)
            .collect()
    };
    assert_eq!(cases.len(), 2, "{cases:?}");
    let b = Browser::start().await;
    b.accept_invitation(w, "appeals@city.example").await;

    // The manager files the first appeal from the inbox.
    b.go(&w.url("/admin/#/inbox")).await;
    b.wait_for(
        "return document.querySelectorAll(\"[data-testid='case']\").length === 2",
        "the two cases",
    )
    .await;
    let newest_first = cases[0];
    b.eval("const d = document.querySelector(\"[data-testid='case'] details\"); d.open = true; return true")
        .await;
    b.fill("appeal-reason", "Оцінку поставив колега, не відвідувач")
        .await;
    b.press("appeal-file").await;
    b.wait_for(
        "return [...document.querySelectorAll(\"[data-testid='case'] [role=status]\")].some((s) => s.className === 'ok')",
        "the appeal filed",
    )
    .await;
    let filed: Vec<(i64, String)> = {
        let db = w.db();
        let mut stmt = db
            .prepare("SELECT a.vote_id, c.email FROM vote_appeals a JOIN accounts c ON c.id = a.filed_by")
            .unwrap();
        stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
            .unwrap()
            .map(Result::unwrap)
            .collect()
    };
    assert_eq!(filed, [(newest_first, "appeals@city.example".to_owned())]);

    // Someone else files the other one; this manager decides it, not their own.
    let other = cases[1];
    let resp = w
        .admin(
            reqwest::Method::POST,
            &format!("/api/v1/admin/votes/{other}/appeal"),
        )
        .json(&json!({"reason": "Голос надіслано з телефона працівника"}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 201);
    b.go(&w.url("/admin/#/appeals")).await;
    b.wait_for(
        "return document.querySelectorAll(\"[data-testid='appeal']\").length === 2",
        "two open appeals",
    )
    .await;
    let buttons = b
        .eval("return document.querySelectorAll(\"[data-testid='appeal-uphold']\").length")
        .await;
    assert_eq!(buttons, 1, "no decision on one's own appeal");
    b.press("appeal-uphold").await;
    b.wait_for(
        "return document.querySelectorAll(\"[data-testid='appeal-uphold']\").length === 0 && document.querySelectorAll(\"[data-testid='appeal']\").length === 1",
        "the decided appeal leaves the open list",
    )
    .await;
    assert_eq!(
        w.count(&format!(
            "SELECT COUNT(*) FROM votes WHERE id = {other} AND status = 'rejected'"
        )),
        1
    );
    b.screenshot("appeals").await;
    b.quit().await;
}

#[tokio::test]
async fn script_payloads_stored_as_text_stay_inert_in_every_admin_screen() {
    use crate::results::{commented, cron, first_of_last_month, insert, HOURLY};
    let w = &crate::helpers::Worker::start(&crate::helpers::key(1));
    let img = r#"<img src=x onerror="window.__pwned='img'">"#;
    let script = "<script>window.__pwned='script'</script>";
    let svg = r#"<svg onload="window.__pwned='svg'"></svg>"#;
    let unit = w.create_unit(&format!("ЦНАП {img}"), None).await;
    let employee = w
        .create_employee(&format!("Олена {script}"), svg, unit)
        .await;
    w.issue_code(employee).await;
    let comment = r#"Погано <img src=x onerror="window.__pwned='img'"> <script>window.__pwned='script'</script>"#;
    insert(w, &[commented(employee, unit, 1, comment)]);
    cron(w, HOURLY).await;
    let case = w.count("SELECT max(vote_id) FROM cases");
    let resp = w
        .admin(
            reqwest::Method::POST,
            &format!("/api/v1/admin/votes/{case}/appeal"),
        )
        .json(&json!({"reason": format!("Підстава {img}")}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 201);
    let b = Browser::start().await;
    b.accept_invitation(w, "xss-check@city.example").await;
    let month = format!("period=month&date={}", first_of_last_month());
    for (screen, ready) in [
        ("#/".to_owned(), "onerror"),
        (format!("#/units/{unit}"), "onload"),
        (format!("#/employees/{employee}"), "script"),
        (format!("#/results/units/{unit}?{month}"), "Погано"),
        ("#/inbox".to_owned(), "Погано"),
        ("#/appeals".to_owned(), "Підстава"),
    ] {
        // The screen before may hold the same word (the unit page names the employee, the
        // results show the comment): only a heading drawn after this navigation is the new one.
        // (The first screen is the one the sign-in drew: going there again redraws nothing.)
        b.eval(&format!("const h = document.querySelector('main h1'); if (h && location.hash !== '{screen}') h.dataset.before = ''; return true"))
            .await;
        b.go(&w.url(&format!("/admin/{screen}"))).await;
        b.wait_for(
            &format!("const m = document.querySelector('main'); const h = m && m.querySelector('h1'); return h && !('before' in h.dataset) && m.textContent.includes('{ready}')"),
            &screen,
        )
        .await;
        // Give any injected handler the chance to run.
        tokio::time::sleep(Duration::from_millis(300)).await;
        let pwned = b
            .eval("return window.__pwned === undefined ? null : String(window.__pwned)")
            .await;
        assert_eq!(pwned, Value::Null, "{screen}: an injected handler ran");
        let live = b
            .eval("return document.querySelectorAll('main img[src=x], main script, main svg[onload]').length")
            .await;
        assert_eq!(live, 0, "{screen}: the payload became markup");
    }
    b.screenshot("payloads-inert").await;
    b.quit().await;
}

#[tokio::test]
async fn an_admin_prints_one_time_slips_that_take_one_vote_each_in_a_real_browser() {
    let w = shared();
    let unit = w.create_unit("Відділ звернень", None).await;
    w.create_employee("Тарас Гребенюк", "Спеціаліст", unit)
        .await;
    let b = Browser::start().await;
    b.accept_invitation(w, "slips@city.example").await;
    b.go(&w.url(&format!("/admin/#/units/{unit}"))).await;
    b.wait_for(
        "return document.querySelector(\"[data-testid='batch-create']\")",
        "the one-time codes form",
    )
    .await;
    b.eval("document.querySelector(\"[data-testid='batch-count']\").value = '3'")
        .await;
    b.eval("document.querySelector(\"[data-testid='batch-channel']\").value = '2'")
        .await;
    b.fill("batch-document", "№ 88/1-2026").await;
    b.press("batch-create").await;
    b.wait_for(
        "return document.querySelector(\"[data-testid='batch-slips']\")",
        "the new batch in the list",
    )
    .await;
    b.screenshot("admin-one-time-codes").await;
    let slips = b
        .eval("return document.querySelector(\"[data-testid='batch-slips']\").getAttribute('href')")
        .await;
    b.go(&w.url(slips.as_str().unwrap())).await;
    b.wait_for(
        "return document.querySelectorAll('.slip svg').length === 3",
        "three slips",
    )
    .await;
    let text = b.eval("return document.body.innerText").await;
    let text = text.as_str().unwrap();
    assert!(
        text.contains("Тарас Гребенюк") && text.contains("№ 88/1-2026"),
        "{text}"
    );
    b.screenshot("one-time-slips").await;
    let pdf = b.print_pdf(21.0, 29.7).await;
    artefact("one-time-slips.pdf", &pdf);
    assert_eq!(pdf_pages(&pdf), 1, "three slips fit one A4 sheet");

    // The printed address votes once. The batch is a letter's: its used count is withheld,
    // since "1 used" would say that the letter's addressee voted (docs/privacy.md).
    let url = b
        .eval("return document.querySelector('.slip .url').textContent")
        .await;
    let token = url.as_str().unwrap().rsplit('/').next().unwrap().to_owned();
    let first = w.vote_json(json!({"token": token, "score": 3})).await;
    assert_eq!(first.status(), 201);
    let second = w.vote_json(json!({"token": token, "score": 3})).await;
    assert_eq!(second.status(), 410);
    b.go(&w.url(&format!("/admin/#/units/{unit}"))).await;
    b.wait_for(
        "const u = document.querySelector(\"[data-testid='batch-used']\"); return u && u.textContent === '—' && !!u.getAttribute('title')",
        "the letter's used count withheld, with the reason",
    )
    .await;
    b.quit().await;
}

#[tokio::test]
async fn adding_a_role_in_accounts_shows_a_grant_link_to_copy_and_only_its_acceptance_gives_the_role(
) {
    let w = &crate::helpers::Worker::start(&crate::helpers::key(1));
    let unit = w.create_unit("ЦНАП", None).await;
    let (held, _) = w.account("deputy@city.example", "viewer", Some(unit)).await;
    let b = Browser::start().await;
    b.accept_invitation(w, "root.browser@city.example").await;
    b.go(&w.url("/admin/#/accounts")).await;
    b.wait_for(
        "return [...document.querySelectorAll(\"[data-testid='account-row']\")].some((r) => r.textContent.includes('deputy@city.example'))",
        "the deputy's row",
    )
    .await;
    // Add the unit-admin role with the row's own form.
    b.eval(&format!(
        "const row = [...document.querySelectorAll(\"[data-testid='account-row']\")].find((r) => r.textContent.includes('deputy@city.example')); \
         const f = row.querySelectorAll('td')[1].querySelector('form'); \
         f.querySelector('select[name=role]').value = 'unit_admin'; f.querySelector('select[name=unit_id]').value = '{unit}'; \
         f.requestSubmit(); return true"
    ))
    .await;
    let link = b
        .wait_for(
            "const c = document.querySelector(\"[data-testid='grant-link']\"); const e = [...document.querySelectorAll('[role=alert]')].map((a) => a.textContent).join(''); return (c && c.textContent) || (e && 'error: ' + e)",
            "the grant link",
        )
        .await;
    let link = link.as_str().unwrap().to_owned();
    assert!(link.contains("/admin/#/invite/"), "{link}");
    let copy = b
        .eval("return !!document.querySelector(\"[data-testid='grant-link-copy']\")")
        .await;
    assert_eq!(copy, json!(true));
    b.screenshot("admin-grant-link").await;
    b.quit().await;
    let deputy = held.me["account"]["id"].as_i64().unwrap();
    let roles = |w: &crate::helpers::Worker| {
        w.count(&format!(
            "SELECT COUNT(*) FROM grants WHERE account_id = {deputy} AND role = 'unit_admin'"
        ))
    };
    assert_eq!(roles(w), 0, "nothing given before the link is accepted");
    let owner = w
        .accept(link.rsplit('/').next().unwrap(), "нова весна у місті")
        .await;
    assert_eq!(owner.me["account"]["id"], deputy);
    assert_eq!(roles(w), 1);
    let old = w
        .http
        .get(w.url("/api/v1/session"))
        .header("cookie", &held.cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(old.status(), 401, "the holder's session ended");
}

/// axe-core's script: `npm ci` installs it (package.json); AXE_CORE_JS names another copy.
fn axe_source() -> String {
    let path = std::env::var_os("AXE_CORE_JS")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| project_dir().join("node_modules/axe-core/axe.min.js"));
    std::fs::read_to_string(&path).unwrap_or_else(|e| {
        panic!(
            "{}: {e} (run `npm ci`: axe-core is a dev dependency)",
            path.display()
        )
    })
}

impl Browser {
    async fn window(&self, width: u32, height: u32) {
        self.cmd(
            reqwest::Method::POST,
            "/window/rect",
            Some(json!({"width": width, "height": height})),
        )
        .await;
    }

    /// Runs axe-core on the page: each serious or critical violation it finds, naming the
    /// rule, the elements and the help text (none: an empty string).
    async fn axe(&self, axe: &str, screen: &str) -> String {
        self.eval(&format!("if (!window.axe) {{ {axe} }} return true"))
            .await;
        let found = self
            .cmd(
                reqwest::Method::POST,
                "/execute/async",
                Some(json!({"script": "const done = arguments[arguments.length - 1]; \
                    axe.run(document, {resultTypes: ['violations']}).then((r) => done(r.violations \
                    .filter((v) => v.impact === 'serious' || v.impact === 'critical') \
                    .map((v) => ({id: v.id, impact: v.impact, help: v.help, \
                      nodes: v.nodes.slice(0, 5).map((n) => n.target.join(' ') + ' — ' + n.failureSummary.replace(/\\s+/g, ' '))})))) \
                    .catch((e) => done([{id: 'axe-error', help: String(e), nodes: []}]));",
                    "args": []})),
            )
            .await;
        let list = found.as_array().cloned().unwrap_or_default();
        let report: Vec<String> = list
            .iter()
            .map(|v| {
                let nodes: Vec<String> = v["nodes"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .map(|n| format!("    {}", n.as_str().unwrap_or("")))
                    .collect();
                format!(
                    "  {} ({}): {}\n{}",
                    v["id"].as_str().unwrap_or(""),
                    v["impact"].as_str().unwrap_or(""),
                    v["help"].as_str().unwrap_or(""),
                    nodes.join("\n")
                )
            })
            .collect();
        if report.is_empty() {
            String::new()
        } else {
            format!("{screen}:\n{}\n", report.join("\n"))
        }
    }

    /// Opens an admin screen by its hash and waits until it has rendered its heading.
    async fn admin_screen(&self, hash: &str) {
        self.eval(&format!(
            "document.title = 'waiting'; if (location.pathname !== '/admin/') location.href = '/admin/{hash}'; else if (location.hash === '{hash}') location.reload(); else location.hash = '{hash}'; return true"
        ))
        .await;
        // Parts of some screens arrive after the heading, each in a container the heading's
        // render leaves empty: the rejected votes of the review, the comments of the results
        // (the one live region without a testid), an employee's figures ("Loading…" until then).
        // Waited for, not slept on: a fixed pause is too short on a loaded machine.
        self.wait_for(
            "const m = document.querySelector('main'); const loading = (window.I18N[document.documentElement.lang] || window.I18N.en).loading; \
             return document.title !== 'waiting' && document.readyState === 'complete' && m.querySelector('h1') \
               && [...m.querySelectorAll(\"[data-testid='rejected-list'], div[aria-live='polite']:not([data-testid])\")].every((e) => e.childElementCount > 0) \
               && ![...m.querySelectorAll('p.muted')].some((p) => p.textContent === loading)",
            hash,
        )
        .await;
    }
}

#[tokio::test]
async fn every_admin_and_citizen_screen_passes_axe_in_ukrainian_and_persian() {
    use crate::results::{
        commented, cron, first_of_last_month, insert, sample_votes, tree, HOURLY,
    };
    let w =
        &crate::helpers::Worker::start_with(&crate::helpers::key(1), &[("PUBLIC_RESULTS", "on")]);
    let t = tree(w).await;
    let mut votes = sample_votes(&t);
    votes.push(commented(t.clerk, t.hall, 1, "Довго чекала на прийом"));
    insert(w, &votes);
    cron(w, HOURLY).await;
    let token = w.issue_code(t.clerk).await["token"]
        .as_str()
        .unwrap()
        .to_owned();
    w.issue_code_on(t.clerk, 4).await;
    let revoked = w.issue_code(t.head).await["token"]
        .as_str()
        .unwrap()
        .to_owned();
    let resp = w
        .admin(
            reqwest::Method::DELETE,
            &format!("/api/v1/admin/employees/{}/qr", t.head),
        )
        .send()
        .await
        .unwrap();
    assert!(resp.status().is_success(), "{}", resp.status());
    // A vote rejected in review, so that the review screen lists one to send back.
    w.db()
        .execute(
            &format!("INSERT INTO votes (employee_id, unit_id, channel, qr_issue, score, has_contact, lang, source, client_hash, created_at, status, flag_reason) \
             SELECT employee_id, unit_id, 0, 1, 1, 0, 'uk', 'api', 'axe-rejected', created_at, 'rejected', 'too_fast' FROM votes WHERE employee_id = {} LIMIT 1", t.clerk),
            [],
        )
        .unwrap();
    let axe = axe_source();
    let b = Browser::start().await;
    b.window(1280, 900).await;

    // Signed out: the sign-in screen.
    b.go(&w.url("/admin/?lang=uk#/signin")).await;
    b.wait_for(
        "return document.querySelector(\"[data-testid='sign-in']\")",
        "the sign-in form",
    )
    .await;
    // The check can fail: text at 2:1 contrast (the header's e-mail once was) is reported.
    b.eval("const p = document.createElement('p'); p.id = 'faint'; p.textContent = 'ledve vydno'; p.style.color = '#a0a0a0'; document.querySelector('main').append(p); return true")
        .await;
    let faint = b.axe(&axe, "a planted faint text").await;
    assert!(
        faint.contains("color-contrast") && faint.contains("#faint"),
        "{faint}"
    );
    b.eval("document.getElementById('faint').remove(); return true")
        .await;
    // Every finding of every screen, reported together at the end.
    let mut found = b.axe(&axe, "sign-in uk").await;
    b.accept_invitation(w, "axe@city.example").await;
    let month = format!("period=month&date={}", first_of_last_month());
    let screens = [
        ("tree", "#/".to_owned()),
        ("unit", format!("#/units/{}", t.hall)),
        ("employee", format!("#/employees/{}", t.clerk)),
        ("import", format!("#/units/{}/import", t.hall)),
        ("directions", "#/directions".to_owned()),
        ("accounts", "#/accounts".to_owned()),
        ("keys", "#/keys".to_owned()),
        ("inbox", "#/inbox".to_owned()),
        ("appeals", "#/appeals".to_owned()),
        ("review", "#/review".to_owned()),
        ("scale", "#/scale".to_owned()),
        ("audit", "#/audit".to_owned()),
        ("tokens", "#/tokens".to_owned()),
        ("password", "#/password".to_owned()),
        ("employees", "#/employees".to_owned()),
        (
            "search",
            "#/search?q=%D0%BE%D0%BB%D0%B5%D0%BD%D0%B0".to_owned(),
        ),
        (
            "results-unit",
            format!("#/results/units/{}?{month}", t.region),
        ),
        (
            "results-employee",
            format!("#/results/employees/{}?{month}", t.clerk),
        ),
        (
            "results-directions",
            format!("#/results/directions?{month}"),
        ),
        (
            "results-no-votes",
            format!("#/results/units/{}?period=month&date=2020-01-01", t.region),
        ),
    ];
    for lang in ["uk", "fa"] {
        b.eval(&format!(
            "localStorage.setItem('civicrate.lang', '{lang}'); return true"
        ))
        .await;
        b.go(&w.url("/admin/#/")).await;
        for (name, hash) in &screens {
            b.window(1280, 900).await;
            b.admin_screen(hash).await;
            assert_eq!(b.eval("return document.documentElement.lang").await, lang);
            b.screenshot(&format!("axe-{name}-{lang}")).await;
            found += &b.axe(&axe, &format!("{name} {lang}")).await;
            b.window(360, 800).await;
            tokio::time::sleep(Duration::from_millis(150)).await;
            b.screenshot(&format!("axe-{name}-{lang}-360")).await;
            if name.starts_with("results-") {
                // A month shows one date: the custom range's fields stay hidden until chosen.
                let shown = b
                    .eval("return [...document.querySelectorAll('form.inline input[type=date]')].filter((i) => i.offsetParent !== null).length")
                    .await;
                assert_eq!(shown, 1, "{name} {lang}: date fields shown");
            }
            // Nothing but a table's own scroller is wider than a phone.
            let wide = b
                .eval("return [...document.querySelectorAll('main *, header *')].filter((e) => { const r = e.getBoundingClientRect(); return !e.closest('.scroll') && (r.right > document.documentElement.clientWidth + 1 || r.left < -1); }).map((e) => e.tagName + '.' + e.className + ' ' + (e.textContent || '').slice(0, 30)).slice(0, 5)")
                .await;
            if wide != json!([]) {
                found += &format!("{name} {lang}: wider than 360 px: {wide}\n");
            }
        }
        b.window(1280, 900).await;
        for (name, path) in [
            ("vote", format!("/r/{token}")),
            ("invalid-code", "/r/not-a-code".to_owned()),
            ("revoked-code", format!("/r/{revoked}")),
            ("website-form", format!("/f/{}", t.hall)),
            ("not-found", "/f/999999".to_owned()),
            ("public-results", "/results".to_owned()),
            ("thanks", "/thanks".to_owned()),
        ] {
            b.go(&w.url(&format!("{path}?lang={lang}"))).await;
            b.wait_for(
                "return document.readyState === 'complete' && document.querySelector('h1')",
                name,
            )
            .await;
            b.screenshot(&format!("axe-{name}-{lang}")).await;
            found += &b.axe(&axe, &format!("{name} {lang}")).await;
        }
    }
    b.quit().await;
    assert!(
        found.is_empty(),
        "axe found serious or critical violations:\n{found}"
    );
}

#[tokio::test]
async fn the_admin_page_explains_its_figures_forms_and_errors_in_every_language() {
    use crate::results::{cron, first_of_last_month, insert, sample_votes, tree, HOURLY};
    let w = &crate::helpers::Worker::start(&crate::helpers::key(1));
    let t = tree(w).await;
    insert(w, &sample_votes(&t));
    cron(w, HOURLY).await;
    let b = Browser::start().await;
    b.window(1280, 900).await;

    // A wrong password is said in the page's language, not in the server's English.
    b.go(&w.url("/admin/#/signin")).await;
    b.eval("localStorage.setItem('civicrate.lang', 'uk'); location.reload(); return true")
        .await;
    b.wait_for(
        "return document.querySelector(\"[data-testid='sign-in']\")",
        "the sign-in form",
    )
    .await;
    b.fill("email", "nobody@city.example").await;
    b.fill("password", "не той пароль зовсім").await;
    b.press("sign-in").await;
    let said = b
        .wait_for(
            "const e = document.querySelector('main .error'); return e && e.textContent",
            "the sign-in error",
        )
        .await;
    assert_eq!(said, "Неправильна адреса пошти або пароль.");
    assert_eq!(
        b.eval("const l = document.querySelector('link[rel=icon]'); return l && l.getAttribute('href').startsWith('data:image/svg+xml,')")
            .await,
        true,
        "the admin page names its icon inline: no request for /favicon.ico"
    );

    b.accept_invitation(w, "explain@city.example").await;
    let month = format!("period=month&date={}", first_of_last_month());
    // (language, top-level help, website form not live, "closed", not found, comments, inbox)
    let expected = [
        (
            "uk",
            "Частка оцінок найвищого рівня шкали.",
            "Форма ще не діє",
            "вихідний",
            "Не знайдено",
            "адміністратор",
            "Відгуки до опрацювання",
        ),
        (
            "ru",
            "Доля оценок высшего уровня шкалы.",
            "Форма ещё не действует",
            "выходной",
            "Не найдено",
            "администратор",
            "Отзывы к обработке",
        ),
        (
            "kk",
            "Шкаланың ең жоғары деңгейіндегі бағалардың үлесі.",
            "Нысан әлі жұмыс істемейді",
            "демалыс",
            "Табылмады",
            "Әкімші",
            "Өңделетін пікірлер",
        ),
        (
            "fa",
            "سهم آرای بالاترین سطح مقیاس.",
            "فرم هنوز فعال نیست",
            "تعطیل",
            "پیدا نشد",
            "مدیر",
            "پیگیری‌ها",
        ),
        (
            "en",
            "Share of votes at the scale's highest level.",
            "The form is not live yet",
            "closed",
            "Not found",
            "administrator",
            "Inbox",
        ),
    ];
    for (lang, top, not_live, closed, not_found, administrator, inbox) in expected {
        b.eval(&format!(
            "localStorage.setItem('civicrate.lang', '{lang}'); return true"
        ))
        .await;
        b.go(&w.url(&format!(
            "/admin/?{lang}#/results/units/{}?{month}",
            t.region
        )))
        .await;
        // "Top level", "Below the top" and "Signed" each carry their meaning in the list itself.
        let help = b
            .wait_for(
                "const h = document.querySelector(\"[data-testid='help-top']\"); return h && h.textContent",
                "the results' figures",
            )
            .await;
        assert_eq!(help, top, "{lang}");
        assert_eq!(
            b.eval("return ['help-top', 'help-below', 'help-signed'].every((id) => { const d = document.querySelector(`[data-testid='${id}']`); return d && d.tagName === 'DD' && d.closest('dl') && d.textContent.length > 10; })")
                .await,
            true,
            "{lang}"
        );
        // The menu names the feedback inbox apart from citizens' official appeals.
        let menu = b
            .eval("return document.getElementById('menu').textContent")
            .await;
        assert!(menu.as_str().unwrap().contains(inbox), "{lang}: {menu}");

        // Comments are published only as an administrator publishes them.
        b.admin_screen(&format!("#/results/employees/{}?{month}", t.clerk))
            .await;
        let comments = b
            .wait_for(
                "const c = [...document.querySelectorAll('section.card')].find((s) => s.querySelector('h2')?.textContent === window.I18N[document.documentElement.lang].r_comments); return c && c.querySelector('p.muted').textContent",
                "the comments card",
            )
            .await;
        assert!(
            comments.as_str().unwrap().contains(administrator),
            "{lang}: {comments}"
        );

        // The website form of a unit without website codes says it is not live yet.
        b.admin_screen(&format!("#/units/{}", t.other)).await;
        let state = b
            .wait_for(
                "const s = document.querySelector(\"[data-testid='website-state']\"); return s && s.textContent",
                "the website form's state",
            )
            .await;
        assert!(
            state.as_str().unwrap().starts_with(not_live),
            "{lang}: {state}"
        );
        // Opening hours: empty days say "closed", and the hint comes before them.
        let hours = b
            .eval("const i = document.querySelector(\"[data-testid='hours-sat']\"); const h = document.querySelector(\"[data-testid='hours-help']\"); return [i.value, i.placeholder, !!(h.compareDocumentPosition(i) & Node.DOCUMENT_POSITION_FOLLOWING), i.getAttribute('aria-describedby') === h.id]")
            .await;
        assert_eq!(hours, json!(["", closed, true, true]), "{lang}");

        // An unknown unit: the API's "not found" in the page's language.
        b.admin_screen("#/units/999999").await;
        let error = b
            .eval("return document.querySelector('main .error').textContent")
            .await;
        assert!(
            error.as_str().unwrap().starts_with(not_found),
            "{lang}: {error}"
        );
    }
    b.screenshot("explained-en").await;

    // Citizen pages name their icon inline too.
    b.go(&w.url("/r/not-a-code?lang=uk")).await;
    assert_eq!(
        b.eval("const l = document.querySelector('link[rel=icon]'); return l && l.getAttribute('href').startsWith('data:image/svg+xml,')")
            .await,
        true
    );
    b.quit().await;
}

#[tokio::test]
async fn an_admin_filters_the_audit_log_read_in_ukrainian_and_persian_and_revokes_a_pending_invitation(
) {
    let w = &crate::helpers::Worker::start(&crate::helpers::key(1));
    let unit = w.create_unit("ЦНАП", None).await;
    let employee = w
        .create_employee("Олена Коваль", "Адміністраторка", unit)
        .await;
    w.issue_code(employee).await;
    let pending = w
        .invite("new.clerk@city.example", "viewer", Some(unit))
        .await;
    let today = chrono::DateTime::from_timestamp(crate::helpers::unix_now(), 0)
        .unwrap()
        .format("%Y-%m-%d")
        .to_string();
    let axe = axe_source();
    let b = Browser::start().await;
    b.window(1280, 900).await;
    b.accept_invitation(w, "auditor@city.example").await;
    let mut found = String::new();
    for (lang, issued, channel) in [
        ("uk", "QR-код видано", "канал"),
        ("fa", "کد QR صادر شد", "کانال"),
    ] {
        // The header's language menu, as a person switches it. The screen is drawn again in
        // the new language: waited for, or that render could land after the audit log's.
        b.eval(&format!(
            "document.querySelector('main h1').dataset.before = ''; \
             localStorage.setItem('civicrate.lang', '{lang}'); const s = document.getElementById('lang'); \
             s.value = '{lang}'; s.dispatchEvent(new Event('change')); return true"
        ))
        .await;
        b.wait_for(
            "const h = document.querySelector('main h1'); return h && !('before' in h.dataset)",
            "the screen drawn again in the new language",
        )
        .await;
        b.admin_screen("#/audit").await;
        assert_eq!(b.eval("return document.documentElement.lang").await, lang);
        // The filter form: one action, today only.
        b.eval(&format!(
            "const f = document.querySelector(\"[data-testid='audit-filter']\").closest('form'); \
             f.querySelector('select[name=action]').value = 'qr_issued'; \
             f.querySelector('input[name=from]').value = '{today}'; f.querySelector('input[name=to]').value = '{today}'; \
             f.requestSubmit(); return true"
        ))
        .await;
        let shown = b
            .wait_for(
                "const r = [...document.querySelectorAll(\"[data-testid='audit-row']\")]; \
                 return location.hash.includes('action=qr_issued') && r.length === 1 && r[0].dataset.action === 'qr_issued' \
                   && [...r[0].children].map((c) => c.textContent)",
                "the filtered audit log",
            )
            .await;
        let cells: Vec<String> = shown
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c.as_str().unwrap().to_owned())
            .collect();
        assert_eq!(cells[2], issued, "{lang}: {cells:?}");
        assert!(
            cells[4].contains(channel),
            "{lang}: a readable detail: {cells:?}"
        );
        assert!(!cells[4].contains('{'), "{lang}: not JSON: {cells:?}");
        assert!(
            !cells.iter().any(|c| c.contains("qr_issued")),
            "{lang}: {cells:?}"
        );
        // The form keeps the filters, and the CSV link carries them.
        let csv = b
            .eval(
                "return document.querySelector(\"[data-testid='audit-csv']\").getAttribute('href')",
            )
            .await;
        let csv = csv.as_str().unwrap();
        assert!(
            csv.contains("action=qr_issued")
                && csv.contains(&format!("from={today}"))
                && csv.contains("format=csv"),
            "{csv}"
        );
        assert_eq!(
            b.eval("return document.querySelector(\"[data-testid='audit-action']\").value")
                .await,
            "qr_issued"
        );
        b.screenshot(&format!("admin-audit-filtered-{lang}")).await;
        found += &b.axe(&axe, &format!("audit filtered {lang}")).await;
    }

    // Accounts: the pending invitation with who sent it, revoked in place.
    b.admin_screen("#/accounts").await;
    b.wait_for(
        "return [...document.querySelectorAll(\"[data-testid='invitation-row']\")].some((r) => r.textContent.includes('new.clerk@city.example'))",
        "the pending invitation",
    )
    .await;
    found += &b.axe(&axe, "accounts with pending invitations fa").await;
    b.eval(
        "const row = [...document.querySelectorAll(\"[data-testid='invitation-row']\")].find((r) => r.textContent.includes('new.clerk@city.example')); \
         row.querySelector(\"[data-testid='invitation-revoke']\").click(); return true",
    )
    .await;
    b.wait_for(
        "return ![...document.querySelectorAll(\"[data-testid='invitation-row']\")].some((r) => r.textContent.includes('new.clerk@city.example'))",
        "the revoked invitation gone",
    )
    .await;
    b.screenshot("admin-invitation-revoked").await;
    b.quit().await;
    let accepted = w
        .http
        .post(w.url("/api/v1/invitations/accept"))
        .json(&json!({"token": pending, "password": "каштани цвітуть у травні"}))
        .send()
        .await
        .unwrap();
    assert_eq!(accepted.status(), 404, "the revoked link no longer opens");
    assert_eq!(
        w.count("SELECT COUNT(*) FROM audit_log WHERE action = 'invitation_revoked' AND object = 'email:new.clerk@city.example'"),
        1
    );
    assert!(
        found.is_empty(),
        "axe found serious or critical violations:\n{found}"
    );
}

#[tokio::test]
async fn an_admin_puts_a_new_unit_in_tehran_and_its_after_midnight_vote_shows_on_the_local_day() {
    use crate::local_days::{at, insert};
    use crate::results::{cron_all, first_of_last_month, today};
    use chrono::Datelike;
    let w = shared();
    let b = Browser::start().await;
    b.accept_invitation(w, "tz@city.example").await;

    // The zone is a choice from the list; the instance's default (UTC here) comes selected.
    let zones = b
        .eval("const s = document.querySelector(\"[data-testid='add-unit-timezone']\"); return [s.tagName, s.value, [...s.options].map((o) => o.value).includes('Asia/Tehran')]")
        .await;
    assert_eq!(zones, json!(["SELECT", "UTC", true]));
    b.fill("add-unit-name", "دفتر پیشخوان ونک").await;
    b.eval("document.querySelector(\"[data-testid='add-unit-timezone']\").value = 'Asia/Tehran'; return true")
        .await;
    b.press("add-unit").await;
    let hash = b
        .wait_for(
            "return location.hash.startsWith('#/units/') && document.querySelector(\"[data-testid='unit-timezone']\") && location.hash",
            "the new unit's page",
        )
        .await;
    let unit: i64 = hash.as_str().unwrap()["#/units/".len()..].parse().unwrap();
    assert_eq!(
        b.eval("return document.querySelector(\"[data-testid='unit-timezone']\").value")
            .await,
        "Asia/Tehran"
    );
    assert_eq!(
        w.count(&format!(
            "SELECT COUNT(*) FROM units WHERE id = {unit} AND timezone = 'Asia/Tehran'"
        )),
        1
    );

    // 21:00 UTC the day before last month began is 00:30 on its first in Tehran.
    let clerk = w.create_employee("رضا احمدی", "کارشناس", unit).await;
    let first = first_of_last_month();
    let vote = insert(
        w,
        clerk,
        unit,
        2,
        at(first - chrono::Duration::days(1), 21, 0),
    );
    // The shared instance's other tests run the cron too: one run may find the lease taken.
    cron_all(w).await;
    assert_eq!(
        w.count(&format!(
            "SELECT COUNT(*) FROM daily_unit_stats WHERE unit_id = {unit} AND day = '{first}' AND counted = 1"
        )),
        1
    );
    assert_eq!(
        w.count(&format!("SELECT local_offset FROM votes WHERE id = {vote}")),
        210
    );

    b.go(&w.url(&format!(
        "/admin/#/results/units/{unit}?period=month&date={first}"
    )))
    .await;
    b.wait_for(
        "const v = document.querySelector(\"[data-testid='total-votes']\"); return v && v.textContent.startsWith('1')",
        "last month's one vote",
    )
    .await;
    // The day trend: the vote's bar is the first day's, and no other day has one.
    let bars = b
        .eval("return [...document.querySelectorAll(\"[data-testid='trend'] rect.bar-votes\")].map((r) => Number(r.getAttribute('height')) > 0)")
        .await;
    let bars: Vec<bool> = serde_json::from_value(bars).unwrap();
    let days = (chrono::NaiveDate::from_ymd_opt(today().year(), today().month(), 1).unwrap()
        - first)
        .num_days() as usize;
    assert_eq!(bars.len(), days, "a bar per day of the month");
    assert_eq!(
        bars.iter().position(|b| *b),
        Some(0),
        "on the 1st, not the day before"
    );
    assert_eq!(bars.iter().filter(|b| **b).count(), 1);
    b.screenshot("local-day-tehran").await;
}

#[tokio::test]
async fn an_admin_finds_people_in_ukrainian_and_persian_lists_their_codes_and_issues_the_missing_ones(
) {
    let w = &crate::helpers::Worker::start(&crate::helpers::key(1));
    let unit = w.create_unit("Відділ обслуговування", None).await;
    let with_code = w
        .create_employee("Олена Коваль", "Адміністраторка", unit)
        .await;
    let revoked = w.create_employee("Петро Шевчук", "Фахівець", unit).await;
    let without = w.create_employee("علی کریمی", "کارشناس", unit).await;
    w.issue_code(with_code).await;
    w.issue_code(revoked).await;
    let resp = w
        .admin(
            reqwest::Method::DELETE,
            &format!("/api/v1/admin/employees/{revoked}/qr"),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 204);
    let b = Browser::start().await;
    b.window(1280, 900).await;
    b.accept_invitation(w, "finder@city.example").await;
    b.eval("localStorage.setItem('civicrate.lang', 'uk'); location.reload(); return true")
        .await;
    b.wait_for(
        "return document.documentElement.lang === 'uk' && document.querySelector(\"[data-testid='search']\")",
        "the page in Ukrainian",
    )
    .await;

    // The header's search box, in capitals: the employee is found, with the code's state.
    b.fill("search", "ОЛЕНА").await;
    b.press("search-go").await;
    b.wait_for(
        "return location.hash.startsWith('#/search') && document.querySelector(\"[data-testid='found-employee']\")",
        "the search's answer",
    )
    .await;
    let found = b
        .eval("return [...document.querySelectorAll(\"[data-testid='found-employee']\")].map((a) => a.textContent)")
        .await;
    assert_eq!(found, json!(["Олена Коваль"]));
    assert_eq!(
        b.eval("return document.querySelector(\"[data-testid='qr-status']\").textContent")
            .await,
        "Чинний"
    );
    b.screenshot("search-uk").await;

    // In Persian, typed with an Arabic keyboard's yeh: the page and the answer in Persian.
    b.eval("localStorage.setItem('civicrate.lang', 'fa'); location.hash = '#/'; location.reload(); return true")
        .await;
    b.wait_for(
        "return document.documentElement.dir === 'rtl' && document.querySelector(\"[data-testid='search']\")",
        "the page in Persian",
    )
    .await;
    b.fill("search", "علي").await;
    b.press("search-go").await;
    b.wait_for(
        "return location.hash.startsWith('#/search') && document.querySelector(\"[data-testid='found-employee']\")",
        "the Persian search's answer",
    )
    .await;
    let found = b
        .eval("return [...document.querySelectorAll(\"[data-testid='found-employee']\")].map((a) => a.textContent)")
        .await;
    assert_eq!(found, json!(["علی کریمی"]));
    assert_eq!(
        b.eval("return document.querySelector(\"[data-testid='qr-status']\").textContent")
            .await,
        "ندارد"
    );
    b.screenshot("search-fa").await;

    // The list of everyone says each code's state, and filters by it.
    b.eval("localStorage.setItem('civicrate.lang', 'uk'); return true")
        .await;
    b.admin_screen("#/employees").await;
    let states = b
        .eval("return Object.fromEntries([...document.querySelectorAll('main tbody tr')].map((r) => [r.querySelector(\"[data-testid='found-employee']\").textContent, r.querySelector(\"[data-testid='qr-status']\").dataset.qr]))")
        .await;
    assert_eq!(
        states,
        json!({"Олена Коваль": "active", "Петро Шевчук": "revoked", "علی کریمی": "none"})
    );
    b.admin_screen("#/employees?status=revoked").await;
    let listed = b
        .eval("return [...document.querySelectorAll(\"[data-testid='found-employee']\")].map((a) => a.textContent)")
        .await;
    assert_eq!(listed, json!(["Петро Шевчук"]));
    b.screenshot("employees-revoked").await;

    // The unit's poster page names the two left out, and has a print button that the print
    // stylesheet hides with the list.
    b.go(&w.url(&format!("/admin/units/{unit}/posters?size=a5&lang=uk")))
        .await;
    b.wait_for(
        "return document.readyState === 'complete' && document.querySelector(\"[data-testid='print']\") && !document.querySelector(\"[data-testid='print']\").hidden",
        "the print button",
    )
    .await;
    let skipped = b
        .eval("return document.querySelector(\"[data-testid='skipped']\").textContent")
        .await;
    let skipped = skipped.as_str().unwrap();
    assert!(
        skipped.contains("Петро Шевчук") && skipped.contains("علی کریمی"),
        "{skipped}"
    );
    assert!(!skipped.contains("Олена Коваль"));
    assert_eq!(
        b.eval("return document.querySelector(\"[data-testid='print']\").textContent")
            .await,
        "Друкувати / PDF"
    );
    let pdf = b.print_pdf(14.8, 21.0).await;
    assert_eq!(
        pdf_pages(&pdf),
        1,
        "one poster, and neither the button nor the list printed"
    );
    b.screenshot("posters-skipped").await;

    // Back on the unit's screen: the missing codes issued in one go, and again nothing more.
    b.go(&w.url("/admin/#/")).await;
    // The tree drawn first: a render still on its way would land over the unit's screen.
    b.wait_for("return document.querySelector('main h1')", "the unit tree")
        .await;
    b.admin_screen(&format!("#/units/{unit}")).await;
    b.press("bulk-issue").await;
    let said = b
        .wait_for(
            "const m = document.querySelector(\"[data-testid='bulk-result']\"); return m && m.className === 'ok' && m.textContent",
            "the bulk issue's answer",
        )
        .await;
    assert!(
        said.as_str().unwrap().starts_with("Видано QR-кодів: 2."),
        "{said}"
    );
    assert_eq!(
        w.count(&format!(
            "SELECT COUNT(*) FROM qr_codes WHERE employee_id IN ({with_code}, {revoked}, {without}) AND revoked_at IS NULL"
        )),
        3
    );
    assert_eq!(
        w.count(&format!(
            "SELECT COUNT(*) FROM qr_codes WHERE employee_id = {with_code}"
        )),
        1,
        "the working code was not reissued"
    );
    b.press("bulk-issue").await;
    b.wait_for(
        "const m = document.querySelector(\"[data-testid='bulk-result']\"); return m && m.textContent.startsWith('Усі активні')",
        "nothing left to issue",
    )
    .await;
    b.screenshot("bulk-issued").await;

    // A unit created below this one is confirmed with a link to it.
    b.fill("add-unit-name", "Сектор прийому").await;
    let forms = b
        .eval("return document.querySelectorAll(\"[data-testid='add-unit']\").length")
        .await;
    assert_eq!(forms, 1);
    b.press("add-unit").await;
    let link = b
        .wait_for(
            "const m = document.querySelector(\"[data-testid='unit-created'] a\"); return m && m.getAttribute('href') + ' ' + m.textContent",
            "the confirmation",
        )
        .await;
    let child: i64 = w.count("SELECT id FROM units WHERE name = 'Сектор прийому'");
    assert_eq!(link, format!("#/units/{child} Сектор прийому"));
    b.quit().await;
}

impl Browser {
    /// Switches the admin page to `lang` (read when the page loads) and waits for it.
    async fn speak(&self, lang: &str) {
        // The title marks the page before the reload, which may already be in `lang`.
        self.eval(&format!(
            "document.title = 'waiting'; localStorage.setItem('civicrate.lang', '{lang}'); location.reload(); return true"
        ))
        .await;
        self.wait_for(
            &format!("return document.title !== 'waiting' && document.readyState === 'complete' && document.documentElement.lang === '{lang}' && document.querySelector('main h1')"),
            lang,
        )
        .await;
    }
}

/// Flagged votes for the clerk, as screening leaves them (a reason each), on the 3rd of last
/// month; their ids.
fn flagged_votes(w: &crate::helpers::Worker, employee: i64, unit: i64, n: usize) -> Vec<i64> {
    let day = crate::results::first_of_last_month()
        .and_hms_opt(9, 0, 0)
        .unwrap()
        .and_utc()
        .timestamp()
        + 2 * 86_400;
    let db = w.db();
    (0..n)
        .map(|i| {
            db.execute(
                "INSERT INTO votes (employee_id, unit_id, channel, qr_issue, score, comment, has_contact, lang, source, client_hash, created_at, status, flag_reason) \
                 VALUES (?1, ?2, 0, 1, 1, NULL, 0, 'uk', 'api', ?3, ?4, 'flagged', 'too_fast')",
                rusqlite::params![employee, unit, format!("review-{i}"), day + 600 * i as i64],
            )
            .unwrap();
            db.last_insert_rowid()
        })
        .collect()
}

#[tokio::test]
async fn a_bulk_reject_asks_first_and_a_rejected_vote_goes_back_to_review_in_a_real_browser() {
    use crate::results::tree;
    let w = &crate::helpers::Worker::start(&crate::helpers::key(1));
    let t = tree(w).await;
    let votes = flagged_votes(w, t.clerk, t.hall, 3);
    let statuses = || {
        votes
            .iter()
            .map(|v| {
                w.db()
                    .query_row("SELECT status FROM votes WHERE id = ?1", [v], |r| {
                        r.get::<_, String>(0)
                    })
                    .unwrap()
            })
            .collect::<Vec<_>>()
    };
    let b = Browser::start().await;
    b.accept_invitation(w, "reviewer@city.example").await;
    b.speak("uk").await;
    b.admin_screen("#/review").await;
    b.wait_for(
        "return document.querySelectorAll(\"[data-testid='flagged-row']\").length === 3 && document.querySelector(\"[data-testid='rejected-list'] p\")",
        "three flagged votes and an empty list of rejected ones",
    )
    .await;
    // Tick the two newest and reject: a dialog asks first, saying how many.
    let tick = "[...document.querySelectorAll(\"[data-testid='flagged-row'] input[type=checkbox]\")].slice(0, 2).forEach((c) => c.click()); return true";
    b.eval(tick).await;
    b.press("review-reject").await;
    let asked = b
        .wait_for(
            "const d = document.querySelector(\"[data-testid='reject-dialog']\"); return d && d.open && d.textContent",
            "the confirmation",
        )
        .await;
    assert!(
        asked
            .as_str()
            .unwrap()
            .starts_with("Відхилити позначені оцінки (2)?"),
        "{asked}"
    );
    b.screenshot("review-confirm-uk").await;
    let axe = axe_source();
    let mut found = b.axe(&axe, "review, confirming uk").await;
    b.press("reject-cancel").await;
    b.wait_for(
        "return !document.querySelector(\"[data-testid='reject-dialog']\").open",
        "the dialog closed",
    )
    .await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(
        statuses(),
        ["flagged", "flagged", "flagged"],
        "cancel changes nothing"
    );
    assert_eq!(
        b.eval("return document.querySelectorAll(\"[data-testid='flagged-row']\").length")
            .await,
        3
    );

    b.press("review-reject").await;
    b.wait_for(
        "return document.querySelector(\"[data-testid='reject-dialog']\").open",
        "the confirmation again",
    )
    .await;
    b.press("reject-confirm").await;
    b.wait_for(
        "return document.querySelectorAll(\"[data-testid='flagged-row']\").length === 1 && document.querySelectorAll(\"[data-testid='rejected-row']\").length === 2",
        "one flagged vote left and two rejected ones listed",
    )
    .await;
    assert_eq!(statuses(), ["flagged", "rejected", "rejected"]);
    // The message is written after the list is drawn again: wait for it.
    let said = b
        .wait_for(
            "const s = document.querySelector('main [role=status]'); return s && s.textContent",
            "the status message",
        )
        .await;
    assert!(said.as_str().unwrap().contains('2'), "{said}");
    b.screenshot("review-rejected-uk").await;
    found += &b.axe(&axe, "review with rejected votes uk").await;

    // Back to review: the newest rejected vote is flagged again and leaves the list.
    let newest = votes[2];
    b.eval(&format!(
        "document.querySelector(\"[data-testid='rejected-row'][data-vote='{newest}'] [data-testid='undo-rejection']\").click(); return true"
    ))
    .await;
    b.wait_for(
        &format!("return document.querySelectorAll(\"[data-testid='flagged-row']\").length === 2 && document.querySelector(\"[data-testid='flagged-row'][data-vote='{newest}']\") && document.querySelectorAll(\"[data-testid='rejected-row']\").length === 1"),
        "the vote back among the flagged",
    )
    .await;
    assert_eq!(statuses(), ["flagged", "rejected", "flagged"]);
    assert_eq!(
        w.count(&format!("SELECT COUNT(*) FROM audit_log WHERE action = 'vote_rejection_undone' AND object = 'vote:{newest}'")),
        1
    );
    // The message is written after the list is drawn again: wait for it.
    let said = b
        .wait_for(
            "const s = document.querySelector('main [role=status]'); return s && s.textContent",
            "the status message",
        )
        .await;
    assert_eq!(said, "Оцінку (Олена Коваль) повернуто на перевірку.");

    // In Persian, the question is asked in Persian.
    b.speak("fa").await;
    b.admin_screen("#/review").await;
    b.wait_for(
        "return document.querySelectorAll(\"[data-testid='flagged-row']\").length === 2",
        "the flagged votes in fa",
    )
    .await;
    b.eval("document.querySelector(\"[data-testid='flagged-row'] input[type=checkbox]\").click(); return true")
        .await;
    b.press("review-reject").await;
    let asked = b
        .wait_for(
            "const d = document.querySelector(\"[data-testid='reject-dialog']\"); return d && d.open && d.textContent",
            "the confirmation in fa",
        )
        .await;
    assert!(asked.as_str().unwrap().contains("(۱)"), "{asked}");
    b.screenshot("review-confirm-fa").await;
    found += &b.axe(&axe, "review, confirming fa").await;
    b.press("reject-cancel").await;
    b.quit().await;
    assert!(
        found.is_empty(),
        "axe found serious or critical violations:\n{found}"
    );
}

#[tokio::test]
async fn the_trend_names_its_axes_says_when_a_period_has_no_votes_and_fa_dates_read_in_the_persian_calendar(
) {
    use crate::results::{cron, first_of_last_month, insert, sample_votes, tree, HOURLY};
    let w = &crate::helpers::Worker::start(&crate::helpers::key(1));
    let t = tree(w).await;
    insert(w, &sample_votes(&t));
    cron(w, HOURLY).await;
    let b = Browser::start().await;
    b.window(1280, 900).await;
    b.accept_invitation(w, "trend@city.example").await;
    let month = format!("period=month&date={}", first_of_last_month());
    let empty = "period=month&date=2020-01-01";
    for (lang, no_votes, top_share, percent) in [
        ("uk", "За цей період оцінок немає.", "100", '%'),
        ("fa", "در این دوره رأیی ثبت نشده است.", "۱۰۰", '٪'),
    ] {
        b.speak(lang).await;
        b.admin_screen(&format!("#/results/units/{}?{month}", t.region))
            .await;
        b.wait_for(
            "return document.querySelector(\"[data-testid='trend']\")",
            "the trend",
        )
        .await;
        // Gridlines at none, half and all: votes on one side (the busiest day had 12, a scale
        // of 12), the share on the other; the first, middle and last day under the columns.
        let ticks = b
            .eval("const q = (id) => [...document.querySelectorAll(`[data-testid='${id}']`)].map((e) => e.textContent); return [q('trend-votes-tick'), q('trend-share-tick'), q('trend-period-tick').length, document.querySelectorAll(\"[data-testid='trend-grid']\").length]")
            .await;
        let fa = lang == "fa";
        let votes_ticks = if fa {
            json!(["۰", "۶", "۱۲"])
        } else {
            json!(["0", "6", "12"])
        };
        assert_eq!(ticks[0], votes_ticks, "{lang}: {ticks}");
        let all = ticks[1][2].as_str().unwrap();
        assert!(
            all.contains(top_share) && all.contains(percent),
            "{lang}: {ticks}"
        );
        assert_eq!(ticks[2], 3, "{lang}: {ticks}");
        assert_eq!(ticks[3], 3, "{lang}: {ticks}");
        // Every day of the month has its title, and a row in the table screen readers get.
        let points = b
            .eval("const p = [...document.querySelectorAll(\"[data-testid='trend-point']\")]; return [p.length, p.every((g) => g.querySelector('title') && g.querySelector('title').textContent.length > 8), document.querySelectorAll(\"[data-testid='trend-table'] tbody tr\").length, document.querySelector(\"[data-testid='trend']\").getAttribute('aria-label')]")
            .await;
        let days = points[0].as_u64().unwrap();
        assert!(days >= 28, "{points}");
        assert_eq!(points[1], true, "{points}");
        assert_eq!(points[2].as_u64().unwrap(), days, "{points}");
        let label = points[3].as_str().unwrap();
        assert!(
            label.contains(if fa { "۱۵" } else { "15" }),
            "{lang}: {label}"
        );
        b.eval("document.querySelector(\"[data-testid='trend']\").scrollIntoView(); return true")
            .await;
        b.screenshot(&format!("trend-{lang}")).await;

        // A month without votes says so, and draws no empty frame.
        b.admin_screen(&format!("#/results/units/{}?{empty}", t.region))
            .await;
        let said = b
            .wait_for(
                "const e = document.querySelector(\"[data-testid='trend-empty']\"); return e && e.textContent",
                "the no-votes message",
            )
            .await;
        assert_eq!(said, no_votes, "{lang}");
        assert_eq!(
            b.eval("return document.querySelector(\"[data-testid='trend']\")")
                .await,
            Value::Null
        );
    }

    // In fa, the chosen day is read under the field in the Solar Hijri calendar, while the
    // field keeps the ISO date for the API: 21 March 2026 is 1 Farvardin 1405 (Nowruz).
    b.eval("const d = document.querySelector(\"[data-testid='period-date']\"); d.value = '2026-03-21'; d.dispatchEvent(new Event('input', {bubbles: true})); return true")
        .await;
    let echo = b
        .eval("const d = document.querySelector(\"[data-testid='period-date']\"); const o = d.parentElement.querySelector(\"[data-testid='date-echo']\"); return [o.tagName, o.htmlFor.value, d.id, o.textContent, d.value]")
        .await;
    assert_eq!(echo[0], "OUTPUT", "{echo}");
    assert_eq!(echo[1], echo[2], "the output is for its field: {echo}");
    let text = echo[3].as_str().unwrap();
    assert!(
        text.contains("فروردین") && text.contains("۱۴۰۵") && text.contains('۱'),
        "{text}"
    );
    assert!(!text.chars().any(|c| c.is_ascii_digit()), "{text}");
    assert_eq!(echo[4], "2026-03-21");
    b.screenshot("date-fa").await;
    b.press("period-show").await;
    b.wait_for(
        "return location.hash.includes('date=2026-03-21')",
        "the ISO date in the address",
    )
    .await;
    b.quit().await;
}

#[tokio::test]
async fn the_results_screen_says_when_it_was_updated_and_how_many_votes_wait_in_uk_and_fa() {
    use crate::results::{cron, tree, HOURLY};
    let w = &crate::helpers::Worker::start(&crate::helpers::key(1));
    let t = tree(w).await;
    cron(w, HOURLY).await;
    // Three votes of this month, rolled up (written as the vote path stores them).
    use crate::month_to_date::{at, first_of, spread, vote};
    let first = first_of(crate::results::today());
    for (i, score) in [3, 2, 1].into_iter().enumerate() {
        vote(
            w,
            t.clerk,
            t.hall,
            score,
            spread(at(first, 0, 5), i as i64),
            None,
        );
    }
    let b = Browser::start().await;
    b.window(360, 800).await;
    b.accept_invitation(w, "live@city.example").await;
    for (lang, updated, waiting, three) in [
        ("uk", "Оновлено ", "чекають на перевірку", "3"),
        ("fa", "به‌روزشده در ", "در انتظار بررسی", "۳"),
    ] {
        b.speak(lang).await;
        b.admin_screen(&format!("#/results/units/{}", t.city)).await;
        let line = b
            .wait_for(
                "const e = document.querySelector(\"[data-testid='results-live']\"); return e && e.textContent",
                "the updated/waiting line",
            )
            .await;
        let line = line.as_str().unwrap();
        assert!(line.starts_with(updated), "{lang}: {line}");
        assert!(
            line.contains(waiting) && line.contains(three),
            "{lang}: {line}"
        );
        // The waiting votes' provisional average (3 + 2 + 1) / 3, apart from the figures.
        let provisional = b
            .eval("const e = document.querySelector(\"[data-testid='results-provisional']\"); return e && e.textContent")
            .await;
        let two = if lang == "fa" { "۲٫۰" } else { "2,0" };
        assert!(
            provisional.as_str().unwrap_or("").contains(two),
            "{lang}: {provisional}"
        );
        b.screenshot(&format!("results-live-{lang}")).await;
    }
    b.quit().await;
}

/// The heading and help of the link-acceptance page at `hash`, in `lang`.
async fn acceptance_page(
    b: &Browser,
    w: &crate::helpers::Worker,
    hash: &str,
    lang: &str,
) -> (String, String) {
    b.go(&w.url(&format!("/admin/{hash}"))).await;
    b.speak(lang).await;
    let seen = b
        .wait_for(
            "const h = document.querySelector('main h1'); const p = document.querySelector(\"[data-testid='accept-help']\"); return h && p && document.querySelector(\"[data-testid='accept']\") && [h.textContent, p.textContent]",
            hash,
        )
        .await;
    (
        seen[0].as_str().unwrap().to_owned(),
        seen[1].as_str().unwrap().to_owned(),
    )
}

#[tokio::test]
async fn a_reset_link_says_reset_your_password_and_an_invitation_says_invitation_in_ukrainian_and_persian(
) {
    let w = &crate::helpers::Worker::start(&crate::helpers::key(1));
    let unit = w.create_unit("Міська рада", None).await;
    let (forgetful, _) = w
        .account("forgetful@city.example", "unit_admin", Some(unit))
        .await;
    let id = forgetful.me["account"]["id"].as_i64().unwrap();
    let made = w
        .admin(
            reqwest::Method::POST,
            &format!("/api/v1/admin/accounts/{id}/reset-link"),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(made.status(), 201);
    let link = made.json::<Value>().await.unwrap()["link"]
        .as_str()
        .unwrap()
        .to_owned();
    let reset = link.split_once("/admin/").unwrap().1.to_owned();
    assert!(reset.starts_with("#/reset/"), "{link}");
    let invitation = format!(
        "#/invite/{}",
        w.invite("newcomer@city.example", "viewer", Some(unit))
            .await
    );

    let b = Browser::start().await;
    let axe = axe_source();
    let mut found = String::new();
    for (lang, reset_title, invitation_title, new_role) in [
        (
            "uk",
            "Відновлення доступу: задайте новий пароль",
            "Запрошення: оберіть пароль",
            "нову роль",
        ),
        (
            "fa",
            "بازیابی دسترسی: گذرواژهٔ تازه را تعیین کنید",
            "دعوت‌نامه: گذرواژه را انتخاب کنید",
            "نقش تازه",
        ),
    ] {
        let (title, help) = acceptance_page(&b, w, &invitation, lang).await;
        assert_eq!(title, invitation_title, "{lang}");
        assert!(!help.is_empty(), "{lang}");
        let (title, help) = acceptance_page(&b, w, &reset, lang).await;
        assert_eq!(title, reset_title, "{lang}");
        assert!(
            !help.contains(new_role) && !title.contains(invitation_title),
            "a reset offers no new role: {lang}: {help}"
        );
        b.screenshot(&format!("reset-link-{lang}")).await;
        found += &b.axe(&axe, &format!("reset link {lang}")).await;
    }
    // The reset itself: a new password, then the owner is in.
    b.fill("new-password", "нова весна у місті").await;
    b.fill("new-password-2", "нова весна у місті").await;
    b.press("accept").await;
    b.wait_for(
        "return document.getElementById('menu').textContent.length > 0",
        "signed in after the reset",
    )
    .await;
    assert_eq!(
        w.count("SELECT COUNT(*) FROM audit_log WHERE action = 'password_reset_accepted'"),
        1
    );
    b.quit().await;
    assert!(
        found.is_empty(),
        "axe found serious or critical violations:\n{found}"
    );
}

#[tokio::test]
async fn several_rejected_votes_go_back_to_review_at_once_after_a_confirmation_in_ukrainian_and_persian(
) {
    use crate::results::tree;
    let w = &crate::helpers::Worker::start(&crate::helpers::key(1));
    let t = tree(w).await;
    let votes = flagged_votes(w, t.clerk, t.hall, 4);
    let rejected = w
        .admin(reqwest::Method::POST, "/api/v1/admin/review")
        .json(&json!({"votes": votes, "decision": "reject"}))
        .send()
        .await
        .unwrap();
    assert_eq!(rejected.json::<Value>().await.unwrap()["changed"], 4);
    let statuses = || {
        votes
            .iter()
            .map(|v| {
                w.db()
                    .query_row("SELECT status FROM votes WHERE id = ?1", [v], |r| {
                        r.get::<_, String>(0)
                    })
                    .unwrap()
            })
            .collect::<Vec<_>>()
    };
    let rows = "return [document.querySelectorAll(\"[data-testid='flagged-row']\").length, document.querySelectorAll(\"[data-testid='rejected-row']\").length]";
    let b = Browser::start().await;
    b.accept_invitation(w, "undoer@city.example").await;
    b.speak("uk").await;
    b.admin_screen("#/review").await;
    b.wait_for(
        "return document.querySelectorAll(\"[data-testid='rejected-row']\").length === 4",
        "four rejected votes",
    )
    .await;
    assert_eq!(b.eval(rows).await, json!([0, 4]));

    // Nothing ticked: the page says so and asks nothing.
    b.press("undo-selected").await;
    let said = b
        .wait_for(
            "const s = document.querySelector('main [role=status]'); return s && s.textContent",
            "the hint",
        )
        .await;
    assert_eq!(said, "Позначте оцінки.");
    assert_eq!(
        b.eval("return document.querySelector(\"[data-testid='undo-dialog']\").open")
            .await,
        false
    );

    // "All on this page", then one unticked: the dialog asks about three.
    b.press("undo-all").await;
    assert_eq!(
        b.eval("return [...document.querySelectorAll(\"[data-testid='undo-box']\")].filter((c) => c.checked).length")
            .await,
        4
    );
    let oldest = votes[0];
    b.eval(&format!(
        "document.querySelector(\"[data-testid='rejected-row'][data-vote='{oldest}'] [data-testid='undo-box']\").click(); return true"
    ))
    .await;
    b.press("undo-selected").await;
    let asked = b
        .wait_for(
            "const d = document.querySelector(\"[data-testid='undo-dialog']\"); return d && d.open && d.textContent",
            "the confirmation",
        )
        .await;
    assert!(
        asked
            .as_str()
            .unwrap()
            .starts_with("Повернути позначені оцінки (3) на перевірку?"),
        "{asked}"
    );
    b.screenshot("undo-confirm-uk").await;
    let axe = axe_source();
    let mut found = b.axe(&axe, "bulk undo, confirming uk").await;
    b.press("undo-cancel").await;
    b.wait_for(
        "return !document.querySelector(\"[data-testid='undo-dialog']\").open",
        "the dialog closed",
    )
    .await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(statuses(), ["rejected"; 4], "cancel changes nothing");

    b.press("undo-selected").await;
    b.wait_for(
        "return document.querySelector(\"[data-testid='undo-dialog']\").open",
        "the confirmation again",
    )
    .await;
    b.press("undo-confirm").await;
    b.wait_for(
        "return document.querySelectorAll(\"[data-testid='flagged-row']\").length === 3 && document.querySelectorAll(\"[data-testid='rejected-row']\").length === 1",
        "three back among the flagged, one still rejected",
    )
    .await;
    assert_eq!(statuses(), ["rejected", "flagged", "flagged", "flagged"]);
    // The message is written after the list is drawn again: wait for it.
    let said = b
        .wait_for(
            "const s = document.querySelector('main [role=status]'); return s && s.textContent",
            "the status message",
        )
        .await;
    assert_eq!(said, "Повернуто на перевірку: 3.");
    for v in &votes[1..] {
        assert_eq!(
            w.count(&format!("SELECT COUNT(*) FROM audit_log WHERE action = 'vote_rejection_undone' AND object = 'vote:{v}' AND actor = 'undoer@city.example'")),
            1,
            "vote {v}"
        );
    }
    found += &b.axe(&axe, "bulk undo done uk").await;

    // In Persian: the last one, asked and said in Persian digits.
    b.speak("fa").await;
    b.admin_screen("#/review").await;
    b.wait_for(
        "return document.querySelectorAll(\"[data-testid='rejected-row']\").length === 1",
        "the rejected vote in fa",
    )
    .await;
    b.press("undo-all").await;
    b.press("undo-selected").await;
    let asked = b
        .wait_for(
            "const d = document.querySelector(\"[data-testid='undo-dialog']\"); return d && d.open && d.textContent",
            "the confirmation in fa",
        )
        .await;
    assert!(
        asked
            .as_str()
            .unwrap()
            .starts_with("آرای علامت‌خورده (۱) به بررسی برگردند؟"),
        "{asked}"
    );
    b.screenshot("undo-confirm-fa").await;
    found += &b.axe(&axe, "bulk undo, confirming fa").await;
    b.press("undo-confirm").await;
    b.wait_for(
        "return document.querySelectorAll(\"[data-testid='flagged-row']\").length === 4 && !document.querySelector(\"[data-testid='rejected-row']\")",
        "all four back in review",
    )
    .await;
    // The message is written after the list is drawn again: wait for it.
    let said = b
        .wait_for(
            "const s = document.querySelector('main [role=status]'); return s && s.textContent",
            "the status message",
        )
        .await;
    assert_eq!(said, "به بررسی برگشت: ۱.");
    assert_eq!(statuses(), ["flagged"; 4]);
    b.quit().await;
    assert!(
        found.is_empty(),
        "axe found serious or critical violations:\n{found}"
    );
}

#[tokio::test]
async fn the_inbox_holds_feedback_to_answer_not_praise_and_never_takes_the_citizen_pages_word_in_any_language(
) {
    use crate::results::{commented, cron, insert, tree, HOURLY};
    let w = &crate::helpers::Worker::start(&crate::helpers::key(1));
    let t = tree(w).await;
    // The seeded scale's top level is 3.
    insert(
        w,
        &[
            commented(t.clerk, t.hall, 3, "Дуже дякую, все швидко"),
            commented(t.clerk, t.hall, 1, "Довго чекала в черзі"),
        ],
    );
    cron(w, HOURLY).await;
    let b = Browser::start().await;
    b.accept_invitation(w, "inbox@city.example").await;
    let axe = axe_source();
    let mut found = String::new();
    // (language, the inbox's name, a word of its help, the word the citizen page disclaims)
    for (lang, name, help, disclaimed) in [
        (
            "uk",
            "Відгуки до опрацювання",
            "Подяки без контакту",
            "зверн",
        ),
        (
            "ru",
            "Отзывы к обработке",
            "Благодарности без контакта",
            "обращ",
        ),
        ("kk", "Өңделетін пікірлер", "Байланыссыз алғыстар", "өтініш"),
        ("fa", "پیگیری‌ها", "قدردانی‌های بدون اطلاعات تماس", "درخواست"),
        ("en", "Inbox", "Praise without a contact", "request"),
    ] {
        b.speak(lang).await;
        b.admin_screen("#/inbox").await;
        let seen = b
            .wait_for(
                "const h = document.querySelector('main h1'); const m = [...document.querySelectorAll('#menu a')].find((a) => a.getAttribute('href') === '#/inbox'); const p = document.querySelector('main p.muted'); return h && m && p && document.querySelector(\"[data-testid='case']\") && [h.textContent, m.textContent, p.textContent, document.querySelectorAll(\"[data-testid='case']\").length, document.querySelector('main').textContent]",
                "the inbox",
            )
            .await;
        assert_eq!(seen[0], name, "{lang}: the heading");
        assert_eq!(seen[1], name, "{lang}: the menu");
        assert!(
            seen[2].as_str().unwrap().contains(help),
            "{lang}: {}",
            seen[2]
        );
        for named in [&seen[0], &seen[1]] {
            assert!(
                !named.as_str().unwrap().to_lowercase().contains(disclaimed),
                "{lang}: {named}"
            );
        }
        assert_eq!(seen[3], 1, "{lang}: only the complaint is a case");
        let text = seen[4].as_str().unwrap();
        assert!(
            text.contains("Довго чекала в черзі") && !text.contains("Дуже дякую"),
            "{lang}"
        );
        if lang == "uk" || lang == "fa" {
            b.screenshot(&format!("inbox-{lang}")).await;
            found += &b.axe(&axe, &format!("inbox {lang}")).await;
        }
    }
    b.quit().await;
    assert!(
        found.is_empty(),
        "axe found serious or critical violations:\n{found}"
    );
}

impl Browser {
    async fn window_handles(&self) -> Vec<String> {
        self.cmd(reqwest::Method::GET, "/window/handles", None)
            .await
            .as_array()
            .unwrap()
            .iter()
            .map(|h| h.as_str().unwrap().to_owned())
            .collect()
    }

    async fn switch_to(&self, handle: &str) {
        self.cmd(
            reqwest::Method::POST,
            "/window",
            Some(json!({ "handle": handle })),
        )
        .await;
    }
}

#[tokio::test]
async fn the_monthly_card_exports_this_months_csv_and_prints_it_marked_provisional_in_uk_and_fa() {
    use crate::results::{cron, tree, HOURLY};
    let w = &crate::helpers::Worker::start(&crate::helpers::key(1));
    let t = tree(w).await;
    // Three votes of this month, rolled up (written as the vote path stores them).
    use crate::month_to_date::{at, first_of, spread, vote};
    let first = first_of(crate::results::today());
    for (i, score) in [3, 2, 1].into_iter().enumerate() {
        vote(
            w,
            t.clerk,
            t.hall,
            score,
            spread(at(first, 0, 5), i as i64),
            None,
        );
    }
    cron(w, HOURLY).await;
    let month = {
        let d = crate::results::today();
        format!("{}", d.format("%Y-%m"))
    };
    let axe = axe_source();
    let mut violations = String::new();
    let b = Browser::start().await;
    b.window(360, 800).await;
    b.accept_invitation(w, "month-to-date@city.example").await;
    let main = b.window_handles().await;
    assert_eq!(main.len(), 1);
    for (lang, help, notice) in [
        ("uk", "попередній", "звіт не остаточний"),
        ("fa", "موقت است", "گزارش قطعی نیست"),
    ] {
        b.speak(lang).await;
        b.admin_screen(&format!("#/results/units/{}", t.city)).await;
        b.wait_for(
            "return document.querySelector(\"[data-testid='monthly-csv']\")",
            "the monthly card",
        )
        .await;
        // The month input starts at the unit's current month, and the help says its report is
        // provisional.
        let value = b
            .eval("return document.querySelector('input[type=month]').value")
            .await;
        assert_eq!(value, month.as_str(), "{lang}");
        let text = b
            .eval("return document.querySelector(\"[data-testid='monthly-help']\").textContent")
            .await;
        assert!(text.as_str().unwrap().contains(help), "{lang}: {text}");
        violations.push_str(
            &b.axe(&axe, &format!("results with the monthly card ({lang})"))
                .await,
        );

        // The CSV: the file the page hands to the browser to download, read back.
        b.eval(
            "window.__csv = null; window.__csvName = null; const create = URL.createObjectURL; \
             URL.createObjectURL = function (blob) { blob.arrayBuffer().then((buf) => { const b = new Uint8Array(buf); \
             window.__csv = [b[0], b[1], b[2]].join(',') + '|' + new TextDecoder().decode(b); }); return create.call(URL, blob); }; \
             const click = HTMLAnchorElement.prototype.click; \
             HTMLAnchorElement.prototype.click = function () { if (this.download) window.__csvName = this.download; return click.call(this); }; return true",
        )
        .await;
        b.press("monthly-csv").await;
        // An error message instead ends the wait at once, and the assertion below shows it.
        let csv = b
            .wait_for(
                "const m = document.querySelector(\"[data-testid='monthly-message']\").textContent; return window.__csv || (m && 'message: ' + m)",
                "the CSV download",
            )
            .await;
        let csv = csv.as_str().unwrap();
        assert!(csv.starts_with("239,187,191|"), "{lang}: a BOM: {csv}");
        assert!(
            csv.contains("Month to date, not closed: figures may change; as of "),
            "{lang}: {csv}"
        );
        assert!(
            csv.contains(&format!("month,{},Місто,{month},,,3,", t.city)),
            "{lang}: {csv}"
        );
        let name = b.eval("return window.__csvName").await;
        assert_eq!(name, format!("report-{}-{month}.csv", t.city).as_str());
        let message = b
            .eval("return document.querySelector(\"[data-testid='monthly-message']\").textContent")
            .await;
        assert_eq!(message, "", "{lang}: no error message");

        // The printable report opens in a new window, its notice at the top.
        b.press("monthly-html").await;
        let deadline = Instant::now() + Duration::from_secs(30);
        let printable = loop {
            let handles = b.window_handles().await;
            if let Some(h) = handles.iter().find(|h| !main.contains(h)) {
                break h.clone();
            }
            assert!(Instant::now() < deadline, "{lang}: no printable window");
            tokio::time::sleep(Duration::from_millis(100)).await;
        };
        b.switch_to(&printable).await;
        let shown = b
            .wait_for(
                "const n = document.querySelector(\"[data-testid='provisional']\"); return document.readyState === 'complete' && n && n.textContent",
                "the provisional notice",
            )
            .await;
        assert!(shown.as_str().unwrap().contains(notice), "{lang}: {shown}");
        let first = b
            .eval("return document.querySelector('main').firstElementChild.nextElementSibling.dataset.testid")
            .await;
        assert_eq!(first, "provisional", "{lang}: right under the heading");
        b.screenshot(&format!("monthly-to-date-{lang}")).await;
        violations.push_str(
            &b.axe(&axe, &format!("printable month to date ({lang})"))
                .await,
        );
        b.cmd(reqwest::Method::DELETE, "/window", None).await;
        b.switch_to(&main[0]).await;
    }
    b.quit().await;
    assert!(violations.is_empty(), "{violations}");
}

/// Live figures per local day, score and criterion: in a Tehran unit, votes waiting for the
/// roll-up show as a striped "waiting for screening" segment on their local day (one of them
/// cast at 21:00 UTC the day before, 00:30 local), named in the legend; the live line names
/// their scores in the scale's words; the criteria card has a provisional line; axe finds
/// nothing serious on the screen.
#[tokio::test]
async fn waiting_votes_show_on_their_local_day_in_the_trend_with_their_scores_and_criteria_in_uk_and_fa(
) {
    use crate::local_days::{at, insert};
    use crate::results::{cron, tree, HOURLY};
    let w = &crate::helpers::Worker::start_with(
        &crate::helpers::key(1),
        &[("DEFAULT_TIMEZONE", "Asia/Tehran")],
    );
    let resp = w
        .admin(reqwest::Method::POST, "/api/v1/admin/criteria")
        .json(&json!({"code": "waiting_time", "labels": {"uk": "Час очікування", "fa": "زمان انتظار", "en": "Waiting time"}, "position": 1}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 201);
    let criterion = resp.json::<Value>().await.unwrap()["id"].as_i64().unwrap();
    let t = tree(w).await;
    cron(w, HOURLY).await;
    let token = w.issue_code(t.clerk).await["token"]
        .as_str()
        .expect("token")
        .to_owned();
    for (score, answer) in [(3, 1), (2, 2)] {
        let resp = w
            .vote_json(json!({"token": token, "score": score, "lang": "fa", "criteria": {"waiting_time": answer}}))
            .await;
        assert_eq!(resp.status(), 201);
    }
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    let local = chrono::DateTime::from_timestamp(now + 210 * 60, 0)
        .unwrap()
        .date_naive();
    let late = insert(
        w,
        t.clerk,
        t.hall,
        3,
        at(local - chrono::Duration::days(1), 21, 0),
    );
    w.db()
        .execute(
            "INSERT INTO vote_criteria (vote_id, criterion_id, score) VALUES (?1, ?2, 3)",
            rusqlite::params![late, criterion],
        )
        .unwrap();

    let axe = axe_source();
    let b = Browser::start().await;
    b.window(360, 800).await;
    b.accept_invitation(w, "local-live@city.example").await;
    let mut found = String::new();
    for (lang, words, scores, answers) in [
        (
            "uk",
            "чекають на перевірку",
            ["2 × Зразково", "1 × Добре"],
            ["відповідей 3", "2,00"],
        ),
        (
            "fa",
            "در انتظار بررسی",
            ["۲ × عالی", "۱ × خوب"],
            ["۳ پاسخ", "۲٫۰۰"],
        ),
    ] {
        b.speak(lang).await;
        b.admin_screen(&format!(
            "#/results/units/{}?period=month&date={local}",
            t.city
        ))
        .await;
        // The striped segment sits on the local day (its UTC date is the day before for one).
        let segment = b
            .wait_for(
                "const s = [...document.querySelectorAll(\"[data-testid='trend-waiting']\")]; \
                 return s.length ? s.map((e) => [e.dataset.from, e.dataset.waiting, e.getAttribute('fill')]) : null",
                "the waiting segment",
            )
            .await;
        assert_eq!(
            segment.as_array().map(Vec::len),
            Some(1),
            "{lang}: {segment}"
        );
        assert_eq!(segment[0][0], local.to_string(), "{lang}: {segment}");
        assert_eq!(segment[0][1], "3", "{lang}: {segment}");
        assert!(
            segment[0][2].as_str().unwrap_or("").starts_with("url(#"),
            "a pattern, not a colour alone: {segment}"
        );
        let legend = b
            .eval("const e = document.querySelector(\"[data-testid='trend-legend-waiting']\"); return e && e.textContent")
            .await;
        assert!(
            legend.as_str().unwrap_or("").contains(words),
            "{lang}: {legend}"
        );
        let label = b
            .eval("return document.querySelector(\"[data-testid='trend']\").getAttribute('aria-label')")
            .await;
        assert!(
            label.as_str().unwrap_or("").contains(words),
            "the chart's text names them: {lang}: {label}"
        );
        let table = b
            .eval("return document.querySelector(\"[data-testid='trend-table']\").textContent")
            .await;
        assert!(table.as_str().unwrap_or("").contains(words), "{lang}");
        // Nothing counted yet: the official total stays at zero.
        let total = b
            .eval("return document.querySelector(\"[data-testid='total-votes']\").textContent")
            .await;
        assert!(
            total
                .as_str()
                .unwrap_or("")
                .starts_with(if lang == "fa" { "۰" } else { "0" }),
            "{lang}: {total}"
        );
        let line = b
            .eval("const e = document.querySelector(\"[data-testid='results-live-scores']\"); return e && e.textContent")
            .await;
        for s in scores {
            assert!(line.as_str().unwrap_or("").contains(s), "{lang}: {line}");
        }
        // (1 + 2 + 3) / 3 answers, apart from the criterion's counted columns.
        let provisional = b
            .eval("const e = document.querySelector(\"[data-testid='criterion-provisional']\"); return e && [e.dataset.criterion, e.textContent]")
            .await;
        assert_eq!(
            provisional[0],
            criterion.to_string(),
            "{lang}: {provisional}"
        );
        for a in answers.iter().chain([&words]) {
            assert!(
                provisional[1].as_str().unwrap_or("").contains(a),
                "{lang}: {provisional}"
            );
        }
        b.eval("document.querySelector(\"[data-testid='trend']\").scrollIntoView(); return true")
            .await;
        b.screenshot(&format!("results-waiting-{lang}")).await;
        found += &b
            .axe(&axe, &format!("results with waiting votes {lang}"))
            .await;
    }
    assert!(found.is_empty(), "serious or critical violations:\n{found}");

    // After the roll-up the segment and the lines are gone: the votes are counted.
    cron(w, HOURLY).await;
    b.admin_screen(&format!(
        "#/results/units/{}?period=month&date={local}",
        t.city
    ))
    .await;
    b.wait_for(
        "return document.querySelector(\"[data-testid='trend']\")",
        "the trend",
    )
    .await;
    let left = b
        .eval("return ['trend-waiting', 'trend-legend-waiting', 'results-live-scores', 'criterion-provisional'].filter((id) => document.querySelector(`[data-testid='${id}']`))")
        .await;
    assert_eq!(left, json!([]));
    b.quit().await;
}

impl Browser {
    /// Every request the browser sends from now on says it is `at` (unix seconds): the instance
    /// runs with `SIMULATED_CLOCK=on`, so the walk can stand at any local midnight it needs.
    async fn clock(&self, at: i64) {
        self.cmd(
            reqwest::Method::POST,
            "/goog/cdp/execute",
            Some(json!({"cmd": "Network.enable", "params": {}})),
        )
        .await;
        self.cmd(
            reqwest::Method::POST,
            "/goog/cdp/execute",
            Some(json!({"cmd": "Network.setExtraHTTPHeaders",
                "params": {"headers": {"X-Simulated-Time": at.to_string()}}})),
        )
        .await;
    }
}

#[tokio::test]
async fn a_vote_cast_after_local_midnight_shows_on_its_local_day_within_a_minute_and_in_the_months_csv_and_print(
) {
    use crate::helpers::{key, unix_now, Worker};
    // One vote is enough for its figures to show here.
    let w = Worker::start_with(&key(1), &[("SIMULATED_CLOCK", "on"), ("MIN_VOTES", "1")]);
    // Almaty is UTC+5 all year: its last midnight is 19:00 UTC on the day before, so a vote
    // just after it is on today's local date and yesterday's UTC date.
    const ALMATY: i64 = 5 * 3600;
    let now = unix_now();
    let midnight = (now + ALMATY).div_euclid(86_400) * 86_400 - ALMATY;
    let local_day = chrono::DateTime::from_timestamp(midnight + ALMATY, 0)
        .unwrap()
        .date_naive();
    let utc_day = chrono::DateTime::from_timestamp(midnight + 30, 0)
        .unwrap()
        .date_naive();
    assert_ne!(local_day, utc_day);

    for (position, code, kk, en) in [
        (1, "waiting_time", "Күту уақыты", "Waiting time"),
        (2, "premises", "Үй-жай", "Premises"),
    ] {
        let resp = w
            .admin(reqwest::Method::POST, "/api/v1/admin/criteria")
            .json(&json!({"code": code, "labels": {"kk": kk, "en": en}, "position": position}))
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), 201);
    }
    let b = Browser::start().await;
    // Ten minutes before midnight, an administrator signs in and builds the unit.
    b.clock(midnight - 600).await;
    b.accept_invitation(&w, "walk@city.example").await;
    b.fill("add-unit-name", "ЦНАП Алмали").await;
    b.eval("document.querySelector(\"[data-testid='add-unit-timezone']\").value = 'Asia/Almaty'; return true")
        .await;
    b.press("add-unit").await;
    let hash = b
        .wait_for(
            "return location.hash.startsWith('#/units/') && document.querySelector(\"[data-testid='unit-timezone']\") && location.hash",
            "the new unit's page",
        )
        .await;
    let unit: i64 = hash.as_str().unwrap()["#/units/".len()..].parse().unwrap();
    let employee = w.create_employee("Айгүл Сейтқали", "Маман", unit).await;
    let token = w.issue_code(employee).await["token"]
        .as_str()
        .unwrap()
        .to_owned();

    // Thirty seconds after local midnight, a citizen opens the page, rates, answers the
    // criteria and sends twenty seconds later.
    b.clock(midnight + 30).await;
    b.go(&w.url(&format!("/r/{token}?lang=kk"))).await;
    b.click(&b.find("label[for='score-3']").await).await;
    b.eval("for (const g of new Set([...document.querySelectorAll('input[type=radio]:not([name=score])')].map((r) => r.name))) { const all = document.querySelectorAll(`input[name='${g}']`); all[all.length - 1].click(); } return true").await;
    b.clock(midnight + 50).await;
    b.click(&b.find("form button, form [type=submit]").await)
        .await;
    b.wait_for(
        "return location.pathname.startsWith('/thanks')",
        "the thank-you page",
    )
    .await;
    let (created, criteria): (i64, i64) = w
        .db()
        .query_row(
            "SELECT created_at, (SELECT COUNT(*) FROM vote_criteria c WHERE c.vote_id = v.id) FROM votes v WHERE employee_id = ?1",
            [employee],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap();
    assert_eq!(created, midnight + 50);
    assert_eq!(criteria, 2, "both criteria were answered");

    // Fifty seconds after the vote, before any roll-up: the manager sees it waiting on the
    // local day (the striped segment), with its criteria answers as a provisional line.
    b.clock(midnight + 100).await;
    let month_of = |d: chrono::NaiveDate| d.format("%Y-%m").to_string();
    b.go(&w.url("/admin/")).await;
    // The tree drawn first: a render still on its way would land over the results.
    b.wait_for("return document.querySelector('main h1')", "the unit tree")
        .await;
    b.admin_screen(&format!(
        "#/results/units/{unit}?period=month&date={local_day}"
    ))
    .await;
    let segment = b
        .wait_for(
            "const s = [...document.querySelectorAll(\"[data-testid='trend-waiting']\")]; \
             return s.length ? s.map((e) => [e.dataset.from, e.dataset.waiting]) : null",
            "the waiting vote on the trend",
        )
        .await;
    assert_eq!(
        segment,
        json!([[local_day.to_string(), "1"]]),
        "on the local day, not {utc_day}"
    );
    let provisional = b
        .eval("return [...document.querySelectorAll(\"[data-testid='criterion-provisional']\")].length")
        .await;
    assert_eq!(provisional, 2, "both criteria, provisionally");
    b.screenshot("walk-waiting").await;

    // The hourly roll-up screens and counts it: the official figures have it on the local day,
    // criteria included; the UTC day before has nothing.
    crate::results::cron(&w, crate::results::HOURLY).await;
    assert_eq!(
        w.count(&format!(
            "SELECT COUNT(*) FROM daily_unit_stats WHERE unit_id = {unit} AND day = '{local_day}' AND counted = 1"
        )),
        1
    );
    assert_eq!(
        w.count(&format!(
            "SELECT COUNT(*) FROM daily_unit_stats WHERE unit_id = {unit} AND day = '{utc_day}'"
        )),
        0
    );
    b.clock(midnight + 160).await;
    b.admin_screen(&format!(
        "#/results/units/{unit}?period=day&date={local_day}"
    ))
    .await;
    b.wait_for(
        "const v = document.querySelector(\"[data-testid='total-votes']\"); return v && v.textContent.startsWith('1')",
        "the counted vote on its local day",
    )
    .await;
    let criteria_card = b
        .eval("const c = document.querySelector(\"[data-testid='criteria-results']\"); return c && c.textContent")
        .await;
    assert!(
        criteria_card.as_str().is_some_and(|t| !t.is_empty()),
        "criteria results: {criteria_card}"
    );

    // The month's CSV (the unit's open month, month to date) as the page downloads it.
    let month = month_of(local_day);
    b.admin_screen(&format!(
        "#/results/units/{unit}?period=month&date={local_day}"
    ))
    .await;
    let value = b
        .eval("return document.querySelector('input[type=month]').value")
        .await;
    assert_eq!(value, month.as_str(), "the unit's current month");
    b.eval(
        "window.__csv = null; const create = URL.createObjectURL; \
         URL.createObjectURL = function (blob) { blob.arrayBuffer().then((buf) => { const b = new Uint8Array(buf); \
         window.__csv = [b[0], b[1], b[2]].join(',') + '|' + new TextDecoder().decode(b); }); return create.call(URL, blob); }; return true",
    )
    .await;
    b.press("monthly-csv").await;
    let csv = b
        .wait_for(
            "const m = document.querySelector(\"[data-testid='monthly-message']\").textContent; return window.__csv || (m && 'message: ' + m)",
            "the month's CSV",
        )
        .await;
    let csv = csv.as_str().unwrap();
    assert!(csv.starts_with("239,187,191|"), "a BOM for Excel: {csv}");
    assert!(
        csv.contains(&format!("month,{unit},ЦНАП Алмали,{month},,,1,")),
        "the vote in its local month: {csv}"
    );
    assert!(
        csv.contains(&format!("criterion,{unit},ЦНАП Алмали,{month},,,1,"))
            && csv.contains("waiting_time")
            && csv.contains("premises"),
        "each criterion: {csv}"
    );

    // The printable report opens in a new window with the same month.
    let main = b.window_handles().await;
    b.press("monthly-html").await;
    let deadline = Instant::now() + Duration::from_secs(30);
    let printable = loop {
        if let Some(h) = b
            .window_handles()
            .await
            .into_iter()
            .find(|h| !main.contains(h))
        {
            break h;
        }
        assert!(Instant::now() < deadline, "no printable window");
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    b.switch_to(&printable).await;
    // A new window is a new target: it gets the walk's clock too (its session, signed before
    // midnight, has expired by the real clock), then loads again.
    b.clock(midnight + 220).await;
    b.eval("document.title = 'waiting'; location.reload(); return true")
        .await;
    let text = b
        .wait_for(
            "return document.title !== 'waiting' && document.readyState === 'complete' && document.body && document.body.innerText",
            "the printable report",
        )
        .await;
    let text = text.as_str().unwrap();
    assert!(
        text.contains("ЦНАП Алмали") && text.contains(&month),
        "{text}"
    );
    assert!(
        text.contains("Waiting time") || text.contains("Күту уақыты"),
        "the criteria are printed: {text}"
    );
    b.screenshot("walk-printable").await;
    b.quit().await;
}

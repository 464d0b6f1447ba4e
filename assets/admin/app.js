// The admin page: a small single-page app over the JSON API (docs/admin-api.md).
// Everything is built with createElement/textContent, so names and comments render inert.
// data-testid: email, password, sign-in, new-password, new-password-2, accept, unit-link,
// add-unit-name, add-unit-timezone, add-unit, unit-timezone, add-employee-name, add-employee-position, add-employee,
// employee-link, issue-qr, qr-image, poster-a5, unit-posters, token-name, create-token,
// token-secret, import-file, import-check, import-apply, import-report, invite-email,
// invite-role, invite-unit, invite, invite-link, audit-row, key-row, reissue-unit,
// direction-name, add-direction, unit-settings, unit-networks, grant-link, grant-link-copy,
// account-employee, link-employee, token-days, token-row, revoke-tokens, audit-who, audit-action,
// audit-from, audit-to, audit-filter, audit-csv, audit-newer, audit-more, invitation-row,
// invitation-revoke, reset-link-make, reset-link-copy, reset-link, search, search-go,
// search-unit, found-employee, qr-status, list-status, list-filter, list-next, list-prev,
// bulk-issue, bulk-subtree, bulk-result, import-issue, unit-created, accept-help, undo-box,
// undo-all, undo-selected, undo-dialog, undo-question, undo-confirm, undo-cancel.
"use strict";
(() => {
  const LANGS = [["uk", "Українська"], ["ru", "Русский"], ["kk", "Қазақша"], ["fa", "فارسی"], ["en", "English"]];
  const DAYS = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];
  const CHANNELS = [0, 1, 2, 3];
  let lang = localStorage.getItem("civicrate.lang") ||
    ((navigator.languages || []).map((l) => l.slice(0, 2)).find((l) => LANGS.some(([c]) => c === l))) || "uk";
  let me = null;
  const t = (k) => (window.I18N[lang] || {})[k] || window.I18N.en[k] || k;
  const main = document.getElementById("main");
  const locale = () => (lang === "fa" ? "fa-IR-u-ca-persian" : lang);
  const when = (secs) => (secs ? new Date(secs * 1000).toLocaleString(locale()) : "");
  // A vote's moment: by its local day and part of day when the server sent it so (an anonymous
  // vote), the exact time only for a vote with a contact (docs/privacy.md).
  const dayText = (day) => new Date(day + "T12:00:00Z").toLocaleDateString(locale(), { timeZone: "UTC" });
  const moment = (secs, v) => (v.part ? `${dayText(v.day)} · ${t("pd_" + v.part)}` : when(secs));
  const has = (role) => !!me && me.roles.some((r) => r.role === role);
  const isSuper = () => has("superadmin");
  const canManage = () => isSuper() || has("unit_admin");

  function el(tag, attrs, ...children) {
    const e = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (k === "on") for (const [ev, fn] of Object.entries(v)) e.addEventListener(ev, fn);
      else if (k === "testid") e.dataset.testid = v;
      else if (v === undefined || v === null) continue;
      else if (k === "value") e.value = v;
      else if (k === "checked") e.checked = !!v;
      else if (v !== false && v !== null && v !== false) e.setAttribute(k, v === true ? "" : v);
    }
    for (const c of children.flat()) if (c !== null && c !== undefined) e.append(typeof c === "string" || typeof c === "number" ? String(c) : c);
    return e;
  }

  async function api(method, path, body, type) {
    const headers = {};
    if (body !== undefined) headers["content-type"] = type || "application/json";
    if (method !== "GET" && me && me.csrf) headers["x-csrf-token"] = me.csrf;
    const resp = await fetch(path, { method, headers, credentials: "same-origin",
      body: body === undefined ? undefined : (type ? body : JSON.stringify(body)) });
    if (resp.status === 401 && !path.startsWith("/api/v1/session") && !path.startsWith("/api/v1/invitations")) {
      me = null; location.hash = "#/signin"; throw new Error("401");
    }
    const data = resp.status === 204 ? null : await resp.json().catch(() => null);
    if (!resp.ok) throw new Error(weakPassword(data && data.error) || apiMessage(resp.status, data && data.error));
    return data;
  }
  // The API's error in the page's language: by its code, with the server's English text only
  // where it names the field at fault.
  function apiMessage(status, error) {
    const code = (error && error.code) || (status === 413 ? "payload_too_large" : status >= 500 ? "unavailable" : "");
    const text = code && (window.I18N[lang][`e_${code}`] || window.I18N.en[`e_${code}`]);
    if (!text) return t("e_other").replace("{status}", String(status));
    const detail = code === "invalid_field" || code === "malformed_json" ? (error && error.message) : "";
    return detail ? `${text} (${detail})` : text;
  }

  // The server says in English why a password was refused; the page says it in the user's
  // language (the messages are those of WeakPassword in src/account.rs).
  const WEAK = { "must have at least 12 characters": "pw_short", "must have at most 128 characters": "pw_long",
    "must not contain the e-mail address": "pw_email", "is on the list of common and breached passwords": "pw_common",
    "must not repeat one character or one group of characters": "pw_repeat",
    "must not be a simple sequence such as 123456789012 or abcdefghijkl": "pw_sequence" };
  function weakPassword(e) {
    const key = e && e.code === "weak_password" && WEAK[String(e.message).replace(/^the password /, "")];
    return key ? t(key) : null;
  }

  // A form of labelled inputs. fields: [name, label, type, testid, {value, required, ...}].
  let formSeq = 0;
  function form(fields, submitLabel, onSubmit, testid) {
    const uid = "f" + (++formSeq) + "-";
    const msg = el("p", { role: "alert", class: "error" });
    const inputs = {};
    const f = el("form", { on: { submit: async (e) => {
      e.preventDefault(); msg.textContent = ""; msg.className = "error";
      const values = Object.fromEntries(Object.entries(inputs).map(([k, i]) => [k, i.type === "checkbox" ? i.checked : i.value]));
      try { await onSubmit(values, msg); } catch (err) { if (err.message !== "401") { msg.className = "error"; msg.textContent = err.message; } }
    } } });
    for (const [name, label, type, id, extra] of fields) {
      const o = extra || {};
      if (type === "note") { f.append(el("p", { class: "muted small", id: uid + name, testid: id }, label)); continue; }
      let input;
      if (type === "select") {
        input = el("select", { name, id: uid + name, testid: id }, o.options.map(([v, text]) => el("option", { value: v }, text)));
        if (o.value !== undefined) input.value = String(o.value);
      } else if (type === "textarea") {
        input = el("textarea", { name, id: uid + name, testid: id, rows: o.rows || 4, dir: o.dir }, o.value || "");
      } else {
        input = el("input", { type: type || "text", name, id: uid + name, testid: id, required: o.required !== false && type !== "checkbox",
          value: o.value, checked: o.checked, placeholder: o.placeholder, dir: o.dir, maxlength: o.maxlength, "aria-describedby": o.describedby ? uid + o.describedby : undefined,
          autocomplete: type === "password" ? (o.newPassword ? "new-password" : "current-password") : (type === "email" ? "username" : "off") });
      }
      inputs[name] = input;
      if (type === "checkbox") f.append(el("label", { class: "check" }, input, " ", label));
      else f.append(el("label", { for: uid + name }, label), input);
      if (o.help) f.append(el("p", { class: "muted small" }, o.help));
    }
    f.append(el("button", { type: "submit", testid }, submitLabel), msg);
    return f;
  }

  const saved = (msg) => { msg.className = "ok"; msg.textContent = t("saved"); };
  const card = (title, ...content) => el("section", { class: "card" }, title ? el("h2", {}, title) : null, ...content);
  const table = (head, rows, attrs) => el("div", { class: "scroll" }, el("table", attrs || {},
    head ? el("thead", {}, el("tr", {}, head.map((h) => el("th", { scope: "col" }, h === "" ? el("span", { class: "sr-only" }, t("actions")) : h)))) : null, el("tbody", {}, rows)));
  // Each step but the first after a separator that screen readers skip (they announce the list).
  const crumbs = (path, href = (s) => "#/units/" + s.id) => el("nav", { class: "breadcrumb", "aria-label": t("units") }, el("ol", {}, path.map((s, i) =>
    el("li", {}, i ? el("span", { class: "sep", "aria-hidden": "true" }, "›") : null, el("a", { href: href(s) }, s.name)))));
  // DOM's append and replaceChildren write null as the text "null": drop absent parts first.
  const put = (node, ...kids) => node.replaceChildren(...kids.flat().filter((c) => c !== null && c !== undefined));

  // A message for the next screen only (a unit just created), shown under its title.
  let flash = null;
  function page(title, ...content) {
    const once = flash; flash = null;
    main.replaceChildren(...[el("h1", {}, title), once, ...content.flat()].filter((c) => c !== null && c !== undefined));
    document.title = title + " · civicrate";
    main.focus();
  }

  function menu() {
    const nav = document.getElementById("menu");
    nav.replaceChildren();
    const old = document.getElementById("search");
    if (old) old.hidden = !me;
    if (!me) return;
    const link = (href, key) => el("a", { href }, t(key));
    searchBox();
    put(nav, link("#/", "units"), link("#/employees", "el_menu"), link("#/results", "results"), link("#/directions", "directions"),
      canManage() ? link("#/accounts", "accounts") : null,
      canManage() ? link("#/keys", "keys") : null,
      link("#/inbox", "c_inbox"),
      link("#/appeals", "a_appeals"),
      canManage() ? link("#/review", "r_review") : null,
      link("#/scale", "scale"),
      canManage() ? link("#/audit", "audit") : null,
      link("#/tokens", "tokens"), link("#/password", "passwordChange"),
      el("button", { class: "link", type: "button", on: { click: async () => {
        await api("DELETE", "/api/v1/session").catch(() => {}); me = null; location.hash = "#/signin"; } } }, t("signOut")),
      el("span", { class: "muted" }, me.account.email));
  }

  // The header's search box: units and employees of the caller's subtrees by a part of a name.
  function searchBox() {
    const old = document.getElementById("search");
    const q = new URLSearchParams((location.hash.split("?")[1]) || "").get("q") || "";
    const input = el("input", { type: "search", id: "q-search", name: "q", testid: "search", dir: "auto", maxlength: 200, value: location.hash.startsWith("#/search") ? q : "", autocomplete: "off" });
    const box = el("form", { id: "search", role: "search", class: "search", on: { submit: (e) => {
      e.preventDefault();
      if (input.value.trim()) location.hash = "#/search?q=" + encodeURIComponent(input.value.trim());
    } } }, el("label", { for: "q-search", class: "sr-only" }, t("s_label")), input,
      el("button", { type: "submit", class: "secondary", testid: "search-go" }, t("s_go")));
    if (old) old.replaceWith(box); else document.getElementById("lang").before(box);
  }

  const qrCell = (e) => el("td", { testid: "qr-status", "data-qr": e.qr, class: e.qr === "active" ? "ok" : e.qr === "revoked" ? "warning" : "muted" }, t("qr_" + e.qr));
  // Employees as the list and the search show them: name, position, unit, code status.
  const employeeTable = (list) => table([t("fullName"), t("position"), t("unit"), t("el_qr")], list.map((e) => el("tr", {},
    el("td", {}, el("a", { href: "#/employees/" + e.id, testid: "found-employee", dir: "auto" }, e.name), e.active ? null : el("span", { class: "muted" }, " (" + t("inactive") + ")")),
    el("td", { dir: "auto" }, e.position), el("td", {}, el("a", { href: "#/units/" + e.unit_id, dir: "auto" }, e.unit_name)), qrCell(e))));

  async function searchPage(hash) {
    const q = new URLSearchParams(hash.split("?")[1] || "").get("q") || "";
    const r = await api("GET", "/api/v1/admin/search" + (q ? "?q=" + encodeURIComponent(q) : ""));
    page(t("s_title").replace("{q}", q),
      card(t("units"), r.units.length ? el("ul", {}, r.units.map((u) => el("li", {},
        el("a", { href: "#/units/" + u.id, testid: "search-unit", dir: "auto" }, u.name),
        u.parent_name ? el("span", { class: "muted small" }, " · ", el("span", { dir: "auto" }, u.parent_name)) : null,
        u.active ? null : el("span", { class: "muted" }, " (" + t("inactive") + ")")))) : el("p", { class: "muted" }, t("s_none"))),
      card(t("employees"), r.employees.length ? employeeTable(r.employees) : el("p", { class: "muted" }, t("s_none")),
        el("p", {}, el("a", { href: "#/employees?q=" + encodeURIComponent(q), testid: "search-all" }, r.more_employees ? t("s_more") : t("s_list")))));
  }

  // Every employee of the caller's subtrees, 50 a page, by name; filtered by code status.
  async function employeeList(hash) {
    const q = new URLSearchParams(hash.split("?")[1] || "");
    const params = new URLSearchParams();
    for (const k of ["q", "status", "unit", "page"]) if (q.get(k)) params.set(k, q.get(k));
    const r = await api("GET", "/api/v1/admin/employees?" + params);
    const uid = "el" + (++formSeq);
    const name = el("input", { type: "search", id: uid + "q", value: q.get("q") || "", dir: "auto", maxlength: 200 });
    const status = el("select", { id: uid + "s", testid: "list-status" }, el("option", { value: "" }, t("r_any")),
      ["active", "revoked", "none"].map((s) => el("option", { value: s, selected: q.get("status") === s }, t("qr_" + s))));
    const filters = el("form", { class: "inline", on: { submit: (e) => {
      e.preventDefault();
      const p = new URLSearchParams();
      if (name.value.trim()) p.set("q", name.value.trim());
      if (status.value) p.set("status", status.value);
      if (q.get("unit")) p.set("unit", q.get("unit"));
      location.hash = "#/employees?" + p;
    } } }, el("label", { for: uid + "q" }, t("el_name")), name, el("label", { for: uid + "s" }, t("el_qr")), status,
      el("button", { type: "submit", testid: "list-filter" }, t("r_show")));
    const at = (n) => { const p = new URLSearchParams(params); p.set("page", String(n)); return "#/employees?" + p; };
    const pager = r.pages > 1 ? el("nav", { class: "row", "aria-label": t("el_pages") },
      r.page > 1 ? el("a", { href: at(r.page - 1), testid: "list-prev" }, t("el_prev")) : null,
      el("span", {}, t("el_page").replace("{p}", num(r.page)).replace("{n}", num(r.pages))),
      r.page < r.pages ? el("a", { href: at(r.page + 1), testid: "list-next" }, t("el_next")) : null) : null;
    page(t("el_title"), el("p", { class: "muted" }, t("el_help")), filters,
      card(null, el("p", { role: "status" }, t("el_total").replace("{n}", num(r.total))),
        r.employees.length ? employeeTable(r.employees) : el("p", { class: "muted" }, t("s_none")), pager));
  }

  // Codes for every active employee of a unit who has none; codes that work stay as they are.
  // One request issues a bounded number: it is repeated while some remain.
  async function issueMissing(unitId, subtree, employees) {
    let issued = 0;
    for (let round = 0; round < 100; round++) {
      const body = { subtree };
      if (employees) body.employees = employees;
      const r = await api("POST", `/api/v1/admin/units/${unitId}/issue-codes`, body);
      issued += r.issued.length;
      if (!r.remaining || !r.issued.length) break;
    }
    return issued;
  }

  function bulkIssue(d) {
    const uid = "bk" + (++formSeq);
    const msg = el("p", { role: "status", testid: "bulk-result" });
    const subtree = el("input", { type: "checkbox", id: uid, testid: "bulk-subtree", checked: d.children.length > 0 });
    const run = async () => {
      msg.className = ""; msg.textContent = t("b_working");
      try {
        const n = await issueMissing(d.unit.id, subtree.checked);
        msg.className = "ok";
        msg.replaceChildren(n ? t("b_done").replace("{n}", num(n)) : t("b_none"), " ",
          n ? el("a", { href: `/admin/units/${d.unit.id}/posters?size=a5&lang=${lang}`, target: "_blank", rel: "noopener" }, t("b_print")) : null);
      } catch (e) { if (e.message !== "401") { msg.className = "error"; msg.textContent = e.message; } }
    };
    return el("div", {}, el("h3", {}, t("b_title")), el("p", { class: "muted small" }, t("b_help")),
      el("label", { class: "check", for: uid }, subtree, t("b_subtree")),
      el("button", { type: "button", testid: "bulk-issue", on: { click: run } }, t("b_issue")), msg);
  }

  function signIn() {
    page(t("signIn"), form([["email", t("email"), "email", "email"], ["password", t("password"), "password", "password"]], t("signIn"),
      async (v) => { me = await api("POST", "/api/v1/session", v); location.hash = "#/"; }, "sign-in"));
  }

  // A one-time secret shown with a button that copies it (invitation and grant links).
  function secretWithCopy(value, testid) {
    const done = el("span", { role: "status", class: "muted small" });
    return el("div", { class: "row" }, el("code", { class: "secret", testid }, value),
      el("button", { type: "button", class: "secondary", testid: testid + "-copy", on: { click: async () => {
        try { await navigator.clipboard.writeText(value); done.textContent = t("copied"); } catch (_) { done.textContent = t("copyByHand"); }
      } } }, t("copy")), done);
  }

  // An invitation or grant link (#/invite/…) or a password reset link (#/reset/…): the same
  // acceptance, but a reset says so and speaks of no new role, since it gives none.
  function accept(token, reset) {
    page(t(reset ? "resetTitle" : "acceptTitle"), el("p", {}, t("passwordRules")), el("p", { class: "muted small", testid: "accept-help" }, t(reset ? "resetHelp" : "acceptHelp")),
      form([["password", t("password"), "password", "new-password", { newPassword: true }],
        ["password2", t("repeat"), "password", "new-password-2", { newPassword: true }]], t("save"),
      async (v, msg) => {
        if (v.password !== v.password2) { msg.textContent = t("mismatch"); return; }
        me = await api("POST", "/api/v1/invitations/accept", { token, password: v.password });
        history.replaceState(null, "", "/admin/#/"); navigate();
      }, "accept"));
  }

  // Units the caller can see, with their paths, for pickers.
  async function unitChoices() {
    const { units } = await api("GET", "/api/v1/admin/units");
    const byId = new Map(units.map((u) => [u.id, u]));
    const path = (u) => { const names = []; for (let x = u; x; x = byId.get(x.parent_id)) names.unshift(x.name); return names.join(" / "); };
    return units.map((u) => [u.id, path(u), u]);
  }

  // The confirmation after a unit is created: what was made and the way to it.
  const unitCreated = (u) => el("p", { class: "ok", role: "status", testid: "unit-created" }, t("u_created") + " ",
    el("a", { href: "#/units/" + u.id, dir: "auto" }, u.name));

  async function tree() {
    const { units } = await api("GET", "/api/v1/admin/units");
    const byParent = new Map();
    const ids = new Set(units.map((u) => u.id));
    for (const u of units) {
      const key = ids.has(u.parent_id) ? u.parent_id : null;
      if (!byParent.has(key)) byParent.set(key, []);
      byParent.get(key).push(u);
    }
    const list = (parent, root) => el("ul", { class: root ? "tree root" : "tree" },
      (byParent.get(parent) || []).map((u) => el("li", {},
        el("a", { href: "#/units/" + u.id, testid: "unit-link" }, u.name), u.active ? null : el("span", { class: "muted" }, " (" + t("inactive") + ")"),
        byParent.has(u.id) ? list(u.id, false) : null)));
    page(t("units"), card(null, units.length ? list(null, true) : el("p", {}, t("empty"))),
      isSuper() ? card(t("addUnit"), form([["name", t("name"), "text", "add-unit-name", { maxlength: 200 }], zoneField("add-unit-timezone")], t("create"),
        async (v) => { const u = await api("POST", "/api/v1/admin/units", { name: v.name, parent_id: null, timezone: v.timezone }); flash = unitCreated(u); location.hash = "#/units/" + u.id; }, "add-unit")) : null);
  }

  // A unit's time zone: a choice from the zones the server accepts (`time_zones` in the
  // session), with the one it has now kept even if it is no longer offered. Results count its
  // days and months in it.
  function zoneField(testid, current) {
    const zones = (me && me.time_zones) || ["UTC"];
    const value = current || (me && me.default_timezone) || "UTC";
    const options = (zones.includes(value) ? zones : [value, ...zones]).map((z) => [z, z]);
    return ["timezone", t("timezone"), "select", testid, { options, value, help: t("tzHelp") }];
  }

  // Opening hours as one line per weekday: "08:00-12:00, 13:00-17:00"; empty = closed.
  const hoursText = (intervals) => (intervals || []).map(([a, b]) => `${a}-${b}`).join(", ");
  function hoursJson(values) {
    const out = {};
    for (const d of DAYS) {
      const text = (values["h-" + d] || "").trim();
      if (!text) continue;
      out[d] = text.split(",").map((part) => part.trim().split(/\s*[-–—]\s*/));
    }
    return out;
  }

  // The unit's feedback form for the municipality's website: /f/{unit} lists the employees with
  // a website code (channel 4), each leading to their vote page.
  function websiteForm(d, manage) {
    const url = `${location.origin}/f/${d.unit.id}`;
    const msg = el("p", { role: "status" });
    // Whether /f/{unit} answers at all: it is "not found" until an employee has a website code.
    const state = el("p", { testid: "website-state" });
    const showState = (listed) => {
      const active = d.employees.filter((e) => e.active).length;
      state.className = listed ? "ok" : "warning";
      state.textContent = listed ? t("w_live").replace("{n}", num(listed)).replace("{m}", num(active)) : t("w_notLive");
    };
    showState(d.website_codes || 0);
    const issue = async () => {
      let n = 0;
      try {
        for (const e of d.employees.filter((e) => e.active)) { await api("POST", `/api/v1/admin/employees/${e.id}/qr?channel=4`); n += 1; }
        msg.className = "ok"; msg.textContent = t("w_issued").replace("{n}", num(n));
        showState((await api("GET", "/api/v1/admin/units/" + d.unit.id)).website_codes || 0);
      } catch (e) { if (e.message !== "401") { msg.className = "error"; msg.textContent = e.message; } }
    };
    return el("div", {}, el("h3", {}, t("w_title")), el("p", { class: "muted small" }, t("w_help")), state,
      el("p", {}, el("a", { href: url, target: "_blank", rel: "noopener", dir: "ltr", testid: "website-form" }, url)),
      manage ? el("button", { type: "button", class: "secondary", testid: "website-codes", on: { click: issue } }, t("w_issue")) : null, msg);
  }

  // A batch's used count, where showing it cannot point at one citizen's vote; a large batch
  // past the list's budget is counted when asked.
  function usedCell(b) {
    if (b.used !== null && b.used !== undefined) return el("td", { testid: "batch-used" }, num(b.used));
    if (b.used_withheld === "open_the_batch") {
      const td = el("td", { testid: "batch-used" });
      td.append(el("button", { type: "button", class: "secondary", on: { click: async () => {
        const one = await api("GET", `/api/v1/admin/one-time-batches/${b.id}`);
        td.replaceChildren(one.batch.used === null ? "—" : num(one.batch.used));
      } } }, t("o_openBatch")));
      return td;
    }
    return el("td", { testid: "batch-used", title: t("o_withheld") }, "—");
  }

  // One-time codes: a batch of slips for queue tickets or written replies, each taking one vote.
  async function oneTimeCodes(d) {
    const list = el("div", {});
    const render = async () => {
      const { batches } = await api("GET", `/api/v1/admin/units/${d.unit.id}/one-time-batches`);
      list.replaceChildren(batches.length ? table([t("o_issued"), t("channel"), t("o_document"), t("o_codes"), t("o_used"), ""], batches.map((b) => el("tr", {},
        el("td", {}, new Date(b.issued_at * 1000).toLocaleDateString(locale())), el("td", {}, b.channel === 2 ? t("o_reply") : t("o_ticket")),
        el("td", { dir: "auto" }, b.document || ""), el("td", {}, num(b.codes)), usedCell(b),
        el("td", {}, b.revoked_at ? t("revoked") : [
          el("a", { href: `/admin/one-time-batches/${b.id}/slips?lang=${lang}`, target: "_blank", rel: "noopener", testid: "batch-slips" }, t("o_print")), " ",
          el("button", { type: "button", class: "secondary", testid: "batch-revoke", on: { click: async () => {
            if (!confirm(t("confirmRevoke"))) return;
            await api("POST", `/api/v1/admin/one-time-batches/${b.id}/revoke`); render();
          } } }, t("o_revoke"))])))) : el("p", { class: "muted" }, t("empty")));
    };
    const f = form([
      ["per_employee", t("o_perEmployee"), "number", "batch-count", { value: "10" }],
      ["channel", t("channel"), "select", "batch-channel", { options: [["3", t("o_ticket")], ["2", t("o_reply")]] }],
      ["document", t("o_document"), "text", "batch-document", { required: false, maxlength: 60 }],
      ["valid_days", t("o_days"), "number", "batch-days", { value: "90" }],
    ], t("o_create"), async (v) => {
      const b = await api("POST", `/api/v1/admin/units/${d.unit.id}/one-time-codes`, {
        per_employee: Number(v.per_employee), channel: Number(v.channel), valid_days: Number(v.valid_days), document: v.document || undefined });
      window.open(`/admin/one-time-batches/${b.batch.id}/slips?lang=${lang}`, "_blank", "noopener");
      render();
    }, "batch-create");
    await render();
    return card(t("o_title"), el("p", { class: "muted small" }, t("o_help")), f, list);
  }

  async function unit(id) {
    const [d, choices] = await Promise.all([api("GET", "/api/v1/admin/units/" + id), unitChoices()]);
    const manage = canManage();
    const people = card(t("employees"),
      d.employees.length ? table([t("fullName"), t("position"), ""], d.employees.map((e) => el("tr", {},
        el("td", {}, el("a", { href: "#/employees/" + e.id, testid: "employee-link" }, e.name)), el("td", {}, e.position),
        el("td", {}, e.active ? "" : t("inactive"))))) : el("p", { class: "muted" }, t("empty")),
      manage ? form([["name", t("fullName"), "text", "add-employee-name", { maxlength: 200 }], ["position", t("position"), "text", "add-employee-position", { maxlength: 200 }]], t("addEmployee"),
        async (v) => { const e = await api("POST", "/api/v1/admin/employees", { name: v.name, position: v.position, unit_id: d.unit.id }); location.hash = "#/employees/" + e.id; }, "add-employee") : null);
    const print = card(t("print"), el("p", { class: "muted" }, t("printHelp")),
      el("p", { class: "row" }, ["a4", "a5", "a6"].map((s) => el("a", { class: "button", href: `/admin/units/${d.unit.id}/posters?size=${s}&lang=${lang}`, target: "_blank", rel: "noopener", testid: s === "a5" ? "unit-posters" : undefined }, `${t("poster")} ${s.toUpperCase()}`))),
      el("p", { class: "row" }, el("a", { href: `/api/v1/admin/export.csv?unit=${d.unit.id}`, testid: "export" }, t("export")),
        manage ? el("a", { href: `#/units/${d.unit.id}/import`, testid: "import-link" }, t("import")) : null),
      manage ? bulkIssue(d) : null,
      websiteForm(d, manage));
    const once = manage ? await oneTimeCodes(d) : null;
    const children = card(t("children"),
      d.children.length ? el("ul", {}, d.children.map((c) => el("li", {}, el("a", { href: "#/units/" + c.id, testid: "unit-link" }, c.name)))) : el("p", { class: "muted" }, t("empty")),
      manage ? form([["name", t("name"), "text", "add-unit-name", { maxlength: 200 }], zoneField("add-unit-timezone", d.unit.timezone)], t("addUnit"), async (v) => {
        const made = await api("POST", "/api/v1/admin/units", { name: v.name, parent_id: d.unit.id, timezone: v.timezone });
        flash = unitCreated(made); await unit(id); }, "add-unit") : null);
    const below = new Set([d.unit.id]);
    for (const [uid, , u] of choices) if (below.has(u.parent_id)) below.add(uid);
    const parents = [["", t("topLevel")], ...choices.filter(([uid]) => !below.has(uid)).map(([uid, p]) => [String(uid), p])];
    const hours = d.unit.opening_hours || {};
    const settings = manage ? card(t("settings"), form([
      ["name", t("name"), "text", undefined, { value: d.unit.name, maxlength: 200 }],
      ["parent_id", t("parent"), "select", "unit-parent", { options: parents, value: d.unit.parent_id === null ? "" : String(d.unit.parent_id) }],
      zoneField("unit-timezone", d.unit.timezone),
      // The hint before the days it explains; an empty day says "closed", never a made-up time.
      ["hours-help", t("hoursHelp"), "note", "hours-help"],
      ...DAYS.map((day, i) => ["h-" + day, t("days").split(",")[i], "text", "hours-" + day, { value: hoursText(hours[day]), required: false, placeholder: t("h_closed"), dir: "ltr", describedby: "hours-help" }]),
      ["active", t("active"), "checkbox", "unit-active", { checked: d.unit.active }],
    ], t("save"), async (v, msg) => {
      const patch = { name: v.name, active: v.active, opening_hours: hoursJson(v) };
      if (v.timezone !== d.unit.timezone) patch.timezone = v.timezone;
      const parent = v.parent_id === "" ? null : Number(v.parent_id);
      if (parent !== d.unit.parent_id) patch.parent_id = parent;
      await api("PATCH", "/api/v1/admin/units/" + id, patch); saved(msg);
    }, "unit-settings")) : null;
    const networks = manage ? card(t("networks"), el("p", { class: "muted small" }, t("networksHelp")),
      form([["cidrs", "CIDR", "textarea", "unit-cidrs", { value: (d.networks || []).join("\n"), dir: "ltr" }]], t("save"), async (v, msg) => {
        const cidrs = v.cidrs.split(/[\s,]+/).filter(Boolean);
        await api("PUT", `/api/v1/admin/units/${id}/networks`, { cidrs }); saved(msg);
      }, "unit-networks")) : null;
    const results = card(t("results"), el("p", {}, el("a", { href: "#/results/units/" + d.unit.id, testid: "unit-results" }, t("r_open"))));
    page(d.unit.name, crumbs(d.path), d.unit.active ? null : el("p", { class: "muted" }, t("inactive")), people, print, once, results, children, settings, networks);
  }

  async function importPage(id) {
    const d = await api("GET", "/api/v1/admin/units/" + id);
    const report = el("div", { testid: "import-report", "aria-live": "polite" });
    const file = el("input", { type: "file", id: "f-file", accept: ".csv,text/csv", testid: "import-file" });
    let text = null;
    const send = async (dryRun) => {
      report.replaceChildren();
      if (!file.files.length && text === null) { report.append(el("p", { class: "error", role: "alert" }, t("chooseFile"))); return; }
      if (file.files.length) text = await file.files[0].arrayBuffer();
      try {
        const r = await api("POST", `/api/v1/admin/import?unit=${id}&dry_run=${dryRun}`, text, "text/csv");
        showReport(r);
      } catch (e) { if (e.message !== "401") report.append(el("p", { class: "error", role: "alert" }, e.message)); }
    };
    const actions = { create: t("created"), update: t("updated"), unchanged: t("unchanged") };
    function showReport(r) {
      const summary = el("p", {}, `${t("created")}: ${r.created} · ${t("updated")}: ${r.updated} · ${t("unchanged")}: ${r.unchanged} · ${t("errors")}: ${r.errors.length}`);
      const status = r.applied ? el("p", { class: "ok", role: "status" }, t("applied"))
        : r.errors.length ? el("p", { class: "error", role: "alert" }, t("nothingWritten"))
        : el("p", { role: "status" }, t("dryRunDone"));
      const errors = r.errors.length ? table([t("line"), t("column"), t("problem")], r.errors.map((e) => el("tr", {},
        el("td", {}, String(e.line)), el("td", {}, e.column || ""), el("td", {}, e.message)))) : null;
      const changes = r.changes.filter((c) => c.action !== "unchanged");
      const list = changes.length ? table([t("line"), t("action"), t("fullName"), t("fields")], changes.map((c) => el("tr", {},
        el("td", {}, String(c.line)), el("td", {}, actions[c.action] || c.action), el("td", {}, c.name), el("td", {}, (c.fields || []).join(", "))))) : null;
      const apply = !r.applied && !r.errors.length && (r.created + r.updated) > 0
        ? el("button", { type: "button", testid: "import-apply", on: { click: () => send(false) } }, t("apply")) : null;
      put(report, status, summary, errors, list, apply, r.applied && canManage() ? importCodes() : null);
    }
    // After an import: the imported people (and anyone else of the unit still without one)
    // get codes, ready to print; codes that work are not touched.
    function importCodes() {
      const msg = el("p", { role: "status" });
      const run = async (e) => {
        e.target.disabled = true;
        try {
          const n = await issueMissing(Number(id), true);
          msg.className = "ok";
          msg.replaceChildren(n ? t("b_done").replace("{n}", num(n)) : t("b_none"), " ",
            el("a", { href: `/admin/units/${id}/posters?size=a5&lang=${lang}`, target: "_blank", rel: "noopener" }, t("b_print")));
        } catch (err) { e.target.disabled = false; if (err.message !== "401") { msg.className = "error"; msg.textContent = err.message; } }
      };
      return el("div", {}, el("p", {}, t("i_offer")),
        el("button", { type: "button", testid: "import-issue", on: { click: run } }, t("b_issue")), msg);
    }
    file.addEventListener("change", () => { text = null; report.replaceChildren(); });
    page(t("importTitle"), crumbs(d.path), card(d.unit.name,
      el("p", {}, t("importHelp")),
      el("label", { for: "f-file" }, t("file")), file,
      el("div", { class: "row" }, el("button", { type: "button", testid: "import-check", on: { click: () => send(true) } }, t("check")),
        el("a", { href: `/api/v1/admin/export.csv?unit=${id}` }, t("export"))),
      report));
  }

  async function employee(id) {
    const [d, choices, dirs] = await Promise.all([api("GET", "/api/v1/admin/employees/" + id), unitChoices(), api("GET", "/api/v1/admin/directions")]);
    const manage = canManage();
    const dirName = (did) => (dirs.directions.find((x) => x.id === did) || {}).name || "";
    const msg = el("p", { role: "alert", class: "error" });
    const act = async (method, query, confirmText) => {
      if (confirmText && !confirm(confirmText)) return;
      try { await api(method, `/api/v1/admin/employees/${id}/qr?${query}`); employee(id); } catch (e) { msg.textContent = e.message; }
    };
    const current = d.codes.filter((c) => !c.revoked_at);
    const codeView = (c) => el("div", { class: "code" },
      el("h3", {}, t("channel") + ": " + t("ch" + c.channel) + (c.direction_id ? " · " + dirName(c.direction_id) : "")),
      el("img", { src: `/api/v1/admin/employees/${id}/qr.svg?channel=${c.channel}&v=${c.issue}`, alt: "QR " + d.employee.name, testid: c.channel === 0 ? "qr-image" : undefined }),
      el("p", { class: "muted url" }, c.url || ""),
      el("p", { class: "row" },
        el("a", { href: `/api/v1/admin/employees/${id}/qr.svg?channel=${c.channel}&download=1` }, t("download") + " SVG"),
        el("a", { href: `/api/v1/admin/employees/${id}/qr.png?channel=${c.channel}&download=1` }, t("download") + " PNG"),
        ["a4", "a5", "a6"].map((s) => el("a", { href: `/admin/employees/${id}/poster?size=${s}&channel=${c.channel}&lang=${lang}`, target: "_blank", rel: "noopener", testid: c.channel === 0 ? "poster-" + s : undefined }, `${t("poster")} ${s.toUpperCase()}`))),
      manage ? el("div", { class: "row" },
        el("button", { type: "button", class: "secondary", on: { click: () => act("POST", `channel=${c.channel}` + (c.direction_id ? `&direction=${c.direction_id}` : ""), t("reissue") + "?") } }, t("reissue")),
        el("button", { type: "button", class: "secondary", on: { click: () => act("DELETE", `channel=${c.channel}`, t("confirmRevoke")) } }, t("revoke"))) : null);
    const channelSel = el("select", { id: "f-channel", testid: "issue-channel" }, CHANNELS.map((c) => el("option", { value: c }, t("ch" + c))));
    const dirSel = el("select", { id: "f-direction", testid: "issue-direction" }, el("option", { value: "" }, t("noDirection")),
      dirs.directions.map((x) => el("option", { value: x.id }, x.name)));
    const issue = manage ? el("div", {},
      el("div", { class: "row" }, el("label", { for: "f-channel" }, t("channel")), channelSel, el("label", { for: "f-direction" }, t("direction")), dirSel),
      el("button", { type: "button", testid: "issue-qr", on: { click: () => {
        const ch = channelSel.value; const has = current.some((c) => String(c.channel) === ch);
        act("POST", `channel=${ch}` + (dirSel.value ? `&direction=${dirSel.value}` : ""), has ? t("reissue") + "?" : null);
      } } }, current.length ? t("issueMore") : t("issue"))) : null;
    const qr = el("section", { class: "card qr" }, el("h2", {}, t("qrCodes")),
      current.length ? current.map(codeView) : el("p", {}, t("noCode")), issue, msg);
    const edit = manage ? card(t("edit"), form([
      ["name", t("fullName"), "text", "employee-name", { value: d.employee.name, maxlength: 200 }],
      ["position", t("position"), "text", "employee-position", { value: d.employee.position, maxlength: 200 }],
      ["unit_id", t("unit"), "select", "employee-unit", { options: choices.map(([uid, p]) => [String(uid), p]), value: String(d.employee.unit_id) }],
      ...dirs.directions.map((x) => ["dir-" + x.id, x.name, "checkbox", undefined, { checked: d.employee.directions.includes(x.id) }]),
      ["active", t("active"), "checkbox", "employee-active", { checked: d.employee.active }],
    ], t("save"), async (v, m) => {
      const directions = dirs.directions.filter((x) => v["dir-" + x.id]).map((x) => x.id);
      await api("PATCH", "/api/v1/admin/employees/" + id, { name: v.name, position: v.position, unit_id: Number(v.unit_id), active: v.active, directions });
      saved(m);
    }, "employee-save")) : null;
    const results = card(t("results"), el("p", { class: "muted" }, t("loading")));
    page(d.employee.name, crumbs(d.unit_path), el("p", {}, d.employee.position, d.employee.active ? "" : " · " + t("inactive")), qr, results, edit);
    api("GET", `/api/v1/admin/results/employees/${id}`).then((r) => {
      results.replaceChildren(el("h2", {}, t("results")), figuresLine(r.totals),
        el("p", {}, el("a", { href: "#/results/employees/" + id, testid: "employee-results" }, t("r_open"))));
    }).catch(() => results.replaceChildren(el("h2", {}, t("results")), el("p", { class: "muted" }, t("r_none"))));
  }

  async function directions() {
    const { directions } = await api("GET", "/api/v1/admin/directions");
    page(t("directions"), card(null, el("p", { class: "muted" }, t("directionsHelp")),
      directions.length ? el("ul", {}, directions.map((x) => el("li", {}, x.name))) : el("p", { class: "muted" }, t("empty"))),
      isSuper() ? card(t("addDirection"), form([["name", t("name"), "text", "direction-name", { maxlength: 200 }]], t("create"),
        async (v) => { await api("POST", "/api/v1/admin/directions", { name: v.name }); directions_(); }, "add-direction")) : null);
  }
  const directions_ = () => directions().catch(() => {});

  // `granted`: a grant link just made ({email, link, expires_at}), shown above the list.
  async function accounts(granted) {
    const choices = await unitChoices();
    const unitName = (uid) => (choices.find(([id]) => id === uid) || [0, "#" + uid])[1];
    const roleName = (r) => t(r.role) + (r.unit_id ? " · " + (r.unit_name || unitName(r.unit_id)) : "");
    const roleOptions = (isSuper() ? ["viewer", "unit_admin", "superadmin"] : ["viewer", "unit_admin"]).map((r) => [r, t(r)]);
    const unitOptions = choices.map(([uid, p]) => [String(uid), p]);
    const roleBody = (v) => ({ role: v.role, unit_id: v.role === "superadmin" ? null : Number(v.unit_id) });
    const link = el("div", {});
    const invite = card(t("invite"), form([
      ["email", t("email"), "email", "invite-email"],
      ["role", t("role"), "select", "invite-role", { options: roleOptions }],
      ["unit_id", t("unit"), "select", "invite-unit", { options: unitOptions }],
    ], t("invite"), async (v) => {
      const made = await api("POST", "/api/v1/admin/invitations", { email: v.email, ...roleBody(v) });
      link.replaceChildren(el("p", { class: "ok" }, t("inviteLink")), secretWithCopy(made.link, "invite-link"),
        el("p", { class: "muted small" }, t("expires") + " " + when(made.expires_at)));
    }, "invite"), el("p", { class: "muted small" }, t("inviteHelp")), link);
    const pending = await pendingCard();
    if (!isSuper()) return page(t("accounts"), invite, pending);
    // Not `accounts`: that name is this function, which the add-role form calls again.
    const { accounts: list } = await api("GET", "/api/v1/admin/accounts");
    const rows = list.map((a) => {
      const roles = el("ul", { class: "roles" }, a.roles.map((r, i) => el("li", {}, roleName(r), " ",
        a.active ? el("button", { type: "button", class: "link", on: { click: async () => {
          try { await api("PUT", `/api/v1/admin/accounts/${a.id}/roles`, { roles: a.roles.filter((_, j) => j !== i).map((x) => ({ role: x.role, unit_id: x.unit_id })) }); accounts_(); }
          catch (e) { if (e.message !== "401") alert(e.message); } } } }, t("remove")) : null)));
      const add = a.active ? form([["role", t("role"), "select", undefined, { options: roleOptions }], ["unit_id", t("unit"), "select", undefined, { options: unitOptions }]], t("addRole"),
        async (v) => {
          const out = await api("PUT", `/api/v1/admin/accounts/${a.id}/roles`, { roles: [...a.roles.map((x) => ({ role: x.role, unit_id: x.unit_id })), roleBody(v)] });
          await accounts(out.grant_link ? { email: a.email, ...out.grant_link } : null);
        }) : null;
      if (add) add.classList.add("inline");
      const linked = el("div", { class: "small", testid: "account-employee" }, t("ownEmployee") + ": ",
        a.employee_id ? el("a", { href: "#/employees/" + a.employee_id }, a.employee_name || "#" + a.employee_id) : el("span", { class: "muted" }, t("noEmployee")));
      const link = a.active && a.id !== me.account.id ? form([["employee_id", t("employeeId"), "number", "link-employee", { value: a.employee_id || "", required: false }]], t("save"),
        async (v) => {
          await api("PUT", `/api/v1/admin/accounts/${a.id}/employee`, { employee_id: v.employee_id ? Number(v.employee_id) : null }); accounts_();
        }) : null;
      if (link) link.classList.add("inline");
      return el("tr", { testid: "account-row" }, el("td", {}, a.email, a.active ? "" : el("span", { class: "muted" }, " (" + t("inactive") + ")"), linked,
          link ? el("details", {}, el("summary", {}, t("ownEmployee")), el("p", { class: "muted small" }, t("ownEmployeeHelp")), link) : null),
        el("td", {}, roles, add ? el("details", {}, el("summary", {}, t("addRole")), add) : null),
        el("td", {}, a.active ? el("button", { type: "button", class: "secondary", testid: "reset-link-make", "aria-label": t("resetLinkMake") + ": " + a.email, on: { click: async () => {
          try { const made = await api("POST", `/api/v1/admin/accounts/${a.id}/reset-link`); await accounts({ email: a.email, reset: true, ...made }); }
          catch (e) { if (e.message !== "401") alert(e.message); } } } }, t("resetLinkMake")) : null, " ",
          a.active && a.id !== me.account.id ? el("button", { type: "button", class: "secondary", on: { click: async () => {
          if (!confirm(t("confirmDeactivate"))) return;
          try { await api("DELETE", "/api/v1/admin/accounts/" + a.id); accounts_(); } catch (e) { if (e.message !== "401") alert(e.message); } } } }, t("deactivate")) : null));
    });
    // A reset link is a grant link that adds no role: the same acceptance, the same copy button.
    const grantCard = granted && granted.reset ? card(t("resetLinkTitle"), el("p", { class: "ok" }, t("resetLinkText").replace("{email}", granted.email)),
      secretWithCopy(granted.link, "reset-link"), el("p", { class: "muted small" }, t("expires") + " " + when(granted.expires_at)),
      el("p", { class: "muted small" }, t("resetLinkHelp")))
      : granted ? card(t("grantLinkTitle"), el("p", { class: "ok" }, t("grantLink").replace("{email}", granted.email)),
      secretWithCopy(granted.link, "grant-link"), el("p", { class: "muted small" }, t("expires") + " " + when(granted.expires_at)),
      el("p", { class: "muted small" }, t("grantLinkHelp"))) : null;
    page(t("accounts"), grantCard, card(null, table([t("email"), t("roles"), ""], rows)), invite, pending);
  }
  const accounts_ = () => accounts().catch(() => {});

  // Open invitations and links (grant and reset links for superadmins), each revocable.
  async function pendingCard() {
    const { invitations } = await api("GET", "/api/v1/admin/invitations");
    const roleText = (r) => t(r.role) + (r.unit_id ? " · " + (r.unit_name || "#" + r.unit_id) : "");
    const what = (l) => l.kind === "password_reset" ? t("pendingReset")
      : (l.kind === "roles" ? t("pendingRoles") + ": " : "") + l.roles.map(roleText).join(", ");
    const msg = el("p", { role: "status", class: "muted small" });
    const rows = invitations.map((l) => el("tr", { testid: "invitation-row" }, el("td", {}, l.email), el("td", {}, what(l)),
      el("td", {}, l.invited_by || "—"), el("td", { class: "nowrap" }, when(l.expires_at)),
      el("td", {}, el("button", { type: "button", class: "secondary", testid: "invitation-revoke", "aria-label": t("revokeLink") + ": " + l.email, on: { click: async (ev) => {
        try { await api("DELETE", "/api/v1/admin/invitations/" + l.id); ev.target.closest("tr").remove(); msg.textContent = t("linkRevoked"); }
        catch (e) { if (e.message !== "401") { msg.className = "error"; msg.textContent = e.message; } } } } }, t("revokeLink")))));
    return card(t("pendingTitle"), el("p", { class: "muted small" }, t("pendingHelp")),
      rows.length ? table([t("email"), t("role"), t("invitedBy"), t("expires"), ""], rows) : el("p", { class: "muted" }, t("empty")), msg);
  }

  // The audit log's readable parts: an action's name, its object, its detail as words.
  const named = (key, fallback) => { const s = t(key); return s === key ? fallback : s; };
  const actionName = (a) => named("audit_action_" + a, a);
  function objectText(o) {
    const [kind, id] = String(o).split(/:(.*)/s);
    const label = named("audit_obj_" + kind, kind);
    if (kind === "unit" && id) return el("a", { href: "#/units/" + id }, label + " #" + id);
    if (kind === "employee" && id) return el("a", { href: "#/employees/" + id }, label + " #" + id);
    return id === undefined || id === "" ? label : label + (kind === "email" ? " " : " #") + id;
  }
  function valueText(key, v) {
    if (v === null || v === undefined || v === "") return "—";
    if (typeof v === "boolean") return t(v ? "auditYes" : "auditNo");
    if (key === "expires_at" && typeof v === "number") return when(v);
    if (key === "role" && typeof v === "string") return named(v, v);
    if (key === "roles" && Array.isArray(v)) return v.length ? v.map((r) => named(r.role, r.role) + (r.unit_id ? " · #" + r.unit_id : "")).join(", ") : "—";
    if (Array.isArray(v)) return v.map((x) => valueText("", x)).join(", ");
    if (typeof v === "object") return Object.entries(v).map(([k, x]) => k + " " + valueText(k, x)).join(", ");
    return String(v);
  }
  const detailText = (d) => (d && typeof d === "object" && !Array.isArray(d)
    ? Object.entries(d).map(([k, v]) => named("audit_key_" + k, k) + ": " + valueText(k, v)).join("; ")
    : valueText("", d));

  // Filters live in the hash (#/audit?who=…&action=…&from=…&to=…, then before= or after=), so
  // that older and newer pages keep them and a filtered view can be bookmarked.
  async function audit(hash) {
    const params = new URLSearchParams(hash.split("?")[1] || "");
    const filters = new URLSearchParams();
    for (const k of ["who", "action", "from", "to"]) if (params.get(k)) filters.set(k, params.get(k));
    const query = new URLSearchParams(filters);
    for (const k of ["before", "after"]) if (params.get(k)) query.set(k, params.get(k));
    const r = await api("GET", "/api/v1/admin/audit" + (query.toString() ? "?" + query : ""));
    const actions = Object.keys(window.I18N.en).filter((k) => k.startsWith("audit_action_")).map((k) => k.slice(13))
      .map((a) => [a, actionName(a)]).sort((x, y) => x[1].localeCompare(y[1], lang));
    const filter = form([
      ["who", t("auditWho"), "text", "audit-who", { value: filters.get("who") || "", required: false }],
      ["action", t("action"), "select", "audit-action", { options: [["", t("auditAllActions")], ...actions], value: filters.get("action") || "" }],
      ["from", t("auditFrom"), "date", "audit-from", { value: filters.get("from") || "", required: false }],
      ["to", t("auditTo"), "date", "audit-to", { value: filters.get("to") || "", required: false }],
    ], t("auditShow"), async (v) => {
      const next = new URLSearchParams();
      for (const k of ["who", "action", "from", "to"]) if (v[k]) next.set(k, v[k].trim());
      location.hash = "#/audit" + (next.toString() ? "?" + next : "");
    }, "audit-filter");
    filter.classList.add("filters");
    const at = (k, id) => { const q = new URLSearchParams(filters); q.set(k, id); return "#/audit?" + q; };
    const rows = r.entries.map((e) => el("tr", { testid: "audit-row", "data-action": e.action }, el("td", { class: "nowrap" }, when(e.at)), el("td", {}, e.actor),
      el("td", {}, actionName(e.action)), el("td", {}, objectText(e.object)), el("td", { class: "detail" }, detailText(e.detail))));
    const csv = new URLSearchParams(filters); csv.set("format", "csv");
    page(t("audit"), card(null, el("p", { class: "muted small" }, t("auditHelp")), isSuper() ? null : el("p", { class: "muted small" }, t("auditScope")),
      filter, el("p", {}, el("a", { href: "/api/v1/admin/audit?" + csv, download: "", testid: "audit-csv" }, t("auditCsv"))),
      rows.length ? table([t("when"), t("who"), t("action"), t("object"), t("detail")], rows) : el("p", {}, t("auditNone")),
      el("nav", { class: "row", "aria-label": t("audit") }, r.newer ? el("a", { href: at("after", r.newer), testid: "audit-newer" }, t("auditNewer")) : null,
        params.get("before") || params.get("after") ? el("a", { href: "#/audit" + (filters.toString() ? "?" + filters : "") }, t("newest")) : null,
        r.next ? el("a", { href: at("before", r.next), testid: "audit-more" }, t("more")) : null)));
  }

  async function keys() {
    const r = await api("GET", "/api/v1/admin/keys");
    const state = (k) => (k.signing ? t("signing") : k.configured ? t("verifies") : t("retired"));
    const units = r.units.map((u) => el("tr", { testid: "old-key-unit" }, el("td", {}, el("a", { href: "#/units/" + u.unit_id }, u.name)), el("td", {}, String(u.codes)),
      el("td", {}, el("button", { type: "button", testid: "reissue-unit", on: { click: async () => {
        if (!confirm(t("confirmReissue"))) return;
        const done = await api("POST", `/api/v1/admin/units/${u.unit_id}/reissue-codes`);
        alert(t("reissued") + " " + done.reissued);
        window.open(`/admin/units/${u.unit_id}/posters?size=a5&lang=${lang}`, "_blank", "noopener");
        keys_();
      } } }, t("reissueUnit")))));
    page(t("keys"), card(null, el("p", {}, t("keysHelp")),
      table([t("key"), t("state"), t("codes")], r.keys.map((k) => el("tr", { testid: "key-row" }, el("td", {}, String(k.key_id)), el("td", {}, state(k)), el("td", {}, String(k.codes)))))),
      card(t("oldCodes"), units.length ? table([t("unit"), t("codes"), ""], units) : el("p", { class: "ok" }, t("allCurrent"))));
  }
  const keys_ = () => keys().catch(() => {});

  // The rating scale and the extra criteria: instance-wide, so only a superadmin edits them.
  async function scalePage() {
    const data = await api("GET", "/api/v1/admin/scale");
    const edit = isSuper();
    const codes = LANGS.map(([c]) => c);
    const faces = [["", "—"], ["frown", "☹"], ["flat", "😐"], ["smile", "🙂"], ["grin", "😀"]];
    const levels = el("tbody", {});
    const levelRow = (l) => {
      const tr = el("tr", { testid: "level-row" },
        el("td", {}, el("input", { type: "number", min: 0, max: 100, value: l.value, class: "narrow", "aria-label": t("value"), disabled: !edit })),
        el("td", {}, el("input", { type: "color", value: l.colour, "aria-label": t("colour"), disabled: !edit })),
        el("td", {}, el("select", { "aria-label": t("face"), disabled: !edit }, faces.map(([v, f]) => el("option", { value: v, selected: v === l.face }, f)))),
        codes.map((c) => el("td", {}, el("input", { type: "text", maxlength: 40, value: (l.labels || {})[c] || "", lang: c, dir: c === "fa" ? "rtl" : "ltr", "aria-label": t("label") + " " + c, "data-lang": c, disabled: !edit }))),
        edit ? el("td", {}, el("button", { type: "button", class: "secondary", on: { click: () => tr.remove() } }, t("remove"))) : null);
      return tr;
    };
    for (const l of data.levels) levels.append(levelRow(l));
    const msg = el("p", { role: "alert", class: "error" });
    const readLevels = () => [...levels.querySelectorAll("tr")].map((tr) => {
      const [value, colour] = tr.querySelectorAll("input");
      const labels = {};
      for (const i of tr.querySelectorAll("input[data-lang]")) if (i.value.trim()) labels[i.dataset.lang] = i.value;
      return { value: Number(value.value), colour: colour.value, face: tr.querySelector("select").value, labels };
    });
    const scaleCard = card(t("levels"), el("p", { class: "muted small" }, t("scaleHelp")),
      el("div", { class: "scroll" }, el("table", {}, el("thead", {}, el("tr", {}, [t("value"), t("colour"), t("face"), ...codes, ""].map((h) => el("th", { scope: "col" }, h)))), levels)),
      edit ? el("div", { class: "row" },
        el("button", { type: "button", class: "secondary", on: { click: () => levels.append(levelRow({ value: readLevels().reduce((m, l) => Math.max(m, l.value), 0) + 1, colour: "#767676", face: "", labels: {} })) } }, t("addLevel")),
        el("button", { type: "button", testid: "save-scale", on: { click: async () => {
          msg.textContent = "";
          try { await api("PUT", "/api/v1/admin/scale", { levels: readLevels() }); saved(msg); } catch (e) { if (e.message !== "401") { msg.className = "error"; msg.textContent = e.message; } }
        } } }, t("save"))) : null, msg);
    const labelFields = (labels) => codes.map((c) => [c, c, "text", undefined, { value: (labels || {})[c] || "", required: false, maxlength: 40, dir: c === "fa" ? "rtl" : "ltr" }]);
    const pickLabels = (v) => Object.fromEntries(codes.filter((c) => (v[c] || "").trim()).map((c) => [c, v[c]]));
    const critRows = data.criteria.map((c) => {
      const f = edit ? form([...labelFields(c.labels), ["position", t("position_"), "number", undefined, { value: c.position }], ["active", t("active"), "checkbox", undefined, { checked: c.active }]], t("save"),
        async (v, m) => { await api("PATCH", "/api/v1/admin/criteria/" + c.id, { labels: pickLabels(v), position: Number(v.position), active: v.active }); saved(m); }) : null;
      return el("tr", { testid: "criterion-row" }, el("td", {}, el("code", {}, c.code)), el("td", {}, (c.labels || {})[lang] || (c.labels || {}).en || Object.values(c.labels || {})[0] || ""),
        el("td", {}, c.active ? t("active") : t("inactive")), el("td", {}, f ? el("details", {}, el("summary", {}, t("edit")), f) : null));
    });
    const critCard = card(t("criteria"), el("p", { class: "muted small" }, t("criteriaHelp")),
      critRows.length ? table([t("code"), t("name"), "", ""], critRows) : el("p", { class: "muted" }, t("empty")),
      edit ? el("details", {}, el("summary", { testid: "add-criterion-open" }, t("addCriterion")),
        form([["code", t("code"), "text", "criterion-code", { placeholder: "waiting_time", dir: "ltr", maxlength: 32 }], ...labelFields({}), ["position", t("position_"), "number", undefined, { value: critRows.length + 1 }]], t("create"),
          async (v) => { await api("POST", "/api/v1/admin/criteria", { code: v.code, labels: pickLabels(v), position: Number(v.position) }); scale_(); }, "add-criterion")) : null);
    page(t("scale"), scaleCard, critCard);
  }
  const scale_ = () => scalePage().catch(() => {});

  async function tokens() {
    const { tokens } = await api("GET", "/api/v1/admin/tokens");
    const fresh = el("div", {});
    const now = Date.now() / 1000;
    const state = (k) => k.revoked_at ? t("revoked") : (k.expires_at <= now ? t("expired") : el("button", { type: "button", class: "secondary", on: { click: async () => {
      await api("DELETE", "/api/v1/admin/tokens/" + k.id); tokens_(); } } }, t("revokeToken")));
    page(t("tokens"), card(null,
      tokens.length ? table([t("tokenName"), t("createdAt"), t("lastUsed"), t("expires"), ""], tokens.map((k) => el("tr", { testid: "token-row" }, el("td", {}, k.name),
        el("td", {}, when(k.created_at)), el("td", {}, when(k.last_used_at)), el("td", {}, when(k.expires_at)),
        el("td", {}, state(k))))) : null,
      form([["name", t("tokenName"), "text", "token-name", { maxlength: 200 }],
        ["days", t("tokenDays"), "number", "token-days", { value: "90", help: t("tokenDaysHelp") }]], t("create"), async (v) => {
        const made = await api("POST", "/api/v1/admin/tokens", { name: v.name, expires_in_days: Number(v.days) || 90 });
        fresh.replaceChildren(el("p", { class: "ok" }, t("tokenOnce")), el("code", { class: "secret", testid: "token-secret" }, made.token),
          el("p", { class: "muted small" }, t("expires") + ": " + when(made.expires_at)));
      }, "create-token"), fresh));
  }
  const tokens_ = () => tokens().catch(() => {});

  function password() {
    page(t("passwordChange"), el("p", {}, t("passwordRules")), el("p", { class: "muted small" }, t("sessionsEnd")),
      form([["current", t("current"), "password"], ["new", t("newPassword"), "password", "new-password", { newPassword: true }],
        ["revoke_tokens", t("revokeTokens"), "checkbox", "revoke-tokens"]], t("save"),
      async (v, msg) => { await api("PUT", "/api/v1/session/password", v); saved(msg); }));
  }

  // --- results: drill-down from the top unit to one person ---------------------------------
  const nf = (digits) => new Intl.NumberFormat(locale(), { minimumFractionDigits: digits, maximumFractionDigits: digits });
  const num = (n) => nf(0).format(n);
  const pct = (x) => (x === null || x === undefined ? "–" : nf(1).format(x * 100) + "%");
  const avg = (x) => (x === null || x === undefined ? "–" : nf(2).format(x));
  const day = (iso) => new Date(iso + "T12:00:00Z").toLocaleDateString(locale(), { timeZone: "UTC", year: "numeric", month: "short", day: "numeric" });
  const span = (p) => (p.from === p.to ? day(p.from) : `${day(p.from)} – ${day(p.to)}`);
  // A date field shows its day as the browser likes (Gregorian, 12/01/2026, even in fa); the
  // day chosen is spelled out under it in the page's calendar and language (Solar Hijri in fa,
  // and no doubt between day and month elsewhere). The field's value stays ISO for the API.
  function dateEcho(input) {
    const out = el("output", { for: input.id, class: "date-echo", testid: "date-echo" });
    const show = () => { out.textContent = /^\d{4}-\d{2}-\d{2}$/.test(input.value)
      ? new Date(input.value + "T12:00:00Z").toLocaleDateString(locale(), { timeZone: "UTC", weekday: "short", year: "numeric", month: "long", day: "numeric" }) : ""; };
    input.addEventListener("input", show); input.addEventListener("change", show);
    show();
    return out;
  }
  const lastMonth = () => { const d = new Date(); d.setUTCDate(0); return d.toISOString().slice(0, 7); };
  // The month it is now in the unit's zone: the open month its month-to-date report covers.
  const thisMonth = (zone) => {
    try {
      const parts = new Intl.DateTimeFormat("en-CA", { timeZone: zone || "UTC", year: "numeric", month: "2-digit" }).formatToParts(new Date());
      const part = (type) => (parts.find((p) => p.type === type) || {}).value;
      if (part("year") && part("month")) return `${part("year")}-${part("month")}`;
    } catch (_) { /* an unknown zone: UTC's month */ }
    return new Date().toISOString().slice(0, 7);
  };
  let scaleCache = null;
  const scaleLevels = async () => (scaleCache = scaleCache || (await api("GET", "/api/v1/admin/scale")).levels);
  const levelLabel = (levels, v) => { const l = levels.find((x) => String(x.value) === String(v)); return l ? (l.labels[lang] || l.labels.en || String(v)) : String(v); };

  function figuresLine(f) {
    return el("p", {}, `${t("votes")}: ${num(f.votes)} · ${t("r_average")}: ${avg(f.average)} · ${t("r_top")}: ${pct(f.top_share)} · ${t("r_below")}: ${pct(f.below_top_share)}`);
  }

  // Query of a results hash: #/results/units/7?period=month&date=2026-11-01
  function resultsQuery(hash) {
    const q = new URLSearchParams(hash.split("?")[1] || "");
    const out = new URLSearchParams();
    for (const k of ["period", "date", "from", "to"]) if (q.get(k)) out.set(k, q.get(k));
    return out;
  }

  function periodControls(base, q, r) {
    const kind = q.get("period") || (q.get("from") ? "custom" : "month");
    const uid = "pc" + (++formSeq);
    const kindSel = el("select", { id: uid + "k", testid: "period" }, ["day", "week", "month", "quarter", "year", "custom"].map((k) => el("option", { value: k, selected: k === kind }, t("r_" + k))));
    const date = el("input", { type: "date", id: uid + "d", value: q.get("date") || r.period.from, testid: "period-date" });
    const from = el("input", { type: "date", id: uid + "f", value: r.period.from });
    const to = el("input", { type: "date", id: uid + "t", value: r.period.to });
    const go = (params) => { location.hash = base + "?" + params.toString(); };
    const show = () => {
      const p = new URLSearchParams();
      if (kindSel.value === "custom") { p.set("from", from.value); p.set("to", to.value); } else { p.set("period", kindSel.value); p.set("date", date.value); }
      go(p);
    };
    const shift = (dir) => {
      const p = new URLSearchParams();
      const ref = dir < 0 ? r.previous_period : null;
      if (kind === "custom") {
        const len = (Date.parse(r.period.to) - Date.parse(r.period.from)) / 864e5 + 1;
        const add = (iso, n) => new Date(Date.parse(iso) + n * 864e5).toISOString().slice(0, 10);
        p.set("from", add(r.period.from, dir * len)); p.set("to", add(r.period.to, dir * len));
      } else {
        p.set("period", kind);
        p.set("date", ref ? ref.from : new Date(Date.parse(r.period.to) + 864e5).toISOString().slice(0, 10));
      }
      go(p);
    };
    const fields = {
      date: el("span", { class: "field" }, el("label", { for: uid + "d" }, t("r_date")), date, dateEcho(date)),
      from: el("span", { class: "field" }, el("label", { for: uid + "f" }, t("r_from")), from, dateEcho(from)),
      to: el("span", { class: "field" }, el("label", { for: uid + "t" }, t("r_to")), to, dateEcho(to)),
    };
    const showFields = () => { const custom = kindSel.value === "custom"; fields.date.hidden = custom; fields.from.hidden = !custom; fields.to.hidden = !custom; };
    kindSel.addEventListener("change", showFields);
    showFields();
    return el("form", { class: "inline", on: { submit: (e) => { e.preventDefault(); show(); } } },
      el("button", { type: "button", class: "secondary", "aria-label": t("r_previous"), on: { click: () => shift(-1) } }, lang === "fa" ? "→" : "←"),
      // Each label stays beside its field when the row wraps; only the fields of the chosen kind show.
      el("span", { class: "field" }, el("label", { for: uid + "k" }, t("r_period")), kindSel),
      fields.date, fields.from, fields.to,
      el("button", { type: "submit", testid: "period-show" }, t("r_show")),
      el("button", { type: "button", class: "secondary", "aria-label": t("r_next"), on: { click: () => shift(1) } }, lang === "fa" ? "←" : "→"));
  }

  // The distribution of the period's votes across the scale, as a stacked bar with a legend.
  function distribution(f, levels) {
    const total = f.votes || 1;
    const bar = el("div", { class: "dist", role: "img", "aria-label": levels.map((l) => `${levelLabel(levels, l.value)}: ${num(f.by_score[l.value] || 0)}`).join(", ") },
      levels.map((l) => el("span", { style: null, "data-w": (100 * (f.by_score[l.value] || 0)) / total, "data-c": l.colour })));
    for (const s of bar.children) { s.style.width = s.dataset.w + "%"; s.style.background = s.dataset.c; }
    const legend = el("ul", { class: "legend" }, levels.map((l) => {
      const sw = el("span", { class: "swatch" }); sw.style.background = l.colour;
      return el("li", {}, sw, `${levelLabel(levels, l.value)}: ${num(f.by_score[l.value] || 0)}`);
    }));
    return el("div", {}, bar, legend);
  }

  // The trend: a bar of votes per day or month, and the share below the top as a line, on
  // gridlines at none, half and all (votes on one side, the share on the other), with the
  // first, middle and last period named. Each column's figures show on hover (its title), and
  // the same figures are in a table for screen readers. No votes at all: said, not drawn.
  // Votes that wait for the roll-up's screening (`live.days`, on the view's local days) are
  // stacked on their day's counted bar as a hatched segment, named in the legend, the titles,
  // the summary and the table: apart from the counted figures, never added to them.
  function trendChart(points, live) {
    const days = (live && live.days) || [];
    const waitingOf = (p) => days.reduce((s, d) => (d.day >= p.from && d.day <= p.to ? s + d.waiting : s), 0);
    const waiting = points.map(waitingOf);
    const waitingTotal = waiting.reduce((s, n) => s + n, 0);
    const total = points.reduce((s, p) => s + p.votes, 0) + waitingTotal;
    if (!total) return el("p", { class: "muted", testid: "trend-empty" }, t("r_trendEmpty"));
    const hatch = "wh" + (++formSeq);
    const NS = "http://www.w3.org/2000/svg";
    const svg = (tag, attrs, ...kids) => { const e = document.createElementNS(NS, tag); for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v); e.append(...kids.filter((k) => k !== null)); return e; };
    const rtl = lang === "fa";
    const W = 640, H = 200, side = 44, top = 10, bottom = 34, plotH = H - top - bottom, n = points.length;
    // An even top of the scale, so that its middle is a whole number of votes.
    const maxVotes = Math.max(...points.map((p, i) => p.votes + waiting[i]));
    const scaleTop = Math.max(2, maxVotes + (maxVotes % 2));
    const bw = (W - 2 * side) / n;
    const x = (i) => (rtl ? W - side - (i + 1) * bw : side + i * bw);
    const y = (f) => top + plotH * (1 - f);
    // Positions are worked out left to right (the svg is ltr; Persian text still reads right to
    // left inside each label). Votes are labelled on the side reading starts from, the share
    // on the other.
    const votesX = rtl ? W - side + 6 : side - 6, shareX = rtl ? side - 6 : W - side + 6;
    const share = (f) => new Intl.NumberFormat(locale(), { style: "percent", maximumFractionDigits: 0 }).format(f);
    const grid = [0, 0.5, 1].map((f) => svg("g", { class: "grid-step", "data-testid": "trend-grid" },
      svg("line", { x1: side, x2: W - side, y1: y(f), y2: y(f), class: f ? "grid" : "axis" }),
      svg("text", { x: votesX, y: y(f) + 4, "text-anchor": rtl ? "start" : "end", class: "tick", "data-testid": "trend-votes-tick" }, num(scaleTop * f)),
      svg("text", { x: shareX, y: y(f) + 4, "text-anchor": rtl ? "end" : "start", class: "tick tick-share", "data-testid": "trend-share-tick" }, share(f))));
    const tip = (p, i) => `${span(p)}: ${t("votes")} ${num(p.votes)} · ${t("r_below")} ${pct(p.below_top_share)}`
      + (waiting[i] ? ` · ${t("r_trendWaiting")}: ${num(waiting[i])}` : "");
    const columns = points.map((p, i) => {
      const h = (plotH * p.votes) / scaleTop, hw = (plotH * waiting[i]) / scaleTop;
      const below = p.below_top_share === null || p.below_top_share === undefined ? null : p.below_top_share;
      return svg("g", { class: "trend-point", "data-testid": "trend-point" }, svg("title", {}, tip(p, i)),
        // The whole column answers the pointer, not only its bar.
        svg("rect", { x: x(i), y: top, width: bw, height: plotH, class: "hit" }),
        svg("rect", { x: x(i) + 1, y: y(0) - h, width: Math.max(bw - 2, 1), height: h, class: "bar-votes" }),
        waiting[i] ? svg("rect", { x: x(i) + 1, y: y(0) - h - hw, width: Math.max(bw - 2, 1), height: hw, class: "bar-waiting", fill: `url(#${hatch})`,
          "data-testid": "trend-waiting", "data-from": p.from, "data-to": p.to, "data-waiting": waiting[i] }) : null,
        below === null ? null : svg("circle", { cx: x(i) + bw / 2, cy: y(below), r: 2.5, class: "dot-below" }));
    });
    // The waiting segment's fill: stripes, told apart from the counted bar without colour.
    const defs = svg("defs", {}, svg("pattern", { id: hatch, width: 6, height: 6, patternUnits: "userSpaceOnUse", patternTransform: "rotate(45)" },
      svg("rect", { width: 6, height: 6, class: "hatch-ground" }), svg("line", { x1: 0, y1: 0, x2: 0, y2: 6, class: "hatch-line" })));
    const pts = points.map((p, i) => (p.below_top_share === null || p.below_top_share === undefined ? null : `${x(i) + bw / 2},${y(p.below_top_share)}`)).filter(Boolean);
    const line = pts.length > 1 ? svg("polyline", { points: pts.join(" "), class: "line-below" }) : svg("g", {});
    // First, middle and last period, under their columns (one label for a single period).
    const picks = [...new Set([0, Math.floor((n - 1) / 2), n - 1])];
    const labels = picks.map((i) => {
      const edge = i === 0 ? "first" : i === n - 1 ? "last" : "middle";
      const atLeft = (edge === "first") !== rtl;
      const anchor = n === 1 || edge === "middle" ? "middle" : atLeft ? "start" : "end";
      const lx = anchor === "middle" ? x(i) + bw / 2 : atLeft ? x(i) : x(i) + bw;
      return svg("text", { x: lx, y: H - 12, "text-anchor": anchor, class: "tick", "data-testid": "trend-period-tick" }, day(points[i].from));
    });
    const busiest = points.reduce((a, b) => (b.votes > a.votes ? b : a));
    const summary = t("r_trendSummary").replace("{period}", span({ from: points[0].from, to: points[n - 1].to }))
      .replace("{votes}", num(total - waitingTotal)).replace("{max}", num(busiest.votes)).replace("{when}", span(busiest))
      + (waitingTotal ? " " + t("r_trendWaitingSummary").replace("{n}", num(waitingTotal))
        .replace("{days}", points.filter((_, i) => waiting[i]).map((p) => `${span(p)}: ${num(waitingOf(p))}`).join(", ")) : "");
    // The legend, when some votes wait: the counted bar and the waiting segment, by name.
    const legend = waitingTotal ? el("ul", { class: "legend", testid: "trend-legend" },
      el("li", {}, el("span", { class: "swatch swatch-counted" }), t("r_trendCounted")),
      el("li", { testid: "trend-legend-waiting" }, el("span", { class: "swatch swatch-waiting" }), `${t("r_trendWaiting")}: ${num(waitingTotal)}`)) : null;
    // Hidden, and not in a scroller: a scrollable region must be reachable by keyboard.
    const figures = el("div", { class: "sr-only", testid: "trend-table" }, el("table", {},
      el("thead", {}, el("tr", {}, [t("r_period"), t("votes"), t("r_below"), ...(waitingTotal ? [t("r_trendWaiting")] : [])].map((h) => el("th", { scope: "col" }, h)))),
      el("tbody", {}, points.map((p, i) => el("tr", {}, el("td", {}, span(p)), el("td", {}, num(p.votes)), el("td", {}, pct(p.below_top_share)),
        waitingTotal ? el("td", {}, num(waiting[i])) : null)))));
    return el("figure", { class: "trend" },
      svg("svg", { viewBox: `0 0 ${W} ${H}`, role: "img", "aria-label": `${t("r_trend")}. ${summary}`, "data-testid": "trend", direction: "ltr" }, defs, ...grid, ...columns, line, ...labels),
      legend, el("figcaption", { class: "muted small" }, t("r_trendHelp"), waitingTotal ? " " + t("r_trendWaitingHelp") : ""), figures);
  }

  function rankedTable(rows, link, withPosition) {
    // The measures' meaning: a hover title on the header, and a legend under the table for
    // everyone else (screen readers, touch).
    const help = (k) => el("span", { title: t(k + "Help") }, t(k));
    return rows.length ? [table([t("name"), t("votes"), t("r_average"), help("r_top"), help("r_below"), t("r_confidence")],
      rows.map((r) => el("tr", { testid: "ranked-row" },
        el("td", {}, el("a", { href: link(r) }, r.name), withPosition && r.position ? el("div", { class: "muted small" }, r.position) : null),
        el("td", {}, num(r.figures.votes)),
        ...(r.figures.enough
          ? [el("td", {}, avg(r.figures.average)), el("td", {}, pct(r.figures.top_share)), el("td", {}, pct(r.figures.below_top_share)), el("td", {}, pct(r.figures.confidence_score))]
          : [el("td", { colspan: 4, class: "muted" }, t("r_notEnough"))])))),
      el("p", { class: "muted small", testid: "ranked-legend" }, `${t("r_top")}: ${t("r_topHelp")} ${t("r_below")}: ${t("r_belowHelp")}`)] : el("p", { class: "muted" }, t("empty"));
  }

  function summaryCards(r, levels) {
    const f = r.totals, p = r.previous || {};
    const delta = (a, b, fmt) => (a === null || b === null || a === undefined || b === undefined ? "" : ` (${a - b >= 0 ? "+" : "−"}${fmt(Math.abs(a - b))})`);
    return card(null,
      el("p", { class: "muted" }, span(r.period)),
      el("dl", { class: "figures" },
        el("div", {}, el("dt", {}, t("votes")), el("dd", { testid: "total-votes" }, num(f.votes), delta(f.votes, p.votes, num))),
        el("div", {}, el("dt", {}, t("r_average")), el("dd", {}, avg(f.average), delta(f.average, p.average, avg))),
        el("div", {}, el("dt", {}, t("r_top")), el("dd", {}, pct(f.top_share)), el("dd", { class: "muted small", testid: "help-top" }, t("r_topHelp"))),
        el("div", {}, el("dt", {}, t("r_below")), el("dd", {}, pct(f.below_top_share), delta(f.below_top_share, p.below_top_share, (x) => nf(1).format(x * 100) + " pp")),
          el("dd", { class: "muted small", testid: "help-below" }, t("r_belowHelp"))),
        el("div", {}, el("dt", {}, t("r_signed")), el("dd", {}, `${num(f.signed)} / ${num(f.anonymous)}`,
          el("div", { class: "muted small" }, `${t("r_average")}: ${avg(f.signed_average)} / ${avg(f.anonymous_average)}`)),
          el("dd", { class: "muted small", testid: "help-signed" }, t("r_signedHelp"))),
        f.signed_weight > 1 ? el("div", {}, el("dt", {}, t("r_weighted").replace("{n}", num(f.signed_weight))), el("dd", { testid: "weighted-average" }, avg(f.weighted_average))) : null,
        el("div", {}, el("dt", {}, t("r_verified")), el("dd", { testid: "verified-votes" }, num(f.verified),
          el("div", { class: "muted small" }, `${t("r_average")}: ${avg(f.verified_average)}`))),
        el("div", {}, el("dt", {}, t("r_comments")), el("dd", {}, num(f.comments))),
        el("div", {}, el("dt", {}, t("r_leftOut")), el("dd", {}, `${num(f.flagged)} / ${num(f.duplicates)}`))),
      distribution(f, levels),
      r.previous ? el("p", { class: "muted small" }, t("r_previousNote") + " " + span(r.previous_period)) : null);
  }

  // Each extra criterion over the period: its ratings, average and count per level of the scale.
  // Under a criterion, the waiting votes' answers (`live.criteria`) as a provisional line of
  // their own: never added to the counted columns.
  function criteriaTable(list, levels, waiting) {
    const provisional = (c) => {
      const answers = (waiting || []).filter((w) => w.criterion_id === c.id);
      const n = answers.reduce((s, w) => s + w.n, 0);
      if (!n) return null;
      const a = answers.reduce((s, w) => s + w.score * w.n, 0) / n;
      return el("tr", { class: "provisional", testid: "criterion-provisional", "data-criterion": c.id },
        el("td", { colspan: 3 + levels.length, class: "muted small" }, t("r_criterionWaiting").replace("{n}", num(n)).replace("{a}", avg(a))));
    };
    // A phone scrolls the table sideways: the scroller takes the keyboard's focus, by name.
    const wrap = table([t("r_criteria"), t("r_ratings"), t("r_average"), ...levels.map((l) => levelLabel(levels, l.value))],
      list.flatMap((c) => [el("tr", { testid: "criterion-row" },
        el("td", {}, c.labels[lang] || c.labels.en || Object.values(c.labels)[0] || c.code),
        el("td", {}, num(c.votes)), el("td", {}, avg(c.average)),
        ...levels.map((l) => el("td", {}, num(c.by_score[l.value] || 0)))), provisional(c)].filter(Boolean)));
    wrap.tabIndex = 0; wrap.setAttribute("role", "region"); wrap.setAttribute("aria-label", t("r_criteria"));
    return wrap;
  }
  function criteriaCard(list, levels, live) {
    return list && list.length ? card(t("r_criteria"), el("div", { testid: "criteria-results" }, criteriaTable(list, levels, live && live.criteria)),
      el("p", { class: "muted small" }, t("r_criteriaHelp"))) : null;
  }

  async function unitResults(id, hash) {
    const q = resultsQuery(hash);
    const [r, levels] = await Promise.all([api("GET", `/api/v1/admin/results/units/${id}?${q}`), scaleLevels()]);
    const base = "#/results/units/" + id;
    const monthInput = el("input", { type: "month", id: "rm-" + id, value: thisMonth(r.live && r.live.zone), max: thisMonth(r.live && r.live.zone) });
    const reportMsg = el("p", { testid: "monthly-message", "aria-live": "polite" });
    // A month without a report (not begun yet, or before the unit existed) is said here in the
    // page's language, never opened as the API's raw JSON error in a new tab. The open month's
    // report is built on request, month to date (provisional).
    const reportLink = (format) => el("a", { href: "#", testid: "monthly-" + format, on: { click: async (e) => { e.preventDefault();
      const url = `/api/v1/admin/results/units/${id}/monthly?month=${monthInput.value}&format=${format}&lang=${lang}`;
      reportMsg.className = ""; reportMsg.textContent = "";
      const resp = await fetch(url, { credentials: "same-origin" }).catch(() => null);
      if (!resp || !resp.ok) {
        reportMsg.className = "error"; reportMsg.setAttribute("role", "alert");
        reportMsg.textContent = resp && resp.status === 404 ? t("r_noReportMonth").replace("{month}", monthInput.value) : t("r_reportFailed");
        return;
      }
      if (format === "csv") {
        const a = el("a", { href: URL.createObjectURL(await resp.blob()), download: `report-${id}-${monthInput.value}.csv` });
        document.body.append(a); a.click(); a.remove();
      } else window.open(url, "_blank", "noopener");
    } } }, t("r_" + format));
    page(`${t("results")}: ${r.unit.name}`,
      crumbs(r.path, (s) => "#/results/units/" + s.id + "?" + q),
      periodControls(base, q, r),
      liveLine(r.live, levels),
      summaryCards(r, levels),
      criteriaCard(r.criteria, levels, r.live),
      card(t("r_trend"), trendChart(r.trend, r.live)),
      card(t("r_subunits"), rankedTable(r.units, (u) => "#/results/units/" + u.id + "?" + q, false)),
      card(t("employees"), rankedTable(r.employees, (e) => "#/results/employees/" + e.id + "?" + q, true),
        el("p", { class: "muted small" }, t("r_minVotes").replace("{n}", num(r.min_votes)))),
      card(t("r_monthly"), el("p", { class: "muted small", testid: "monthly-help" }, t("r_monthlyHelp") + " " + t("r_monthlyOpen")),
        el("div", { class: "row" }, el("label", { for: "rm-" + id }, t("r_month")), monthInput, reportLink("csv"), reportLink("html")), reportMsg),
      commentsCard({ unit: id }, r.period, levels),
      el("p", { class: "row" }, el("a", { href: "#/units/" + id }, t("settings")), el("a", { href: "#/results/directions?" + q }, t("r_directions"))));
  }

  // How fresh the figures are: when the hourly roll-up last counted, in the unit's own time,
  // and how many votes of the view wait for its screening (docs/results.md, "Fresh figures").
  function liveLine(live, levels) {
    if (!live) return null;
    let at = t("r_liveNever");
    if (live.updated_at) {
      const opts = { hour: "2-digit", minute: "2-digit", day: "numeric", month: "short" };
      let text;
      try { text = new Date(live.updated_at * 1000).toLocaleString(locale(), { ...opts, timeZone: live.zone || "UTC" }); }
      catch (_) { text = new Date(live.updated_at * 1000).toLocaleString(locale(), opts); }
      at = t("r_liveAt").replace("{t}", text);
    }
    const waiting = live.waiting > 0 ? " · " + t("r_liveWaiting").replace("{n}", num(live.waiting)) : "";
    // Which scores wait, best first, in the scale's words: "2 × exemplary, 1 × good".
    const scores = (live.scores || []).slice().sort((a, b) => b.score - a.score);
    const byScore = scores.length ? el("span", { testid: "results-live-scores" },
      " · " + t("r_liveScores").replace("{list}", scores.map((s) => `${num(s.n)} × ${levelLabel(levels || [], s.score)}`).join(", "))) : null;
    // Today's provisional figure: the waiting votes' average, apart from the counted figures.
    const provisional = live.provisional_average != null
      ? el("span", { testid: "results-provisional" }, " · " + t("r_liveProvisional").replace("{a}", nf(1).format(live.provisional_average))) : null;
    return el("p", { class: "muted small", testid: "results-live", role: "status" }, at + waiting, byScore, provisional);
  }

  async function employeeResults(id, hash) {
    const q = resultsQuery(hash);
    const [r, levels] = await Promise.all([api("GET", `/api/v1/admin/results/employees/${id}?${q}`), scaleLevels()]);
    page(`${t("results")}: ${r.employee.name}`,
      crumbs(r.unit_path, (s) => "#/results/units/" + s.id + "?" + q),
      el("p", {}, r.employee.position),
      periodControls("#/results/employees/" + id, q, r),
      liveLine(r.live, levels),
      summaryCards(r, levels),
      criteriaCard(r.criteria, levels, r.live),
      card(t("r_trend"), trendChart(r.trend, r.live)),
      commentsCard({ employee: id }, r.period, levels),
      el("p", {}, el("a", { href: "#/employees/" + id }, t("edit"))));
  }

  // Comments of a unit's subtree or of one employee, with filters, 50 at a time.
  // Publishing a comment on the public results: as written or cleaned of personal data.
  function moderation(c) {
    const shown = () => [c.moderation === "published" ? t("m_published") + ": " : c.moderation === "withheld" ? t("m_withheld") : t("m_none"),
      c.moderation === "published" ? el("q", { dir: "auto" }, c.published_text) : ""];
    const state = el("p", { class: "muted small", testid: "moderation-state" }, ...shown());
    if (!canManage()) return state;
    const msg = el("p", { role: "status" });
    const text = el("textarea", { rows: 2, "aria-label": t("m_text"), testid: "moderation-text", maxlength: 1000, dir: "auto" });
    text.value = c.published_text || c.comment;
    const decide = async (decision) => {
      try {
        await api("POST", `/api/v1/admin/comments/${c.vote_id}/moderation`, decision === "publish" ? { decision, text: text.value } : { decision });
        c.moderation = decision === "publish" ? "published" : "withheld"; c.published_text = decision === "publish" ? text.value.trim() : null;
        state.replaceChildren(...shown()); msg.className = "ok"; msg.textContent = t("saved");
      } catch (e) { if (e.message !== "401") { msg.className = "error"; msg.textContent = e.message; } }
    };
    return el("div", {}, state, el("details", {}, el("summary", {}, t("m_moderate")), el("p", { class: "muted small" }, t("m_help")), text,
      el("div", { class: "row" },
        el("button", { type: "button", testid: "moderation-publish", on: { click: () => decide("publish") } }, t("m_publish")),
        el("button", { type: "button", class: "secondary", testid: "moderation-withhold", on: { click: () => decide("withhold") } }, t("m_withhold")))), msg);
  }

  function commentsCard(subject, period, levels) {
    const list = el("div", { "aria-live": "polite" });
    const uid = "cm" + (++formSeq);
    const score = el("select", { id: uid + "s" }, el("option", { value: "" }, t("r_any")), levels.map((l) => el("option", { value: l.value }, levelLabel(levels, l.value))));
    const contact = el("select", { id: uid + "c" }, el("option", { value: "" }, t("r_any")), el("option", { value: "yes" }, t("r_signedOnly")), el("option", { value: "no" }, t("r_anonymousOnly")));
    const load = async (before, append) => {
      const p = new URLSearchParams({ from: period.from, to: period.to });
      for (const [k, v] of Object.entries(subject)) p.set(k, v);
      if (score.value) p.set("score", score.value);
      if (contact.value) p.set("contact", contact.value);
      if (before) p.set("before", before);
      const r = await api("GET", "/api/v1/admin/results/comments?" + p);
      const rows = r.comments.map((c) => el("article", { class: "comment", testid: "comment" },
        el("p", { class: "muted small" }, `${moment(c.at, c)} · ${levelLabel(levels, c.score)} · `, el("a", { href: "#/results/employees/" + c.employee_id }, c.employee), ` · ${c.unit}`,
          c.status !== "counted" ? ` · ${c.status}` : ""),
        el("p", { dir: "auto" }, c.comment),
        c.contact ? el("p", { class: "small" }, t("r_contact") + ": ", el("span", { dir: "auto" }, c.contact)) : null,
        moderation(c)));
      if (!append) list.replaceChildren();
      list.append(...rows);
      if (!append && !rows.length) list.append(el("p", { class: "muted" }, t("r_noComments")));
      if (r.next_before) list.append(el("button", { type: "button", class: "secondary", on: { click: (e) => { e.target.remove(); load(r.next_before, true); } } }, t("more")));
    };
    const filters = el("form", { class: "inline", on: { submit: (e) => { e.preventDefault(); load(null, false); } } },
      el("label", { for: uid + "s" }, t("score")), score, el("label", { for: uid + "c" }, t("r_contact")), contact,
      el("button", { type: "submit" }, t("r_show")));
    load(null, false).catch((e) => list.replaceChildren(el("p", { class: "error" }, e.message)));
    return card(t("r_comments"), el("p", { class: "muted small" }, t("r_commentsHelp")), filters, list);
  }

  async function directionResults(hash) {
    const q = resultsQuery(hash);
    const [r, levels] = await Promise.all([api("GET", `/api/v1/admin/results/directions?${q}`), scaleLevels()]);
    const fake = { period: r.period, previous_period: r.period };
    const names = new Map(r.directions.map((d) => [d.id, d.name]));
    const perDirection = (r.criteria || []).filter((d) => d.criteria.some((c) => c.votes > 0));
    page(t("r_directions"), periodControls("#/results/directions", q, fake), liveLine(r.live, levels),
      card(null, el("p", { class: "muted" }, span(r.period)), rankedTable(r.directions, () => "#/results/directions?" + q, false)),
      perDirection.length ? card(t("r_criteria"), el("div", { testid: "criteria-results" },
        perDirection.map((d) => el("section", {}, el("h3", {}, names.get(d.direction_id) || "#" + d.direction_id), criteriaTable(d.criteria, levels)))),
        el("p", { class: "muted small" }, t("r_criteriaHelp"))) : null);
  }

  // Flagged votes: accept (counted from the next roll-up) or reject, in bulk, after saying how
  // many will be rejected. Below, the votes rejected in review, each of which can be sent back
  // to review, alone or ticked with others after saying how many (an undo made by mistake
  // costs nothing: the vote is flagged again).
  async function review(before) {
    const [r, levels] = await Promise.all([api("GET", "/api/v1/admin/review" + (before ? "?before=" + before : "")), scaleLevels()]);
    const msg = el("p", { role: "status" });
    const said = (ok, text) => { const m = main.querySelector("[role=status]"); m.className = ok ? "ok" : "error"; m.textContent = text; };
    // Votes of one's own unit, or about one's own employee, are decided by an admin above it.
    const boxes = r.votes.map((v) => el("input", { type: "checkbox", value: v.vote_id, disabled: !v.decidable, title: v.decidable ? null : t("r_notYours"), "aria-label": `${v.employee} ${moment(v.at, v)}` }));
    const all = el("input", { type: "checkbox", id: "rv-all", on: { change: () => boxes.forEach((b) => { if (!b.disabled) b.checked = all.checked; }) } });
    const question = el("p", { id: "rv-confirm-text", testid: "reject-question" });
    const dialog = el("dialog", { testid: "reject-dialog", "aria-labelledby": "rv-confirm-text" }, el("form", { method: "dialog" }, question,
      el("div", { class: "row" },
        el("button", { value: "reject", testid: "reject-confirm" }, t("r_reject")),
        el("button", { value: "cancel", class: "secondary", testid: "reject-cancel", autofocus: true }, t("r_cancel")))));
    // Resolves true when the admin confirms, false on cancel or Escape.
    const confirmReject = (n) => new Promise((resolve) => {
      question.textContent = t("r_confirmReject").replace("{n}", num(n));
      dialog.returnValue = "";
      dialog.addEventListener("close", () => resolve(dialog.returnValue === "reject"), { once: true });
      dialog.showModal();
    });
    const decide = async (decision) => {
      const votes = boxes.filter((b) => b.checked).map((b) => Number(b.value));
      if (!votes.length) { msg.className = "error"; msg.textContent = t("r_chooseVotes"); return; }
      if (decision === "reject" && !(await confirmReject(votes.length))) return;
      try {
        const out = await api("POST", "/api/v1/admin/review", { votes, decision });
        await review(before);
        said(true, t("r_decided").replace("{n}", num(out.changed)));
      } catch (e) { if (e.message !== "401") { msg.className = "error"; msg.textContent = e.message; } }
    };
    const row = (v, ...cells) => [el("td", { class: "nowrap" }, moment(v.at, v)),
      el("td", {}, el("a", { href: "#/results/employees/" + v.employee_id }, v.employee), el("div", { class: "muted small" }, v.unit)),
      el("td", {}, levelLabel(levels, v.score)), el("td", {}, t("reason_" + v.reason), v.decidable ? null : el("div", { class: "muted small" }, t("r_notYours"))),
      el("td", { dir: "auto" }, v.comment), ...cells];
    // The rejected votes, 100 at a time.
    const rejected = el("div", { testid: "rejected-list" });
    const undo = async (v) => {
      try {
        await api("POST", `/api/v1/admin/review/rejected/${v.vote_id}/undo`);
        await review(before);
        said(true, t("r_undone").replace("{employee}", v.employee));
      } catch (e) { if (e.message !== "401") said(false, e.message); }
    };
    // Several at once: the ticked rows go back in one action, after a confirmation saying how
    // many (the server applies the single undo's rule to each and answers how many changed).
    const undoBoxes = () => [...rejected.querySelectorAll("input[data-undo]")];
    const undoAll = el("input", { type: "checkbox", id: "rj-all", testid: "undo-all", on: { change: () => undoBoxes().forEach((b) => { if (!b.disabled) b.checked = undoAll.checked; }) } });
    const undoQuestion = el("p", { id: "rj-confirm-text", testid: "undo-question" });
    const undoDialog = el("dialog", { testid: "undo-dialog", "aria-labelledby": "rj-confirm-text" }, el("form", { method: "dialog" }, undoQuestion,
      el("div", { class: "row" },
        el("button", { value: "undo", testid: "undo-confirm" }, t("r_undo")),
        el("button", { value: "cancel", class: "secondary", testid: "undo-cancel", autofocus: true }, t("r_cancel")))));
    const confirmUndo = (n) => new Promise((resolve) => {
      undoQuestion.textContent = t("r_confirmUndo").replace("{n}", num(n));
      undoDialog.returnValue = "";
      undoDialog.addEventListener("close", () => resolve(undoDialog.returnValue === "undo"), { once: true });
      undoDialog.showModal();
    });
    const undoSelected = async () => {
      const votes = undoBoxes().filter((b) => b.checked).map((b) => Number(b.value));
      if (!votes.length) { said(false, t("r_chooseVotes")); return; }
      if (!(await confirmUndo(votes.length))) return;
      try {
        const out = await api("POST", "/api/v1/admin/review/rejected/undo", { votes });
        await review(before);
        said(true, t("r_undoneMany").replace("{n}", num(out.changed)));
      } catch (e) { if (e.message !== "401") said(false, e.message); }
    };
    const loadRejected = async (from) => {
      const list = await api("GET", "/api/v1/admin/review/rejected" + (from ? "?before=" + from : ""));
      const rows = list.votes.map((v) => el("tr", { testid: "rejected-row", "data-vote": v.vote_id },
        el("td", {}, el("input", { type: "checkbox", value: v.vote_id, "data-undo": "", testid: "undo-box", disabled: !v.decidable,
          title: v.decidable ? null : t("r_notYours"), "aria-label": `${v.employee} ${moment(v.at, v)}` })), ...row(v,
        el("td", {}, el("button", { type: "button", class: "secondary", testid: "undo-rejection", disabled: !v.decidable,
          "aria-label": `${t("r_undo")}: ${v.employee} ${moment(v.at, v)}`, on: { click: () => undo(v) } }, t("r_undo"))))));
      const more = list.next_before ? el("button", { type: "button", class: "secondary", on: { click: (e) => { e.target.remove(); loadRejected(list.next_before).catch((err) => said(false, err.message)); } } }, t("more")) : null;
      if (!from) {
        put(rejected, rows.length ? [
          table([el("label", { class: "check", for: "rj-all" }, undoAll, t("r_allOnPage")), t("when"), t("r_employee"), t("score"), t("r_reason"), t("r_comments"), ""], rows),
          el("div", { class: "row" }, el("button", { type: "button", class: "secondary", testid: "undo-selected", on: { click: undoSelected } }, t("r_undoSelected"))),
          undoDialog] : el("p", { class: "muted" }, t("r_noRejected")), more);
      } else { rejected.querySelector("tbody").append(...rows); if (more) rejected.append(more); }
    };
    page(t("r_review"), el("p", { class: "muted" }, t("r_reviewHelp")), msg,
      r.votes.length ? card(null,
        table([el("label", { class: "check", for: "rv-all" }, all, t("r_all")), t("when"), t("r_employee"), t("score"), t("r_reason"), t("r_comments")],
          r.votes.map((v, i) => el("tr", { testid: "flagged-row", "data-vote": v.vote_id }, el("td", {}, boxes[i]), ...row(v)))),
        el("div", { class: "row" },
          el("button", { type: "button", testid: "review-accept", on: { click: () => decide("accept") } }, t("r_accept")),
          el("button", { type: "button", class: "secondary", testid: "review-reject", on: { click: () => decide("reject") } }, t("r_reject"))),
        r.next_before ? el("p", {}, el("a", { href: "#/review/" + r.next_before }, t("more"))) : null, dialog)
        : el("p", { class: "muted" }, t("r_noFlagged")),
      card(t("r_rejected"), el("p", { class: "muted small" }, t("r_rejectedHelp")), rejected));
    await loadRejected(null);
  }

  // The feedback inbox: what needs an answer (a contact, a comment below the top level) as
  // cases to follow up; praise without a contact stays in the comments.
  async function inbox(hash) {
    const q = new URLSearchParams(hash.split("?")[1] || "");
    const params = new URLSearchParams();
    for (const k of ["status", "overdue", "unit", "before"]) if (q.get(k)) params.set(k, q.get(k));
    const [r, levels, late] = await Promise.all([api("GET", "/api/v1/admin/cases?" + params), scaleLevels(), api("GET", "/api/v1/admin/cases/overdue")]);
    const uid = "ib" + (++formSeq);
    const STATUSES = ["new", "in_progress", "resolved", "rejected"];
    const statusSel = el("select", { id: uid + "s", testid: "inbox-status" }, el("option", { value: "" }, t("r_any")), STATUSES.map((s) => el("option", { value: s, selected: q.get("status") === s }, t("c_" + s))));
    const overdueBox = el("input", { type: "checkbox", id: uid + "o", checked: q.get("overdue") === "yes" });
    const filters = el("form", { class: "inline", on: { submit: (e) => {
      e.preventDefault();
      const p = new URLSearchParams();
      if (statusSel.value) p.set("status", statusSel.value);
      if (overdueBox.checked) p.set("overdue", "yes");
      if (q.get("unit")) p.set("unit", q.get("unit"));
      location.hash = "#/inbox?" + p;
    } } }, el("label", { for: uid + "s" }, t("c_status")), statusSel, el("label", { class: "check", for: uid + "o" }, overdueBox, t("c_overdueOnly")), el("button", { type: "submit" }, t("r_show")));
    const now = Date.now() / 1000;
    const caseView = (c) => {
      const msg = el("p", { role: "status" });
      const sel = el("select", { "aria-label": t("c_status"), testid: "case-status" }, STATUSES.map((s) => el("option", { value: s, selected: c.status === s }, t("c_" + s))));
      const note = el("textarea", { rows: 2, "aria-label": t("c_note"), testid: "case-note", maxlength: 2000, dir: "auto" });
      const save = async () => {
        const body = {};
        if (sel.value !== c.status) body.status = sel.value;
        if (note.value.trim()) body.note = note.value.trim();
        if (!Object.keys(body).length) return;
        try { await api("PATCH", "/api/v1/admin/cases/" + c.vote_id, body); msg.className = "ok"; msg.textContent = t("saved"); c.status = sel.value;
          if (body.note) { notes.append(el("li", {}, `${when(now)} · ${me.account.email}: `, el("span", { dir: "auto" }, body.note))); note.value = ""; }
        } catch (e) { if (e.message !== "401") { msg.className = "error"; msg.textContent = e.message; } }
      };
      const notes = el("ul", { class: "small" }, (c.notes || []).map((n) => el("li", {}, `${when(n.at)} · ${n.by}: `, el("span", { dir: "auto" }, n.note))));
      const isLate = (c.status === "new" || c.status === "in_progress") && c.due_at < now;
      return el("article", { class: "comment", testid: "case" },
        el("p", { class: "muted small" }, `${moment(c.created_at, c)} · ${levelLabel(levels, c.score)} · `,
          el("a", { href: "#/results/employees/" + c.employee_id }, c.employee), ` · ${c.unit} · ${t("c_due")} ${c.part ? new Date(c.due_at * 1000).toLocaleDateString(locale()) : when(c.due_at)}`,
          isLate ? el("strong", { class: "error" }, " · " + t("c_late")) : null),
        c.comment ? el("p", { dir: "auto" }, c.comment) : null,
        c.contact ? el("p", { class: "small" }, t("r_contact") + ": ", el("span", { dir: "auto" }, c.contact)) : null,
        notes,
        canManage() ? el("div", { class: "row" }, sel, note, el("button", { type: "button", testid: "case-save", on: { click: save } }, t("save"))) : el("p", { class: "muted small" }, t("c_status") + ": " + t("c_" + c.status)),
        canManage() ? appealForm(c.vote_id) : null,
        msg);
    };
    page(t("c_inbox"), el("p", { class: "muted" }, t("c_help")), filters,
      late.units.length ? card(t("c_overdueByUnit"), table([t("unit"), t("c_overdue")], late.units.map((u) => el("tr", {},
        el("td", {}, el("a", { href: `#/inbox?overdue=yes&unit=${u.unit_id}` }, u.unit)), el("td", {}, num(u.overdue)))))) : null,
      card(null, r.cases.length ? r.cases.map(caseView) : el("p", { class: "muted" }, t("c_empty")),
        r.next_before ? el("p", {}, el("a", { href: "#/inbox?" + new URLSearchParams({ ...Object.fromEntries(params), before: r.next_before }) }, t("more"))) : null));
  }

  // An employee's appeal against a vote, filed by their manager; another admin decides it.
  function appealForm(voteId) {
    const msg = el("p", { role: "status" });
    const reason = el("textarea", { rows: 2, "aria-label": t("a_reason"), testid: "appeal-reason", minlength: 10, maxlength: 2000, dir: "auto" });
    const file = async () => {
      try { await api("POST", `/api/v1/admin/votes/${voteId}/appeal`, { reason: reason.value.trim() }); msg.className = "ok"; msg.textContent = t("a_filed"); reason.value = ""; }
      catch (e) { if (e.message !== "401") { msg.className = "error"; msg.textContent = e.message; } }
    };
    return el("details", {}, el("summary", {}, t("a_file")), el("p", { class: "muted small" }, t("a_fileHelp")),
      el("div", { class: "row" }, reason, el("button", { type: "button", class: "secondary", testid: "appeal-file", on: { click: file } }, t("a_send"))), msg);
  }

  async function appeals(hash) {
    const q = new URLSearchParams(hash.split("?")[1] || "");
    const open = q.get("status") !== "all";
    const [r, levels] = await Promise.all([api("GET", "/api/v1/admin/appeals?status=" + (open ? "open" : "all")), scaleLevels()]);
    const view = (a) => {
      const msg = el("p", { role: "status" });
      const note = el("textarea", { rows: 2, "aria-label": t("c_note"), maxlength: 2000, dir: "auto" });
      const decide = async (decision) => {
        try { await api("POST", "/api/v1/admin/appeals/" + a.vote_id, { decision, note: note.value.trim() || undefined }); await appeals(hash); }
        catch (e) { if (e.message !== "401") { msg.className = "error"; msg.textContent = e.message; } }
      };
      const mine = a.filed_by === me.account.email;
      return el("article", { class: "comment", testid: "appeal" },
        el("p", { class: "muted small" }, `${moment(a.voted_at, a)} · ${levelLabel(levels, a.score)} · `,
          el("a", { href: "#/results/employees/" + a.employee_id }, a.employee), ` · ${a.unit}`),
        el("p", { dir: "auto" }, a.reason),
        el("p", { class: "muted small" }, `${t("a_filedBy")} ${a.filed_by}, ${when(a.filed_at)}`),
        a.decision ? el("p", {}, el("strong", {}, t("a_" + a.decision)), a.decided_by ? ` · ${a.decided_by}, ${when(a.decided_at)}` : "", a.note ? el("span", { dir: "auto" }, " · " + a.note) : null)
          : canManage() && !mine ? el("div", { class: "row" }, note,
            el("button", { type: "button", testid: "appeal-uphold", on: { click: () => decide("uphold") } }, t("a_uphold")),
            el("button", { type: "button", class: "secondary", testid: "appeal-dismiss", on: { click: () => decide("dismiss") } }, t("a_dismiss")))
          : el("p", { class: "muted small" }, t(mine ? "a_yours" : "a_open")),
        msg);
    };
    page(t("a_appeals"), el("p", { class: "muted" }, t("a_help")),
      el("p", {}, open ? el("a", { href: "#/appeals?status=all" }, t("a_showAll")) : el("a", { href: "#/appeals" }, t("a_showOpen"))),
      card(null, r.appeals.length ? r.appeals.map(view) : el("p", { class: "muted" }, t("a_empty"))));
  }

  // Where results start: the caller's top units (all roots for a superadmin).
  async function resultsHome() {
    const { units } = await api("GET", "/api/v1/admin/units");
    const ids = new Set(units.map((u) => u.id));
    const tops = units.filter((u) => !ids.has(u.parent_id));
    if (tops.length === 1) { location.replace("#/results/units/" + tops[0].id); return; }
    page(t("results"), card(null, tops.length ? el("ul", {}, tops.map((u) => el("li", {}, el("a", { href: "#/results/units/" + u.id, testid: "results-unit" }, u.name)))) : el("p", {}, t("empty"))),
      el("p", {}, el("a", { href: "#/results/directions" }, t("r_directions"))));
  }

  async function route() {
    const hash = location.hash.replace(/^#/, "") || "/";
    const invite = hash.match(/^\/(invite|reset)\/([A-Za-z0-9_-]{43})$/);
    menu();
    try {
      if (invite) return accept(invite[2], invite[1] === "reset");
      if (!me) {
        try { me = await api("GET", "/api/v1/session"); menu(); } catch { return signIn(); }
      }
      let m;
      if ((m = hash.match(/^\/units\/(\d+)$/))) return await unit(m[1]);
      if ((m = hash.match(/^\/results\/units\/(\d+)(\?.*)?$/))) return await unitResults(m[1], hash);
      if ((m = hash.match(/^\/results\/employees\/(\d+)(\?.*)?$/))) return await employeeResults(m[1], hash);
      if (hash.match(/^\/results\/directions(\?.*)?$/)) return await directionResults(hash);
      if (hash === "/results") return await resultsHome();
      if ((m = hash.match(/^\/review(?:\/(\d+))?$/))) return await review(m[1]);
      if (hash.match(/^\/inbox(\?.*)?$/)) return await inbox(hash);
      if (hash.match(/^\/appeals(\?.*)?$/)) return await appeals(hash);
      if ((m = hash.match(/^\/units\/(\d+)\/import$/))) return await importPage(m[1]);
      if ((m = hash.match(/^\/employees\/(\d+)$/))) return await employee(m[1]);
      if (hash.match(/^\/employees(\?.*)?$/)) return await employeeList(hash);
      if (hash.match(/^\/search(\?.*)?$/)) return await searchPage(hash);
      if (hash.match(/^\/audit(\?.*)?$/)) return await audit(hash);
      if (hash === "/directions") return await directions();
      if (hash === "/accounts") return await accounts();
      if (hash === "/keys") return await keys();
      if (hash === "/scale") return await scalePage();
      if (hash === "/tokens") return await tokens();
      if (hash === "/password") return password();
      if (hash === "/signin") return signIn();
      return await tree();
    } catch (e) {
      if (e.message !== "401") page(t("back"), el("p", { class: "error", role: "alert" }, e.message));
    }
  }

  function setLang(l) {
    lang = l; localStorage.setItem("civicrate.lang", l);
    document.documentElement.lang = l;
    document.documentElement.dir = l === "fa" ? "rtl" : "ltr";
  }

  const select = document.getElementById("lang");
  for (const [code, label] of LANGS) select.append(el("option", { value: code, selected: code === lang }, label));
  // One screen is drawn at a time, in the order asked: a screen still waiting for its data
  // when another is asked for (a click during a slow load) would otherwise draw itself over
  // the newer one, leaving the old screen under the new address. A load stuck for 10 s on a
  // bad network does not hold the next screen back for longer.
  let drawing = Promise.resolve();
  function navigate() {
    const before = Promise.race([drawing, new Promise((done) => setTimeout(done, 10000))]);
    drawing = before.then(route, route);
  }

  select.addEventListener("change", () => { setLang(select.value); navigate(); });
  setLang(lang);
  window.addEventListener("hashchange", navigate);
  navigate();
})();

// The admin page: a small single-page app over the JSON API (docs/admin-api.md).
// Everything is built with createElement/textContent, so names and comments render inert.
// data-testid: email, password, sign-in, new-password, new-password-2, accept, unit-link,
// add-unit-name, add-unit, add-employee-name, add-employee-position, add-employee,
// employee-link, issue-qr, qr-image, poster-a5, unit-posters, token-name, create-token, token-secret.
"use strict";
(() => {
  const LANGS = [["uk", "Українська"], ["ru", "Русский"], ["kk", "Қазақша"], ["fa", "فارسی"], ["en", "English"]];
  let lang = localStorage.getItem("civicrate.lang") ||
    ((navigator.languages || []).map((l) => l.slice(0, 2)).find((l) => LANGS.some(([c]) => c === l))) || "uk";
  let me = null;
  const t = (k) => (window.I18N[lang] || window.I18N.en)[k] || k;
  const main = document.getElementById("main");

  function el(tag, attrs, ...children) {
    const e = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (k === "on") for (const [ev, fn] of Object.entries(v)) e.addEventListener(ev, fn);
      else if (k === "testid") e.dataset.testid = v;
      else if (v !== undefined && v !== null && v !== false) e.setAttribute(k, v === true ? "" : v);
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
    if (!resp.ok) throw new Error((data && data.error && data.error.message) || String(resp.status));
    return data;
  }

  function form(fields, submitLabel, onSubmit, testid) {
    const msg = el("p", { role: "alert", class: "error" });
    const inputs = {};
    const f = el("form", { on: { submit: async (e) => {
      e.preventDefault(); msg.textContent = "";
      const values = Object.fromEntries(Object.entries(inputs).map(([k, i]) => [k, i.value]));
      try { await onSubmit(values, msg); } catch (err) { if (err.message !== "401") msg.textContent = err.message; }
    } } });
    for (const [name, label, type, id] of fields) {
      const input = el("input", { type: type || "text", name, id: "f-" + name, testid: id, required: true,
        autocomplete: type === "password" ? "current-password" : (type === "email" ? "username" : "off") });
      inputs[name] = input;
      f.append(el("label", { for: "f-" + name }, label), input);
    }
    f.append(el("button", { type: "submit", testid }, submitLabel), msg);
    return f;
  }

  function page(title, ...content) {
    main.replaceChildren(el("h1", {}, title), ...content);
    main.focus();
  }

  function menu() {
    const nav = document.getElementById("menu");
    nav.replaceChildren();
    if (!me) return;
    nav.append(el("a", { href: "#/" }, t("units")), el("a", { href: "#/tokens" }, t("tokens")),
      el("a", { href: "#/password" }, t("passwordChange")),
      el("button", { class: "link", type: "button", on: { click: async () => {
        await api("DELETE", "/api/v1/session").catch(() => {}); me = null; location.hash = "#/signin"; } } }, t("signOut")),
      el("span", { class: "muted" }, me.account.email));
  }

  function signIn() {
    page(t("signIn"), form([["email", t("email"), "email", "email"], ["password", t("password"), "password", "password"]], t("signIn"),
      async (v) => { me = await api("POST", "/api/v1/session", v); location.hash = "#/"; }, "sign-in"));
  }

  function accept(token) {
    page(t("acceptTitle"), el("p", {}, t("passwordRules")),
      form([["password", t("password"), "password", "new-password"], ["password2", t("repeat"), "password", "new-password-2"]], t("save"),
        async (v, msg) => {
          if (v.password !== v.password2) { msg.textContent = t("mismatch"); return; }
          me = await api("POST", "/api/v1/invitations/accept", { token, password: v.password });
          history.replaceState(null, "", "/admin/#/"); route();
        }, "accept"));
  }

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
        el("a", { href: "#/units/" + u.id, testid: "unit-link" }, u.name), u.active ? null : el("span", { class: "muted" }, " ✕"),
        byParent.has(u.id) ? list(u.id, false) : null)));
    const isSuper = me.roles.some((r) => r.role === "superadmin");
    page(t("units"), el("section", { class: "card" }, units.length ? list(null, true) : el("p", {}, t("empty"))),
      isSuper ? el("section", { class: "card" }, el("h2", {}, t("addUnit")), form([["name", t("name"), "text", "add-unit-name"]], t("create"),
        async (v) => { const u = await api("POST", "/api/v1/admin/units", { name: v.name, parent_id: null }); location.hash = "#/units/" + u.id; }, "add-unit")) : null);
  }

  async function unit(id) {
    const d = await api("GET", "/api/v1/admin/units/" + id);
    const crumbs = el("nav", { class: "breadcrumb" }, d.path.map((s) => el("a", { href: "#/units/" + s.id }, s.name)));
    const children = el("section", { class: "card" }, el("h2", {}, t("children")),
      d.children.length ? el("ul", {}, d.children.map((c) => el("li", {}, el("a", { href: "#/units/" + c.id, testid: "unit-link" }, c.name)))) : el("p", { class: "muted" }, t("empty")),
      form([["name", t("name"), "text", "add-unit-name"]], t("addUnit"), async (v) => {
        await api("POST", "/api/v1/admin/units", { name: v.name, parent_id: d.unit.id }); unit(id); }, "add-unit"));
    const people = el("section", { class: "card" }, el("h2", {}, t("employees")),
      d.employees.length ? el("div", { class: "scroll" }, el("table", {}, d.employees.map((e) => el("tr", {},
        el("td", {}, el("a", { href: "#/employees/" + e.id, testid: "employee-link" }, e.name)), el("td", {}, e.position))))) : el("p", { class: "muted" }, t("empty")),
      form([["name", t("fullName"), "text", "add-employee-name"], ["position", t("position"), "text", "add-employee-position"]], t("addEmployee"),
        async (v) => { const e = await api("POST", "/api/v1/admin/employees", { name: v.name, position: v.position, unit_id: d.unit.id }); location.hash = "#/employees/" + e.id; }, "add-employee"),
      el("p", { class: "row" }, ["a4", "a5", "a6"].map((s) => el("a", { href: `/admin/units/${d.unit.id}/posters?size=${s}&lang=${lang}`, target: "_blank", rel: "noopener", testid: s === "a5" ? "unit-posters" : undefined }, `${t("poster")} ${s.toUpperCase()}`))));
    const rename = el("section", { class: "card" }, form([["name", t("rename"), "text"]], t("save"), async (v, msg) => {
      await api("PATCH", "/api/v1/admin/units/" + id, { name: v.name }); msg.className = "ok"; msg.textContent = t("saved"); }));
    page(d.unit.name, crumbs, people, children, rename);
  }

  async function employee(id) {
    const d = await api("GET", "/api/v1/admin/employees/" + id);
    const current = d.codes.find((c) => c.channel === 0 && !c.revoked_at);
    const crumbs = el("nav", { class: "breadcrumb" }, d.unit_path.map((s) => el("a", { href: "#/units/" + s.id }, s.name)));
    const msg = el("p", { role: "alert", class: "error" });
    const act = (method, confirmText) => async () => {
      if (confirmText && !confirm(confirmText)) return;
      try { await api(method, `/api/v1/admin/employees/${id}/qr?channel=0`); employee(id); } catch (e) { msg.textContent = e.message; }
    };
    const qr = el("section", { class: "card qr" }, el("h2", {}, "QR"),
      current ? [el("img", { src: `/api/v1/admin/employees/${id}/qr.svg?channel=0&v=${current.issue}`, alt: "QR", testid: "qr-image" }),
        el("p", { class: "muted" }, current.url),
        el("p", { class: "row" },
          el("a", { href: `/api/v1/admin/employees/${id}/qr.svg?channel=0&download=1` }, t("download") + " SVG"),
          el("a", { href: `/api/v1/admin/employees/${id}/qr.png?channel=0&download=1` }, t("download") + " PNG"),
          ["a4", "a5", "a6"].map((s) => el("a", { href: `/admin/employees/${id}/poster?size=${s}&lang=${lang}`, target: "_blank", rel: "noopener", testid: "poster-" + s }, `${t("poster")} ${s.toUpperCase()}`)))]
        : el("p", {}, t("noCode")),
      el("div", { class: "row" },
        el("button", { type: "button", testid: "issue-qr", on: { click: act("POST", current ? t("reissue") + "?" : null) } }, current ? t("reissue") : t("issue")),
        current ? el("button", { type: "button", class: "secondary", on: { click: act("DELETE", t("confirmRevoke")) } }, t("revoke")) : null),
      msg);
    const edit = el("section", { class: "card" }, form([["name", t("fullName"), "text"], ["position", t("position"), "text"]], t("save"), async (v, m) => {
      await api("PATCH", "/api/v1/admin/employees/" + id, { name: v.name, position: v.position }); m.className = "ok"; m.textContent = t("saved"); }));
    page(d.employee.name, crumbs, el("p", {}, d.employee.position), qr, edit);
    edit.querySelector("[name=name]").value = d.employee.name;
    edit.querySelector("[name=position]").value = d.employee.position;
  }

  async function tokens() {
    const { tokens } = await api("GET", "/api/v1/admin/tokens");
    const fresh = el("div", {});
    page(t("tokens"), el("section", { class: "card" },
      el("div", { class: "scroll" }, el("table", {}, tokens.map((k) => el("tr", {}, el("td", {}, k.name),
        el("td", {}, new Date(k.created_at * 1000).toLocaleString(lang === "fa" ? "fa-IR-u-ca-persian" : lang)),
        el("td", {}, k.revoked_at ? t("revoked") : el("button", { type: "button", class: "secondary", on: { click: async () => {
          await api("DELETE", "/api/v1/admin/tokens/" + k.id); tokens_(); } } }, t("revoke").split(" ")[0])))))),
      form([["name", t("tokenName"), "text", "token-name"]], t("create"), async (v) => {
        const made = await api("POST", "/api/v1/admin/tokens", { name: v.name });
        fresh.replaceChildren(el("p", { class: "ok" }, t("tokenOnce")), el("code", { class: "secret", testid: "token-secret" }, made.token));
      }, "create-token"), fresh));
  }
  const tokens_ = () => tokens().catch(() => {});

  function password() {
    page(t("passwordChange"), el("p", {}, t("passwordRules")), form([["current", t("current"), "password"], ["new", t("newPassword"), "password"]], t("save"),
      async (v, msg) => { await api("PUT", "/api/v1/session/password", v); msg.className = "ok"; msg.textContent = t("saved"); }));
  }

  async function route() {
    const hash = location.hash.replace(/^#/, "") || "/";
    const invite = hash.match(/^\/invite\/([A-Za-z0-9_-]{43})$/);
    menu();
    try {
      if (invite) return accept(invite[1]);
      if (!me) {
        try { me = await api("GET", "/api/v1/session"); menu(); } catch { return signIn(); }
      }
      let m;
      if ((m = hash.match(/^\/units\/(\d+)$/))) return await unit(m[1]);
      if ((m = hash.match(/^\/employees\/(\d+)$/))) return await employee(m[1]);
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
  select.addEventListener("change", () => { setLang(select.value); route(); });
  setLang(lang);
  window.addEventListener("hashchange", route);
  route();
})();

// Seeds a demo city hall through the admin API, once: later runs print the same vote URLs.
// Usage: node scripts/seed-demo.mjs BASE_URL
// It signs in as a seeding account of its own, made from a one-time invitation (the same way
// a real superadmin is made), and keeps that account's API token in .wrangler/demo-token.
import { existsSync, readFileSync, writeFileSync, mkdirSync } from "node:fs";
import { execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";

const [base] = process.argv.slice(2);
const saved = ".wrangler/demo-urls.txt";
const tokenFile = ".wrangler/demo-token";
mkdirSync(".wrangler", { recursive: true });

async function apiToken() {
  if (existsSync(tokenFile)) {
    const token = readFileSync(tokenFile, "utf8").trim();
    const me = await fetch(base + "/api/v1/session", { headers: { authorization: `Bearer ${token}` } });
    if (me.status === 200) return token;
  }
  const invitation = execFileSync("node", ["scripts/invite.mjs", "--local", "--token-only", "demo-seeder@civicrate.invalid"], { encoding: "utf8" }).trim();
  const accepted = await fetch(base + "/api/v1/invitations/accept", {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ token: invitation, password: randomBytes(24).toString("base64url") }),
  });
  if (accepted.status !== 200) throw new Error(`accepting the seeding invitation: ${accepted.status} ${await accepted.text()}`);
  const { csrf } = await accepted.json();
  const cookie = accepted.headers.get("set-cookie").split(";")[0];
  const made = await fetch(base + "/api/v1/admin/tokens", {
    method: "POST",
    headers: { "content-type": "application/json", cookie, "x-csrf-token": csrf },
    body: JSON.stringify({ name: "demo seeding (make dev)" }),
  });
  if (made.status !== 201) throw new Error(`creating the seeding token: ${made.status} ${await made.text()}`);
  const { token } = await made.json();
  writeFileSync(tokenFile, token + "\n", { mode: 0o600 });
  return token;
}

const token = await apiToken();
const headers = { authorization: `Bearer ${token}`, "content-type": "application/json" };

async function post(path, body) {
  const resp = await fetch(base + path, { method: "POST", headers, body: body ? JSON.stringify(body) : undefined });
  if (resp.status !== 201) throw new Error(`${path}: ${resp.status} ${await resp.text()}`);
  return resp.json();
}

if (existsSync(saved)) {
  const text = readFileSync(saved, "utf8");
  const first = text.match(/http\S+/)?.[0];
  // The local D1 may have been wiped since: reseed when the saved code no longer opens.
  if (first && (await fetch(first)).status === 200) {
    console.log("\nDemo city hall (seeded earlier). Vote URLs:\n" + text);
    process.exit(0);
  }
}

const city = await post("/api/v1/admin/units", { name: "Міська рада (демо)", parent_id: null });
const cnap = await post("/api/v1/admin/units", { name: "Центр надання адміністративних послуг", parent_id: city.id });
const appeals = await post("/api/v1/admin/units", { name: "Відділ роботи зі зверненнями громадян", parent_id: city.id });
const social = await post("/api/v1/admin/units", { name: "Департамент соціальної політики", parent_id: city.id });
const benefits = await post("/api/v1/admin/units", { name: "Сектор призначення допомоги", parent_id: social.id });

const people = [
  ["Олена Петренко", "Адміністратор ЦНАП", cnap],
  ["Іван Коваленко", "Адміністратор ЦНАП", cnap],
  ["Марія Шевченко", "Начальник відділу", cnap],
  ["Андрій Бондаренко", "Головний спеціаліст", appeals],
  ["Наталія Ткаченко", "Провідний спеціаліст", appeals],
  ["Сергій Мельник", "Директор департаменту", social],
  ["Ірина Кравченко", "Заступник директора", social],
  ["Оксана Олійник", "Головний спеціаліст", benefits],
  ["Тарас Лисенко", "Спеціаліст І категорії", benefits],
  ["Юлія Савченко", "Завідувач сектору", benefits],
];
// Two optional questions about the office itself, rated apart from the employee.
for (const [code, position, labels] of [
  ["waiting_time", 1, { uk: "Час очікування", ru: "Время ожидания", kk: "Күту уақыты", fa: "زمان انتظار", en: "Waiting time" }],
  ["premises", 2, { uk: "Зручність приміщення", ru: "Удобство помещения", kk: "Үй-жайдың ыңғайлылығы", fa: "آسایش فضای اداره", en: "Comfort of the premises" }],
]) {
  const resp = await fetch(base + "/api/v1/admin/criteria", { method: "POST", headers, body: JSON.stringify({ code, labels, position }) });
  if (resp.status !== 201 && resp.status !== 409) throw new Error(`criteria: ${resp.status} ${await resp.text()}`);
}
const lines = [];
for (const [name, position, unit] of people) {
  const e = await post("/api/v1/admin/employees", { name, position, unit_id: unit.id });
  const code = await post(`/api/v1/admin/employees/${e.id}/qr`);
  lines.push(`  ${name.padEnd(20)} ${base}/r/${code.token}`);
}
writeFileSync(saved, lines.join("\n") + "\n");
console.log("\nDemo city hall seeded. Vote URLs:\n" + lines.join("\n"));

// Makes a one-time link back into an existing, active account whose owner forgot the password,
// straight in D1: the way back in when no superadmin can sign in to make one in the admin page.
// It is a grant link that adds no role (src/audit/mod.rs, `reset_link`): accepting it sets a new
// password, ends every session of the account and revokes its API tokens. Valid for 72 hours;
// the audit log records it as made by "command line".
//
//   node scripts/reset.mjs --local  you@city.example
//   node scripts/reset.mjs --remote --base https://rate.city.example you@city.example
//
// Options: --persist-to DIR (local state folder), --token-only (print the token, not a link).
import { randomBytes, createHash } from "node:crypto";
import { execFileSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";

const args = process.argv.slice(2);
const flag = (name) => args.includes(name);
const option = (name) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
};
const positional = args.filter((a, i) => !a.startsWith("--") && !["--persist-to", "--base"].includes(args[i - 1]));
const email = (positional[0] || "").trim().toLowerCase();
const remote = flag("--remote");
if (!remote && !flag("--local")) fail("say --local or --remote");
// Quoted into SQL below, so only a plain address shape passes.
if (!/^[a-z0-9._%+-]+@[a-z0-9-]+(\.[a-z0-9-]+)+$/.test(email)) fail(`not an e-mail address: ${email}`);

let base = option("--base");
if (!base && !remote && existsSync(".dev.vars")) {
  base = readFileSync(".dev.vars", "utf8").match(/^PUBLIC_BASE_URL="(.*)"$/m)?.[1];
}
if (!base && !flag("--token-only")) fail("say --base https://your-instance");

const where = remote ? ["--remote"] : ["--local", ...(option("--persist-to") ? ["--persist-to", option("--persist-to")] : [])];
const wrangler = existsSync("node_modules/.bin/wrangler") ? "node_modules/.bin/wrangler" : "wrangler";
const d1 = (sql, json) =>
  execFileSync(wrangler, ["d1", "execute", "DB", ...where, ...(json ? ["--json"] : []), "--command", sql], {
    stdio: ["ignore", json ? "pipe" : "ignore", "inherit"],
    env: { ...process.env, CI: "true" },
    encoding: "utf8",
  });

const found = JSON.parse(d1(`SELECT id FROM accounts WHERE email = '${email}' AND active = 1`, true));
const id = found?.[0]?.results?.[0]?.id;
if (!Number.isInteger(id)) fail(`no active account has the e-mail ${email}; invite it with scripts/invite.mjs`);

const token = randomBytes(32).toString("base64url");
const hash = createHash("sha256").update(token).digest("hex");
const now = Math.floor(Date.now() / 1000);
const expires = now + 72 * 3600;
d1(
  `INSERT INTO grant_links (token_hash, account_id, grants, created_by, created_at, expires_at) ` +
    `VALUES ('${hash}', ${id}, '[]', NULL, ${now}, ${expires}); ` +
    `INSERT INTO audit_log (at, account_id, actor, action, object, detail) ` +
    `VALUES (${now}, NULL, 'command line', 'password_reset_created', 'account:${id}', ` +
    `'{"email":"${email}","expires_at":${expires}}');`,
  false,
);

if (flag("--token-only")) {
  console.log(token);
} else {
  // The admin page says "reset your password" for #/reset/ (an invitation's is #/invite/).
  console.log(`${base.replace(/\/$/, "")}/admin/#/reset/${token}`);
}

function fail(message) {
  console.error(`reset: ${message}`);
  process.exit(2);
}

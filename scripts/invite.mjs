// Makes a one-time invitation link for a superadmin, straight in D1: how the first account
// of an instance is made (there is no default password). The link is valid for 72 hours.
//
//   node scripts/invite.mjs --local  you@city.example            (make dev does this)
//   node scripts/invite.mjs --remote --base https://rate.city.example you@city.example
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

const token = randomBytes(32).toString("base64url");
const hash = createHash("sha256").update(token).digest("hex");
const now = Math.floor(Date.now() / 1000);
const sql =
  `INSERT INTO invitations (token_hash, email, role, unit_id, created_by, created_at, expires_at) ` +
  `VALUES ('${hash}', '${email}', 'superadmin', NULL, NULL, ${now}, ${now + 72 * 3600}); ` +
  `INSERT INTO audit_log (at, account_id, actor, action, object, detail) ` +
  `VALUES (${now}, NULL, 'command line', 'invitation_created', 'email:${email}', '{"role":"superadmin"}');`;
const where = remote ? ["--remote"] : ["--local", ...(option("--persist-to") ? ["--persist-to", option("--persist-to")] : [])];
const wrangler = existsSync("node_modules/.bin/wrangler") ? "node_modules/.bin/wrangler" : "wrangler";
execFileSync(wrangler, ["d1", "execute", "DB", ...where, "--command", sql], {
  stdio: ["ignore", "ignore", "inherit"],
  env: { ...process.env, CI: "true" },
});

if (flag("--token-only")) {
  console.log(token);
} else {
  console.log(`${base.replace(/\/$/, "")}/admin/#/invite/${token}`);
}

function fail(message) {
  console.error(`invite: ${message}`);
  process.exit(2);
}

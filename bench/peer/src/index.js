// The JavaScript peer of civicrate's vote benchmark (issue 17, "Vote throughput"): an
// idiomatic Workers module, no framework and no build step beyond wrangler's own bundling,
// that does what civicrate does for `POST /api/v1/votes` with a JSON body, step by step, so
// that scripts/bench.sh can hold civicrate's Rust/WASM vote against plain JavaScript on the
// same runtime, the same D1 schema (civicrate's migrations/) and the same request.
// It lives in bench/ only: never deployed, never part of the product.
//
// What it mirrors, in civicrate's order (src/glue/mod.rs `fetch`, `refuse_before_reading`,
// `api_vote`, `App::cast`; src/service.rs `cast_vote`; src/glue/d1.rs; src/store/sql.rs):
//  1. the route (POST /api/v1/votes; 404/405 JSON otherwise), the cross-site refusal from
//     Origin / Sec-Fetch-Site, and a declared Content-Length over the vote's 20 KiB cap (413);
//  2. the media type (415), the body read as a stream and counted against the cap (413),
//     strict UTF-8 (400), JSON syntax (400), the shape: an object with `token` and integer
//     `score`, optional `comment`/`contact`/`lang`/`turnstile` strings, `criteria` an object
//     of integers, unknown fields refused (422), then the language (422);
//  3. the token: Crockford base32 as people type it (case, hyphens, O/I/L forgiven), 20 bytes,
//     version 1 (standing) or 2 (one-time), the key id looked up in the `TOKEN_KEYS` ring
//     (same format: `id:base64secret,...`, >= 32 bytes, no duplicate ids) and the 80-bit tag
//     checked with WebCrypto HMAC-SHA256 over the version's context (keys imported once per
//     isolate); a one-time code's spent mark (HMAC under the code's key);
//  4. the scale and criteria (cached per isolate for 60 s, as civicrate does), the ballot:
//     score on the scale, at most 20 criteria each active and on the scale, the comment
//     (control characters dropped, trimmed, <= 1000 characters), the contact (Persian and
//     Arabic-Indic digits normalised; e-mail or 7-15 digit phone);
//  5. the day's client salt (INSERT OR IGNORE + SELECT in one batch, cached for the UTC day),
//     the client's network (IPv4 address or IPv6 /64, IPv4-mapped read as IPv4) and the three
//     keyed hashes civicrate stores or counts with (client hash, limiter key, network hash),
//     HMAC-SHA256 under the salt with WebCrypto, 128 bits in hex;
//  6. the office networks (cached 60 s) matched against the address (a self-vote flag);
//  7. a receipt (50 random bits, Crockford) and its SHA-256 under civicrate's context;
//  8. the SAME D1 batch with the same SQL text: the client's daily counter upsert, the
//     conditional vote INSERT (code current, employee active, score on the scale, counter
//     within VOTE_DAILY_LIMIT), and for one-time codes the spent mark, then contact and
//     criteria rows; when nothing was written, 429 over the limit or the code's status read
//     as civicrate reads it (404/410/422);
//  9. the same answer: 201 `{"status":"recorded","receipt":"XXXXX-XXXXX"}` with the same
//     headers (JSON content type, nosniff, no-referrer, HSTS, no-store); errors as
//     `{"error":{"code","message"}}` with the same statuses and codes.
//
// What it deliberately does not mirror, and why:
//  - Only the vote route: the peer is not a second civicrate, and the other routes cost the
//    vote nothing but a match in civicrate's router.
//  - Configuration is read once per isolate, as idiomatic JavaScript does; civicrate parses
//    its whole configuration (key ring included) on every request. That is civicrate's
//    choice and cost, one it could avoid, so the peer does not copy it.
//  - civicrate verifies the token twice per vote (to choose the shard's store, then in the
//    use case); the peer once. Again civicrate's own, avoidable cost.
//  - Options the benchmark does not configure: Turnstile (the `turnstile` field is accepted
//    and ignored, as civicrate does without a secret), the Workers Rate Limiting binding, the
//    vote Queue, shards other than the home one (a code naming another shard is 404, as an
//    unbound shard is in civicrate), SIMULATED_CLOCK. With none of them bound civicrate skips
//    them too.
//  - JSON details where JavaScript's JSON.parse differs from serde: a repeated key takes
//    the last value (serde refuses a repeated field), `2.0` reads as the integer 2, and an
//    array in field order is refused (civicrate's serde accepts it today; issue 17 asks for
//    objects only). Error messages say the same things in other words.
//  - The scale's labels are read with the same SQL but not parsed: the vote needs only the
//    levels' values (civicrate parses them once a minute per isolate).
//  - The 404/405 answers for other paths skip civicrate's HTML problem pages.

const VOTE_BODY_LIMIT = 20 * 1024;
const SCALE_TTL_SECONDS = 60;
const MAX_CRITERIA = 20;
const COMMENT_MAX_CHARS = 1000;
const ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
const LANGS = new Set(["uk", "ru", "kk", "fa", "en"]);
const FIELDS = new Set(["token", "score", "comment", "contact", "lang", "criteria", "turnstile"]);
const encoder = new TextEncoder();
const CONTEXT = {
  1: encoder.encode("civicrate/token/v1"),
  2: encoder.encode("civicrate/token/v2"),
  spent: encoder.encode("civicrate/one-time-spent/v1"),
  receipt: encoder.encode("civicrate/receipt/v1"),
};

// --- SQL: the same text as civicrate's src/store/sql.rs ------------------------------------

const VOTE_VALUES =
  "?4, ?5, ?6, ?7, ?8, ?9, ?10, " +
  "CASE WHEN ?14 IS NOT NULL OR e.unit_id IN (SELECT c.descendant_id FROM unit_closure c JOIN json_each(?15) j ON c.ancestor_id = j.value) THEN 'flagged' " +
  "ELSE 'counted' END, " +
  "CASE WHEN e.unit_id IN (SELECT c.descendant_id FROM unit_closure c JOIN json_each(?15) j ON c.ancestor_id = j.value) THEN 'office_network' " +
  "ELSE ?14 END, ";
const VOTE_ALLOWED =
  " AND EXISTS (SELECT 1 FROM scale_levels WHERE value = ?4) " +
  "AND (SELECT votes FROM client_counters WHERE day = ?11 AND client_key = ?12) <= ?13";
const SQL = {
  scale: "SELECT value, colour, face, labels FROM scale_levels ORDER BY value",
  criteria: "SELECT id, code, labels, position, active FROM criteria ORDER BY position, id",
  insertSalt: "INSERT OR IGNORE INTO client_salts (day, salt) VALUES (?1, ?2)",
  selectSalt: "SELECT salt FROM client_salts WHERE day = ?1",
  officeNetworks: "SELECT unit_id, cidr FROM unit_networks",
  countClientVote:
    "INSERT INTO client_counters (day, client_key, votes) " +
    "SELECT ?1, ?2, 1 WHERE EXISTS ( " +
    "SELECT 1 FROM qr_codes q JOIN employees e ON e.id = q.employee_id " +
    "WHERE q.employee_id = ?3 AND q.channel = ?4 AND q.issue = ?5 AND q.revoked_at IS NULL AND e.active = 1) " +
    "ON CONFLICT (day, client_key) DO UPDATE SET votes = votes + 1 " +
    "RETURNING votes",
  countClientOneTimeVote:
    "INSERT INTO client_counters (day, client_key, votes) " +
    "SELECT ?1, ?2, 1 WHERE EXISTS ( " +
    "SELECT 1 FROM one_time_codes o JOIN one_time_batches b ON b.id = o.batch_id JOIN employees e ON e.id = o.employee_id " +
    "WHERE o.employee_id = ?3 AND o.channel = ?4 AND o.serial = ?5 AND o.used = 0 " +
    "AND NOT EXISTS (SELECT 1 FROM one_time_spent s WHERE s.mark = ?7) " +
    "AND b.revoked_at IS NULL AND b.expires_at > ?6 AND e.active = 1) " +
    "ON CONFLICT (day, client_key) DO UPDATE SET votes = votes + 1 " +
    "RETURNING votes",
  insertVote:
    "INSERT INTO votes (employee_id, unit_id, channel, qr_issue, score, comment, has_contact, lang, source, client_hash, created_at, status, flag_reason, direction_id, receipt_hash, network_hash) " +
    "SELECT e.id, e.unit_id, q.channel, q.issue, " +
    VOTE_VALUES +
    "q.direction_id, ?17, nullif(?16, '') " +
    "FROM employees e JOIN qr_codes q ON q.employee_id = e.id " +
    "WHERE e.id = ?1 AND e.active = 1 AND q.channel = ?2 AND q.issue = ?3 AND q.revoked_at IS NULL" +
    VOTE_ALLOWED,
  insertOneTimeVote:
    "INSERT INTO votes (employee_id, unit_id, channel, qr_issue, score, comment, has_contact, lang, source, client_hash, created_at, status, flag_reason, direction_id, receipt_hash, network_hash, verified) " +
    "SELECT e.id, e.unit_id, o.channel, 0, " +
    VOTE_VALUES +
    "b.direction_id, ?17, nullif(?16, ''), 1 " +
    "FROM employees e JOIN one_time_codes o ON o.employee_id = e.id JOIN one_time_batches b ON b.id = o.batch_id " +
    "WHERE e.id = ?1 AND e.active = 1 AND o.channel = ?2 AND o.serial = ?3 AND o.used = 0 " +
    "AND NOT EXISTS (SELECT 1 FROM one_time_spent s WHERE s.mark = ?18) " +
    "AND b.revoked_at IS NULL AND b.expires_at > ?10" +
    VOTE_ALLOWED,
  useOneTimeCode: "INSERT INTO one_time_spent (mark) SELECT ?1 WHERE changes() = 1",
  insertVoteContact:
    "INSERT INTO vote_contacts (vote_id, contact, created_at) " +
    "SELECT last_insert_rowid(), ?1, ?2 WHERE changes() = 1",
  insertVoteCriteria:
    "INSERT INTO vote_criteria (vote_id, criterion_id, score) " +
    "SELECT last_insert_rowid(), c.id, json_extract(j.value, '$[1]') " +
    "FROM json_each(?1) j JOIN criteria c ON c.id = json_extract(j.value, '$[0]') AND c.active = 1 " +
    "WHERE changes() = 1 AND EXISTS (SELECT 1 FROM scale_levels WHERE value = json_extract(j.value, '$[1]'))",
  codeHolder:
    "SELECT e.id AS employee_id, e.name AS name, e.position AS position, e.active AS active, " +
    "u.id AS unit_id, u.name AS unit_name, " +
    "q.issue IS NOT NULL AS issued, q.revoked_at IS NULL AS unrevoked " +
    "FROM employees e JOIN units u ON u.id = e.unit_id " +
    "LEFT JOIN qr_codes q ON q.employee_id = e.id AND q.channel = ?2 AND q.issue = ?3 " +
    "WHERE e.id = ?1",
  oneTimeHolder:
    "SELECT e.id AS employee_id, e.name AS name, e.position AS position, e.active AS active, " +
    "u.id AS unit_id, u.name AS unit_name, " +
    "o.serial IS NOT NULL AS issued, (b.revoked_at IS NULL AND b.expires_at > ?4) AS unrevoked, " +
    "(coalesce(o.used, 0) = 1 OR EXISTS (SELECT 1 FROM one_time_spent s WHERE s.mark = ?5)) AS used " +
    "FROM employees e JOIN units u ON u.id = e.unit_id " +
    "LEFT JOIN one_time_codes o ON o.employee_id = e.id AND o.channel = ?2 AND o.serial = ?3 " +
    "LEFT JOIN one_time_batches b ON b.id = o.batch_id " +
    "WHERE e.id = ?1",
};

// --- answers --------------------------------------------------------------------------------

const JSON_HEADERS = {
  "content-type": "application/json; charset=utf-8",
  "x-content-type-options": "nosniff",
  "referrer-policy": "no-referrer",
  "strict-transport-security": "max-age=31536000; includeSubDomains",
  "cache-control": "no-store",
};

class ApiError extends Error {
  constructor(status, code, message, retryAfter) {
    super(message);
    this.status = status;
    this.code = code;
    this.retryAfter = retryAfter;
  }
}

const invalid = (code, message) => new ApiError(422, code, message);
const unavailable = () => new ApiError(503, "unavailable", "temporarily unavailable, please retry", 5);
const invalidToken = () => new ApiError(404, "invalid_token", "this code is not valid");

function errorResponse(e) {
  const headers = { ...JSON_HEADERS };
  if (e.retryAfter !== undefined) headers["retry-after"] = String(e.retryAfter);
  return new Response(JSON.stringify({ error: { code: e.code, message: e.message } }), {
    status: e.status,
    headers,
  });
}

// --- configuration, once per isolate ----------------------------------------------------------

let configured; // a promise of the parsed configuration, or of its error

function base64Bytes(text) {
  const trimmed = text.trim().replace(/={1,2}$/, "");
  if (!/^[A-Za-z0-9+/]*$/.test(trimmed) && !/^[A-Za-z0-9_-]*$/.test(trimmed)) return null;
  if (trimmed.length % 4 === 1) return null;
  const standard = trimmed.replace(/-/g, "+").replace(/_/g, "/");
  try {
    return Uint8Array.from(atob(standard), (c) => c.charCodeAt(0));
  } catch {
    return null;
  }
}

// `TOKEN_KEYS`: `id:base64secret,...`, as civicrate's KeyRing::parse reads it.
async function parseKeyRing(spec) {
  const ring = new Map();
  const entries = spec.split(",").map((e) => e.trim());
  for (let i = 0; i < entries.length; i++) {
    const entry = entries[i];
    if (!entry) continue;
    const colon = entry.indexOf(":");
    if (colon < 0) throw new Error(`TOKEN_KEYS entry ${i} is not \`id:base64secret\``);
    const idText = entry.slice(0, colon).trim();
    if (!/^[0-9]+$/.test(idText) || Number(idText) > 255) {
      throw new Error(`TOKEN_KEYS entry ${i} is not \`id:base64secret\``);
    }
    const id = Number(idText);
    const secret = base64Bytes(entry.slice(colon + 1));
    if (!secret) throw new Error(`TOKEN_KEYS entry ${i} is not \`id:base64secret\``);
    if (secret.length < 32) throw new Error(`TOKEN_KEYS entry ${i}: secret must be at least 32 bytes`);
    if (ring.has(id)) throw new Error(`TOKEN_KEYS lists key id ${id} twice`);
    const key = await crypto.subtle.importKey("raw", secret, { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
    ring.set(id, key);
  }
  if (ring.size === 0) throw new Error("TOKEN_KEYS is empty");
  return ring;
}

async function parseConfig(env) {
  if (!env.TOKEN_KEYS) throw new Error("TOKEN_KEYS is not set");
  if (!env.PUBLIC_BASE_URL) throw new Error("PUBLIC_BASE_URL is not set");
  let daily = 500;
  if (env.VOTE_DAILY_LIMIT !== undefined) {
    const v = String(env.VOTE_DAILY_LIMIT).trim();
    daily = /^[0-9]+$/.test(v) ? Number(v) : NaN;
    if (!(daily >= 1 && daily <= 100000)) throw new Error("VOTE_DAILY_LIMIT must be a whole number from 1 to 100000");
  }
  const lang = String(env.DEFAULT_LANG ?? "uk").trim().split(/[-_]/)[0].toLowerCase();
  const home = env.HOME_SHARD === undefined ? 0 : Number(String(env.HOME_SHARD).trim());
  if (!Number.isInteger(home) || home < 0 || home > 255) throw new Error("HOME_SHARD must be 0-255");
  return {
    ring: await parseKeyRing(String(env.TOKEN_KEYS)),
    baseUrl: String(env.PUBLIC_BASE_URL).trim().replace(/\/+$/, ""),
    defaultLang: LANGS.has(lang) ? lang : "uk",
    dailyLimit: daily,
    homeShard: home,
  };
}

// --- per-isolate caches, as civicrate's src/glue/d1.rs keeps them ------------------------------

let scaleCache = null; // { at, levels: Set<number>, criteria: Map<code, id> }
let networkCache = null; // { at, networks: [{ unit, cidr }] }
let saltCache = null; // { day, key: CryptoKey }

async function scale(db, now) {
  if (scaleCache && now - scaleCache.at < SCALE_TTL_SECONDS) return scaleCache;
  const levels = await db.prepare(SQL.scale).all();
  const criteria = await db.prepare(SQL.criteria).all();
  const values = new Set(levels.results.map((r) => r.value));
  if (values.size === 0) throw new Error("the scale has no levels");
  const active = new Map();
  for (const c of criteria.results) if (c.active !== 0) active.set(c.code, c.id);
  scaleCache = { at: now, levels: values, criteria: active };
  return scaleCache;
}

async function saltKey(db, day) {
  if (saltCache && saltCache.day === day) return saltCache.key;
  const fresh = hex(crypto.getRandomValues(new Uint8Array(32)));
  const [, selected] = await db.batch([
    db.prepare(SQL.insertSalt).bind(day, fresh),
    db.prepare(SQL.selectSalt).bind(day),
  ]);
  const salt = selected.results[0]?.salt;
  if (typeof salt !== "string") throw new Error("salt missing after insert");
  const key = await crypto.subtle.importKey("raw", encoder.encode(salt), { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
  saltCache = { day, key };
  return key;
}

async function officeNetworks(db, now) {
  if (networkCache && now - networkCache.at < SCALE_TTL_SECONDS) return networkCache.networks;
  const rows = await db.prepare(SQL.officeNetworks).all();
  const networks = [];
  for (const r of rows.results) {
    const cidr = parseCidr(r.cidr);
    if (cidr) networks.push({ unit: r.unit_id, cidr }); // a row that no longer parses is skipped
  }
  networkCache = { at: now, networks };
  return networks;
}

// --- bytes ------------------------------------------------------------------------------------

const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, "0"));
function hex(bytes) {
  let s = "";
  for (const b of bytes) s += HEX[b];
  return s;
}

function concat(...parts) {
  let length = 0;
  for (const p of parts) length += p.length;
  const out = new Uint8Array(length);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

async function hmac(key, bytes) {
  return new Uint8Array(await crypto.subtle.sign("HMAC", key, bytes));
}

// --- the token (civicrate's src/token.rs, docs/token.md) ------------------------------------------

// 32 canonical symbols from text as people type it, or null.
function canonicalToken(text) {
  if (text.length > 96) return null;
  let out = "";
  for (const ch of text) {
    if (ch === "-" || ch === " ") continue;
    let c = ch.toUpperCase();
    if (c === "O") c = "0";
    else if (c === "I" || c === "L") c = "1";
    if (c.length !== 1 || ALPHABET.indexOf(c) < 0) return null;
    out += c;
  }
  return out.length === 32 ? out : null;
}

function tokenBytes(canonical) {
  const out = new Uint8Array(20);
  let acc = 0;
  let bits = 0;
  let i = 0;
  for (const c of canonical) {
    acc = ((acc << 5) | ALPHABET.indexOf(c)) & 0x1fff; // at most 12 live bits
    bits += 5;
    if (bits >= 8) {
      bits -= 8;
      out[i++] = (acc >> bits) & 0xff;
    }
  }
  return out;
}

// The token's claims when it parses and its tag verifies under a key of the ring; null otherwise.
async function verifyToken(ring, text) {
  const canonical = canonicalToken(text);
  if (!canonical) return null;
  const bytes = tokenBytes(canonical);
  const version = bytes[0];
  if (version !== 1 && version !== 2) return null;
  const key = ring.get(bytes[1]);
  if (!key) return null;
  const body = bytes.subarray(0, 10);
  const mac = await hmac(key, concat(CONTEXT[version], body));
  if (!crypto.subtle.timingSafeEqual(mac.subarray(0, 10), bytes.subarray(10))) return null;
  const employee = ((bytes[3] << 24) >>> 0) + (bytes[4] << 16) + (bytes[5] << 8) + bytes[6];
  const issue = (bytes[8] << 8) | bytes[9];
  if (employee < 1 || employee > 0x7fffffff || issue === 0) return null;
  return { keyId: bytes[1], key, shard: bytes[2], employee, channel: bytes[7], issue, oneTime: version === 2 };
}

// What `one_time_spent` keeps of a used one-time code: HMAC under the code's own key.
async function spentMark(claims) {
  const body = new Uint8Array([
    claims.shard,
    claims.employee >>> 24,
    (claims.employee >>> 16) & 0xff,
    (claims.employee >>> 8) & 0xff,
    claims.employee & 0xff,
    claims.channel,
    claims.issue >> 8,
    claims.issue & 0xff,
  ]);
  return hex((await hmac(claims.key, concat(CONTEXT.spent, body))).subarray(0, 16));
}

// --- the ballot (civicrate's src/vote.rs) ----------------------------------------------------------

// Unicode Cc: U+0000-U+001F and U+007F-U+009F; line breaks and tabs stay.
const CONTROL = /[\u0000-\u0008\u000B-\u001F\u007F-\u009F]/gu;
// Rust's str::trim: Unicode White_Space (JavaScript's trim also takes U+FEFF, which is not).
const EDGE_SPACE = /^[\t\n\v\f\r \u0085\u00A0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000]+|[\t\n\v\f\r \u0085\u00A0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000]+$/gu;
const rustTrim = (s) => s.replace(EDGE_SPACE, "");

function parseComment(raw) {
  const cleaned = rustTrim(raw.replace(CONTROL, ""));
  if (!cleaned) return null;
  let chars = 0;
  for (const _ of cleaned) chars++;
  if (chars > COMMENT_MAX_CHARS) throw invalid("comment_too_long", "the comment is longer than 1000 characters");
  return cleaned;
}

function normalizeInput(s) {
  return s.replace(/[\u06F0-\u06F9\u0660-\u0669\u064A\u0649\u0643]/g, (c) => {
    const code = c.charCodeAt(0);
    if (code >= 0x06f0 && code <= 0x06f9) return String.fromCharCode(48 + code - 0x06f0);
    if (code >= 0x0660 && code <= 0x0669) return String.fromCharCode(48 + code - 0x0660);
    return code === 0x0643 ? "\u06A9" : "\u06CC";
  });
}

const badContact = () => invalid("invalid_contact", "the contact is neither an e-mail address nor a phone number");

function isEmail(s) {
  const at = s.indexOf("@");
  if (at < 0) return false;
  const local = s.slice(0, at);
  const domain = s.slice(at + 1);
  return (
    encoder.encode(s).length <= 254 &&
    local.length > 0 &&
    encoder.encode(local).length <= 64 &&
    domain.includes(".") &&
    !domain.startsWith(".") &&
    !domain.endsWith(".") &&
    !/[\s\p{Cc}<>",;]/u.test(s) &&
    !domain.includes("@")
  );
}

function parseContact(raw) {
  const s = rustTrim(normalizeInput(raw));
  if (!s) return null;
  if (s.includes("@")) {
    if (isEmail(s)) return s;
    throw badContact();
  }
  let out = "";
  let i = 0;
  for (const c of s) {
    if (c === "+" && i === 0) out += c;
    else if (c >= "0" && c <= "9") out += c;
    else if (!" -.()\u00A0".includes(c)) throw badContact();
    i++;
  }
  const digits = out.replace(/^\++/, "").length;
  if (digits < 7 || digits > 15) throw badContact();
  return out;
}

const offScale = () => invalid("score_out_of_range", "the score is not a level of this instance's scale");

function parseBallot(vote, scaleNow) {
  if (!scaleNow.levels.has(vote.score)) throw offScale();
  const codes = Object.keys(vote.criteria).sort(); // civicrate reads them into a BTreeMap
  if (codes.length > MAX_CRITERIA) throw invalid("unknown_criterion", "an extra criterion is not one of this instance's active criteria");
  const rated = [];
  for (const code of codes) {
    const id = scaleNow.criteria.get(code);
    if (id === undefined) throw invalid("unknown_criterion", "an extra criterion is not one of this instance's active criteria");
    const value = vote.criteria[code];
    if (!scaleNow.levels.has(value)) throw invalid("criterion_out_of_range", "a criterion's score is not a level of this instance's scale");
    rated.push([id, value]);
  }
  return {
    score: vote.score,
    criteria: rated,
    comment: parseComment(vote.comment ?? ""),
    contact: parseContact(vote.contact ?? ""),
  };
}

// --- the client's network (civicrate's integrity::Network and Cidr) -----------------------------

function parseIPv4(s) {
  const parts = s.split(".");
  if (parts.length !== 4) return null;
  const out = [];
  for (const p of parts) {
    if (!/^(0|[1-9][0-9]{0,2})$/.test(p) || Number(p) > 255) return null;
    out.push(Number(p));
  }
  return out;
}

// Eight 16-bit groups, or null.
function parseIPv6(s) {
  if (!/^[0-9A-Fa-f:.]+$/.test(s)) return null;
  const halves = s.split("::");
  if (halves.length > 2) return null;
  const groups = (text) => {
    if (text === "") return [];
    const out = [];
    const parts = text.split(":");
    for (let i = 0; i < parts.length; i++) {
      const p = parts[i];
      if (i === parts.length - 1 && p.includes(".")) {
        const v4 = parseIPv4(p);
        if (!v4) return null;
        out.push((v4[0] << 8) | v4[1], (v4[2] << 8) | v4[3]);
      } else if (/^[0-9A-Fa-f]{1,4}$/.test(p)) {
        out.push(parseInt(p, 16));
      } else {
        return null;
      }
    }
    return out;
  };
  const head = groups(halves[0]);
  if (!head) return null;
  if (halves.length === 1) return head.length === 8 ? head : null;
  const tail = groups(halves[1]);
  if (!tail || head.length + tail.length > 7) return null;
  return [...head, ...new Array(8 - head.length - tail.length).fill(0), ...tail];
}

// { v4: [4 bytes] } or { v6: [8 groups] } or null, as Rust's IpAddr parses it.
function parseIp(s) {
  if (s.includes(":")) {
    const v6 = parseIPv6(s);
    return v6 && { v6 };
  }
  const v4 = parseIPv4(s);
  return v4 && { v4 };
}

// RFC 5952 text, as Rust prints an Ipv6Addr (the longest run of two or more zero groups as ::).
function formatIPv6(g) {
  let best = -1;
  let bestLength = 1;
  for (let i = 0; i < 8; ) {
    if (g[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && g[j] === 0) j++;
    if (j - i > bestLength) {
      best = i;
      bestLength = j - i;
    }
    i = j;
  }
  const text = (list) => list.map((x) => x.toString(16)).join(":");
  if (best < 0) return text(g);
  return `${text(g.slice(0, best))}::${text(g.slice(best + bestLength))}`;
}

// What identifies one device: the IPv4 address or the IPv6 /64; "unknown" for anything else.
function network(address) {
  const ip = parseIp(address.trim());
  if (!ip) return "unknown";
  if (ip.v4) return ip.v4.join(".");
  const g = ip.v6;
  if (g[0] === 0 && g[1] === 0 && g[2] === 0 && g[3] === 0 && g[4] === 0 && g[5] === 0xffff) {
    return [g[6] >> 8, g[6] & 0xff, g[7] >> 8, g[7] & 0xff].join(".");
  }
  return `${formatIPv6([g[0], g[1], g[2], g[3], 0, 0, 0, 0])}/64`;
}

// The address as bits: 4 bytes or 16 bytes.
function ipBytes(ip) {
  if (ip.v4) return ip.v4;
  return ip.v6.flatMap((x) => [x >> 8, x & 0xff]);
}

function parseCidr(text) {
  const [addr, prefixText, extra] = String(text).trim().split("/");
  if (extra !== undefined || prefixText === undefined || !/^[0-9]+$/.test(prefixText)) return null;
  const ip = parseIp(addr);
  if (!ip) return null;
  const prefix = Number(prefixText);
  if (prefix > (ip.v4 ? 32 : 128)) return null;
  return { v4: Boolean(ip.v4), bytes: ipBytes(ip), prefix };
}

function cidrContains(cidr, ip) {
  if (Boolean(ip.v4) !== cidr.v4) return false;
  const bytes = ipBytes(ip);
  let left = cidr.prefix;
  for (let i = 0; left > 0; i++, left -= 8) {
    const mask = left >= 8 ? 0xff : (0xff << (8 - left)) & 0xff;
    if ((bytes[i] & mask) !== (cidr.bytes[i] & mask)) return false;
  }
  return true;
}

// --- the request ------------------------------------------------------------------------------

function isCrossSite(request, baseUrl) {
  const fetchSite = request.headers.get("sec-fetch-site");
  if (fetchSite && fetchSite.trim().toLowerCase() === "cross-site") return true;
  const origin = request.headers.get("origin")?.trim();
  if (origin === undefined || origin.toLowerCase() === "null") return false;
  if (origin.toLowerCase() === baseUrl.toLowerCase()) return false;
  const sep = origin.indexOf("://");
  if (sep < 0) return true;
  const scheme = origin.slice(0, sep).toLowerCase();
  const host = request.headers.get("host")?.trim() ?? "";
  return !((scheme === "https" || scheme === "http") && host !== "" && origin.slice(sep + 3).toLowerCase() === host.toLowerCase());
}

function tooLarge() {
  return new ApiError(413, "payload_too_large", `the body must be at most ${VOTE_BODY_LIMIT} bytes`);
}

// The body, counted chunk by chunk against the cap as it streams in.
async function readBody(request) {
  if (!request.body) return new Uint8Array(0);
  const reader = request.body.getReader();
  const chunks = [];
  let length = 0;
  for (;;) {
    let chunk;
    try {
      chunk = await reader.read();
    } catch {
      throw new ApiError(400, "unreadable_body", "the body could not be read");
    }
    if (chunk.done) break;
    length += chunk.value.byteLength;
    if (length > VOTE_BODY_LIMIT) throw tooLarge();
    chunks.push(chunk.value);
  }
  return chunks.length === 1 ? chunks[0] : concat(...chunks);
}

const utf8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

const isInteger = (v) => Number.isSafeInteger(v);
const optionalString = (v) => v === undefined || v === null || typeof v === "string";

// The JSON vote: an object with exactly civicrate's fields and types.
async function readVote(request) {
  const type = request.headers.get("content-type");
  if (!type || type.split(";")[0].trim().toLowerCase() !== "application/json") {
    throw new ApiError(415, "unsupported_media_type", "the body must be application/json");
  }
  const bytes = await readBody(request);
  let text;
  try {
    text = utf8.decode(bytes);
  } catch {
    throw new ApiError(400, "invalid_utf8", "the body is not valid UTF-8");
  }
  let vote;
  try {
    vote = JSON.parse(text);
  } catch (e) {
    throw new ApiError(400, "malformed_json", `malformed JSON: ${e.message}`);
  }
  if (vote === null || typeof vote !== "object" || Array.isArray(vote)) {
    throw invalid("invalid_field", "invalid type: expected struct JsonVote");
  }
  for (const field in vote) {
    if (!FIELDS.has(field)) throw invalid("invalid_field", `unknown field \`${field}\``);
  }
  if (vote.token === undefined) throw invalid("invalid_field", "missing field `token`");
  if (typeof vote.token !== "string") throw invalid("invalid_field", "invalid type: `token` must be a string");
  if (vote.score === undefined) throw invalid("invalid_field", "missing field `score`");
  if (!isInteger(vote.score)) throw invalid("invalid_field", "invalid type: `score` must be an integer");
  for (const field of ["comment", "contact", "lang", "turnstile"]) {
    if (!optionalString(vote[field])) throw invalid("invalid_field", `invalid type: \`${field}\` must be a string`);
  }
  if (vote.criteria === undefined) {
    vote.criteria = {};
  } else if (vote.criteria === null || typeof vote.criteria !== "object" || Array.isArray(vote.criteria)) {
    throw invalid("invalid_field", "invalid type: `criteria` must be a map");
  } else {
    for (const code in vote.criteria) {
      if (!isInteger(vote.criteria[code])) throw invalid("invalid_field", "invalid type: a criterion's score must be an integer");
    }
  }
  return vote;
}

function language(vote, defaultLang) {
  if (vote.lang === undefined || vote.lang === null) return defaultLang;
  // ASCII only, as Rust's to_ascii_lowercase: JavaScript's toLowerCase maps U+212A to "k".
  const code = /^[A-Za-z]+$/.test(vote.lang) ? vote.lang.toLowerCase() : "";
  if (!LANGS.has(code)) {
    throw invalid("unknown_language", "unsupported language; use one of uk, ru, kk, fa, en");
  }
  return code;
}

function receipt() {
  const b = crypto.getRandomValues(new Uint8Array(7));
  // The top 50 of 56 random bits, as ten base32 symbols.
  let n = (b[0] * 2 ** 24 + ((b[1] << 16) | (b[2] << 8) | b[3])) * 2 ** 18 + (((b[4] << 16) | (b[5] << 8) | b[6]) >> 6);
  let symbols = "";
  for (let i = 0; i < 10; i++) {
    symbols = ALPHABET[n % 32] + symbols;
    n = Math.floor(n / 32);
  }
  return symbols;
}

// Why nothing was written: the code's status, read as civicrate reads it after a refusal.
async function whyNotStored(db, claims, mark, now) {
  const row = claims.oneTime
    ? await db.prepare(SQL.oneTimeHolder).bind(claims.employee, claims.channel, claims.issue, now, mark).first()
    : await db.prepare(SQL.codeHolder).bind(claims.employee, claims.channel, claims.issue).first();
  if (!row || !row.issued) return invalidToken();
  if (row.used) return new ApiError(410, "used_token", "this one-time code has already taken its vote");
  if (!row.unrevoked || !row.active) {
    return new ApiError(410, "revoked_token", "this code is no longer valid; ask staff for the current one");
  }
  // A current code here means the scale changed between the two reads.
  return offScale();
}

async function castVote(request, env, config) {
  const vote = await readVote(request);
  const lang = language(vote, config.defaultLang);
  const address = request.headers.get("cf-connecting-ip") ?? "unknown";
  const claims = await verifyToken(config.ring, vote.token);
  if (!claims || claims.shard !== config.homeShard) throw invalidToken();
  const mark = claims.oneTime ? await spentMark(claims) : null;
  const db = env.DB;
  const now = Math.floor(Date.now() / 1000);
  const ballot = parseBallot(vote, await scale(db, now));
  const day = new Date(now * 1000).toISOString().slice(0, 10);
  const salt = await saltKey(db, day);
  const net = network(address);
  const shown = receipt();
  const ip = parseIp(address);
  const [clientHash, clientKey, networkHash, receiptHash, networks] = await Promise.all([
    hmac(salt, encoder.encode(`vote\0${net}\0${claims.employee}`)),
    hmac(salt, encoder.encode(`limit\0${net}`)),
    hmac(salt, encoder.encode(`network\0${net}`)),
    crypto.subtle.digest("SHA-256", concat(CONTEXT.receipt, encoder.encode(shown))),
    ip ? officeNetworks(db, now) : [],
  ]);
  const key = hex(clientKey.subarray(0, 16));
  const officeUnits = networks.filter((n) => cidrContains(n.cidr, ip)).map((n) => n.unit);

  const counted = [day, key, claims.employee, claims.channel, claims.issue];
  if (claims.oneTime) counted.push(now, mark);
  const insert = [
    claims.employee,
    claims.channel,
    claims.issue,
    ballot.score,
    ballot.comment,
    ballot.contact === null ? 0 : 1,
    lang,
    "api",
    hex(clientHash.subarray(0, 16)),
    now,
    day,
    key,
    config.dailyLimit,
    null, // no page-stamp flag: API votes have no page
    JSON.stringify(officeUnits),
    hex(networkHash.subarray(0, 16)),
    hex(new Uint8Array(receiptHash)),
  ];
  if (claims.oneTime) insert.push(mark);
  const statements = [
    db.prepare(claims.oneTime ? SQL.countClientOneTimeVote : SQL.countClientVote).bind(...counted),
    db.prepare(claims.oneTime ? SQL.insertOneTimeVote : SQL.insertVote).bind(...insert),
  ];
  if (claims.oneTime) statements.push(db.prepare(SQL.useOneTimeCode).bind(mark));
  if (ballot.contact !== null) statements.push(db.prepare(SQL.insertVoteContact).bind(ballot.contact, now));
  if (ballot.criteria.length > 0) statements.push(db.prepare(SQL.insertVoteCriteria).bind(JSON.stringify(ballot.criteria)));
  const results = await db.batch(statements);

  if (results[1].meta.changes !== 1) {
    const votes = results[0].results[0]?.votes ?? 0;
    if (votes > config.dailyLimit) {
      throw new ApiError(429, "rate_limited", "too many votes from this device; try again later", 86400 - (now % 86400));
    }
    throw await whyNotStored(db, claims, mark, now);
  }
  return new Response(JSON.stringify({ status: "recorded", receipt: `${shown.slice(0, 5)}-${shown.slice(5)}` }), {
    status: 201,
    headers: JSON_HEADERS,
  });
}

export default {
  async fetch(request, env) {
    const { pathname } = new URL(request.url);
    if (pathname !== "/api/v1/votes") return errorResponse(new ApiError(404, "not_found", "no such resource"));
    if (request.method !== "POST") {
      return errorResponse(new ApiError(405, "method_not_allowed", "method not allowed on this resource"));
    }
    configured ??= parseConfig(env);
    let config;
    try {
      config = await configured;
    } catch (e) {
      console.error(`configuration error: ${e.message}`);
      return errorResponse(new ApiError(500, "misconfigured", "the instance is not configured; see the deployment guide"));
    }
    if (isCrossSite(request, config.baseUrl)) {
      return errorResponse(
        new ApiError(403, "cross_site", "changes are accepted only from this site's own pages, or from clients that send no Origin"),
      );
    }
    const declared = request.headers.get("content-length");
    if (declared && /^\s*[0-9]+\s*$/.test(declared) && Number(declared) > VOTE_BODY_LIMIT) return errorResponse(tooLarge());
    try {
      return await castVote(request, env, config);
    } catch (e) {
      if (e instanceof ApiError) return errorResponse(e);
      console.error(`store error on vote: ${e.message}`);
      return errorResponse(unavailable());
    }
  },
};

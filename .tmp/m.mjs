// src/topology/load.ts
import { LineCounter as LineCounter3, parseDocument as parseDocument2 } from "yaml";

// src/errors.ts
var RmqError = class extends Error {
  name = "RmqError";
  constructor(message, options) {
    super(message, options);
  }
};
var InvalidInputError = class extends RmqError {
  name = "InvalidInputError";
  /** One line per problem, already formatted for humans (e.g. `file:line:col  field  message`). */
  problems;
  constructor(message, problems = []) {
    super(message);
    this.problems = problems;
  }
  /** The problems as data for `--json` output (subclasses with structured problems override). */
  problemData() {
    return this.problems.map((message) => ({ message }));
  }
};

// src/util/properties.ts
import { parseLines } from "dot-properties";

// src/util/config-registry.ts
var SAFE_PATH = /^\/(?:[A-Za-z0-9._@%+,-]+\/)*[A-Za-z0-9._@%+,-]*$/;
var HOSTNAME = /^(?=.{1,253}$)[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/;
var IPV4 = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;
function isIPv4(s) {
  return IPV4.test(s);
}
function isHostAddress(s) {
  return IPV4.test(s) || HOSTNAME.test(s) && !/^[\d.]+$/.test(s);
}
function pathProblem(p) {
  if (!p.startsWith("/")) return "must be an absolute path";
  if (!SAFE_PATH.test(p)) return "may only contain letters, digits and . _ @ % + , - between '/' (no spaces or shell metacharacters)";
  if (p.length > 1 && p.endsWith("/")) return "must not end with '/'";
  if (p.split("/").some((seg) => seg === "." || seg === "..")) return "must not contain '.' or '..' segments";
  return void 0;
}
function hostPortProblem(s) {
  const i = s.lastIndexOf(":");
  if (i <= 0) return "must be host:port";
  const host = s.slice(0, i);
  const port2 = s.slice(i + 1);
  if (!isHostAddress(host)) return `host ${JSON.stringify(host)} is not an IPv4 address or DNS name`;
  if (!/^\d{1,5}$/.test(port2) || Number(port2) < 1 || Number(port2) > 65535) return `port ${JSON.stringify(port2)} is not 1-65535`;
  return void 0;
}
function describeSpec(spec) {
  switch (spec.kind) {
    case "int":
    case "long": {
      if (spec.kind === "int" && spec.oneOf) return `one of ${spec.oneOf.join(", ")}`;
      const lo = spec.min;
      const hi = spec.max;
      if (lo !== void 0 && hi !== void 0) return `an integer ${lo}-${hi}`;
      if (lo !== void 0) return `an integer >= ${lo}`;
      return "an integer";
    }
    case "bool":
      return "true or false";
    case "string":
      return spec.expected ?? "a string";
    case "enum":
      return `one of ${spec.values.join(", ")}`;
    case "path":
      return "an absolute path";
    case "ipv4":
      return "an IPv4 address";
    case "hostPort":
      return "host:port";
    case "hostPortList":
      return "host:port;host:port\u2026";
    case "hours":
      return "hours 00-23, two digits, ';'-separated (e.g. 04 or 01;13)";
  }
}
function coerceValue(spec, raw) {
  const bad = (why) => ({
    ok: false,
    problem: `${why ?? `invalid value ${JSON.stringify(raw)}`} (expected ${describeSpec(spec)})`
  });
  if (typeof raw !== "string" && typeof raw !== "number" && typeof raw !== "boolean") return bad(`invalid value of type ${raw === null ? "null" : Array.isArray(raw) ? "list" : typeof raw}`);
  const text = typeof raw === "string" ? raw.trim() : String(raw);
  if (/[\u0000-\u001f\u007f]/.test(text)) return bad("contains a control character (newline, tab, \u2026)");
  switch (spec.kind) {
    case "int":
    case "long": {
      if (!/^-?\d+$/.test(text)) return bad(`${JSON.stringify(raw)} is not an integer`);
      const n = Number(text);
      const lim = spec.kind === "int" ? 2 ** 31 - 1 : Number.MAX_SAFE_INTEGER;
      if (!Number.isSafeInteger(n) || Math.abs(n) > lim) return bad(`${text} is out of range`);
      if (spec.min !== void 0 && n < spec.min) return bad(`${n} is too small`);
      if (spec.max !== void 0 && n > spec.max) return bad(`${n} is too large`);
      if (spec.kind === "int" && spec.oneOf && !spec.oneOf.includes(n)) return bad(`${n} is not allowed`);
      return { ok: true, value: n, text: String(n) };
    }
    case "bool": {
      const t = text.toLowerCase();
      if (t !== "true" && t !== "false") return bad(`${JSON.stringify(raw)} is not a boolean`);
      return { ok: true, value: t === "true", text: t };
    }
    case "string": {
      if (text === "") return bad("is empty");
      if (text.includes("\\")) return bad("contains a backslash");
      if (spec.pattern && !spec.pattern.test(text)) return bad(`${JSON.stringify(text)} is malformed`);
      return { ok: true, value: text, text };
    }
    case "enum":
      if (!spec.values.includes(text)) return bad(`${JSON.stringify(text)} is not allowed`);
      return { ok: true, value: text, text };
    case "path": {
      const why = pathProblem(text);
      return why ? bad(`${JSON.stringify(text)} ${why}`) : { ok: true, value: text, text };
    }
    case "ipv4":
      return isIPv4(text) ? { ok: true, value: text, text } : bad(`${JSON.stringify(text)} is not an IPv4 address`);
    case "hostPort": {
      const why = hostPortProblem(text);
      return why ? bad(why) : { ok: true, value: text, text };
    }
    case "hostPortList": {
      const parts = text.split(";");
      for (const p of parts) {
        const why = hostPortProblem(p);
        if (why) return bad(`${JSON.stringify(p)}: ${why}`);
      }
      return { ok: true, value: text, text };
    }
    case "hours": {
      const hours = text.split(";").map((h) => /^\d{1,2}$/.test(h) ? Number(h) : NaN);
      if (hours.some((h) => Number.isNaN(h) || h > 23)) return bad(`${JSON.stringify(text)} is not a list of hours`);
      const norm = hours.map((h) => String(h).padStart(2, "0")).join(";");
      return { ok: true, value: norm, text: norm };
    }
  }
}
function editDistance(a, b) {
  const al = a.toLowerCase();
  const bl = b.toLowerCase();
  let prev = Array.from({ length: bl.length + 1 }, (_, j) => j);
  for (let i = 1; i <= al.length; i++) {
    const cur = [i];
    for (let j = 1; j <= bl.length; j++) {
      cur[j] = Math.min((prev[j] ?? 0) + 1, (cur[j - 1] ?? 0) + 1, (prev[j - 1] ?? 0) + (al[i - 1] === bl[j - 1] ? 0 : 1));
    }
    prev = cur;
  }
  return prev[bl.length] ?? 0;
}
function didYouMean(name, candidates) {
  let best;
  let bestD = Infinity;
  for (const c of candidates) {
    const d = editDistance(name, c);
    if (d < bestD) {
      best = c;
      bestD = d;
    }
  }
  const limit = Math.max(2, Math.floor(name.length / 3));
  return best !== void 0 && bestD <= limit ? best : void 0;
}

// src/paths.ts
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
function findPackageRoot() {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (; ; ) {
    const pkg = path.join(dir, "package.json");
    if (existsSync(pkg)) {
      try {
        if (JSON.parse(readFileSync(pkg, "utf8")).name === "rmqctl") return dir;
      } catch {
      }
    }
    const parent = path.dirname(dir);
    if (parent === dir) throw new Error("rmqctl: cannot find the package root (package.json named rmqctl)");
    dir = parent;
  }
}
var packageRoot = findPackageRoot();
var templatesDir = path.join(packageRoot, "templates");
var topologiesDir = path.join(packageRoot, "topologies");
var runtimeBundle = path.join(packageRoot, "dist", "rmqd.js");

// src/util/problems.ts
function formatPath(path7) {
  let out = "";
  for (const seg of path7) {
    if (typeof seg === "number") out += `[${seg}]`;
    else if (/^[A-Za-z_][A-Za-z0-9_]*$/.test(seg)) out += out === "" ? seg : `.${seg}`;
    else out += `[${JSON.stringify(seg)}]`;
  }
  return out;
}
function formatProblem(p) {
  return `${p.file}:${p.line}:${p.col}  ${p.path === "" ? "(file)" : p.path}  ${p.message}`;
}
function compareProblems(a, b) {
  return a.line - b.line || a.col - b.col || a.path.localeCompare(b.path) || a.message.localeCompare(b.message);
}
var TopologyError = class extends InvalidInputError {
  name = "TopologyError";
  details;
  constructor(file, problems) {
    const sorted = [...problems].sort(compareProblems);
    super(`${file}: ${sorted.length} problem${sorted.length === 1 ? "" : "s"}; nothing was written`, sorted.map(formatProblem));
    this.details = sorted;
  }
  problemData() {
    return this.details;
  }
};
function describeValue(v) {
  if (v === void 0) return "nothing";
  if (v === null) return "null";
  if (Array.isArray(v)) return "a list";
  if (typeof v === "object") return "a map";
  if (typeof v === "string") return JSON.stringify(v.length > 60 ? `${v.slice(0, 57)}...` : v);
  return String(v);
}

// src/topology/schema.ts
import { z as z2 } from "zod";

// src/acl/config.ts
import { LineCounter as LineCounter2, parseDocument } from "yaml";
import * as z from "zod/mini";

// src/util/yaml-source.ts
import { isMap, isPair, isScalar, isSeq } from "yaml";
var SourceMap = class {
  constructor(file, doc, lines) {
    this.file = file;
    this.doc = doc;
    this.lines = lines;
  }
  file;
  doc;
  lines;
  /** Position of a byte offset in the text. */
  at(offset) {
    const p = this.lines.linePos(offset);
    return { line: p.line, col: p.col };
  }
  /**
   * Where `path` was written: its value (default) or its key. A path that does not exist in the
   * file (a missing field) resolves to the deepest enclosing node that does.
   */
  locate(path7, which = "value") {
    let node = this.doc.contents;
    let keyNode;
    for (const seg of path7) {
      if (isMap(node)) {
        const pair = node.items.find((it) => isPair(it) && isScalar(it.key) && String(it.key.value) === String(seg));
        if (!pair || !isPair(pair)) break;
        keyNode = pair.key;
        node = pair.value ?? pair.key;
      } else if (isSeq(node) && typeof seg === "number" && node.items[seg] !== void 0) {
        keyNode = void 0;
        node = node.items[seg];
      } else break;
    }
    const target = which === "key" && keyNode ? keyNode : node;
    const offset = target?.range?.[0] ?? 0;
    return this.at(offset);
  }
};

// src/acl/permission.ts
var PERM_STRINGS = ["DENY", "PUB", "SUB", "PUB|SUB", "SUB|PUB"];

// src/acl/remote-address.ts
import net from "node:net";

// src/acl/ipv6.ts
function expandIPv6(ip) {
  let text = ip.toLowerCase().replace(/%.*$/, "");
  const v4 = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (v4?.[1] !== void 0) {
    const o = v4[1].split(".").map(Number);
    text = text.slice(0, -v4[1].length) + `${(o[0] << 8 | o[1]).toString(16)}:${(o[2] << 8 | o[3]).toString(16)}`;
  }
  const [head, tail] = text.includes("::") ? text.split("::") : [text, void 0];
  const h = head === "" || head === void 0 ? [] : head.split(":");
  const t = tail === void 0 || tail === "" ? [] : tail.split(":");
  const fill = tail === void 0 ? [] : Array(8 - h.length - t.length).fill("0");
  return [...h, ...fill, ...t].map((g) => g.padStart(4, "0")).join(":");
}
function ipv6Groups(ip) {
  return expandIPv6(ip).split(":").map((g) => parseInt(g, 16));
}
var HEX_GROUP = /^[0-9a-f]{1,4}$/i;
function hexGroups(text) {
  if (text === "") return [];
  const groups = text.split(":");
  const bad = groups.find((g) => !HEX_GROUP.test(g));
  return bad === void 0 ? groups.map((g) => parseInt(g, 16)) : bad;
}
function rangeGroup(token) {
  if (token === "*") return { lo: 0, hi: 65535 };
  const m2 = /^([0-9a-f]{1,4})-([0-9a-f]{1,4})$/i.exec(token);
  if (!m2) return `"${token}" is not a hex range a-b (1-4 hex digits each side)`;
  const lo = parseInt(m2[1], 16);
  const hi = parseInt(m2[2], 16);
  return lo <= hi ? { lo, hi } : `range ${token} is empty`;
}
function parseIPv6Range(pattern) {
  const fail = (why) => ({ ok: false, problem: `"${pattern}": ${why}` });
  const LAST_GROUPS = "* and a-b may only stand in the last groups (every group after a * or a range must be *)";
  if (pattern.includes(":::")) return fail('":::" is not IPv6 (at most "::")');
  const first = pattern.slice(0, pattern.indexOf(":"));
  if (first.includes("*") || first.includes("-")) return fail("the first group must be hex (use * alone, or *:*:*:*:*:*:*:*, for every address)");
  let rest = pattern;
  let stars = 0;
  while (rest.endsWith(":*") && !rest.endsWith("::*")) {
    rest = rest.slice(0, -2);
    stars++;
  }
  if (rest.endsWith("::*")) {
    rest = rest.slice(0, -1);
    stars++;
  }
  const lastColon = rest.lastIndexOf(":");
  let token = rest.slice(lastColon + 1);
  let prefixText = rest.slice(0, lastColon);
  if (token === "" || !token.includes("-")) {
    if (stars === 0) return fail(LAST_GROUPS);
    token = "*";
    stars--;
    prefixText = rest.endsWith(":") ? rest.slice(0, -1) : rest;
  }
  if (prefixText.endsWith(":") && !prefixText.endsWith("::")) prefixText += ":";
  if (prefixText.includes("*") || prefixText.includes("-")) {
    return fail(LAST_GROUPS);
  }
  const range = rangeGroup(token);
  if (typeof range === "string") return fail(range);
  const total = 8 - 1 - stars;
  let prefix;
  const halves = prefixText.split("::");
  if (halves.length > 2) return fail('"::" may appear only once');
  if (halves.length === 2) {
    const left = hexGroups(halves[0]);
    const right = hexGroups(halves[1]);
    if (typeof left === "string" || typeof right === "string") return fail(`"${typeof left === "string" ? left : right}" is not a hex group (1-4 hex digits)`);
    const zeros = total - left.length - right.length;
    if (zeros < 1) return fail(`too many groups: the prefix with "::" and the range and * groups make more than 8`);
    prefix = [...left, ...Array(zeros).fill(0), ...right];
  } else {
    const groups = hexGroups(prefixText);
    if (typeof groups === "string") return fail(`"${groups}" is not a hex group (1-4 hex digits)`);
    if (groups.length === 0) return fail("the first group must be hex (use * alone, or *:*:*:*:*:*:*:*, for every address)");
    if (groups.length > total) return fail("too many groups: an IPv6 address has 8");
    prefix = groups;
  }
  return { ok: true, range: { prefix, lo: range.lo, hi: range.hi } };
}
function inIPv6Range(range, groups) {
  const g = groups[range.prefix.length];
  return g !== void 0 && g >= range.lo && g <= range.hi && range.prefix.every((v, i) => groups[i] === v);
}

// src/acl/remote-address.ts
var AddressPatternError = class extends Error {
};
function sameAddress(a, b) {
  if (net.isIPv4(a) || net.isIPv4(b)) return a === b;
  return net.isIPv6(a) && net.isIPv6(b) && expandIPv6(a) === expandIPv6(b);
}
function octet(s, pattern) {
  if (!/^\d{1,3}$/.test(s) || Number(s) > 255) throw new AddressPatternError(`"${pattern}": "${s}" is not a number 0-255`);
  return Number(s);
}
function ipv4Range(pattern) {
  const segs = pattern.split(".");
  if (segs.length !== 4) throw new AddressPatternError(`"${pattern}": expected 4 dot-separated segments`);
  const ranges = [];
  let open = false;
  for (const seg of segs) {
    const s = seg.trim();
    if (open && s !== "*") throw new AddressPatternError(`"${pattern}": every segment after a * or a range must be *`);
    if (s === "*") {
      ranges.push([0, 255]);
      open = true;
    } else if (s.includes("-")) {
      const [a, b, ...rest] = s.split("-");
      if (rest.length > 0 || a === void 0 || b === void 0) throw new AddressPatternError(`"${pattern}": bad range "${s}"`);
      const lo = octet(a, pattern);
      const hi = octet(b, pattern);
      if (lo > hi) throw new AddressPatternError(`"${pattern}": range ${s} is empty`);
      ranges.push([lo, hi]);
      open = true;
    } else {
      const v = octet(s, pattern);
      ranges.push([v, v]);
    }
  }
  if (ranges[0]?.[0] === 0 && ranges[0][1] === 255 && segs[0]?.trim() === "*") {
    throw new AddressPatternError(`"${pattern}": the first segment must be a number (use * alone for every address)`);
  }
  return (ip) => {
    if (!net.isIPv4(ip)) return false;
    const o = ip.split(".").map(Number);
    return ranges.every(([lo, hi], i) => o[i] >= lo && o[i] <= hi);
  };
}
function ipv6Range(pattern) {
  const parsed = parseIPv6Range(pattern);
  if (!parsed.ok) throw new AddressPatternError(parsed.problem);
  const { range } = parsed;
  return (ip) => net.isIPv6(ip) && inIPv6Range(range, ipv6Groups(ip));
}
function literal(addr, pattern) {
  const a = addr.trim();
  if (!net.isIPv4(a) && !net.isIPv6(a)) throw new AddressPatternError(`"${pattern}": "${a}" is not an IPv4 or IPv6 address`);
  return a;
}
function compileAddressPattern(pattern) {
  const p = pattern.trim();
  if (p === "") return () => false;
  if (p === "*" || p === "*.*.*.*" || p === "*:*:*:*:*:*:*:*") return () => true;
  if (p.endsWith("}")) {
    const open = p.lastIndexOf("{");
    const sep = p.includes(":") ? ":" : ".";
    if (open < 1 || p[open - 1] !== sep) throw new AddressPatternError(`"${pattern}": {a,b,\u2026} must be the whole last segment`);
    const head = p.slice(0, open);
    const addrs = p.slice(open + 1, -1).split(",").map((v) => literal(head + v.trim(), pattern));
    return (ip) => addrs.some((a) => sameAddress(a, ip));
  }
  if (p.includes(",")) {
    const addrs = p.split(",").map((a) => literal(a, pattern));
    return (ip) => addrs.some((a) => sameAddress(a, ip));
  }
  if (p.includes("*") || p.includes("-")) {
    return p.includes(":") ? ipv6Range(p) : ipv4Range(p);
  }
  const one = literal(p, pattern);
  return (ip) => sameAddress(one, ip);
}

// src/acl/config.ts
var permError = `expected one of ${PERM_STRINGS.join(", ")}`;
var perm = z.enum(PERM_STRINGS, { error: permError });
var RESOURCE_PERM_PATTERN = /^[^=\s]+\s*=\s*(DENY|PUB|SUB|PUB\|SUB|SUB\|PUB)$/;
var resourcePerm = z.string({ error: 'expected "name=PERM"' }).check(z.regex(RESOURCE_PERM_PATTERN, { error: `expected "name=PERM" with PERM ${permError}` }));
var KEY_PATTERN = /^[\x21-\x7e]{6,}$/;
var KEY_ERROR = "expected at least 6 printable ASCII characters without spaces";
var keyText = z.pipe(
  z.union([z.string(), z.pipe(z.number(), z.transform(String))], { error: "expected a string" }),
  z.string().check(z.regex(KEY_PATTERN, { error: KEY_ERROR }))
);
var AclAccountSchema = z.strictObject({
  accessKey: keyText,
  secretKey: keyText,
  whiteRemoteAddress: z.nullish(z.string()),
  admin: z._default(z.boolean({ error: "expected true or false" }), false),
  defaultTopicPerm: z._default(perm, "DENY"),
  defaultGroupPerm: z._default(perm, "DENY"),
  topicPerms: z.nullish(z.array(resourcePerm)),
  groupPerms: z.nullish(z.array(resourcePerm))
});
var AclFileSchema = z.strictObject({
  globalWhiteRemoteAddresses: z.nullish(z.array(z.string({ error: "expected an address pattern" }))),
  accounts: z.nullish(z.array(AclAccountSchema)),
  /** Written by RocketMQ's admin API into plain_acl.yml; accepted and ignored. */
  dataVersion: z.optional(z.unknown())
});

// src/remoting/tls-config.ts
var TLS_SERVER_MODES = ["disabled", "permissive", "enforcing"];
var TLS_CLIENT_AUTH_MODES = ["none", "optional", "require"];
var O = "TlsSystemConfig";
var path2 = { kind: "path" };
var TLS_SERVER_KEYS = {
  "tls.server.mode": { spec: { kind: "enum", values: TLS_SERVER_MODES }, default: "disabled", origin: O, description: "disabled: plain only; permissive: plain and TLS on the same port; enforcing: TLS only" },
  "tls.server.certPath": { spec: path2, default: null, origin: O, description: "PEM certificate chain the node presents (required unless tls.server.mode=disabled)" },
  "tls.server.keyPath": { spec: path2, default: null, origin: O, description: "PEM private key of tls.server.certPath, unencrypted, mode 0600" },
  "tls.server.need.client.auth": { spec: { kind: "enum", values: TLS_CLIENT_AUTH_MODES }, default: "none", origin: O, description: "client certificates: none, optional (verified when sent), require" },
  "tls.server.trustCertPath": { spec: path2, default: null, origin: O, description: "CA bundle client certificates must chain to (required unless need.client.auth=none)" }
};
var TLS_CLIENT_KEYS = {
  "tls.enable": { spec: { kind: "bool" }, default: false, origin: O, description: "the node\u2019s own outgoing connections (NameServer registration, HA) use TLS" },
  "tls.client.trustCertPath": { spec: path2, default: null, origin: O, description: "CA bundle the node verifies servers against (default: the system roots)" },
  "tls.client.certPath": { spec: path2, default: null, origin: O, description: "certificate the node presents as a client (for servers that ask)" },
  "tls.client.keyPath": { spec: path2, default: null, origin: O, description: "private key of tls.client.certPath" },
  "tls.client.authServer": { spec: { kind: "bool" }, default: true, origin: O, description: "verify the server certificate and its name against the address used (RocketMQ default: false)" },
  "tls.client.plainFallback": { spec: { kind: "bool" }, default: false, origin: "rmqd", description: "reach a peer that speaks no TLS at all in plain text (turning TLS on across a running cluster); a certificate problem never falls back" }
};
var TLS_KEYS = { ...TLS_SERVER_KEYS, ...TLS_CLIENT_KEYS };

// src/topology/schema.ts
var MODE_NAMES = ["single-master", "multi-master", "2m-2s-async", "2m-2s-sync"];
var identifier = (what) => z2.string({ error: `expected ${what}: a string` }).regex(/^[A-Za-z0-9][A-Za-z0-9_-]*$/, { error: "expected letters, digits, - and _, starting with a letter or digit" }).max(63, { error: "is longer than 63 characters" });
var port = z2.number({ error: "expected a port number 1-65535" }).int({ error: "expected a port number 1-65535" }).min(1, { error: "expected a port number 1-65535" }).max(65535, { error: "expected a port number 1-65535" });
var address = z2.string({ error: "expected an address: an IPv4 address or a DNS name" }).refine(isHostAddress, { error: "expected an address: an IPv4 address or a DNS name; IPv6 is not supported" });
var absolutePath = z2.string({ error: "expected an absolute path" }).superRefine((p, ctx) => {
  const why = pathProblem(p);
  if (why) ctx.addIssue({ code: "custom", message: `${why} (expected an absolute path)` });
});
var localPath = z2.string({ error: "expected a path" }).superRefine((p, ctx) => {
  const why = pathProblem(p.startsWith("~/") ? p.slice(1) : p);
  if (why) ctx.addIssue({ code: "custom", message: `${why} (expected an absolute path or ~/\u2026)` });
});
var overrides = z2.record(z2.string(), z2.unknown(), { error: "expected a map of key: value" });
var SshSchema = z2.object({
  user: z2.string().regex(/^[a-z_][a-z0-9_-]{0,31}$/, { error: "expected a user name (lower-case letters, digits, - and _)" }).default("root"),
  port: port.default(22),
  /** Private key; default: the SSH agent, then ~/.ssh/id_ed25519, id_rsa. */
  identityFile: localPath.optional(),
  /** Host keys are always checked; default ~/.ssh/known_hosts. */
  knownHosts: localPath.optional(),
  /** Name of another host in `hosts` to tunnel through. */
  jumpHost: z2.string().optional()
});
var HostSchema = z2.object({
  name: identifier("a host name"),
  /** `ssh` (default): reached over SSH; `local`: this machine, no SSH, processes not units. */
  transport: z2.enum(["ssh", "local"], { error: "expected ssh or local" }).default("ssh"),
  /** Required for ssh hosts; local hosts default to 127.0.0.1. */
  address: address.optional(),
  /** Default: systemd for ssh hosts, process for local hosts (which cannot use systemd). */
  supervisor: z2.enum(["systemd", "process"], { error: "expected systemd or process" }).optional(),
  ssh: SshSchema.optional()
});
var nodeFields = {
  /** Name of the host (in `hosts`) the process runs on. */
  host: z2.string({ error: "expected the name of a host" })
};
var NameServerSchema = z2.object({
  ...nodeFields,
  port: port.default(9876),
  overrides: overrides.optional()
});
var BrokerNodeSchema = z2.object({
  ...nodeFields,
  /** listenPort. The broker also takes port-2 (fast channel) and haPort. */
  port: port.default(10911),
  /** HA replication port; default port+1 (as RocketMQ derives it). */
  haPort: port.optional(),
  /** Address advertised to clients; default: the host's address (must then be an IPv4 address). */
  brokerIP1: z2.string({ error: "expected an IPv4 address" }).regex(/^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/, { error: "expected an IPv4 address" }).optional(),
  overrides: overrides.optional()
});
var BrokerGroupSchema = z2.object({
  /** brokerName, shared by the master and its slaves. */
  name: identifier("a broker group name"),
  master: BrokerNodeSchema,
  slaves: z2.array(BrokerNodeSchema, { error: "expected a list of slaves" }).default([]),
  overrides: overrides.optional()
});
var GeneralModeSchema = z2.object({
  masters: z2.number({ error: "expected an integer >= 1" }).int({ error: "expected an integer >= 1" }).min(1, { error: "expected an integer >= 1" }),
  slavesPerMaster: z2.number({ error: "expected an integer >= 0" }).int({ error: "expected an integer >= 0" }).min(0, { error: "expected an integer >= 0" }).default(0),
  /** sync: a send is acknowledged once a slave has it (SYNC_MASTER); async: ASYNC_MASTER. */
  replication: z2.enum(["sync", "async"], { error: "expected sync or async" }).default("async")
});
var SecretRefSchema = z2.union(
  [
    z2.strictObject({ env: z2.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, { error: "expected an environment variable name" }) }),
    z2.strictObject({ file: localPath })
  ],
  { error: "expected a reference { env: NAME } or { file: path } (secrets are never written inline)" }
);
var aclKey = z2.string({ error: "expected a string" }).regex(KEY_PATTERN, { error: "expected at least 6 printable ASCII characters without spaces" });
var aclPerm = z2.enum(PERM_STRINGS, { error: `expected one of ${PERM_STRINGS.join(", ")}` });
var aclResourcePerms = z2.array(z2.string({ error: 'expected "name=PERM"' }).regex(RESOURCE_PERM_PATTERN, { error: `expected "name=PERM" with PERM one of ${PERM_STRINGS.join(", ")}` }));
var TopologyAclAccountSchema = z2.strictObject({
  accessKey: aclKey,
  secretKey: SecretRefSchema,
  whiteRemoteAddress: z2.string().optional(),
  admin: z2.boolean({ error: "expected true or false" }).default(false),
  defaultTopicPerm: aclPerm.default("DENY"),
  defaultGroupPerm: aclPerm.default("DENY"),
  topicPerms: aclResourcePerms.optional(),
  groupPerms: aclResourcePerms.optional()
});
var AclSectionSchema = z2.strictObject({
  /** false: files rendered and nodes sign, but requests are not checked (a staged roll-out). */
  enabled: z2.boolean({ error: "expected true or false" }).default(true),
  /** The cluster's admin account: nodes sign their own requests with it (registration, slave sync); operators use it through rmqctl. */
  admin: z2.strictObject({ accessKey: aclKey, secretKey: SecretRefSchema }),
  globalWhiteRemoteAddresses: z2.array(z2.string({ error: "expected an address pattern" })).optional(),
  accounts: z2.array(TopologyAclAccountSchema, { error: "expected a list of accounts" }).default([])
});
var TlsCertificateSchema = z2.strictObject({
  /** PEM certificate chain (leaf first) on this machine. */
  cert: localPath,
  /** Its unencrypted PEM private key: `{ file: path }` (mode 0600) or `{ env: NAME }`. */
  key: SecretRefSchema
});
var TlsSectionSchema = z2.strictObject({
  /** enforcing: TLS only; permissive: TLS and plain text on the same ports (a staged roll-out). */
  mode: z2.enum(["enforcing", "permissive"], { error: "expected enforcing or permissive" }).default("enforcing"),
  /** PEM CA bundle: nodes verify each other against it, and deploy's health checks verify nodes. */
  ca: localPath,
  /** Client certificates: none, optional (verified when sent), require (mutual TLS). */
  clientAuth: z2.enum(TLS_CLIENT_AUTH_MODES, { error: `expected one of ${TLS_CLIENT_AUTH_MODES.join(", ")}` }).default("none"),
  /** The certificate of every host that has none of its own under `hosts`. */
  cert: localPath.optional(),
  key: SecretRefSchema.optional(),
  /** Per-host certificates, by host name. */
  hosts: z2.record(z2.string(), TlsCertificateSchema, { error: "expected a map of host name: { cert, key }" }).optional()
});
var TopologySchema = z2.object({
  /** brokerClusterName; also part of unit names and paths. */
  cluster: identifier("a cluster name"),
  mode: z2.union([z2.enum(MODE_NAMES), GeneralModeSchema], {
    error: `expected one of ${MODE_NAMES.join(", ")}, or {masters, slavesPerMaster, replication}`
  }),
  /** async: ASYNC_FLUSH (acks before fsync, RocketMQ's default); sync: SYNC_FLUSH. */
  flush: z2.enum(["sync", "async"], { error: "expected sync or async" }).default("async"),
  /** Store root on every host; each node stores under <storeRoot>/<nodeId>. Default /var/lib/rmqctl/<cluster>. */
  storeRoot: absolutePath.optional(),
  retention: z2.strictObject({
    /** Hours a commit log file is kept (RocketMQ default 72; the Apache example configs use 48). */
    fileReservedTime: z2.number({ error: "expected a number of hours (integer >= 1)" }).int({ error: "expected a number of hours (integer >= 1)" }).min(1, { error: "expected a number of hours (integer >= 1)" }).default(48),
    /** Hour(s) of day expired files are deleted: "04" or "01;13". */
    deleteWhen: z2.union([z2.string(), z2.number()], { error: 'expected hours like "04" or "01;13"' }).default("04")
  }).prefault({}),
  /** rmqd's log level on every node. */
  logLevel: z2.enum(["debug", "info", "warn", "error"], { error: "expected debug, info, warn or error" }).default("info"),
  hosts: z2.array(HostSchema, { error: "expected a list of hosts" }).min(1, { error: "expected at least one host" }),
  nameservers: z2.array(NameServerSchema, { error: "expected a list of NameServers" }).min(1, { error: "expected at least one NameServer" }),
  brokers: z2.array(BrokerGroupSchema, { error: "expected a list of broker groups" }).min(1, { error: "expected at least one broker group" }),
  /** Access control (RocketMQ ACL 1.0) on every node: accounts and their permissions, secrets by reference. */
  acl: AclSectionSchema.optional(),
  /** TLS on every client and inter-node connection; certificates by file, keys by reference. */
  tls: TlsSectionSchema.optional(),
  /** Keys applied to every broker (`broker`) or every NameServer (`namesrv`); groups and nodes override them. */
  overrides: z2.strictObject({
    broker: overrides.optional(),
    namesrv: overrides.optional()
  }).optional()
});

// src/topology/validate.ts
import path6 from "node:path";

// src/node-config/broker-keys.ts
var MS = "ms";
function key(origin, spec, def, description, extra = {}) {
  return { spec, default: def, origin, description, ...extra };
}
var int = (min, max) => ({ kind: "int", min, max });
var long = (min) => ({ kind: "long", min });
var bool = { kind: "bool" };
var path3 = { kind: "path" };
var B = "BrokerConfig";
var S = "MessageStoreConfig";
var N = "NettyServerConfig";
var OURS = "rmqd";
var BROKER_ROLES = ["ASYNC_MASTER", "SYNC_MASTER", "SLAVE"];
var FLUSH_DISK_TYPES = ["ASYNC_FLUSH", "SYNC_FLUSH"];
var NAME = { kind: "string", pattern: /^[A-Za-z0-9_-]{1,127}$/, expected: "letters, digits, - and _" };
var BROKER_KEYS = {
  // ── identity (decided by the topology) ────────────────────────────────────────────────────
  brokerClusterName: key(B, NAME, "DefaultCluster", "cluster the broker registers under", { managedBy: "cluster" }),
  brokerName: key(B, NAME, null, "broker group name; master and slaves share it", { managedBy: "brokers[].name", required: true }),
  brokerId: key(B, long(0), 0, "0 = master, > 0 = slave", { managedBy: "the node\u2019s position in brokers[].slaves" }),
  brokerRole: key(S, { kind: "enum", values: BROKER_ROLES }, "ASYNC_MASTER", "ASYNC_MASTER, SYNC_MASTER (acks wait for a slave) or SLAVE", { managedBy: "mode" }),
  namesrvAddr: key(B, { kind: "hostPortList" }, null, "NameServers to register with, host:port;host:port", { managedBy: "nameservers" }),
  // ── network ────────────────────────────────────────────────────────────────────────────────
  brokerIP1: key(B, { kind: "ipv4" }, null, "address advertised to clients (RocketMQ guesses a local address when unset)", { managedBy: "brokerIP1 of the node" }),
  brokerIP2: key(B, { kind: "ipv4" }, null, "address slaves replicate from (HA); defaults to brokerIP1", { managedBy: "brokerIP1 of the node" }),
  listenPort: key(N, int(3, 65535), 10911, "remoting port; the fast channel is listenPort-2", { managedBy: "port of the node" }),
  haListenPort: key(S, int(0, 65535), 0, "HA replication port; 0 = listenPort+1", { managedBy: "haPort of the node" }),
  haMasterAddress: key(S, { kind: "hostPort" }, null, "slave: master HA address (else learnt from NameServer registration)", { managedBy: "the group\u2019s master" }),
  bindAddress: key(N, { kind: "ipv4" }, "0.0.0.0", "address the remoting servers bind to"),
  serverChannelMaxIdleTimeSeconds: key(N, int(0), 120, "close a client connection idle this long (s)"),
  serverSocketBacklog: key(N, int(1), 1024, "TCP accept backlog"),
  serverSocketSndBufSize: key(N, int(0), 0, "socket send buffer bytes; 0 = OS default"),
  serverSocketRcvBufSize: key(N, int(0), 0, "socket receive buffer bytes; 0 = OS default"),
  // ── store ──────────────────────────────────────────────────────────────────────────────────
  storePathRootDir: key(S, path3, null, "store root (RocketMQ default $HOME/store)", { managedBy: "storeRoot" }),
  storePathCommitLog: key(S, path3, null, "commit log directory; default <storePathRootDir>/commitlog"),
  flushDiskType: key(S, { kind: "enum", values: FLUSH_DISK_TYPES }, "ASYNC_FLUSH", "SYNC_FLUSH: acks wait for fsync (group commit)"),
  mappedFileSizeCommitLog: key(S, int(4096), 1073741824, "commit log file size, bytes"),
  mappedFileSizeConsumeQueue: key(S, int(20), 6e6, "consume queue file size, bytes (multiple of 20)"),
  flushIntervalCommitLog: key(S, int(1), 500, `async flush period, ${MS}`),
  flushCommitLogLeastPages: key(S, int(0), 4, "async flush writes at least this many 4 KiB pages"),
  flushCommitLogThoroughInterval: key(S, int(0), 1e4, `async flush forces a full flush this often, ${MS}`),
  flushIntervalConsumeQueue: key(S, int(1), 1e3, `consume queue flush period, ${MS}`),
  flushConsumeQueueLeastPages: key(S, int(0), 2, "consume queue flush writes at least this many pages"),
  flushConsumeQueueThoroughInterval: key(S, int(0), 6e4, `consume queue full flush period, ${MS}`),
  syncFlushTimeout: key(S, int(1), 5e3, `SYNC_FLUSH: answer FLUSH_DISK_TIMEOUT after this long, ${MS}`),
  maxMessageSize: key(S, int(1, 16 * 1024 * 1024), 4194304, "largest message body accepted, bytes"),
  checkCRCOnRecover: key(S, bool, true, "verify body CRCs when recovering after a crash"),
  messageIndexEnable: key(S, bool, true, "build the key/unique-key index"),
  maxHashSlotNum: key(S, int(1), 5e6, "index file hash slots"),
  maxIndexNum: key(S, int(1), 2e7, "index file entries"),
  messageDelayLevel: key(
    S,
    { kind: "string", pattern: /^\d+[smhd]( \d+[smhd])*$/, expected: "space-separated durations like '1s 5s 1m 2h'" },
    "1s 5s 10s 30s 1m 2m 3m 4m 5m 6m 7m 8m 9m 10m 20m 30m 1h 2h",
    "delay levels 1..N for delayed messages"
  ),
  maxTransferBytesOnMessageInMemory: key(S, int(1), 262144, "pull reply byte cap, data in page cache"),
  maxTransferCountOnMessageInMemory: key(S, int(1), 32, "pull reply message cap, data in page cache"),
  maxTransferBytesOnMessageInDisk: key(S, int(1), 65536, "pull reply byte cap, data on disk"),
  maxTransferCountOnMessageInDisk: key(S, int(1), 8, "pull reply message cap, data on disk"),
  accessMessageInMemoryMaxRatio: key(S, int(0, 100), 40, "percent of memory above which reads count as from disk"),
  // ── retention ──────────────────────────────────────────────────────────────────────────────
  deleteWhen: key(S, { kind: "hours" }, "04", "hours of day when expired files are deleted"),
  fileReservedTime: key(S, int(1), 72, "keep commit log files this many hours"),
  diskMaxUsedSpaceRatio: key(S, int(10, 95), 75, "percent disk use that triggers early deletion"),
  diskSpaceWarningLevelRatio: key(S, int(10, 99), 90, "percent disk use above which writes are refused"),
  diskSpaceCleanForciblyRatio: key(S, int(10, 99), 85, "percent disk use above which files are deleted even if not expired"),
  cleanFileForciblyEnable: key(S, bool, true, "allow deleting unexpired files when the disk is full"),
  cleanResourceInterval: key(S, int(1), 1e4, `how often the clean task runs, ${MS}`),
  deleteCommitLogFilesInterval: key(S, int(0), 100, `pause between two commit log file deletions, ${MS}`),
  deleteConsumeQueueFilesInterval: key(S, int(0), 100, `pause between two consume queue file deletions, ${MS}`),
  destroyMapedFileIntervalForcibly: key(S, int(0), 12e4, `force-release a file still referenced after this long, ${MS}`),
  // ── replication ────────────────────────────────────────────────────────────────────────────
  slaveTimeout: key(S, int(1), 3e3, `SYNC_MASTER: answer FLUSH_SLAVE_TIMEOUT after this long, ${MS}`),
  haSendHeartbeatInterval: key(S, int(1), 5e3, `slave heartbeat period on the HA connection, ${MS}`),
  haHousekeepingInterval: key(S, int(1), 2e4, `drop a silent HA connection after this long, ${MS}`),
  haTransferBatchSize: key(S, int(1024), 32768, "largest HA transfer chunk, bytes"),
  haSlaveFallbehindMax: key(S, int(0), 268435456, "SYNC_MASTER (4.x): a slave further behind is not waited for, bytes"),
  haMaxGapNotInSync: key(S, int(0), 268435456, "a slave within this many bytes counts as in sync"),
  totalReplicas: key(S, int(1), 1, "replicas in the group, master included"),
  inSyncReplicas: key(S, int(1), 1, "SYNC_MASTER: acks needed, master included (2 = master + one slave)"),
  minInSyncReplicas: key(S, int(1), 1, "floor for inSyncReplicas when enableAutoInSyncReplicas"),
  enableAutoInSyncReplicas: key(S, bool, false, "lower inSyncReplicas while slaves are missing (weakens SYNC_MASTER)"),
  slaveReadEnable: key(B, bool, false, "let consumers read from slaves when the master is busy"),
  // ── broker behaviour ───────────────────────────────────────────────────────────────────────
  brokerPermission: key(B, { kind: "int", oneOf: [2, 4, 6] }, 6, "6 read+write, 4 read-only, 2 write-only"),
  defaultTopicQueueNums: key(B, int(1, 1024), 8, "queues of an auto-created topic (at most)"),
  autoCreateTopicEnable: key(B, bool, true, "create topics on first send (through TBW102)"),
  autoCreateSubscriptionGroup: key(B, bool, true, "create consumer groups on first use"),
  enablePropertyFilter: key(B, bool, false, "allow SQL92 property filters in subscriptions (MessageSelector.bySql)"),
  clusterTopicEnable: key(B, bool, true, "register a topic named after the cluster"),
  brokerTopicEnable: key(B, bool, true, "register a topic named after the broker"),
  traceTopicEnable: key(B, bool, false, "create the message trace topic"),
  msgTraceTopicName: key(B, NAME, "RMQ_SYS_TRACE_TOPIC", "message trace topic"),
  registerNameServerPeriod: key(B, int(1e4, 6e4), 3e4, `full registration with every NameServer this often, ${MS}`),
  registerBrokerTimeoutMills: key(B, int(1), 24e3, `registration RPC timeout, ${MS}`),
  brokerHeartbeatIntervalMillis: key(OURS, int(100, 6e4), 1e3, `keep-alive to every NameServer between full registrations, ${MS}`),
  flushConsumerOffsetInterval: key(B, int(100), 5e3, `persist consumer offsets this often, ${MS}`),
  flushDelayOffsetInterval: key(S, int(100), 1e4, `persist delayed-delivery offsets this often, ${MS}`),
  longPollingEnable: key(B, bool, true, "hold pulls until messages arrive (long polling)"),
  shortPollingTimeMills: key(B, long(1), 1e3, `hold time of a pull without long polling, ${MS}`),
  notifyConsumerIdsChangedEnable: key(B, bool, true, "tell consumers to rebalance when group membership changes"),
  channelExpiredTimeout: key(B, long(1e3), 12e4, `drop a client silent this long, ${MS}`),
  rejectTransactionMessage: key(B, bool, false, "refuse transactional (half) messages"),
  transactionTimeOut: key(B, long(1), 6e3, `check a half message older than this, ${MS}`),
  transactionCheckMax: key(B, int(1), 15, "give up a half message after this many checks"),
  transactionCheckInterval: key(B, long(1), 3e4, `transaction check period, ${MS}`),
  // ── access control (ACL 1.0) ───────────────────────────────────────────────────────────────
  aclEnable: key(B, bool, false, "check every request against aclFile (RocketMQ ACL 1.0: signature, then permissions)", { managedBy: "acl" }),
  aclFile: key(OURS, path3, null, "ACL file in the plain_acl.yml shape; required when aclEnable or aclAccessKey is set; re-read when it changes", { managedBy: "acl" }),
  haAllowedAddresses: key(OURS, { kind: "string", pattern: /^[0-9A-Fa-f.:*,{} -]+$/, expected: "a RocketMQ address pattern (10.0.0.5, 10.0.0.{5,6}, 10.0.1.*, 10.0.1.10-20, a,b, fd00::5, fd00::*, fd00::10-ff)" }, null, "only these addresses may connect to the HA port (its wire has no authentication); unset = any"),
  // ── transport security (RocketMQ TlsSystemConfig names) ───────────────────────────────────
  ...TLS_KEYS,
  aclAccessKey: key(OURS, { kind: "string", pattern: /^[\x21-\x7e]{6,}$/, expected: "an accessKey of aclFile" }, null, "account of aclFile the broker signs its own requests with (NameServer registration, slave sync)", { managedBy: "acl.admin" })
};
function fastListenPort(listenPort) {
  return listenPort - 2;
}

// src/topology/model.ts
import path5 from "node:path";

// src/topology/layout.ts
import path4 from "node:path";
function hostLayout(root, cluster, storeRoot) {
  const at = (...p) => path4.posix.join(root, ...p);
  return {
    root,
    releasesDir: at("opt/rmqctl/releases"),
    currentLink: at("opt/rmqctl/current"),
    nodeBinary: at("opt/rmqctl/bin/node"),
    configDir: at("etc/rmqctl", cluster),
    unitDir: at("etc/systemd/system"),
    logDir: at("var/log/rmqctl", cluster),
    runDir: at("run/rmqctl", cluster),
    storeRoot: storeRoot ?? at("var/lib/rmqctl", cluster)
  };
}
function unitName(cluster, nodeId) {
  return `rmq-${cluster}-${nodeId}.service`;
}
var SERVICE_USER = "rmq";

// src/topology/modes.ts
var NAMED = {
  "single-master": { masters: 1, atLeast: false, slavesPerMaster: 0, replication: "async", masterRole: "ASYNC_MASTER" },
  "multi-master": { masters: 2, atLeast: true, slavesPerMaster: 0, replication: "async", masterRole: "ASYNC_MASTER" },
  "2m-2s-async": { masters: 2, atLeast: false, slavesPerMaster: 1, replication: "async", masterRole: "ASYNC_MASTER" },
  "2m-2s-sync": { masters: 2, atLeast: false, slavesPerMaster: 1, replication: "sync", masterRole: "SYNC_MASTER" }
};
function modeShape(mode) {
  if (typeof mode === "string") return { label: mode, ...NAMED[mode] };
  const { masters, slavesPerMaster, replication } = mode;
  return {
    label: `${masters}m-${masters * slavesPerMaster}s-${slavesPerMaster === 0 ? "noslave" : replication}`,
    masters,
    atLeast: false,
    slavesPerMaster,
    replication,
    masterRole: replication === "sync" ? "SYNC_MASTER" : "ASYNC_MASTER"
  };
}
function modeBrokerDefaults(shape, groupSize) {
  if (shape.replication !== "sync" || groupSize < 2) return {};
  return { totalReplicas: String(groupSize), inSyncReplicas: "2" };
}

// src/node-config/namesrv-keys.ts
var NAMESRV_KEYS = {
  listenPort: { spec: { kind: "int", min: 1, max: 65535 }, default: 9876, origin: "NettyServerConfig", description: "remoting port", managedBy: "port of the NameServer" },
  kvConfigPath: { spec: { kind: "path" }, default: null, origin: "NamesrvConfig", description: "KV config file; default <store dir>/kvConfig.json", managedBy: "storeRoot" },
  scanNotActiveBrokerInterval: { spec: { kind: "int", min: 100, max: 6e5 }, default: 5e3, origin: "NamesrvConfig", description: "how often silent brokers are looked for, ms" },
  brokerExpiryMillis: { spec: { kind: "int", min: 1e3, max: 6e5 }, default: 12e4, origin: "rmqd", description: "drop a broker silent for this long, ms" },
  orderMessageEnable: { spec: { kind: "bool" }, default: false, origin: "NamesrvConfig", description: "serve ORDER_TOPIC_CONFIG from the KV store in routes" },
  aclEnable: { spec: { kind: "bool" }, default: false, origin: "rmqd", description: "check every request against aclFile (RocketMQ ACL 1.0)", managedBy: "acl" },
  aclFile: { spec: { kind: "path" }, default: null, origin: "rmqd", description: "ACL file in the plain_acl.yml shape; required when aclEnable; re-read when it changes", managedBy: "acl" },
  ...TLS_SERVER_KEYS
};

// src/node-config/node-flags.ts
var RUNTIME_NODE_FLAGS = {
  broker: ["--initial-old-space-size=256"],
  namesrv: []
};

// src/topology/model.ts
var LOOPBACK = "127.0.0.1";
function hostAddress(h) {
  return h.address ?? LOOPBACK;
}
function brokerOverrideLayers(t, groupIndex, nodePath) {
  const group = t.brokers[groupIndex];
  const node = nodeAt(t, nodePath);
  const layers = [];
  if (t.overrides?.broker) layers.push({ source: ["overrides", "broker"], values: t.overrides.broker });
  if (group?.overrides) layers.push({ source: ["brokers", groupIndex, "overrides"], values: group.overrides });
  if (node?.overrides) layers.push({ source: [...nodePath, "overrides"], values: node.overrides });
  return layers;
}
function nodeAt(t, p) {
  const g = t.brokers[p[1]];
  if (!g) return void 0;
  return p[2] === "master" ? g.master : g.slaves[p[3]];
}
function brokerNodeSpecs(t) {
  const masters = t.brokers.map((g, gi) => ({ id: `${g.name}-0`, groupIndex: gi, brokerId: 0, path: ["brokers", gi, "master"], spec: g.master }));
  const slaves = t.brokers.flatMap(
    (g, gi) => g.slaves.map((s, si) => ({ id: `${g.name}-${si + 1}`, groupIndex: gi, brokerId: si + 1, path: ["brokers", gi, "slaves", si], spec: s }))
  );
  return [...masters, ...slaves];
}
function canonical(registry, key2, v) {
  const spec = registry[key2];
  if (!spec) throw new Error(`unvalidated override key ${key2}`);
  const r = coerceValue(spec.spec, v);
  if (!r.ok) throw new Error(`unvalidated override value for ${key2}: ${r.problem}`);
  return r.text;
}
function applyLayers(props, registry, layers) {
  for (const layer of layers) {
    for (const key2 of Object.keys(layer.values).sort()) {
      props.set(key2, { key: key2, value: canonical(registry, key2, layer.values[key2]), source: formatPath(layer.source) });
    }
  }
}
function buildClusterModel(t, opts) {
  const shape = modeShape(t.mode);
  const hostSpecs = new Map(t.hosts.map((h) => [h.name, h]));
  const layouts = new Map(t.hosts.map((h) => [h.name, hostLayout(h.transport === "local" ? opts.stateDir : "/", t.cluster, h.transport === "local" && !t.storeRoot ? void 0 : t.storeRoot)]));
  const hostOf = (name) => {
    const h = hostSpecs.get(name);
    const l = layouts.get(name);
    if (!h || !l) throw new Error(`unvalidated topology: unknown host ${name}`);
    return { spec: h, layout: l };
  };
  const tlsPaths = (hostName) => {
    if (!t.tls) return null;
    const dir = hostOf(hostName).layout.configDir;
    return { caPath: path5.posix.join(dir, "tls-ca.pem"), certPath: path5.posix.join(dir, "tls-cert.pem"), keyPath: path5.posix.join(dir, "tls-key.pem") };
  };
  const setTls = (set, hostName, outgoing) => {
    const p = tlsPaths(hostName);
    if (!t.tls || !p) return;
    set("tls.server.mode", t.tls.mode, "tls");
    set("tls.server.certPath", p.certPath, "tls");
    set("tls.server.keyPath", p.keyPath, "tls");
    set("tls.server.need.client.auth", t.tls.clientAuth, "tls");
    set("tls.server.trustCertPath", p.caPath, "tls");
    if (!outgoing) return;
    set("tls.enable", "true", "tls");
    set("tls.client.trustCertPath", p.caPath, "tls");
    if (t.tls.mode === "permissive") set("tls.client.plainFallback", "true", "tls");
    if (t.tls.clientAuth !== "none") {
      set("tls.client.certPath", p.certPath, "tls");
      set("tls.client.keyPath", p.keyPath, "tls");
    }
  };
  const common = (id, hostName, kind) => {
    const { layout } = hostOf(hostName);
    const configPath = path5.posix.join(layout.configDir, `${id}.properties`);
    const storeDir = path5.posix.join(layout.storeRoot, id);
    return {
      id,
      host: hostName,
      configPath,
      aclPath: t.acl ? path5.posix.join(layout.configDir, `${id}.acl.yml`) : null,
      storeDir,
      unitName: unitName(t.cluster, id),
      unitPath: path5.posix.join(layout.unitDir, unitName(t.cluster, id)),
      logPath: path5.posix.join(layout.logDir, `${id}.log`),
      pidPath: path5.posix.join(layout.runDir, `${id}.pid`),
      command: [layout.nodeBinary, ...RUNTIME_NODE_FLAGS[kind], path5.posix.join(layout.currentLink, "rmqd.js"), kind, "-c", configPath]
    };
  };
  const nameservers = t.nameservers.map((ns, i) => {
    const id = `namesrv-${i + 1}`;
    const c = common(id, ns.host, "namesrv");
    const props = /* @__PURE__ */ new Map();
    const set = (key2, value, source) => props.set(key2, { key: key2, value, source });
    set("listenPort", String(ns.port), "topology");
    set("kvConfigPath", path5.posix.join(c.storeDir, "kvConfig.json"), "topology");
    for (const k of ["scanNotActiveBrokerInterval", "brokerExpiryMillis", "orderMessageEnable"]) set(k, String(NAMESRV_KEYS[k].default), "default");
    if (t.acl && c.aclPath) {
      set("aclEnable", String(t.acl.enabled), "acl");
      set("aclFile", c.aclPath, "acl");
    }
    setTls(set, ns.host, false);
    const layers = [];
    if (t.overrides?.namesrv) layers.push({ source: ["overrides", "namesrv"], values: t.overrides.namesrv });
    if (ns.overrides) layers.push({ source: ["nameservers", i, "overrides"], values: ns.overrides });
    applyLayers(props, NAMESRV_KEYS, layers);
    return {
      ...c,
      kind: "namesrv",
      role: "namesrv",
      phase: 0,
      index: i + 1,
      address: hostAddress(hostOf(ns.host).spec),
      listenPort: ns.port,
      ports: [{ port: ns.port, purpose: "listen" }],
      writablePaths: [c.storeDir],
      properties: [...props.values()]
    };
  });
  const namesrvAddr = nameservers.map((n) => `${n.address}:${n.listenPort}`).join(";");
  const specs = brokerNodeSpecs(t);
  const brokerIP = (s) => s.brokerIP1 ?? hostAddress(hostOf(s.host).spec);
  const haPeers = (slaves) => [...new Set(slaves.map((s) => hostAddress(hostOf(s.host).spec)).map((a, i) => isIPv4(a) ? a : brokerIP(slaves[i])))].join(",");
  const brokers = specs.map(({ id, groupIndex, brokerId, path: nodePath, spec }) => {
    const group = t.brokers[groupIndex];
    if (!group) throw new Error("unreachable: group index");
    const c = common(id, spec.host, "broker");
    const isMaster = brokerId === 0;
    const role = isMaster ? shape.masterRole : "SLAVE";
    const haPort = spec.haPort ?? spec.port + 1;
    const ip = brokerIP(spec);
    const props = /* @__PURE__ */ new Map();
    const set = (key2, value, source) => props.set(key2, { key: key2, value, source });
    set("brokerClusterName", t.cluster, "topology");
    set("brokerName", group.name, "topology");
    set("brokerId", String(brokerId), "topology");
    set("brokerRole", role, `mode ${shape.label}`);
    set("namesrvAddr", namesrvAddr, "topology");
    set("brokerIP1", ip, "topology");
    set("brokerIP2", ip, "topology");
    set("listenPort", String(spec.port), "topology");
    set("haListenPort", String(haPort), "topology");
    if (!isMaster) set("haMasterAddress", `${brokerIP(group.master)}:${group.master.haPort ?? group.master.port + 1}`, "topology");
    set("storePathRootDir", c.storeDir, "topology");
    set("storePathCommitLog", path5.posix.join(c.storeDir, "commitlog"), "topology");
    set("flushDiskType", t.flush === "sync" ? "SYNC_FLUSH" : "ASYNC_FLUSH", "flush");
    set("deleteWhen", canonical(BROKER_KEYS, "deleteWhen", t.retention.deleteWhen), "retention");
    set("fileReservedTime", String(t.retention.fileReservedTime), "retention");
    for (const [k, v] of Object.entries(modeBrokerDefaults(shape, 1 + group.slaves.length))) set(k, v, `mode ${shape.label}`);
    if (t.acl && c.aclPath) {
      set("aclEnable", String(t.acl.enabled), "acl");
      set("aclFile", c.aclPath, "acl");
      set("aclAccessKey", t.acl.admin.accessKey, "acl");
    }
    if (isMaster && group.slaves.length > 0) set("haAllowedAddresses", haPeers(group.slaves), "topology");
    setTls(set, spec.host, true);
    applyLayers(props, BROKER_KEYS, brokerOverrideLayers(t, groupIndex, nodePath));
    const commitLog = props.get("storePathCommitLog")?.value ?? "";
    return {
      ...c,
      kind: "broker",
      role: isMaster ? "master" : "slave",
      phase: isMaster ? 1 : 2,
      address: ip,
      brokerName: group.name,
      brokerId,
      brokerRole: role,
      listenPort: spec.port,
      fastPort: fastListenPort(spec.port),
      haPort,
      brokerIP1: ip,
      masterId: isMaster ? null : `${group.name}-0`,
      ports: [
        { port: fastListenPort(spec.port), purpose: "fast channel" },
        { port: spec.port, purpose: "listen" },
        { port: haPort, purpose: "HA" }
      ],
      writablePaths: commitLog.startsWith(`${c.storeDir}/`) ? [c.storeDir] : [c.storeDir, commitLog],
      properties: [...props.values()]
    };
  });
  const nodes = [...nameservers, ...brokers];
  const hosts = t.hosts.map((h) => {
    const local = h.transport === "local";
    return {
      name: h.name,
      transport: h.transport,
      address: hostAddress(h),
      supervisor: local ? "process" : h.supervisor ?? "systemd",
      ssh: local ? null : { user: h.ssh?.user ?? "root", port: h.ssh?.port ?? 22, ...pick(h.ssh, ["identityFile", "knownHosts", "jumpHost"]) },
      serviceUser: local ? null : SERVICE_USER,
      layout: hostOf(h.name).layout,
      nodeIds: nodes.filter((n) => n.host === h.name).map((n) => n.id),
      tls: nodes.some((n) => n.host === h.name) ? tlsPaths(h.name) : null
    };
  });
  return {
    cluster: t.cluster,
    mode: shape,
    flush: t.flush,
    logLevel: t.logLevel,
    stateDir: opts.stateDir,
    namesrvAddr,
    hosts,
    groups: t.brokers.map((g) => ({ name: g.name, masterId: `${g.name}-0`, slaveIds: g.slaves.map((_, i) => `${g.name}-${i + 1}`), masterRole: shape.masterRole })),
    nodes,
    acl: t.acl ?? null,
    tls: t.tls ?? null
  };
}
function pick(o, keys) {
  const out = {};
  if (!o) return out;
  for (const k of keys) if (o[k] !== void 0) out[k] = o[k];
  return out;
}

// src/topology/validate.ts
var isLoopback = (addr) => addr === "localhost" || /^127\./.test(addr);
var plural = (n, what) => `${n} ${what}${n === 1 ? "" : "s"}`;
function validateTopology(t, raw) {
  const out = [];
  const add = (path7, message, at) => out.push({ path: path7, message, at });
  const hosts = /* @__PURE__ */ new Map();
  let localHost;
  t.hosts.forEach((h, i) => {
    const p = ["hosts", i];
    const first = hosts.get(h.name);
    if (first) add([...p, "name"], `host name ${JSON.stringify(h.name)} is already used by hosts[${first.index}] (expected unique host names)`);
    else hosts.set(h.name, { spec: h, index: i });
    if (h.transport === "local") {
      if (localHost !== void 0) add([...p, "transport"], `host ${JSON.stringify(localHost)} is already the local host (expected at most one host with transport: local)`);
      localHost ??= h.name;
      if (h.supervisor === "systemd") add([...p, "supervisor"], "a local host runs its processes without systemd (expected process, or leave it out)");
      if (h.ssh) add([...p, "ssh"], "a local host is not reached over SSH (expected no ssh settings, or transport: ssh)", "key");
    } else if (h.address === void 0) {
      add(p, "missing address (expected the IPv4 address or DNS name to reach this host over SSH)");
    }
  });
  const hostNames = [...hosts.keys()];
  t.hosts.forEach((h, i) => {
    const jump = h.ssh?.jumpHost;
    if (jump === void 0) return;
    const p = ["hosts", i, "ssh", "jumpHost"];
    const target = hosts.get(jump);
    if (!target) add(p, unknownHost(jump, hostNames));
    else if (jump === h.name) add(p, `${JSON.stringify(jump)} is this host itself (expected another host)`);
    else if (target.spec.transport !== "ssh") add(p, `${JSON.stringify(jump)} is a local host (expected an ssh host)`);
    else {
      const seen = /* @__PURE__ */ new Set([h.name]);
      for (let cur = jump; cur !== void 0; cur = hosts.get(cur)?.spec.ssh?.jumpHost) {
        if (seen.has(cur)) {
          add(p, `jump hosts form a loop through ${JSON.stringify(cur)} (expected a chain that ends)`);
          break;
        }
        seen.add(cur);
      }
    }
  });
  const shape = modeShape(t.mode);
  const g = t.brokers.length;
  if (shape.atLeast ? g < shape.masters : g !== shape.masters) {
    add(["brokers"], `mode ${shape.label} needs ${shape.atLeast ? "at least" : "exactly"} ${plural(shape.masters, "broker group")}, found ${g} (expected ${shape.atLeast ? "more groups" : "a matching number of groups, or another mode"})`);
  }
  t.brokers.forEach((grp, i) => {
    if (grp.slaves.length !== shape.slavesPerMaster) {
      const p = raw.brokers?.[i]?.slaves === void 0 ? ["brokers", i] : ["brokers", i, "slaves"];
      add(p, `mode ${shape.label} needs ${plural(shape.slavesPerMaster, "slave")} per group, found ${grp.slaves.length} (expected ${shape.slavesPerMaster})`);
    }
  });
  if (typeof t.mode === "object" && t.mode.replication === "sync" && t.mode.slavesPerMaster === 0) {
    add(["mode", "replication"], "sync replication needs a slave to wait for (expected slavesPerMaster >= 1, or replication: async)");
  }
  const groupNames = /* @__PURE__ */ new Map();
  t.brokers.forEach((grp, i) => {
    const first = groupNames.get(grp.name);
    if (first !== void 0) add(["brokers", i, "name"], `broker group name ${JSON.stringify(grp.name)} is already used by brokers[${first}] (expected unique names)`);
    else groupNames.set(grp.name, i);
  });
  const nodeIds = /* @__PURE__ */ new Map();
  t.nameservers.forEach((_, i) => nodeIds.set(`namesrv-${i + 1}`, ["nameservers", i]));
  const brokers = brokerNodeSpecs(t);
  for (const b of brokers) {
    const first = nodeIds.get(b.id);
    const duplicateGroup = groupNames.get(t.brokers[b.groupIndex]?.name ?? "") !== b.groupIndex;
    if (first && !duplicateGroup) {
      add(["brokers", b.groupIndex, "name"], `node id ${b.id} would clash with ${formatPath(first)} (expected a group name that does not make ids like namesrv-<n>)`);
    }
    nodeIds.set(b.id, b.path);
  }
  const refs = [
    ...t.nameservers.map((n, i) => ({ path: ["nameservers", i, "host"], host: n.host })),
    ...brokers.map((b) => ({ path: [...b.path, "host"], host: b.spec.host }))
  ];
  for (const r of refs) if (!hosts.has(r.host)) add(r.path, unknownHost(r.host, hostNames));
  const checkOverrides = (p, values, registry, what) => {
    if (!values) return;
    for (const [key2, value] of Object.entries(values)) {
      const k = registry[key2];
      if (!k) {
        const hint = didYouMean(key2, Object.keys(registry));
        add([...p, key2], `unknown ${what} key${hint ? ` (did you mean ${hint}?)` : ` (expected a key from the ${what} key registry)`}`, "key");
      } else if (k.managedBy) {
        add([...p, key2], `${key2} is set by the topology (expected it through ${k.managedBy}, not an override)`, "key");
      } else if (t.tls && key2.startsWith("tls.")) {
        add([...p, key2], `${key2} is set by the topology's tls section (expected no tls.* override when the topology has tls)`, "key");
      } else {
        const r = coerceValue(k.spec, value);
        if (!r.ok) add([...p, key2], r.problem);
      }
    }
  };
  checkOverrides(["overrides", "broker"], t.overrides?.broker, BROKER_KEYS, "broker.properties");
  checkOverrides(["overrides", "namesrv"], t.overrides?.namesrv, NAMESRV_KEYS, "namesrv.properties");
  t.nameservers.forEach((n, i) => checkOverrides(["nameservers", i, "overrides"], n.overrides, NAMESRV_KEYS, "namesrv.properties"));
  t.brokers.forEach((grp, i) => checkOverrides(["brokers", i, "overrides"], grp.overrides, BROKER_KEYS, "broker.properties"));
  for (const b of brokers) checkOverrides([...b.path, "overrides"], b.spec.overrides, BROKER_KEYS, "broker.properties");
  const deleteWhen = coerceValue(BROKER_KEYS.deleteWhen.spec, t.retention.deleteWhen);
  if (!deleteWhen.ok) add(["retention", "deleteWhen"], deleteWhen.problem);
  for (const b of brokers) {
    const grp = t.brokers[b.groupIndex];
    if (!grp || b.brokerId !== 0) continue;
    for (const layer of brokerOverrideLayers(t, b.groupIndex, b.path).reverse()) {
      const v = layer.values.inSyncReplicas;
      if (v === void 0) continue;
      if (!coerceValue(BROKER_KEYS.inSyncReplicas.spec, v).ok) break;
      const size = 1 + grp.slaves.length;
      if (Number(v) > size) add([...layer.source, "inSyncReplicas"], `${v} replicas cannot be in sync in group ${grp.name} of ${plural(size, "node")} (expected at most ${size})`);
      break;
    }
  }
  const addrOf = (hostName) => {
    const h = hosts.get(hostName)?.spec;
    return h ? hostAddress(h) : "127.0.0.1";
  };
  for (const b of brokers) {
    if (b.spec.brokerIP1 !== void 0) continue;
    const a = addrOf(b.spec.host);
    if (!isIPv4(a)) add([...b.path, "host"], `host ${JSON.stringify(b.spec.host)} has the DNS name ${JSON.stringify(a)}; clients need the broker's IP (expected brokerIP1: <IPv4 address> on this node)`);
  }
  const machineOf = (hostName) => machineOfHost(hosts.get(hostName)?.spec, hostName);
  for (const b of brokers) {
    t.nameservers.forEach((ns, i) => {
      const a = addrOf(ns.host);
      if (isLoopback(a) && machineOf(ns.host) !== machineOf(b.spec.host)) {
        add(["nameservers", i, "host"], `brokers on host ${JSON.stringify(b.spec.host)} would reach this NameServer at ${a}, their own loopback (expected host ${JSON.stringify(ns.host)} to have an address reachable from ${JSON.stringify(b.spec.host)})`);
      }
    });
    const grp = t.brokers[b.groupIndex];
    if (b.brokerId > 0 && grp) {
      const masterIP = grp.master.brokerIP1 ?? addrOf(grp.master.host);
      if (isLoopback(masterIP) && machineOf(grp.master.host) !== machineOf(b.spec.host)) {
        add([...b.path, "host"], `this slave would replicate from its master at ${masterIP}, its own loopback (expected the master ${grp.name}-0 to advertise an address reachable from ${JSON.stringify(b.spec.host)})`);
      }
    }
  }
  if (t.acl) {
    const keys = /* @__PURE__ */ new Map([[t.acl.admin.accessKey, ["acl", "admin", "accessKey"]]]);
    t.acl.accounts.forEach((acc, i) => {
      const first = keys.get(acc.accessKey);
      if (first) add(["acl", "accounts", i, "accessKey"], `accessKey ${JSON.stringify(acc.accessKey)} is already used by ${formatPath(first)} (expected unique access keys)`);
      else keys.set(acc.accessKey, ["acl", "accounts", i, "accessKey"]);
      if (acc.whiteRemoteAddress) addressProblem(acc.whiteRemoteAddress, ["acl", "accounts", i, "whiteRemoteAddress"]);
      for (const kind of ["topicPerms", "groupPerms"]) {
        const seen = /* @__PURE__ */ new Set();
        acc[kind]?.forEach((entry, j) => {
          const name = entry.slice(0, entry.indexOf("=")).trim();
          if (seen.has(name)) add(["acl", "accounts", i, kind, j], `${JSON.stringify(name)} is listed twice (expected one permission per name)`);
          seen.add(name);
        });
      }
    });
    t.acl.globalWhiteRemoteAddresses?.forEach((a, i) => addressProblem(a, ["acl", "globalWhiteRemoteAddresses", i]));
  }
  if (t.tls) {
    const tlsSpec = t.tls;
    if (tlsSpec.cert === void 0 !== (tlsSpec.key === void 0)) {
      add(["tls", tlsSpec.cert === void 0 ? "key" : "cert"], `${tlsSpec.cert === void 0 ? "a key without a cert" : "a cert without a key"} (expected tls.cert and tls.key together)`);
    }
    for (const name of Object.keys(tlsSpec.hosts ?? {})) if (!hosts.has(name)) add(["tls", "hosts", name], unknownHost(name, hostNames), "key");
    const withNodes = new Set(refs.map((r) => r.host));
    if (tlsSpec.cert === void 0) {
      for (const name of hostNames) {
        if (withNodes.has(name) && tlsSpec.hosts?.[name] === void 0) {
          add(["tls"], `host ${JSON.stringify(name)} runs nodes but has no certificate (expected tls.hosts.${name}: { cert, key }, or tls.cert and tls.key for every host)`);
        }
      }
    }
  }
  function addressProblem(pattern, path7) {
    try {
      compileAddressPattern(pattern);
    } catch (e) {
      add(path7, `${e.message} (expected a RocketMQ address pattern: 10.0.0.5, 10.0.0.{5,6}, 10.0.1.*, 10.0.1.10-20, fd00::1, fd00::*, fd00::10-ff, *)`);
    }
  }
  const claims = [];
  t.nameservers.forEach((ns, i) => {
    const p = raw.nameservers?.[i]?.port === void 0 ? ["nameservers", i] : ["nameservers", i, "port"];
    if (ns.port < 1024) add(p, `port ${ns.port} needs root to bind; the service runs unprivileged (expected 1024-65535)`);
    claims.push({ machine: machineOf(ns.host), port: ns.port, purpose: "listen", owner: `namesrv-${i + 1}`, path: p });
  });
  for (const b of brokers) {
    const rawNode = rawAt(raw, b.path);
    const portPath = rawNode?.port === void 0 ? b.path : [...b.path, "port"];
    const haPath = rawNode?.haPort === void 0 ? portPath : [...b.path, "haPort"];
    const port2 = b.spec.port;
    const ha = b.spec.haPort ?? port2 + 1;
    const machine = machineOf(b.spec.host);
    if (port2 - 2 < 1024) {
      add(portPath, `port ${port2} puts the fast channel (port-2) at ${port2 - 2}, which needs root to bind (expected 1026-65535)`);
      continue;
    }
    if (ha > 65535) {
      add(haPath, `the HA port defaults to port+1 = ${ha}, out of range (expected port <= 65534, or an explicit haPort)`);
      continue;
    }
    if (ha < 1024) add(haPath, `HA port ${ha} needs root to bind (expected 1024-65535)`);
    claims.push({ machine, port: port2 - 2, purpose: "fast channel (port-2)", owner: b.id, path: portPath });
    claims.push({ machine, port: port2, purpose: "listen", owner: b.id, path: portPath });
    claims.push({ machine, port: ha, purpose: b.spec.haPort === void 0 ? "HA (port+1)" : "HA", owner: b.id, path: haPath });
  }
  const taken = /* @__PURE__ */ new Map();
  for (const c of claims) {
    const k = `${c.machine}\0${c.port}`;
    const prev = taken.get(k);
    if (prev) {
      const where = c.machine === "this machine" ? "on this machine" : `on ${c.machine}`;
      const whose = prev.owner === c.owner ? "its own" : `${prev.owner}'s`;
      add(c.path, `${c.owner}'s ${c.purpose} port ${c.port} is already ${whose} ${prev.purpose} port ${where} (expected distinct ports; a broker takes port-2, port and port+1)`);
    } else taken.set(k, c);
  }
  const storeRoot = t.storeRoot ?? `/var/lib/rmqctl/${t.cluster}`;
  const dirs = [];
  t.nameservers.forEach((ns, i) => dirs.push({ machine: machineOf(ns.host), dir: path6.posix.join(storeRoot, `namesrv-${i + 1}`), owner: `namesrv-${i + 1}`, path: ["nameservers", i] }));
  for (const b of brokers) {
    const machine = machineOf(b.spec.host);
    dirs.push({ machine, dir: path6.posix.join(storeRoot, b.id), owner: b.id, path: b.path });
    const layers = brokerOverrideLayers(t, b.groupIndex, b.path);
    for (const layer of [...layers].reverse()) {
      const v = layer.values.storePathCommitLog;
      if (typeof v === "string" && coerceValue(BROKER_KEYS.storePathCommitLog.spec, v).ok) {
        dirs.push({ machine, dir: v, owner: b.id, path: [...layer.source, "storePathCommitLog"] });
        break;
      }
    }
  }
  const inside = (a, b) => a === b || a.startsWith(`${b}/`) || b.startsWith(`${a}/`);
  for (let i = 0; i < dirs.length; i++) {
    for (let j = 0; j < i; j++) {
      const a = dirs[i];
      const b = dirs[j];
      if (!a || !b || a.owner === b.owner || a.machine !== b.machine || !inside(a.dir, b.dir)) continue;
      add(a.path, `${a.owner} would store in ${a.dir}, which overlaps ${b.owner}'s ${b.dir} on the same machine (expected separate directories)`);
      break;
    }
  }
  return out;
}
function machineOfHost(h, hostName) {
  if (!h || h.transport === "local" || isLoopback(h.address ?? "")) return "this machine";
  return h.address ?? hostName;
}
function topologyWarnings(t) {
  const out = [];
  const hosts = new Map(t.hosts.map((h) => [h.name, h]));
  const machineOf = (name) => machineOfHost(hosts.get(name), name);
  const machines = /* @__PURE__ */ new Set([...t.nameservers.map((n) => machineOf(n.host)), ...brokerNodeSpecs(t).map((b) => machineOf(b.spec.host))]);
  if (machines.size > 1) {
    for (const b of brokerNodeSpecs(t)) {
      const g = t.brokers[b.groupIndex];
      if (b.brokerId > 0 && g && machineOf(b.spec.host) === machineOf(g.master.host)) {
        out.push({ path: [...b.path, "host"], message: `slave ${b.id} runs on the same machine as its master ${g.name}-0: losing that machine loses both (expected another host)` });
      }
    }
    if (t.nameservers.length === 1) out.push({ path: ["nameservers"], message: "a single NameServer: while it is down no client can find a broker (expected two or more on different hosts)" });
  }
  return out;
}
function unknownHost(name, known) {
  const hint = didYouMean(name, known);
  return `unknown host ${JSON.stringify(name)}${hint ? ` (did you mean ${hint}?)` : ` (expected one of: ${known.join(", ")})`}`;
}
function rawAt(raw, p) {
  let v = raw;
  for (const seg of p) {
    if (v === null || typeof v !== "object") return void 0;
    v = v[seg];
  }
  return v !== null && typeof v === "object" ? v : void 0;
}

// src/topology/load.ts
var MAX_TOPOLOGY_BYTES = 1024 * 1024;
function parseTopology(text, file) {
  const lines = new LineCounter3();
  const doc = parseDocument2(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: true, strict: true });
  const source = new SourceMap(file, doc, lines);
  const problems = [];
  const at = (path7, message, which = "value") => ({ file, ...source.locate(path7, which), path: formatPath(path7), message });
  for (const e of doc.errors) problems.push({ file, ...source.at(e.pos[0]), path: "", message: `YAML syntax: ${e.message.split("\n")[0]}` });
  if (problems.length > 0) throw new TopologyError(file, problems);
  let raw;
  try {
    raw = doc.toJS({ maxAliasCount: 100 });
  } catch (e) {
    throw new TopologyError(file, [{ file, line: 1, col: 1, path: "", message: `YAML: ${e.message}` }]);
  }
  if (raw === null || typeof raw !== "object" || Array.isArray(raw)) {
    throw new TopologyError(file, [{ file, line: 1, col: 1, path: "", message: `the file holds ${describeValue(raw)} (expected a map with cluster, mode, hosts, nameservers and brokers)` }]);
  }
  problems.push(...unknownKeys(raw, [], at));
  const parsed = TopologySchema.safeParse(raw);
  if (!parsed.success) {
    for (const issue of parsed.error.issues) problems.push(...issueProblems(issue, [], raw, at));
    throw new TopologyError(file, dedupe(problems));
  }
  for (const p of validateTopology(parsed.data, raw)) problems.push(at(p.path, p.message, p.at));
  if (problems.length > 0) throw new TopologyError(file, dedupe(problems));
  const warnings = topologyWarnings(parsed.data).map((p) => at(p.path, p.message, p.at)).sort(compareProblems);
  return { topology: parsed.data, file, source, warnings };
}
function dedupe(problems) {
  const seen = /* @__PURE__ */ new Set();
  return problems.filter((p) => {
    const k = `${p.line}:${p.col}:${p.path}:${p.message}`;
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}
function valueAt(root, path7) {
  let v = root;
  for (const seg of path7) {
    if (v === null || typeof v !== "object") return void 0;
    v = v[seg];
  }
  return v;
}
function expectation(message) {
  return message.startsWith("expected ") ? message : `expected ${message.replace(/^Invalid input: /, "").replace(/^expected /, "")}`;
}
function issueProblems(issue, prefix, raw, at) {
  const path7 = [...prefix, ...issue.path];
  const value = valueAt(raw, path7);
  const secretAt = path7[0] === "tls" ? path7.indexOf("key") : path7.indexOf("secretKey");
  if (secretAt >= 0) {
    const secretPath = path7.slice(0, secretAt + 1);
    const v = valueAt(raw, secretPath);
    const what = v === void 0 ? "missing" : typeof v === "string" || typeof v === "number" ? "an inline secret (value not shown)" : "not a secret reference";
    return [at(secretPath, `${what} (expected a reference { env: NAME } or { file: path }; secrets are never written in the topology)`)];
  }
  switch (issue.code) {
    case "invalid_union": {
      if (value !== null && typeof value === "object" && !Array.isArray(value)) {
        const branch = issue.errors.find((errs) => !errs.some((e) => e.path.length === 0 && (e.code === "invalid_type" || e.code === "invalid_value")));
        if (branch) return branch.flatMap((e) => issueProblems(e, path7, raw, at));
      }
      break;
    }
    case "custom":
      if (!issue.message.startsWith("expected ")) return [at(path7, `${describeValue(value)} ${issue.message}`)];
      break;
    default:
      break;
  }
  if (value === void 0) return [at(path7, `missing (${expectation(issue.message)})`)];
  return [at(path7, `invalid value ${describeValue(value)} (${expectation(issue.message)})`)];
}
function unknownKeys(value, path7, at) {
  if (Array.isArray(value)) return value.flatMap((v, i) => unknownKeys(v, [...path7, i], at));
  if (value === null || typeof value !== "object") return [];
  const known = knownKeysAt(path7);
  if (known.length === 0) return [];
  return Object.entries(value).flatMap(([k, v]) => {
    if (known.includes(k)) return unknownKeys(v, [...path7, k], at);
    const hint = didYouMean(k, known);
    return [at([...path7, k], hint ? `unknown key (did you mean ${hint}?)` : `unknown key (expected one of: ${known.join(", ")})`, "key")];
  });
}
function knownKeysAt(path7) {
  let s = TopologySchema;
  const unwrap = (t) => {
    for (let i = 0; t && i < 10; i++) {
      const def2 = t._zod.def;
      if (def2.innerType) t = def2.innerType;
      else if (def2.type === "union") t = def2.options?.find((o) => o._zod.def.type === "object");
      else return t;
    }
    return t;
  };
  for (const seg of path7) {
    s = unwrap(s);
    if (!s) return [];
    const def2 = s._zod.def;
    if (def2.type === "object" && typeof seg === "string") s = def2.shape?.[seg];
    else if (def2.type === "array") s = def2.element;
    else return [];
  }
  for (let i = 0; s && i < 10 && s._zod.def.innerType; i++) s = s._zod.def.innerType;
  const union2 = s?._zod.def;
  if (union2?.type === "union" && union2.options) {
    return union2.options.flatMap((o) => {
      const d = o._zod.def;
      return d.type === "object" && d.shape ? Object.keys(d.shape) : [];
    });
  }
  s = unwrap(s);
  const def = s?._zod.def;
  return def?.type === "object" && def.shape ? Object.keys(def.shape) : [];
}

// ../../tmp/chaos-explore/m.ts
var yaml = `
cluster: chaos
mode: 2m-2s-sync
flush: async
hosts:
  - name: h1
    address: 10.77.0.11
    ssh: { user: root }
  - name: h2
    address: 10.77.0.12
    ssh: { user: root }
  - name: h3
    address: 10.77.0.13
    ssh: { user: root }
nameservers:
  - host: h1
    port: 9876
brokers:
  - name: broker-a
    master: { host: h2, port: 10911 }
    slaves: [ { host: h3, port: 10911 } ]
  - name: broker-b
    master: { host: h3, port: 10921 }
    slaves: [ { host: h2, port: 10921 } ]
`;
var { topology } = parseTopology(yaml, "x.yaml");
var m = buildClusterModel(topology, { stateDir: "/tmp/x" });
for (const n of m.nodes) console.log(n.id, n.host, n.address, n.command.join(" "), "\n  ", n.properties.map((p) => `${p.key}=${p.value}`).join("\n   "));

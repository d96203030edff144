/**
 * The handlebars environment for templates/: compiled once, with helpers that escape values for
 * the file they land in. HTML escaping is off (these are not web pages); each helper escapes for
 * its own format instead.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import Handlebars from 'handlebars';
import { templatesDir } from '../paths.js';
import { escapePropertyValue } from '../util/config-registry.js';

export type TemplateName = 'broker.properties' | 'namesrv.properties' | 'rmqd.env' | 'rmq-broker.service' | 'rmq-namesrv.service';

// systemd unit values: `%` starts a specifier and must be doubled; anything beyond plain path
// characters is double-quoted with C escapes (only reachable if validation were bypassed).
function unitWord(value: unknown): string {
  const s = String(value).replace(/%/g, '%%');
  if (/^[A-Za-z0-9._@%+,/:=-]+$/.test(s)) return s;
  if (/[\u0000-\u001f\u007f]/.test(s)) throw new Error(`refusing to write a control character into a unit file: ${JSON.stringify(s)}`);
  return `"${s.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\$/g, '$$$$')}"`;
}

// EnvironmentFile values are plain words here (log levels, names); refuse anything else.
function envValue(value: unknown): string {
  const s = String(value);
  if (!/^[A-Za-z0-9._:/@+,-]*$/.test(s)) throw new Error(`refusing to write ${JSON.stringify(s)} into an environment file`);
  return s;
}

function createEnv(): typeof Handlebars {
  const hb = Handlebars.create();
  hb.registerHelper('prop', (v: unknown) => escapePropertyValue(String(v)));
  hb.registerHelper('unit', (v: unknown) => unitWord(v));
  hb.registerHelper('unitWords', (list: unknown) => (Array.isArray(list) ? list.map(unitWord).join(' ') : unitWord(list)));
  hb.registerHelper('env', (v: unknown) => envValue(v));
  const partials = path.join(templatesDir, 'partials');
  for (const f of readdirSync(partials).sort()) {
    if (f.endsWith('.hbs')) hb.registerPartial(f.slice(0, -'.hbs'.length), readFileSync(path.join(partials, f), 'utf8'));
  }
  return hb;
}

let compiled: Map<TemplateName, Handlebars.TemplateDelegate> | undefined;

/** Renders a template of templates/ with the given context. */
export function renderTemplate(name: TemplateName, context: object): string {
  if (!compiled) {
    const hb = createEnv();
    compiled = new Map();
    for (const n of ['broker.properties', 'namesrv.properties', 'rmqd.env', 'rmq-broker.service', 'rmq-namesrv.service'] as const) {
      compiled.set(n, hb.compile(readFileSync(path.join(templatesDir, `${n}.hbs`), 'utf8'), { noEscape: true, strict: true }));
    }
  }
  const t = compiled.get(name);
  if (!t) throw new Error(`no template ${name}`);
  return t(context);
}

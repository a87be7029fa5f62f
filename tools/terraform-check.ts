/**
 * Offline Terraform check (no terraform binary, no registry): syntax, AWS provider schema and
 * references for every `.tf` file of a directory.
 *
 *   node tools/terraform-check.ts [dir]        (default: terraform/; exit 1 on errors)
 *
 * 1. Syntax: each file is parsed with @cdktf/hcl2json (hashicorp/hcl v2 compiled to WASM); a parse
 *    failure is reported with HCL's own diagnostic.
 * 2. Schema: resource and data-source types, argument and nested-block names, and required
 *    arguments/blocks are checked against the AWS provider schema that @cdktf/provider-aws ships
 *    (21.22.1 = hashicorp/aws 6.25.0). The package stores the schema as generated code: for a type
 *    `aws_<name>` the directory `lib/<name with dashes>/` (data sources: `lib/data-aws-<name>/`) has
 *    `index.d.ts`, whose `…Config` interface lists every argument (its doc link carries the
 *    Terraform name, `?` marks optional, nested blocks are further interfaces), and `index.js`, whose
 *    resource class reads every attribute with `getStringAttribute('name')` & co. The type name is
 *    confirmed through the class's `tfResourceType`. Only the directories in use are read, once per
 *    process (the 130 MB `.jsii` assembly would hold the same data but takes seconds to load).
 * 3. References: every `${…}` expression is broken into references with hcl2json's
 *    `getReferencesInExpression`; `var.x`, `local.x`, `data.t.n`, `module.m`, `t.n` and the first
 *    attribute after `t.n` must be declared (attributes: those the provider type exposes).
 *
 * 4. Formatting, only if the optional package @cdktf/hcl-tools is installed: its `format` is
 *    hclwrite.Format (what `terraform fmt` runs); a file that changes under it gets a warning.
 *
 * Not checked: value types and ranges, conflicting arguments, provider-side validation, contents of
 * `jsonencode(…)`, module internals, nested attribute paths beyond the first.
 */
import { readFileSync, readdirSync, statSync } from "node:fs";
import { createRequire } from "node:module";
import { basename, dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { getReferencesInExpression, parse } from "@cdktf/hcl2json";

export interface Finding {
  severity: "error" | "warning";
  file: string;
  /** Where in the configuration, e.g. `resource.aws_sqs_queue.jobs.redrive_policy`. */
  where: string;
  message: string;
}

export interface CheckResult {
  ok: boolean;
  errors: Finding[];
  warnings: Finding[];
  files: number;
  resources: number;
  dataSources: number;
  references: number;
  /** The merged configuration (hcl2json form) by file, for wiring tests. */
  config: TerraformConfig;
}

// ------------------------------------------------------------------------------------------------
// Provider schema from @cdktf/provider-aws
// ------------------------------------------------------------------------------------------------

export interface ArgSchema {
  required: boolean;
  /** Present for nested blocks / object-typed arguments. */
  nested?: BlockSchema;
}
export interface BlockSchema {
  args: Map<string, ArgSchema>;
}
export interface TypeSchema {
  type: string;
  kind: "resource" | "data";
  block: BlockSchema;
  /** Attribute names that can be referenced (`aws_x.name.<attr>`). */
  attributes: Set<string>;
}

const require = createRequire(import.meta.url);
let providerLib: string | undefined;
function providerLibDir(): string {
  providerLib ??= join(dirname(require.resolve("@cdktf/provider-aws/package.json")), "lib");
  return providerLib;
}

/** The AWS provider version the schema describes (from the generated docs links). */
export function providerSchemaVersion(): string | undefined {
  const text = readFileSync(join(providerLibDir(), "sqs-queue", "index.d.ts"), "utf8");
  return /providers\/hashicorp\/aws\/([\d.]+)\//.exec(text)?.[1];
}

function camelToSnake(s: string): string {
  return s.replace(/[A-Z]/g, (c) => "_" + c.toLowerCase());
}

interface RawProp {
  name: string;
  tfName: string;
  optional: boolean;
  type: string;
}

/** Splits a d.ts file into interfaces and their properties. */
function parseInterfaces(dts: string): Map<string, RawProp[]> {
  const out = new Map<string, RawProp[]>();
  const re = /export interface (\w+)(?: extends [\w.,\s]+)? \{/g;
  let m: RegExpExecArray | null;
  while ((m = re.exec(dts))) {
    let depth = 1;
    let i = re.lastIndex;
    for (; i < dts.length && depth > 0; i++) {
      if (dts[i] === "{") depth++;
      else if (dts[i] === "}") depth--;
    }
    const body = dts.slice(re.lastIndex, i - 1);
    out.set(m[1]!, parseProps(body));
  }
  return out;
}

function parseProps(body: string): RawProp[] {
  const props: RawProp[] = [];
  const re = /(?:\/\*\*([\s\S]*?)\*\/\s*)?readonly (\w+)(\?)?: /g;
  let m: RegExpExecArray | null;
  while ((m = re.exec(body))) {
    // type runs to the first ';' at brace depth 0
    let depth = 0;
    let i = re.lastIndex;
    for (; i < body.length; i++) {
      const c = body[i];
      if (c === "{") depth++;
      else if (c === "}") depth--;
      else if (c === ";" && depth === 0) break;
    }
    const type = body.slice(re.lastIndex, i);
    re.lastIndex = i;
    const doc = m[1] ?? "";
    const link = /\{@link \S+#(\w+) [\w.]+#\w+\}/.exec(doc);
    props.push({ name: m[2]!, tfName: link?.[1] ?? camelToSnake(m[2]!), optional: m[3] === "?", type });
  }
  return props;
}

function buildBlock(
  name: string,
  ifaces: Map<string, RawProp[]>,
  seen: Map<string, BlockSchema>,
): BlockSchema {
  const cached = seen.get(name);
  if (cached) return cached;
  const block: BlockSchema = { args: new Map() };
  seen.set(name, block);
  for (const p of ifaces.get(name) ?? []) {
    const nestedName = [...p.type.matchAll(/\b([A-Z]\w*)\b/g)].map((x) => x[1]!).find((id) => ifaces.has(id));
    block.args.set(p.tfName, {
      required: !p.optional,
      ...(nestedName ? { nested: buildBlock(nestedName, ifaces, seen) } : {}),
    });
  }
  return block;
}

const schemaCache = new Map<string, TypeSchema | null>();

/** Loads (once) the schema of `aws_*` resource or data-source type; undefined if the provider has no such type. */
export function loadTypeSchema(kind: "resource" | "data", type: string): TypeSchema | undefined {
  const key = `${kind}:${type}`;
  if (schemaCache.has(key)) return schemaCache.get(key) ?? undefined;
  let result: TypeSchema | null = null;
  if (/^aws_[a-z0-9_]+$/.test(type)) {
    const dashed = type.slice("aws_".length).replace(/_/g, "-");
    const dirName = join(providerLibDir(), kind === "data" ? `data-aws-${dashed}` : dashed);
    try {
      const js = readFileSync(join(dirName, "index.js"), "utf8");
      const cls = new RegExp(`(\\w+)\\.tfResourceType = "${type}";`).exec(js)?.[1];
      if (cls) {
        const dts = readFileSync(join(dirName, "index.d.ts"), "utf8");
        const ifaces = parseInterfaces(dts);
        const configName = `${cls}Config`;
        if (ifaces.has(configName)) {
          const block = buildBlock(configName, ifaces, new Map());
          const start = js.indexOf(`class ${cls} extends cdktf.`);
          const end = js.indexOf(`exports.${cls} = ${cls};`, start);
          const body = start >= 0 ? js.slice(start, end > start ? end : undefined) : "";
          const attributes = new Set<string>(["id", ...block.args.keys()]);
          for (const a of body.matchAll(/this\.get\w*Attribute\('(\w+)'\)/g)) attributes.add(a[1]!);
          for (const a of body.matchAll(/\(this, "(\w+)"/g)) attributes.add(a[1]!);
          result = { type, kind, block, attributes };
        }
      }
    } catch {
      result = null;
    }
  }
  schemaCache.set(key, result);
  return result ?? undefined;
}

/** The provider block's arguments (`provider "aws" { … }`). */
function providerBlockSchema(): BlockSchema | undefined {
  const key = "provider:aws";
  if (schemaCache.has(key)) return schemaCache.get(key)?.block;
  let result: TypeSchema | null = null;
  try {
    const ifaces = parseInterfaces(readFileSync(join(providerLibDir(), "provider", "index.d.ts"), "utf8"));
    if (ifaces.has("AwsProviderConfig")) {
      const block = buildBlock("AwsProviderConfig", ifaces, new Map());
      block.args.set("alias", { required: false });
      // every argument of the provider block is optional in Terraform (they fall back to the environment)
      for (const a of block.args.values()) a.required = false;
      result = { type: "aws", kind: "resource", block, attributes: new Set() };
    }
  } catch {
    result = null;
  }
  schemaCache.set(key, result);
  return result?.block;
}

// ------------------------------------------------------------------------------------------------
// Configuration loading
// ------------------------------------------------------------------------------------------------

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };
type Obj = { [k: string]: Json };

export interface Declared<T = Obj> {
  file: string;
  body: T;
}
export interface TerraformConfig {
  files: string[];
  resources: Map<string, Declared>; // "type.name"
  data: Map<string, Declared>; // "type.name"
  variables: Map<string, Declared>;
  locals: Map<string, Declared<Json>>;
  outputs: Map<string, Declared>;
  modules: Map<string, Declared>;
  providers: Array<Declared & { name: string }>;
  terraform: Declared[];
}

function isObj(v: Json | undefined): v is Obj {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}
/** hcl2json gives blocks as arrays of objects; attributes holding an object come as a bare object. */
function bodies(v: Json | undefined): Obj[] {
  if (Array.isArray(v)) return v.filter(isObj);
  return isObj(v) ? [v] : [];
}

export async function loadTerraformDir(dir: string, findings: Finding[] = []): Promise<TerraformConfig> {
  const files = readdirSync(dir)
    .filter((f) => f.endsWith(".tf") && statSync(join(dir, f)).isFile())
    .sort();
  const cfg: TerraformConfig = {
    files,
    resources: new Map(),
    data: new Map(),
    variables: new Map(),
    locals: new Map(),
    outputs: new Map(),
    modules: new Map(),
    providers: [],
    terraform: [],
  };
  const err = (file: string, where: string, message: string) =>
    findings.push({ severity: "error", file, where, message });
  const put = <T>(map: Map<string, Declared<T>>, key: string, file: string, body: T, what: string) => {
    const prev = map.get(key);
    if (prev) err(file, `${what}.${key}`, `duplicate ${what} "${key}" (also in ${prev.file})`);
    else map.set(key, { file, body });
  };
  for (const file of files) {
    let parsed: Obj;
    try {
      parsed = (await parse(file, readFileSync(join(dir, file), "utf8"))) as Obj;
    } catch (e) {
      err(file, "", `syntax: ${(e as Error).message}`);
      continue;
    }
    for (const [blockType, value] of Object.entries(parsed)) {
      switch (blockType) {
        case "resource":
        case "data":
          for (const [type, byName] of Object.entries(isObj(value) ? value : {}))
            for (const [name, decl] of Object.entries(isObj(byName) ? byName : {}))
              for (const body of bodies(decl))
                put(
                  blockType === "resource" ? cfg.resources : cfg.data,
                  `${type}.${name}`,
                  file,
                  body,
                  blockType,
                );
          break;
        case "variable":
        case "output":
        case "module":
          for (const [name, decl] of Object.entries(isObj(value) ? value : {}))
            for (const body of bodies(decl))
              put(
                blockType === "variable" ? cfg.variables : blockType === "output" ? cfg.outputs : cfg.modules,
                name,
                file,
                body,
                blockType,
              );
          break;
        case "locals":
          for (const body of bodies(value))
            for (const [name, v] of Object.entries(body)) put(cfg.locals, name, file, v, "local");
          break;
        case "provider":
          for (const [name, decl] of Object.entries(isObj(value) ? value : {}))
            for (const body of bodies(decl)) cfg.providers.push({ name, file, body });
          break;
        case "terraform":
          for (const body of bodies(value)) cfg.terraform.push({ file, body });
          break;
        case "moved":
        case "import":
        case "removed":
        case "check":
          findings.push({
            severity: "warning",
            file,
            where: blockType,
            message: `"${blockType}" blocks are not checked`,
          });
          break;
        default:
          err(file, blockType, `unsupported top-level block "${blockType}"`);
      }
    }
  }
  return cfg;
}

// ------------------------------------------------------------------------------------------------
// Checks
// ------------------------------------------------------------------------------------------------

const RESOURCE_META = new Set([
  "count",
  "for_each",
  "depends_on",
  "provider",
  "lifecycle",
  "provisioner",
  "connection",
]);
const DATA_META = new Set(["count", "for_each", "depends_on", "provider", "lifecycle"]);
const VARIABLE_ARGS = new Set([
  "type",
  "default",
  "description",
  "validation",
  "sensitive",
  "nullable",
  "ephemeral",
]);
const OUTPUT_ARGS = new Set(["value", "description", "sensitive", "depends_on", "precondition", "ephemeral"]);

function checkBlock(
  body: Obj,
  schema: BlockSchema,
  meta: Set<string>,
  where: string,
  report: (where: string, message: string) => void,
): void {
  const present = new Set<string>();
  for (const [key, value] of Object.entries(body)) {
    if (meta.has(key)) continue;
    if (key === "dynamic") {
      for (const [name, dyn] of Object.entries(isObj(value) ? value : {})) {
        const arg = schema.args.get(name);
        if (!arg?.nested) {
          report(`${where}.dynamic.${name}`, `dynamic block "${name}" is not a nested block of this type`);
          continue;
        }
        present.add(name);
        for (const d of bodies(dyn))
          for (const content of bodies(d["content"]))
            checkBlock(content, arg.nested, new Set(), `${where}.dynamic.${name}.content`, report);
      }
      continue;
    }
    const arg = schema.args.get(key);
    if (!arg) {
      report(`${where}.${key}`, `unsupported argument or block "${key}"`);
      continue;
    }
    present.add(key);
    if (arg.nested && typeof value !== "string") {
      const list = bodies(value);
      list.forEach((b, i) =>
        checkBlock(b, arg.nested!, new Set(), `${where}.${key}${list.length > 1 ? `[${i}]` : ""}`, report),
      );
    }
  }
  for (const [name, arg] of schema.args)
    if (arg.required && !present.has(name)) report(where, `missing required argument "${name}"`);
}

/** Every string in a JSON value that contains an interpolation, with its path. */
function* expressions(v: Json, path: string, skip: (path: string) => boolean): Generator<[string, string]> {
  if (skip(path)) return;
  if (typeof v === "string") {
    if (v.includes("${")) yield [path, v];
  } else if (Array.isArray(v)) {
    for (let i = 0; i < v.length; i++) yield* expressions(v[i]!, `${path}[${i}]`, skip);
  } else if (isObj(v)) {
    for (const [k, x] of Object.entries(v)) yield* expressions(x, `${path}.${k}`, skip);
  }
}

/** Names introduced by `dynamic "x"` blocks (their iterator) inside a body. */
function dynamicIterators(v: Json): Set<string> {
  const out = new Set<string>();
  const walk = (x: Json) => {
    if (Array.isArray(x)) x.forEach(walk);
    else if (isObj(x)) {
      for (const [k, val] of Object.entries(x)) {
        if (k === "dynamic" && isObj(val))
          for (const [name, d] of Object.entries(val)) {
            out.add(name);
            for (const b of bodies(d)) if (typeof b["iterator"] === "string") out.add(b["iterator"]);
          }
        walk(val);
      }
    }
  };
  walk(v);
  return out;
}

export async function checkTerraformDir(dir: string): Promise<CheckResult> {
  const findings: Finding[] = [];
  const cfg = await loadTerraformDir(dir, findings);
  const add = (severity: Finding["severity"], file: string, where: string, message: string) =>
    findings.push({ severity, file, where, message });
  if (cfg.files.length === 0) add("error", basename(dir), "", "no .tf files");

  // schema checks
  const schemas = new Map<string, TypeSchema>(); // "resource:type" → schema
  for (const [kind, map] of [
    ["resource", cfg.resources],
    ["data", cfg.data],
  ] as const) {
    for (const [key, decl] of map) {
      const type = key.slice(0, key.indexOf("."));
      const where = `${kind}.${key}`;
      if (!type.startsWith("aws_")) {
        add("warning", decl.file, where, `type "${type}" is not from the AWS provider; not schema-checked`);
        continue;
      }
      const schema = loadTypeSchema(kind, type);
      if (!schema) {
        add(
          "error",
          decl.file,
          where,
          `unknown ${kind === "data" ? "data source" : "resource"} type "${type}" in AWS provider ${providerSchemaVersion() ?? "?"}`,
        );
        continue;
      }
      schemas.set(`${kind}:${type}`, schema);
      checkBlock(decl.body, schema.block, kind === "resource" ? RESOURCE_META : DATA_META, where, (w, m) =>
        add("error", decl.file, w, m),
      );
      if ("count" in decl.body && "for_each" in decl.body)
        add("error", decl.file, where, `"count" and "for_each" are mutually exclusive`);
    }
  }
  const providerSchema = providerBlockSchema();
  for (const p of cfg.providers) {
    if (p.name !== "aws") continue;
    if (providerSchema)
      checkBlock(p.body, providerSchema, new Set(), `provider.aws`, (w, m) => add("error", p.file, w, m));
  }
  for (const [name, v] of cfg.variables) {
    for (const k of Object.keys(v.body))
      if (!VARIABLE_ARGS.has(k))
        add("error", v.file, `variable.${name}.${k}`, `unsupported argument "${k}" in variable`);
    for (const val of bodies(v.body["validation"]))
      for (const req of ["condition", "error_message"])
        if (!(req in val))
          add("error", v.file, `variable.${name}.validation`, `missing required argument "${req}"`);
    if (!("type" in v.body)) add("warning", v.file, `variable.${name}`, "variable has no type");
    if (!("description" in v.body)) add("warning", v.file, `variable.${name}`, "variable has no description");
  }
  for (const [name, o] of cfg.outputs) {
    for (const k of Object.keys(o.body))
      if (!OUTPUT_ARGS.has(k))
        add("error", o.file, `output.${name}.${k}`, `unsupported argument "${k}" in output`);
    if (!("value" in o.body)) add("error", o.file, `output.${name}`, `missing required argument "value"`);
  }
  for (const [name, m] of cfg.modules)
    if (!("source" in m.body)) add("error", m.file, `module.${name}`, `missing required argument "source"`);

  // reference checks
  let references = 0;
  const declaredResourceTypes = new Set([...cfg.resources.keys()].map((k) => k.slice(0, k.indexOf("."))));
  const checkRef = (
    ref: string,
    ctx: {
      file: string;
      where: string;
      hasCount: boolean;
      hasForEach: boolean;
      iterators: Set<string>;
      selfOk: boolean;
    },
  ) => {
    references++;
    const parts = ref.split(".");
    const [root, second, third] = parts;
    const bad = (message: string) => add("error", ctx.file, ctx.where, `reference ${ref}: ${message}`);
    const attrOf = (kind: "resource" | "data", type: string, decl: Declared, rest: string[]) => {
      const schema = schemas.get(`${kind}:${type}`);
      if (!schema) return;
      let r = rest;
      if (("count" in decl.body || "for_each" in decl.body) && r.length) r = r.slice(1);
      else if (r.length && /^\d+$/.test(r[0]!)) r = r.slice(1);
      const attr = r[0];
      if (attr !== undefined && !schema.attributes.has(attr)) bad(`${type} has no attribute "${attr}"`);
    };
    switch (root) {
      case "var":
        if (!second || !cfg.variables.has(second)) bad("undeclared variable");
        return;
      case "local":
        if (!second || !cfg.locals.has(second)) bad("undeclared local value");
        return;
      case "module":
        if (!second || !cfg.modules.has(second)) bad("undeclared module");
        return;
      case "data": {
        const decl = second && third ? cfg.data.get(`${second}.${third}`) : undefined;
        if (!decl) return bad("undeclared data source");
        attrOf("data", second!, decl, parts.slice(3));
        return;
      }
      case "path":
      case "terraform":
        return;
      case "count":
        if (!ctx.hasCount) bad(`"count" used where no count is set`);
        return;
      case "each":
        if (!ctx.hasForEach) bad(`"each" used where no for_each is set`);
        return;
      case "self":
        if (!ctx.selfOk) bad(`"self" is only valid in provisioner and connection blocks`);
        return;
      default: {
        if (root && ctx.iterators.has(root)) return;
        if (parts.length < 2) return bad(`undeclared name "${root}"`);
        const decl = cfg.resources.get(`${root}.${second}`);
        if (!decl)
          return bad(
            declaredResourceTypes.has(root!) || root!.startsWith("aws_")
              ? "undeclared resource"
              : `unknown reference root "${root}"`,
          );
        attrOf("resource", root!, decl, parts.slice(2));
      }
    }
  };
  const scan = async (
    file: string,
    where: string,
    value: Json,
    opts: { hasCount?: boolean; hasForEach?: boolean; skip?: (p: string) => boolean } = {},
  ) => {
    const iterators = dynamicIterators(value);
    for (const [path, expr] of expressions(value, where, opts.skip ?? (() => false))) {
      let refs: Array<{ value: string }>;
      try {
        refs = await getReferencesInExpression(file, expr);
      } catch (e) {
        add("error", file, path, `expression: ${(e as Error).message}`);
        continue;
      }
      for (const r of refs)
        checkRef(r.value, {
          file,
          where: path,
          hasCount: !!opts.hasCount,
          hasForEach: !!opts.hasForEach,
          iterators,
          selfOk: /\.(provisioner|connection)\b/.test(path),
        });
    }
  };
  // ignore_changes lists attribute names of the resource itself, not references
  const skipLifecycle = (p: string) => /\.lifecycle(\[\d+\])?\.ignore_changes$/.test(p);
  for (const [kind, map] of [
    ["resource", cfg.resources],
    ["data", cfg.data],
  ] as const)
    for (const [key, decl] of map)
      await scan(decl.file, `${kind}.${key}`, decl.body, {
        hasCount: "count" in decl.body,
        hasForEach: "for_each" in decl.body,
        skip: skipLifecycle,
      });
  for (const [name, v] of cfg.variables)
    await scan(v.file, `variable.${name}`, v.body, { skip: (p) => p.endsWith(".type") });
  for (const [name, l] of cfg.locals) await scan(l.file, `local.${name}`, l.body);
  for (const [name, o] of cfg.outputs) await scan(o.file, `output.${name}`, o.body);
  for (const [name, m] of cfg.modules)
    await scan(m.file, `module.${name}`, m.body, {
      hasCount: "count" in m.body,
      hasForEach: "for_each" in m.body,
    });
  for (const p of cfg.providers) await scan(p.file, `provider.${p.name}`, p.body);

  // terraform fmt: only when @cdktf/hcl-tools (hclwrite.Format as WASM) is installed; optional.
  const format = await loadFormatter();
  if (format)
    for (const file of cfg.files) {
      const text = readFileSync(join(dir, file), "utf8");
      if ((await format(text)) !== text)
        add("warning", file, "", "not canonically formatted (terraform fmt)");
    }

  const errors = findings.filter((f) => f.severity === "error");
  return {
    ok: errors.length === 0,
    errors,
    warnings: findings.filter((f) => f.severity === "warning"),
    files: cfg.files.length,
    resources: cfg.resources.size,
    dataSources: cfg.data.size,
    references,
    config: cfg,
  };
}

let formatter: ((text: string) => Promise<string>) | null | undefined;
async function loadFormatter(): Promise<((text: string) => Promise<string>) | null> {
  if (formatter !== undefined) return formatter;
  const specifier = "@cdktf/hcl-tools"; // optional dependency: not imported statically
  try {
    const mod = (await import(specifier)) as { format?: (text: string) => Promise<string> };
    formatter = typeof mod.format === "function" ? mod.format : null;
  } catch {
    formatter = null;
  }
  return formatter;
}

export function formatResult(r: CheckResult): string {
  const lines = [
    ...r.errors.map((f) => `ERROR   ${f.file}: ${f.where ? f.where + ": " : ""}${f.message}`),
    ...r.warnings.map((f) => `WARNING ${f.file}: ${f.where ? f.where + ": " : ""}${f.message}`),
    `${r.files} files, ${r.resources} resources, ${r.dataSources} data sources, ${r.references} references checked ` +
      `against AWS provider ${providerSchemaVersion() ?? "?"} → ${r.ok ? "VALID" : `INVALID (${r.errors.length} errors)`}`,
  ];
  return lines.join("\n");
}

if (import.meta.main) {
  const here = dirname(fileURLToPath(import.meta.url));
  const dir = resolve(process.argv[2] ?? join(here, "..", "terraform"));
  const result = await checkTerraformDir(dir);
  console.log(formatResult(result));
  process.exitCode = result.ok ? 0 : 1;
}

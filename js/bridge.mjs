// chainkit's bridge to GitHub's own workflow parser and expression engine.
//
// One long-lived process per `chainkit workflow run` speaks JSON lines on stdin/stdout:
//   {"op": "version"}                                   -> {"ok": true, "versions": {...}}
//   {"op": "parse-workflow", "name": N, "content": C}   -> {"ok": true, "errors": [...], "document": {...}}
//   {"op": "parse-action",   "name": N, "content": C}   -> same, with the action schema
//   {"op": "eval", "template": T, "context": {...}, "status": S, "condition": bool}
//                                                       -> {"ok": true, "value": V} | {"ok": false, "error": E}
// While evaluating, hashFiles(...) is answered by the caller: the bridge writes
//   {"call": "hashFiles", "args": [...]} and reads one line {"value": "..."} back.
// Reads are synchronous (fs.readSync on fd 0), so a callback is just another read.
import { readFileSync, readSync, writeSync } from "node:fs";

import { register } from "node:module";

register("./json-hooks.mjs", import.meta.url);

const { Evaluator, Lexer, Parser, data } = await import("@actions/expressions");
const { NoOperationTraceWriter, convertWorkflowTemplate, parseWorkflow } = await import(
  "@actions/workflow-parser"
);
const { parseAction } = await import("@actions/workflow-parser/actions/index");
const { ErrorPolicy } = await import("@actions/workflow-parser/model/convert");
const { parse: parseYaml } = await import("yaml");
const { truthy } = await import("@actions/expressions/result");

let pending = Buffer.alloc(0);
const sleeper = new Int32Array(new SharedArrayBuffer(4));

// Node may leave the pipes non-blocking: EAGAIN means "not now", never an error.
function pause() {
  Atomics.wait(sleeper, 0, 0, 2);
}

function readLine() {
  const chunk = Buffer.alloc(65536);
  for (;;) {
    const nl = pending.indexOf(10);
    if (nl >= 0) {
      const line = pending.subarray(0, nl).toString("utf8");
      pending = pending.subarray(nl + 1);
      return line;
    }
    let n;
    try {
      n = readSync(0, chunk, 0, chunk.length, null);
    } catch (err) {
      if (err.code === "EAGAIN") {
        pause();
        continue;
      }
      if (err.code === "EOF") return null;
      throw err;
    }
    if (n === 0) return null;
    pending = Buffer.concat([pending, chunk.subarray(0, n)]);
  }
}

function writeLine(obj) {
  const buf = Buffer.from(JSON.stringify(obj) + "\n", "utf8");
  let off = 0;
  while (off < buf.length) {
    try {
      off += writeSync(1, buf, off);
    } catch (err) {
      if (err.code !== "EAGAIN") throw err;
      pause(); // a value larger than the pipe's buffer: wait for the reader
    }
  }
}

// -- parsing ---------------------------------------------------------------------------

function errorsOf(result) {
  return result.context.errors.getErrors().map((e) => ({
    message: e.message,
    line: e.range ? e.range.start.line : null,
    column: e.range ? e.range.start.column : null,
  }));
}

async function parseWorkflowFile(name, content) {
  const trace = new NoOperationTraceWriter();
  const result = parseWorkflow({ name, content }, trace);
  if (result.value !== undefined && result.context.errors.count === 0) {
    // The conversion checks what the schema cannot: needs cycles, unknown jobs, matrices...
    await convertWorkflowTemplate(result.context, result.value, undefined, {
      errorPolicy: ErrorPolicy.ReturnErrorsOnly,
    });
  }
  const errors = errorsOf(result);
  return { ok: true, errors, document: errors.length ? null : parseYaml(content) };
}

function parseActionFile(name, content) {
  const result = parseAction({ name, content }, new NoOperationTraceWriter());
  const errors = errorsOf(result);
  return { ok: true, errors, document: errors.length ? null : parseYaml(content) };
}

// -- expressions -----------------------------------------------------------------------

const CONTEXTS = [
  "github", "env", "inputs", "steps", "needs", "job", "jobs", "runner", "secrets", "vars",
  "matrix", "strategy",
];
const STATUS = ["success", "failure", "always", "cancelled"];
const EXTENSIONS = [
  ...STATUS.map((name) => ({ name, minArgs: 0, maxArgs: 0 })),
  { name: "hashFiles", minArgs: 1, maxArgs: 255 },
];

function toPlain(value) {
  return JSON.parse(JSON.stringify(value, data.replacer));
}

function functionsFor(status) {
  const fns = new Map();
  const bool = (v) => new data.BooleanData(v);
  fns.set("success", { name: "success", minArgs: 0, maxArgs: 0, call: () => bool(status === "success") });
  fns.set("failure", { name: "failure", minArgs: 0, maxArgs: 0, call: () => bool(status === "failure") });
  fns.set("cancelled", { name: "cancelled", minArgs: 0, maxArgs: 0, call: () => bool(status === "cancelled") });
  fns.set("always", { name: "always", minArgs: 0, maxArgs: 0, call: () => bool(true) });
  fns.set("hashfiles", {
    name: "hashFiles",
    minArgs: 1,
    maxArgs: 255,
    call: (...args) => {
      writeLine({ call: "hashFiles", args: args.map((a) => a.coerceString()) });
      const answer = readLine();
      if (answer === null) throw new Error("hashFiles: the runner went away");
      const parsed = JSON.parse(answer);
      if (parsed.error) throw new Error(parsed.error);
      return new data.StringData(String(parsed.value));
    },
  });
  return fns;
}

function usesStatusFunction(node) {
  if (!node || typeof node !== "object") return false;
  if (node.functionName && STATUS.includes(String(node.functionName.lexeme).toLowerCase())) {
    return true;
  }
  for (const key of ["expr", "left", "right", "group", "index"]) {
    if (usesStatusFunction(node[key])) return true;
  }
  for (const key of ["args"]) {
    if (Array.isArray(node[key]) && node[key].some(usesStatusFunction)) return true;
  }
  return false;
}

function compile(expression) {
  const lexed = new Lexer(expression).lex();
  return new Parser(lexed.tokens, CONTEXTS, EXTENSIONS).parse();
}

// Split "a ${{ x }} b" into literal and expression parts; '}}' inside a quoted string does not close.
function splitTemplate(template) {
  const parts = [];
  let i = 0;
  for (;;) {
    const start = template.indexOf("${{", i);
    if (start < 0) {
      if (i < template.length) parts.push({ literal: template.slice(i) });
      return parts;
    }
    if (start > i) parts.push({ literal: template.slice(i, start) });
    let j = start + 3;
    let inString = false;
    let end = -1;
    while (j < template.length) {
      const ch = template[j];
      if (inString) {
        if (ch === "'") {
          if (template[j + 1] === "'") j += 1;
          else inString = false;
        }
      } else if (ch === "'") {
        inString = true;
      } else if (ch === "}" && template[j + 1] === "}") {
        end = j;
        break;
      }
      j += 1;
    }
    if (end < 0) throw new Error(`unclosed expression: ${template.slice(start)}`);
    parts.push({ expression: template.slice(start + 3, end).trim() });
    i = end + 2;
  }
}

function evaluate(request) {
  const context = JSON.parse(JSON.stringify(request.context ?? {}), data.reviver);
  const fns = functionsFor(request.status ?? "success");
  const run = (expression) => new Evaluator(compile(expression), context, fns).evaluate();
  if (request.condition) {
    // GitHub: `if:` is an expression with or without ${{ }}; without a status function it
    // is success() && (condition).
    let text = String(request.template).trim();
    const parts = splitTemplate(text);
    if (parts.length === 1 && parts[0].expression !== undefined) text = parts[0].expression;
    else if (parts.some((p) => p.expression !== undefined)) {
      // A string with embedded expressions: GitHub's parser makes it format('…', …), a truthy
      // string, and convertToIfCondition wraps it in success() && (…) unless one of the
      // embedded expressions calls a status function.
      const value = evaluateTemplate(parts, run).length > 0;
      const hasStatus = parts.some(
        (p) => p.expression !== undefined && usesStatusFunction(compile(p.expression)),
      );
      const implicit = hasStatus ? true : request.status === "success";
      return { ok: true, value: implicit && value };
    }
    if (text === "") text = "success()";
    const tree = compile(text);
    const value = truthy(new Evaluator(tree, context, fns).evaluate());
    const implicit = usesStatusFunction(tree) ? true : request.status === "success";
    return { ok: true, value: implicit && value };
  }
  const parts = splitTemplate(String(request.template));
  if (parts.length === 1 && parts[0].expression !== undefined) {
    return { ok: true, value: toPlain(run(parts[0].expression)) };
  }
  return { ok: true, value: evaluateTemplate(parts, run) };
}

function evaluateTemplate(parts, run) {
  return parts
    .map((p) => (p.literal !== undefined ? p.literal : run(p.expression).coerceString()))
    .join("");
}

// -- main loop -------------------------------------------------------------------------

function versions() {
  const v = (name) =>
    JSON.parse(readFileSync(new URL(`./node_modules/${name}/package.json`, import.meta.url), "utf8")).version;
  return { "@actions/workflow-parser": v("@actions/workflow-parser"), "@actions/expressions": v("@actions/expressions") };
}

async function handle(request) {
  switch (request.op) {
    case "version":
      return { ok: true, versions: versions() };
    case "parse-workflow":
      return parseWorkflowFile(String(request.name), String(request.content));
    case "parse-action":
      return parseActionFile(String(request.name), String(request.content));
    case "eval":
      return evaluate(request);
    default:
      return { ok: false, error: `unknown op ${request.op}` };
  }
}

for (;;) {
  const line = readLine();
  if (line === null) break;
  if (!line.trim()) continue;
  let answer;
  try {
    answer = await handle(JSON.parse(line));
  } catch (err) {
    answer = { ok: false, error: err && err.message ? err.message : String(err) };
  }
  writeLine(answer);
}

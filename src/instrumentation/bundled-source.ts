/**
 * Finds the classes of an MCP SDK that a bundler compiled into another module (esbuild, rollup, webpack, tsup, ncc;
 * ESM or CommonJS, minified or not), in the module's source, and hands each one to the instrumentation without
 * changing what the module does or where its lines are.
 *
 * Only property names survive minification, so the classes are recognised by their methods: the Protocol (the base
 * of Client and Server) by `_onrequest`, `request` and `connect`; McpServer by `connect` and `registerTool`; the v2
 * Client by `connect`, `listen` and `getServerCapabilities` in a class that extends another. Parsing a whole bundle
 * is too slow for the load path (a standard parser takes about 1.6 s on the 7.9 MB Chrome DevTools bundle), so:
 * 1. a module is a candidate only if its text contains `_onrequest(` (isCandidateSource; every bundled SDK does);
 * 2. in a candidate, each method definition of a wanted name (a `{`, `}` or `;` before it, a `{` after its
 *    parameters) is a seed; the `class` heads before a seed are tried nearest first;
 * 3. from a head, a small tokenizer (strings, template literals, comments, regular expressions, braces) reads the
 *    class body to its closing brace and lists the methods defined directly in it: the head encloses the seed if the
 *    seed is one of them. A head must be code (what comes before `class` can start an expression), and a body that
 *    does not read cleanly to its end gives nothing.
 * The hand-over is a class static block inserted right after the body's opening brace, on the same line: it runs when
 * the class is defined, after its methods are, with the class as `this`, and calls the function the instrumentation
 * put on globalThis (bundled-hook.ts), if any. Whatever is unsure leaves the module as it was.
 */

/** The text every bundled copy of the SDK contains (the Protocol's message dispatch), and few other modules do. */
export const CANDIDATE_TEXT = '_onrequest(';
const CANDIDATE_BYTES = Buffer.from(CANDIDATE_TEXT, 'latin1');

/** The global the static blocks call (bundled-hook.ts defines it, not enumerable, shared by every copy of us). */
export const BUNDLED_CALLBACK = '__xMcpOtelBundled';

export type BundledKind = 'Protocol' | 'McpServer' | 'Client';

export interface BundledClass {
  kind: BundledKind;
  /** Offset of the first character after the opening brace of the class body. */
  bodyStart: number;
}

/** How far before a seed a class head is looked for, and how many heads are tried: beyond, the module is left alone. */
const HEAD_WINDOW = 1 << 20;
const MAX_HEADS_PER_SEED = 32;
/** The most characters read by the tokenizer in one module, over all its class bodies. */
const MAX_SCANNED = 16 << 20;

/** The cheap test, on a module's text or bytes (no decoding, no copy). */
export function isCandidateSource(source: string | Uint8Array): boolean {
  if (typeof source === 'string') return source.includes(CANDIDATE_TEXT);
  const bytes = Buffer.isBuffer(source) ? source : Buffer.from(source.buffer, source.byteOffset, source.byteLength);
  return bytes.indexOf(CANDIDATE_BYTES) !== -1;
}

/**
 * The method definitions looked for, one name per kind, in one pass (a regular expression with alternatives reads a
 * bundle of megabytes in a few milliseconds, three times faster than one indexOf per name); long and rare names, each
 * checked to be a definition, not a call. McpServer before SDK 1.12 (no registerTool) is not found: its Protocol is.
 */
const SEEDS = /(?:_onrequest|registerTool|getServerCapabilities)(?=\()/g;

/** The SDK classes a module defines, each once, in source order; empty when there is none or when unsure. */
export function findBundledClasses(source: string): BundledClass[] {
  if (!source.includes(CANDIDATE_TEXT)) return [];
  const budget = { left: MAX_SCANNED };
  const bodies = new Map<number, ClassBody | undefined>();
  const found = new Map<number, BundledKind>();
  const seeds = new RegExp(SEEDS.source, 'g');
  for (let m = seeds.exec(source); m !== null; m = seeds.exec(source)) {
    const at = m.index;
    const before = at > 0 ? source.charCodeAt(at - 1) : 0x20;
    // Part of a longer name, or a property access (`this._onrequest(`).
    if (isIdentifierChar(before) || before === 0x2e || before === 0x23) continue;
    if (!isMethodDefinitionAt(source, at, m[0])) continue;
    const body = enclosingClass(source, at, bodies, budget);
    if (body === 'unsure') return [];
    if (body === undefined || found.has(body.start)) continue;
    const kind = kindOf(body);
    if (kind) found.set(body.start, kind);
  }
  return [...found].sort(([a], [b]) => a - b).map(([bodyStart, kind]) => ({ kind, bodyStart }));
}

/**
 * The static block that hands a class over: `id` names the class in the load path's list (bundled-hook.ts). It has no
 * newline, so no line moves, and no quote or backslash: were it ever put inside a string literal by mistake, the
 * module would still parse.
 */
const HANDED_OVER = `static{globalThis.${BUNDLED_CALLBACK}`;

export function handOverBlock(id: number): string {
  return `static{globalThis.${BUNDLED_CALLBACK}?.(this,${id})}`;
}

/**
 * The module's source with each SDK class handed over, or undefined when there is nothing to do (or it is unsure).
 * `register` is told each class found and returns its id.
 */
export function handOverBundledClasses(source: string, register: (kind: BundledKind) => number): string | undefined {
  const classes = findBundledClasses(source);
  if (classes.length === 0) return undefined;
  // Already handed over (a module transformed by another copy of us, or twice through two load paths).
  if (classes.some((c) => source.startsWith(HANDED_OVER, c.bodyStart))) return undefined;
  let out = '';
  let from = 0;
  for (const { kind, bodyStart } of classes) {
    out += source.slice(from, bodyStart) + handOverBlock(register(kind));
    from = bodyStart;
  }
  return out + source.slice(from);
}

function kindOf(body: ClassBody): BundledKind | undefined {
  const has = (name: string) => body.methods.has(name);
  if (has('_onrequest') && has('request') && has('connect')) return 'Protocol';
  if (has('_onrequest')) return undefined;
  if (has('connect') && (has('registerTool') || has('tool'))) return 'McpServer';
  if (body.extends && has('connect') && has('listen') && has('getServerCapabilities')) return 'Client';
  return undefined;
}

/**
 * `name(` at `at` starts a method definition: a `{`, `}` or `;` before it (or a modifier such as `async`), and its
 * parameter list followed by `{`.
 */
function isMethodDefinitionAt(source: string, at: number, name: string): boolean {
  let before = previousCodeAt(source, at - 1);
  for (;;) {
    const word = wordEndingAt(source, before);
    if (METHOD_MODIFIERS.has(word)) {
      before = previousCodeAt(source, before - word.length);
      continue;
    }
    if (source[before] === '*') {
      before = previousCodeAt(source, before - 1);
      continue;
    }
    break;
  }
  const prev = source[before];
  if (prev !== '{' && prev !== '}' && prev !== ';') return false;
  const open = skipSpace(source, at + name.length);
  if (source[open] !== '(') return false;
  const close = matchingParen(source, open);
  return close !== -1 && source[skipSpace(source, close + 1)] === '{';
}

/** The closing parenthesis of a parameter list (strings and nested brackets skipped), or -1 past a short bound. */
function matchingParen(source: string, open: number): number {
  let depth = 0;
  const end = Math.min(source.length, open + 4096);
  for (let i = open; i < end; i++) {
    const c = source[i];
    if (c === '"' || c === "'" || c === '`') {
      const after = skipQuoted(source, i);
      if (after === -1) return -1;
      i = after - 1;
    } else if (c === '(' || c === '[' || c === '{') depth++;
    else if (c === ')' || c === ']' || c === '}') {
      depth--;
      if (depth === 0) return c === ')' ? i : -1;
    }
  }
  return -1;
}

type Budget = { left: number };

/** The class whose body defines the method at `at` directly; undefined if none; 'unsure' when the budget ran out. */
function enclosingClass(
  source: string,
  at: number,
  bodies: Map<number, ClassBody | undefined>,
  budget: Budget,
): ClassBody | undefined | 'unsure' {
  let from = at;
  for (let tries = 0; tries < MAX_HEADS_PER_SEED;) {
    // lastIndexOf takes a negative start as 0: a head at 0 that is not one would be found again and again.
    if (from === 0) return undefined;
    const head = source.lastIndexOf('class', from - 1);
    if (head === -1 || at - head > HEAD_WINDOW) return undefined;
    from = head;
    const open = classBodyOpen(source, head);
    if (open === undefined) continue;
    tries++;
    let body = bodies.get(open.brace);
    if (!bodies.has(open.brace)) {
      if (budget.left <= 0) return 'unsure';
      body = readClassBody(source, open.brace, open.extends, budget);
      bodies.set(open.brace, body);
    }
    if (body === undefined) continue;
    if (body.methods.get(sourceName(source, at)) === at) return body;
    // A class that closed before the seed, or a head that was not one: an earlier head may still enclose the seed.
  }
  return undefined;
}

function sourceName(source: string, at: number): string {
  let end = at;
  while (end < source.length && isIdentifierChar(source.charCodeAt(end))) end++;
  return source.slice(at, end);
}

const HEAD = /class(?:\s+[\w$\u0080-\uffff]+)?(\s+extends\s+[\w$.\u0080-\uffff]+\s*)?\s*\{/y;
/** What may come right before `class` in code (an expression or a statement can start after it). */
const BEFORE_HEAD = new Set(['=', '(', ',', ';', '{', '}', ':', '?', '[', '!', '&', '|', '>']);
const WORDS_BEFORE_HEAD = new Set([
  'export',
  'default',
  'return',
  'new',
  'extends',
  'yield',
  'await',
  'typeof',
  'void',
]);

/** The opening brace of the class body when `class` at `at` is a class head in code. */
function classBodyOpen(source: string, at: number): { brace: number; extends: boolean } | undefined {
  if (at > 0 && isIdentifierChar(source.charCodeAt(at - 1))) return undefined;
  HEAD.lastIndex = at;
  const m = HEAD.exec(source);
  if (m === null) return undefined;
  return codeMayStartAfter(source, at) ? { brace: at + m[0].length - 1, extends: m[1] !== undefined } : undefined;
}

/**
 * Whether a statement or an expression can start at `at`, from what comes before it: the start of the source, a
 * punctuator or keyword that an expression can follow, or a line break (a statement after a semicolon left out).
 * Comments right before are skipped: a bundler keeps a class's doc comment above it.
 */
function codeMayStartAfter(source: string, at: number): boolean {
  const before = previousCodeAt(source, at - 1);
  if (before < 0) return true;
  if (BEFORE_HEAD.has(source[before]) || WORDS_BEFORE_HEAD.has(wordEndingAt(source, before))) return true;
  return source.slice(before + 1, at).includes('\n');
}

/**
 * The offset of the last character of code at or before `end`, over white space and the comments right before (a
 * block comment, or a line that is a line comment); -1 at the start of the source.
 */
function previousCodeAt(source: string, end: number): number {
  let at = end;
  for (;;) {
    const before = skipSpaceBackward(source, at);
    if (before < 0) return before;
    if (source[before] === '/' && source[before - 1] === '*') {
      const open = source.lastIndexOf('/*', before - 2);
      if (open === -1) return before;
      at = open - 1;
      continue;
    }
    const lineStart = source.lastIndexOf('\n', before) + 1;
    if (
      source
        .slice(lineStart, before + 1)
        .trimStart()
        .startsWith('//')
    ) {
      at = lineStart - 1;
      continue;
    }
    return before;
  }
}

interface ClassBody {
  start: number;
  /** Offset of the closing brace. */
  end: number;
  extends: boolean;
  /** Methods defined directly in the body: name -> offset of the name. */
  methods: Map<string, number>;
}

/** Words after which a `/` starts a regular expression, not a division. */
const REGEX_AFTER_WORDS = new Set([
  'return',
  'typeof',
  'instanceof',
  'in',
  'of',
  'new',
  'delete',
  'void',
  'throw',
  'case',
  'do',
  'else',
  'yield',
  'await',
]);
const METHOD_MODIFIERS = new Set(['async', 'static', 'get', 'set']);

/**
 * Reads a class body from its opening brace to its closing one; undefined if it does not read cleanly (an unclosed
 * string, template or comment, a stray closing bracket, the end of the source).
 */
export function readClassBody(
  source: string,
  brace: number,
  extendsSome: boolean,
  budget: Budget,
): ClassBody | undefined {
  const methods = new Map<string, number>();
  /** One entry per open `{` or template `${`: true for a template substitution. */
  const stack: boolean[] = [false];
  /** The last significant token: a punctuator character, or 'w' for a word (its text in lastWord). */
  let last = '{';
  let lastWord = '';
  let i = brace + 1;
  const n = source.length;
  while (i < n) {
    if (i - brace > budget.left) return undefined;
    const c = source.charCodeAt(i);
    if (c === 0x20 || c === 0x0a || c === 0x09 || c === 0x0d) {
      i++;
      continue;
    }
    const ch = source[i];
    if (ch === '/') {
      const next = source[i + 1];
      if (next === '/') {
        const eol = source.indexOf('\n', i);
        i = eol === -1 ? n : eol;
        continue;
      }
      if (next === '*') {
        const close = source.indexOf('*/', i + 2);
        if (close === -1) return undefined;
        i = close + 2;
        continue;
      }
      const regexAllowed = last === 'w' ? REGEX_AFTER_WORDS.has(lastWord) : last !== ')' && last !== ']';
      if (regexAllowed) {
        const after = skipRegex(source, i);
        if (after === -1) return undefined;
        i = after;
        last = 'w';
        lastWord = '';
        continue;
      }
      last = '/';
      i++;
      continue;
    }
    if (ch === '"' || ch === "'") {
      const after = skipQuoted(source, i);
      if (after === -1) return undefined;
      i = after;
      last = 'w';
      lastWord = '';
      continue;
    }
    if (ch === '`' || (ch === '}' && stack[stack.length - 1] === true)) {
      // A template literal, or the rest of one after a `${...}`: its text, to its end or to its next `${`.
      if (ch === '}') stack.pop();
      const after = skipTemplate(source, i + 1);
      if (after === -1) return undefined;
      const substitution = source[after - 1] === '{';
      if (substitution) stack.push(true);
      i = after;
      last = substitution ? '{' : 'w';
      lastWord = '';
      continue;
    }
    if (ch === '{') {
      stack.push(false);
      last = '{';
      i++;
      continue;
    }
    if (ch === '}') {
      if (stack.pop() === undefined) return undefined;
      if (stack.length === 0) {
        budget.left -= i - brace;
        return { start: brace + 1, end: i, extends: extendsSome, methods };
      }
      last = '}';
      i++;
      continue;
    }
    if (isIdentifierChar(c) || ch === '#') {
      const start = i;
      i++;
      while (i < n && isIdentifierChar(source.charCodeAt(i))) i++;
      const word = source.slice(start, i);
      if (stack.length === 1 && !METHOD_MODIFIERS.has(word) && !methods.has(word)) {
        const methodStart =
          last === '{' ||
          last === '}' ||
          last === ';' ||
          last === '*' ||
          (last === 'w' && METHOD_MODIFIERS.has(lastWord));
        if (methodStart && source[skipSpace(source, i)] === '(') methods.set(word, start);
      }
      last = 'w';
      lastWord = word;
      continue;
    }
    last = ch;
    i++;
  }
  return undefined;
}

/** After a quoted string starting at `at` (its quote), or -1 when it is not closed on its line. */
function skipQuoted(source: string, at: number): number {
  const quote = source[at];
  if (quote === '`') return skipWholeTemplate(source, at + 1);
  for (let i = at + 1; i < source.length; i++) {
    const c = source[i];
    if (c === '\\') i++;
    else if (c === quote) return i + 1;
    else if (c === '\n') return -1;
  }
  return -1;
}

/** Reads template text from `at`: returns the offset after its closing backtick, or after a `${`; -1 if unclosed. */
function skipTemplate(source: string, at: number): number {
  for (let i = at; i < source.length; i++) {
    const c = source[i];
    if (c === '\\') i++;
    else if (c === '`') return i + 1;
    else if (c === '$' && source[i + 1] === '{') return i + 2;
  }
  return -1;
}

/** A whole template literal with its substitutions (for parameter lists): offset after it, or -1. */
function skipWholeTemplate(source: string, at: number): number {
  let i = at;
  for (;;) {
    const after = skipTemplate(source, i);
    if (after === -1 || source[after - 1] === '`') return after;
    // A substitution: skip to its closing brace, over nested strings and braces.
    let depth = 1;
    i = after;
    while (depth > 0) {
      if (i >= source.length) return -1;
      const c = source[i];
      if (c === '"' || c === "'" || c === '`') {
        const end = skipQuoted(source, i);
        if (end === -1) return -1;
        i = end;
        continue;
      }
      if (c === '{') depth++;
      else if (c === '}') depth--;
      i++;
    }
  }
}

/** After a regular expression literal starting at `at` (its slash), or -1 if it does not close on its line. */
function skipRegex(source: string, at: number): number {
  let inClass = false;
  for (let i = at + 1; i < source.length; i++) {
    const c = source[i];
    if (c === '\\') i++;
    else if (c === '\n') return -1;
    else if (inClass) {
      if (c === ']') inClass = false;
    } else if (c === '[') inClass = true;
    else if (c === '/') {
      let end = i + 1;
      while (end < source.length && isIdentifierChar(source.charCodeAt(end))) end++;
      return end;
    }
  }
  return -1;
}

function isIdentifierChar(c: number): boolean {
  return (
    (c >= 0x61 && c <= 0x7a) ||
    (c >= 0x41 && c <= 0x5a) ||
    (c >= 0x30 && c <= 0x39) ||
    c === 0x5f ||
    c === 0x24 ||
    c >= 0x80
  );
}

function skipSpace(source: string, at: number): number {
  let i = at;
  while (i < source.length && /\s/.test(source[i])) i++;
  return i;
}

function skipSpaceBackward(source: string, at: number): number {
  let i = at;
  while (i >= 0 && /\s/.test(source[i])) i--;
  return i;
}

/** The identifier that ends at `end` (inclusive), or ''. */
function wordEndingAt(source: string, end: number): string {
  let start = end;
  while (start >= 0 && isIdentifierChar(source.charCodeAt(start))) start--;
  return source.slice(start + 1, end + 1);
}

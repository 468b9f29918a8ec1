/**
 * The `--filter` grammar of `mcp-otel tail`: which MCP operations (and so which traces) are printed.
 *
 *   WORD           case-insensitive, found in the service, method, target (tool, prompt or resource URI), outcome,
 *                  span name or error type: `--filter weather`, `--filter tool_error`
 *   KEY=VALUE      the field is VALUE (case-sensitive; `*` stands for any run of characters): `--filter tool=add`,
 *                  `--filter service=billing-*`
 *   KEY!=VALUE     the field is not VALUE (an operation without the field is not VALUE): `--filter outcome!=ok`
 *   KEY            service, method, target, tool (the target of a tools/call), outcome, side (client or server),
 *                  session, trace (the trace id), error (error.type)
 * Every --filter must hold (AND). In tree mode a trace is printed when one of its operations passes; with --json, each
 * operation that passes.
 */
import { OUTCOMES } from './model';
import type { Operation } from './model';

export const FILTER_KEYS = ['service', 'method', 'target', 'tool', 'outcome', 'side', 'session', 'trace', 'error'];
const SIDES = ['client', 'server'];

export type OperationTest = (operation: Operation) => boolean;

const sideOf = (operation: Operation): string => (operation.kind === 3 ? 'client' : 'server');

function fieldOf(operation: Operation, key: string): string | undefined {
  switch (key) {
    case 'service':
      return operation.service;
    case 'method':
      return operation.method;
    case 'target':
      return operation.target;
    case 'tool':
      return operation.method === 'tools/call' ? operation.target : undefined;
    case 'outcome':
      return operation.outcome;
    case 'side':
      return sideOf(operation);
    case 'session':
      return operation.session;
    case 'trace':
      return operation.traceId;
    default:
      return operation.errorType;
  }
}

/** A value with `*` wildcards as an anchored regular expression; everything else literal. */
function valuePattern(value: string): RegExp {
  const literal = value.split('*').map((part) => part.replace(/[\\^$.|?+()[\]{}]/g, '\\$&'));
  return new RegExp(`^${literal.join('.*')}$`, 's');
}

/** One --filter expression as a test, or what is wrong with it (one line, for stderr). */
export function parseFilter(expression: string): OperationTest | string {
  // Any key before the first = is a key (checked below): error.type=x is refused, not searched for as a word.
  const pair = /^([^=!\s]+)(!?=)(.*)$/s.exec(expression);
  if (!pair) {
    if (expression === '') return '--filter takes a word or KEY=VALUE, not an empty string';
    const word = expression.toLowerCase();
    return (operation) =>
      [
        operation.service,
        operation.method,
        operation.target,
        operation.outcome,
        operation.name,
        operation.errorType,
      ].some((field) => field !== undefined && field.toLowerCase().includes(word));
  }
  const [, key, operator, value] = pair;
  if (!FILTER_KEYS.includes(key)) return `--filter ${expression}: unknown key ${key} (keys: ${FILTER_KEYS.join(', ')})`;
  if (key === 'outcome' && !value.includes('*') && !(OUTCOMES as readonly string[]).includes(value))
    return `--filter ${expression}: an outcome is one of ${OUTCOMES.join(', ')}`;
  if (key === 'side' && !value.includes('*') && !SIDES.includes(value))
    return `--filter ${expression}: a side is client or server`;
  const pattern = valuePattern(value);
  const matches = (operation: Operation): boolean => {
    const field = fieldOf(operation, key);
    return field !== undefined && pattern.test(field);
  };
  return operator === '=' ? matches : (operation) => !matches(operation);
}

/** Every expression as one test (all must hold), or the first thing wrong with one of them. */
export function parseFilters(expressions: readonly string[]): OperationTest | string {
  const tests: OperationTest[] = [];
  for (const expression of expressions) {
    const test = parseFilter(expression);
    if (typeof test === 'string') return test;
    tests.push(test);
  }
  return (operation) => tests.every((test) => test(operation));
}

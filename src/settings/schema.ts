/**
 * How untrusted values are checked: settings patches, the scripting API's arguments, preset
 * files. A schema says what is wrong with a value in words that name it, or returns null, so a
 * message reads the same wherever the value came from and nothing is checked twice in two ways.
 * Pure: no DOM beyond `instanceOf`'s constructor, which the caller passes.
 */

/** What is wrong with `value`, which the message calls `name`; null when nothing is. */
export type Schema = (value: unknown, name: string) => string | null;

/** Throws an Error with the problem (after `context`, when given), if there is one. */
export function check(schema: Schema, value: unknown, name: string, context?: string): void {
  const problem = schema(value, name);
  if (problem !== null) throw new Error(context ? `${context}: ${problem}` : problem);
}

const SHOWN = 40;

/** A value as a message shows it: short, and plain about its type (strings quoted). */
export function show(value: unknown): string {
  if (typeof value === 'number' || typeof value === 'boolean' || value == null)
    return String(value);
  if (typeof value === 'function') return 'a function';
  if (typeof value === 'bigint') return `${value}n`;
  if (typeof value === 'symbol') return value.toString();
  if (typeof value === 'string') {
    const text = JSON.stringify(value);
    return text.length > SHOWN ? `${text.slice(0, SHOWN - 4)}..."` : text;
  }
  const tag = Object.prototype.toString.call(value).slice(8, -1);
  if (tag !== 'Object' && tag !== 'Array') return `a ${tag}`;
  // Written out only when small: the replacer stops a big (or cyclic) one early.
  let parts = 0;
  try {
    const text = JSON.stringify(value, (_, v: unknown) => {
      if (++parts > 12) throw new RangeError('too long to show');
      return v;
    });
    if (text.length <= SHOWN) return text;
  } catch {
    // Too big or cyclic: described by its kind below.
  }
  return Array.isArray(value) ? `an array of ${value.length}` : 'an object';
}

export interface NumberRange {
  min?: number;
  max?: number;
  integer?: boolean;
}

/** A finite number, an integer if asked, within [min, max]. */
export function number({ min, max, integer = false }: NumberRange = {}): Schema {
  return (value, name) => {
    if (typeof value !== 'number') return `${name} must be a number, not ${show(value)}`;
    if (!Number.isFinite(value)) return `${name} must be a finite number, not ${value}`;
    if (integer && !Number.isInteger(value)) return `${name} must be an integer, not ${value}`;
    const low = min !== undefined && value < min;
    const high = max !== undefined && value > max;
    if (!low && !high) return null;
    if (min !== undefined && max !== undefined)
      return `${name} must be between ${min} and ${max}, not ${value}`;
    return low
      ? `${name} must be at least ${min}, not ${value}`
      : `${name} must be at most ${max}, not ${value}`;
  };
}

export const string: Schema = (value, name) =>
  typeof value === 'string' ? null : `${name} must be a string, not ${show(value)}`;

export const boolean: Schema = (value, name) =>
  typeof value === 'boolean' ? null : `${name} must be a boolean, not ${show(value)}`;

export const func: Schema = (value, name) =>
  typeof value === 'function' ? null : `${name} must be a function, not ${show(value)}`;

/**
 * One of `choices`. `kind` names what they are (a sampler) where `name` says where the value
 * was (spec.samplers[0]); by default the name is the kind.
 */
export function oneOf(choices: readonly string[], kind?: string): Schema {
  return (value, name) => {
    const problem = string(value, name);
    if (problem !== null || choices.includes(value as string)) return problem;
    const where = kind === undefined || kind === name ? '' : `${name}: `;
    return `${where}unknown ${kind ?? name} '${String(value)}' (one of: ${choices.join(', ')})`;
  };
}

/** `what` a value is (a Blob, an AbortSignal), by its constructor. */
export function instanceOf(type: abstract new (...args: never[]) => unknown, what: string): Schema {
  return (value, name) =>
    value instanceof type ? null : `${name} must be ${what}, not ${show(value)}`;
}

/** Absent (undefined) or as `schema` says. */
export function optional(schema: Schema): Schema {
  return (value, name) => (value === undefined ? null : schema(value, name));
}

/** As `schema` says and then `test`, which must hold of `what` it must be (a power of two). */
export function refine(schema: Schema, test: (value: never) => boolean, what: string): Schema {
  return (value, name) =>
    schema(value, name) ??
    (test(value as never) ? null : `${name} must be ${what}, not ${show(value)}`);
}

/** An array of `min` to `max` items, each as `item` says. */
export function arrayOf(item: Schema, { min = 0, max = Infinity } = {}): Schema {
  return (value, name) => {
    if (!Array.isArray(value)) return `${name} must be an array, not ${show(value)}`;
    if (value.length < min)
      return min === 1
        ? `${name} must not be empty`
        : `${name} needs at least ${min} items, not ${value.length}`;
    if (value.length > max) return `${name} may have at most ${max} items, not ${value.length}`;
    // Items are named only when one is wrong: a million good ones build no strings.
    for (let i = 0; i < value.length; i++)
      if (item(value[i], name) !== null) return item(value[i], `${name}[${i}]`);
    return null;
  };
}

/** A plain object (not null, not an array). */
export const record: Schema = (value, name) =>
  typeof value === 'object' && value !== null && !Array.isArray(value)
    ? null
    : `${name} must be an object, not ${show(value)}`;

/**
 * A plain object whose own keys are `fields` (each as its schema says; absent reads as
 * undefined) and, with `others: true`, any other keys, which the caller checks.
 */
export function object(fields: Readonly<Record<string, Schema>>, { others = false } = {}): Schema {
  const keys = Object.keys(fields);
  return (value, name) => {
    const problem = record(value, name);
    if (problem !== null) return problem;
    const v = value as Record<string, unknown>;
    if (!others) {
      const extra = Object.keys(v).find((key) => !Object.hasOwn(fields, key));
      if (extra !== undefined)
        return `${name}.${extra} is not an option (options: ${keys.join(', ')})`;
    }
    for (const key of keys) {
      const field = fields[key]!(Object.hasOwn(v, key) ? v[key] : undefined, `${name}.${key}`);
      if (field !== null) return field;
    }
    return null;
  };
}

import { ClusterConfigError } from './errors.js';

export function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** An IPv4 CIDR such as 10.0.0.0/24. */
export function isCidr(v: string): boolean {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\/(\d{1,2})$/.exec(v);
  if (!m) return false;
  const octets = m.slice(1, 5).map(Number);
  return octets.every((o) => o <= 255) && Number(m[5]) <= 32;
}

/** Collects every problem in a config so that the user fixes them in one go. */
export class Problems {
  private readonly list: string[] = [];

  add(problem: string): void {
    this.list.push(problem);
  }

  /** A short rendering of a wrong value (the values checked here are never secrets). */
  show(v: unknown): string {
    if (typeof v === 'string') return `'${v.length > 60 ? `${v.slice(0, 60)}...` : v}'`;
    if (Array.isArray(v)) return 'a list';
    if (isPlainObject(v)) return 'a mapping';
    return String(v);
  }

  unknownKeys(obj: Record<string, unknown>, known: readonly string[], prefix: string): void {
    for (const key of Object.keys(obj)) {
      if (!known.includes(key)) {
        this.add(`unknown key '${prefix}${key}' (known keys: ${known.map((k) => prefix + k).join(', ')})`);
      }
    }
  }

  integer(
    obj: Record<string, unknown>,
    key: string,
    fallback: number | undefined,
    min: number,
    max: number,
    prefix = '',
  ): number | undefined {
    const v = obj[key];
    if (v === undefined) return fallback;
    if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) {
      this.add(`'${prefix}${key}' must be a whole number from ${min} to ${max}, got ${this.show(v)}`);
      return fallback;
    }
    return v;
  }

  optionalString(obj: Record<string, unknown>, key: string, prefix = ''): string | undefined {
    const v = obj[key];
    if (v === undefined) return undefined;
    if (typeof v !== 'string' || v.trim() === '') {
      this.add(`'${prefix}${key}' must be a non-empty string, got ${this.show(v)}`);
      return undefined;
    }
    return v;
  }

  requiredString(obj: Record<string, unknown>, key: string, what: string): string | undefined {
    if (obj[key] === undefined) {
      this.add(`'${key}' is required: ${what}`);
      return undefined;
    }
    return this.optionalString(obj, key);
  }

  throwIfAny(): void {
    if (this.list.length > 0) throw new ClusterConfigError(this.list);
  }
}

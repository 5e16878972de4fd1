/**
 * Renders a JSON value the way Erlang's `~tp` prints the term RabbitMQ decoded it into, so policy
 * validation errors read as RabbitMQ's do: strings are binaries (`<<"x">>`), objects are maps
 * (`#{<<"k">> => 1}`), null/true/false are atoms.
 */
export function erlangTerm(v: unknown): string {
  if (v === null || v === undefined) return v === null ? 'null' : 'undefined';
  if (typeof v === 'string') return binary(v);
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  if (Array.isArray(v)) return `[${v.map(erlangTerm).join(',')}]`;
  if (typeof v === 'object') {
    const entries = Object.keys(v as object)
      .sort()
      .map((k) => `${binary(k)} => ${erlangTerm((v as Record<string, unknown>)[k])}`);
    return `#{${entries.join(',')}}`;
  }
  return String(v);
}

/** A proplist such as RabbitMQ prints for unrecognised settings: `[{<<"foo">>,1}]`. */
export function erlangProplist(pairs: [string, unknown][]): string {
  return `[${pairs.map(([k, v]) => `{${binary(k)},${erlangTerm(v)}}`).join(',')}]`;
}

function binary(s: string): string {
  const escaped = s.replace(/["\\]/g, (c) => `\\${c}`);
  // Erlang marks a binary holding non-ASCII UTF-8 with /utf8.
  return /^[\x20-\x7e]*$/.test(s) ? `<<"${escaped}">>` : `<<"${escaped}"/utf8>>`;
}

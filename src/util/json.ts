/**
 * Deterministic JSON for models that hold bigints (addresses) and Uint8Arrays.
 * bigint -> "0x..." hex string; Uint8Array -> hex string; keys keep insertion order
 * (our models are built in a fixed order, so output is stable byte for byte).
 */
export function toJson(value: unknown, indent = 2): string {
  return (
    JSON.stringify(
      value,
      (_k, v) => {
        if (typeof v === 'bigint') return '0x' + v.toString(16);
        if (v instanceof Uint8Array) return Buffer.from(v).toString('hex');
        return v;
      },
      indent,
    ) + '\n'
  );
}

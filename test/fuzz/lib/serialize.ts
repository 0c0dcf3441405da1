/**
 * A fuzz input as one byte string (a JSON header, the bytes, the twin), so that the case in
 * flight can sit in shared memory for the watchdog and be written out as a regression fixture.
 */
import type { FuzzInput } from './targets';

export function encodeInput(i: FuzzInput): Uint8Array {
  const head = new TextEncoder().encode(
    JSON.stringify({ target: i.target, file: i.file, valid: i.valid ?? false, origin: i.origin, n: i.bytes.length, twin: i.twin?.length ?? -1 }),
  );
  const out = new Uint8Array(4 + head.length + i.bytes.length + (i.twin?.length ?? 0));
  new DataView(out.buffer).setUint32(0, head.length, true);
  out.set(head, 4);
  out.set(i.bytes, 4 + head.length);
  if (i.twin) out.set(i.twin, 4 + head.length + i.bytes.length);
  return out;
}

export function decodeInput(b: Uint8Array): FuzzInput {
  const hl = new DataView(b.buffer, b.byteOffset, b.byteLength).getUint32(0, true);
  const h = JSON.parse(new TextDecoder().decode(b.subarray(4, 4 + hl))) as {
    target: FuzzInput['target'];
    file: string;
    valid: boolean;
    origin: string;
    n: number;
    twin: number;
  };
  const at = 4 + hl;
  const input: FuzzInput = { target: h.target, file: h.file, origin: h.origin, bytes: b.slice(at, at + h.n) };
  if (h.valid) input.valid = true;
  if (h.twin >= 0) input.twin = b.slice(at + h.n, at + h.n + h.twin);
  return input;
}

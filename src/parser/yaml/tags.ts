/**
 * YAML scalar tags for our number syntax. YAML 1.2's core schema would read `0x40_1000_0000`
 * or `64K` as strings and large decimals as imprecise floats; these tags resolve every integer
 * form the DSL accepts to a bigint, so an address never silently becomes a string.
 */
import type { ScalarTag, Tags } from 'yaml';
import { INT_LITERAL_RE, parseIntLiteral } from '../literals';

const intTag: ScalarTag = {
  tag: 'tag:iotopo,2025:int',
  default: true,
  identify: (v) => typeof v === 'bigint',
  test: INT_LITERAL_RE,
  resolve(str, onError) {
    const r = parseIntLiteral(str);
    if (r.ok) return r.value;
    onError(r.message);
    return str;
  },
};

/** Ours first: the first matching tag wins when a plain scalar is resolved. */
export const customTags = (tags: Tags): Tags => [intTag, ...tags];

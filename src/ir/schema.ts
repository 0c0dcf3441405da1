/**
 * JSON Schema (draft 2020-12) for the YAML form, generated from the model spec so that the
 * two can never disagree. Profile-dependent rules (required in custom only, allowed in one
 * profile only) and references stay with lowering: the schema checks shape and ranges.
 * Editors use it through `# yaml-language-server: $schema=...`.
 */
import { BLOCKS, type BlockSpec, type PropSpec, type PropType } from './spec';

export const SCHEMA_ID = 'https://iotopo.dev/schema/iotopo-0.1.json';

const IDENT_PATTERN = '^[A-Za-z_][A-Za-z0-9_]*(?:[.-][A-Za-z0-9_]+)*$';
const INT_PATTERN = '^(?:0[xX][0-9a-fA-F](?:_?[0-9a-fA-F])*|0[bB][01](?:_?[01])*|[0-9](?:_?[0-9])*)(?:[KMGT](?:iB)?)?$';
const RANGE_PATTERN =
  '^(?:0[xX][0-9a-fA-F](?:_?[0-9a-fA-F])*|0[bB][01](?:_?[01])*|[0-9](?:_?[0-9])*)\\.\\.(?:0[xX][0-9a-fA-F](?:_?[0-9a-fA-F])*|0[bB][01](?:_?[01])*|[0-9](?:_?[0-9])*)$';

type Json = Record<string, unknown>;

const num = (n: bigint): number => Number(n);

function typeSchema(t: PropType): Json {
  switch (t.t) {
    case 'int': {
      const int: Json = { type: 'integer', minimum: num(t.min), maximum: num(t.max) };
      const alts: Json[] = [int];
      if (t.size) alts.push({ type: 'string', pattern: INT_PATTERN });
      if (t.names) alts.push({ enum: Object.keys(t.names) });
      if (alts.length === 1) return int;
      return {
        title: t.size ? 'an integer (0x.., 0b.., 1_000, or with a size suffix: 64K, 1M, 4G)' : `an integer or one of ${Object.keys(t.names!).join(', ')}`,
        anyOf: alts,
      };
    }
    case 'bool':
      return { type: 'boolean' };
    case 'string': {
      const s: Json = { type: 'string' };
      if (t.maxLen !== undefined) s.maxLength = t.maxLen;
      if (t.pattern) s.pattern = t.pattern.source;
      return s;
    }
    case 'enum':
      return { enum: [...t.values] };
    case 'ref':
      return { type: 'string', pattern: IDENT_PATTERN };
    case 'range':
      return { type: 'string', pattern: RANGE_PATTERN, title: 'an inclusive range lo..hi' };
    case 'memrange': {
      const addr = typeSchema({ t: 'int', min: 0n, max: (1n << 64n) - 1n, size: true });
      return {
        type: 'object',
        additionalProperties: false,
        required: ['base', 'size'],
        properties: { base: addr, size: addr },
      };
    }
    case 'ids': {
      const item = {
        anyOf: [
          { type: 'string', pattern: IDENT_PATTERN },
          { type: 'string', pattern: RANGE_PATTERN },
          { type: 'integer', minimum: 0, maximum: 0xffff_ffff },
        ],
        title: 'a bridge or device id, a stream ID or a range lo..hi',
      };
      return { title: 'an id, stream ID or range, or a list of them', anyOf: [item, { type: 'array', items: item, minItems: 1 }] };
    }
  }
}

function propSchema(p: PropSpec): Json {
  let s = typeSchema(p.type);
  if (p.repeat && p.type.t !== 'ids') s = { title: `${p.type.t === 'memrange' ? '{base, size}' : 'a value'} or a list of them`, anyOf: [s, { type: 'array', items: s, minItems: 1 }] };
  const doc = [p.doc, p.default ? `Default: ${p.default}.` : '', p.profiles ? `Profile ${p.profiles.join(', ')} only.` : '', p.required === 'custom' ? 'Required in profile custom.' : '']
    .filter(Boolean)
    .join(' ');
  return { ...s, description: doc };
}

function blockSchema(b: BlockSpec): Json {
  const properties: Record<string, Json> = {};
  if (b.subkinds) properties.kind = { enum: [...b.subkinds], description: `Kind of ${b.kind}.` };
  for (const p of b.props) {
    properties[p.name] = propSchema(p);
    for (const a of p.aliases ?? []) properties[a] = { ...propSchema(p), description: `Alias of ${p.name}.` };
  }
  const required = [...(b.subkinds ? ['kind'] : []), ...b.props.filter((p) => p.required === true).map((p) => p.name)];
  const s: Json = { type: 'object', description: b.doc, additionalProperties: false, properties };
  if (required.length) s.required = required;
  return s;
}

/** The schema `iotopo schema` prints. */
export function yamlSchema(): Json {
  const machine = BLOCKS.find((b) => b.kind === 'machine')!;
  const defs: Record<string, Json> = {};
  const properties: Record<string, Json> = {
    machine: { type: 'string', pattern: IDENT_PATTERN, description: 'Machine name.' },
  };
  for (const p of machine.props) if (p.name !== 'its') properties[p.name] = propSchema(p);
  for (const b of BLOCKS) {
    if (b.kind === 'machine') continue;
    defs[b.kind] = blockSchema(b);
    const ref = { $ref: `#/$defs/${b.kind}` };
    const map: Json = {
      type: 'object',
      description: `${b.doc} Map of id -> ${b.kind}.`,
      propertyNames: { pattern: IDENT_PATTERN },
      additionalProperties: ref,
    };
    if (b.kind === 'its') {
      const off = machine.props.find((p) => p.name === 'its')!;
      properties.its = { title: "'off', or a map of id -> its", description: `${off.doc} Or a map of id -> its.`, anyOf: [typeSchema(off.type), map] };
    } else properties[b.kind] = b.id === 'none' ? ref : map;
  }
  return {
    $schema: 'https://json-schema.org/draft/2020-12/schema',
    $id: SCHEMA_ID,
    title: 'iotopo machine description (YAML form)',
    description: 'Arm IO topology: SMMUv3, PCIe root complexes, pxb-pcie bridges, devices and RMRs. See grammar/README.md.',
    type: 'object',
    required: ['machine'],
    additionalProperties: false,
    properties,
    $defs: defs,
  };
}

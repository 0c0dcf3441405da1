/**
 * Generated documents stay in step with the model spec: the tables in grammar/README.md and
 * grammar/iotopo.schema.json. Regenerate on purpose with UPDATE_GOLDEN=1.
 */
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import Ajv2020 from 'ajv/dist/2020.js';
import { parse } from 'yaml';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { allCodes } from '../../src/diag/diagnostic';
import '../../src/ir/index';
import { yamlSchema } from '../../src/ir/schema';
import { codesMarkdown, replaceSection, specMarkdown } from '../../src/ir/spec-doc';
import { EXAMPLES, ROOT } from './helpers';

const update = process.env.UPDATE_GOLDEN === '1';

function golden(path: string, want: string) {
  if (update) writeFileSync(path, want);
  expect(readFileSync(path, 'utf8')).toBe(want);
}

describe('generated documents', () => {
  it('grammar/README.md carries the current spec and code tables', () => {
    const path = join(ROOT, 'grammar', 'README.md');
    let doc = readFileSync(path, 'utf8');
    doc = replaceSection(doc, 'spec', specMarkdown());
    doc = replaceSection(doc, 'codes', codesMarkdown(allCodes()));
    golden(path, doc);
    expect(doc).toContain('| `bus_nr` |');
    expect(doc).toContain('| IOT2010 | error | duplicate id |');
  });

  it('grammar/iotopo.schema.json is what `iotopo schema` prints', () => {
    golden(join(ROOT, 'grammar', 'iotopo.schema.json'), JSON.stringify(yamlSchema(), null, 2) + '\n');
  });

  it('an editor reading the examples with plain YAML 1.2 sees no schema error', () => {
    // Editors do not know our number tags: 0x40_1000_0000 and 64K reach them as strings.
    const validate = new Ajv2020({ strict: true, allowUnionTypes: true, allErrors: true }).compile(
      JSON.parse(readFileSync(join(ROOT, 'grammar', 'iotopo.schema.json'), 'utf8')),
    );
    const files = readdirSync(EXAMPLES).filter((f) => f.endsWith('.yaml'));
    expect(files.length).toBeGreaterThanOrEqual(5);
    for (const f of files) {
      const text = readFileSync(join(EXAMPLES, f), 'utf8');
      expect(text.split('\n')[0]).toBe('# yaml-language-server: $schema=../grammar/iotopo.schema.json');
      const ok = validate(parse(text));
      expect(validate.errors ?? [], f).toEqual([]);
      expect(ok).toBe(true);
    }
  });
});

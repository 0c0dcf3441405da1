/**
 * docs/checks.md lists every check from the registry (name, code, level, target, rule, source,
 * prerequisites) between GENERATED markers; this test keeps it in sync. Regenerate with
 *   UPDATE_GOLDEN=1 npx vitest run test/check/docs.test.ts
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { allChecks } from '../../src/check/index';

const DOC = join(__dirname, '../../docs/checks.md');
const BEGIN = '<!-- BEGIN GENERATED: check list (test/check/docs.test.ts) -->';
const END = '<!-- END GENERATED -->';

const TARGET: Record<string, string> = { config: 'Config (lowered IR)', iort: 'IORT tables', dt: 'Device trees' };

function render(): string {
  const out: string[] = [];
  for (const target of ['config', 'iort', 'dt']) {
    const cs = allChecks().filter((c) => c.target === target);
    out.push(`### ${TARGET[target]}`, '', '| name | code | default | what |', '| --- | --- | --- | --- |');
    for (const c of cs) out.push(`| [\`${c.name}\`](#${c.name}) | ${c.code} | ${c.level} | ${c.title} |`);
    out.push('');
    for (const c of cs) {
      out.push(`#### ${c.name}`, '', `\`${c.code}\`, default **${c.level}**${c.prereqs.length ? `, prerequisites: ${c.prereqs.map((p) => `\`${p}\``).join(', ')}` : ''}.`, '');
      out.push(c.explain, '', `Source: ${c.source}`, '');
    }
  }
  return out.join('\n').trim();
}

describe('docs/checks.md', () => {
  it('lists every check as the registry defines it', () => {
    const doc = readFileSync(DOC, 'utf8');
    const a = doc.indexOf(BEGIN);
    const b = doc.indexOf(END);
    expect(a).toBeGreaterThan(0);
    expect(b).toBeGreaterThan(a);
    if (process.env.UPDATE_GOLDEN === '1') writeFileSync(DOC, doc.slice(0, a + BEGIN.length) + '\n' + render() + '\n' + doc.slice(b));
    const now = readFileSync(DOC, 'utf8');
    expect(now.slice(now.indexOf(BEGIN) + BEGIN.length, now.indexOf(END)).trim()).toBe(render());
  });
});

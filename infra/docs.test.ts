import { expect, test } from 'bun:test';
import { currentDocs, renderConfigDocs } from './docs.ts';

test('docs/configuration.md lists exactly the settings the schemas accept (regenerate with `bun infra/docs.ts`)', () => {
  expect(currentDocs()).toBe(renderConfigDocs());
});

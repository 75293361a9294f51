import { describe, expect, test } from 'bun:test';
import * as v from 'valibot';
import { ConfigError, defineConfig, describeConfig, loadConfig, port, setting } from './index.ts';

const spec = defineConfig('demo', 'DEMO', {
  httpPort: setting(port, 8080, 'HTTP port.'),
  databaseUrl: setting(v.string(), 'postgres://localhost/test', 'Database.', { env: 'DATABASE_URL' }),
  gzip: setting(v.boolean(), true, 'Accept gzip bodies.'),
  mode: setting(v.picklist(['fast', 'safe']), 'safe', 'Delivery mode.'),
  topics: setting(v.array(v.string()), ['events'], 'Topics to read.'),
});

describe('component config', () => {
  test('defaults apply when no variable is set', () => {
    expect(loadConfig(spec, {})).toEqual({ httpPort: 8080, databaseUrl: 'postgres://localhost/test', gzip: true, mode: 'safe', topics: ['events'] });
  });

  test('variables are read by prefixed snake-case name, or by their conventional name, and coerced to the schema type', () => {
    const cfg = loadConfig(spec, { DEMO_HTTP_PORT: '9000', DATABASE_URL: 'postgres://db/x', DEMO_GZIP: 'false', DEMO_TOPICS: 'a, b' });
    expect(cfg).toMatchObject({ httpPort: 9000, databaseUrl: 'postgres://db/x', gzip: false, topics: ['a', 'b'] });
  });

  test('a bad value stops start-up with the variable name, the value and what was expected', () => {
    let error: unknown;
    try {
      loadConfig(spec, { DEMO_HTTP_PORT: 'eighty', DEMO_MODE: 'reckless' });
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const message = (error as ConfigError).message;
    expect(message).toContain('DEMO_HTTP_PORT="eighty": expected a number');
    expect(message).toContain('DEMO_MODE="reckless"');
    expect((error as ConfigError).problems).toHaveLength(2);
  });

  test('a port outside 1..65535 is rejected', () => {
    expect(() => loadConfig(spec, { DEMO_HTTP_PORT: '70000' })).toThrow(/DEMO_HTTP_PORT="70000"/);
  });

  test('programmatic options reject unknown keys by name', () => {
    expect(() => loadConfig(spec, {}, { httpPort: 1, colour: 'blue' })).toThrow(/unknown setting "colour"/);
  });

  test('every setting is documented with its variable, type, default and description', () => {
    const rows = describeConfig(spec);
    expect(rows.map((r) => r.env)).toEqual(['DEMO_HTTP_PORT', 'DATABASE_URL', 'DEMO_GZIP', 'DEMO_MODE', 'DEMO_TOPICS']);
    expect(rows[0]).toEqual({ key: 'httpPort', env: 'DEMO_HTTP_PORT', type: 'number', default: 8080, description: 'HTTP port.' });
    expect(rows.every((r) => r.description.length > 0)).toBe(true);
  });
});

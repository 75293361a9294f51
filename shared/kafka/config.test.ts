import { describe, expect, test } from 'bun:test';
import { createAdmin, createConsumer, createProducer, KafkaConfigError, librdkafkaVersion, LibraryNotFoundError, resolveLibrdkafka } from './index.ts';

describe('librdkafka discovery', () => {
  test('loads the installed librdkafka', () => {
    expect(librdkafkaVersion()).toMatch(/^\d+\.\d+\.\d+/);
  });

  test('a wrong library path fails with the install command, not a crash', () => {
    const attempt = () => createProducer({ libraryPath: '/nope/librdkafka.so.1' });
    expect(attempt).toThrow(LibraryNotFoundError);
    expect(attempt).toThrow(/sudo apt-get install -y librdkafka1/);
    expect(attempt).toThrow(/brew install librdkafka/);
    expect(attempt).toThrow(/RDKAFKA_LIB/);
  });

  test('RDKAFKA_LIB wins over the usual paths, and a wrong one is reported as such', () => {
    const found = resolveLibrdkafka(undefined, {});
    expect(resolveLibrdkafka(undefined, { RDKAFKA_LIB: found })).toBe(found);
    expect(() => resolveLibrdkafka(undefined, { RDKAFKA_LIB: '/tmp/missing.so' })).toThrow(/RDKAFKA_LIB=\/tmp\/missing.so does not exist/);
  });

  test('a file that is not a shared library is reported clearly', () => {
    expect(() => createProducer({ libraryPath: import.meta.path })).toThrow(LibraryNotFoundError);
  });
});

describe('configuration errors name the key', () => {
  function configError(fn: () => unknown): KafkaConfigError {
    try {
      fn();
    } catch (e) {
      if (e instanceof KafkaConfigError) return e;
      throw e;
    }
    throw new Error('expected a KafkaConfigError');
  }

  test('an unknown key', () => {
    const e = configError(() => createProducer({ config: { 'lingr.ms': 5 } }));
    expect(e.key).toBe('lingr.ms');
    expect(e.message).toContain('unknown configuration property');
  });

  test('a value of the wrong type', () => {
    const e = configError(() => createProducer({ config: { 'linger.ms': {} as unknown as string } }));
    expect(e.key).toBe('linger.ms');
    expect(e.message).toContain('expected a string, number or boolean, got object');
  });

  test('a value librdkafka rejects', () => {
    const e = configError(() => createConsumer({ groupId: 'g', topics: ['t'], config: { 'session.timeout.ms': 'soon' } }));
    expect(e.key).toBe('session.timeout.ms');
    expect(e.message).toMatch(/session.timeout.ms/);
  });

  test('an enum value out of range', () => {
    const e = configError(() => createProducer({ config: { 'compression.type': 'brotli' } }));
    expect(e.key).toBe('compression.type');
  });

  test('conflicting properties are reported by librdkafka with the property named', () => {
    const e = configError(() => createProducer({ config: { 'enable.idempotence': true, acks: 1 } }));
    expect(e.message).toMatch(/acks|idempotence/);
  });

  test('admin clients validate their configuration too', () => {
    expect(configError(() => createAdmin({ config: { 'no.such': 1 } })).key).toBe('no.such');
  });
});

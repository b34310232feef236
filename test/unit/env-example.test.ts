import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { CONFIG_VARIABLES, loadConfig } from '../../src/config.js';
import { KIOSK_KEY } from '../support/keys.js';

const file = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../.env.example');

function parseEnvFile(text: string): Record<string, string> {
  const env: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const match = /^([A-Z][A-Z0-9_]*)=(.*)$/.exec(line.trim());
    if (match) env[match[1]!] = match[2]!;
  }
  return env;
}

describe('.env.example', () => {
  const example = parseEnvFile(readFileSync(file, 'utf8'));

  it('lists every setting the app reads, and nothing else', () => {
    expect(Object.keys(example).sort()).toEqual([...CONFIG_VARIABLES].sort());
  });

  it('gives each setting its real default', () => {
    // Loading the file must configure the app exactly as an empty environment does.
    const key = { KIOSK_API_KEY: KIOSK_KEY };
    expect(loadConfig({ ...example, ...key })).toEqual(loadConfig(key));
  });
});

import { describe, expect, it } from 'vitest';
import { computeCheckDigit, maskRut, parseRut } from '../../src/domain/rut.js';

/** Bodies whose module-11 check digit is K (found with computeCheckDigit, checked by hand below). */
const K_BODIES = ['10000013', '6000000'];

describe('RUT check digit', () => {
  it('computes the module-11 check digit of a known RUT', () => {
    expect(computeCheckDigit('12345678')).toBe('5');
  });

  it('gives K when 11 − (sum mod 11) is 10', () => {
    // 10000013: 3×2 + 1×3 + 1×3 = 12; 12 mod 11 = 1; 11 − 1 = 10 → K
    for (const body of K_BODIES) expect(computeCheckDigit(body)).toBe('K');
  });

  it('gives 0 when 11 − (sum mod 11) is 11', () => {
    expect(computeCheckDigit('1000013')).toBe('0');
    expect(parseRut('1.000.013-0')).toEqual({ ok: true, rut: '1000013-0' });
  });
});

describe('parseRut', () => {
  it.each(['12.345.678-5', '12345678-5', '123456785', '  12.345.678-5  '])('accepts %j and normalises it to 12345678-5', (input) => {
    expect(parseRut(input)).toEqual({ ok: true, rut: '12345678-5' });
  });

  it('accepts a K check digit in either case', () => {
    for (const input of ['10.000.013-K', '10.000.013-k', '10000013-k', '10000013K', '10000013k']) {
      expect(parseRut(input)).toEqual({ ok: true, rut: '10000013-K' });
    }
  });

  it('accepts a seven-digit body, with or without dots', () => {
    expect(parseRut('6.000.000-K')).toEqual({ ok: true, rut: '6000000-K' });
    expect(parseRut('6000000k')).toEqual({ ok: true, rut: '6000000-K' });
  });

  it('rejects a wrong check digit with a message about the check digit', () => {
    for (const input of ['12.345.678-9', '12345678-K', '123456780', '10000013-1']) {
      const result = parseRut(input);
      expect(result.ok).toBe(false);
      if (!result.ok) expect(result.reason).toMatch(/dígito verificador/);
    }
  });

  it('rejects an empty or blank RUT as missing', () => {
    expect(parseRut('')).toEqual({ ok: false, reason: 'El RUT es obligatorio' });
    expect(parseRut('   ')).toEqual({ ok: false, reason: 'El RUT es obligatorio' });
  });

  it.each(['abc', '12a45678-5', 'K', '12.345.678-X', '12345678-55', 'RUT 12345678-5', '12345678 -5', '12,345,678-5'])(
    'rejects %j as malformed',
    (input) => {
      const result = parseRut(input);
      expect(result.ok).toBe(false);
      if (!result.ok) expect(result.reason).toMatch(/formato válido/);
    },
  );

  it('rejects a body longer than eight digits', () => {
    const nine = '123456789';
    expect(parseRut(`${nine}-${computeCheckDigit(nine)}`).ok).toBe(false);
    expect(parseRut('1234567890-1').ok).toBe(false);
    expect(parseRut('1'.repeat(10_000)).ok).toBe(false);
  });

  it.each(['1.2345.678-5', '12.34.5678-5', '123.456.78-5', '12.345678-5', '12345.678-5', '.12.345.678-5', '12..345.678-5', '12.345.678.-5'])(
    'rejects the badly grouped dots of %j',
    (input) => {
      expect(parseRut(input).ok).toBe(false);
    },
  );

  it('rejects a body that is only zeros', () => {
    expect(parseRut('0-0').ok).toBe(false);
    expect(parseRut('00000000-0').ok).toBe(false);
  });

  it('rejects digits that only look like digits (full-width, Arabic-Indic) and hidden characters', () => {
    for (const input of ['１２３４５６７８-５', '١٢٣٤٥٦٧٨-٥', '12345678\u200b-5', '\u202e12345678-5', '12345678-5\u0000']) {
      expect(parseRut(input).ok).toBe(false);
    }
  });
});

describe('maskRut', () => {
  it('shows only the first two digits and the check digit: 12.***.***-5', () => {
    expect(maskRut('12345678-5')).toBe('12.***.***-5');
  });

  it('masks a dotted RUT the same way and upper-cases k', () => {
    expect(maskRut('12.345.678-5')).toBe('12.***.***-5');
    expect(maskRut('10000013-k')).toBe('10.***.***-K');
  });

  it('keeps at least one digit of a seven-digit body', () => {
    expect(maskRut('6000000-K')).toBe('6.***.***-K');
  });

  it('never echoes something that is not a RUT', () => {
    expect(maskRut('hola mundo')).toBe('***');
    expect(maskRut('')).toBe('***');
  });
});

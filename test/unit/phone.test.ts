import { describe, expect, it } from 'vitest';
import { maskPhone, normalisePhone } from '../../src/domain/phone.js';

describe('normalisePhone', () => {
  it('accepts +56 followed by exactly nine digits', () => {
    expect(normalisePhone('+56912345678')).toBe('+56912345678');
    expect(normalisePhone('+56221234567')).toBe('+56221234567');
  });

  it('tolerates the spaces and hyphens people type, storing the compact form', () => {
    expect(normalisePhone('+56 9 1234 5678')).toBe('+56912345678');
    expect(normalisePhone('+56-9-1234-5678')).toBe('+56912345678');
  });

  it.each([
    ['without the plus', '56912345678'],
    ['without the country code', '912345678'],
    ['with eight digits', '+5691234567'],
    ['with ten digits', '+569123456789'],
    ['with another country code', '+54912345678'],
    ['with a letter', '+5691234567a'],
    ['with parentheses', '+56(9)12345678'],
    ['with full-width digits', '+56９12345678'],
    ['with a trailing NUL', '+56912345678\u0000'],
    ['empty', ''],
    ['a short number', '123'],
  ])('rejects a phone %s', (_label, input) => {
    expect(normalisePhone(input)).toBeNull();
  });
});

describe('maskPhone', () => {
  it('keeps the country prefix and the last four digits: +569****5678', () => {
    expect(maskPhone('+56912345678')).toBe('+569****5678');
  });

  it('never shows the middle digits', () => {
    expect(maskPhone('+56912345678')).not.toContain('1234');
  });

  it('hides a value too short to mask meaningfully', () => {
    expect(maskPhone('123')).toBe('***');
  });
});

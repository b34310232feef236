import { describe, expect, it } from 'vitest';
import { isLinkToken, normaliseShortCode } from '../../src/modules/ticket-links/ticket-link.service.js';

describe('the tótem’s link token and short code (SPEC §19)', () => {
  it('recognises a token: k_ and 43 base64url characters, nothing else', () => {
    expect(isLinkToken(`k_${'A'.repeat(43)}`)).toBe(true);
    expect(isLinkToken(`k_${'a-_9'.repeat(10)}xyz`)).toBe(true);
    expect(isLinkToken(`k_${'A'.repeat(42)}`)).toBe(false);
    expect(isLinkToken(`t_${'a'.repeat(32)}`)).toBe(false);
    expect(isLinkToken(`k_${'A'.repeat(42)}=`)).toBe(false);
  });

  it('reads a short code in any case, with or without the dash or spaces', () => {
    expect(normaliseShortCode('abcd-ef23')).toBe('ABCDEF23');
    expect(normaliseShortCode(' ABCD EF23 ')).toBe('ABCDEF23');
    expect(normaliseShortCode('ABCDEF23')).toBe('ABCDEF23');
  });

  it('refuses characters the alphabet leaves out (0, O, 1, I, L) and wrong lengths', () => {
    expect(normaliseShortCode('ABCD-EF20')).toBeNull();
    expect(normaliseShortCode('ABCD-EFO2')).toBeNull();
    expect(normaliseShortCode('ABCD-EF1L')).toBeNull();
    expect(normaliseShortCode('ABCD-EF2')).toBeNull();
    expect(normaliseShortCode('ABCD-EF234')).toBeNull();
  });
});

import { describe, expect, it } from 'vitest';
import { estimateWaitMinutes, isProximo } from '../../src/domain/estimate.js';

describe('estimateWaitMinutes', () => {
  it('is ceil(position × average ÷ advisors online)', () => {
    expect(estimateWaitMinutes(5, 'EMPRESAS', 2)).toBe(50); // 5 × 20 ÷ 2
    expect(estimateWaitMinutes(3, 'PERSONAL_BANKER', 2)).toBe(23); // ceil(45 ÷ 2)
    expect(estimateWaitMinutes(1, 'GERENCIA', 3)).toBe(10); // 30 ÷ 3
    expect(estimateWaitMinutes(2, 'CAJA', 3)).toBe(4); // ceil(10 ÷ 3)
  });

  it('is one average per position with a single advisor online', () => {
    expect(estimateWaitMinutes(1, 'PERSONAL_BANKER', 1)).toBe(15);
    expect(estimateWaitMinutes(4, 'CAJA', 1)).toBe(20);
  });

  it('divides by one when no advisor is online', () => {
    expect(estimateWaitMinutes(2, 'GERENCIA', 0)).toBe(60);
    expect(estimateWaitMinutes(1, 'CAJA', 0)).toBe(5);
  });

  it('is 0 for position 0 (being served)', () => {
    expect(estimateWaitMinutes(0, 'GERENCIA', 0)).toBe(0);
    expect(estimateWaitMinutes(0, 'CAJA', 4)).toBe(0);
  });

  it('never goes negative', () => {
    expect(estimateWaitMinutes(-3, 'CAJA', 1)).toBe(0);
  });
});

describe('isProximo', () => {
  it('is true at and under the threshold', () => {
    expect(isProximo(1, 3)).toBe(true);
    expect(isProximo(3, 3)).toBe(true);
  });

  it('is false above the threshold', () => {
    expect(isProximo(4, 3)).toBe(false);
    expect(isProximo(2, 1)).toBe(false);
  });

  it('is false for a ticket being served (position 0)', () => {
    expect(isProximo(0, 3)).toBe(false);
  });

  it('follows the configured threshold', () => {
    expect(isProximo(5, 5)).toBe(true);
    expect(isProximo(1, 1)).toBe(true);
  });
});

import { describe, expect, it } from 'vitest';
import { funnelLimits, percentileFromHistogram, Z95, Z998 } from '../../src/modules/reports/report.service.js';

describe('funnel-plot limits (Spiegelhalter 2005)', () => {
  it('p = 10 % at n = 100: ±1.96 × 3 % and ±3.09 × 3 %', () => {
    const [lo95, hi95] = funnelLimits(0.1, 100, Z95)!;
    expect(lo95).toBeCloseTo(0.1 - 1.959964 * 0.03, 10);
    expect(hi95).toBeCloseTo(0.1587989, 6);
    const [lo998, hi998] = funnelLimits(0.1, 100, Z998)!;
    expect(lo998).toBeCloseTo(0.0072930, 6);
    expect(hi998).toBeCloseTo(0.1927070, 6);
  });

  it('narrows as the volume grows (n = 10,000: ±0.588 points at 95 %)', () => {
    const [lo, hi] = funnelLimits(0.1, 10_000, Z95)!;
    expect(hi - lo).toBeCloseTo(2 * 0.00587989, 7);
  });

  it('is clamped to [0, 1] for a small branch and has none at volume 0', () => {
    expect(funnelLimits(0.02, 10, Z95)![0]).toBe(0);
    expect(funnelLimits(0.98, 10, Z95)![1]).toBe(1);
    expect(funnelLimits(0.5, 0, Z95)).toBeNull();
  });
});

describe('percentiles from minute buckets', () => {
  it('reads the nearest rank off the cumulative counts', () => {
    // 10 waits: 3 in minute 0, 4 in minute 2, 2 in minute 5, 1 beyond 120 minutes.
    const hist = Array<number>(122).fill(0);
    hist[0] = 3;
    hist[2] = 4;
    hist[5] = 2;
    hist[121] = 1;
    expect(percentileFromHistogram(hist, 0.3)).toBe(0);
    expect(percentileFromHistogram(hist, 0.5)).toBe(2);
    expect(percentileFromHistogram(hist, 0.9)).toBe(5);
    expect(percentileFromHistogram(hist, 0.95)).toBe(121);
    expect(percentileFromHistogram(Array<number>(122).fill(0), 0.5)).toBeNull();
  });

  it('of two sets is the percentile of their pooled waits, not the mean of their percentiles', () => {
    const a = Array<number>(122).fill(0);
    const b = Array<number>(122).fill(0);
    a[1] = 90; // a small fast branch…
    b[30] = 10; // …and a slow one
    const pooled = a.map((v, i) => v + b[i]!);
    expect(percentileFromHistogram(pooled, 0.9)).toBe(1);
    expect((percentileFromHistogram(a, 0.9)! + percentileFromHistogram(b, 0.9)!) / 2).toBe(15.5);
  });
});

import { describe, expect, it } from 'vitest';
import { formatHoursText, parseHoursText } from '../../src/domain/hours-text.js';

describe('opening hours as text (SPEC §17)', () => {
  it('reads ranges, lists and several periods a day', () => {
    expect(parseHoursText('L-V 09:00-14:00; S 10:00-13:00')).toEqual({
      ok: true,
      hours: {
        '1': [{ opens: '09:00', closes: '14:00' }],
        '2': [{ opens: '09:00', closes: '14:00' }],
        '3': [{ opens: '09:00', closes: '14:00' }],
        '4': [{ opens: '09:00', closes: '14:00' }],
        '5': [{ opens: '09:00', closes: '14:00' }],
        '6': [{ opens: '10:00', closes: '13:00' }],
      },
    });
    const split = parseHoursText('L-V 15:00-17:00,09:00-13:00');
    expect(split.ok && split.hours['3']).toEqual([{ opens: '09:00', closes: '13:00' }, { opens: '15:00', closes: '17:00' }]);
    const list = parseHoursText('l,x , v 08:30-24:00');
    expect(list.ok && Object.keys(list.hours)).toEqual(['1', '3', '5']);
    expect(parseHoursText('')).toEqual({ ok: true, hours: {} });
  });

  it('names what is wrong', () => {
    const error = (text: string) => {
      const r = parseHoursText(text);
      return r.ok ? null : r.error;
    };
    expect(error('L-V')).toMatch(/días y horas/);
    expect(error('L-Q 09:00-14:00')).toMatch(/L M X J V S D/);
    expect(error('V-L 09:00-14:00')).toMatch(/de lunes a domingo/);
    expect(error('L 9:00-14:00')).toMatch(/09:00-14:00/);
    expect(error('L 14:00-09:00')).toMatch(/cerrar después de abrir/);
    expect(error('L-V 09:00-14:00; V 15:00-16:00')).toMatch(/V aparece dos veces/);
    expect(error('L 09:00-14:00,13:00-15:00')).toMatch(/traslapan/);
    expect(error('L 24:00-24:00')).not.toBeNull();
  });

  it('writes hours back as text, grouping consecutive days, and reads its own text back', () => {
    for (const text of ['L-V 09:00-13:00,15:00-17:00; S 10:00-13:00', 'L 09:00-14:00; X 09:00-14:00; D 10:00-12:00', 'L-D 00:00-24:00']) {
      const parsed = parseHoursText(text);
      expect(parsed.ok).toBe(true);
      if (parsed.ok) expect(formatHoursText(parsed.hours)).toBe(text);
    }
    expect(formatHoursText(null)).toBe('');
  });
});

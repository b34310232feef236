import { describe, expect, it } from 'vitest';
import { PLANTILLAS } from '../../src/modules/notifications/mensaje.entity.js';
import { SUPERSEDABLE, URGENCY, urgencyOf } from '../../src/modules/notifications/urgency.js';

describe('dispatch urgency (SPEC §16)', () => {
  it('puts calls and recalls first, then "near", then "created" and transfers, then the survey', () => {
    expect(urgencyOf('TOTEM_ES_TU_TURNO')).toBe(urgencyOf('TOTEM_RELLAMADO'));
    expect(urgencyOf('TOTEM_ES_TU_TURNO')).toBeLessThan(urgencyOf('TOTEM_PROXIMO_TURNO'));
    expect(urgencyOf('TOTEM_PROXIMO_TURNO')).toBeLessThan(urgencyOf('TOTEM_TICKET_CREADO'));
    expect(urgencyOf('TOTEM_TRANSFERIDO')).toBe(urgencyOf('TOTEM_TICKET_CREADO'));
    expect(urgencyOf('TOTEM_TICKET_CREADO')).toBeLessThan(urgencyOf('TOTEM_ENCUESTA'));
  });

  it('ranks every template the database accepts, and never supersedes a call', () => {
    for (const plantilla of PLANTILLAS) expect(URGENCY[plantilla]).toBeTypeOf('number');
    expect(SUPERSEDABLE).not.toContain('TOTEM_ES_TU_TURNO');
    expect(SUPERSEDABLE).not.toContain('TOTEM_RELLAMADO');
    expect(SUPERSEDABLE).not.toContain('TOTEM_ENCUESTA');
  });
});

import { describe, expect, it } from 'vitest';
import { ValidationError } from '../../src/errors.js';
import { parseNumero } from '../../src/modules/tickets/ticket.validation.js';
import { parseCodigoReferencia, parseTakeTicket } from '../../src/http/schemas/tickets.js';

/** The field messages of the ValidationError that `parse` throws. */
function camposOf(input: unknown): Record<string, string> {
  try {
    parseTakeTicket(input);
  } catch (error) {
    expect(error).toBeInstanceOf(ValidationError);
    const validation = error as ValidationError;
    expect(validation.code).toBe('VALIDACION_FALLIDA');
    expect(validation.status).toBe(400);
    return validation.campos;
  }
  throw new Error(`parseTakeTicket accepted ${JSON.stringify(input)}`);
}

const VALID = { nationalId: '12.345.678-5', queueType: 'CAJA' };
const FORMATO_RUT = 'El RUT no tiene un formato válido (ej: 12.345.678-5)';
const FORMATO_TELEFONO = 'El teléfono debe tener el formato +56 seguido de 9 dígitos';
const FORMATO_SUCURSAL = 'La sucursal debe ser un texto de 1 a 100 caracteres';

describe('parseTakeTicket: a valid request', () => {
  it('normalises the RUT and leaves the optional fields null', () => {
    expect(parseTakeTicket(VALID)).toEqual({
      nationalId: '12345678-5',
      telefono: null,
      branchOffice: null,
      queueType: 'CAJA',
      atencionPreferente: null,
      consentimientoTelefono: false,
    });
  });

  it('keeps a valid phone and a trimmed branch', () => {
    expect(
      parseTakeTicket({ nationalId: '10000013-k', telefono: '+56 9 1234 5678', branchOffice: '  Sucursal Centro ', queueType: 'GERENCIA' }),
    ).toEqual({
      nationalId: '10000013-K',
      telefono: '+56912345678',
      branchOffice: 'Sucursal Centro',
      queueType: 'GERENCIA',
      atencionPreferente: null,
      consentimientoTelefono: false,
    });
  });

  it('treats a null or empty phone and a null branch as absent', () => {
    expect(parseTakeTicket({ ...VALID, telefono: null, branchOffice: null })).toMatchObject({ telefono: null, branchOffice: null });
    expect(parseTakeTicket({ ...VALID, telefono: '' })).toMatchObject({ telefono: null });
  });

  it('accepts every queue type', () => {
    for (const queueType of ['CAJA', 'PERSONAL_BANKER', 'EMPRESAS', 'GERENCIA']) {
      expect(parseTakeTicket({ ...VALID, queueType }).queueType).toBe(queueType);
    }
  });
});

describe('parseTakeTicket: the RUT', () => {
  it('says the RUT is required when it is missing, null or empty', () => {
    for (const nationalId of [undefined, null, '']) {
      expect(camposOf({ ...VALID, nationalId }).nationalId).toBe('El RUT es obligatorio');
    }
  });

  it('says the RUT must be text when it is a number, array, object or boolean', () => {
    for (const nationalId of [12345678, ['12345678-5'], { rut: '12345678-5' }, true]) {
      expect(camposOf({ ...VALID, nationalId }).nationalId).toBe('El RUT debe ser texto');
    }
  });

  it('names the check digit when it is wrong', () => {
    expect(camposOf({ ...VALID, nationalId: '12.345.678-9' }).nationalId).toBe('El dígito verificador del RUT no es válido');
  });

  it('gives the format message for a malformed or oversized RUT', () => {
    expect(camposOf({ ...VALID, nationalId: 'abc' }).nationalId).toBe(FORMATO_RUT);
    expect(camposOf({ ...VALID, nationalId: '1'.repeat(10_240) }).nationalId).toBe(FORMATO_RUT);
  });
});

describe('parseTakeTicket: the phone', () => {
  it('rejects a phone that is not +56 and nine digits', () => {
    for (const telefono of ['123', '56912345678', '+5691234567', '+54912345678']) {
      expect(camposOf({ ...VALID, telefono }).telefono).toBe(FORMATO_TELEFONO);
    }
  });

  it('rejects a phone that is not text, or too long', () => {
    for (const telefono of [56912345678, ['+56912345678'], {}, true, '+56912345678'.padEnd(21, '0')]) {
      expect(camposOf({ ...VALID, telefono }).telefono).toBe(FORMATO_TELEFONO);
    }
  });
});

describe('parseTakeTicket: the branch', () => {
  it('rejects an empty, blank, over-long or non-text branch', () => {
    for (const branchOffice of ['', '   ', 'x'.repeat(101), 1, [], {}, false]) {
      expect(camposOf({ ...VALID, branchOffice }).branchOffice).toBe(FORMATO_SUCURSAL);
    }
  });

  it('accepts a branch of exactly 100 characters', () => {
    expect(parseTakeTicket({ ...VALID, branchOffice: 'x'.repeat(100) }).branchOffice).toHaveLength(100);
  });
});

describe('parseTakeTicket: the queue type', () => {
  it('says the queue is required, listing the four', () => {
    for (const queueType of [undefined, null, '']) {
      expect(camposOf({ ...VALID, queueType }).queueType).toBe(
        'El tipo de cola es obligatorio (CAJA, PERSONAL_BANKER, EMPRESAS, GERENCIA)',
      );
    }
  });

  it('rejects an unknown or differently written queue, listing the four', () => {
    for (const queueType of ['VIP', 'caja', ' CAJA', 1, ['CAJA'], { CAJA: true }, true, 'toString']) {
      expect(camposOf({ ...VALID, queueType }).queueType).toBe(
        'El tipo de cola debe ser uno de: CAJA, PERSONAL_BANKER, EMPRESAS, GERENCIA',
      );
    }
  });
});

describe('parseTakeTicket: the request as a whole', () => {
  it('rejects a body that is not a JSON object', () => {
    for (const input of [null, undefined, [], [VALID], 'CAJA', 42, true]) {
      expect(camposOf(input)).toEqual({ cuerpo: 'Se esperaba un objeto JSON' });
    }
  });

  it('keeps the phone consent (SPEC §19) only as a boolean, and only with a phone', () => {
    expect(parseTakeTicket({ ...VALID, telefono: '+56912345678', consentimientoTelefono: true }).consentimientoTelefono).toBe(true);
    expect(camposOf({ ...VALID, telefono: '+56912345678', consentimientoTelefono: 'sí' })).toHaveProperty('consentimientoTelefono');
    expect(camposOf({ ...VALID, consentimientoTelefono: true })).toEqual({
      consentimientoTelefono: 'Sin teléfono no hay consentimiento que guardar',
    });
  });

  it('rejects unknown fields by name', () => {
    expect(camposOf({ ...VALID, status: 'ATENDIENDO', positionInQueue: 0 })).toEqual({
      status: 'Campo no permitido',
      positionInQueue: 'Campo no permitido',
    });
  });

  it('rejects a __proto__ field smuggled in through JSON', () => {
    const input = JSON.parse('{"nationalId":"12345678-5","queueType":"CAJA","__proto__":{"admin":true}}') as unknown;
    expect(Object.keys(input as object)).toContain('__proto__');
    const campos = camposOf(input);
    expect(Object.keys(campos)).toEqual(['__proto__']);
    expect(Object.getOwnPropertyDescriptor(campos, '__proto__')?.value).toBe('Campo no permitido');
    expect(({} as Record<string, unknown>).admin).toBeUndefined();
  });

  it('rejects constructor and prototype fields', () => {
    const input = JSON.parse('{"nationalId":"12345678-5","queueType":"CAJA","constructor":{"prototype":{}},"prototype":1}') as unknown;
    expect(camposOf(input)).toEqual({ constructor: 'Campo no permitido', prototype: 'Campo no permitido' });
  });

  it('cuts the name of an unknown field to 50 characters', () => {
    const campos = camposOf({ ...VALID, ['k'.repeat(5000)]: 1 });
    expect(Object.keys(campos)).toEqual(['k'.repeat(50)]);
  });

  it('reports every bad field at once', () => {
    const campos = camposOf({ nationalId: '1', telefono: '2', branchOffice: '', queueType: 'X', extra: 1 });
    expect(Object.keys(campos).sort()).toEqual(['branchOffice', 'extra', 'nationalId', 'queueType', 'telefono']);
  });

  it('says what is missing in an empty object', () => {
    expect(camposOf({})).toEqual({
      nationalId: 'El RUT es obligatorio',
      queueType: 'El tipo de cola es obligatorio (CAJA, PERSONAL_BANKER, EMPRESAS, GERENCIA)',
    });
  });
});

describe('path parameters', () => {
  it('accepts a UUID reference in any case, lower-casing it', () => {
    expect(parseCodigoReferencia('0B7A4A63-0A8E-4B59-9D5E-2F2B8C3F9A11')).toBe('0b7a4a63-0a8e-4b59-9d5e-2f2b8c3f9a11');
  });

  it('rejects a reference that is not a UUID', () => {
    for (const value of ['', 'not-a-uuid', "'; drop table ticket; --", '0b7a4a63-0a8e-4b59-9d5e-2f2b8c3f9a11x', '0b7a4a63-0a8e-4b59-9d5e-2f2b8c3f9a1\u0000']) {
      expect(() => parseCodigoReferencia(value)).toThrow(ValidationError);
    }
  });

  it('accepts a ticket number in either case', () => {
    expect(parseNumero('c05')).toBe('C05');
    expect(parseNumero('G100')).toBe('G100');
  });

  it('rejects a ticket number that no queue could give', () => {
    for (const value of ['', 'C5', 'X05', '05', 'C05 ', 'C-5', 'C123456789', "C01'; --", 'Ｃ05']) {
      expect(() => parseNumero(value)).toThrow(ValidationError);
    }
  });
});

import { Writable } from 'node:stream';
import { setImmediate as tick } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { createLogger, type Logger } from '../../src/logger.js';

const RUT = '12345678-5';
const DOTTED_RUT = '12.345.678-5';
const MASKED_RUT = '12.***.***-5';
const PHONE = '+56912345678';
const MASKED_PHONE = '+569****5678';

/** A logger writing into memory, and a function returning what it wrote so far. */
function capture(level = 'info'): { logger: Logger; output: () => Promise<string> } {
  const chunks: string[] = [];
  const destination = new Writable({
    write(chunk: Buffer | string, _encoding, callback) {
      chunks.push(chunk.toString());
      callback();
    },
  });
  return {
    logger: createLogger(level, destination),
    output: async () => {
      await tick();
      return chunks.join('');
    },
  };
}

function expectNoPersonalData(text: string): void {
  expect(text).not.toContain(RUT);
  expect(text).not.toContain(DOTTED_RUT);
  expect(text).not.toContain('12345678');
  expect(text).not.toContain(PHONE);
  expect(text).not.toContain('912345678');
}

describe('logger redaction', () => {
  it('writes JSON lines at the level it is given', async () => {
    const { logger, output } = capture('warn');
    logger.info('hidden');
    logger.warn({ queue: 'CAJA' }, 'visible');
    const lines = (await output()).trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(JSON.parse(lines[0]!)).toMatchObject({ msg: 'visible', queue: 'CAJA', app: 'ticketero' });
  });

  it('masks nationalId, telefono and phone at the top level', async () => {
    const { logger, output } = capture();
    logger.info({ nationalId: RUT, telefono: PHONE }, 'ticket');
    logger.info({ phone: PHONE }, 'contact');
    const text = await output();
    expectNoPersonalData(text);
    const [first, second] = text.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(first).toMatchObject({ nationalId: MASKED_RUT, telefono: MASKED_PHONE });
    expect(second).toMatchObject({ phone: MASKED_PHONE });
  });

  it('masks them one and two levels down', async () => {
    const { logger, output } = capture();
    logger.info({ ticket: { nationalId: DOTTED_RUT, telefono: PHONE } }, 'one');
    logger.info({ request: { body: { nationalId: RUT, phone: PHONE } } }, 'two');
    const text = await output();
    expectNoPersonalData(text);
    const [one, two] = text.trim().split('\n').map((l) => JSON.parse(l) as Record<string, Record<string, unknown>>);
    expect(one!.ticket).toEqual({ nationalId: MASKED_RUT, telefono: MASKED_PHONE });
    expect(two!.request).toEqual({ body: { nationalId: MASKED_RUT, phone: MASKED_PHONE } });
  });

  it('masks database rows (national_id) and bot fields (rut, phone_number)', async () => {
    const { logger, output } = capture();
    logger.info({ row: { national_id: RUT, telefono: PHONE } }, 'row');
    logger.info({ rut: RUT, phone_number: PHONE }, 'bot');
    const text = await output();
    expectNoPersonalData(text);
    expect(text).toContain(MASKED_RUT);
    expect(text).toContain(MASKED_PHONE);
  });

  it('masks RUTs inside an array of tickets', async () => {
    const { logger, output } = capture();
    logger.info({ tickets: [{ nationalId: RUT }, { nationalId: RUT }] }, 'batch');
    const text = await output();
    expectNoPersonalData(text);
    expect(text).toContain(MASKED_RUT);
  });

  it('masks fields bound to a child logger', async () => {
    const { logger, output } = capture();
    logger.child({ nationalId: RUT, telefono: PHONE }).info('child');
    const text = await output();
    expectNoPersonalData(text);
    expect(text).toContain(MASKED_RUT);
  });

  it('hides a value that is not text instead of printing it', async () => {
    const { logger, output } = capture();
    logger.info({ phone: 56912345678, nationalId: { body: 12345678, dv: '5' } }, 'odd');
    const text = await output();
    expectNoPersonalData(text);
    expect(JSON.parse(text.trim())).toMatchObject({ phone: '[oculto]', nationalId: '[oculto]' });
  });

  it('does not touch the object that was logged', async () => {
    const { logger, output } = capture();
    const ticket = { nationalId: RUT, telefono: PHONE };
    logger.info({ ticket }, 'keep');
    await output();
    expect(ticket).toEqual({ nationalId: RUT, telefono: PHONE });
  });

  it('keeps the authorization header out of request logs', async () => {
    const { logger, output } = capture();
    logger.info({ req: { headers: { authorization: 'Bearer kiosk-secret' } } }, 'http');
    expect(await output()).not.toContain('kiosk-secret');
  });

  it('masks the phone of a shared contact inside a logged Telegram update', async () => {
    const { logger, output } = capture();
    // What the bot logs for a failed update: update.message.contact.phone_number is four keys deep.
    logger.warn({ update: { update_id: 1, message: { chat: { id: 5 }, contact: { phone_number: PHONE } } } }, 'telegram update');
    const text = await output();
    expectNoPersonalData(text);
    expect(text).toContain(MASKED_PHONE);
  });

  it('masks a RUT three objects down', async () => {
    const { logger, output } = capture();
    logger.info({ job: { ticket: { customer: { nationalId: RUT } } } }, 'deep');
    const text = await output();
    expectNoPersonalData(text);
    expect(text).toContain(MASKED_RUT);
  });
});

import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { PGBENCH_SCRIPT_PATH, pgbenchTakeTicketScript } from '../../bench/support/pgbench-take-ticket.js';
import { TAKE_TICKET_SQL, TICKET_CONTEXT_SQL } from '../../src/modules/tickets/ticket.sql.js';

describe("the bench's raw side (bench/pgbench/take-ticket.sql)", () => {
  it("is the app's take-ticket statements, written from them (regenerate with node --import tsx bench/support/pgbench-take-ticket.ts)", () => {
    expect(readFileSync(PGBENCH_SCRIPT_PATH, 'utf8')).toBe(pgbenchTakeTicketScript());
  });

  it('keeps every line of the statements but the bound values', () => {
    const script = pgbenchTakeTicketScript();
    // The statements' text between placeholders is all there, in order.
    for (const sql of [TICKET_CONTEXT_SQL, TAKE_TICKET_SQL]) {
      let from = 0;
      for (const piece of sql.split('?')) {
        const at = script.indexOf(piece, from);
        expect(at, piece).toBeGreaterThanOrEqual(0);
        from = at + piece.length;
      }
    }
  });
});

import { isIP } from 'node:net';
import { getConnInfo } from '@hono/node-server/conninfo';
import type { Context } from 'hono';
import type { Origin } from '../../modules/audit/audit.service.js';

/**
 * The client's IP: the connection's peer, or behind a trusted proxy (`TRUST_PROXY=true`) the
 * right-most `X-Forwarded-For` hop — the one the trusted proxy appended (SPEC §22). Hops to its
 * left were sent by the client and can say anything, so they never key a rate limit or a lockout.
 * A hop that is not an IP address is not used (the peer is, as without a proxy).
 */
export function clientIp(c: Context, trustProxy: boolean): string | null {
  let ipAddress: string | null = null;
  if (trustProxy) {
    const hop = c.req.header('x-forwarded-for')?.split(',').at(-1)?.trim() ?? '';
    if (isIP(hop)) ipAddress = hop;
  }
  if (!ipAddress) {
    try {
      ipAddress = getConnInfo(c).remote.address ?? null;
    } catch {
      ipAddress = null;
    }
  }
  return ipAddress;
}

/** Who and where an HTTP request came from, for the audit row. */
export function originOf(c: Context, actor: Origin['actor'], trustProxy: boolean): Origin {
  return { actor, ipAddress: clientIp(c, trustProxy), userAgent: c.req.header('user-agent') ?? null };
}

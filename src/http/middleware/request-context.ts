import { getConnInfo } from '@hono/node-server/conninfo';
import type { Context } from 'hono';
import type { Origin } from '../../modules/audit/audit.service.js';

/** The client's IP: the connection's peer, or behind a trusted proxy (`TRUST_PROXY=true`) what the proxy says. */
export function clientIp(c: Context, trustProxy: boolean): string | null {
  let ipAddress: string | null = null;
  if (trustProxy) ipAddress = c.req.header('x-forwarded-for')?.split(',')[0]?.trim() || null;
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

import type { Context, MiddlewareHandler } from 'hono';
import { matchedRoutes } from 'hono/route';
import { DomainError } from '../../errors.js';
import type { Logger } from '../../logger.js';
import { mayTouchBranch, type Principal } from '../../modules/accounts/principal.js';
import { scrubPath } from '../../domain/privacy.js';
import { idOrNull } from '../schemas/params.js';
import { PERMISSIONS_BY_ROUTE, permissionKey, type BranchScope, type RoutePermission } from './route-permissions.js';

export interface AuthorizeDeps {
  defaultBranch: string;
  /** The branch an advisor works in; null when there is no such advisor (the handler answers 404). */
  advisorBranch(id: number): Promise<string | null>;
  /** The branches where a person (by RUT) has tickets; null when the RUT is not valid (the handler answers 400). */
  personBranches(rut: string): Promise<string[] | null>;
  /** A branch's name by its code; null when there is none (the handler answers 404). */
  branchByCode(code: string): Promise<string | null>;
  /** A device's branch (its name); null when there is no such device (the handler answers 404). */
  deviceBranch(id: number): Promise<string | null>;
  /** Development: the kiosk answers without a credential when no KIOSK_API_KEY is set. */
  kioskOpenWithoutKey: boolean;
  logger: Logger;
}

/** The route that will answer this request (middleware registered with `use` is method ALL). */
function answeringRoute(c: Context): { method: string; path: string } | null {
  const route = matchedRoutes(c).find((r) => r.method !== 'ALL' && (r.method === c.req.method || (c.req.method === 'HEAD' && r.method === 'GET')));
  return route ? { method: route.method, path: route.path } : null;
}

function paramOf(pattern: string, path: string, name: string): string | null {
  const patternParts = pattern.split('/');
  const pathParts = path.split('/');
  const index = patternParts.indexOf(`:${name}`);
  if (index < 0 || pathParts[index] === undefined) return null;
  try {
    return decodeURIComponent(pathParts[index]!);
  } catch {
    return null;
  }
}

/**
 * The one place that decides who may do what (SPEC §18), from ROUTE_PERMISSIONS. A route the table
 * does not list is refused to everyone: nothing new is reachable by accident.
 */
export function authorize(deps: AuthorizeDeps): MiddlewareHandler {
  return async (c, next) => {
    const route = answeringRoute(c);
    if (!route) return next(); // no route: the app's 404
    const permission = PERMISSIONS_BY_ROUTE.get(permissionKey(route.method, route.path));
    if (!permission) {
      deps.logger.error({ method: route.method, route: route.path }, 'ruta sin permiso declarado en route-permissions.ts: rechazada');
      throw new DomainError('PROHIBIDO', 'Ruta sin permiso declarado');
    }
    if (permission.allow === 'public') return next();
    const principal = c.get('principal');
    if (!principal) {
      if (permission.openInDevelopment && deps.kioskOpenWithoutKey) return next();
      c.header('WWW-Authenticate', 'Bearer realm="ticketero"');
      throw new DomainError('NO_AUTORIZADO', 'Falta la credencial o no es válida (inicia sesión o envía Authorization: Bearer)');
    }
    await check(c, route.path, permission, principal, deps);
    return next();
  };
}

async function check(c: Context, pattern: string, permission: RoutePermission, principal: Principal, deps: AuthorizeDeps): Promise<void> {
  if (principal.kind === 'staff' && !permission.whilePending) {
    if (principal.mustChangePassword) throw new DomainError('CAMBIO_DE_CLAVE_REQUERIDO', 'Debes cambiar tu clave antes de continuar');
    if (principal.mustEnrolTotp) throw new DomainError('TOTP_REQUERIDO', 'Debes activar la verificación en dos pasos (TOTP) antes de continuar');
    if (principal.mustVerifyTotp) throw new DomainError('TOTP_REQUERIDO', 'Ingresa el código de tu aplicación autenticadora antes de continuar');
  }
  if (permission.allow === 'public') return;
  if (!permission.allow.includes(principal.role)) {
    deny(c, deps, principal, 'rol');
    throw new DomainError('ROL_NO_AUTORIZADO', 'Tu rol no permite esta acción');
  }
  if (permission.totp && principal.kind === 'staff' && !principal.totpVerified) {
    throw new DomainError('TOTP_REQUERIDO', 'Esta acción requiere una sesión verificada con TOTP');
  }
  if (permission.scope) await checkScope(c, pattern, permission.scope, principal, deps);
}

async function checkScope(c: Context, pattern: string, scope: BranchScope, principal: Principal, deps: AuthorizeDeps): Promise<void> {
  const refuse = (why: string): never => {
    deny(c, deps, principal, why);
    throw new DomainError('SUCURSAL_NO_AUTORIZADA', 'No tienes acceso a esa sucursal');
  };
  switch (scope.from) {
    case 'query': {
      if (principal.branches === 'ALL') return;
      const named = c.req.query(scope.name)?.trim();
      if (!named && scope.absent === 'own') return;
      if (!named && scope.absent === 'required') refuse(`falta ${scope.name}`);
      if (!mayTouchBranch(principal, named || deps.defaultBranch)) refuse('sucursal');
      return;
    }
    case 'advisor': {
      const id = idOrNull(paramOf(pattern, c.req.path, scope.param));
      if (id === null) return; // the handler answers 400
      if (principal.role === 'ASESOR' && principal.advisorId !== id) {
        deny(c, deps, principal, 'escritorio ajeno');
        throw new DomainError('PROHIBIDO', 'Solo puedes actuar sobre tu propio escritorio');
      }
      if (principal.branches === 'ALL') return;
      const branch = await deps.advisorBranch(id);
      if (branch !== null && !mayTouchBranch(principal, branch)) refuse('sucursal del asesor');
      return;
    }
    case 'person': {
      if (principal.branches === 'ALL') return;
      const rut = paramOf(pattern, c.req.path, scope.param);
      const branches = rut === null ? null : await deps.personBranches(rut);
      if (branches === null) return; // the handler answers 400
      if (!branches.some((b) => mayTouchBranch(principal, b))) refuse('persona sin tickets en sus sucursales');
      return;
    }
    case 'branchCode': {
      if (principal.branches === 'ALL') return;
      const code = paramOf(pattern, c.req.path, scope.param);
      const branch = code === null ? null : await deps.branchByCode(code);
      if (branch === null || !mayTouchBranch(principal, branch)) refuse('sucursal del código');
      return;
    }
    case 'device': {
      if (principal.branches === 'ALL') return;
      const id = idOrNull(paramOf(pattern, c.req.path, scope.param));
      if (id === null) return; // the handler answers 400
      const branch = await deps.deviceBranch(id);
      if (branch === null || !mayTouchBranch(principal, branch)) refuse('sucursal del dispositivo');
      return;
    }
    case 'queryBranch': {
      if (principal.branches === 'ALL') return;
      const named = c.req.query(scope.name)?.trim();
      if (!named) return; // the handler answers 400
      const byCode = await deps.branchByCode(named.toUpperCase());
      if (!mayTouchBranch(principal, byCode ?? named)) refuse('sucursal del informe');
      return;
    }
    case 'body': {
      if (principal.branches === 'ALL') return;
      let named: unknown;
      try {
        named = ((await c.req.raw.clone().json()) as Record<string, unknown> | null)?.[scope.field];
      } catch {
        return; // not JSON: the handler answers 400/415
      }
      if (typeof named === 'string' && named.trim() && !mayTouchBranch(principal, named.trim())) refuse('sucursal del cuerpo');
      return;
    }
  }
}

function deny(c: Context, deps: AuthorizeDeps, principal: Principal, why: string): void {
  deps.logger.warn({ actor: principal.actor, role: principal.role, method: c.req.method, path: scrubPath(c.req.path), motivo: why }, 'acceso denegado');
}

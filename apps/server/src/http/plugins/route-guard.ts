import type { FastifyInstance, RouteOptions } from "fastify";
import { isPermission } from "@enclave/contracts";

export interface RegisteredRoute {
  method: string;
  url: string;
  permission: string | undefined;
  public: boolean;
}

/**
 * Refuses to register a route that does not say who may call it. Runs at registration, so a
 * forgotten guard fails `buildApp`, not a pen test.
 */
export function registerRouteGuard(app: FastifyInstance, registry: RegisteredRoute[]): void {
  app.addHook("onRoute", (route: RouteOptions) => {
    const config = (route.config ?? {}) as { permission?: unknown; public?: unknown };
    const methods = Array.isArray(route.method) ? route.method : [route.method];
    const where = `${methods.join(",")} ${route.url}`;
    const isPublic = config.public === true;
    const hasPermission = config.permission !== undefined;
    if (isPublic === hasPermission) {
      throw new Error(`route ${where} must declare exactly one of config.permission or config.public`);
    }
    if (hasPermission && !isPermission(config.permission)) {
      throw new Error(`route ${where} declares unknown permission ${String(config.permission)}`);
    }
    for (const method of methods) {
      registry.push({
        method,
        url: route.url,
        permission: hasPermission ? String(config.permission) : undefined,
        public: isPublic,
      });
    }
  });
}

import { timingSafeEqual } from "node:crypto";
import { and, eq } from "drizzle-orm";
import { isSiteCode, type UserInputField } from "@enclave/contracts";
import { apps, appVersions, workspaceMembers } from "@enclave/db";
import type { Ctx } from "../context/ctx.ts";
import { AppError } from "../errors/app-error.ts";
import { hmacHex, randomToken } from "../crypto/keys.ts";
import { parseStoredConfig } from "../apps/app-rows.ts";

/** A published web app as its visitors see it (no ids beyond the public code). */
export interface SiteView {
  code: string;
  title: string;
  description: string;
  icon: string;
  mode: string;
  openingStatement: string;
  suggestedQuestions: string[];
  userInputForm: UserInputField[];
  fileUpload: { enabled: boolean; numberLimits: number };
  requireLogin: boolean;
}

interface Site {
  appId: string;
  workspaceId: string;
  /** Who may frame `/app/<code>` (CSP frame-ancestors); not part of the public view. */
  embedOrigins: string[];
  view: SiteView;
}

const CACHE_TTL_MS = 2_000;
const cache = new Map<string, { at: number; site: Site | null }>();

/**
 * The web app at `/app/<code>`: published, web access on. Anything else — unknown code, draft
 * only, switched off — is the same 404, so codes cannot be probed for unpublished apps.
 */
export async function findSite(ctx: Pick<Ctx, "db">, code: string): Promise<Site> {
  if (!isSiteCode(code)) throw new AppError("not_found", "web app not found");
  let entry = cache.get(code);
  if (!entry || Date.now() - entry.at > CACHE_TTL_MS) {
    entry = { at: Date.now(), site: await loadSite(ctx, code) };
    if (cache.size > 10_000) cache.clear();
    cache.set(code, entry);
  }
  if (!entry.site) throw new AppError("not_found", "web app not found");
  return entry.site;
}

async function loadSite(ctx: Pick<Ctx, "db">, code: string): Promise<Site | null> {
  const [row] = await ctx.db
    .select({ app: apps, config: appVersions.config })
    .from(apps)
    .innerJoin(appVersions, eq(appVersions.id, apps.publishedVersionId))
    .where(eq(apps.siteCode, code))
    .limit(1);
  if (!row || !row.app.enableSite) return null;
  const config = parseStoredConfig(row.config);
  return {
    appId: row.app.id,
    workspaceId: row.app.workspaceId,
    embedOrigins: row.app.siteEmbedOrigins,
    view: {
      code,
      title: row.app.name,
      description: row.app.description,
      icon: row.app.icon,
      mode: row.app.mode,
      openingStatement: config.openingStatement,
      suggestedQuestions: config.suggestedQuestions,
      userInputForm: config.userInputForm,
      fileUpload: config.fileUpload,
      requireLogin: row.app.siteRequireLogin,
    },
  };
}

/** Whether an account is an active member of a workspace (sites that require login). */
export async function isActiveMember(ctx: Pick<Ctx, "db">, workspaceId: string, accountId: string) {
  const [row] = await ctx.db
    .select({ id: workspaceMembers.id })
    .from(workspaceMembers)
    .where(
      and(
        eq(workspaceMembers.workspaceId, workspaceId),
        eq(workspaceMembers.accountId, accountId),
        eq(workspaceMembers.status, "active"),
      ),
    )
    .limit(1);
  return Boolean(row);
}

const VISIT_DAYS = 30;

export interface Visit {
  token: string;
  expiresAt: Date;
  externalId: string;
}

/**
 * Starts a visit of a web app: a signed token naming the app and the visitor's end-user id —
 * `visitor:<random>` for public sites, `account:<id>` for sites that require a workspace login.
 */
export async function startVisit(ctx: Ctx, code: string, key: Buffer): Promise<Visit> {
  const site = await findSite(ctx, code);
  let externalId = `visitor:${randomToken(16)}`;
  if (site.view.requireLogin) {
    const { actor } = ctx;
    if (actor.type !== "user") throw new AppError("unauthorized", "sign in to use this app");
    if (!(await isActiveMember(ctx, site.workspaceId, actor.accountId))) {
      throw new AppError("not_found", "web app not found");
    }
    externalId = `account:${actor.accountId}`;
  }
  const expiresAt = new Date(Date.now() + VISIT_DAYS * 86_400_000);
  const body = `${site.appId}.${Buffer.from(externalId).toString("base64url")}.${expiresAt.getTime()}`;
  return { token: `${body}.${hmacHex(key, body)}`, expiresAt, externalId };
}

/** The visit a token stands for, when its signature, app and expiry check out; else null. */
export function readVisit(key: Buffer, token: string, appId: string): { externalId: string } | null {
  const parts = token.split(".");
  if (parts.length !== 4) return null;
  const [tokenApp, rawId, exp, mac] = parts as [string, string, string, string];
  const body = `${tokenApp}.${rawId}.${exp}`;
  const expected = Buffer.from(hmacHex(key, body), "hex");
  const given = Buffer.from(mac, "hex");
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return null;
  if (tokenApp !== appId || !(Number(exp) > Date.now())) return null;
  return { externalId: Buffer.from(rawId, "base64url").toString("utf8") };
}

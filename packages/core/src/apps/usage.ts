import { and, asc, eq, gte, lte, sql } from "drizzle-orm";
import { UsageQuery, type UsageDayView, type UsageView } from "@enclave/contracts";
import { randomInt } from "node:crypto";
import { appUsageDaily, USAGE_SHARDS, type Database } from "@enclave/db";
import type { Ctx } from "../context/ctx.ts";
import { AppError } from "../errors/app-error.ts";
import { requirePermission } from "../permissions/require-permission.ts";
import { loadAppRow } from "./app-rows.ts";

export interface UsageRecord {
  workspaceId: string;
  appId: string;
  /** UTC day `YYYY-MM-DD`; defaults to today. */
  day?: string;
  promptTokens: number;
  completionTokens: number;
  totalTokens: number;
  /** Decimal price of the message when known. */
  price?: string | number | null;
  /** The message ended in an error. */
  error?: boolean;
}

const DAY_MS = 86_400_000;
const MAX_DAYS = 366;

export function utcDay(at: Date = new Date()): string {
  return at.toISOString().slice(0, 10);
}

/**
 * Adds one message's usage to its app's daily totals (one upsert; call it in the transaction that
 * finishes the message). The totals outlive conversation purges.
 */
export async function recordUsage(tx: Database, usage: UsageRecord): Promise<void> {
  const price = usage.price === null || usage.price === undefined ? "0" : String(usage.price);
  await tx
    .insert(appUsageDaily)
    .values({
      workspaceId: usage.workspaceId,
      appId: usage.appId,
      day: usage.day ?? utcDay(),
      shard: randomInt(USAGE_SHARDS),
      messages: 1,
      errors: usage.error ? 1 : 0,
      promptTokens: usage.promptTokens,
      completionTokens: usage.completionTokens,
      totalTokens: usage.totalTokens,
      price,
    })
    .onConflictDoUpdate({
      target: [appUsageDaily.appId, appUsageDaily.day, appUsageDaily.shard],
      set: {
        messages: sql`${appUsageDaily.messages} + excluded.messages`,
        errors: sql`${appUsageDaily.errors} + excluded.errors`,
        promptTokens: sql`${appUsageDaily.promptTokens} + excluded.prompt_tokens`,
        completionTokens: sql`${appUsageDaily.completionTokens} + excluded.completion_tokens`,
        totalTokens: sql`${appUsageDaily.totalTokens} + excluded.total_tokens`,
        price: sql`${appUsageDaily.price} + excluded.price`,
      },
    });
}

/**
 * Usage of one app per UTC day, `from`..`to` inclusive (default: the last 30 days), with a row for
 * every day (zeros where nothing happened) and the totals.
 */
export async function getAppUsage(ctx: Ctx, appId: string, raw: UsageQuery): Promise<UsageView> {
  requirePermission(ctx, "app.read");
  const q = UsageQuery.parse(raw);
  const to = q.to ?? utcDay();
  const from = q.from ?? utcDay(new Date(Date.parse(to) - 29 * DAY_MS));
  const days = (Date.parse(to) - Date.parse(from)) / DAY_MS + 1;
  if (days < 1) throw new AppError("validation_failed", "`from` must not be after `to`");
  if (days > MAX_DAYS) throw new AppError("validation_failed", `at most ${MAX_DAYS} days at a time`);
  const app = await loadAppRow(ctx.db, ctx, appId);
  const u = appUsageDaily;
  const rows = await ctx.db
    .select({
      day: u.day,
      messages: sql<number>`sum(${u.messages})::int`,
      errors: sql<number>`sum(${u.errors})::int`,
      promptTokens: sql<number>`sum(${u.promptTokens})::int`,
      completionTokens: sql<number>`sum(${u.completionTokens})::int`,
      totalTokens: sql<number>`sum(${u.totalTokens})::int`,
      price: sql<string>`sum(${u.price})::text`,
    })
    .from(u)
    .where(and(eq(u.appId, app.id), gte(u.day, from), lte(u.day, to)))
    .groupBy(u.day)
    .orderBy(asc(u.day));
  const byDay = new Map(rows.map((r) => [r.day, r]));
  const data: UsageDayView[] = [];
  for (let i = 0; i < days; i++) {
    const day = utcDay(new Date(Date.parse(from) + i * DAY_MS));
    const r = byDay.get(day);
    data.push({
      day,
      messages: r?.messages ?? 0,
      errors: r?.errors ?? 0,
      promptTokens: r?.promptTokens ?? 0,
      completionTokens: r?.completionTokens ?? 0,
      totalTokens: r?.totalTokens ?? 0,
      price: r ? normalizeDecimal(r.price) : "0",
    });
  }
  return { from, to, data, totals: totalsOf(data) };
}

function totalsOf(data: UsageDayView[]): Omit<UsageDayView, "day"> {
  const sum = (f: (d: UsageDayView) => number) => data.reduce((acc, d) => acc + f(d), 0);
  // Prices are decimals: add them in 1e-7 units (the column's scale) as bigints, not floats.
  const price = data.reduce((acc, d) => acc + toUnits(d.price), 0n);
  return {
    messages: sum((d) => d.messages),
    errors: sum((d) => d.errors),
    promptTokens: sum((d) => d.promptTokens),
    completionTokens: sum((d) => d.completionTokens),
    totalTokens: sum((d) => d.totalTokens),
    price: fromUnits(price),
  };
}

const SCALE = 7;

function toUnits(decimal: string): bigint {
  const negative = decimal.startsWith("-");
  const [whole = "0", fraction = ""] = decimal.replace(/^-/, "").split(".");
  const units = BigInt(whole) * 10n ** BigInt(SCALE) + BigInt((fraction + "0".repeat(SCALE)).slice(0, SCALE));
  return negative ? -units : units;
}

function fromUnits(units: bigint): string {
  const negative = units < 0n;
  const abs = negative ? -units : units;
  const base = 10n ** BigInt(SCALE);
  const fraction = (abs % base).toString().padStart(SCALE, "0").replace(/0+$/, "");
  return `${negative ? "-" : ""}${abs / base}${fraction ? `.${fraction}` : ""}`;
}

/** `0.0120000` → `0.012`. */
function normalizeDecimal(decimal: string): string {
  return fromUnits(toUnits(decimal));
}

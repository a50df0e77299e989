// A workspace with one member of every role, plus an intruder who owns another workspace, and
// direct-insert seeders for what other parts of the platform would write (providers, chats).
import pino from "pino";
import { and, eq } from "drizzle-orm";
import { auditEvents, conversations, endUsers, messages, modelProviders, type Database } from "@enclave/db";
import type { Ctx } from "@enclave/core";
import type { ConsoleClient } from "../console-client.ts";
import { auditRows, type TestApp } from "../helpers.ts";
import { addMember, setupOwner } from "../identity-world.ts";

export interface AppsWorld {
  workspaceId: string;
  owner: { client: ConsoleClient; accountId: string };
  admin: { client: ConsoleClient; accountId: string };
  editor: { client: ConsoleClient; accountId: string };
  editor2: { client: ConsoleClient; accountId: string };
  member: { client: ConsoleClient; accountId: string };
  /** Owner of workspace B, no longer a member of A. */
  intruder: ConsoleClient;
  intruderWorkspaceId: string;
  providerId: string;
}

export async function setupAppsWorld(t: TestApp): Promise<AppsWorld> {
  const { owner, workspaceId, accountId } = await setupOwner(t);
  const admin = await addMember(t, owner, "admin@example.com", "admin");
  const editor = await addMember(t, owner, "editor@example.com", "editor");
  const editor2 = await addMember(t, owner, "editor2@example.com", "editor");
  const member = await addMember(t, owner, "member@example.com", "member");
  const b = await addMember(t, owner, "intruder@example.com", "member");
  const created = await b.client.post("/console/api/workspaces", { name: "B" });
  const intruderWorkspaceId = (created.json() as { id: string }).id;
  await b.client.post(`/console/api/workspaces/${intruderWorkspaceId}/switch`);
  await owner.delete(`/console/api/workspaces/current/members/${b.memberId}`);
  const login = await b.client.login("intruder@example.com", "violet-lantern-harbour-1987");
  if (login.statusCode !== 200) throw new Error(`intruder login failed: ${login.body}`);
  const providerId = await seedProvider(t.database.db, workspaceId, ["chat-model"]);
  return {
    workspaceId,
    owner: { client: owner, accountId },
    admin,
    editor,
    editor2,
    member,
    intruder: b.client,
    intruderWorkspaceId,
    providerId,
  };
}

/** A model provider row as helper A's verbs would write it (credentials are irrelevant here). */
export async function seedProvider(db: Database, workspaceId: string, models: string[]): Promise<string> {
  const [row] = await db
    .insert(modelProviders)
    .values({
      workspaceId,
      kind: "openai_compatible",
      name: `provider-${Math.random().toString(36).slice(2, 8)}`,
      settings: { baseUrl: "http://127.0.0.1:9/v1", models: models.map((name) => ({ name, type: "llm" })) },
      credentialsEnc: "not-a-real-ciphertext",
    })
    .returning({ id: modelProviders.id });
  return row!.id;
}

export async function createPublishableApp(
  client: ConsoleClient,
  providerId: string,
  body: Record<string, unknown> = {},
): Promise<{ id: string; createdBy: string | null }> {
  const res = await client.post("/console/api/apps", {
    name: "Helpdesk",
    mode: "chat",
    config: { model: { providerId, name: "chat-model" }, prePrompt: "You are helpful." },
    ...body,
  });
  if (res.statusCode !== 201) throw new Error(`create app failed: ${res.statusCode} ${res.body}`);
  return res.json() as { id: string; createdBy: string | null };
}

/** Seeds one conversation of `externalId` with `n` messages, `ageDays` old. */
export async function seedConversation(
  db: Database,
  ids: { workspaceId: string; appId: string },
  opts: { externalId?: string; messages?: number; ageDays?: number; text?: string } = {},
): Promise<{ conversationId: string; messageIds: string[]; endUserId: string }> {
  const externalId = opts.externalId ?? "u1";
  const at = new Date(Date.now() - (opts.ageDays ?? 0) * 86_400_000);
  await db
    .insert(endUsers)
    .values({ ...ids, externalId })
    .onConflictDoNothing();
  const [endUser] = await db
    .select()
    .from(endUsers)
    .where(and(eq(endUsers.appId, ids.appId), eq(endUsers.externalId, externalId)));
  const [conversation] = await db
    .insert(conversations)
    .values({ ...ids, endUserId: endUser!.id, name: "Chat", createdAt: at, updatedAt: at })
    .returning();
  const messageIds: string[] = [];
  for (let i = 0; i < (opts.messages ?? 2); i++) {
    const [m] = await db
      .insert(messages)
      .values({
        ...ids,
        conversationId: conversation!.id,
        endUserId: endUser!.id,
        source: "api",
        query: `${opts.text ?? "question"} ${i}`,
        answer: `answer ${i}`,
        status: "normal",
        promptTokens: 3,
        completionTokens: 2,
        totalTokens: 5,
        createdAt: new Date(at.getTime() + i * 1000),
      })
      .returning({ id: messages.id });
    messageIds.push(m!.id);
  }
  return { conversationId: conversation!.id, messageIds, endUserId: endUser!.id };
}

/** The chained events of one action, in seq order (see auditRows). */
export function auditOf(db: Database, action: string) {
  return auditRows(db, eq(auditEvents.action, action));
}

/** A bare ctx for calling core verbs directly (the way the HTTP plugins do). */
export function bareCtx(db: Database, overrides: Partial<Ctx> = {}): Ctx {
  return {
    db,
    workspace: null,
    actor: { type: "anonymous" },
    requestId: "test",
    log: pino({ level: "silent" }),
    ip: null,
    userAgent: null,
    services: {},
    ...overrides,
  };
}

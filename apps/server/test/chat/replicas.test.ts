// Two Enclave instances on one database and one Redis: a stop sent to one replica aborts the
// generation running on the other.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { AddressInfo } from "node:net";
import pino from "pino";
import { Redis } from "ioredis";
import { ChatClient } from "dify-client";
import { eq } from "drizzle-orm";
import { InProcessQueue } from "@enclave/core";
import { messages } from "@enclave/db";
import { buildApp } from "../../src/http/build-app.ts";
import { testConfig } from "../helpers.ts";
import { readSse, setupChatWorld, type ChatWorld } from "./chat-world.ts";

const redisUrl = process.env.TEST_REDIS_URL;

describe.skipIf(!redisUrl)("stop across replicas (needs TEST_REDIS_URL)", () => {
  let w: ChatWorld;
  let second: Awaited<ReturnType<typeof buildApp>>;
  const clients: Redis[] = [];
  const queue = new InProcessQueue(pino({ level: "silent" }));

  beforeAll(async () => {
    const redisA = new Redis(redisUrl!);
    const redisB = new Redis(redisUrl!);
    clients.push(redisA, redisB);
    w = await setupChatWorld({}, { redis: redisA });
    second = await buildApp(testConfig(), {
      database: w.t.database,
      queue,
      logger: pino({ level: "silent" }),
      redis: redisB,
    });
    await second.listen({ host: "127.0.0.1", port: 0 });
  });
  afterAll(async () => {
    await second?.close();
    await w?.close();
    await queue.close();
    for (const c of clients) c.disconnect();
  });

  it("a stop sent to replica B aborts the stream running on replica A", async () => {
    const { token } = await w.createApp();
    const onA = new ChatClient(token, w.apiBase);
    const onB = new ChatClient(token, `http://127.0.0.1:${(second.server.address() as AddressInfo).port}/v1`);
    w.fake.behave("slow", { delayMs: 150 });
    const res = await onA.createChatMessage({}, "a b c d e f g h i j k l", "u1", true);
    const iterator = (res.data as AsyncIterable<Buffer>)[Symbol.asyncIterator]();
    const first = (await iterator.next()).value!.toString();
    const taskId = JSON.parse(first.split("\n")[0]!.slice(6)).task_id as string;
    await onB.sendRequest("POST", `/chat-messages/${taskId}/stop`, { user: "u1" });
    const rest = await readSse({ [Symbol.asyncIterator]: () => iterator });
    const end = rest.events.at(-1)!;
    expect(end.event).toBe("message_end");
    const [row] = await w.t.database.db
      .select()
      .from(messages)
      .where(eq(messages.id, end.message_id as string));
    expect(row!.status).toBe("stopped");
  });
});

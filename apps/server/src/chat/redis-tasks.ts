import type { Redis } from "ioredis";
import { LocalTaskRegistry, type Log, type TaskOwner } from "@enclave/core";

const CHANNEL = "enclave:chat:stop";

/**
 * Stop requests shared by every replica: a stop for a task not running here is published on
 * Redis, and the replica running it aborts it. Returns the registry and a function that closes
 * the subscriber connection.
 */
export async function openRedisTaskRegistry(
  redis: Redis,
  log: Log,
): Promise<{ tasks: LocalTaskRegistry; close: () => Promise<void> }> {
  const subscriber = redis.duplicate();
  const tasks = new LocalTaskRegistry(async (taskId, owner) => {
    await redis.publish(CHANNEL, JSON.stringify({ taskId, owner }));
  });
  subscriber.on("message", (_channel: string, raw: string) => {
    try {
      const { taskId, owner } = JSON.parse(raw) as { taskId: string; owner: TaskOwner };
      tasks.stopLocal(taskId, owner);
    } catch (err) {
      log.warn({ err }, "ignored a malformed stop message");
    }
  });
  await subscriber.subscribe(CHANNEL);
  return {
    tasks,
    close: async () => {
      await subscriber.quit();
    },
  };
}

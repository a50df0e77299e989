import { z } from "zod";

/**
 * Queue payload schemas, keyed by job name. A job is only enqueued or processed after its
 * payload parses against the schema here, on both sides of the queue.
 */
export const JobPayloads = {
  "system.echo": z.object({ message: z.string().max(1000) }).strict(),
  /** Deletes conversations and messages older than their app's retention period. */
  "apps.retention_purge": z.object({}).strict(),
  /** Parses, splits and indexes one knowledge document; safe to run again (resumes, never duplicates). */
  "knowledge.index_document": z.object({ workspaceId: z.uuid(), documentId: z.uuid() }).strict(),
} as const;

export type JobName = keyof typeof JobPayloads;
export type JobPayload<N extends JobName> = z.infer<(typeof JobPayloads)[N]>;

export const JOB_NAMES = Object.keys(JobPayloads) as JobName[];

export function isJobName(value: unknown): value is JobName {
  return typeof value === "string" && Object.hasOwn(JobPayloads, value);
}

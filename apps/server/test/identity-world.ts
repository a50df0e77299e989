// Builds identity scenarios over the real HTTP edge: an owner from first-run setup, then members
// invited and accepted through the API, each with their own cookie jar.
import { issueSetupToken } from "@enclave/core";
import { ConsoleClient } from "./console-client.ts";
import type { TestApp } from "./helpers.ts";

export const OWNER = {
  email: "owner@example.com",
  password: "correct horse battery staple 42",
  name: "Olive Owner",
};
export const PASSWORD = "violet-lantern-harbour-1987";

export async function setupOwner(t: TestApp, opts: { workspaceName?: string; remoteAddress?: string } = {}) {
  const token = await issueSetupToken(t.database.db);
  if (!token) throw new Error("setup already done");
  const owner = new ConsoleClient(t.app, { remoteAddress: opts.remoteAddress ?? "127.0.0.1" });
  await owner.csrf();
  const res = await owner.post("/console/api/setup", {
    token,
    email: OWNER.email,
    password: OWNER.password,
    name: OWNER.name,
    workspaceName: opts.workspaceName ?? "Acme",
  });
  if (res.statusCode !== 201) throw new Error(`setup failed: ${res.statusCode} ${res.body}`);
  const { workspaceId, accountId } = res.json() as { workspaceId: string; accountId: string };
  return { owner, workspaceId, accountId, token };
}

/** Invites `email` with `role` as `inviter`, accepts as a fresh client; returns that client and the member id. */
export async function addMember(
  t: TestApp,
  inviter: ConsoleClient,
  email: string,
  role: "admin" | "editor" | "member" | "dataset_operator",
  password = PASSWORD,
) {
  const invite = await inviter.post("/console/api/workspaces/current/members", { email, role });
  if (invite.statusCode !== 201) throw new Error(`invite failed: ${invite.statusCode} ${invite.body}`);
  const { link } = invite.json() as { link: string };
  const token = link.split("/invite/")[1]!;
  const client = new ConsoleClient(t.app, { remoteAddress: "127.0.0.1" });
  await client.csrf();
  const accepted = await client.post(`/console/api/invitations/${token}/accept`, {
    name: email.split("@")[0],
    password,
  });
  if (accepted.statusCode !== 201) throw new Error(`accept failed: ${accepted.statusCode} ${accepted.body}`);
  const members = await inviter.get("/console/api/workspaces/current/members");
  const memberId = (members.json() as { data: { id: string; email: string }[] }).data.find(
    (m) => m.email === email,
  )!.id;
  return { client, memberId, accountId: (accepted.json() as { accountId: string }).accountId };
}

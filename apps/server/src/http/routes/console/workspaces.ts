import type { FastifyInstance } from "fastify";
import {
  AcceptInvitationInput,
  CreateWorkspaceInput,
  IdParam,
  InvitationTokenParam,
  InviteMemberInput,
  TransferOwnershipInput,
  UpdateMemberInput,
  UpdateWorkspaceInput,
} from "@enclave/contracts";
import {
  acceptInvitation,
  createWorkspace,
  inviteMember,
  listMembers,
  listMyWorkspaces,
  removeMember,
  switchWorkspace,
  transferOwnership,
  unlockMember,
  updateMember,
  updateWorkspace,
} from "@enclave/core";
import { setAuthCookie } from "../../plugins/cookies.ts";
import { AUTH_RATE_LIMIT, type ConsoleRouteDeps } from "./deps.ts";

export function workspaceRoutes(deps: ConsoleRouteDeps) {
  return async (app: FastifyInstance) => {
    app.get("/console/api/workspaces", { config: { permission: "account.self" } }, async (request) => ({
      data: await listMyWorkspaces(request.ctx),
    }));
    app.post("/console/api/workspaces", { config: { permission: "account.self" } }, async (request, reply) =>
      reply.status(201).send(await createWorkspace(request.ctx, CreateWorkspaceInput.parse(request.body))),
    );
    app.post(
      "/console/api/workspaces/:id/switch",
      { config: { permission: "account.self" } },
      async (request, reply) => {
        const { id } = IdParam.parse(request.params);
        await switchWorkspace(request.ctx, id);
        return reply.status(204).send();
      },
    );
    app.patch(
      "/console/api/workspaces/current",
      { config: { permission: "workspace.update" } },
      async (request) => updateWorkspace(request.ctx, UpdateWorkspaceInput.parse(request.body)),
    );
    app.post(
      "/console/api/workspaces/current/transfer-ownership",
      { config: { permission: "workspace.transfer_ownership", rateLimit: AUTH_RATE_LIMIT } },
      async (request, reply) => {
        await transferOwnership(request.ctx, TransferOwnershipInput.parse(request.body));
        return reply.status(204).send();
      },
    );

    app.get(
      "/console/api/workspaces/current/members",
      { config: { permission: "member.read" } },
      async (request) => ({
        data: await listMembers(request.ctx),
      }),
    );
    app.post(
      "/console/api/workspaces/current/members",
      { config: { permission: "member.invite" } },
      async (request, reply) => {
        const invitation = await inviteMember(request.ctx, InviteMemberInput.parse(request.body));
        const base = deps.config.server.publicUrl ?? "";
        const link = `${base}/invite/${invitation.token}`;
        // No mail server is needed: the admin passes the link on. The token never reaches the log.
        request.log.info(
          { invitationId: invitation.id, email: invitation.email },
          "invitation created (link returned to the inviter)",
        );
        return reply.status(201).send({
          id: invitation.id,
          email: invitation.email,
          role: invitation.role,
          expiresAt: invitation.expiresAt,
          link,
        });
      },
    );
    app.patch(
      "/console/api/workspaces/current/members/:id",
      { config: { permission: "member.update_role" } },
      async (request) => {
        const { id } = IdParam.parse(request.params);
        return updateMember(request.ctx, id, UpdateMemberInput.parse(request.body));
      },
    );
    app.delete(
      "/console/api/workspaces/current/members/:id",
      { config: { permission: "member.remove" } },
      async (request, reply) => {
        const { id } = IdParam.parse(request.params);
        await removeMember(request.ctx, id);
        return reply.status(204).send();
      },
    );
    app.post(
      "/console/api/workspaces/current/members/:id/unlock",
      { config: { permission: "member.unlock" } },
      async (request, reply) => {
        const { id } = IdParam.parse(request.params);
        await unlockMember(request.ctx, id);
        return reply.status(204).send();
      },
    );

    app.post(
      "/console/api/invitations/:token/accept",
      { config: { public: true, rateLimit: AUTH_RATE_LIMIT } },
      async (request, reply) => {
        const { token } = InvitationTokenParam.parse(request.params);
        const result = await acceptInvitation(request.ctx, token, AcceptInvitationInput.parse(request.body));
        setAuthCookie(request, reply, "session", result.session.token, result.session.expiresAt);
        return reply.status(201).send({ accountId: result.accountId, workspaceId: result.workspaceId });
      },
    );
  };
}

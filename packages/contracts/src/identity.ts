import { z } from "zod";
import { ROLES } from "./permissions.ts";

// Request bodies of the identity API. All strict: unknown keys (role, workspaceId, isOwner…)
// are refused, never silently dropped.

const email = z.string().trim().toLowerCase().pipe(z.email().max(254));
// Length and breach checks happen in core; the schema only bounds the size.
const password = z.string().min(1).max(1024);
const name = z.string().trim().min(1).max(100);

export const SetupInput = z
  .object({ token: z.string().min(1).max(200), email, password, name, workspaceName: name })
  .strict();
export type SetupInput = z.infer<typeof SetupInput>;

export const LoginInput = z.object({ email: z.string().max(254), password }).strict();
export type LoginInput = z.infer<typeof LoginInput>;

export const LoginMfaInput = z.union([
  z
    .object({
      code: z
        .string()
        .trim()
        .regex(/^\d{6}$/, "code must be 6 digits"),
    })
    .strict(),
  z.object({ recoveryCode: z.string().min(1).max(64) }).strict(),
]);
export type LoginMfaInput = z.infer<typeof LoginMfaInput>;

export const ChangePasswordInput = z.object({ currentPassword: password, newPassword: password }).strict();
export type ChangePasswordInput = z.infer<typeof ChangePasswordInput>;

export const TotpConfirmInput = z
  .object({
    code: z
      .string()
      .trim()
      .regex(/^\d{6}$/, "code must be 6 digits"),
  })
  .strict();
export type TotpConfirmInput = z.infer<typeof TotpConfirmInput>;

export const TotpDisableInput = z
  .object({
    password,
    code: z
      .string()
      .trim()
      .regex(/^\d{6}$/, "code must be 6 digits"),
  })
  .strict();
export type TotpDisableInput = z.infer<typeof TotpDisableInput>;

export const IdParam = z.object({ id: z.uuid() }).strict();
export type IdParam = z.infer<typeof IdParam>;

export const InvitableRole = z.enum(
  ROLES.filter((r) => r !== "owner") as ["admin", "editor", "member", "dataset_operator"],
);
export type InvitableRole = z.infer<typeof InvitableRole>;

export const MfaPolicy = z.enum(["off", "admins", "all"]);
export type MfaPolicy = z.infer<typeof MfaPolicy>;

export const CreateWorkspaceInput = z.object({ name }).strict();
export type CreateWorkspaceInput = z.infer<typeof CreateWorkspaceInput>;

export const UpdateWorkspaceInput = z
  .object({ name: name.optional(), mfaPolicy: MfaPolicy.optional() })
  .strict()
  .refine((v) => v.name !== undefined || v.mfaPolicy !== undefined, "nothing to update");
export type UpdateWorkspaceInput = z.infer<typeof UpdateWorkspaceInput>;

export const InviteMemberInput = z.object({ email, role: InvitableRole }).strict();
export type InviteMemberInput = z.infer<typeof InviteMemberInput>;

export const UpdateMemberInput = z
  .object({ role: InvitableRole.optional(), status: z.enum(["active", "disabled"]).optional() })
  .strict()
  .refine((v) => v.role !== undefined || v.status !== undefined, "nothing to update");
export type UpdateMemberInput = z.infer<typeof UpdateMemberInput>;

export const AcceptInvitationInput = z.object({ name: name.optional(), password }).strict();
export type AcceptInvitationInput = z.infer<typeof AcceptInvitationInput>;

export const TransferOwnershipInput = z
  .object({
    memberId: z.uuid(),
    password,
    code: z
      .string()
      .trim()
      .regex(/^\d{6}$/, "code must be 6 digits")
      .optional(),
  })
  .strict();
export type TransferOwnershipInput = z.infer<typeof TransferOwnershipInput>;

export const InvitationTokenParam = z.object({ token: z.string().min(20).max(100) }).strict();

/** Query of the audit event list (console). */
export const AuditEventsQuery = z
  .object({
    action: z.string().max(100).optional(),
    actorId: z.string().max(100).optional(),
    targetType: z.string().max(50).optional(),
    targetId: z.string().max(100).optional(),
    outcome: z.enum(["success", "failure", "denied"]).optional(),
    from: z.coerce.date().optional(),
    to: z.coerce.date().optional(),
    beforeSeq: z.coerce.number().int().min(0).optional(),
    limit: z.coerce.number().int().min(1).max(500).default(50),
  })
  .strict();
export type AuditEventsQuery = z.infer<typeof AuditEventsQuery>;

import type { MfaPolicy, Role } from "@enclave/contracts";

// Shapes of console API answers that contracts describes only in the docs (docs/api/*.md).

export interface AccountView {
  id: string;
  email: string;
  name: string;
  mfaEnabled: boolean;
  workspace: { id: string; name: string; role: Role; mfaPolicy: MfaPolicy } | null;
  mfaEnrolmentRequired: boolean;
}

export interface SessionView {
  id: string;
  current: boolean;
  ip: string | null;
  userAgent: string | null;
  createdAt: string;
  lastSeenAt: string;
  expiresAt: string;
}

export interface WorkspaceView {
  id: string;
  name: string;
  role: Role;
  current: boolean;
}

export interface MemberView {
  id: string;
  accountId: string;
  email: string;
  name: string;
  role: Role;
  status: "active" | "disabled";
  joinedAt: string;
  lastLoginAt: string | null;
}

export interface InvitationView {
  id: string;
  email: string;
  role: Role;
  expiresAt: string;
  link: string;
}

export interface AllowlistEntryView {
  id: string;
  entry: string;
  note: string;
  createdBy: string | null;
  createdAt: string;
}

export interface ProviderTestResult {
  ok: boolean;
  model: string;
  latencyMs: number;
  error?: { code: string; message: string };
}

export interface AuditEventView {
  id: string;
  seq: number;
  actorType: string;
  actorId: string | null;
  ip: string | null;
  userAgent: string | null;
  action: string;
  targetType: string | null;
  targetId: string | null;
  outcome: "success" | "failure" | "denied";
  requestId: string | null;
  details: Record<string, unknown>;
  createdAt: string;
}

export interface VerificationView {
  lastVerification: { ok: boolean; events: number; verifiedAt: string; firstBadSeq: number | null } | null;
  latestCheckpoint: { size: number; createdAt: string } | null;
  events: number;
}

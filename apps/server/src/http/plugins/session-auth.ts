import { authenticateSession, mfaRequiredFor } from "@enclave/core";
import type { Authenticate } from "./request-context.ts";
import { clearAuthCookie, readCookie, setAuthCookie } from "./cookies.ts";

/** Console authentication: the session cookie, checked against the server-side session row. */
export const sessionAuthenticate: Authenticate = async (request, reply) => {
  const token = readCookie(request, "session");
  if (!token) return null;
  const session = await authenticateSession(request.ctx, token);
  if (!session) {
    clearAuthCookie(request, reply, "session");
    return null;
  }
  if (session.refreshedToken)
    setAuthCookie(request, reply, "session", session.refreshedToken, session.expiresAt);
  const mfaEnrolmentRequired =
    !session.account.mfaEnabled &&
    session.workspace !== null &&
    mfaRequiredFor(session.workspace.mfaPolicy, session.actor.role);
  return {
    actor: session.actor,
    workspace: session.workspace ? { id: session.workspace.id } : null,
    mfaEnrolmentRequired,
  };
};

/** Identity policy knobs, from configuration; verbs read them from `ctx.services.identity`. */
export interface IdentitySettings {
  /** The root SECRET_KEY; purpose keys are derived from it with `deriveKey`. */
  rootSecret: string;
  /** Root secrets being rotated out: tokens they signed still verify until they expire. */
  previousRootSecrets: string[];
  session: {
    /** A session unused this long ends. */
    idleMinutes: number;
    /** A session ends this long after login, however active. */
    absoluteHours: number;
    /** Lifetime of the signed cookie token; refreshed while the session lives. */
    tokenMinutes: number;
  };
  lockout: {
    /** Failures for one account from one IP before that pair is locked. */
    maxFailures: number;
    /** First lock length; each further lock of the same pair doubles it, up to `maxLockMinutes`. */
    lockMinutes: number;
    maxLockMinutes: number;
    /** Failures from one IP across all accounts before the IP itself is throttled. */
    ipMaxFailures: number;
    /** Window in which failures are counted. */
    windowMinutes: number;
  };
  mfa: { challengeMinutes: number; issuer: string };
  invitationHours: number;
}

export function defaultIdentitySettings(rootSecret: string): IdentitySettings {
  return {
    rootSecret,
    previousRootSecrets: [],
    session: { idleMinutes: 30, absoluteHours: 12, tokenMinutes: 15 },
    lockout: {
      maxFailures: 5,
      lockMinutes: 15,
      maxLockMinutes: 24 * 60,
      ipMaxFailures: 30,
      windowMinutes: 15,
    },
    mfa: { challengeMinutes: 5, issuer: "Enclave" },
    invitationHours: 72,
  };
}

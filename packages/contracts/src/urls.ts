import { z } from "zod";

/**
 * An http(s) URL of at most 2000 characters with no user:password part (credentials belong in
 * their own secret field, not in a URL that is shown and logged).
 */
export function httpUrlWithoutCredentials(message: string) {
  return (
    z
      .url({ protocol: /^https?$/ })
      .max(2000)
      // zod runs refinements even after .url() failed: parse defensively (a throw here was a 500).
      .refine((u) => {
        if (!URL.canParse(u)) return false;
        const parsed = new URL(u);
        return parsed.username === "" && parsed.password === "";
      }, message)
  );
}

import { describe, expect, it } from "vitest";
import {
  commonPasswordCount,
  hashPassword,
  passwordProblem,
  verifyDummyPassword,
  verifyPassword,
} from "./passwords.ts";

describe("password policy", () => {
  it("ships at least 10k common/breached passwords", () => {
    expect(commonPasswordCount()).toBeGreaterThanOrEqual(10_000);
  });

  it.each([
    ["short", "elevenchars", /at least 12/],
    ["too long", "x".repeat(129), /at most 128/],
    ["breached", "qazwsxedcrfv", /too common/],
    ["breached, any case", "LeaveMeAlone", /too common/],
    ["breached word padded with digits", "password123456", /too common/],
    ["one repeated char", "aaaaaaaaaaaaaaa", /too common/],
    ["the email", "someone.long@example.com", /email/],
  ])("refuses %s", (_label, pw, message) => {
    expect(passwordProblem(pw, "someone.long@example.com")).toMatch(message);
  });

  it("accepts a long passphrase with no composition rules", () => {
    expect(passwordProblem("correct horse battery staple", "a@example.com")).toBeNull();
    expect(passwordProblem("我的密码是一个很长的句子啊", "a@example.com")).toBeNull();
  });

  it("hashes with argon2id at OWASP parameters and verifies", async () => {
    const hash = await hashPassword("correct horse battery staple");
    expect(hash).toMatch(/^\$argon2id\$v=19\$m=19456,t=2,p=1\$/);
    expect(await verifyPassword(hash, "correct horse battery staple")).toBe(true);
    expect(await verifyPassword(hash, "correct horse battery stapler")).toBe(false);
    expect(await verifyPassword("not-a-hash", "x")).toBe(false);
    expect(await verifyDummyPassword("anything")).toBe(false);
  });
});

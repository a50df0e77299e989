// Files attached to chat messages: uploaded by the same end user, then sent to the model.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ChatClient } from "dify-client";
import { PNG_BYTES } from "@enclave/core/testing/file-fixtures";
import { setupChatWorld, type ChatWorld } from "./chat-world.ts";

function form(bytes: Uint8Array, name: string, type: string, user: string): FormData {
  const data = new FormData();
  data.append("file", new Blob([bytes], { type }), name);
  data.append("user", user);
  return data;
}

async function status(p: Promise<unknown>): Promise<number> {
  try {
    await p;
    return 200;
  } catch (err) {
    return (err as { response?: { status: number } }).response?.status ?? 0;
  }
}

describe("message files", () => {
  let w: ChatWorld;
  let chat: ChatClient;
  beforeAll(async () => {
    w = await setupChatWorld();
    const { token } = await w.createApp({ config: { fileUpload: { enabled: true, numberLimits: 2 } } });
    chat = new ChatClient(token, w.apiBase);
  });
  afterAll(async () => w?.close());

  it("an uploaded image and text document reach the model; other users' files are 404", async () => {
    const image = (await chat.fileUpload(form(PNG_BYTES, "dot.png", "image/png", "u1"))).data as {
      id: string;
    };
    const note = new TextEncoder().encode("The launch code is in the blue folder.");
    const doc = (await chat.fileUpload(form(note, "note.txt", "text/plain", "u1"))).data as { id: string };
    const files = [
      { type: "image", transfer_method: "local_file", upload_file_id: image.id },
      { type: "document", transfer_method: "local_file", upload_file_id: doc.id },
    ];
    await chat.createChatMessage({}, "what is attached?", "u1", false, null, files as never);
    const sent = w.fake.requests.at(-1)!.body as { messages: { role: string; content: unknown }[] };
    const parts = sent.messages.at(-1)!.content as {
      type: string;
      text?: string;
      image_url?: { url: string };
    }[];
    expect(parts.map((p) => p.type)).toEqual(["text", "image_url", "text"]);
    expect(parts[1]!.image_url!.url).toMatch(/^data:image\/png;base64,/);
    expect(parts[2]!.text).toContain("blue folder");

    // Same ids, another end user: not found, and nothing was sent to the model.
    const before = w.fake.requests.length;
    expect(await status(chat.createChatMessage({}, "steal", "u2", false, null, files as never))).toBe(404);
    expect(w.fake.requests.length).toBe(before);
    const three = [...files, files[0]!];
    expect(await status(chat.createChatMessage({}, "many", "u1", false, null, three as never))).toBe(400);
  });

  it("files are refused when the app does not accept them", async () => {
    const { token } = await w.createApp();
    const plain = new ChatClient(token, w.apiBase);
    const files = [{ type: "image", transfer_method: "remote_url", url: "https://example.com/x.png" }];
    expect(await status(plain.createChatMessage({}, "look", "u1", false, null, files as never))).toBe(400);
  });
});

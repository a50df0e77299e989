// The fake model server in its own process, so it does not share an event loop with Enclave.
import { startFakeModelServer } from "../../apps/server/test/fixtures/fake-model-server.ts";

const fake = await startFakeModelServer();
process.stdout.write(`${fake.url}\n`);
process.on("SIGTERM", () => void fake.close().then(() => process.exit(0)));

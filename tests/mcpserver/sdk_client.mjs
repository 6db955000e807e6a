// The official TypeScript SDK client (@modelcontextprotocol/sdk, pinned in tests/mcp) against
// `agentstudio-run mcp serve` over stdio, for tst_mcpserve_e2e. It lists the tools, calls the
// typed agent (the SDK itself validates structuredContent against the tool's outputSchema and
// throws when it does not fit), calls the free-text agent with progress, then calls the slow
// agent and aborts it (AbortSignal) at its first progress notification. It prints one JSON line
// with what it saw, then waits for the end of its stdin before closing, so the test can look at
// the history while the server still runs.
//
//   node sdk_client.mjs NODE_MODULES RUNNER WORKSPACE DB
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { createInterface } from "node:readline";

const [nodeModules, runner, workspace, db] = process.argv.slice(2);
const sdk = (path) => import(pathToFileURL(join(nodeModules, "@modelcontextprotocol/sdk/dist/esm", path)).href);
const { Client } = await sdk("client/index.js");
const { StdioClientTransport } = await sdk("client/stdio.js");
const { LoggingMessageNotificationSchema } = await sdk("types.js");

const transport = new StdioClientTransport({
  command: runner,
  args: ["mcp", "serve", "--workspace", workspace, "--db", db],
  stderr: "inherit",
});
const client = new Client({ name: "sdk-e2e", version: "1.0.0" });
const logs = [];
client.setNotificationHandler(LoggingMessageNotificationSchema, (n) => logs.push(n.params));
await client.connect(transport);
const report = { server: client.getServerVersion() };
await client.setLoggingLevel("info");

const { tools } = await client.listTools();
report.tools = tools.map((t) => t.name);
report.graderOutputSchema = tools.find((t) => t.name === "grader").outputSchema;

const graded = await client.callTool({ name: "grader", arguments: { essay: "An essay.", tone: "strict" } });
report.grader = { structuredContent: graded.structuredContent, text: graded.content[0].text, isError: !!graded.isError };

const progress = [];
const written = await client.callTool({ name: "writer", arguments: { topic: "cats" } }, undefined, {
  onprogress: (p) => progress.push(p),
});
report.writer = { text: written.content[0].text, progress };

const bad = await client.callTool({ name: "grader", arguments: { essay: "x", tone: "mean" } });
report.invalid = { isError: !!bad.isError, text: bad.content[0].text };

const controller = new AbortController();
let slowProgress = 0;
try {
  await client.callTool({ name: "slow", arguments: { n: 3 } }, undefined, {
    signal: controller.signal,
    onprogress: () => {
      if (++slowProgress === 1) controller.abort("enough");
    },
  });
  report.aborted = "the call completed";
} catch (e) {
  report.aborted = String(e && e.message ? e.message : e);
}
report.slowProgress = slowProgress;
report.logs = logs;
console.log(JSON.stringify(report));

const rl = createInterface({ input: process.stdin });
for await (const line of rl);
await client.close();
process.exit(0);

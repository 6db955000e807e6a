// The official TypeScript SDK client (@modelcontextprotocol/sdk, pinned in tests/mcp) timing the
// same trivial tool call as bench_mcp_roundtrip, against the same reference server, so the two
// clients are compared in one run. Started by bench_mcp_roundtrip; prints one JSON line.
//
//   node mcp_sdk_roundtrip.mjs NODE_MODULES (stdio SERVER_SCRIPT | http URL) CALLS WARMUP
import { performance } from "node:perf_hooks";
import { join } from "node:path";
import { pathToFileURL } from "node:url";

const [nodeModules, transportKind, target, callsText, warmupText] = process.argv.slice(2);
const sdk = (path) => import(pathToFileURL(join(nodeModules, "@modelcontextprotocol/sdk/dist/esm", path)).href);
const { Client } = await sdk("client/index.js");

let transport;
if (transportKind === "stdio") {
  const { StdioClientTransport } = await sdk("client/stdio.js");
  transport = new StdioClientTransport({ command: process.execPath, args: [target, "stdio"], stderr: "ignore" });
} else {
  const { StreamableHTTPClientTransport } = await sdk("client/streamableHttp.js");
  transport = new StreamableHTTPClientTransport(new URL(target));
}
const client = new Client({ name: "sdk-bench", version: "1.0.0" });
await client.connect(transport);
await client.listTools();

const calls = Number(callsText);
const warmup = Number(warmupText);
const times = [];
for (let i = 0; i < warmup + calls; ++i) {
  const start = performance.now();
  const result = await client.callTool({ name: "echo", arguments: { message: "ping " + i } });
  const elapsed = performance.now() - start;
  if (result.isError || result.content[0].text !== "Echo: ping " + i)
    throw new Error("unexpected result " + JSON.stringify(result));
  if (i >= warmup) times.push(elapsed);
}
await client.close();
times.sort((a, b) => a - b);
const at = (q) => times[Math.min(times.length - 1, Math.floor(q * times.length))];
console.log(JSON.stringify({ calls, p50_ms: at(0.5), p99_ms: at(0.99), mean_ms: times.reduce((a, b) => a + b, 0) / calls }));

// The official TypeScript SDK client (tests/mcp/node_modules, pinned) against agentstudio-server:
// lists the tools and calls one with progress, then ends the session. Prints one JSON line.
// Usage: node sdk_client.cjs URL TOKEN TOOL STRUCTURED_TOOL TEXT
// (TOOL is called with progress, STRUCTURED_TOOL for its structuredContent)   (NODE_PATH=tests/mcp/node_modules)
const { Client } = require('@modelcontextprotocol/sdk/client/index.js');
const { StreamableHTTPClientTransport } = require('@modelcontextprotocol/sdk/client/streamableHttp.js');

(async () => {
  const [url, token, tool, structuredTool, text] = process.argv.slice(2);
  const transport = new StreamableHTTPClientTransport(new URL(url), {
    requestInit: { headers: { Authorization: `Bearer ${token}` } },
  });
  const client = new Client({ name: 'sdk-test', version: '1.0.0' });
  await client.connect(transport);
  const sessionId = transport.sessionId;
  const listed = await client.listTools();
  const progress = [];
  const result = await client.callTool({ name: tool, arguments: { text } }, undefined, {
    onprogress: (p) => progress.push(p),
  });
  // The SDK validates structuredContent against the tool's outputSchema.
  const structured = await client.callTool({ name: structuredTool, arguments: { text } });
  await transport.terminateSession();
  await client.close();
  console.log(JSON.stringify({ sessionId, protocolVersion: transport.protocolVersion,
    tools: listed.tools.map((t) => t.name), result, progress, structured }));
})().catch((e) => {
  console.error(String((e && e.stack) || e));
  process.exit(1);
});

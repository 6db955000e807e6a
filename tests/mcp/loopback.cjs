// Preloaded (node --require) into the reference servers the MCP tests start over HTTP: every
// listening socket is bound to 127.0.0.1 whatever the server asked for (server-everything
// listens on all interfaces), and once it listens its real port is printed to stderr as
// "AGENTSTUDIO_LISTENING <port>", so the test can start it with PORT=0 and no port race.
"use strict";
const net = require("node:net");
const listen = net.Server.prototype.listen;
net.Server.prototype.listen = function (...args) {
  if (typeof args[0] === "number" || typeof args[0] === "string") {
    const port = Number(args[0]);
    const rest = args.slice(1).filter((a) => typeof a === "function");
    this.once("listening", () => process.stderr.write(`AGENTSTUDIO_LISTENING ${this.address().port}\n`));
    return listen.call(this, port, "127.0.0.1", ...rest);
  }
  return listen.apply(this, args);
};

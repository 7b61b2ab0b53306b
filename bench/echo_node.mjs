// Node's `net` echo server, the baseline for bench/echo_peer.ts: every byte
// a client sends goes straight back (`socket.pipe(socket)`, which honours
// back-pressure). Prints `Serving on HOST:PORT` once listening.
//
// Run: node bench/echo_node.mjs [port] [host]   (port 0 picks a free one)

import net from "node:net";

const port = Number(process.argv[2] ?? 8888);
const host = process.argv[3] ?? "127.0.0.1";

const server = net.createServer((socket) => {
  socket.setNoDelay(true);
  socket.on("error", () => socket.destroy());
  socket.pipe(socket);
});
server.listen({ port, host, backlog: 1024 }, () => {
  const addr = server.address();
  console.log(`Serving on ${addr.address}:${addr.port}`);
});
for (const signal of ["SIGINT", "SIGTERM"]) {
  process.on(signal, () => server.close(() => process.exit(0)));
}

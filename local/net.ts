import type { Server } from "node:http";

/** Listens on a loopback address only; a port in use becomes a one-line, actionable error. */
export function listen(
  server: Server,
  host: string,
  port: number,
  what: string,
  flag: string,
): Promise<number> {
  if (!isLoopbackHost(host))
    throw new Error(`Refusing to bind ${what} to ${host}: the local cloud binds to loopback only`);
  return new Promise((resolve, reject) => {
    server.once("error", (error: NodeJS.ErrnoException) => {
      reject(
        error.code === "EADDRINUSE"
          ? new Error(`Port ${port} (${what}) is in use: stop what uses it or pass ${flag} <port>`)
          : error,
      );
    });
    server.listen(port, host, () => {
      const address = server.address();
      resolve(typeof address === "object" && address ? address.port : port);
    });
  });
}

export function isLoopbackHost(host: string): boolean {
  return host === "localhost" || host === "::1" || /^127\.\d+\.\d+\.\d+$/.test(host);
}

export function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.closeAllConnections?.();
    server.close(() => resolve());
  });
}

/**
 * The small HTTP plumbing every emulator shares: listen on a free loopback port, read a whole
 * request body, answer, and close without waiting for keep-alive sockets or hung requests.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

export type RequestHandler = (
  req: IncomingMessage,
  body: Buffer,
  res: ServerResponse,
) => void | Promise<void>;

export interface RunningServer {
  /** `http://127.0.0.1:<port>` */
  readonly url: string;
  readonly port: number;
  /** Stops listening and destroys every open socket, hung requests included. */
  close(): Promise<void>;
}

/** Starts an HTTP server on 127.0.0.1 on a free port. Handler errors answer 500 and are rethrown to `onError`. */
export async function startServer(
  handler: RequestHandler,
  onError: (error: unknown) => void = () => {},
): Promise<RunningServer> {
  const sockets = new Set<Socket>();
  const server: Server = createServer((req, res) => {
    readBody(req).then(
      (body) =>
        Promise.resolve(handler(req, body, res)).catch((error: unknown) => {
          onError(error);
          if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain' });
          res.end('emulator error');
        }),
      (error: unknown) => {
        onError(error);
        res.destroy();
      },
    );
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

export function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

/** Lower-cased single-valued view of the request headers (Node joins repeated ones). */
export function headerMap(req: IncomingMessage): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(req.headers)) {
    if (value === undefined) continue;
    out[name.toLowerCase()] = Array.isArray(value) ? value.join(',') : value;
  }
  return out;
}

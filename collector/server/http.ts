// The admin endpoint's two HTTP chores, shared by admin.ts and the api-*.ts
// route files: a JSON reply, and a request body read up to a size limit.
import type { IncomingMessage, ServerResponse } from 'node:http';

/** Writes `body` as JSON; true, so a route can `return sendJson(...)` to say it answered. */
export function sendJson(res: ServerResponse, code: number, body: unknown): true {
  res.writeHead(code, { 'content-type': 'application/json' });
  res.end(`${JSON.stringify(body)}\n`);
  return true;
}

/** The body as UTF-8 text; undefined when it is larger than `max` bytes (the request is then destroyed) or could not be read. */
export function readBody(req: IncomingMessage, max: number): Promise<string | undefined> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > max) {
        resolve(undefined);
        req.destroy();
      } else chunks.push(c);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', () => resolve(undefined));
  });
}

import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import net from 'node:net';
import tls from 'node:tls';
import { describe, it } from 'node:test';
import { httpProbe, httpsProbe, tlsProbe } from '../../../agent/probes/index.ts';
import { ctx, fixture, tcpServer, type TestServer } from './support.ts';

const ICON = Buffer.concat([Buffer.from([0, 0, 1, 0, 1, 0, 16, 16]), Buffer.alloc(300, 7)]);

/** Answers GET / with the nginx fixture and GET /favicon.ico with a small icon; records the requests. */
function web(requests: string[]) {
  return (s: net.Socket) => {
    let buf = '';
    s.on('data', (d: Buffer) => {
      buf += d.toString('latin1');
      if (!buf.includes('\r\n\r\n')) return;
      requests.push(buf);
      if (buf.startsWith('GET /favicon.ico ')) {
        s.end(Buffer.concat([Buffer.from(`HTTP/1.1 200 OK\r\nContent-Type: image/x-icon\r\nContent-Length: ${ICON.length}\r\n\r\n`), ICON]));
      } else s.end(fixture('http/nginx-chunked.bin'));
    });
  };
}

async function tlsServer(serve: (s: net.Socket) => void): Promise<TestServer> {
  const server = tls.createServer({ key: fixture('tls/linksys.key'), cert: fixture('tls/linksys.pem') }, serve);
  server.on('tlsClientError', () => {});
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { port: (server.address() as net.AddressInfo).port, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}

describe('the http probe against a server on 127.0.0.1', () => {
  it('records status, headers, title and the favicon MD5', async () => {
    const requests: string[] = [];
    const server = await tcpServer(web(requests));
    try {
      const r = await httpProbe.run({ ip: '127.0.0.1', port: server.port }, ctx());
      assert.equal(r.status, 'success', r.error);
      assert.equal(r.facts?.['http.status'], '200');
      assert.equal(r.facts?.['http_header.server'], 'nginx/1.22.1');
      assert.equal(r.facts?.['http_header.cookie'], 'PHPSESSID=9c1185a5c5e9fc54612808977ee8f548; path=/\nlang=en; Path=/; HttpOnly');
      assert.equal(r.facts?.['http_header.x-powered-by'], 'PHP/8.2.7');
      assert.equal(r.facts?.html_title, 'Welcome to nginx!');
      assert.equal(r.facts?.['favicon.md5'], createHash('md5').update(ICON).digest('hex'));
      assert.deepEqual(Buffer.from(r.raw?.['favicon.md5'] ?? '', 'base64'), ICON);
      assert.match(requests[0]!, new RegExp(`^GET / HTTP/1\\.1\\r\\nHost: 127\\.0\\.0\\.1:${server.port}\\r\\n`));
      assert.ok(requests.some((q) => q.startsWith('GET /favicon.ico HTTP/1.1\r\n')));
    } finally {
      await server.close();
    }
  });

  it('is no-match for a server that does not speak HTTP', async () => {
    const server = await tcpServer((s) => s.end('SSH-2.0-OpenSSH_9.2p1\r\n'));
    try {
      const r = await httpProbe.run({ ip: '127.0.0.1', port: server.port }, ctx());
      assert.equal(r.status, 'no-match');
    } finally {
      await server.close();
    }
  });
});

describe('the https and tls probes against a TLS server on 127.0.0.1', () => {
  it('https records the page facts and the self-signed certificate', async () => {
    const server = await tlsServer(web([]));
    try {
      const r = await httpsProbe.run({ ip: '127.0.0.1', port: server.port }, ctx());
      assert.equal(r.status, 'success', r.error);
      assert.equal(r.facts?.['http_header.server'], 'nginx/1.22.1');
      assert.equal(r.facts?.['x509.subject'], 'CN=00:22:6b:ef:1e:d0,OU=RV042,O=Cisco-Linksys\\, LLC,L=Irvine,C=US');
      assert.equal(r.facts?.['x509.issuer'], r.facts?.['x509.subject']);
      assert.equal(r.facts?.['tls.cert.sha256'], '23a3319036c35b7fc6005b0da868a5c0ba54ca8a49444fe39f28544258ce6880');
      assert.deepEqual(Buffer.from(r.raw?.['tls.cert.sha256'] ?? '', 'base64'), fixture('tls/linksys.der'));
      assert.equal(r.facts?.['tls.cert.san'], 'DNS:router.example.test,IP Address:127.0.0.1');
      assert.ok(r.facts?.['favicon.md5']);
    } finally {
      await server.close();
    }
  });

  it('tls records the certificate and the negotiated version on any port', async () => {
    const server = await tlsServer((s) => s.on('data', () => {}));
    try {
      const r = await tlsProbe.run({ ip: '127.0.0.1', port: server.port }, ctx());
      assert.equal(r.status, 'success', r.error);
      assert.equal(r.facts?.['tls.version'], 'TLSv1.3');
      assert.equal(r.facts?.['tls.cert.self_signed'], 'true');
      assert.ok(r.facts?.['tls.cert.not_after']?.startsWith('21'));
    } finally {
      await server.close();
    }
  });

  it('tls is a protocol-error against a plain-text server', async () => {
    const server = await tcpServer((s) => s.end('220 ProFTPD Server ready.\r\n'));
    try {
      const r = await tlsProbe.run({ ip: '127.0.0.1', port: server.port }, ctx());
      assert.equal(r.status, 'protocol-error', r.error);
    } finally {
      await server.close();
    }
  });
});

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { goNameString, header, headersNamed, parseCertificate, parseHtmlTitle, parseHttpResponse } from '../../../agent/probes/index.ts';
import { fixture } from './support.ts';

describe('the HTTP response parser', () => {
  it('reads the status, repeated Set-Cookie fields and a chunked body', () => {
    const r = parseHttpResponse(fixture('http/nginx-chunked.bin'));
    assert.equal(r.status, 200);
    assert.equal(r.complete, true);
    assert.equal(header(r, 'server'), 'nginx/1.22.1');
    assert.equal(header(r, 'x-powered-by'), 'PHP/8.2.7');
    assert.deepEqual(headersNamed(r, 'set-cookie').map((h) => h.value), ['PHPSESSID=9c1185a5c5e9fc54612808977ee8f548; path=/', 'lang=en; Path=/; HttpOnly']);
    assert.ok(Buffer.from(r.body).toString('latin1').startsWith('<!DOCTYPE html>'));
    assert.ok(Buffer.from(r.body).toString('latin1').endsWith('</html>\n'));
  });

  it('reads WWW-Authenticate of a 401 with an empty body', () => {
    const r = parseHttpResponse(fixture('http/monit-401.bin'));
    assert.equal(r.status, 401);
    assert.equal(header(r, 'www-authenticate'), 'Basic realm="monit"');
    assert.equal(r.complete, true);
  });

  it('treats a body without framing as complete only once the peer closed', () => {
    const bytes = Buffer.from('HTTP/1.0 200 OK\r\nServer: BaseHTTP/0.6 Python/3.11.2\r\n\r\n<html>');
    assert.equal(parseHttpResponse(bytes).complete, false);
    assert.equal(parseHttpResponse(bytes, { closed: true }).complete, true);
  });

  it('joins obs-fold continuation lines into the field value', () => {
    const r = parseHttpResponse(Buffer.from('HTTP/1.1 200 OK\r\nServer: Acme\r\n  Web/1.0\r\nContent-Length: 0\r\n\r\n'));
    assert.equal(header(r, 'server'), 'Acme Web/1.0');
  });

  it('rejects a response without a status line', () => {
    assert.ok(parseHttpResponse(Buffer.from('SSH-2.0-OpenSSH\r\n')).error);
  });
});

describe('the HTML title reader', () => {
  it('returns the title text as sent, character references not decoded, whitespace trimmed', () => {
    const t = parseHtmlTitle(Buffer.from('<html><head>\n<TITLE lang="en">\n  Login &nbsp;&amp; Status\n</TITLE></head>'));
    assert.equal(t.title, 'Login &nbsp;&amp; Status');
  });

  it('decodes a UTF-8 title as text and gives nothing without a title', () => {
    assert.equal(parseHtmlTitle(Buffer.from('<title>Sign in · GitLab</title>')).title, 'Sign in · GitLab');
    assert.equal(parseHtmlTitle(Buffer.from('<html><body>x</body></html>')).title, undefined);
  });
});

describe('the X.509 reader', () => {
  it('renders the subject in Go pkix.Name.String() order with commas escaped', () => {
    const c = parseCertificate(fixture('tls/linksys.der'));
    assert.equal(c.subject, 'CN=00:22:6b:ef:1e:d0,OU=RV042,O=Cisco-Linksys\\, LLC,L=Irvine,C=US');
    assert.equal(c.issuer, c.subject);
    assert.equal(c.selfSigned, true);
    assert.equal(c.san, 'DNS:router.example.test,IP Address:127.0.0.1');
  });

  it('puts SERIALNUMBER first, as Go does', () => {
    const c = parseCertificate(fixture('tls/phone.der'));
    assert.equal(c.subject, 'SERIALNUMBER=PID:CP-8851 SN:FCH1924AHCA,CN=CP-8851-SEPB07D47D33A1C,OU=CTG,O=Cisco Systems Inc.');
  });

  it('joins repeated OUs into one RDN and puts unnamed attributes last as OID=#DER', () => {
    const c = parseCertificate(fixture('tls/multi.der'));
    assert.equal(
      c.subject,
      'CN=www.example.com,OU=IT+OU=Web,O=Example\\, Inc.,L=San Francisco,ST=California,C=US,1.2.840.113549.1.9.1=#0c1161646d696e406578616d706c652e636f6d',
    );
  });

  it('hashes the DER with SHA-256 (the same value openssl x509 -fingerprint -sha256 prints)', () => {
    assert.equal(parseCertificate(fixture('tls/linksys.der')).sha256, '23a3319036c35b7fc6005b0da868a5c0ba54ca8a49444fe39f28544258ce6880');
  });

  it('escapes leading and trailing spaces and a leading #', () => {
    assert.equal(goNameString([[{ oid: '2.5.4.3', tag: 0x0c, value: ' #a,b ' }]]), 'CN=\\ #a\\,b\\ ');
    assert.equal(goNameString([[{ oid: '2.5.4.3', tag: 0x0c, value: '#x' }]]), 'CN=\\#x');
  });

  it('gives an error, not an exception, for bytes that are not a certificate', () => {
    const c = parseCertificate(Buffer.from('not a certificate'));
    assert.ok(c.error);
    assert.equal(c.subject, undefined);
  });
});

import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addressAllowed, checkOutboundUrl, outboundRequest, OutboundUrlError } from '../../src/platform/net/outbound.js';

const none = { allow: [] };

describe('outbound URL guard (SSRF)', () => {
  it.each([
    'http://127.0.0.1:5432/',
    'http://169.254.169.254/latest/meta-data/',
    'http://[::1]:8080/',
    'http://0.0.0.0/',
    'http://2130706433/',
    'http://0x7f.1/',
    'http://[::ffff:127.0.0.1]/',
    'http://10.0.0.5/',
    'http://192.168.1.1/',
    'http://172.16.0.1/',
    'http://[fe80::1]/',
    'http://[fd00::1]/',
    'http://localhost:8080/',
    'http://app.localhost/',
    'file:///etc/passwd',
    'gopher://example.com/',
    'http://user:pw@example.com/',
  ])('refuses %s', (url) => {
    expect(() => checkOutboundUrl(url, none)).toThrow(OutboundUrlError);
  });

  it('accepts public addresses and what the city allows', () => {
    expect(checkOutboundUrl('https://203.0.113.10/notify', none).hostname).toBe('203.0.113.10');
    expect(checkOutboundUrl('https://example.org/notify', none).hostname).toBe('example.org');
    expect(checkOutboundUrl('http://10.20.1.5/x', { allow: ['10.20.0.0/16'] }).hostname).toBe('10.20.1.5');
    expect(() => checkOutboundUrl('http://10.21.1.5/x', { allow: ['10.20.0.0/16'] })).toThrow(OutboundUrlError);
    expect(addressAllowed('8.8.8.8', none)).toBe(true);
    expect(addressAllowed('::ffff:10.0.0.1', none)).toBe(false);
  });

  describe('when calling', () => {
    let server: http.Server;
    let port: number;
    beforeAll(async () => {
      server = http.createServer((req, res) => {
        if (req.url === '/to-metadata') return void res.writeHead(302, { location: 'http://169.254.169.254/latest/' }).end();
        if (req.url === '/to-loopback-name') return void res.writeHead(307, { location: `http://localhost:${port}/ok` }).end();
        if (req.url === '/big') return void res.end(Buffer.alloc(2048, 'x'));
        res.end('ok');
      });
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      port = (server.address() as AddressInfo).port;
    });
    afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

    it('refuses a name that resolves to a loopback address, checked after DNS', async () => {
      // `localhost` is refused by name; a name outside the allow list that resolves to 127.0.0.1 is refused at connect
      await expect(outboundRequest(`http://localhost:${port}/ok`, { allow: [] }, { timeoutMs: 2000 })).rejects.toThrow(OutboundUrlError);
    });

    it('checks every redirect again', async () => {
      const policy = { allow: ['127.0.0.1'] };
      expect((await outboundRequest(`http://127.0.0.1:${port}/ok`, policy, { timeoutMs: 2000 })).body.toString()).toBe('ok');
      await expect(outboundRequest(`http://127.0.0.1:${port}/to-metadata`, policy, { timeoutMs: 2000 })).rejects.toThrow(/169\.254\.169\.254/);
      await expect(outboundRequest(`http://127.0.0.1:${port}/to-loopback-name`, policy, { timeoutMs: 2000 })).rejects.toThrow(OutboundUrlError);
    });

    it('limits the size of the answer', async () => {
      await expect(outboundRequest(`http://127.0.0.1:${port}/big`, { allow: ['127.0.0.1'] }, { timeoutMs: 2000, maxBytes: 1024 })).rejects.toThrow(/larger than 1024/);
    });
  });
});

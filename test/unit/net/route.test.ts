import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isDirectlyConnected, isOwnAddress, macFromArpTable, sourceAddressFor } from '../../../agent/net/index.ts';

// /proc/net/route as Linux writes it (addresses little-endian hex): a default
// route via 192.0.2.1, the on-link 192.0.2.0/24, a lab /30 on a veth, an AnyIP
// /24 routed via the lab's far end, and the blackhole for the test range.
const ROUTES = [
  'Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT',
  'eth0\t00000000\t010200C0\t0003\t0\t0\t0\t00000000\t0\t0\t0',
  'eth0\t000200C0\t00000000\t0001\t0\t0\t0\t00FFFFFF\t0\t0\t0',
  'sx1h\t001612C6\t00000000\t0001\t0\t0\t0\tFCFFFFFF\t0\t0\t0',
  'sx1h\t000713C6\t021612C6\t0003\t0\t0\t0\t00FFFFFF\t0\t0\t0',
  '*\t000012C6\t00000000\t0201\t0\t0\t0\t0000FEFF\t0\t0\t0',
].join('\n');

describe('where a target sits', () => {
  it('calls a target on a link of ours with no gateway directly connected', () => {
    assert.equal(isDirectlyConnected('198.18.22.2', ROUTES), true);
    assert.equal(isDirectlyConnected('192.0.2.77', ROUTES), true);
  });

  it('does not call a target behind a gateway, or blackholed, directly connected', () => {
    assert.equal(isDirectlyConnected('198.19.7.40', ROUTES), false);
    assert.equal(isDirectlyConnected('198.18.99.1', ROUTES), false);
    assert.equal(isDirectlyConnected('203.0.113.9', ROUTES), false);
    assert.equal(isDirectlyConnected('198.18.22.2', ''), false);
  });

  it('finds a resolved neighbour\'s MAC and ignores incomplete entries', () => {
    const arp = [
      'IP address       HW type     Flags       HW address            Mask     Device',
      '198.18.22.2      0x1         0x2         c2:da:f5:e1:68:62     *        sx1h',
      '198.18.22.6      0x1         0x0         00:00:00:00:00:00     *        sx2h',
    ].join('\n');
    assert.equal(macFromArpTable('198.18.22.2', arp), 'c2:da:f5:e1:68:62');
    assert.equal(macFromArpTable('198.18.22.6', arp), undefined);
    assert.equal(macFromArpTable('198.18.22.9', arp), undefined);
  });

  it('knows loopback addresses as our own and asks the kernel, without sending, for the source address', async () => {
    assert.equal(isOwnAddress('127.0.0.1'), true);
    assert.equal(isOwnAddress('127.1.2.3'), true);
    assert.equal(await sourceAddressFor('127.0.0.1'), '127.0.0.1');
  });
});

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { cpe22To23, matchFingerprint, osCandidates, parseOsDb, parseSubjectFingerprint } from '../../../collector/fingerprint/os/index.ts';

const read = (name: string) => readFileSync(new URL(`../../fixtures/os/${name}`, import.meta.url), 'utf8');
const mini = parseOsDb(read('mini-os-db.txt'), 'mini');
const testix = read('testix.clean.txt');

describe('TCP/IP OS certainty candidates', () => {
  it('turns the best match into an os and a type candidate with the accuracy as certainty', () => {
    const result = matchFingerprint(mini, parseSubjectFingerprint(testix));
    const rule = `nmap-os-db:${mini.references[0]!.line}`;
    assert.deepEqual(osCandidates(result, { evidenceId: 'ev-1' }), [
      {
        category: 'os',
        attributes: { vendor: 'Testix', family: 'Testix', product: 'Testix', version: '1.X', cpe23: 'cpe:2.3:o:testix:testix:1:*:*:*:*:*:*:*' },
        certainty: 1,
        source: 'tcpip',
        match: 'Testix 1.0',
        rule,
        evidenceId: 'ev-1',
      },
      { category: 'type', attributes: { type: 'general purpose' }, certainty: 1, source: 'tcpip', match: 'Testix 1.0', rule, evidenceId: 'ev-1' },
    ]);
  });

  it('uses the percentage Nmap prints, and leaves out an empty generation and the embedded placeholder product', () => {
    const subject = parseSubjectFingerprint(testix.replace('TS=A)', 'TS=U)').replace(/W(\d)=FE88/g, 'W$1=16D0').replace('T1(R=Y%DF=Y', 'T1(R=Y%DF=N'));
    const result = matchFingerprint(mini, subject);
    assert.equal(result.matches[0]!.name, 'Gadget OS 2');
    const [os, type] = osCandidates(result);
    assert.equal(os!.certainty, result.matches[0]!.accuracy / 100);
    assert.ok(os!.certainty < 1);
    assert.deepEqual(os!.attributes, { vendor: 'Gadget', family: 'embedded', cpe23: 'cpe:2.3:h:gadget:cam_2:*:*:*:*:*:*:*:*' });
    assert.deepEqual(type!.attributes, { type: 'webcam' });
  });

  it('yields nothing when nothing matched', () => {
    assert.deepEqual(osCandidates(matchFingerprint(mini, parseSubjectFingerprint('T1(R=N)\n'))), []);
  });
});

describe('CPE 2.2 to 2.3 conversion', () => {
  it('fills missing components with ANY and keeps given ones', () => {
    assert.equal(cpe22To23('cpe:/o:linux:linux_kernel:5'), 'cpe:2.3:o:linux:linux_kernel:5:*:*:*:*:*:*:*');
    assert.equal(cpe22To23('cpe:/h:asus:rt-n56u'), 'cpe:2.3:h:asus:rt-n56u:*:*:*:*:*:*:*:*');
    assert.equal(cpe22To23('cpe:/o:microsoft:windows_vista::sp1:home_premium'), 'cpe:2.3:o:microsoft:windows_vista:*:sp1:home_premium:*:*:*:*:*');
    assert.equal(cpe22To23('cpe:/o:linux:linux_kernel:2.6.32'), 'cpe:2.3:o:linux:linux_kernel:2.6.32:*:*:*:*:*:*:*');
  });

  it('lower-cases, decodes percent escapes and quotes what formatted strings must quote', () => {
    assert.equal(cpe22To23('cpe:/a:Vendor:prod%21uct:1.0'), 'cpe:2.3:a:vendor:prod\\!uct:1.0:*:*:*:*:*:*:*');
    assert.equal(cpe22To23('cpe:/a:v:p:-'), 'cpe:2.3:a:v:p:-:*:*:*:*:*:*:*');
    assert.equal(cpe22To23('cpe:/a:v:p:1:u:~ed~sw~tsw~x64~o'), 'cpe:2.3:a:v:p:1:u:ed:*:sw:tsw:x64:o');
  });

  it('refuses text that is not a CPE 2.2 URI', () => {
    assert.equal(cpe22To23('cpe:2.3:o:linux:linux_kernel'), undefined);
    assert.equal(cpe22To23('linux'), undefined);
    assert.equal(cpe22To23('cpe:/x:a:b'), undefined);
  });
});

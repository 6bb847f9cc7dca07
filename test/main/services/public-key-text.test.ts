// Tests (Node): a node's public key in OpenSSH's one-line form, checked against what `ssh-keygen -y` printed for the same keys.
import { createPrivateKey, createPublicKey, generateKeyPairSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { openSshPublicKey, publicKeyPem } from '../../../main/services/public-key-text.js';

/** Throwaway keys made for this test with `openssl genpkey`, and `ssh-keygen -y -f` of each (OpenSSH 9.2). */
const P384 = {
  pem: `-----BEGIN PRIVATE KEY-----
MIG2AgEAMBAGByqGSM49AgEGBSuBBAAiBIGeMIGbAgEBBDDOwmfTmAj5mE7JsOax
Rj+Yp4QR9IXWFo+YbHesJxPe0p2eAd7Odekwfnb28uEV16mhZANiAASgwKU0v/xm
b1Ff6q7C3NskQhWsKXAQm4HfNC0U3FcXxtoC3uufVyNoKq7eYfzkXRA8pgkhztS2
I/hjGsBOO3VI2kdNLXkCqoQwa5DMtTRlRnC4dMSue6t7IGsSzf72ytk=
-----END PRIVATE KEY-----
`,
  ssh:
    'ecdsa-sha2-nistp384 AAAAE2VjZHNhLXNoYTItbmlzdHAzODQAAAAIbmlzdHAzODQAAABhBKDApTS//GZvUV/qrsLc2yRCFawpcBCbgd80LR' +
    'TcVxfG2gLe659XI2gqrt5h/ORdEDymCSHO1LYj+GMawE47dUjaR00teQKqhDBrkMy1NGVGcLh0xK57q3sgaxLN/vbK2Q==',
};
/** P-521's coordinates are 66 bytes, the first often zero: the point must keep them whole. */
const P521 = {
  pem: `-----BEGIN PRIVATE KEY-----
MIHuAgEAMBAGByqGSM49AgEGBSuBBAAjBIHWMIHTAgEBBEIAc9blM8G6QVBBg2rf
4aFTHaEnr3+XR+AzHUIAn3P/j/MFwNgGe905tGjdhnn+oIywUYuATh0/0wjV73EJ
TCp/Yd2hgYkDgYYABAF9ksHXV9qgaYpTEdCGvvlGCr54Pk1uuqV2eFrmXm2Lie0m
Q6d0CTTKYDCzEDtwHYLBeMka3/bB7ykaneUl/8znYQAR2i5XTvyC3a6SsgGmnPGO
6Jgr25o0Zc2ZXtHc9/Bnx0iZxfzzm4Erb7oS/NPd1kvzuQ23RerdmPp7/hU4kdZL
HA==
-----END PRIVATE KEY-----
`,
  ssh:
    'ecdsa-sha2-nistp521 AAAAE2VjZHNhLXNoYTItbmlzdHA1MjEAAAAIbmlzdHA1MjEAAACFBAF9ksHXV9qgaYpTEdCGvvlGCr54Pk1uuqV2eFrmXm2Lie0mQ6d0CT' +
    'TKYDCzEDtwHYLBeMka3/bB7ykaneUl/8znYQAR2i5XTvyC3a6SsgGmnPGO6Jgr25o0Zc2ZXtHc9/Bnx0iZxfzzm4Erb7oS/NPd1kvzuQ23RerdmPp7/hU4kdZLHA==',
};

const publicOf = (pem: string) => createPublicKey(createPrivateKey(pem));

describe('openSshPublicKey', () => {
  it('writes what ssh-keygen -y writes, then the comment', () => {
    expect(openSshPublicKey(publicOf(P384.pem), 'tributary-node-x')).toBe(`${P384.ssh} tributary-node-x`);
    expect(openSshPublicKey(publicOf(P521.pem), 'c')).toBe(`${P521.ssh} c`);
  });

  it('has no line for a curve OpenSSH does not name (Flower takes NIST curves only)', () => {
    const { publicKey } = generateKeyPairSync('ec', { namedCurve: 'secp256k1' });
    expect(openSshPublicKey(publicKey, 'c')).toBeNull();
  });
});

describe('publicKeyPem', () => {
  it('is the SubjectPublicKeyInfo PEM', () => {
    expect(publicKeyPem(publicOf(P384.pem))).toMatch(/^-----BEGIN PUBLIC KEY-----\n[A-Za-z0-9+/=\n]+-----END PUBLIC KEY-----\n$/);
  });
});

// Runs anywhere in main: the CA an invitation pinned: the CA file must still be that certificate, and the server's verified chain must lead to it.
import { X509Certificate } from 'node:crypto';
import { status as GrpcStatus } from '@grpc/grpc-js';
import { checkServerIdentity, type DetailedPeerCertificate, type PeerCertificate } from 'node:tls';
import type { FleetTransport } from './fleet-transport.js';
import { TransportError } from './transport-error.js';

/**
 * TLS verification (OpenSSL, with the CA file or the system's roots) runs first and is kept: this only narrows it.
 * Node hands checkServerIdentity the verified chain, completed with the trust anchor from the CA store, so the pinned
 * CA is found there whether or not the server sends it.
 */
export function pinnedServerIdentity(pin: string): (host: string, certificate: PeerCertificate) => Error | undefined {
  return (host, certificate) => {
    const wrongName = checkServerIdentity(host, certificate);
    if (wrongName) return wrongName;
    if (chainOf(certificate).some((link) => link.fingerprint256 === pin)) return undefined;
    return new Error(`the certificate chain the server presents does not lead to the pinned CA (issued by ${issuerName(certificate)})`);
  };
}

/** The CA file beside the config is the pinned CA: a file swapped or edited since the invitation was applied is refused before connecting. */
export function checkRootsHoldPin(pem: Buffer, pin: string, file: string): void {
  const fingerprints = certificatesIn(pem.toString('utf8')).map((certificate) => certificate.fingerprint256);
  if (!fingerprints.includes(pin))
    throw new Error(
      `the CA file ${file} is not the pinned CA ${pin} (it holds ${fingerprints.join(', ') || 'no readable certificate'}): ` +
        'it changed since the invitation was applied; open the invitation again, or ask the coordinator',
    );
}

/**
 * A TLS refusal at a party with a pinned CA means the server's certificate no longer comes from the CA the site
 * agreed to trust (a new certificate, or another server): said plainly, with OpenSSL's words kept at the end.
 */
export function withPinnedCaMessages(transport: FleetTransport, pin: string): FleetTransport {
  return {
    kind: transport.kind,
    close: () => transport.close(),
    call: (rpc, request, options) =>
      transport.call(rpc, request, options).catch((error: unknown) => {
        if (!(error instanceof TransportError) || !isCertificateFailure(error)) throw error;
        if (isValidityFailure(error))
          throw new TransportError(
            rpc,
            'CERTIFICATE_EXPIRED',
            "the server's certificate has expired, or is not valid yet: the coordinator renews it, or this computer's clock is wrong. " +
              `Nothing was sent (${error.code}: ${error.details})`,
            false,
            { cause: error },
          );
        throw new TransportError(
          rpc,
          'CERTIFICATE_CHANGED',
          `the server's certificate is not from the pinned CA ${pin}: the server changed its certificate, or this is not the federation's server. ` +
            `Nothing was sent. Ask the coordinator; if the federation moved to a new CA, open its new invitation (${error.code}: ${error.details})`,
          false,
          { cause: error },
        );
      }),
  };
}

/**
 * A handshake that failed over the certificate's issuer. Not a server's own answer (an HTTP status, a gRPC status other
 * than UNAVAILABLE, which is how grpc-js reports a failed handshake), and not a name mismatch: a certificate from the
 * pinned CA for another host name is a different problem, and its own message says so.
 */
function isCertificateFailure(error: TransportError): boolean {
  const text = `${error.code} ${error.details}`;
  if (error.code.startsWith('HTTP ') || (error.code in GrpcStatus && error.code !== 'UNAVAILABLE')) return false;
  if (/altname|does not match certificate|ERR_TLS_CERT_ALTNAME/i.test(text)) return false;
  return /certificate|self[- ]signed|unable to verify|pinned CA|UNABLE_TO_|CERT_/i.test(text);
}

/** A certificate outside its dates: OpenSSL says so only once it found a trusted issuer, so this is not a certificate from a stranger CA. */
function isValidityFailure(error: TransportError): boolean {
  return /CERT_HAS_EXPIRED|CERT_NOT_YET_VALID|certificate has expired|certificate is not yet valid/i.test(`${error.code} ${error.details}`);
}

function chainOf(certificate: PeerCertificate): PeerCertificate[] {
  const chain: PeerCertificate[] = [];
  let link: PeerCertificate | undefined = certificate;
  while (link && !chain.includes(link) && chain.length < 16) {
    chain.push(link);
    link = (link as DetailedPeerCertificate).issuerCertificate;
  }
  return chain;
}

function issuerName(certificate: PeerCertificate): string {
  return certificate.issuer?.CN || certificate.issuer?.O || 'an unnamed CA';
}

function certificatesIn(pem: string): X509Certificate[] {
  const blocks = pem.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [];
  return blocks.flatMap((block) => {
    try {
      return [new X509Certificate(block)];
    } catch {
      return [];
    }
  });
}

// Runs anywhere (the contract): the one rule for how a party names its Fleet API server, which the config schema and both transports apply.

export type FleetTransportKind = 'grpc' | 'rest';

const HAS_SCHEME = /^[a-z][a-z0-9+.-]*:\/\//i;

/**
 * What is wrong with `address` as the server of this transport with this `insecure`, as a sentence naming the
 * address; nothing when the transport can use it. gRPC takes host:port (TLS or not is `insecure`'s to say); REST
 * takes host:port or an http(s) URL whose scheme agrees with `insecure`.
 */
export function fleetAddressProblem(transport: FleetTransportKind, address: string, insecure: boolean): string | undefined {
  if (transport === 'grpc') {
    if (!address.includes('://')) return undefined;
    const rest = /^https?:\/\//i.test(address) ? ', or set transport: rest for a REST server' : '';
    return `gRPC address ${address}: give host:port (TLS or plain text is set by insecure, not by a scheme)${rest}`;
  }
  const url = parsedUrl(restUrlText(address, insecure));
  if (!url) return `REST address ${address}: not a URL: give host:port or http(s)://host:port`;
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return `REST address ${address}: only http:// and https:// are possible`;
  if (url.protocol === 'http:' && !insecure)
    return `REST address ${address} is plain http: use https://, or set insecure: true to allow plain text`;
  if (url.protocol === 'https:' && insecure) return `REST address ${address} is https but insecure: true is set; drop one of them`;
  return undefined;
}

/** The REST server's base URL: a bare host:port is https, or http when `insecure`. Throws what fleetAddressProblem finds. */
export function restServerUrl(address: string, insecure: boolean): URL {
  const problem = fleetAddressProblem('rest', address, insecure);
  if (problem) throw new Error(problem);
  return new URL(restUrlText(address, insecure));
}

function restUrlText(address: string, insecure: boolean): string {
  return HAS_SCHEME.test(address) ? address : `${insecure ? 'http' : 'https'}://${address}`;
}

function parsedUrl(text: string): URL | undefined {
  try {
    return new URL(text);
  } catch {
    return undefined;
  }
}

// Runs anywhere (the contract): the renderer's Content-Security-Policy, one definition for its HTML, the app protocol and the console.

/**
 * Nothing inline, nothing remote: scripts and styles come only from the app's own files; images may also be the
 * preview's PNG bytes as blob: URLs (and the data: favicon); the only connection is the console's WebSocket, which
 * 'self' covers (CSP3 matches ws: to the page's own host and port).
 */
export const CONTENT_SECURITY_POLICY = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data: blob:",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
].join('; ');

/** As an HTTP header the policy can also forbid framing, which a <meta> policy cannot (browsers ignore it there). */
export const CONTENT_SECURITY_POLICY_HEADER = `${CONTENT_SECURITY_POLICY}; frame-ancestors 'none'`;

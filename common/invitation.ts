// Runs anywhere (the contract): the invitation a coordinator signs and a site opens: where the federation's server is, how to reach it, which CA to pin.
import { z } from 'zod';
import { ARCHITECTURE_KEYS, BUILTIN_MODELS, checkArchitectureKeys } from './model-config.js';

/** The text form: this prefix, then the signed invitation's JSON as base64url, one line that survives an email or a chat. */
export const INVITATION_PREFIX = 'tributary-invite:';
/** An invitation is read whole: anything longer (file or pasted text) is refused before it is parsed. A CA certificate is 1-3 KB. */
export const MAX_INVITATION_BYTES = 64 * 1024;
export const MAX_CA_PEM_CHARS = 16 * 1024;

/** `AB:CD:…`, 32 bytes: the SHA-256 of a certificate's DER, as `openssl x509 -noout -fingerprint -sha256` prints it. */
export const CertificateFingerprintSchema = z
  .string()
  .transform((text) => text.toUpperCase())
  .pipe(z.string().regex(/^[0-9A-F]{2}(:[0-9A-F]{2}){31}$/, 'a SHA-256 certificate fingerprint: 32 hex bytes joined by colons (AB:CD:…)'));

/** The federation's architecture, when it is built in: a site's config takes it on applying, so every site trains the same one. */
export const InvitationModelSchema = z
  .strictObject({ builtin: z.enum(BUILTIN_MODELS), ...ARCHITECTURE_KEYS })
  .superRefine((model, context) => checkArchitectureKeys(model, context));
export type InvitationModel = z.infer<typeof InvitationModelSchema>;

/** `resnet (depth 2, width 32)`: the architecture as the invitation names it. */
export function describeInvitationModel(model: InvitationModel): string {
  const keys = Object.entries(model).filter(([key]) => key !== 'builtin');
  return keys.length ? `${model.builtin} (${keys.map(([key, value]) => `${key} ${value}`).join(', ')})` : model.builtin;
}

/** What the coordinator states; signed as the exact JSON text it travels in, so no re-encoding can change what was signed. */
export const InvitationBodySchema = z
  .strictObject({
    version: z.literal(1),
    federation: z.string().min(1).max(200).describe("the federation's name, as the coordinator calls it"),
    server: z.string().min(1).max(500).describe('the Fleet API: host:port for gRPC, https://host:port for REST'),
    transport: z.enum(['grpc', 'rest']),
    ca: z
      .strictObject({
        pem: z
          .string()
          .max(MAX_CA_PEM_CHARS)
          .optional()
          .describe("the CA certificate that signed the server's; absent: a public CA, pinned by fingerprint"),
        sha256: CertificateFingerprintSchema,
      })
      .describe("the CA the site pins: the server's certificate chain must lead to it"),
    node_auth: z
      .boolean()
      .describe('nodes are registered in advance (flower-superlink --enable-supernode-auth): the site sends its public key first'),
    model: InvitationModelSchema.optional().describe('the built-in architecture every site trains; absent: each site names its own'),
    issued: z.iso.datetime(),
    expires: z.iso.datetime(),
  })
  .refine((body) => Date.parse(body.expires) > Date.parse(body.issued), { message: 'expires before it was issued', path: ['expires'] });
export type InvitationBody = z.infer<typeof InvitationBodySchema>;

/** The document that travels: the body's JSON text, the coordinator's public key, and its signature over that text. */
export const SignedInvitationSchema = z.strictObject({
  invitation: z.string().max(MAX_INVITATION_BYTES).describe('the body, as JSON text: these exact bytes are signed'),
  issuer: z.strictObject({
    algorithm: z.enum(['ed25519', 'ecdsa-p256']),
    public_key: z.string().max(2048).describe("the coordinator's public key, PEM (SubjectPublicKeyInfo)"),
  }),
  signature: z
    .string()
    .max(512)
    .regex(/^[A-Za-z0-9_-]+$/, 'base64url'),
});
export type SignedInvitation = z.infer<typeof SignedInvitationSchema>;

/** What opening an invitation shows before anything is applied: everything the site will trust. */
export const InvitationViewSchema = z.object({
  federation: z.string(),
  server: z.string(),
  transport: z.enum(['grpc', 'rest']),
  caSha256: z.string().describe('the CA fingerprint the site pins'),
  caSubject: z.string().nullable().describe("the CA certificate's subject; null when only its fingerprint came"),
  caIncluded: z.boolean(),
  nodeAuth: z.boolean(),
  model: z.string().nullable().describe('the built-in architecture the federation trains, e.g. "resnet (depth 2)"; null when not named'),
  issuerAlgorithm: z.enum(['ed25519', 'ecdsa-p256']),
  issuerFingerprint: z.string().describe("SHA-256 of the coordinator's public key (DER), in groups of four: check it with the coordinator"),
  issued: z.string(),
  expires: z.string(),
});
export type InvitationView = z.infer<typeof InvitationViewSchema>;

// Independent verification of a Sigstore bundle with sigstore-js (@sigstore/verify 4.x).
//
// Usage: node verify.mjs BUNDLE ARTIFACT TRUSTED_ROOT SAN ISSUER [EXTENSIONS_JSON]
//   ARTIFACT         the signed file, or "-" for a DSSE bundle (the payload is in the bundle)
//   SAN              expected URI SAN, matched exactly
//   ISSUER           expected OIDC issuer (Fulcio extension 1.3.6.1.4.1.57264.1.8 or .1.1)
//   EXTENSIONS_JSON  optional {"1.3.6.1.4.1.57264.1.12": "https://github.com/o/r", ...}:
//                    Fulcio OIDs .1.8 and above are compared as DER UTF8String, older ones raw
// Prints one JSON object on stdout; exit 0 = verified, 1 = rejected, 2 = usage error.
import { readFileSync } from 'node:fs';
import { bundleFromJSON } from '@sigstore/bundle';
import { TrustedRoot } from '@sigstore/protobuf-specs';
import { Verifier, toSignedEntity, toTrustMaterial } from '@sigstore/verify';

const FULCIO_PREFIX = '1.3.6.1.4.1.57264.1.';

function derUtf8String(text) {
  const body = Buffer.from(text, 'utf-8');
  if (body.length < 0x80) return Buffer.concat([Buffer.from([0x0c, body.length]), body]);
  const len = [];
  for (let n = body.length; n > 0; n >>= 8) len.unshift(n & 0xff);
  return Buffer.concat([Buffer.from([0x0c, 0x80 | len.length, ...len]), body]);
}

function extensionValue(oid, text) {
  const arc = oid.startsWith(FULCIO_PREFIX) ? Number(oid.slice(FULCIO_PREFIX.length)) : NaN;
  return arc >= 1 && arc <= 7 ? Buffer.from(text, 'utf-8') : derUtf8String(text);
}

function escapeRegExp(text) {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

function output(result, code) {
  process.stdout.write(JSON.stringify(result) + '\n');
  process.exit(code);
}

const args = process.argv.slice(2);
if (args.length < 5 || args.length > 6) {
  output({ ok: false, error: { code: 'USAGE', message: 'usage: verify.mjs BUNDLE ARTIFACT TRUSTED_ROOT SAN ISSUER [EXTENSIONS_JSON]' } }, 2);
}
const [bundlePath, artifactPath, rootPath, san, issuer, extensionsJson] = args;

let entity, trustMaterial, policy;
try {
  const bundle = bundleFromJSON(JSON.parse(readFileSync(bundlePath, 'utf-8')));
  const artifact = artifactPath === '-' ? undefined : readFileSync(artifactPath);
  entity = toSignedEntity(bundle, artifact);
  trustMaterial = toTrustMaterial(TrustedRoot.fromJSON(JSON.parse(readFileSync(rootPath, 'utf-8'))));
  const expected = extensionsJson ? JSON.parse(extensionsJson) : {};
  policy = {
    subjectAlternativeName: new RegExp(`^${escapeRegExp(san)}$`),
    extensions: { issuer },
    oids: Object.entries(expected).map(([oid, text]) => ({
      oid: { id: oid.split('.').map(Number) },
      value: extensionValue(oid, text),
    })),
  };
} catch (err) {
  output({ ok: false, error: { code: 'USAGE', message: String(err?.message ?? err) } }, 2);
}

try {
  const verifier = new Verifier(trustMaterial, { tlogThreshold: 1, ctlogThreshold: 1 });
  const signer = verifier.verify(entity, policy);
  output({
    ok: true,
    subjectAlternativeName: signer.identity?.subjectAlternativeName ?? null,
    issuer: signer.identity?.extensions?.issuer ?? null,
  }, 0);
} catch (err) {
  output({ ok: false, error: { code: err?.code ?? err?.name ?? 'ERROR', message: String(err?.message ?? err) } }, 1);
}

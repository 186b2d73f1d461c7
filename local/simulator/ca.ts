/**
 * Local certificate authority for the simulator.
 * The CA is created once per directory and reused, so that processes started with
 * NODE_EXTRA_CA_CERTS=<caCertPath> keep trusting every server certificate issued later.
 */
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import forge from 'node-forge';

export interface LocalCa {
  caCertPem: string;
  caCertPath: string;
  caKeyPem: string;
}

export interface ServerCert {
  certPem: string;
  keyPem: string;
}

const KEY_FILE = 'ca-key.pem';
const CERT_FILE = 'ca.pem';

function newRsaKeyPair(): { privateKeyPem: string; publicKeyPem: string } {
  const { privateKey, publicKey } = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 });
  return {
    privateKeyPem: privateKey.export({ type: 'pkcs1', format: 'pem' }).toString(),
    publicKeyPem: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
  };
}

function randomSerial(): string {
  // positive serial number (first hex digit below 8)
  const bytes = crypto.randomBytes(16);
  bytes[0] = bytes[0]! & 0x7f;
  return bytes.toString('hex');
}

function createCa(): { certPem: string; keyPem: string } {
  const keys = newRsaKeyPair();
  const cert = forge.pki.createCertificate();
  cert.publicKey = forge.pki.publicKeyFromPem(keys.publicKeyPem);
  cert.serialNumber = randomSerial();
  const now = new Date();
  cert.validity.notBefore = new Date(now.getTime() - 24 * 3600 * 1000);
  cert.validity.notAfter = new Date(now.getTime() + 10 * 365 * 24 * 3600 * 1000);
  const attrs = [
    { name: 'commonName', value: 'Teams Voice Sync local simulator CA' },
    { name: 'organizationName', value: 'Teams Voice Sync (local development only)' },
  ];
  cert.setSubject(attrs);
  cert.setIssuer(attrs);
  cert.setExtensions([
    { name: 'basicConstraints', cA: true, critical: true },
    { name: 'keyUsage', keyCertSign: true, cRLSign: true, digitalSignature: true, critical: true },
    { name: 'subjectKeyIdentifier' },
  ]);
  const privateKey = forge.pki.privateKeyFromPem(keys.privateKeyPem);
  cert.sign(privateKey, forge.md.sha256.create());
  return { certPem: forge.pki.certificateToPem(cert), keyPem: keys.privateKeyPem };
}

function splitBundle(bundle: string): { certPem: string; keyPem: string } | undefined {
  const cert = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/.exec(bundle);
  const key = /-----BEGIN RSA PRIVATE KEY-----[\s\S]+?-----END RSA PRIVATE KEY-----/.exec(bundle);
  if (!cert || !key) return undefined;
  return { certPem: cert[0] + '\n', keyPem: key[0] + '\n' };
}

/**
 * Creates (first call) or loads (later calls) the local CA kept in `dir`.
 * Safe when several processes call it at once: the key bundle is published with an exclusive link,
 * and whoever loses the race reads the winner's CA.
 */
export function ensureLocalCa(dir: string): LocalCa {
  fs.mkdirSync(dir, { recursive: true });
  const keyPath = path.join(dir, KEY_FILE);
  const caCertPath = path.join(dir, CERT_FILE);
  let parts = fs.existsSync(keyPath) ? splitBundle(fs.readFileSync(keyPath, 'utf8')) : undefined;
  if (!parts) {
    const created = createCa();
    const tmp = path.join(dir, `.ca-${process.pid}-${crypto.randomBytes(4).toString('hex')}.tmp`);
    fs.writeFileSync(tmp, created.keyPem + created.certPem, { mode: 0o600 });
    try {
      fs.linkSync(tmp, keyPath);
    } catch {
      // another process won the race, or a broken file is in the way
      const existing = fs.existsSync(keyPath) ? splitBundle(fs.readFileSync(keyPath, 'utf8')) : undefined;
      if (!existing) fs.renameSync(tmp, keyPath);
    } finally {
      if (fs.existsSync(tmp)) fs.unlinkSync(tmp);
    }
    parts = splitBundle(fs.readFileSync(keyPath, 'utf8'));
    if (!parts) throw new Error(`could not create the local CA in ${dir}`);
  }
  const current = fs.existsSync(caCertPath) ? fs.readFileSync(caCertPath, 'utf8') : '';
  if (current !== parts.certPem) {
    const tmp = `${caCertPath}.${process.pid}.tmp`;
    fs.writeFileSync(tmp, parts.certPem);
    fs.renameSync(tmp, caCertPath);
  }
  return { caCertPem: parts.certPem, caCertPath, caKeyPem: parts.keyPem };
}

/** Issues a server certificate for the given host names / IP addresses, signed by the local CA. */
export function issueServerCert(ca: Pick<LocalCa, 'caCertPem' | 'caKeyPem'>, hosts: string[]): ServerCert {
  const keys = newRsaKeyPair();
  const caCert = forge.pki.certificateFromPem(ca.caCertPem);
  const caKey = forge.pki.privateKeyFromPem(ca.caKeyPem);
  const cert = forge.pki.createCertificate();
  cert.publicKey = forge.pki.publicKeyFromPem(keys.publicKeyPem);
  cert.serialNumber = randomSerial();
  const now = new Date();
  cert.validity.notBefore = new Date(now.getTime() - 3600 * 1000);
  cert.validity.notAfter = new Date(now.getTime() + 365 * 24 * 3600 * 1000);
  cert.setSubject([{ name: 'commonName', value: hosts[0] ?? 'localhost' }]);
  cert.setIssuer(caCert.subject.attributes);
  const altNames = hosts.map((h) => (/^[\d.]+$/.test(h) || h.includes(':') ? { type: 7, ip: h } : { type: 2, value: h }));
  cert.setExtensions([
    { name: 'basicConstraints', cA: false },
    { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, critical: true },
    { name: 'extKeyUsage', serverAuth: true },
    { name: 'subjectAltName', altNames },
  ]);
  cert.sign(caKey, forge.md.sha256.create());
  return { certPem: forge.pki.certificateToPem(cert), keyPem: keys.privateKeyPem };
}

// The inverse of seal.ts's hybridEncrypt, from the sealed-secrets format (uint16 len ||
// RSA-OAEP-SHA256(label) session key || AES-256-GCM ciphertext || tag, zero nonce). homelab-dr uses it
// for one thing: proving an exported sealing key pair opens what its certificate seals.
import { constants, createDecipheriv, privateDecrypt } from 'node:crypto';

export function unsealValue(privateKeyPem: string, label: string, b64: string): Buffer {
  const sealed = Buffer.from(b64, 'base64');
  const rsaLength = sealed.readUInt16BE(0);
  const sessionKey = privateDecrypt(
    { key: privateKeyPem, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha256', oaepLabel: Buffer.from(label, 'utf8') },
    sealed.subarray(2, 2 + rsaLength),
  );
  const aes = sealed.subarray(2 + rsaLength);
  // Zero nonce: the session key is used once.
  const decipher = createDecipheriv('aes-256-gcm', sessionKey, Buffer.alloc(12));
  decipher.setAuthTag(aes.subarray(aes.length - 16));
  return Buffer.concat([decipher.update(aes.subarray(0, aes.length - 16)), decipher.final()]);
}

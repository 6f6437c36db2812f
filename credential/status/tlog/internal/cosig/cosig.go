// Package cosig is the C2SP tlog-cosignature/v1 format (signature type
// 0x04), shared by the client side (package tlog) and the witness.
package cosig

import (
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"strconv"
)

// Alg is the signed-note signature type of a timestamped Ed25519
// cosignature.
const Alg = 0x04

// SigSize is the cosignature after the key hash: 8-byte timestamp and the
// Ed25519 signature.
const SigSize = 8 + ed25519.SignatureSize

// KeyHash is the signed-note key id of a cosigning key: the first 4 bytes
// of SHA-256(name || "\n" || 0x04 || key).
func KeyHash(name string, pub ed25519.PublicKey) uint32 {
	h := sha256.New()
	h.Write([]byte(name))
	h.Write([]byte{'\n', Alg})
	h.Write(pub)
	return binary.BigEndian.Uint32(h.Sum(nil))
}

// Message is the signed message: "cosignature/v1\ntime <t>\n" followed by
// the checkpoint body.
func Message(t uint64, body []byte) []byte {
	m := make([]byte, 0, 32+len(body))
	m = append(m, "cosignature/v1\ntime "...)
	m = strconv.AppendUint(m, t, 10)
	m = append(m, '\n')
	return append(m, body...)
}

// Sign returns the signature line "— <name> <base64(key hash || t || sig)>\n".
func Sign(name string, key ed25519.PrivateKey, t uint64, body []byte) []byte {
	pub := key.Public().(ed25519.PublicKey)
	raw := binary.BigEndian.AppendUint32(nil, KeyHash(name, pub))
	raw = binary.BigEndian.AppendUint64(raw, t)
	raw = append(raw, ed25519.Sign(key, Message(t, body))...)
	line := append([]byte("\u2014 "+name+" "), base64.StdEncoding.EncodeToString(raw)...)
	return append(line, '\n')
}

// Verify checks sig (timestamp || signature, after the key hash) on body
// and returns the timestamp.
func Verify(pub ed25519.PublicKey, body, sig []byte) (uint64, bool) {
	if len(sig) != SigSize || len(pub) != ed25519.PublicKeySize {
		return 0, false
	}
	t := binary.BigEndian.Uint64(sig)
	if t > 1<<62 {
		return 0, false
	}
	return t, ed25519.Verify(pub, Message(t, body), sig[8:])
}

// VerifierKey is the signed-note verifier key "<name>+<hash>+<base64(0x04 || key)>".
func VerifierKey(name string, pub ed25519.PublicKey) string {
	var h [4]byte
	binary.BigEndian.PutUint32(h[:], KeyHash(name, pub))
	return name + "+" + hexString(h[:]) + "+" + base64.StdEncoding.EncodeToString(append([]byte{Alg}, pub...))
}

func hexString(b []byte) string {
	const digits = "0123456789abcdef"
	out := make([]byte, 0, 2*len(b))
	for _, c := range b {
		out = append(out, digits[c>>4], digits[c&15])
	}
	return string(out)
}

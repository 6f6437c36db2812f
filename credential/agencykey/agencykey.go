// Package agencykey keeps an agency's private keys at rest, encrypted with
// age (age-encryption.org/v1, [filippo.io/age]): the Ed25519 key that signs
// VC-JWTs and revocation roots (the JOSE key) and the BN254 key that signs
// credentials for the circuit (the ZK key).
//
// For most uses, call [Generate] once, write the keys with [Create] to a
// passphrase ([Passphrase]: scrypt) or to an age recipient ([ParseIdentity]:
// an X25519 or hybrid post-quantum identity file made by age-keygen), and
// read them back with [Open] when the service starts.
//
// # Format
//
// A key file is an age file (binary, or ASCII-armored) of at most
// [MaxFileSize] bytes. Its plaintext is one strict JSON object
// (did/strictjson: no unknown, duplicate or case-variant members):
//
//	{"version": "zkcred-agency-keys-v1", "jose": "<Ed25519 seed>", "zk": "<ZK key seed>"}
//
// where both seeds are 32 bytes in standard base64 with padding
// (RFC 4648 §4), and "jose" may be absent: the JOSE key then lives
// elsewhere (see below). Nothing else is accepted: a plaintext JSON key
// file is [ErrNotEncrypted], a file the passphrase or identity does not
// open is [ErrWrongKey], a truncated or altered file is [ErrMalformed].
//
// # Keys held elsewhere
//
// Everything in the library that signs with the JOSE key takes a
// crypto.Signer ([credential.Issuer].JOSEKey, status.SignRoot,
// registry.Config.Signer, the OpenID4VCI issuer, and on the verifier side
// verifier.Config.SigningKey and openid4vp.SignRequestObject), so the key
// may stay in an HSM or a cloud KMS: store only the ZK key here
// ([Keys].JOSE nil). The ZK key is an EdDSA key on BN254's twisted-Edwards
// curve, which no HSM offers; it is the one that must live in this file.
//
// # Other services' keys
//
// [Seal], [Unseal], [CreateSealed] and [OpenSealed] are the same
// protection (age, the same bounds and errors) over a plaintext of the
// caller's format, which the caller parses strictly: the example verifier
// keeps its OpenID4VP keys with them.
package agencykey

import (
	"bytes"
	"crypto/ed25519"
	"encoding/base64"
	"errors"
	"fmt"
	"io"

	"filippo.io/age"

	"github.com/zkcred/zkcred/credential"
	"github.com/zkcred/zkcred/did/strictjson"
)

// Format is the version member of a key file's plaintext.
const Format = "zkcred-agency-keys-v1"

// MaxFileSize bounds an encrypted key file. A file of both keys is under
// 400 bytes with an X25519 or scrypt recipient and about 2 KiB with a
// hybrid post-quantum one.
const MaxFileSize = 16 << 10

// maxPlaintext bounds the decrypted document (about 150 bytes).
const maxPlaintext = 1 << 10

// ScryptWorkFactor is the scrypt work factor (log2 N) of [Passphrase]:
// about a second and 256 MiB of memory to encrypt or decrypt. A file that
// asks for more is refused as [ErrWrongKey].
const ScryptWorkFactor = 18

var (
	// ErrNotEncrypted is returned by [Open] and [Decrypt] for a file that
	// is not an age file; when it holds plaintext JSON the message says so.
	ErrNotEncrypted = errors.New("agencykey: the key file is not encrypted")
	// ErrWrongKey is returned when the passphrase or identity given does
	// not open the file.
	ErrWrongKey = errors.New("agencykey: the passphrase or identity does not open the key file")
	// ErrMalformed is returned for a file that is truncated, altered, or
	// whose plaintext is not the documented format.
	ErrMalformed = errors.New("agencykey: malformed key file")
	// ErrTooLarge is returned for a file over [MaxFileSize] bytes.
	ErrTooLarge = errors.New("agencykey: key file too large")
	// ErrNoKey is returned for an empty passphrase, an identity file
	// without exactly one identity, or Keys without a ZK key.
	ErrNoKey = errors.New("agencykey: no key")
)

// Keys are an agency's private keys. They must be kept secret.
type Keys struct {
	// JOSE signs VC-JWTs and revocation roots (EdDSA); nil when the JOSE
	// key is held elsewhere (an HSM or a KMS, as a crypto.Signer).
	JOSE ed25519.PrivateKey
	// ZK signs the attribute commitments of credentials. Required.
	ZK *credential.ZKPrivateKey
}

// Generate returns new keys drawn from rand (crypto/rand.Reader in
// production).
func Generate(rand io.Reader) (*Keys, error) {
	_, jose, err := ed25519.GenerateKey(rand)
	if err != nil {
		return nil, err
	}
	zk, err := credential.GenerateZKKey(rand)
	if err != nil {
		return nil, err
	}
	return &Keys{JOSE: jose, ZK: zk}, nil
}

// document is the plaintext of a key file.
type document struct {
	Version string `json:"version"`
	JOSE    string `json:"jose"`
	ZK      string `json:"zk"`
}

var b64 = base64.StdEncoding.Strict()

// Encrypt returns k as an age file (binary) to the given recipients. An
// scrypt recipient must be the only one.
func (k *Keys) Encrypt(recipients ...age.Recipient) ([]byte, error) {
	if k == nil || k.ZK == nil {
		return nil, fmt.Errorf("%w: Keys without a ZK key", ErrNoKey)
	}
	if k.JOSE != nil && len(k.JOSE) != ed25519.PrivateKeySize {
		return nil, fmt.Errorf("%w: JOSE key of %d bytes", ErrNoKey, len(k.JOSE))
	}
	if len(recipients) == 0 {
		return nil, fmt.Errorf("%w: no recipient", ErrNoKey)
	}
	// The members are base64 and a constant: %q adds nothing to escape.
	plain := fmt.Appendf(nil, `{"version":%q,`, Format)
	if k.JOSE != nil {
		plain = fmt.Appendf(plain, `"jose":%q,`, b64.EncodeToString(k.JOSE.Seed()))
	}
	plain = fmt.Appendf(plain, `"zk":%q}`, b64.EncodeToString(k.ZK.Bytes()))
	defer clear(plain)
	return Seal(plain, recipients...)
}

// Decrypt opens an encrypted key file (binary or ASCII-armored age) with
// the given identities and parses its plaintext. Errors wrap
// [ErrNotEncrypted], [ErrWrongKey], [ErrMalformed], [ErrTooLarge] or
// [ErrNoKey].
func Decrypt(file []byte, identities ...age.Identity) (*Keys, error) {
	plain, err := Unseal(file, maxPlaintext, identities...)
	if err != nil {
		return nil, err
	}
	defer clear(plain)
	return parse(plain)
}

// parse reads the plaintext document strictly.
func parse(plain []byte) (*Keys, error) {
	var d document
	if err := strictjson.Unmarshal(plain, &d); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrMalformed, err)
	}
	if d.Version != Format {
		return nil, fmt.Errorf("%w: version %.40q, want %s", ErrMalformed, d.Version, Format)
	}
	k := &Keys{}
	if d.JOSE != "" {
		seed, err := decodeSeed(d.JOSE, ed25519.SeedSize)
		if err != nil {
			return nil, fmt.Errorf("%w: jose: %v", ErrMalformed, err)
		}
		k.JOSE = ed25519.NewKeyFromSeed(seed)
		clear(seed)
	}
	seed, err := decodeSeed(d.ZK, credential.ZKPrivateKeySize)
	if err != nil {
		return nil, fmt.Errorf("%w: zk: %v", ErrMalformed, err)
	}
	defer clear(seed)
	if k.ZK, err = credential.NewZKPrivateKey(seed); err != nil {
		return nil, fmt.Errorf("%w: zk: %v", ErrMalformed, err)
	}
	return k, nil
}

func decodeSeed(s string, size int) ([]byte, error) {
	if len(s) != b64.EncodedLen(size) {
		return nil, fmt.Errorf("want %d bytes in padded base64", size)
	}
	b, err := b64.DecodeString(s)
	if err != nil || len(b) != size {
		return nil, fmt.Errorf("want %d bytes in padded base64", size)
	}
	return b, nil
}

// Open reads and decrypts the key file name (see [Decrypt]); it reads at
// most [MaxFileSize]+1 bytes.
func Open(name string, identities ...age.Identity) (*Keys, error) {
	plain, err := OpenSealed(name, maxPlaintext, identities...)
	if err != nil {
		return nil, err
	}
	defer clear(plain)
	k, err := parse(plain)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	return k, nil
}

// Create encrypts k to the recipients and writes it to a new file name
// with mode 0600, failing if name exists (os.ErrExist): keys are never
// overwritten. The file and its directory are synced before Create
// returns.
func Create(name string, k *Keys, recipients ...age.Recipient) error {
	b, err := k.Encrypt(recipients...)
	if err != nil {
		return err
	}
	// b is already sealed: write it as CreateSealed does.
	return createFile(name, b)
}

// Passphrase returns the scrypt recipient and identity of passphrase: the
// recipient encrypts with work factor 2^[ScryptWorkFactor], the identity
// refuses files that ask for more. An empty passphrase is [ErrNoKey].
func Passphrase(passphrase string) (age.Recipient, age.Identity, error) {
	if passphrase == "" {
		return nil, nil, fmt.Errorf("%w: empty passphrase", ErrNoKey)
	}
	r, err := age.NewScryptRecipient(passphrase)
	if err != nil {
		return nil, nil, fmt.Errorf("%w: %v", ErrNoKey, err)
	}
	r.SetWorkFactor(ScryptWorkFactor)
	id, err := age.NewScryptIdentity(passphrase)
	if err != nil {
		return nil, nil, fmt.Errorf("%w: %v", ErrNoKey, err)
	}
	id.SetMaxWorkFactor(ScryptWorkFactor)
	return r, id, nil
}

// maxIdentityFile bounds an identity file (age-keygen writes about 200
// bytes for X25519, 2.2 KiB for a hybrid post-quantum identity).
const maxIdentityFile = 16 << 10

// ParseIdentity reads an age identity file, as age-keygen writes it
// (comment lines starting with '#', then the identity), holding exactly one
// X25519 ("AGE-SECRET-KEY-1…") or hybrid post-quantum
// ("AGE-SECRET-KEY-PQ-1…") identity, and returns its recipient and the
// identity. Errors wrap [ErrNoKey] or [ErrTooLarge]; they never contain
// key material.
func ParseIdentity(r io.Reader) (age.Recipient, age.Identity, error) {
	b, err := io.ReadAll(io.LimitReader(r, maxIdentityFile+1))
	if err != nil {
		return nil, nil, err
	}
	defer clear(b)
	if len(b) > maxIdentityFile {
		return nil, nil, fmt.Errorf("%w: identity file over %d bytes", ErrTooLarge, maxIdentityFile)
	}
	ids, err := age.ParseIdentities(bytes.NewReader(b))
	if err != nil {
		return nil, nil, fmt.Errorf("%w: identity file: %v", ErrNoKey, err)
	}
	if len(ids) != 1 {
		return nil, nil, fmt.Errorf("%w: identity file holds %d identities, want one", ErrNoKey, len(ids))
	}
	switch id := ids[0].(type) {
	case *age.X25519Identity:
		return id.Recipient(), id, nil
	case *age.HybridIdentity:
		return id.Recipient(), id, nil
	}
	return nil, nil, fmt.Errorf("%w: identity of type %T", ErrNoKey, ids[0])
}

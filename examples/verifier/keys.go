package main

import (
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/zkcred/zkcred/credential/agencykey"
	"github.com/zkcred/zkcred/did/strictjson"
	"github.com/zkcred/zkcred/examples/internal/keyflags"
)

// The verifier's OpenID4VP keys at rest.
//
// DATA/openid4vp-keys.age holds the Request Object signing key (Ed25519)
// and the response encryption key (P-256), encrypted with age by
// credential/agencykey (Seal/Unseal, the agency keys' machinery): to a
// passphrase (scrypt) read from the environment variable
// ZKCRED_KEY_PASSPHRASE or from -key-passphrase-file, or to an age
// identity file (-key-identity). A passphrase is never a flag value.
//
// Verifiers before this change wrote DATA/openid4vp-keys.json in
// plaintext. Such a directory is refused with a message naming
// "verifier migrate-keys", which encrypts it and deletes the plaintext.

const (
	oidKeysName       = "openid4vp-keys.age"
	legacyOIDKeysName = "openid4vp-keys.json"
	// oidKeysVersion names the plaintext of openid4vp-keys.age.
	oidKeysVersion = "zkcred-verifier-openid4vp-keys-v2"
	// legacyOIDKeysVersion names the plaintext openid4vp-keys.json of
	// older verifiers, read only by migrate-keys.
	legacyOIDKeysVersion = "zkcred-verifier-openid4vp-keys-v1"
	// maxOIDPlain bounds the decrypted document (about 130 bytes).
	maxOIDPlain   = 1 << 10
	envPassphrase = keyflags.EnvPassphrase
)

// scryptWorkFactor is the work factor of new passphrase-encrypted files
// (tests lower it).
var scryptWorkFactor = agencykey.ScryptWorkFactor

const keyHelp = keyflags.Help

// keyOptions say how openid4vp-keys.age is encrypted.
type keyOptions struct {
	passphrase, passphraseFile, identity string
}

func (k *keyOptions) register(fs *flag.FlagSet) {
	fs.StringVar(&k.passphraseFile, "key-passphrase-file", "", "`FILE` holding the passphrase of DATA/"+oidKeysName+" (default: the environment variable "+envPassphrase+")")
	fs.StringVar(&k.identity, "key-identity", "", "age identity `FILE` (age-keygen -o FILE) DATA/"+oidKeysName+" is encrypted to, instead of a passphrase")
}

// keyProtection is a recipient and identity, and where they came from
// (examples/internal/keyflags).
type keyProtection = keyflags.Protection

// protection returns the protection k names (-key-identity, else
// -key-passphrase-file, else the environment), or nil when none.
func (k *keyOptions) protection() (*keyProtection, error) {
	return keyflags.Options{Passphrase: k.passphrase, PassphraseFile: k.passphraseFile, Identity: k.identity}.Protection(scryptWorkFactor)
}

// passphraseProtection is the protection of passphrase pass.
func passphraseProtection(pass, source string) (*keyProtection, error) {
	return keyflags.Passphrase(pass, source, scryptWorkFactor)
}

// oidKeyFile is the plaintext of openid4vp-keys.age (and, with the v1
// version, of the legacy openid4vp-keys.json): the Ed25519 seed and the
// P-256 scalar, base64 (encoding/json's []byte).
type oidKeyFile struct {
	Version    string `json:"version"`
	Signing    []byte `json:"signing"`
	Encryption []byte `json:"encryption"`
}

// parseOIDKeyFile reads plain strictly as a file of version want.
func parseOIDKeyFile(plain []byte, want string) (ed25519.PrivateKey, *ecdsa.PrivateKey, error) {
	var kf oidKeyFile
	if err := strictjson.Unmarshal(plain, &kf); err != nil {
		return nil, nil, fmt.Errorf("not a %s file: %v", want, err)
	}
	defer clear(kf.Signing)
	defer clear(kf.Encryption)
	if kf.Version != want || len(kf.Signing) != ed25519.SeedSize {
		return nil, nil, fmt.Errorf("not a %s file", want)
	}
	enc, err := ecdsa.ParseRawPrivateKey(elliptic.P256(), kf.Encryption)
	if err != nil {
		return nil, nil, fmt.Errorf("encryption key: %w", err)
	}
	return ed25519.NewKeyFromSeed(kf.Signing), enc, nil
}

func marshalOIDKeys(sig ed25519.PrivateKey, enc *ecdsa.PrivateKey) ([]byte, error) {
	encRaw, err := enc.Bytes()
	if err != nil {
		return nil, err
	}
	defer clear(encRaw)
	return json.Marshal(oidKeyFile{Version: oidKeysVersion, Signing: sig.Seed(), Encryption: encRaw})
}

// openOIDKeys opens the OpenID4VP keys in dir, creating them on first
// use. Every way it can fail says what to do.
func openOIDKeys(dir string, kp *keyProtection) (ed25519.PrivateKey, *ecdsa.PrivateKey, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, nil, err
	}
	name := filepath.Join(dir, oidKeysName)
	legacy := filepath.Join(dir, legacyOIDKeysName)
	exists, err := keyflags.Locate(dir, name, legacy, kp, keyflags.Names{Keys: "the verifier's OpenID4VP keys", NewKeys: "the verifier's new OpenID4VP keys", Program: "verifier"})
	if err != nil {
		return nil, nil, err
	}
	if !exists {
		_, sig, err := ed25519.GenerateKey(rand.Reader)
		if err != nil {
			return nil, nil, err
		}
		enc, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		if err != nil {
			return nil, nil, err
		}
		plain, err := marshalOIDKeys(sig, enc)
		if err != nil {
			return nil, nil, err
		}
		err = agencykey.CreateSealed(name, plain, kp.Recipient)
		clear(plain)
		if err != nil {
			return nil, nil, err
		}
	}
	plain, err := agencykey.OpenSealed(name, maxOIDPlain, kp.Identity)
	switch {
	case errors.Is(err, agencykey.ErrWrongKey):
		return nil, nil, fmt.Errorf("%w\n%s does not open %s: give the passphrase or identity the keys were created with", err, kp.Source, name)
	case errors.Is(err, agencykey.ErrNotEncrypted):
		return nil, nil, fmt.Errorf("%w\n%s must be an age-encrypted key file; a plaintext one belongs in %s, from which verifier migrate-keys -data %s encrypts it", err, name, legacy, dir)
	case err != nil:
		return nil, nil, err
	}
	defer clear(plain)
	sig, enc, err := parseOIDKeyFile(plain, oidKeysVersion)
	if err != nil {
		return nil, nil, fmt.Errorf("%s: %w: %v", name, agencykey.ErrMalformed, err)
	}
	return sig, enc, nil
}

const migrateUsage = `usage: verifier migrate-keys -data DIR [-key-passphrase-file FILE | -key-identity FILE]

Encrypts DIR/` + legacyOIDKeysName + `, the verifier's OpenID4VP keys in plaintext as
older verifiers wrote them, into DIR/` + oidKeysName + ` with age, to the passphrase
in ` + envPassphrase + ` (or -key-passphrase-file FILE) or to the age identity
-key-identity FILE. It reads the new file back, checks it holds the same
keys, then deletes the plaintext file. Copies of it elsewhere (backups)
still hold the keys: destroy them, or rotate the keys (a new signing key
changes the verifier's did:web document).

flags:
`

// runMigrateKeys is "verifier migrate-keys".
func runMigrateKeys(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("verifier migrate-keys", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprint(stderr, migrateUsage)
		fs.PrintDefaults()
	}
	ko := keyOptions{passphrase: getenv(envPassphrase)}
	var data string
	fs.StringVar(&data, "data", "", "the verifier's data directory (required)")
	ko.register(fs)
	if err := fs.Parse(args); err != nil {
		return err
	}
	if data == "" || fs.NArg() != 0 {
		fs.Usage()
		return errors.New("bad arguments: -data is required")
	}
	legacy := filepath.Join(data, legacyOIDKeysName)
	name := filepath.Join(data, oidKeysName)
	f, err := os.Open(legacy)
	if errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("%s does not exist: nothing to migrate", legacy)
	}
	if err != nil {
		return err
	}
	b, err := io.ReadAll(io.LimitReader(f, maxOIDPlain+1))
	f.Close()
	if err != nil {
		return err
	}
	defer clear(b)
	if len(b) > maxOIDPlain {
		return fmt.Errorf("%s: over %d bytes: not a %s file", legacy, maxOIDPlain, legacyOIDKeysVersion)
	}
	sig, enc, err := parseOIDKeyFile(b, legacyOIDKeysVersion)
	if err != nil {
		return fmt.Errorf("%s: %w", legacy, err)
	}
	kp, err := ko.protection()
	if err != nil {
		return err
	}
	if kp == nil {
		return fmt.Errorf("no passphrase to encrypt %s with: %s", legacy, keyHelp)
	}
	plain, err := marshalOIDKeys(sig, enc)
	if err != nil {
		return err
	}
	err = agencykey.CreateSealed(name, plain, kp.Recipient)
	clear(plain)
	if err != nil {
		if errors.Is(err, os.ErrExist) {
			return fmt.Errorf("%s already exists: not overwriting it (if it works, delete %s)", name, legacy)
		}
		return err
	}
	back, err := agencykey.OpenSealed(name, maxOIDPlain, kp.Identity)
	var bsig ed25519.PrivateKey
	var benc *ecdsa.PrivateKey
	if err == nil {
		bsig, benc, err = parseOIDKeyFile(back, oidKeysVersion)
		clear(back)
	}
	if err != nil || !bsig.Equal(sig) || !benc.Equal(enc) {
		os.Remove(name)
		return fmt.Errorf("internal error: %s did not read back (%v); %s is kept", name, err, legacy)
	}
	if err := os.Remove(legacy); err != nil {
		return fmt.Errorf("%s written, but %s could not be deleted: delete it by hand: %w", name, legacy, err)
	}
	if d, err := os.Open(data); err == nil {
		d.Sync()
		d.Close()
	}
	fmt.Fprintf(stdout, "encrypted the verifier's OpenID4VP keys into %s (%s) and deleted %s\nbackups of %s still hold the keys in plaintext: destroy them\n", name, kp.Source, legacy, legacyOIDKeysName)
	return nil
}

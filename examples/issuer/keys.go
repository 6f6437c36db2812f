package main

import (
	"bytes"
	"crypto/ed25519"
	"crypto/rand"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/zkcred/zkcred/credential"
	"github.com/zkcred/zkcred/credential/agencykey"
	"github.com/zkcred/zkcred/examples/internal/keyflags"
)

// The agency's keys at rest.
//
// DATA/keys.age holds the JOSE and ZK keys, encrypted with age
// (credential/agencykey): to a passphrase (scrypt) read from the
// environment variable ZKCRED_KEY_PASSPHRASE or from -key-passphrase-file,
// or to an age identity file (-key-identity, made by age-keygen). A
// passphrase is never a flag value: command lines are visible to every
// user of the machine (ps, /proc) and land in shell histories.
//
// Issuers before this change wrote DATA/keys.json, the keys in plaintext.
// Such a directory is refused with a message naming "issuer migrate-keys",
// which encrypts keys.json into keys.age and then deletes it.

const (
	keysFile       = "keys.age"
	legacyKeysFile = "keys.json"
	// envPassphrase is the environment variable holding the passphrase.
	envPassphrase = keyflags.EnvPassphrase
	// keysVersion is the format of the plaintext keys.json of older
	// issuers, read only by migrate-keys.
	keysVersion = "zkcred-issuer-keys-v1"
)

// scryptWorkFactor is the work factor new passphrase-encrypted key files
// get (tests lower it).
var scryptWorkFactor = agencykey.ScryptWorkFactor

// keyHelp is what the messages about a missing passphrase suggest.
const keyHelp = keyflags.Help

// keyProtection is how keys.age is encrypted (examples/internal/keyflags).
type keyProtection = keyflags.Protection

// protection returns the key protection o names: -key-identity, else
// -key-passphrase-file, else the passphrase from the environment. It
// returns nil (no error) when none is given.
func (o *options) protection() (*keyProtection, error) {
	return keyflags.Options{Passphrase: o.keyPassphrase, PassphraseFile: o.keyPassphraseFile, Identity: o.keyIdentity}.Protection(scryptWorkFactor)
}

// loadKeys opens the agency's keys in dir, creating them on first use.
// Every way it can fail says what to do.
func loadKeys(dir string, kp *keyProtection) (ed25519.PrivateKey, *credential.ZKPrivateKey, error) {
	name := filepath.Join(dir, keysFile)
	legacy := filepath.Join(dir, legacyKeysFile)
	exists, err := keyflags.Locate(dir, name, legacy, kp, keyflags.Names{Keys: "the agency's keys", NewKeys: "the agency's new keys", Program: "issuer"})
	if err != nil {
		return nil, nil, err
	}
	if !exists {
		k, err := agencykey.Generate(rand.Reader)
		if err != nil {
			return nil, nil, err
		}
		if err := agencykey.Create(name, k, kp.Recipient); err != nil {
			return nil, nil, err
		}
	}
	k, err := agencykey.Open(name, kp.Identity)
	switch {
	case errors.Is(err, agencykey.ErrWrongKey):
		return nil, nil, fmt.Errorf("%w\n%s does not open %s: give the passphrase or identity the keys were created with", err, kp.Source, name)
	case errors.Is(err, agencykey.ErrNotEncrypted):
		return nil, nil, fmt.Errorf("%w\n%s must be an age-encrypted key file; a plaintext one belongs in %s, from which issuer migrate-keys -data %s encrypts it", err, name, legacy, dir)
	case err != nil:
		return nil, nil, err
	case k.JOSE == nil:
		return nil, nil, fmt.Errorf("%s has no JOSE key: this issuer keeps both keys in the file", name)
	}
	return k.JOSE, k.ZK, nil
}

// readLegacyKeys reads the plaintext keys.json of an older issuer.
func readLegacyKeys(name string) (*agencykey.Keys, error) {
	f, err := os.Open(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, 4<<10+1))
	if err != nil {
		return nil, err
	}
	defer clear(b)
	var kf struct {
		Version string `json:"version"`
		JOSE    []byte `json:"jose"`
		ZK      []byte `json:"zk"`
	}
	if len(b) > 4<<10 || unmarshalStrict(b, &kf) != nil || kf.Version != keysVersion || len(kf.JOSE) != ed25519.SeedSize {
		return nil, fmt.Errorf("%s: not a %s file", name, keysVersion)
	}
	zk, err := credential.NewZKPrivateKey(kf.ZK)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	return &agencykey.Keys{JOSE: ed25519.NewKeyFromSeed(kf.JOSE), ZK: zk}, nil
}

const migrateUsage = `usage: issuer migrate-keys -data DIR [-key-passphrase-file FILE | -key-identity FILE]

Encrypts DIR/keys.json, the agency's keys in plaintext as older issuers
wrote them, into DIR/keys.age with age, to the passphrase in ` + envPassphrase + `
(or -key-passphrase-file FILE) or to the age identity -key-identity FILE.
It reads keys.age back, checks it holds the same keys, then deletes
keys.json. Copies of keys.json elsewhere (backups) still hold the keys
in plaintext: destroy them, or treat the keys as exposed and rotate them
(README, Security model).

flags:
`

// runMigrateKeys is "issuer migrate-keys".
func runMigrateKeys(args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := newFlagSet("issuer migrate-keys", migrateUsage, stderr)
	o := &options{keyPassphrase: getenv(envPassphrase)}
	fs.StringVar(&o.data, "data", "", "the issuer's data directory (required)")
	keyFlags(fs, o)
	if err := fs.Parse(args); err != nil {
		return err
	}
	if o.data == "" || fs.NArg() != 0 {
		fs.Usage()
		return errors.New("bad arguments: -data is required")
	}
	legacy := filepath.Join(o.data, legacyKeysFile)
	name := filepath.Join(o.data, keysFile)
	k, err := readLegacyKeys(legacy)
	if errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("%s does not exist: nothing to migrate", legacy)
	}
	if err != nil {
		return err
	}
	kp, err := o.protection()
	if err != nil {
		return err
	}
	if kp == nil {
		return fmt.Errorf("no passphrase to encrypt %s with: %s", legacy, keyHelp)
	}
	if err := agencykey.Create(name, k, kp.Recipient); err != nil {
		if errors.Is(err, os.ErrExist) {
			return fmt.Errorf("%s already exists: not overwriting it (if it works, delete %s)", name, legacy)
		}
		return err
	}
	back, err := agencykey.Open(name, kp.Identity)
	if err != nil || !bytes.Equal(back.JOSE, k.JOSE) || !back.ZK.Equal(k.ZK) {
		os.Remove(name)
		return fmt.Errorf("internal error: %s did not read back (%v); %s is kept", name, err, legacy)
	}
	if err := os.Remove(legacy); err != nil {
		return fmt.Errorf("%s written, but %s could not be deleted: delete it by hand: %w", name, legacy, err)
	}
	if d, err := os.Open(o.data); err == nil {
		d.Sync()
		d.Close()
	}
	fmt.Fprintf(stdout, "encrypted the agency's keys into %s (%s) and deleted %s\nbackups of %s still hold the keys in plaintext: destroy them\n", name, kp.Source, legacy, legacyKeysFile)
	return nil
}

func newFlagSet(name, usage string, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprint(stderr, usage)
		fs.PrintDefaults()
	}
	return fs
}

// keyFlags registers the flags that say how keys.age is encrypted. The
// passphrase itself is never a flag: see envPassphrase.
func keyFlags(fs *flag.FlagSet, o *options) {
	fs.StringVar(&o.keyPassphraseFile, "key-passphrase-file", "", "`FILE` holding the passphrase of DATA/keys.age (default: the environment variable "+envPassphrase+")")
	fs.StringVar(&o.keyIdentity, "key-identity", "", "age identity `FILE` (age-keygen -o FILE) DATA/keys.age is encrypted to, instead of a passphrase")
}

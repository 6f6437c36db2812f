// Package keyflags is how the example servers are told the secret that
// opens their age-encrypted key files (credential/agencykey): an age
// identity file, a passphrase file, or the passphrase in the environment
// variable ZKCRED_KEY_PASSPHRASE; never a flag value, which other users of
// the machine could read from the process list.
package keyflags

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"

	"filippo.io/age"

	"github.com/zkcred/zkcred/credential/agencykey"
)

// EnvPassphrase is the environment variable holding the passphrase.
const EnvPassphrase = "ZKCRED_KEY_PASSPHRASE"

// MaxPassphraseFile bounds a -key-passphrase-file.
const MaxPassphraseFile = 1 << 10

// Help is what messages about a missing passphrase suggest.
const Help = "set " + EnvPassphrase + ", or pass -key-passphrase-file FILE, or -key-identity FILE (an age identity: age-keygen -o FILE)"

// Protection is the recipient new key files are encrypted to and the
// identity that opens them, and where they came from (for messages:
// "the passphrase in ZKCRED_KEY_PASSPHRASE", "-key-identity FILE", ...).
type Protection struct {
	Recipient age.Recipient
	Identity  age.Identity
	Source    string
}

// Options are what the flags and the environment said.
type Options struct {
	Passphrase     string // from EnvPassphrase
	PassphraseFile string // -key-passphrase-file
	Identity       string // -key-identity
}

// Protection returns the protection o names: Identity, else
// PassphraseFile, else Passphrase; nil (and no error) when none is given.
// A passphrase's new files get scrypt work factor workFactor.
func (o Options) Protection(workFactor int) (*Protection, error) {
	switch {
	case o.Identity != "" && o.PassphraseFile != "":
		return nil, errors.New("-key-identity and -key-passphrase-file: give one")
	case o.Identity != "":
		f, err := os.Open(o.Identity)
		if err != nil {
			return nil, fmt.Errorf("-key-identity: %w", err)
		}
		defer f.Close()
		r, id, err := agencykey.ParseIdentity(f)
		if err != nil {
			return nil, fmt.Errorf("-key-identity %s: %w", o.Identity, err)
		}
		return &Protection{Recipient: r, Identity: id, Source: "-key-identity " + o.Identity}, nil
	case o.PassphraseFile != "":
		f, err := os.Open(o.PassphraseFile)
		if err != nil {
			return nil, fmt.Errorf("-key-passphrase-file: %w", err)
		}
		defer f.Close()
		b, err := io.ReadAll(io.LimitReader(f, MaxPassphraseFile+1))
		if err != nil {
			return nil, fmt.Errorf("-key-passphrase-file: %w", err)
		}
		if len(b) > MaxPassphraseFile {
			return nil, fmt.Errorf("-key-passphrase-file %s: over %d bytes: not a passphrase file", o.PassphraseFile, MaxPassphraseFile)
		}
		// One final line break is the file's, not the passphrase's.
		b = bytes.TrimSuffix(bytes.TrimSuffix(b, []byte("\n")), []byte("\r"))
		if len(b) == 0 {
			return nil, fmt.Errorf("-key-passphrase-file %s is empty", o.PassphraseFile)
		}
		return Passphrase(string(b), "the passphrase in -key-passphrase-file "+o.PassphraseFile, workFactor)
	case o.Passphrase != "":
		return Passphrase(o.Passphrase, "the passphrase in "+EnvPassphrase, workFactor)
	}
	return nil, nil
}

// Passphrase returns the protection of passphrase pass (named source in
// messages); new files get scrypt work factor workFactor.
func Passphrase(pass, source string, workFactor int) (*Protection, error) {
	_, id, err := agencykey.Passphrase(pass)
	if err != nil {
		return nil, err
	}
	r, err := age.NewScryptRecipient(pass)
	if err != nil {
		return nil, err
	}
	r.SetWorkFactor(workFactor)
	return &Protection{Recipient: r, Identity: id, Source: source}, nil
}

// Names says whose key file a message is about.
type Names struct {
	Keys    string // "the agency's keys"
	NewKeys string // "the agency's new keys"
	Program string // "issuer": the command, and who wrote the legacy file
}

// Locate checks an encrypted key file name, its plaintext predecessor
// legacy (in dir) and the protection kp before the file is opened or
// created, and reports whether name exists. Every refusal says what to do:
// a plaintext file names "<program> migrate-keys", a missing secret names
// the ways to give one.
func Locate(dir, name, legacy string, kp *Protection, n Names) (exists bool, err error) {
	_, err = os.Stat(name)
	exists = err == nil
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return false, err
	}
	if _, err := os.Lstat(legacy); err == nil {
		if exists {
			return false, fmt.Errorf("%s is an unencrypted copy of %s beside %s: check that the %s starts without it, then delete it and its backups", legacy, n.Keys, name, n.Program)
		}
		return false, fmt.Errorf("%s holds %s unencrypted (written by an older %s): encrypt them with\n\t%s migrate-keys -data %s\n(with the passphrase in %s, or -key-passphrase-file FILE, or -key-identity FILE), then start the %s again", legacy, n.Keys, n.Program, n.Program, dir, EnvPassphrase, n.Program)
	}
	if kp == nil {
		if exists {
			return false, fmt.Errorf("%s in %s are encrypted and no passphrase was given: %s", n.Keys, name, Help)
		}
		return false, fmt.Errorf("no passphrase to encrypt %s (%s) with: %s", n.NewKeys, name, Help)
	}
	return exists, nil
}

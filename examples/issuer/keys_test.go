package main

import (
	"bytes"
	"crypto/ed25519"
	"encoding/base64"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"filippo.io/age"

	"github.com/zkcred/zkcred/credential/agencykey"
)

// testPassphrase is the passphrase every test of this package (and the
// issuer binaries they start) encrypts keys.age with.
const testPassphrase = "test passphrase of the example agency"

func TestMain(m *testing.M) {
	// A passphrase for the in-process agencies and the built binaries,
	// and a cheap scrypt for the in-process ones (the binaries use the
	// real work factor).
	os.Setenv(envPassphrase, testPassphrase)
	scryptWorkFactor = 10
	os.Exit(m.Run())
}

func keyOptions(t *testing.T, args ...string) *options {
	t.Helper()
	o, err := parseFlags(append([]string{"-data", t.TempDir()}, args...), io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	return o
}

func mustLoad(t *testing.T, o *options) ed25519.PrivateKey {
	t.Helper()
	kp, err := o.protection()
	if err != nil {
		t.Fatal(err)
	}
	jose, _, err := loadKeys(o.data, kp)
	if err != nil {
		t.Fatal(err)
	}
	return jose
}

// TestKeysAtRest: keys.age is created encrypted (no key material in it),
// mode 0600, and opens again with the same passphrase to the same keys.
func TestKeysAtRest(t *testing.T) {
	o := keyOptions(t)
	jose := mustLoad(t, o)
	b, err := os.ReadFile(filepath.Join(o.data, keysFile))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(b, []byte("age-encryption.org/v1\n")) || bytes.Contains(b, []byte(base64.StdEncoding.EncodeToString(jose.Seed()))) {
		t.Fatalf("keys.age is not an age file, or shows the seed:\n%q", b)
	}
	if fi, _ := os.Stat(filepath.Join(o.data, keysFile)); fi.Mode().Perm() != 0o600 {
		t.Errorf("keys.age mode %v", fi.Mode())
	}
	if again := mustLoad(t, o); !jose.Equal(again) {
		t.Error("the keys changed across restarts")
	}
}

// TestKeysRefused: each mistake gets an error that says what to do.
func TestKeysRefused(t *testing.T) {
	o := keyOptions(t)
	mustLoad(t, o)
	name := filepath.Join(o.data, keysFile)
	good, _ := os.ReadFile(name)
	load := func(o *options) error {
		kp, err := o.protection()
		if err != nil {
			return err
		}
		_, _, err = loadKeys(o.data, kp)
		return err
	}
	expect := func(what string, err error, sentinel error, words ...string) {
		t.Helper()
		if err == nil {
			t.Errorf("%s: accepted", what)
			return
		}
		if sentinel != nil && !errors.Is(err, sentinel) {
			t.Errorf("%s: %v, want %v", what, err, sentinel)
		}
		for _, w := range words {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("%s: %q does not say %q", what, err, w)
			}
		}
	}

	// No passphrase: for existing keys, and for new ones.
	none := *o
	none.keyPassphrase = ""
	expect("no passphrase", load(&none), nil, "encrypted and no passphrase", envPassphrase, "-key-passphrase-file", "-key-identity")
	fresh := keyOptions(t)
	fresh.keyPassphrase = ""
	expect("no passphrase, new keys", load(fresh), nil, "no passphrase to encrypt", envPassphrase)
	if _, err := os.Stat(filepath.Join(fresh.data, keysFile)); !errors.Is(err, os.ErrNotExist) {
		t.Error("keys were created without a passphrase")
	}

	// A wrong passphrase, from the environment and from a file.
	wrong := *o
	wrong.keyPassphrase = "not the passphrase"
	expect("wrong passphrase", load(&wrong), agencykey.ErrWrongKey, "does not open", envPassphrase)
	pf := filepath.Join(t.TempDir(), "pass")
	os.WriteFile(pf, []byte("not the passphrase\n"), 0o600)
	wrong.keyPassphraseFile = pf
	expect("wrong passphrase file", load(&wrong), agencykey.ErrWrongKey, "-key-passphrase-file")
	// The right one in a file, with its line break.
	os.WriteFile(pf, []byte(testPassphrase+"\n"), 0o600)
	if err := load(&wrong); err != nil {
		t.Errorf("passphrase file: %v", err)
	}
	os.WriteFile(pf, []byte("\n"), 0o600)
	expect("empty passphrase file", load(&wrong), nil, "empty")
	os.WriteFile(pf, bytes.Repeat([]byte("x"), 2000), 0o600)
	expect("oversized passphrase file", load(&wrong), nil, "not a passphrase file")

	// A damaged keys.age: truncated, oversized, plaintext.
	for _, c := range []struct {
		what     string
		b        []byte
		sentinel error
		words    []string
	}{
		{"truncated", good[:len(good)-10], agencykey.ErrMalformed, nil},
		{"oversized", append(bytes.Clone(good), make([]byte, agencykey.MaxFileSize)...), agencykey.ErrTooLarge, nil},
		{"plaintext", []byte(`{"version":"zkcred-issuer-keys-v1","jose":"","zk":""}`), agencykey.ErrNotEncrypted, []string{"plaintext", "migrate-keys"}},
	} {
		os.Remove(name)
		os.WriteFile(name, c.b, 0o600)
		expect(c.what+" keys.age", load(o), c.sentinel, c.words...)
	}
	os.Remove(name)
	os.WriteFile(name, good, 0o600)

	// -key-identity and -key-passphrase-file together.
	both := *o
	both.keyIdentity, both.keyPassphraseFile = "x", "y"
	expect("both", load(&both), nil, "give one")
}

// TestMigrateKeys: a data directory of an older issuer (plaintext
// keys.json) is refused with the migration command; migrate-keys encrypts
// the same keys, deletes keys.json, and the issuer then starts with them.
func TestMigrateKeys(t *testing.T) {
	o := keyOptions(t)
	seed := bytes.Repeat([]byte{9}, 32)
	legacy := filepath.Join(o.data, legacyKeysFile)
	plain := `{"version":"zkcred-issuer-keys-v1","jose":"` + base64.StdEncoding.EncodeToString(seed) + `","zk":"` + base64.StdEncoding.EncodeToString(seed) + `"}`
	if err := os.WriteFile(legacy, []byte(plain), 0o600); err != nil {
		t.Fatal(err)
	}
	kp, _ := o.protection()
	if _, _, err := loadKeys(o.data, kp); err == nil || !strings.Contains(err.Error(), "issuer migrate-keys -data "+o.data) {
		t.Fatalf("plaintext keys.json: %v", err)
	}
	if _, err := os.Stat(filepath.Join(o.data, keysFile)); !errors.Is(err, os.ErrNotExist) {
		t.Fatal("keys.age created beside a plaintext keys.json")
	}
	// Without a passphrase, migrate-keys refuses and keeps keys.json.
	var out bytes.Buffer
	if err := runMigrateKeys([]string{"-data", o.data}, func(string) string { return "" }, &out, io.Discard); err == nil || !strings.Contains(err.Error(), envPassphrase) {
		t.Fatalf("migrate without passphrase: %v", err)
	}
	// To an age identity file.
	id, _ := age.GenerateX25519Identity()
	idFile := filepath.Join(t.TempDir(), "agency.key")
	os.WriteFile(idFile, []byte(id.String()+"\n"), 0o600)
	if err := runMigrateKeys([]string{"-data", o.data, "-key-identity", idFile}, func(string) string { return "" }, &out, io.Discard); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(legacy); !errors.Is(err, os.ErrNotExist) {
		t.Error("keys.json kept after the migration")
	}
	if !strings.Contains(out.String(), "destroy them") {
		t.Errorf("migrate output: %s", out.String())
	}
	withID := *o
	withID.keyPassphrase, withID.keyIdentity = "", idFile
	if jose := mustLoad(t, &withID); !jose.Equal(ed25519.NewKeyFromSeed(seed)) {
		t.Error("the migrated JOSE key differs")
	}
	// Again: nothing to migrate.
	if err := runMigrateKeys([]string{"-data", o.data, "-key-identity", idFile}, func(string) string { return "" }, &out, io.Discard); err == nil {
		t.Error("second migration accepted")
	}
	// A keys.json copy beside keys.age is refused too.
	os.WriteFile(legacy, []byte(plain), 0o600)
	if _, _, err := loadKeys(o.data, nil); err == nil || !strings.Contains(err.Error(), "unencrypted copy") {
		t.Errorf("keys.json beside keys.age: %v", err)
	}
}

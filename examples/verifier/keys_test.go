package main

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/json"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/zkcred/zkcred/credential/agencykey"
)

// testPassphrase encrypts the OpenID4VP keys of every in-process verifier
// of this package's tests.
const testPassphrase = "test passphrase of the example verifier"

func TestMain(m *testing.M) {
	// A passphrase for the in-process verifiers, and a cheap scrypt (a
	// built binary uses the real work factor).
	os.Setenv(envPassphrase, testPassphrase)
	scryptWorkFactor = 10
	os.Exit(m.Run())
}

func testProtection(t *testing.T, pass string) *keyProtection {
	t.Helper()
	kp, err := passphraseProtection(pass, "the test passphrase")
	if err != nil {
		t.Fatal(err)
	}
	return kp
}

// writeLegacy writes a plaintext v1 openid4vp-keys.json as older
// verifiers did, and returns its keys.
func writeLegacy(t *testing.T, dir string) (ed25519.PrivateKey, *ecdsa.PrivateKey) {
	t.Helper()
	_, sig, _ := ed25519.GenerateKey(rand.Reader)
	enc, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	raw, _ := enc.Bytes()
	b, err := json.Marshal(oidKeyFile{Version: legacyOIDKeysVersion, Signing: sig.Seed(), Encryption: raw})
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, legacyOIDKeysName), b, 0o600); err != nil {
		t.Fatal(err)
	}
	return sig, enc
}

// TestOIDKeysEncrypted: the keys are an age file of mode 0600 whose
// plaintext is the v2 document; no passphrase and a wrong one are refused
// with a message saying what to do.
func TestOIDKeysEncrypted(t *testing.T) {
	dir := t.TempDir()
	sig, enc, err := openOIDKeys(dir, testProtection(t, testPassphrase))
	if err != nil {
		t.Fatal(err)
	}
	name := filepath.Join(dir, oidKeysName)
	b, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(b, []byte("age-encryption.org/v1\n")) || bytes.Contains(b, []byte(oidKeysVersion)) {
		t.Errorf("%s is not an age file", name)
	}
	if fi, _ := os.Stat(name); fi.Mode().Perm() != 0o600 {
		t.Errorf("mode %v", fi.Mode())
	}
	if _, err := os.Stat(filepath.Join(dir, legacyOIDKeysName)); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("a plaintext file was written: %v", err)
	}
	_, _, err = openOIDKeys(dir, testProtection(t, "not the passphrase"))
	if !errors.Is(err, agencykey.ErrWrongKey) || !strings.Contains(err.Error(), "does not open") {
		t.Errorf("wrong passphrase: %v", err)
	}
	_, _, err = openOIDKeys(dir, nil)
	if err == nil || !strings.Contains(err.Error(), "no passphrase") || !strings.Contains(err.Error(), envPassphrase) {
		t.Errorf("no passphrase: %v", err)
	}
	fresh := t.TempDir()
	if _, _, err = openOIDKeys(fresh, nil); err == nil || !strings.Contains(err.Error(), "no passphrase to encrypt") {
		t.Errorf("no passphrase, new keys: %v", err)
	}
	if _, err := os.Stat(filepath.Join(fresh, oidKeysName)); !errors.Is(err, os.ErrNotExist) {
		t.Error("keys were created without a passphrase")
	}
	sig2, enc2, err := openOIDKeys(dir, testProtection(t, testPassphrase))
	if err != nil || !sig.Equal(sig2) || !enc.Equal(enc2) {
		t.Errorf("reopened: %v", err)
	}
	// A plaintext file where the age file belongs is not read.
	bad := t.TempDir()
	os.WriteFile(filepath.Join(bad, oidKeysName), []byte(`{"version":"`+oidKeysVersion+`"}`), 0o600)
	if _, _, err = openOIDKeys(bad, testProtection(t, testPassphrase)); !errors.Is(err, agencykey.ErrNotEncrypted) || !strings.Contains(err.Error(), "verifier migrate-keys") {
		t.Errorf("plaintext in %s: %v", oidKeysName, err)
	}
}

// TestOIDKeysLegacyRefused: a plaintext v1 file is refused, naming the
// migration command, and left as it is.
func TestOIDKeysLegacyRefused(t *testing.T) {
	dir := t.TempDir()
	writeLegacy(t, dir)
	_, _, err := openOIDKeys(dir, testProtection(t, testPassphrase))
	if err == nil || !strings.Contains(err.Error(), "verifier migrate-keys -data "+dir) || !strings.Contains(err.Error(), "unencrypted") {
		t.Fatalf("plaintext v1: %v", err)
	}
	if _, err := os.Stat(filepath.Join(dir, oidKeysName)); !errors.Is(err, os.ErrNotExist) {
		t.Error("new keys were created beside the plaintext ones")
	}
}

// TestMigrateKeys: migrate-keys encrypts the v1 file to the same keys,
// deletes it, and refuses to run again; the verifier then opens the keys.
func TestMigrateKeys(t *testing.T) {
	dir := t.TempDir()
	sig, enc := writeLegacy(t, dir)
	var out bytes.Buffer
	if err := runMigrateKeys([]string{"-data", dir}, &out, io.Discard); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "deleted") {
		t.Errorf("output: %s", out.String())
	}
	if _, err := os.Stat(filepath.Join(dir, legacyOIDKeysName)); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the plaintext file is still there: %v", err)
	}
	sig2, enc2, err := openOIDKeys(dir, testProtection(t, testPassphrase))
	if err != nil || !sig.Equal(sig2) || !enc.Equal(enc2) {
		t.Fatalf("after migration: %v", err)
	}
	if err := runMigrateKeys([]string{"-data", dir}, io.Discard, io.Discard); err == nil || !strings.Contains(err.Error(), "nothing to migrate") {
		t.Errorf("second run: %v", err)
	}
	// Through run, with a passphrase file; the existing file is kept.
	writeLegacy(t, dir)
	pf := filepath.Join(t.TempDir(), "pass")
	os.WriteFile(pf, []byte("other\n"), 0o600)
	err = run(t.Context(), []string{"migrate-keys", "-data", dir, "-key-passphrase-file", pf}, io.Discard, nil, nil)
	if err == nil || !strings.Contains(err.Error(), "already exists") {
		t.Errorf("over an existing file: %v", err)
	}
	if _, err := os.Stat(filepath.Join(dir, legacyOIDKeysName)); err != nil {
		t.Errorf("the plaintext file was deleted although not migrated: %v", err)
	}
}

package keyflags

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/zkcred/zkcred/credential/agencykey"
)

// TestOptions: which secret wins, and the passphrase file's bounds.
func TestOptions(t *testing.T) {
	dir := t.TempDir()
	write := func(name, s string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(s), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	const wf = 10 // cheap scrypt for tests
	if p, err := (Options{}).Protection(wf); p != nil || err != nil {
		t.Fatalf("nothing given: %v, %v; want nil, nil", p, err)
	}
	if _, err := (Options{Identity: "a", PassphraseFile: "b"}).Protection(wf); err == nil {
		t.Fatal("both an identity and a passphrase file: accepted")
	}
	for name, content := range map[string]string{
		"empty":          "",
		"only a newline": "\n",
		"too large":      strings.Repeat("x", MaxPassphraseFile+1),
	} {
		if _, err := (Options{PassphraseFile: write("bad", content)}).Protection(wf); err == nil {
			t.Errorf("passphrase file %s: accepted", name)
		}
	}
	// The file's final line break is not part of the passphrase: both
	// open what the environment's passphrase made.
	fromEnv, err := (Options{Passphrase: "correct horse"}).Protection(wf)
	if err != nil || !strings.Contains(fromEnv.Source, EnvPassphrase) {
		t.Fatalf("environment: %v, %+v", err, fromEnv)
	}
	fromFile, err := (Options{Passphrase: "ignored", PassphraseFile: write("pass", "correct horse\r\n")}).Protection(wf)
	if err != nil || !strings.Contains(fromFile.Source, "-key-passphrase-file") {
		t.Fatalf("file: %v, %+v", err, fromFile)
	}
	sealed, err := agencykey.Seal([]byte("keys"), fromEnv.Recipient)
	if err != nil {
		t.Fatal(err)
	}
	if plain, err := agencykey.Unseal(sealed, 16, fromFile.Identity); err != nil || string(plain) != "keys" {
		t.Fatalf("the file's passphrase does not open what the environment's sealed: %q, %v", plain, err)
	}
	other, err := (Options{Passphrase: "correct horse\n"}).Protection(wf)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := agencykey.Unseal(sealed, 16, other.Identity); err == nil {
		t.Fatal("a passphrase with a trailing newline in the environment opened it: only a file's line break is dropped")
	}
}

// TestLocate: a plaintext predecessor is refused with the migration
// command, a missing secret with the ways to give one.
func TestLocate(t *testing.T) {
	dir := t.TempDir()
	name, legacy := filepath.Join(dir, "keys.age"), filepath.Join(dir, "keys.json")
	n := Names{Keys: "the agency's keys", NewKeys: "the agency's new keys", Program: "issuer"}
	kp, err := Passphrase("correct horse", "test", 10)
	if err != nil {
		t.Fatal(err)
	}
	if exists, err := Locate(dir, name, legacy, kp, n); exists || err != nil {
		t.Fatalf("empty directory: %v, %v", exists, err)
	}
	if _, err := Locate(dir, name, legacy, nil, n); err == nil || !strings.Contains(err.Error(), "no passphrase to encrypt the agency's new keys") || !strings.Contains(err.Error(), EnvPassphrase) {
		t.Fatalf("no secret, no file: %v", err)
	}
	if err := os.WriteFile(legacy, []byte("{}"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := Locate(dir, name, legacy, kp, n); err == nil || !strings.Contains(err.Error(), "issuer migrate-keys -data "+dir) {
		t.Fatalf("plaintext predecessor: %v, want the migration command", err)
	}
	if err := os.WriteFile(name, []byte("age"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := Locate(dir, name, legacy, kp, n); err == nil || !strings.Contains(err.Error(), "unencrypted copy") {
		t.Fatalf("plaintext beside the encrypted file: %v", err)
	}
	os.Remove(legacy)
	if exists, err := Locate(dir, name, legacy, kp, n); !exists || err != nil {
		t.Fatalf("encrypted file: %v, %v", exists, err)
	}
	if _, err := Locate(dir, name, legacy, nil, n); err == nil || !strings.Contains(err.Error(), "are encrypted and no passphrase was given") {
		t.Fatalf("encrypted file, no secret: %v", err)
	}
}

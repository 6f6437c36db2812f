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

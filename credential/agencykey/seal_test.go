package agencykey_test

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"filippo.io/age"

	"github.com/zkcred/zkcred/credential/agencykey"
)

// ExampleCreateSealed keeps another service's secret document (here a
// verifier's) under the same age protection as the agency's keys.
func ExampleCreateSealed() {
	dir, _ := os.MkdirTemp("", "verifier")
	defer os.RemoveAll(dir)
	id, _ := age.GenerateX25519Identity()
	name := filepath.Join(dir, "service-keys.age")
	doc := []byte(`{"version":"example-service-keys-v1","seed":"..."}`)
	if err := agencykey.CreateSealed(name, doc, id.Recipient()); err != nil {
		panic(err)
	}
	plain, err := agencykey.OpenSealed(name, 1<<10, id)
	if err != nil {
		panic(err)
	}
	fmt.Println(string(plain) == string(doc))
	_, err = agencykey.OpenSealed(name, 16, id)
	fmt.Println("over the caller's bound:", errors.Is(err, agencykey.ErrMalformed))
	// Output:
	// true
	// over the caller's bound: true
}

// TestSealUnseal: Unseal returns what Seal sealed, within the caller's
// bound, and keeps the sentinels of Decrypt.
func TestSealUnseal(t *testing.T) {
	id, _ := age.GenerateX25519Identity()
	other, _ := age.GenerateX25519Identity()
	plain := bytes.Repeat([]byte("k"), 100)
	file, err := agencykey.Seal(plain, id.Recipient())
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name string
		file []byte
		max  int
		ids  []age.Identity
		want error
	}{
		{"other identity", file, 100, []age.Identity{other}, agencykey.ErrWrongKey},
		{"over the bound", file, 99, []age.Identity{id}, agencykey.ErrMalformed},
		{"negative bound", file, -1, []age.Identity{id}, agencykey.ErrMalformed},
		{"no identity", file, 100, nil, agencykey.ErrNoKey},
		{"plaintext", plain, 100, []age.Identity{id}, agencykey.ErrNotEncrypted},
		{"truncated", file[:len(file)-1], 100, []age.Identity{id}, agencykey.ErrMalformed},
		{"too large", make([]byte, agencykey.MaxFileSize+1), 100, []age.Identity{id}, agencykey.ErrTooLarge},
	} {
		if _, err := agencykey.Unseal(c.file, c.max, c.ids...); !errors.Is(err, c.want) {
			t.Errorf("%s: %v, want %v", c.name, err, c.want)
		}
	}
	got, err := agencykey.Unseal(file, 100, id)
	if err != nil || !bytes.Equal(got, plain) {
		t.Errorf("round trip: %q, %v", got, err)
	}
	if _, err := agencykey.Seal(plain); !errors.Is(err, agencykey.ErrNoKey) {
		t.Errorf("no recipient: %v", err)
	}
	name := filepath.Join(t.TempDir(), "k.age")
	if err := agencykey.CreateSealed(name, plain, id.Recipient()); err != nil {
		t.Fatal(err)
	}
	if err := agencykey.CreateSealed(name, plain, id.Recipient()); !errors.Is(err, os.ErrExist) {
		t.Errorf("overwrite: %v", err)
	}
}

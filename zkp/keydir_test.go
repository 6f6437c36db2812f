package zkp

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"testing"
)

// TestLoadKeysChecksDigests damages a saved key directory in the ways a
// crash, a full disk or bit rot would: LoadKeys must refuse each one
// before any gnark decoder reads it (UnsafeCachedSetup then regenerates).
func TestLoadKeysChecksDigests(t *testing.T) {
	keys := keysFor(t, Groth16)
	for name, damage := range map[string]func(dir string) error{
		"proving key truncated": func(dir string) error {
			return os.Truncate(filepath.Join(dir, "pk.bin"), 100)
		},
		"constraint system byte flipped": func(dir string) error {
			p := filepath.Join(dir, "ccs.bin")
			b, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			b[len(b)/2] ^= 1
			return os.WriteFile(p, b, 0o644)
		},
		"metadata edited": func(dir string) error {
			return os.WriteFile(filepath.Join(dir, "meta.json"), []byte(`{"format":1}`), 0o644)
		},
		"manifest missing (interrupted save)": func(dir string) error {
			return os.Remove(filepath.Join(dir, digestsName))
		},
		"manifest not JSON": func(dir string) error {
			return os.WriteFile(filepath.Join(dir, digestsName), []byte("{"), 0o644)
		},
	} {
		t.Run(name, func(t *testing.T) {
			dir := keyDirOf(t, keys)
			if err := damage(dir); err != nil {
				t.Fatal(err)
			}
			_, err := LoadKeys(dir, nil)
			if !errors.Is(err, ErrInvalidKey) && !errors.Is(err, fs.ErrNotExist) {
				t.Fatalf("damaged key directory: %v", err)
			}
			if err == nil {
				t.Fatal("damaged key directory loaded")
			}
		})
	}
	dir := keyDirOf(t, keys)
	if _, err := LoadKeys(dir, nil); err != nil {
		t.Fatalf("intact key directory: %v", err)
	}
}

package zkp

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/go-json-experiment/json"
)

// The red-team review found LoadKeys reading sha256.json, meta.json and
// vk.bin whole and hashing every named file to EOF before any bound
// applied: a huge (sparse) file cost its size in memory, and pk.bin
// linked to /dev/zero never returned. Every file is now read once, up to
// a bound known before reading, and must be a regular file.

// sparseFile creates name as a sparse file of n zero bytes.
func sparseFile(t *testing.T, name string, n int64) {
	t.Helper()
	f, err := os.Create(name)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := f.Truncate(n); err != nil {
		t.Fatal(err)
	}
}

// rewriteManifest sets the manifest's digests to the files now in dir
// (hashing each with io.Copy, as the attacker would), so that only the
// bounds stand between LoadKeys and the files.
func rewriteManifest(t *testing.T, dir string) {
	t.Helper()
	m := map[string]string{}
	for _, name := range keyFiles {
		f, err := os.Open(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		h := sha256.New()
		_, err = io.Copy(h, f)
		f.Close()
		if err != nil {
			t.Fatal(err)
		}
		m[name] = hex.EncodeToString(h.Sum(nil))
	}
	b, err := json.Marshal(m, json.Deterministic(true))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, digestsName), b, 0o644); err != nil {
		t.Fatal(err)
	}
}

// loadPromptly runs LoadKeys(dir), allowing it to allocate ceiling bytes,
// and fails if it has not returned within 20 s.
func loadPromptly(t *testing.T, dir string, ceiling uint64) (*Keys, error) {
	t.Helper()
	type result struct {
		k   *Keys
		err error
	}
	done := make(chan result, 1)
	before := heapAllocs()
	go func() { k, err := LoadKeys(dir, nil); done <- result{k, err} }()
	select {
	case r := <-done:
		if d := heapAllocs() - before; d > ceiling {
			t.Fatalf("LoadKeys allocated %d bytes, ceiling %d", d, ceiling)
		}
		return r.k, r.err
	case <-time.After(20 * time.Second):
		t.Fatal("LoadKeys has not returned after 20 s")
		return nil, nil
	}
}

// honestLoadAllocs is what loading an intact saved Groth16 key directory
// of testShape allocates: mostly recompiling the circuit (~80 MB).
func honestLoadAllocs(t *testing.T) uint64 {
	t.Helper()
	dir := keyDirOf(t, keysFor(t, Groth16))
	before := heapAllocs()
	if _, err := LoadKeys(dir, nil); err != nil {
		t.Fatal(err)
	}
	return heapAllocs() - before
}

// TestLoadKeysUntrustedFiles gives LoadKeys key directories whose files
// are too large, endless or not regular files: each must be refused with
// ErrInvalidKey, promptly, allocating at most decodeCeiling (64 MiB) more
// than loading the intact directory does (those files are 256 MiB).
func TestLoadKeysUntrustedFiles(t *testing.T) {
	const huge = 256 << 20 // sparse: costs no disk
	var honest uint64
	if !testing.Short() {
		honest = honestLoadAllocs(t)
		t.Logf("loading the intact directory allocates %d bytes", honest)
	}
	for _, c := range []struct {
		name  string
		valid bool // start from a saved (valid) key directory
		setup func(t *testing.T, dir string)
	}{
		// Too large.
		{"huge sparse manifest", false, func(t *testing.T, dir string) {
			sparseFile(t, filepath.Join(dir, digestsName), huge)
		}},
		{"huge sparse meta.json with its digest", false, func(t *testing.T, dir string) {
			for _, name := range keyFiles {
				if err := os.WriteFile(filepath.Join(dir, name), []byte("x"), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			sparseFile(t, filepath.Join(dir, "meta.json"), huge)
			rewriteManifest(t, dir)
		}},
		{"vk.bin one byte longer, with its digest", true, func(t *testing.T, dir string) {
			appendByte(t, filepath.Join(dir, "vk.bin"))
			rewriteManifest(t, dir)
		}},
		{"huge sparse vk.bin with its digest", true, func(t *testing.T, dir string) {
			sparseFile(t, filepath.Join(dir, "vk.bin"), huge)
			rewriteManifest(t, dir)
		}},
		{"ccs.bin one byte longer, with its digest", true, func(t *testing.T, dir string) {
			appendByte(t, filepath.Join(dir, "ccs.bin"))
			rewriteManifest(t, dir)
		}},
		{"huge sparse pk.bin with its digest", true, func(t *testing.T, dir string) {
			sparseFile(t, filepath.Join(dir, "pk.bin"), huge)
			rewriteManifest(t, dir)
		}},

		// Endless or not a regular file (the manifest is the saved one:
		// nothing may be read from these to hash it).
		{"pk.bin -> /dev/zero", true, func(t *testing.T, dir string) {
			replaceWithSymlink(t, "/dev/zero", filepath.Join(dir, "pk.bin"))
		}},
		{"sha256.json -> /dev/zero", true, func(t *testing.T, dir string) {
			replaceWithSymlink(t, "/dev/zero", filepath.Join(dir, digestsName))
		}},
		{"meta.json -> /dev/urandom", true, func(t *testing.T, dir string) {
			replaceWithSymlink(t, "/dev/urandom", filepath.Join(dir, "meta.json"))
		}},
		{"pk.bin a FIFO with no writer", true, func(t *testing.T, dir string) {
			name := filepath.Join(dir, "pk.bin")
			if err := os.Remove(name); err != nil {
				t.Fatal(err)
			}
			if out, err := exec.Command("mkfifo", name).CombinedOutput(); err != nil {
				t.Skipf("mkfifo: %v %s", err, out)
			}
		}},
		{"vk.bin a directory", true, func(t *testing.T, dir string) {
			name := filepath.Join(dir, "vk.bin")
			if err := os.Remove(name); err != nil {
				t.Fatal(err)
			}
			if err := os.Mkdir(name, 0o755); err != nil {
				t.Fatal(err)
			}
		}},
	} {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			if c.valid {
				if testing.Short() {
					t.Skip("needs a Groth16 setup; skipped under -short")
				}
				dir = keyDirOf(t, keysFor(t, Groth16))
			}
			c.setup(t, dir)
			k, err := loadPromptly(t, dir, honest+decodeCeiling)
			if k != nil || !errors.Is(err, ErrInvalidKey) {
				t.Fatalf("got keys %v, error %v; want an error wrapping ErrInvalidKey", k != nil, err)
			}
		})
	}
}

// TestLoadKeysFollowsSymlinks pins the documented choice: a symbolic link
// to a regular file is followed (a cache may link to shared files).
func TestLoadKeysFollowsSymlinks(t *testing.T) {
	if testing.Short() {
		t.Skip("needs a Groth16 setup; skipped under -short")
	}
	keys := keysFor(t, Groth16)
	dir := keyDirOf(t, keys)
	elsewhere := filepath.Join(t.TempDir(), "pk.bin")
	if err := os.Rename(filepath.Join(dir, "pk.bin"), elsewhere); err != nil {
		t.Fatal(err)
	}
	replaceWithSymlink(t, elsewhere, filepath.Join(dir, "pk.bin"))
	k, err := loadPromptly(t, dir, honestLoadAllocs(t)+decodeCeiling)
	if err != nil {
		t.Fatalf("pk.bin a symbolic link to the saved file: %v", err)
	}
	if k.VerifyingKey.Fingerprint() != keys.VerifyingKey.Fingerprint() {
		t.Fatal("loaded another key")
	}
}

func appendByte(t *testing.T, name string) {
	t.Helper()
	f, err := os.OpenFile(name, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := f.Write([]byte{0}); err != nil {
		t.Fatal(err)
	}
}

// replaceWithSymlink replaces name with a symbolic link to target,
// skipping the test where links cannot be made or target is absent.
func replaceWithSymlink(t *testing.T, target, name string) {
	t.Helper()
	if _, err := os.Stat(target); err != nil {
		t.Skip(err)
	}
	if err := os.Remove(name); err != nil && !errors.Is(err, os.ErrNotExist) {
		t.Fatal(err)
	}
	if err := os.Symlink(target, name); err != nil {
		t.Skip(err)
	}
}

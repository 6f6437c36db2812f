package main

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/zkcred/zkcred/zkp"
)

// The key cache.
//
// Keys live in zkp.KeyDir(root, shape, backend), written by zkp's
// Keys.Save, plus a manifest (manifestName) written last: the SHA-256 of
// every file and the verifying key's fingerprint. A directory whose
// manifest is missing or does not match its files (an interrupted write,
// a disk error, a hand edit) is discarded and the keys regenerated, and
// the loaded keys must have the fingerprint the manifest names. gnark's
// proving-key decoder trusts the sizes inside the file, so the digests
// are checked before anything is decoded. New keys are written to a
// temporary directory and renamed into place, so two demos started at
// once never mix their files.

const manifestName = "zkcred-demo-manifest.json"

type manifest struct {
	Fingerprint string            `json:"fingerprint"`
	Files       map[string]string `json:"files"` // name → hex SHA-256
}

// keySource says where the keys came from, for the demo's output.
type keySource struct {
	Keys     *zkp.Keys
	Dir      string // cache directory; "" when not cached
	Cached   bool   // loaded from Dir
	Discard  string // why a cache entry was discarded, if one was
	Took     time.Duration
	SaveFail error // the keys could not be cached (the demo goes on)
}

// loadOrSetup returns keys for (shape, backend): from the cache under
// root when it holds a verified entry, else from zkp.UnsafeSetup (cached
// under root unless root is ""). progress is called with the elapsed time
// while the setup runs.
func loadOrSetup(root string, shape zkp.Shape, backend zkp.Backend, progress func(time.Duration)) (*keySource, error) {
	start := time.Now()
	src := &keySource{}
	if root != "" {
		src.Dir = zkp.KeyDir(root, shape, backend)
		k, err := loadCached(src.Dir)
		switch {
		case err == nil:
			src.Keys, src.Cached, src.Took = k, true, time.Since(start)
			return src, nil
		case !errors.Is(err, os.ErrNotExist):
			src.Discard = err.Error()
		}
	}
	k, err := setupWithProgress(shape, backend, progress)
	if err != nil {
		return nil, err
	}
	src.Keys = k
	if root != "" {
		src.SaveFail = saveCached(src.Dir, k)
	}
	src.Took = time.Since(start)
	return src, nil
}

// setupWithProgress runs zkp.UnsafeSetup, calling progress every tick.
func setupWithProgress(shape zkp.Shape, backend zkp.Backend, progress func(time.Duration)) (*zkp.Keys, error) {
	start := time.Now()
	done := make(chan struct{})
	var wg sync.WaitGroup
	if progress != nil {
		wg.Add(1)
		go func() {
			defer wg.Done()
			t := time.NewTicker(250 * time.Millisecond)
			defer t.Stop()
			for {
				select {
				case <-done:
					return
				case <-t.C:
					progress(time.Since(start))
				}
			}
		}()
	}
	k, err := zkp.UnsafeSetup(shape, backend)
	close(done)
	wg.Wait()
	return k, err
}

// loadCached loads the keys in dir after checking them against the
// manifest. It returns an error wrapping os.ErrNotExist when there is no
// cache entry, and another error when there is one that cannot be used.
func loadCached(dir string) (k *zkp.Keys, err error) {
	b, err := os.ReadFile(filepath.Join(dir, manifestName))
	if errors.Is(err, os.ErrNotExist) {
		if _, serr := os.Stat(dir); serr == nil {
			return nil, errors.New("cache entry has no manifest (interrupted write?)")
		}
		return nil, err
	}
	if err != nil {
		return nil, err
	}
	var m manifest
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, fmt.Errorf("manifest: %v", err)
	}
	fp, err := hex.DecodeString(m.Fingerprint)
	if err != nil || len(fp) != len(zkp.Fingerprint{}) || len(m.Files) == 0 {
		return nil, errors.New("manifest: bad fingerprint or no files")
	}
	for name, want := range m.Files {
		if filepath.Base(name) != name {
			return nil, fmt.Errorf("manifest: bad file name %q", name)
		}
		got, err := fileDigest(filepath.Join(dir, name))
		if err != nil {
			return nil, err
		}
		if got != want {
			return nil, fmt.Errorf("%s does not match its digest", name)
		}
	}
	var want zkp.Fingerprint
	copy(want[:], fp)
	// The files are the ones we wrote; a panic here would be a bug in a
	// decoder, still not a reason to stop the demo.
	defer func() {
		if r := recover(); r != nil {
			k, err = nil, fmt.Errorf("decoding keys panicked: %v", r)
		}
	}()
	return zkp.LoadKeys(dir, &want)
}

// saveCached writes k to a fresh directory next to dir, adds the
// manifest, and renames it to dir (replacing an unusable entry).
func saveCached(dir string, k *zkp.Keys) error {
	if err := os.MkdirAll(filepath.Dir(dir), 0o755); err != nil {
		return err
	}
	tmp, err := os.MkdirTemp(filepath.Dir(dir), filepath.Base(dir)+".tmp-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp) // no-op after a successful rename
	if err := k.Save(tmp); err != nil {
		return err
	}
	entries, err := os.ReadDir(tmp)
	if err != nil {
		return err
	}
	m := manifest{Fingerprint: k.VerifyingKey.Fingerprint().String(), Files: map[string]string{}}
	for _, e := range entries {
		if !e.Type().IsRegular() {
			continue
		}
		if m.Files[e.Name()], err = fileDigest(filepath.Join(tmp, e.Name())); err != nil {
			return err
		}
	}
	b, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(tmp, manifestName), b, 0o644); err != nil {
		return err
	}
	if err := os.RemoveAll(dir); err != nil {
		return err
	}
	if err := os.Rename(tmp, dir); err != nil {
		if _, serr := os.Stat(filepath.Join(dir, manifestName)); serr == nil {
			return nil // another demo cached its keys first; ours stay in memory
		}
		return err
	}
	return nil
}

func fileDigest(name string) (string, error) {
	f, err := os.Open(name)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

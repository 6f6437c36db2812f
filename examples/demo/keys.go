package main

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/zkcred/zkcred/zkp"
)

// The key cache.
//
// Keys live in zkp.KeyDir(root, shape, backend), written by zkp's
// Keys.Save with its SHA-256 manifest (keyManifest, zkp/FORMAT.md), which
// zkp.LoadKeys checks before decoding anything. A directory that fails to
// load (an interrupted write, a disk error, a hand edit) is discarded and
// the keys regenerated. New keys are written to a temporary directory and
// renamed into place, so two demos started at once never mix their files.

// keyManifest is the key directory's digest file (zkp/FORMAT.md).
const keyManifest = "sha256.json"

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

// loadCached loads the keys in dir with zkp.LoadKeys, which checks every
// file against the directory's SHA-256 manifest before decoding it. It
// returns an error wrapping os.ErrNotExist when there is no cache entry,
// and another error when there is one that cannot be used.
func loadCached(dir string) (k *zkp.Keys, err error) {
	if _, err := os.Stat(dir); err != nil {
		return nil, err
	}
	// The files passed their digests, so they are the ones we wrote; a
	// panic here would be a bug in a decoder, still not a reason to stop
	// the demo.
	defer func() {
		if r := recover(); r != nil {
			k, err = nil, fmt.Errorf("decoding keys panicked: %v", r)
		}
	}()
	k, err = zkp.LoadKeys(dir, nil)
	if errors.Is(err, os.ErrNotExist) {
		// The directory exists but lacks a file: an interrupted write.
		return nil, fmt.Errorf("incomplete cache entry: %v", err)
	}
	return k, err
}

// saveCached writes k to a fresh directory next to dir and renames it to
// dir (replacing an unusable entry).
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
	if err := os.RemoveAll(dir); err != nil {
		return err
	}
	if err := os.Rename(tmp, dir); err != nil {
		if _, serr := os.Stat(filepath.Join(dir, keyManifest)); serr == nil {
			return nil // another demo cached its keys first; ours stay in memory
		}
		return err
	}
	return nil
}

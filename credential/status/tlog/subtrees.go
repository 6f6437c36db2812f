package tlog

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"

	"github.com/zkcred/zkcred/credential/status"
)

// SubtreesDir is the directory, beside "checkpoint" and "tile/", where an
// issuer publishes the subtree-root chunks of its revocation tree
// (status.Tree.SubtreeChunk, format version 1) for holders'
// status.HolderView: chunk j of the tree holding n revoked ids (a
// checkpoint of size n) is the static file
//
//	subtrees/<n>/<j>
//
// with n and j in decimal without leading zeros. A chunk is a function of
// the tree's state, so each file is immutable. [WriteSubtrees] writes every
// chunk of a state and removes the directories of states older than the
// previous one (a holder that fetched the previous checkpoint still finds
// its chunks while the next one is published).
const SubtreesDir = "subtrees"

// SubtreePath returns the path of chunk j for a log of size n, relative to
// the log's base URL or directory.
func SubtreePath(n int64, j uint64) string {
	return SubtreesDir + "/" + strconv.FormatInt(n, 10) + "/" + strconv.FormatUint(j, 10)
}

// WriteSubtrees publishes every subtree-root chunk of t at level in dir
// (a log directory a [Writer] writes): each chunk is written to a
// temporary file, synced and renamed into subtrees/<t.Len()>/<j>; then
// the directories of sizes older than the previous published one are
// removed. Call it before publishing the checkpoint of that size. Errors
// wrap [ErrWriter] or status.ErrInvalidSubtrees.
func WriteSubtrees(dir string, t *status.Tree, level int) error {
	n := int64(t.Len())
	chunks := status.SubtreeChunkCount(uint64(n), level)
	sizeDir := filepath.Join(dir, SubtreesDir, strconv.FormatInt(n, 10))
	if err := os.MkdirAll(sizeDir, 0o755); err != nil {
		return fmt.Errorf("%w: %v", ErrWriter, err)
	}
	for j := range chunks {
		b, err := t.SubtreeChunk(level, j)
		if err != nil {
			return err
		}
		if err := writeSynced(filepath.Join(sizeDir, strconv.FormatUint(j, 10)), b); err != nil {
			return err
		}
	}
	if err := syncDir(sizeDir); err != nil {
		return err
	}
	// Keep this size and the largest older one.
	entries, err := os.ReadDir(filepath.Join(dir, SubtreesDir))
	if err != nil {
		return fmt.Errorf("%w: %v", ErrWriter, err)
	}
	var prev int64 = -1
	var old []int64
	for _, e := range entries {
		m, err := strconv.ParseInt(e.Name(), 10, 64)
		if err != nil || m >= n || strconv.FormatInt(m, 10) != e.Name() {
			continue
		}
		old = append(old, m)
		prev = max(prev, m)
	}
	for _, m := range old {
		if m != prev {
			if err := os.RemoveAll(filepath.Join(dir, SubtreesDir, strconv.FormatInt(m, 10))); err != nil {
				return fmt.Errorf("%w: %v", ErrWriter, err)
			}
		}
	}
	return nil
}

func writeSynced(path string, b []byte) error {
	tmp := path + ".tmp"
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o644)
	if err != nil {
		return fmt.Errorf("%w: %v", ErrWriter, err)
	}
	_, err = f.Write(b)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err != nil {
		os.Remove(tmp)
		return fmt.Errorf("%w: %v", ErrWriter, err)
	}
	return nil
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("%w: %v", ErrWriter, err)
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return fmt.Errorf("%w: %v", ErrWriter, err)
	}
	return nil
}

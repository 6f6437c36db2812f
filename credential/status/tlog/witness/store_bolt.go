//go:build !js && !wasip1

package witness

import (
	"bytes"
	"errors"
	"fmt"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/zkcred/zkcred/credential/status/tlog"
)

// BoltStore is a [Store] in a bbolt file: bucket "checkpoints" maps an
// origin to the last checkpoint note cosigned for it; bucket "meta" holds
// "version" = 0x01. Every Swap is one bbolt transaction, synced to disk
// before it returns.
type BoltStore struct {
	db *bolt.DB
}

var (
	bucketCheckpoints = []byte("checkpoints")
	bucketMeta        = []byte("meta")
)

// OpenStore opens or creates the witness state at path (mode 0600),
// waiting at most a second for another process's lock. Errors wrap
// [ErrStore].
func OpenStore(path string) (*BoltStore, error) {
	db, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: time.Second})
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrStore, err)
	}
	err = db.Update(func(tx *bolt.Tx) error {
		m, err := tx.CreateBucketIfNotExists(bucketMeta)
		if err != nil {
			return err
		}
		switch v := m.Get([]byte("version")); {
		case v == nil:
			if err := m.Put([]byte("version"), []byte{1}); err != nil {
				return err
			}
		case !bytes.Equal(v, []byte{1}):
			return fmt.Errorf("store version %x, want 01", v)
		}
		_, err = tx.CreateBucketIfNotExists(bucketCheckpoints)
		return err
	})
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("%w: %w", ErrStore, err)
	}
	return &BoltStore{db: db}, nil
}

// Load returns the last checkpoint note stored for origin, or nil.
func (s *BoltStore) Load(origin string) ([]byte, error) {
	var out []byte
	err := s.db.View(func(tx *bolt.Tx) error {
		if v := tx.Bucket(bucketCheckpoints).Get([]byte(origin)); v != nil {
			if len(v) > tlog.MaxCheckpointSize {
				return fmt.Errorf("stored checkpoint of %d bytes", len(v))
			}
			out = bytes.Clone(v)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrStore, err)
	}
	return out, nil
}

// Swap stores next for origin if the stored note is still old (nil:
// none), durably; otherwise it returns an error wrapping [ErrConflict].
func (s *BoltStore) Swap(origin string, old, next []byte) error {
	errChanged := errors.New("changed")
	err := s.db.Update(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketCheckpoints)
		cur := b.Get([]byte(origin))
		if (cur == nil) != (old == nil) || !bytes.Equal(cur, old) {
			return errChanged
		}
		return b.Put([]byte(origin), next)
	})
	if errors.Is(err, errChanged) {
		return fmt.Errorf("%w: the stored checkpoint of %q changed", ErrConflict, origin)
	}
	if err != nil {
		return fmt.Errorf("%w: %w", ErrStore, err)
	}
	return nil
}

// Close closes the file.
func (s *BoltStore) Close() error { return s.db.Close() }

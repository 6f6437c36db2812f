package issuer

import (
	"encoding/binary"
	"path/filepath"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"
)

// TestSweep: inserting with a sweep keeps expired entries from piling up.
func TestSweep(t *testing.T) {
	db, err := openStore(filepath.Join(t.TempDir(), "s.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	now := time.Unix(1_800_000_000, 0)
	var live int
	err = db.Update(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketNonces)
		for i := range 5000 {
			// 4000 expired entries, then 1000 live ones, each insertion sweeping.
			exp := now.Add(-time.Minute)
			if i >= 4000 {
				exp = now.Add(time.Minute)
			}
			k := hashOf(binary.BigEndian.AppendUint64(nil, uint64(i)))
			sweep(b, k, nonceExpired(now))
			if err := b.Put(k, be64(uint64(exp.Unix()))); err != nil {
				return err
			}
		}
		return b.ForEach(func(k, v []byte) error {
			if !nonceExpired(now)(v) {
				live++
			}
			return nil
		})
	})
	if err != nil {
		t.Fatal(err)
	}
	var total int
	db.View(func(tx *bolt.Tx) error { total = tx.Bucket(bucketNonces).Stats().KeyN; return nil })
	if live != 1000 || total > 1500 {
		t.Fatalf("%d live, %d entries after 4000 expired and 1000 live insertions", live, total)
	}
	t.Logf("%d entries left (1000 live)", total)
}

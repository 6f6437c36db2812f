package core

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"net/http"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/consensys/gnark-crypto/ecc/bn254/fr"

	"github.com/zkcred/zkcred/credential/status"
	"github.com/zkcred/zkcred/credential/status/tlog"
	"github.com/zkcred/zkcred/did/fetch"
)

// TestSyncAttackHugeLogFiles (red-team): a log host answering every
// entry bundle with a body just under the wallet's general response limit
// (4 MiB) made a sync, with 256 requests in flight, hold up to 1 GiB of
// bodies before refusing them (a browser tab dies first). The wallet
// reads each file of a revocation log with a limit of its largest honest
// size (maxLogResponse, 8 KiB): such a body is refused as too large
// without being read.
func TestSyncAttackHugeLogFiles(t *testing.T) {
	a := newTestAgency(t)
	ids := make([]uint64, 0, 600)
	for id := uint64(100); len(ids) < 600; id++ {
		ids = append(ids, id)
	}
	a.revoke(ids...)
	huge := strings.Repeat("x", 4<<20-1)
	w := a.wallet(t)
	// The agency's log host now answers entry bundles with huge bodies.
	a.srv.Config.Handler = wrapHandler(a.srv.Config.Handler, func(rw http.ResponseWriter, r *http.Request) bool {
		if !strings.Contains(r.URL.Path, "/log/tile/entries/") {
			return false
		}
		rw.Header().Set("Content-Type", "application/octet-stream")
		rw.Write([]byte(huge))
		return true
	})
	_, err := w.Sync(context.Background())
	if !errors.Is(err, fetch.ErrTooLarge) {
		t.Fatalf("an entry bundle of 4 MiB: %v, want fetch.ErrTooLarge", err)
	}
	if maxLogResponse != 8<<10 {
		t.Fatalf("maxLogResponse %d, want 8 KiB (the largest tile or checkpoint)", maxLogResponse)
	}
}

func wrapHandler(next http.Handler, f func(http.ResponseWriter, *http.Request) bool) http.Handler {
	return http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		if !f(rw, r) {
			next.ServeHTTP(rw, r)
		}
	})
}

// TestSyncAttackCorruptStoredRoots (red-team): subtree roots in the
// page's storage that do not match the stored ids (a damaged record) give
// no witness (the view checks them against the checkpoint's root) and are
// fetched again; but the wallet went on believing the page held the
// current roots, so the damaged ones were never replaced and every
// restart failed its first sync. After a mismatch the wallet fetches
// every chunk again in the same sync and hands the roots out again.
func TestSyncAttackCorruptStoredRoots(t *testing.T) {
	a := newTestAgency(t)
	var first []uint64
	for id := uint64(1); len(first) < 300; id++ {
		if id != 5 && id != 7 {
			first = append(first, id)
		}
	}
	a.revoke(first...)
	s, err := syncOne(t, a.wallet(t))
	if err != nil || len(s.Roots) != 32 {
		t.Fatalf("first sync: %d bytes of roots, %v", len(s.Roots), err)
	}
	bad := slices.Clone(s.Roots)
	bad[31] ^= 1
	w := a.wallet(t)
	if err := w.AddIssuerData(context.Background(), s.Data, s.IDs, s.Tiles, bad); err != nil {
		t.Fatal(err)
	}
	// The mismatch is retried with every chunk fetched again: the same
	// sync succeeds, hands out the right roots and keeps the stored ids.
	s2, err := syncOne(t, w)
	if err != nil {
		t.Fatalf("damaged stored roots: %v", err)
	}
	if !bytes.Equal(s2.Roots, s.Roots) || s2.IDs != nil {
		t.Fatalf("the sync after a mismatch handed out roots %x, want %x (the page keeps the damaged ones), and %d bytes of ids, want none", s2.Roots, s.Roots, len(s2.IDs))
	}
}

// TestSyncAttackCorruptStoredIDs (red-team): a damaged revoked id in the
// page's storage (a flipped byte, a duplicate) made every sync fail with
// status.ErrSubtreeMismatch (or ErrMalformedEntry) forever: the ids were
// never downloaded again and the credential could not be presented. A
// mismatch that survives fetching every subtree chunk again means the
// stored ids are damaged: the wallet discards them (keeping the
// checkpoint it trusts), downloads the log again (every entry checked
// against the latest checkpoint, that one proven to extend the trusted
// one) and hands the fresh state out; a split view is still detected,
// during the repair and after it.
func TestSyncAttackCorruptStoredIDs(t *testing.T) {
	for _, c := range []struct {
		name   string
		damage func(ids []byte)
		// rebuildAt: the checkpoint request with which the repair
		// starts (after the mismatch and its retry, or at once for ids
		// the view refuses).
		rebuildAt int32
	}{
		{"flipped", func(ids []byte) { ids[8*10] ^= 0x01 }, 3},       // id 13 becomes 2^56+13
		{"flippedlow", func(ids []byte) { ids[8*100+6] ^= 0x04 }, 3}, // id 103 becomes 1127
		{"duplicate", func(ids []byte) { copy(ids[8*10:8*11], ids[8*11:8*12]) }, 1},
	} {
		t.Run(c.name, func(t *testing.T) {
			a := newTestAgency(t)
			var first []uint64
			for id := uint64(1); len(first) < 300; id++ {
				if id != 5 && id != 7 {
					first = append(first, id)
				}
			}
			a.revoke(first...)
			s, err := syncOne(t, a.wallet(t))
			if err != nil {
				t.Fatal(err)
			}
			bad := slices.Clone(s.IDs)
			c.damage(bad)
			restore := func() *Wallet {
				w := a.wallet(t)
				if err := w.AddIssuerData(context.Background(), s.Data, bad, s.Tiles, s.Roots); err != nil {
					t.Fatal(err)
				}
				return w
			}

			a.revoke(1000) // the log grew since

			// The agency shows a fork (consistent in itself) of the
			// trusted checkpoint just when the repair starts: refused
			// as a split view, the trusted checkpoint kept.
			w := restore()
			honest := *a.dir.Load()
			a.open(filepath.Join(t.TempDir(), "fork"))
			a.revoke(append(slices.Clone(first[:299]), 1001, 1000)...)
			fork := *a.dir.Load()
			a.dir.Store(&honest)
			h := a.srv.Config.Handler
			var n atomic.Int32
			a.srv.Config.Handler = wrapHandler(h, func(_ http.ResponseWriter, r *http.Request) bool {
				if r.URL.Path == "/log/checkpoint" {
					if n.Add(1) == c.rebuildAt {
						a.dir.Store(&fork)
					}
				}
				return false
			})
			s1, err := syncOne(t, w)
			if !IsSplitView(err) || s1.IDs != nil || n.Load() < c.rebuildAt+1 {
				t.Fatalf("a fork during the repair: %d bytes of ids, %v, %d checkpoint requests, want a split view", len(s1.IDs), err, n.Load())
			}
			var d1 IssuerData
			if err := json.Unmarshal(s1.Data, &d1); err != nil || d1.SplitView == "" {
				t.Fatalf("after a fork during the repair: %v %+v", err, d1)
			}
			var d0 IssuerData
			if err := json.Unmarshal(s.Data, &d0); err != nil || d1.Checkpoint != d0.Checkpoint {
				t.Fatalf("a fork during the repair replaced the trusted checkpoint (%v)", err)
			}
			a.srv.Config.Handler = h
			a.dir.Store(&honest)

			w = restore()
			want := slices.Clone(s.IDs)
			want = binary.BigEndian.AppendUint64(want, 1000)
			var s2 Synced
			for i := range 2 {
				if s2, err = syncOne(t, w); err == nil {
					break
				}
				if i == 1 || errors.Is(err, status.ErrSubtreeMismatch) && strings.Contains(w.List(context.Background())[0].Status, "Valid") {
					t.Fatalf("sync %d: %v", i+1, err)
				}
			}
			if !bytes.Equal(s2.IDs, want) || len(s2.Roots) != 32 || s2.Tiles == nil {
				t.Fatalf("the repair handed out %d bytes of ids (right: %v), %d of roots, tiles %v", len(s2.IDs), bytes.Equal(s2.IDs, want), len(s2.Roots), s2.Tiles != nil)
			}
			var d IssuerData
			if err := json.Unmarshal(s2.Data, &d); err != nil {
				t.Fatal(err)
			}
			cp, err := tlog.ParseCheckpoint([]byte(d.Checkpoint))
			if err != nil || cp.Size != 301 {
				t.Fatalf("checkpoint after the repair: %v", err)
			}
			wit, ok := d.witness("urn:mine")
			if !ok {
				t.Fatalf("no witness after the repair: %+v", d)
			}
			var v fr.Element
			v.SetUint64(5)
			if err := wit.VerifyNonMembership(cp.Indexed.Root, testDepth, v); err != nil {
				t.Fatalf("the repaired witness does not verify against the checkpoint's root: %v", err)
			}
			if l := w.List(context.Background()); !strings.Contains(l[0].Status, "not revoked") {
				t.Fatalf("listed after the repair: %+v", l[0])
			}
			// The page's fresh state restores a wallet that syncs
			// incrementally again.
			w2 := a.wallet(t)
			if err := w2.AddIssuerData(context.Background(), s2.Data, s2.IDs, s2.Tiles, s2.Roots); err != nil {
				t.Fatal(err)
			}
			if _, err := syncOne(t, w2); err != nil {
				t.Fatalf("restored from the repaired state: %v", err)
			}

			// After the repair, a fork is still a split view.
			a.open(filepath.Join(t.TempDir(), "fork2"))
			a.revoke(append(slices.Clone(first), 1001, 1002)...)
			if _, err := syncOne(t, w); !IsSplitView(err) {
				t.Fatalf("a fork after the repair: %v, want a split view", err)
			}
			if l := w.List(context.Background()); l[0].Status != SplitViewMessage {
				t.Fatalf("listed after the fork: %+v", l[0])
			}
		})
	}
}

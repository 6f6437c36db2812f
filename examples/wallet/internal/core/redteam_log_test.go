package core

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/zkcred/zkcred/credential/status"
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
// restart failed its first sync. After a mismatch the next successful
// sync hands the roots out again.
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
	if _, err := w.Sync(context.Background()); !errors.Is(err, status.ErrSubtreeMismatch) {
		t.Fatalf("damaged stored roots: %v, want status.ErrSubtreeMismatch", err)
	}
	s2, err := syncOne(t, w)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(s2.Roots, s.Roots) {
		t.Fatalf("the sync after a mismatch handed out roots %x, want %x (the page keeps the damaged ones)", s2.Roots, s.Roots)
	}
}

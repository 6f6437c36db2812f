package core

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"

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

package tlog_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/zkcred/zkcred/credential/status"
	"github.com/zkcred/zkcred/credential/status/tlog"
	"github.com/zkcred/zkcred/did/fetch"
)

// limitSpy is a Getter over a fetch.Client that records, for every file,
// the limit the tlog client asked GetLimited for and the bytes it read.
type limitSpy struct {
	c     *fetch.Client
	base  string
	mu    sync.Mutex
	asked map[string]int64
	read  map[string]int
	plain atomic.Int64 // calls of Get
}

func (s *limitSpy) Get(ctx context.Context, rawURL, accept string) (*fetch.Response, error) {
	s.plain.Add(1)
	return s.c.Get(ctx, rawURL, accept)
}

func (s *limitSpy) GetLimited(ctx context.Context, rawURL, accept string, maxBytes int64) (*fetch.Response, error) {
	r, err := s.c.GetLimited(ctx, rawURL, accept, maxBytes)
	p := strings.TrimPrefix(rawURL, s.base)
	s.mu.Lock()
	defer s.mu.Unlock()
	s.asked[p] = maxBytes
	if r != nil {
		s.read[p] = len(r.Body)
	}
	return r, err
}

// honestMax is the largest honest file of a revocation log at path.
func honestMax(p string) int64 {
	switch {
	case p == "checkpoint":
		return tlog.MaxCheckpointSize
	case strings.HasPrefix(p, "tile/entries/"):
		return 256 * (2 + 8)
	case strings.HasPrefix(p, "tile/"):
		return 8192
	case strings.HasPrefix(p, tlog.SubtreesDir+"/"):
		return status.MaxSubtreeChunkSize
	}
	return 0
}

// hugeServer serves the log directory, but answers the paths huge(path)
// selects with 64 MiB of junk of undeclared length, counting the bytes it
// managed to write.
func hugeServer(t *testing.T, dir string, huge func(string) bool, written *atomic.Int64) string {
	files := http.FileServer(http.Dir(dir))
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !huge(strings.TrimPrefix(r.URL.Path, "/")) {
			files.ServeHTTP(w, r)
			return
		}
		junk := make([]byte, 32<<10)
		for range (64 << 20) / len(junk) {
			n, err := w.Write(junk)
			written.Add(int64(n))
			if err != nil {
				return
			}
		}
	}))
	t.Cleanup(srv.Close)
	return srv.URL
}

// TestClientAttackHugeBodies: a hostile log host answers every tile,
// entry bundle and subtree chunk with a 64 MiB body, to a client whose
// Getter admits 8 MiB (a keys log's bundles). The client asks for each
// file with its largest honest size, so no read goes past it (8 KiB for
// a hash tile, 2,560 bytes for an entry bundle), the sync fails with
// ErrMalformedTile (or ErrInvalidSubtrees) wrapping fetch.ErrTooLarge,
// and the same client syncs the honest log afterwards.
func TestClientAttackHugeBodies(t *testing.T) {
	f := newFixture(t, 1)
	for i := range 3 {
		ids := seqIDs(uint64(1+1000*i), 300)
		for _, id := range ids {
			insert(t, f, id)
		}
		if err := tlog.WriteSubtrees(f.dir, f.tree, 4); err != nil {
			t.Fatal(err)
		}
		f.seq++
		f.now = f.now.Add(time.Minute)
		if _, err := f.writer.AppendRevocations(ctx, ids, tlog.IndexedRoot{Depth: testDepth, Root: f.tree.Root(), Sequence: f.seq}); err != nil {
			t.Fatal(err)
		}
	}
	for _, tc := range []struct {
		name string
		huge func(string) bool
		want error
	}{
		{"tiles", func(p string) bool { return strings.HasPrefix(p, "tile/") }, tlog.ErrMalformedTile},
		{"subtree chunks", func(p string) bool { return strings.HasPrefix(p, tlog.SubtreesDir+"/") }, status.ErrInvalidSubtrees},
		{"checkpoint", func(p string) bool { return p == "checkpoint" }, tlog.ErrMalformedCheckpoint},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var written atomic.Int64
			url := hugeServer(t, f.dir, tc.huge, &written)
			spy := &limitSpy{c: f.http, base: url + "/", asked: map[string]int64{}, read: map[string]int{}}
			h, err := tlog.NewHolderSync(url, spy, f.policy(1), testDepth, 4, nil, nil)
			if err != nil {
				t.Fatal(err)
			}
			_, err = h.Sync(ctx)
			mustIs(t, err, tc.want)
			mustIs(t, err, fetch.ErrTooLarge)
			if spy.plain.Load() != 0 {
				t.Fatalf("%d files fetched with Get, unbounded", spy.plain.Load())
			}
			spy.mu.Lock()
			for p, max := range spy.asked {
				if b := honestMax(p); max <= 0 || max > b {
					t.Errorf("%s asked for with a limit of %d bytes, honest at most %d", p, max, b)
				}
				if int64(spy.read[p]) > max {
					t.Errorf("%s: read %d bytes, limit %d", p, spy.read[p], max)
				}
			}
			spy.mu.Unlock()
			if len(spy.asked) == 0 {
				t.Fatal("nothing fetched")
			}
			t.Logf("%d files asked for; the server wrote %d bytes in all", len(spy.asked), written.Load())
		})
	}
	// The honest log, through the same kind of Getter.
	spy := &limitSpy{c: f.http, base: f.logURL + "/", asked: map[string]int64{}, read: map[string]int{}}
	h, err := tlog.NewHolderSync(f.logURL, spy, f.policy(1), testDepth, 4, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	cp, err := h.Sync(ctx)
	if err != nil || cp.Size != 900 || len(h.IDs()) != 900 {
		t.Fatalf("honest sync: %v", err)
	}
	for p, max := range spy.asked {
		if b := honestMax(p); max > b {
			t.Errorf("%s asked for with a limit of %d bytes, honest at most %d", p, max, b)
		}
	}
}

// panicGetter panics on every Get.
type panicGetter struct{}

func (panicGetter) Get(context.Context, string, string) (*fetch.Response, error) {
	panic("hostile Getter")
}

// TestClientAttackPanickingGetter: a Getter that panics on a tile,
// called from the client's worker goroutines, fails the read with an
// error wrapping fetch.ErrFetch; the process survives.
func TestClientAttackPanickingGetter(t *testing.T) {
	f := newFixture(t, 1)
	f.revoke(seqIDs(1, 600)...)
	honest := f.client(1)
	cp, err := honest.Latest(ctx)
	if err != nil {
		t.Fatal(err)
	}
	c, err := tlog.NewClient(f.logURL, panicGetter{}, f.policy(1), nil)
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.RevokedIDs(ctx, cp, 0)
	mustIs(t, err, fetch.ErrFetch)
	if !strings.Contains(err.Error(), "panicked") {
		t.Fatalf("error %v does not say the Getter panicked", err)
	}
	if _, err := c.Latest(ctx); !errors.Is(err, fetch.ErrFetch) {
		t.Fatalf("Latest: %v", err)
	}
}

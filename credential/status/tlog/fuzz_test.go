package tlog_test

import (
	"bytes"
	"context"
	"errors"
	"runtime/metrics"
	"slices"
	"strings"
	"testing"

	"github.com/zkcred/zkcred/credential/status/tlog"
	"github.com/zkcred/zkcred/did/fetch"
)

// FuzzParseCheckpoint: the checkpoint parser never panics, refuses with
// ErrMalformedCheckpoint, and what it accepts is the canonical body it
// re-encodes followed by the signature block (no malleability).
func FuzzParseCheckpoint(f *testing.F) {
	fx := newFixture(f, 2)
	f.Add(fx.writer.Checkpoint().Note)
	f.Add(fx.revoke(1, 2, 3).Note)
	f.Add([]byte("o\n0\n47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=\nzkcred-keys/v1 5\n\n\u2014 o AAAAAAA=\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		allocCeiling(t, func() {
			c, err := tlog.ParseCheckpoint(b)
			if err != nil {
				if c != nil || !errors.Is(err, tlog.ErrMalformedCheckpoint) {
					t.Fatalf("error %v with checkpoint %v", err, c)
				}
				return
			}
			if !bytes.HasPrefix(b, append(c.Body(), '\n')) || !bytes.Equal(c.Note, b) {
				t.Fatal("accepted a checkpoint that is not its canonical body and signatures")
			}
			if _, err := tlog.Open(b, fx.writer.LogKey()); err != nil && !errors.Is(err, tlog.ErrBadSignature) {
				t.Fatalf("Open: %v", err)
			}
		})
	})
}

// overlayGetter serves a fixed set of files, one of them replaced.
type overlayGetter struct {
	base  string
	files map[string][]byte
}

func (g *overlayGetter) Get(_ context.Context, rawURL, _ string) (*fetch.Response, error) {
	b, ok := g.files[strings.TrimPrefix(rawURL, g.base)]
	if !ok {
		return &fetch.Response{StatusCode: 404, Status: "404 Not Found"}, nil
	}
	return &fetch.Response{StatusCode: 200, Status: "200 OK", Body: b}, nil
}

// FuzzTiles: whatever bytes a CDN serves for an entry bundle or a hash
// tile, the client returns exactly the logged ids or an error wrapping
// ErrMalformedTile, and never panics.
func FuzzTiles(f *testing.F) {
	fx := newFixture(f, 0)
	fx.revoke(seqIDs(1, 300)...)
	cp := fx.writer.Checkpoint()
	paths := []string{"tile/entries/000", "tile/entries/001.p/44", "tile/0/000", "tile/0/001.p/44", "tile/1/000.p/1", "checkpoint"}
	files := make(map[string][]byte)
	g := &dirGetter{dir: fx.dir, base: "https://log.example/"}
	for _, p := range paths {
		r, _ := g.Get(context.Background(), g.base+p, "")
		if r.StatusCode != 200 {
			f.Fatalf("fixture lacks %s", p)
		}
		files[p] = r.Body
	}
	policy := fx.policy(0)
	for i := range paths[:5] {
		f.Add(uint8(i), files[paths[i]])
		f.Add(uint8(i), files[paths[i]][:len(files[paths[i]])/2])
	}
	f.Fuzz(func(t *testing.T, which uint8, data []byte) {
		p := paths[int(which)%5]
		over := &overlayGetter{base: "https://log.example/", files: make(map[string][]byte)}
		for k, v := range files {
			over.files[k] = v
		}
		over.files[p] = data
		allocCeiling(t, func() {
			c, err := tlog.NewClient("https://log.example", over, policy, nil)
			if err != nil {
				t.Fatal(err)
			}
			ids, err := c.RevokedIDs(context.Background(), cp, 0)
			if err == nil {
				_, err = c.ConsistencyProof(context.Background(), &tlog.Checkpoint{Size: 3}, cp)
			}
			switch {
			case err == nil:
				if !slices.Equal(ids, fx.ids) {
					t.Fatal("accepted wrong ids")
				}
			case !errors.Is(err, tlog.ErrMalformedTile):
				t.Fatalf("unexpected error %v", err)
			}
		})
	})
}

// allocCeiling fails t when f, the call on one fuzz input, allocates over
// 64 MiB (runtime/metrics, delta). Inputs are small: a checkpoint of at
// most 8 KiB, one tile or bundle of a 300-entry log; a parser that sized
// an allocation by a claimed length would exceed it.
func allocCeiling(t *testing.T, f func()) {
	s := []metrics.Sample{{Name: "/gc/heap/allocs:bytes"}, {Name: "/gc/heap/allocs:bytes"}}
	metrics.Read(s[:1])
	f()
	if metrics.Read(s[1:]); s[1].Value.Uint64()-s[0].Value.Uint64() > 64<<20 {
		t.Fatalf("tlog: one input allocated %d bytes (ceiling 64 MiB)", s[1].Value.Uint64()-s[0].Value.Uint64())
	}
}

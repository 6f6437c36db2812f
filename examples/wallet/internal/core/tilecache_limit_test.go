package core

import (
	"context"
	"testing"

	"github.com/zkcred/zkcred/did/fetch"
)

// recordingGetter records the limit each call asked for.
type recordingGetter struct{ limits []int64 }

func (g *recordingGetter) Get(ctx context.Context, u, accept string) (*fetch.Response, error) {
	g.limits = append(g.limits, -1)
	return &fetch.Response{StatusCode: 404, Status: "404 Not Found", URL: u}, nil
}

func (g *recordingGetter) GetLimited(ctx context.Context, u, accept string, max int64) (*fetch.Response, error) {
	g.limits = append(g.limits, max)
	return &fetch.Response{StatusCode: 404, Status: "404 Not Found", URL: u}, nil
}

// TestTileCacheAttackLimitHidden: the wallet's tile cache wraps its fetch
// client; it must pass tlog's per-file limit on, not hide it behind a
// plain Get (a hostile log host could then make every request read the
// fetch client's whole limit).
func TestTileCacheAttackLimitHidden(t *testing.T) {
	g := &recordingGetter{}
	c := newTileCache()
	c.next, c.base = g, "https://agency.example/log/revocation/"
	if _, err := c.GetLimited(context.Background(), c.base+"tile/0/000", "", 8192); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Get(context.Background(), c.base+"checkpoint", ""); err != nil {
		t.Fatal(err)
	}
	if len(g.limits) != 2 || g.limits[0] != 8192 || g.limits[1] != -1 {
		t.Fatalf("limits passed on: %v, want [8192 -1]", g.limits)
	}
}

package tlog_test

import (
	"context"
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/consensys/gnark-crypto/ecc/bn254/fr"

	"github.com/zkcred/zkcred/credential/status/tlog"
	"github.com/zkcred/zkcred/did/fetch"
)

// benchLog is a revocation log without witnesses whose indexed roots are
// placeholders: the Writer does not compute the Poseidon2 tree (the
// registry does), so these figures are the log's own cost.
type benchLog struct {
	dir string
	w   *tlog.Writer
	seq uint64
	now time.Time
}

func newBenchLog(b *testing.B) *benchLog {
	l := &benchLog{dir: b.TempDir(), now: time.Unix(1_800_000_000, 0)}
	var err error
	l.w, err = tlog.OpenWriter(context.Background(), tlog.WriterConfig{Dir: l.dir, Origin: "did:web:agency.example/revocation", Kind: tlog.KindRevocation, Key: seedKey(1), Depth: 24, Now: func() time.Time { return l.now }})
	if err != nil {
		b.Fatal(err)
	}
	return l
}

func (l *benchLog) append(b *testing.B, n int) {
	ids := make([]uint64, n)
	base := uint64(l.w.Size())
	for i := range ids {
		ids[i] = base + uint64(i) + 1
	}
	l.seq++
	var r fr.Element
	r.SetUint64(l.seq)
	if _, err := l.w.AppendRevocations(context.Background(), ids, tlog.IndexedRoot{Depth: 24, Root: r, Sequence: l.seq}); err != nil {
		b.Fatal(err)
	}
}

// BenchmarkAppend: one batch of 1,000 revocations appended and published
// (hashes, tiles, entry bundles, signed checkpoint, each file synced).
func BenchmarkAppend(b *testing.B) {
	l := newBenchLog(b)
	l.append(b, 100_000)
	for b.Loop() {
		l.append(b, 1000)
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/1000, "ns/entry")
}

// BenchmarkClientSync: a wallet's first sync of a log of n revocations
// (all entries, verified), and a later sync of 1,000 new ones (new
// checkpoint, consistency proof from the tiles, the new entries), with
// the bytes each downloads. -benchtime=1x is enough: the log is built
// once per size. ZKCRED_BENCH_TLOG_1E7=1 adds 10^7.
func BenchmarkClientSync(b *testing.B) {
	sizes := []int{10_000, 100_000, 1_000_000}
	if os.Getenv("ZKCRED_BENCH_TLOG_1E7") != "" {
		sizes = append(sizes, 10_000_000) // builds a 10^7 log first: minutes, 420 MB of files
	}
	for _, n := range sizes {
		if testing.Short() && n > 100_000 {
			continue
		}
		l := newBenchLog(b)
		for l.w.Size() < int64(n) {
			l.append(b, min(100_000, n-int(l.w.Size())))
		}
		p, err := tlog.NewPolicy(l.w.LogKey(), nil, 0)
		if err != nil {
			b.Fatal(err)
		}
		// A static file server reads a bounded number of files at once:
		// the client's 256 requests in flight, each blocking an OS
		// thread in read(2), took 22 s at 10^7 on 2 cores instead of 1.3 s.
		g := &boundedGetter{g: &dirGetter{dir: l.dir, base: "https://log.example/"}, sem: make(chan struct{}, 16)}
		b.Run(fmt.Sprintf("first/n=%d", n), func(b *testing.B) {
			var bytes int64
			for b.Loop() {
				c, _ := tlog.NewClient("https://log.example", g, p, nil)
				cp, err := c.Update(context.Background(), nil)
				if err != nil {
					b.Fatal(err)
				}
				ids, err := c.RevokedIDs(context.Background(), cp, 0)
				if err != nil || len(ids) != n {
					b.Fatal(err)
				}
				bytes = c.BytesDownloaded()
			}
			b.ReportMetric(float64(bytes), "download-bytes")
		})
		b.Run(fmt.Sprintf("incremental-1000/n=%d", n), func(b *testing.B) {
			var bytes int64
			for b.Loop() {
				b.StopTimer()
				c, _ := tlog.NewClient("https://log.example", g, p, nil)
				old, err := c.Update(context.Background(), nil)
				if err != nil {
					b.Fatal(err)
				}
				// The wallet's cache after its previous sync: the tiles
				// of the old checkpoint.
				if _, err := c.RevokedIDs(context.Background(), old, old.Size-1); err != nil {
					b.Fatal(err)
				}
				if _, err := c.ConsistencyProof(context.Background(), &tlog.Checkpoint{Size: 1}, old); err != nil {
					b.Fatal(err)
				}
				l.append(b, 1000)
				before := c.BytesDownloaded()
				b.StartTimer()
				cp, err := c.Update(context.Background(), old)
				if err != nil {
					b.Fatal(err)
				}
				ids, err := c.RevokedIDs(context.Background(), cp, old.Size)
				if err != nil || len(ids) != 1000 {
					b.Fatal(err)
				}
				bytes = c.BytesDownloaded() - before
			}
			b.ReportMetric(float64(bytes), "download-bytes")
		})
	}
}

// boundedGetter passes at most cap(sem) requests at once to g.
type boundedGetter struct {
	g   tlog.Getter
	sem chan struct{}
}

func (b *boundedGetter) Get(ctx context.Context, rawURL, accept string) (*fetch.Response, error) {
	b.sem <- struct{}{}
	defer func() { <-b.sem }()
	return b.g.Get(ctx, rawURL, accept)
}

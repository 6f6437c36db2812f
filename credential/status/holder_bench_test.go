package status

import (
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/consensys/gnark-crypto/ecc/bn254/fr"

	"github.com/zkcred/zkcred/credential/zkhash"
)

// holderFixture is what a registry publishes at two checkpoints n ids and
// n+add ids apart: the ids, and the root and every subtree chunk at each.
type holderFixture struct {
	ids            []uint64 // n+add ids in leaf order
	n              int
	root0, root1   fr.Element
	chunks0, chunk []([]byte)
}

// loadHolderFixture builds the registry's tree over n random ids, takes
// its root and chunks, inserts add more and takes them again. Building the
// tree takes about 16 CPU-seconds per million ids, so the result is cached
// in the temporary directory, under a name that changes with the hash.
func loadHolderFixture(b *testing.B, n, add int) *holderFixture {
	b.Helper()
	const seed = 42
	ids := randomIDs(seed, n+add)
	h := zkhash.IndexedLeaf(u64(1), zkhash.Compress(u64(2), u64(3)))
	probe := h.Bytes()
	name := fmt.Sprintf("zkcred-holder-fixture-v1-%d-%d-%d-%d-%d-%s.bin", DefaultDepth, DefaultSubtreeLevel, seed, n, add, hex.EncodeToString(probe[:6]))
	path := filepath.Join(os.TempDir(), name)
	if f, err := readHolderFixture(path, ids, n); err == nil {
		return f
	}
	b.Logf("building the registry tree over %d ids (cached in %s)", n, path)
	t := revocationTree(b, DefaultDepth, ids[:n])
	f := &holderFixture{ids: ids, n: n, root0: t.Root(), chunks0: allChunks(b, t, DefaultSubtreeLevel)}
	for _, id := range ids[n:] {
		if err := t.Insert(u64(id)); err != nil {
			b.Fatal(err)
		}
	}
	f.root1, f.chunk = t.Root(), allChunks(b, t, DefaultSubtreeLevel)
	var out []byte
	for _, r := range []fr.Element{f.root0, f.root1} {
		rb := r.Bytes()
		out = append(out, rb[:]...)
	}
	for _, set := range [][][]byte{f.chunks0, f.chunk} {
		out = binary.BigEndian.AppendUint32(out, uint32(len(set)))
		for _, c := range set {
			out = binary.BigEndian.AppendUint32(out, uint32(len(c)))
			out = append(out, c...)
		}
	}
	if err := os.WriteFile(path, out, 0o600); err != nil {
		b.Logf("fixture not cached: %v", err)
	}
	return f
}

func readHolderFixture(path string, ids []uint64, n int) (*holderFixture, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	f := &holderFixture{ids: ids, n: n}
	if len(b) < 64 {
		return nil, fmt.Errorf("short fixture")
	}
	if err := f.root0.SetBytesCanonical(b[:32]); err != nil {
		return nil, err
	}
	if err := f.root1.SetBytesCanonical(b[32:64]); err != nil {
		return nil, err
	}
	b = b[64:]
	next := func() ([]byte, error) {
		if len(b) < 4 || int(binary.BigEndian.Uint32(b)) > len(b)-4 {
			return nil, fmt.Errorf("truncated fixture")
		}
		k := binary.BigEndian.Uint32(b)
		out := b[4 : 4+k]
		b = b[4+k:]
		return out, nil
	}
	for _, set := range []*[][]byte{&f.chunks0, &f.chunk} {
		if len(b) < 4 {
			return nil, fmt.Errorf("truncated fixture")
		}
		k := int(binary.BigEndian.Uint32(b))
		b = b[4:]
		for range k {
			c, err := next()
			if err != nil {
				return nil, err
			}
			if _, err := parseSubtreeChunk(c); err != nil {
				return nil, err
			}
			*set = append(*set, c)
		}
	}
	if len(b) != 0 {
		return nil, fmt.Errorf("trailing fixture data")
	}
	return f, nil
}

// BenchmarkHolderFirstWitness measures a holder's first witness: from the
// revoked ids (as the log's tiles deliver them) and the published subtree
// chunks to a checked non-revocation witness. download_bytes counts 8
// bytes per id plus the chunks.
func BenchmarkHolderFirstWitness(b *testing.B) {
	for _, n := range []int{1e6, 1e7} {
		b.Run(fmt.Sprintf("revoked=%d", n), func(b *testing.B) {
			if n > 1e6 && testing.Short() {
				b.Skip("10^7 revocations: not in -short")
			}
			f := loadHolderFixture(b, n, 1000)
			rng := rand.New(rand.NewPCG(1, 2))
			var bytes int
			for _, c := range f.chunks0 {
				bytes += len(c)
			}
			cpu0 := cpuTime()
			start := time.Now()
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				v, err := NewHolderView(DefaultDepth, DefaultSubtreeLevel)
				if err != nil {
					b.Fatal(err)
				}
				if err := v.Append(f.ids[:n]...); err != nil {
					b.Fatal(err)
				}
				for _, c := range f.chunks0 {
					if err := v.ApplySubtreeChunk(c); err != nil {
						b.Fatal(err)
					}
				}
				if _, err := v.NonRevocationWitness(rng.Uint64N(1<<62)+1, f.root0); err != nil {
					b.Fatal(err)
				}
			}
			b.StopTimer()
			b.ReportMetric(float64(time.Since(start).Milliseconds())/float64(b.N), "wall_ms")
			b.ReportMetric(float64((cpuTime()-cpu0).Milliseconds())/float64(b.N), "cpu_ms")
			b.ReportMetric(float64(8*n+bytes), "download_bytes")
			b.ReportMetric(float64(bytes), "chunk_bytes")
		})
	}
}

// BenchmarkHolderSync measures a later sync of a holder that already has
// its witness: 1,000 new revocations, the chunks it then asks for, and
// the new witness. download_bytes counts 8 bytes per new id plus those
// chunks.
func BenchmarkHolderSync(b *testing.B) {
	const add = 1000
	for _, n := range []int{1e6, 1e7} {
		b.Run(fmt.Sprintf("revoked=%d/new=%d", n, add), func(b *testing.B) {
			if n > 1e6 && testing.Short() {
				b.Skip("10^7 revocations: not in -short")
			}
			f := loadHolderFixture(b, n, add)
			v, err := NewHolderView(DefaultDepth, DefaultSubtreeLevel)
			if err != nil {
				b.Fatal(err)
			}
			if err := v.Append(f.ids[:n]...); err != nil {
				b.Fatal(err)
			}
			for _, c := range f.chunks0 {
				if err := v.ApplySubtreeChunk(c); err != nil {
					b.Fatal(err)
				}
			}
			mine := uint64(0x5eed_0000_0000_0001)
			if _, err := v.NonRevocationWitness(mine, f.root0); err != nil {
				b.Fatal(err)
			}
			var bytes int
			var wall, cpu time.Duration
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				b.StopTimer()
				w := v.clone()
				b.StartTimer()
				cpu0, start := cpuTime(), time.Now()
				if err := w.Append(f.ids[n:]...); err != nil {
					b.Fatal(err)
				}
				bytes = 8 * add
				for _, j := range w.StaleChunks() {
					if err := w.ApplySubtreeChunk(f.chunk[j]); err != nil {
						b.Fatal(err)
					}
					bytes += len(f.chunk[j])
				}
				if _, err := w.NonRevocationWitness(mine, f.root1); err != nil {
					b.Fatal(err)
				}
				wall += time.Since(start)
				cpu += cpuTime() - cpu0
			}
			b.StopTimer()
			b.ReportMetric(float64(wall.Microseconds())/1e3/float64(b.N), "wall_ms")
			b.ReportMetric(float64(cpu.Microseconds())/1e3/float64(b.N), "cpu_ms")
			b.ReportMetric(float64(bytes), "download_bytes")
		})
	}
}

// clone deep-copies the view (benchmarks replay one sync on copies).
func (v *HolderView) clone() *HolderView {
	w := *v
	w.index.chunks = make([][]hpair, len(v.index.chunks))
	for i, c := range v.index.chunks {
		w.index.chunks[i] = slices.Clone(c)
	}
	w.roots = slices.Clone(v.roots)
	w.stale = slices.Clone(v.stale)
	w.dirty = slices.Clone(v.dirty)
	if v.top != nil {
		w.top = make([][]fr.Element, len(v.top))
		w.top[0] = w.roots
		for i := 1; i < len(v.top); i++ {
			w.top[i] = slices.Clone(v.top[i])
		}
	}
	w.subtrees = make(map[uint64]*holderSubtree, len(v.subtrees))
	for s, st := range v.subtrees {
		c := &holderSubtree{nodes: make([][]fr.Element, len(st.nodes))}
		for l := range st.nodes {
			c.nodes[l] = slices.Clone(st.nodes[l])
		}
		w.subtrees[s] = c
	}
	return &w
}

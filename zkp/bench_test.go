package zkp

import (
	"bytes"
	"runtime"
	"slices"
	"sync/atomic"
	"testing"
	"time"
)

// Benchmarks: go test -run '^$' -bench . -benchtime 5x ./zkp
//
// Each reports constraints, setup_ms (UnsafeSetup, including compile),
// prove_ms (Prove: native check, witness, proof; prove_cpu_ms is the CPU
// time it used on all cores, steadier than wall time on a shared machine),
// verify_ms (Verify: public
// inputs from the statement + proof decoding and check; median of 300
// calls), proof_bytes, vk_bytes,
// pk_bytes, allocs/op (of Prove) and peak_MiB (peak heap in use during one
// Prove, sampled every 200 µs, minus the heap in use before it) and
// heap_MiB (the same peak, absolute: keys, constraint system and test
// fixture included).

func BenchmarkReferenceGroth16(b *testing.B) { benchShape(b, ReferenceShape(), Groth16) }
func BenchmarkReferencePLONK(b *testing.B)   { benchShape(b, ReferenceShape(), PLONK) }
func BenchmarkDefaultGroth16(b *testing.B)   { benchShape(b, DefaultShape(), Groth16) }
func BenchmarkDefaultPLONK(b *testing.B)     { benchShape(b, DefaultShape(), PLONK) }

func benchShape(b *testing.B, s Shape, backend Backend) {
	t0 := time.Now()
	keys, err := UnsafeSetup(s, backend)
	if err != nil {
		b.Fatal(err)
	}
	setup := time.Since(t0)
	f := newFixture(b, s)
	runtime.GC()

	peak, abs := peakHeap(func() {
		if _, err := Prove(keys, &f.st, &f.w); err != nil {
			b.Fatal(err)
		}
	})

	b.ReportAllocs()
	b.ResetTimer()
	cpu0 := cpuTime()
	var p *Presentation
	for i := 0; i < b.N; i++ {
		if p, err = Prove(keys, &f.st, &f.w); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	prove := b.Elapsed() / time.Duration(b.N)
	proveCPU := (cpuTime() - cpu0) / time.Duration(b.N)

	// Verify is fast next to the machine's timing noise: take the median
	// of 300 calls, each from the encoded proof (no decoding cached).
	const nv = 300
	times := make([]time.Duration, nv)
	for i := range times {
		q := *p
		t0 = time.Now()
		if err := Verify(keys.VerifyingKey, &f.st, &q); err != nil {
			b.Fatal(err)
		}
		times[i] = time.Since(t0)
	}
	slices.Sort(times)
	verify := times[nv/2]

	var pk bytes.Buffer
	if keys.g16 != nil {
		_, err = keys.g16.WriteTo(&pk)
	} else {
		_, err = keys.pl.WriteTo(&pk)
	}
	if err != nil {
		b.Fatal(err)
	}
	b.ReportMetric(float64(keys.Constraints()), "constraints")
	b.ReportMetric(ms(setup), "setup_ms")
	b.ReportMetric(ms(prove), "prove_ms")
	if proveCPU > 0 {
		b.ReportMetric(ms(proveCPU), "prove_cpu_ms")
	}
	b.ReportMetric(ms(verify), "verify_ms")
	b.ReportMetric(float64(len(p.Proof)), "proof_bytes")
	b.ReportMetric(float64(len(keys.VerifyingKey.raw)), "vk_bytes")
	b.ReportMetric(float64(pk.Len()), "pk_bytes")
	b.ReportMetric(peak, "peak_MiB")
	b.ReportMetric(abs, "heap_MiB")
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

// peakHeap runs f and returns the peak of HeapInuse above its starting
// value and the absolute peak, in MiB, sampled every 200 µs.
func peakHeap(f func()) (float64, float64) {
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	base := ms.HeapInuse
	var peak atomic.Uint64
	peak.Store(base)
	done := make(chan struct{})
	stopped := make(chan struct{})
	go func() {
		defer close(stopped)
		t := time.NewTicker(200 * time.Microsecond)
		defer t.Stop()
		var m runtime.MemStats
		for {
			select {
			case <-done:
				return
			case <-t.C:
				runtime.ReadMemStats(&m)
				if m.HeapInuse > peak.Load() {
					peak.Store(m.HeapInuse)
				}
			}
		}
	}()
	f()
	close(done)
	<-stopped
	runtime.ReadMemStats(&ms)
	if ms.HeapInuse > peak.Load() {
		peak.Store(ms.HeapInuse)
	}
	return float64(peak.Load()-base) / (1 << 20), float64(peak.Load()) / (1 << 20)
}

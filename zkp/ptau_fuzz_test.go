package zkp

import (
	"bytes"
	"encoding/binary"
	"errors"
	"testing"
)

// FuzzReadPtau feeds ptau files to ReadPtau: never a panic, never more than
// the allocation ceiling (section sizes are checked against the power
// before anything is allocated, and point slices grow with the bytes
// read), errors wrap ErrInvalidPtau, an accepted file reports what its
// header says. Seeds: the committed snarkjs fixtures (power 3, plain and
// prepared), the plain one truncated mid-tauG2, and its header claiming
// power 22 (whose section sizes then ask for 512 MiB).
func FuzzReadPtau(f *testing.F) {
	plain := readFixture(f, ptauFixture)
	f.Add(plain)
	f.Add(readFixture(f, ptauFixtureFinal))
	off := ptauOffsets(f, plain)
	f.Add(plain[:off[3]+200])
	big := bytes.Clone(plain)
	binary.LittleEndian.PutUint32(big[off[1]+36:], 22)
	binary.LittleEndian.PutUint32(big[off[1]+40:], 28)
	binary.LittleEndian.PutUint64(big[off[2]-8:], (1<<23-1)*64)
	f.Add(big)
	f.Fuzz(func(t *testing.T, b []byte) {
		var p *Ptau
		var err error
		withinCeiling(t, "ReadPtau", func() { p, err = ReadPtau(bytes.NewReader(b), nil) })
		if err != nil {
			if !errors.Is(err, ErrInvalidPtau) || p != nil {
				t.Fatalf("error %v does not wrap ErrInvalidPtau", err)
			}
			return
		}
		if fp, _ := p.FilePower(); p.Power() != fp || p.Contributions() < 1 || len(p.tauG1) != 1<<(fp+1)-1 {
			t.Fatalf("accepted file: power %d/%d, %d contributions", p.Power(), fp, p.Contributions())
		}
	})
}

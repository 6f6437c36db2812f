package zkp

import (
	"bytes"
	"fmt"
	"io"
	"os"

	"github.com/consensys/gnark-crypto/ecc/bn254/fr/fft"
	groth16bn254 "github.com/consensys/gnark/backend/groth16/bn254"
	plonkbn254 "github.com/consensys/gnark/backend/plonk/bn254"
	"github.com/consensys/gnark/constraint"

	"github.com/zkcred/zkcred/zkp/internal/gnarkwire"
)

// A proving key file is as trusted as whoever supplies the key directory,
// and its manifest sits beside it: it is no integrity guarantee against
// an attacker. gnark's proving-key decoders allocate whatever the slice
// headers inside say (and read each point compressed or not as its flag
// says, so a flag moves every later header). LoadKeys therefore reads at
// most the size the shape allows, walks the whole layout itself (every
// header bounded by the circuit, recompiled from the shape; every point
// flagged compressed) and only then lets gnark decode the bytes (with its
// subgroup checks).

// readBounded reads the file name, refusing one larger than max bytes and
// anything but a regular file (a symbolic link is followed, to a regular
// file only), with errors wrapping [ErrInvalidKey]. The type is checked
// before opening (os.Open of a FIFO would block until a writer comes)
// and again on the open file, which must be the one checked: a device
// such as /dev/zero, a FIFO or a directory is refused without reading
// it. (Swapping a FIFO in between the two checks can still make open
// block; nothing is read from it.)
func readBounded(name string, max int) ([]byte, error) {
	before, err := os.Stat(name)
	if err != nil {
		return nil, fmt.Errorf("zkp: load keys: %w", err)
	}
	if !before.Mode().IsRegular() {
		return nil, fmt.Errorf("%w: %s is not a regular file (%v)", ErrInvalidKey, name, before.Mode().Type())
	}
	f, err := os.Open(name)
	if err != nil {
		return nil, fmt.Errorf("zkp: load keys: %w", err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("zkp: load keys: %w", err)
	}
	if !fi.Mode().IsRegular() || !os.SameFile(before, fi) {
		return nil, fmt.Errorf("%w: %s is not a regular file or changed while opened", ErrInvalidKey, name)
	}
	if fi.Size() > int64(max) {
		return nil, fmt.Errorf("%w: %s is larger than the %d bytes its shape allows", ErrInvalidKey, name, max)
	}
	b, err := io.ReadAll(io.LimitReader(f, int64(max)+1))
	if err != nil {
		return nil, fmt.Errorf("zkp: load keys: %w", err)
	}
	if len(b) > max {
		return nil, fmt.Errorf("%w: %s is larger than the %d bytes its shape allows", ErrInvalidKey, name, max)
	}
	return b, nil
}

// groth16PKBounds returns the circuit's wire counts and domain size, and
// the largest compressed Groth16 proving key it can have.
func groth16PKBounds(ccs constraint.ConstraintSystem) (wires, private int, card uint64, max int) {
	internal, secret, public := ccs.GetNbVariables()
	wires, private = internal+secret+public, internal+secret
	card = fft.NewDomain(uint64(ccs.GetNbConstraints()), fft.WithoutPrecompute()).Cardinality
	// domain | 3 G1 | A B Z K headers and points | 2 G2 | G2.B | 3 u64 | 2 bool vectors | u32
	max = 169 + 96 + 16 + 32*(2*wires+int(card)+private) + 128 + 4 + 64*wires + 24 + 2*wires + 4
	return wires, private, card, max
}

// checkGroth16PKLayout walks gnark's compressed BN254 Groth16 proving key
// without commitments:
//
//	domain (u64 N | 5 fr | bool) | α₁ β₁ δ₁ | u32 |A| A | u32 |B| B |
//	u32 |Z| Z | u32 |K| K | β₂ δ₂ | u32 |B₂| B₂ | u64 wires |
//	u64 infA | u64 infB | wires bools | wires bools | u32 0
//
// The domain must be the circuit's, |A| = wires − infA, |B| = |B₂| =
// wires − infB, |Z| ∈ {N−1, N}, |K| = the private wires, the bools 0 or 1
// with infA (infB) of them set.
func checkGroth16PKLayout(ccs constraint.ConstraintSystem, raw []byte) error {
	wires, private, card, _ := groth16PKBounds(ccs)
	r := gnarkwire.NewReader(raw, ErrInvalidKey)
	var want bytes.Buffer
	if _, err := fft.NewDomain(uint64(ccs.GetNbConstraints()), fft.WithoutPrecompute()).WriteTo(&want); err != nil {
		return err
	}
	dom, err := r.Take(want.Len(), "proving key domain")
	if err != nil {
		return err
	}
	if !bytes.Equal(dom[:len(dom)-1], want.Bytes()[:want.Len()-1]) || dom[len(dom)-1] > 1 {
		return r.Fail("proving key domain is not the circuit's")
	}
	if err := r.SkipG1s(3, "proving key α β δ"); err != nil {
		return err
	}
	var counts [5]int // A, B, Z, K, B₂
	for i, name := range []string{"A", "B", "Z", "K"} {
		n, err := r.U32("proving key " + name)
		if err != nil {
			return err
		}
		if n > uint32(wires) && (name != "Z" || uint64(n) > card) {
			return r.Fail("proving key: %d %s points, the circuit has %d wires", n, name, wires)
		}
		counts[i] = int(n)
		if err := r.SkipG1s(int(n), "proving key "+name); err != nil {
			return err
		}
	}
	if err := r.SkipG2s(2, "proving key β₂ δ₂"); err != nil {
		return err
	}
	n, err := r.U32("proving key B₂")
	if err != nil {
		return err
	}
	if n > uint32(wires) {
		return r.Fail("proving key: %d B₂ points, the circuit has %d wires", n, wires)
	}
	counts[4] = int(n)
	if err := r.SkipG2s(int(n), "proving key B₂"); err != nil {
		return err
	}
	var hdr [3]uint64 // wires, infA, infB
	for i := range hdr {
		if hdr[i], err = r.U64("proving key wire counts"); err != nil {
			return err
		}
	}
	if hdr[0] != uint64(wires) || hdr[1] > hdr[0] || hdr[2] > hdr[0] ||
		counts[0] != wires-int(hdr[1]) || counts[1] != wires-int(hdr[2]) || counts[4] != counts[1] ||
		(uint64(counts[2]) != card && uint64(counts[2]) != card-1) || counts[3] != private {
		return r.Fail("proving key counts %v %v do not match the circuit (%d wires, %d private, domain %d)", counts, hdr, wires, private, card)
	}
	for i, inf := range hdr[1:] {
		b, err := r.Take(wires, "proving key infinity flags")
		if err != nil {
			return err
		}
		set := 0
		for _, x := range b {
			if x > 1 {
				return r.Fail("proving key infinity flag %d", x)
			}
			set += int(x)
		}
		if uint64(set) != inf {
			return r.Fail("proving key infinity flags %d: %d set, header says %d", i, set, inf)
		}
	}
	if err := r.Header(0, "proving key commitments"); err != nil {
		return err
	}
	return r.End("proving key")
}

// checkPLONKPKLayout walks gnark's compressed BN254 PLONK proving key:
//
//	verifying key (exactly vkRaw) | u32 Size+3 | Size+3 G1 | u32 Size | Size G1
func checkPLONKPKLayout(vk *plonkbn254.VerifyingKey, vkRaw, raw []byte) error {
	r := gnarkwire.NewReader(raw, ErrInvalidKey)
	if b, err := r.Take(len(vkRaw), "proving key's verifying key"); err != nil || !bytes.Equal(b, vkRaw) {
		return fmt.Errorf("%w: the proving key's verifying key is not vk.bin", ErrInvalidKey)
	}
	for _, n := range []int{int(vk.Size) + 3, int(vk.Size)} {
		if err := r.Header(n, "proving key SRS"); err != nil {
			return err
		}
		if err := r.SkipG1s(n, "proving key SRS"); err != nil {
			return err
		}
	}
	return r.End("proving key")
}

// maxProvingKeySize is the largest pk.bin the circuit ccs (recompiled
// from the shape) and its verifying key vk allow.
func maxProvingKeySize(vk *VerifyingKey, ccs constraint.ConstraintSystem) int {
	if vk.backend == Groth16 {
		_, _, _, max := groth16PKBounds(ccs)
		return max
	}
	return len(vk.raw) + 8 + 32*(2*int(vk.pl.Size)+3)
}

// decodeProvingKey decodes raw, the contents of pk.bin (read at most
// [maxProvingKeySize] bytes), for vk and the circuit ccs (recompiled from
// the shape): layout walk, then gnark's checked decoder on exactly those
// bytes.
func decodeProvingKey(raw []byte, vk *VerifyingKey, ccs constraint.ConstraintSystem, k *Keys) error {
	var err error
	var dec io.ReaderFrom
	if vk.backend == Groth16 {
		err = checkGroth16PKLayout(ccs, raw)
		k.g16 = new(groth16bn254.ProvingKey)
		dec = k.g16
	} else {
		err = checkPLONKPKLayout(vk.pl, vk.raw, raw)
		k.pl = new(plonkbn254.ProvingKey)
		dec = k.pl
	}
	if err != nil {
		return err
	}
	rd := bytes.NewReader(raw)
	if _, err := dec.ReadFrom(rd); err != nil || rd.Len() != 0 {
		return fmt.Errorf("%w: proving key: %v", ErrInvalidKey, err)
	}
	if k.g16 != nil {
		return checkGroth16PKMatchesVK(k.g16, vk)
	}
	return nil
}

// checkGroth16PKMatchesVK refuses a Groth16 proving key whose α₁, β₁, δ₁,
// β₂ or δ₂ is not the verifying key's. The fingerprint a caller pins
// covers the verifying key only; a proving key with another δ (or α, β)
// is from another setup, or forged to make proofs that leak the witness.
// This does not prove the rest of the proving key (A, B, Z, K) belongs
// to the verifying key: [Prove] also refuses to release a proof the
// verifying key rejects.
func checkGroth16PKMatchesVK(pk *groth16bn254.ProvingKey, vk *VerifyingKey) error {
	v := vk.g16
	if v == nil || !pk.G1.Alpha.Equal(&v.G1.Alpha) || !pk.G1.Beta.Equal(&v.G1.Beta) || !pk.G1.Delta.Equal(&v.G1.Delta) ||
		!pk.G2.Beta.Equal(&v.G2.Beta) || !pk.G2.Delta.Equal(&v.G2.Delta) {
		return fmt.Errorf("%w: the proving key's α, β or δ is not the verifying key's: the proving key is from another setup", ErrInvalidKey)
	}
	return nil
}

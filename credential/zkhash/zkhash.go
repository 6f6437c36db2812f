// Package zkhash implements the zkcred-poseidon2-v1 hash suite: the
// SNARK-friendly hashes that every zkcred signature, commitment,
// nullifier and Merkle root is computed with, natively here and
// in-circuit by the zkp package.
//
// The suite is Poseidon2 (ePrint 2023/323) over the BN254 scalar field,
// with gnark-crypto's round constants. It has two constructions:
//
//   - [Hash] is a fixed-length sponge over the width-4 permutation (8 full,
//     56 partial rounds): the capacity lane (lane 0) starts as tag + n·2^64
//     (domain tag, input count n), inputs are added three at a time to
//     lanes 1..3 (the last chunk zero-padded), the state is permuted after
//     each chunk (once if n is 0), and the digest is lane 1. Tags separate
//     every use, and the count in the capacity makes zero padding
//     unambiguous. In R1CS one permutation costs 265 constraints and
//     absorbs three elements.
//   - [Compress] is the width-2 Poseidon2 compression function (6 full, 50
//     partial rounds, feed-forward of the right input), used for the inner
//     nodes of Merkle trees: 187 R1CS constraints per node.
//
// Byte strings are hashed with [Bytes], indexed Merkle tree leaves with
// [IndexedLeaf], the message an issuer signs with [Message], and the
// EdDSA challenge with [NewEdDSA]. The Tag constants list every use.
//
// Changing any of this changes every signature, commitment and root: a
// new construction gets a new [Suite] name.
package zkhash

import (
	"errors"
	"fmt"
	"hash"
	"math/big"
	"sync"

	"github.com/consensys/gnark-crypto/ecc/bn254/fr"
	"github.com/consensys/gnark-crypto/ecc/bn254/fr/poseidon2"
)

// Suite names this hash suite and version.
const Suite = "zkcred-poseidon2-v1"

// Domain-separation tags for [Hash]. Each use of the hash has its own tag.
const (
	TagMessage     uint64 = 1 // the message the issuer signs: see [Message]
	TagHolder      uint64 = 2 // the holder commitment Hash(TagHolder, secret)
	TagNullifier   uint64 = 3 // the per-scope nullifier Hash(TagNullifier, secret, scope)
	TagString      uint64 = 4 // a string attribute or identifier: see [String]
	TagIndexedLeaf uint64 = 5 // a leaf (value, next) of an indexed Merkle tree: see [IndexedLeaf]
	TagEdDSA       uint64 = 6 // the EdDSA challenge H(R, A, M): see [NewEdDSA]
	TagSchema      uint64 = 7 // a schema's id
	TagRequest     uint64 = 8 // a presentation request's hash
	TagScope       uint64 = 9 // a nullifier scope name
)

// MaxInputs bounds the number of elements one call to [Hash] absorbs.
const MaxInputs = 1 << 20

var (
	perm4 = sync.OnceValue(func() *poseidon2.Permutation { return poseidon2.NewPermutation(4, 8, 56) })
	perm2 = sync.OnceValue(func() *poseidon2.Permutation { return poseidon2.NewPermutation(2, 6, 50) })
)

// Hash returns the tagged sponge hash of in (see the package doc).
// It panics if len(in) exceeds [MaxInputs], a programming error.
func Hash(tag uint64, in ...fr.Element) fr.Element {
	if len(in) > MaxInputs {
		panic("zkhash: internal error: too many hash inputs")
	}
	var state [4]fr.Element
	state[0] = iv(tag, len(in))
	p := perm4()
	if len(in) == 0 {
		if err := p.Permutation(state[:]); err != nil {
			panic("zkhash: internal error: " + err.Error())
		}
		return state[1]
	}
	for i := 0; i < len(in); i += 3 {
		for j := 0; j < 3 && i+j < len(in); j++ {
			state[1+j].Add(&state[1+j], &in[i+j])
		}
		if err := p.Permutation(state[:]); err != nil {
			panic("zkhash: internal error: " + err.Error())
		}
	}
	return state[1]
}

// iv is the initial capacity lane: tag + n·2^64.
func iv(tag uint64, n int) fr.Element {
	var iv, t fr.Element
	iv.SetUint64(uint64(n))
	iv.Mul(&iv, &twoTo64)
	t.SetUint64(tag)
	iv.Add(&iv, &t)
	return iv
}

var twoTo64 = func() fr.Element {
	var e fr.Element
	e.SetBigInt(new(big.Int).Lsh(big.NewInt(1), 64))
	return e
}()

// Compress is the width-2 Poseidon2 compression function, P(l, r)[1] + r,
// used for Merkle tree inner nodes.
func Compress(l, r fr.Element) fr.Element {
	x := [2]fr.Element{l, r}
	if err := perm2().Permutation(x[:]); err != nil {
		panic("zkhash: internal error: " + err.Error())
	}
	x[1].Add(&x[1], &r)
	return x[1]
}

// Message is the message an issuer's zero-knowledge key signs:
//
//	Hash(TagMessage, schemaID, holderCommitment, revocationID, expiry, slot_0, …, slot_{n-1})
//
// revocationID is the credential's identifier in the issuer's revocation
// tree and expiry a Unix time in seconds; slots are the schema's encoded
// attribute slots, exactly as many as the schema declares.
func Message(schemaID, holderCommitment fr.Element, revocationID, expiry uint64, slots []fr.Element) fr.Element {
	in := make([]fr.Element, 0, 4+len(slots))
	var rid, exp fr.Element
	rid.SetUint64(revocationID)
	exp.SetUint64(expiry)
	in = append(in, schemaID, holderCommitment, rid, exp)
	in = append(in, slots...)
	return Hash(TagMessage, in...)
}

// String maps a string to one field element: Bytes(TagString, UTF-8 bytes).
func String(s string) fr.Element {
	return Bytes(TagString, []byte(s))
}

// Bytes hashes a byte string: the bytes are split into 31-byte big-endian
// chunks (each below the field modulus), preceded by the byte length, and
// hashed with [Hash] under tag.
func Bytes(tag uint64, b []byte) fr.Element {
	in := make([]fr.Element, 0, 1+(len(b)+30)/31)
	var n fr.Element
	n.SetUint64(uint64(len(b)))
	in = append(in, n)
	for i := 0; i < len(b); i += 31 {
		end := min(i+31, len(b))
		var e fr.Element
		e.SetBigInt(new(big.Int).SetBytes(b[i:end]))
		in = append(in, e)
	}
	return Hash(tag, in...)
}

// IndexedLeaf is the hash of an indexed Merkle tree leaf (value, next):
// Hash(TagIndexedLeaf, value, next). Empty leaves are the zero element.
func IndexedLeaf(value, next fr.Element) fr.Element {
	return Hash(TagIndexedLeaf, value, next)
}

// ErrInput is returned by the Write method of [NewEdDSA]'s hash when it is
// written more bytes than an EdDSA challenge takes.
var ErrInput = errors.New("zkhash: hash input is not canonical field elements")

// NewEdDSA returns the hash.Hash that gnark-crypto's BN254 twisted-Edwards
// EdDSA uses to compute its challenge H(R.X, R.Y, A.X, A.Y, M): it reads
// each written 32-byte block as a canonical field element and sums to
// [Hash](TagEdDSA, elements...) as 32 big-endian bytes. The zkp package
// checks the same challenge in-circuit. If a write was invalid (too long,
// a partial block or a non-canonical element), Sum appends 32 bytes of
// 0xff, which is not a canonical field element, so signing or verifying
// with it fails.
func NewEdDSA() hash.Hash { return &eddsaHash{} }

type eddsaHash struct {
	buf []byte
	err error
}

func (h *eddsaHash) Write(p []byte) (int, error) {
	h.buf = append(h.buf, p...)
	if len(h.buf) > 32*16 {
		h.err = fmt.Errorf("%w: too long", ErrInput)
		return len(p), h.err
	}
	return len(p), nil
}

func (h *eddsaHash) Sum(b []byte) []byte {
	if h.err != nil || len(h.buf)%32 != 0 {
		// Never returns a valid-looking digest for bad input: an all-ones
		// string is not a canonical field element, so signing or verifying
		// with it fails.
		return append(b, badDigest[:]...)
	}
	in := make([]fr.Element, len(h.buf)/32)
	for i := range in {
		if err := in[i].SetBytesCanonical(h.buf[32*i : 32*i+32]); err != nil {
			return append(b, badDigest[:]...)
		}
	}
	d := Hash(TagEdDSA, in...)
	out := d.Bytes()
	return append(b, out[:]...)
}

var badDigest = [32]byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff}

func (h *eddsaHash) Reset()         { h.buf = h.buf[:0]; h.err = nil }
func (h *eddsaHash) Size() int      { return 32 }
func (h *eddsaHash) BlockSize() int { return 32 }
